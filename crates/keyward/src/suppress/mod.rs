//! Suppression: what a user has said is not (or no longer) worth reporting.
//! Inline `keyward:allow` comments (and the allow comments gitleaks and
//! detect-secrets users already wrote), `.gitleaksignore`, baselines of
//! fingerprints (never secrets), and config path exclusions. Decides
//! nothing about detection.

pub mod gitleaksignore;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Fingerprint};

const ALLOW_MARKER: &[u8] = b"keyward:allow";
/// gitleaks' inline allow: bare, it allows every finding on its line.
const GITLEAKS_ALLOW: &[u8] = b"gitleaks:allow";
/// detect-secrets' inline allow for its own line.
const PRAGMA_ALLOW: &[u8] = b"pragma: allowlist secret";
/// detect-secrets' allow for the line after the comment.
const PRAGMA_ALLOW_NEXT: &[u8] = b"pragma: allowlist nextline secret";
/// In every marker above: a line without it allows nothing, so most lines
/// with a finding cost one search.
const ALLOW_WORD: &[u8] = b"allow";

/// Which inline allow comments a scan honours: keyward's own always; the
/// other tools' (`foreign_allows` in `keyward.toml`, on by default) unless
/// turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InlineAllows {
    pub foreign: bool,
}

impl Default for InlineAllows {
    fn default() -> InlineAllows {
        InlineAllows { foreign: true }
    }
}

impl InlineAllows {
    /// True when a finding of `rule_id` on `line` is allowed: by a
    /// `keyward:allow` on it, or (with foreign allows) by `gitleaks:allow`
    /// or `pragma: allowlist secret` on it, or `pragma: allowlist nextline
    /// secret` on `previous`, the line before it.
    pub fn is_allowed(&self, line: &[u8], previous: Option<&[u8]>, rule_id: &str) -> bool {
        let here = memchr::memmem::find(line, ALLOW_WORD).is_some();
        if here && is_allowed_inline(line, rule_id) {
            return true;
        }
        if !self.foreign {
            return false;
        }
        let has = |text: &[u8], marker: &[u8]| memchr::memmem::find(text, marker).is_some();
        (here && (has(line, GITLEAKS_ALLOW) || has(line, PRAGMA_ALLOW)))
            || previous.is_some_and(|p| has(p, PRAGMA_ALLOW_NEXT))
    }
}

/// True when `line` carries a `keyward:allow` comment covering `rule_id`:
/// a bare marker allows every rule on the line, `keyward:allow a,b` only
/// the rules named.
pub fn is_allowed_inline(line: &[u8], rule_id: &str) -> bool {
    let Some(at) = memchr::memmem::find(line, ALLOW_MARKER) else {
        return false;
    };
    let rest = &line[at + ALLOW_MARKER.len()..];
    let named: Vec<&[u8]> = rest
        .strip_prefix(b" ")
        .or_else(|| rest.strip_prefix(b":"))
        .or_else(|| rest.strip_prefix(b"="))
        .map(|r| {
            let end = r
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b','))
                .unwrap_or(r.len());
            r[..end]
                .split(|&b| b == b',')
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    named.is_empty() || named.contains(&rule_id.as_bytes())
}

/// One baselined finding. No secret, no line number, no timestamp: entries
/// survive edits and moves, and sorted entries do not conflict on merge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub path: String,
    pub rule_id: String,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

impl Baseline {
    pub const FILE_NAME: &'static str = ".keyward-baseline.json";

    pub fn load(path: &Path) -> Result<Baseline> {
        let text = crate::content::read_setting_file(path, crate::content::DATA_FILE_LIMIT)
            .with_context(|| format!("{}: cannot read baseline", path.display()))?;
        let baseline: Baseline = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a keyward baseline", path.display()))?;
        if baseline.version != 1 {
            anyhow::bail!(
                "{}: unsupported baseline version {}",
                path.display(),
                baseline.version
            );
        }
        Ok(baseline)
    }

