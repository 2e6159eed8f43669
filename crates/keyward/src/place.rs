//! Where a finding lies, as far as its path says, and the confidence that
//! place leaves it.
//!
//! Detection never looks at paths (except to pick file rules); this is a
//! policy applied to findings afterwards, so a blob's cached matches stay
//! valid wherever the blob is seen. Two places lower a finding:
//!
//! - a dependency vendored into the tree (`vendor/`, `node_modules/`,
//!   `third_party/`, …): what is there is another project's code and test
//!   data, which the user can neither rotate nor fix; every finding there
//!   is lowered to low confidence;
//! - prose documentation (Markdown, reStructuredText, AsciiDoc), and
//!   TypeScript declaration files (`.d.ts`), which hold types and their doc
//!   comments, no values: a finding of medium confidence (mostly values
//!   found by the name they are written under: `KdcAdminPassword:
//!   XmlStringMaxLen256;` is a type) is lowered to low, since documentation
//!   shows example settings; a high-confidence one (a provider's format, a
//!   private key) keeps it.
//!
//! Findings about a whole file (hygiene checks) are never lowered.

use crate::finding::Finding;
use crate::rules::Confidence;

/// A place that lowers what is found in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Vendored,
    Documentation,
}

/// Directory names that hold other projects' code, copied in by a package
/// manager or by hand.
const VENDORED_DIRS: &[&str] = &[
    "vendor",
    "vendors",
    "third_party",
    "third-party",
    "thirdparty",
    "node_modules",
    "bower_components",
    "jspm_packages",
    "site-packages",
    "dist-packages",
    "Pods",
    "Carthage",
];

/// Extensions of prose documentation formats.
const DOCUMENTATION: &[&str] = &[
    "md", "markdown", "mdx", "mdown", "rst", "adoc", "asciidoc", "rdoc", "textile",
];

/// The place `path` (relative to the scan root, `/`-separated) lies in.
/// Only directories below the root count: a scan started inside
/// `node_modules` treats what it finds as the code it was asked about.
pub fn place(path: &str) -> Option<Place> {
    let mut parts = path.split('/');
    let file = parts.next_back()?;
    if parts.any(|dir| VENDORED_DIRS.contains(&dir)) {
        return Some(Place::Vendored);
    }
    let ext = file.rsplit_once('.')?.1;
    let declarations = [".d.ts", ".d.mts", ".d.cts"]
        .iter()
        .any(|d| file.ends_with(d));
    (declarations || DOCUMENTATION.iter().any(|d| d.eq_ignore_ascii_case(ext)))
        .then_some(Place::Documentation)
}

/// The confidence a finding of `confidence` keeps at `place`.
pub fn lowered(confidence: Confidence, place: Place) -> Confidence {
    match place {
        Place::Vendored => Confidence::Low,
        Place::Documentation => match confidence {
            Confidence::High => Confidence::High,
            _ => Confidence::Low,
        },
    }
}

/// Lowers each finding's confidence by its place, then drops those below
/// `min`. Returns how many were dropped. A history finding seen at several
/// paths keeps the highest confidence any of them leaves it (all of them
/// when its list of occurrences was cut short).
pub fn apply(findings: &mut Vec<Finding>, min: Confidence) -> u64 {
    let before = findings.len();
    findings.retain_mut(|f| {
        if f.secret.is_none() {
            return true;
        }
        let at = |path: &str| place(path).map_or(f.confidence, |p| lowered(f.confidence, p));
        let mut confidence = at(&f.path);
        if let Some(life) = &f.lifecycle {
            if life.more_occurrences > 0 {
                confidence = f.confidence;
            }
            for o in &life.occurrences {
                confidence = confidence.max(at(&o.path));
            }
        }
        f.confidence = confidence;
        f.confidence >= min
    });
    (before - findings.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_by_directory_and_extension() {
        assert_eq!(place("vendor/github.com/x/y.go"), Some(Place::Vendored));
        assert_eq!(
            place("web/node_modules/pkg/index.js"),
            Some(Place::Vendored)
        );
        assert_eq!(place("docs/setup.md"), Some(Place::Documentation));
        assert_eq!(place("README.MD"), Some(Place::Documentation));
        assert_eq!(place("types/index.d.ts"), Some(Place::Documentation));
        assert_eq!(place("dist/index.d.mts"), Some(Place::Documentation));
        assert_eq!(place("src/index.ts"), None);
        assert_eq!(place("src/upload.d.js"), None);
        // A file named like a vendored directory, or the root itself.
        assert_eq!(place("vendor"), None);
        assert_eq!(place("src/vendor.rs"), None);
        assert_eq!(place("src/settings.py"), None);
        assert_eq!(place("config/app.yml"), None);
        assert_eq!(place("Makefile"), None);
        // Vendored wins over documentation.
        assert_eq!(place("vendor/x/README.md"), Some(Place::Vendored));
    }

    #[test]
    fn documentation_lowers_only_name_matches() {
        use Confidence::*;
        assert_eq!(lowered(High, Place::Documentation), High);
        assert_eq!(lowered(Medium, Place::Documentation), Low);
        assert_eq!(lowered(Low, Place::Documentation), Low);
        assert_eq!(lowered(High, Place::Vendored), Low);
    }
}
