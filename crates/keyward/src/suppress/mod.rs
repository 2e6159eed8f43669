//! Suppression: what a user has said is not (or no longer) worth reporting.
//! Inline `keyward:allow` comments (and the allow comments gitleaks and
//! detect-secrets users already wrote), `.gitleaksignore`, baselines of
//! fingerprints (never secrets), and config path exclusions. Decides
//! nothing about detection.

pub mod gitleaksignore;

use std::collections::{BTreeSet, HashMap};
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
///
/// keyward's own entries name a rule and suppress its fingerprint wherever
/// it is found. Entries imported from another scanner name the rule
/// [`ANY_RULE`] and hold a fingerprint of the secret under that name, or
/// only the secret's SHA-1 (all detect-secrets keeps); they suppress the
/// secret in their own file only, as the other scanner's baseline did.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub path: String,
    pub rule_id: String,
    /// Hex SHA-256 of `rule_id:secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Hex SHA-1 of the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The rule id of an imported entry: whichever keyward rule finds the secret.
pub const ANY_RULE: &str = "*";

/// Hex SHA-1 of `secret`, as detect-secrets records it.
pub fn sha1_hex(secret: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    crate::rules::hex(&Sha1::digest(secret))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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
        Baseline::from_text(&text, path)
    }

    /// The baseline in `text`, read from the file at `path` (named in
    /// errors).
    pub fn from_text(text: &str, path: &Path) -> Result<Baseline> {
        let baseline: Baseline = serde_json::from_str(text)
            .with_context(|| format!("{}: not a keyward baseline", path.display()))?;
        if baseline.version != 1 {
            anyhow::bail!(
                "{}: unsupported baseline version {}",
                path.display(),
                baseline.version
            );
        }
        for (i, e) in baseline.findings.iter().enumerate() {
            let place = || format!("{}: entry {} ({})", path.display(), i + 1, e.path);
            if e.fingerprint.is_none() && e.sha1.is_none() {
                anyhow::bail!("{}: neither fingerprint nor sha1", place());
            }
            if e.sha1.as_deref().is_some_and(|h| !is_hex(h, 40)) {
                anyhow::bail!("{}: sha1 is not 40 lowercase hex digits", place());
            }
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
                    (e.fingerprint.as_deref()?, e.path.as_str()),
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
                    fingerprint: Some(f.fingerprint.to_string()),
                    sha1: None,
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

    /// Adds `entries`, keeping the entries sorted and each once; returns
    /// how many were new.
    pub fn extend(&mut self, entries: impl IntoIterator<Item = BaselineEntry>) -> usize {
        let mut all: BTreeSet<BaselineEntry> =
            std::mem::take(&mut self.findings).into_iter().collect();
        let before = all.len();
        all.extend(entries);
        let added = all.len() - before;
        self.findings = all.into_iter().collect();
        added
    }

    /// Removes the findings this baseline covers; returns how many it
    /// removed and the entries that covered none. Hash sets on both sides:
    /// linear in findings plus entries. A secret's `*` fingerprint and SHA-1
    /// are computed only when some entry needs them.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> (u64, Vec<BaselineEntry>) {
        // Each key maps to the entries holding it, which a hit marks used.
        let mut native: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut any_rule: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let mut sha1: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, e) in self.findings.iter().enumerate() {
            match e.fingerprint.as_deref() {
                Some(fp) if e.rule_id == ANY_RULE => {
                    any_rule.entry((e.path.as_str(), fp)).or_default().push(i);
                }
                Some(fp) => native.entry(fp).or_default().push(i),
                None => {}
            }
            if let Some(h) = e.sha1.as_deref() {
                sha1.entry((e.path.as_str(), h)).or_default().push(i);
            }
        }
        let mut used = vec![false; self.findings.len()];
        let mut mark = |hit: Option<&Vec<usize>>| -> bool {
            let Some(entries) = hit else {
                return false;
            };
            for &i in entries {
                used[i] = true;
            }
            true
        };
        let before = findings.len();
        findings.retain(|f| {
            let mut covered = mark(native.get(f.fingerprint.as_str()));
            let Some(secret) = &f.secret else {
                return !covered;
            };
            let star = (!any_rule.is_empty()).then(|| Fingerprint::of(ANY_RULE, secret.expose()));
            let hash = (!sha1.is_empty()).then(|| sha1_hex(secret.expose()));
            // In history, one finding stands for every path its secret had.
            let occurrences = f.lifecycle.iter().flat_map(|l| &l.occurrences);
            let paths =
                std::iter::once(f.path.as_str()).chain(occurrences.map(|o| o.path.as_str()));
            for path in paths {
                if let Some(star) = &star {
                    covered |= mark(any_rule.get(&(path, star.as_str())));
                }
                if let Some(hash) = &hash {
                    covered |= mark(sha1.get(&(path, hash.as_str())));
                }
            }
            !covered
        });
        let unused = self
            .findings
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| e.clone())
            .collect();
        ((before - findings.len()) as u64, unused)
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

    fn finding(path: &str, rule_id: &str, secret: &str) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            rule_name: rule_id.into(),
            category: crate::rules::Category::Cloud,
            confidence: crate::rules::Confidence::High,
            path: path.into(),
            line: 1,
            column: 1,
            secret: Some(crate::finding::Secret::new(secret)),
            fingerprint: Fingerprint::of(rule_id, secret.as_bytes()),
            source: crate::finding::Source::Tree,
            commit: None,
            lifecycle: None,
            remedy: None,
            pair: None,
        }
    }

    fn entry(
        path: &str,
        rule_id: &str,
        fingerprint: Option<String>,
        sha1: Option<String>,
    ) -> BaselineEntry {
        BaselineEntry {
            path: path.into(),
            rule_id: rule_id.into(),
            fingerprint,
            sha1,
            reason: None,
        }
    }

    fn paths(findings: &[Finding]) -> Vec<(&str, &str)> {
        findings
            .iter()
            .map(|f| (f.path.as_str(), f.rule_id.as_str()))
            .collect()
    }

    /// keyward's own entries suppress their fingerprint in any file; the
    /// `*` and SHA-1 entries an import writes suppress their secret, under
    /// any rule, in their own file only; entries that covered nothing are
    /// returned.
    #[test]
    fn baseline_matches_fingerprints_any_rule_and_sha1() {
        let any = |s: &str| Some(Fingerprint::of(ANY_RULE, s.as_bytes()).to_string());
        let baseline = Baseline {
            version: 1,
            findings: vec![
                entry(
                    "a.env",
                    "rule-a",
                    Some(Fingerprint::of("rule-a", b"one").to_string()),
                    None,
                ),
                entry("b.env", ANY_RULE, any("two"), None),
                entry("c.env", ANY_RULE, None, Some(sha1_hex(b"three"))),
                entry("d.env", ANY_RULE, None, Some(sha1_hex(b"unseen"))),
            ],
        };
        let mut findings = vec![
            finding("moved.env", "rule-a", "one"),
            finding("a.env", "rule-b", "one"),
            finding("b.env", "rule-x", "two"),
            finding("other.env", "rule-x", "two"),
            finding("c.env", "rule-y", "three"),
            finding("b.env", "rule-x", "three"),
        ];
        let (suppressed, unused) = baseline.apply(&mut findings);
        assert_eq!(suppressed, 3);
        assert_eq!(
            paths(&findings),
            [
                ("a.env", "rule-b"),
                ("other.env", "rule-x"),
                ("b.env", "rule-x")
            ]
        );
        assert_eq!(unused, [baseline.findings[3].clone()]);
    }

    /// A history finding is covered by an imported entry naming any path
    /// its secret had.
    #[test]
    fn imported_entries_match_history_occurrences() {
        let baseline = Baseline {
            version: 1,
            findings: vec![entry(
                "old/path.env",
                ANY_RULE,
                None,
                Some(sha1_hex(b"s3cret")),
            )],
        };
        let mut f = finding("new/path.env", "rule-a", "s3cret");
        f.lifecycle = Some(crate::finding::Lifecycle {
            occurrences: vec![crate::finding::Occurrence {
                path: "old/path.env".into(),
                commit: "0".repeat(40),
            }],
            ..Default::default()
        });
        let mut findings = vec![f];
        let (suppressed, unused) = baseline.apply(&mut findings);
        assert_eq!((suppressed, unused.len(), findings.len()), (1, 0, 0));
    }

    /// A baseline written before imports existed still loads; an entry with
    /// no hash at all, or a malformed SHA-1, is refused naming the file.
    #[test]
    fn baseline_load_checks_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        let old = r#"{"version":1,"findings":[{"path":"a","rule_id":"r","fingerprint":"ab"}]}"#;
        std::fs::write(&path, old).unwrap();
        assert_eq!(
            Baseline::load(&path).unwrap().findings[0]
                .fingerprint
                .as_deref(),
            Some("ab")
        );
        for bad in [
            r#"{"version":1,"findings":[{"path":"a","rule_id":"*"}]}"#,
            r#"{"version":1,"findings":[{"path":"a","rule_id":"*","sha1":"XYZ"}]}"#,
        ] {
            std::fs::write(&path, bad).unwrap();
            let err = format!("{:#}", Baseline::load(&path).unwrap_err());
            assert!(
                err.starts_with(&format!("{}: entry 1 (a): ", path.display())),
                "{err}"
            );
        }
    }
}

#[cfg(test)]
mod fuzz;