    /// A baseline of these findings, keeping reasons already written in `old`.
    pub fn from_findings(findings: &[Finding], old: Option<&Baseline>) -> Baseline {
        let reasons: std::collections::HashMap<(&str, &str), &String> = old
            .iter()
            .flat_map(|o| &o.findings)
            .filter_map(|e| {
                Some((
                    (e.fingerprint.as_str(), e.path.as_str()),
                    e.reason.as_ref()?,
                ))
            })
            .collect();
        let entries: BTreeSet<BaselineEntry> = findings
            .iter()
            .map(|f| {
                let reason = reasons
                    .get(&(f.fingerprint.as_str(), f.path.as_str()))
                    .map(|r| (*r).clone());
                BaselineEntry {
                    path: f.path.clone(),
                    rule_id: f.rule_id.clone(),
                    fingerprint: f.fingerprint.to_string(),
                    reason,
                }
            })
            .collect();
        Baseline {
            version: 1,
            findings: entries.into_iter().collect(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("baseline serialises");
        s.push('\n');
        s
    }

    pub fn fingerprints(&self) -> HashSet<Fingerprint> {
        self.findings
            .iter()
            .map(|e| Fingerprint::from_hex(e.fingerprint.clone()))
            .collect()
    }
}

/// Path globs from the config, matched against paths relative to the scan root.
#[derive(Debug, Clone)]
pub struct Exclusions {
    set: GlobSet,
}

impl Exclusions {
    pub fn new(globs: &[String]) -> Result<Exclusions> {
        let mut builder = GlobSetBuilder::new();
        for g in globs {
            builder.add(Glob::new(g).with_context(|| format!("config: exclude glob `{g}`"))?);
            // `dir/**` should also exclude `dir` itself when walked.
            if let Some(dir) = g.strip_suffix("/**") {
                builder.add(Glob::new(dir).with_context(|| format!("config: exclude glob `{g}`"))?);
            }
        }
        Ok(Exclusions {
            set: builder.build().context("config: exclude globs")?,
        })
    }

    pub fn is_excluded(&self, rel_path: &str) -> bool {
        !self.set.is_empty() && self.set.is_match(rel_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bare marker allows everything on the line; a named one only its rules.
    #[test]
    fn inline_allow_names_rules() {
        assert!(is_allowed_inline(b"x = 'abc' # keyward:allow", "any-rule"));
        assert!(is_allowed_inline(
            b"x = 'abc' // keyward:allow aws-key,gh-pat",
            "gh-pat"
        ));
        assert!(!is_allowed_inline(
            b"x = 'abc' // keyward:allow aws-key",
            "gh-pat"
        ));
        assert!(!is_allowed_inline(b"x = 'abc'", "gh-pat"));
    }

    /// gitleaks' and detect-secrets' markers allow every rule on their line
    /// (the nextline pragma the line after it), and only while foreign
    /// allows are on.
    #[test]
    fn foreign_allows_are_bare_and_switchable() {
        let on = InlineAllows::default();
        let off = InlineAllows { foreign: false };
        for line in [
            &b"x = 'abc' # gitleaks:allow"[..],
            b"x = 'abc'  # pragma: allowlist secret",
        ] {
            assert!(on.is_allowed(line, None, "any-rule"));
            assert!(!off.is_allowed(line, None, "any-rule"));
        }
        let next = b"# pragma: allowlist nextline secret";
        assert!(on.is_allowed(b"x = 'abc'", Some(next), "any-rule"));
        assert!(!off.is_allowed(b"x = 'abc'", Some(next), "any-rule"));
        // The nextline pragma does not allow its own line.
        assert!(!on.is_allowed(next, Some(b"y = 1"), "any-rule"));
        assert!(!on.is_allowed(b"x = 'abc'", Some(b"# allow me"), "any-rule"));
        assert!(off.is_allowed(b"x # keyward:allow", None, "any-rule"));
        assert!(on.is_allowed(b"x # keyward:allow r", None, "r"));
        assert!(!on.is_allowed(b"x # keyward:allow r", None, "s"));
    }

    /// `dir/**` excludes the directory and everything under it, nothing else.
    #[test]
    fn exclusions_match_relative_paths() {
        let ex = Exclusions::new(&["patterns/**".into(), "*.lock".into()]).unwrap();
        assert!(ex.is_excluded("patterns"));
        assert!(ex.is_excluded("patterns/aws.yaml"));
        assert!(ex.is_excluded("Cargo.lock"));
        assert!(!ex.is_excluded("src/patterns.rs"));
    }
}
