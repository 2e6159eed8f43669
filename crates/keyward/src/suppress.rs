//! Suppression: what a user has said is not (or no longer) worth reporting.
//! Inline `keyward:allow` comments, baselines of fingerprints (never
//! secrets), and config path exclusions. Decides nothing about detection.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Fingerprint};

const ALLOW_MARKER: &[u8] = b"keyward:allow";

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

#[cfg(test)]
mod fuzz;
