//! Findings: what was found, where, and its fingerprint. A secret lives here
//! only as a [`Secret`], which never prints itself; reports decide how much
//! of it to show.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use keyward_content::{CommitInfo, Source};

use crate::rules::{Category, Confidence, Rule};

/// The bytes of a secret. No `Display`; `Debug` shows only the length.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    /// The secret in clear. Callers: `--show-secrets` output and fingerprints.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// A short prefix and `…`: enough to recognise the token type, not enough
    /// to use it. Short secrets show proportionally less.
    pub fn redacted(&self) -> String {
        let text = String::from_utf8_lossy(&self.0);
        let chars = text.chars().count();
        let shown = (chars / 4).min(4);
        let prefix: String = text.chars().take(shown).collect();
        format!("{prefix}…")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

/// Hex SHA-256 of `rule_id:secret`: stable across moves and edits, so
/// baselines and SARIF can key on it without ever holding the secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(rule_id: &str, key: &[u8]) -> Fingerprint {
        let mut h = Sha256::new();
        h.update(rule_id.as_bytes());
        h.update(b":");
        h.update(key);
        Fingerprint(crate::rules::hex(&h.finalize()))
    }

    pub fn from_hex(hex: String) -> Fingerprint {
        Fingerprint(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The path history reports for a secret in a commit message.
pub const COMMIT_MESSAGE_PATH: &str = "@commit-message";

/// Another place the same secret appeared in history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub path: String,
    pub commit: String,
}

/// The life of a secret in history: where else it appeared, whether HEAD
/// still holds it, and the commit that removed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub occurrences: Vec<Occurrence>,
    /// Occurrences beyond the cap, counted but not listed.
    pub more_occurrences: usize,
    pub still_in_head: bool,
    pub removed_in: Option<Arc<CommitInfo>>,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub category: Category,
    pub confidence: Confidence,
    /// Relative to the scan root, `/`-separated.
    pub path: String,
    /// 1-based; 0 for findings about a whole file.
    pub line: usize,
    /// 1-based, in characters; 0 for findings about a whole file.
    pub column: usize,
    /// `None` for findings about a file rather than a value in it.
    pub secret: Option<Secret>,
    pub fingerprint: Fingerprint,
    pub source: Source,
    pub commit: Option<Arc<CommitInfo>>,
    pub lifecycle: Option<Lifecycle>,
    /// What to do about it, for findings whose remedy is not "rotate it".
    pub remedy: Option<String>,
    /// The other part of a two-part credential, found near the secret.
    pub pair: Option<Pair>,
}

/// The part of a two-part credential that is not secret on its own (an
/// account SID, a client id), found near a secret: shown in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// What it is, as the rule names it: `account SID`.
    pub name: String,
    pub value: String,
    /// 1-based, in the same file as the secret.
    pub line: usize,
}

impl Finding {
    /// A finding of a secret value matched by `rule`.
    pub fn of_secret(
        rule: &Rule,
        path: String,
        line: usize,
        column: usize,
        secret: Secret,
        source: Source,
    ) -> Finding {
        Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            category: rule.category,
            confidence: rule.confidence,
            fingerprint: Fingerprint::of(&rule.id, secret.expose()),
            path,
            line,
            column,
            secret: Some(secret),
            source,
            commit: None,
            lifecycle: None,
            remedy: rule.remedy.clone(),
            pair: None,
        }
    }

    /// The order reports use: (path, line, column, rule), so findings on
    /// one line read left to right.
    pub fn sort_key(&self) -> (&str, usize, usize, &str) {
        (&self.path, self.line, self.column, &self.rule_id)
    }
}

/// Sorts findings for stable output and drops repeats of the same
/// fingerprint at the same path and line, keeping the leftmost. Repeats
/// need not be neighbours once columns order a line (another rule may sit
/// between them), hence the set rather than `dedup_by`.
pub fn sort_and_dedup(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.fingerprint.clone(), f.path.clone(), f.line)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debug never shows the secret, redaction shows at most four characters.
    #[test]
    fn secret_never_prints_in_clear() {
        let s = Secret::new("hunter2-is-my-password");
        assert_eq!(format!("{s:?}"), "Secret(<22 bytes>)");
        assert_eq!(s.redacted(), "hunt…");
        assert_eq!(Secret::new("abc123").redacted(), "a…");
    }

    /// Fingerprints are the hex SHA-256 of `rule_id:secret`.
    #[test]
    fn fingerprint_is_sha256_of_rule_and_secret() {
        let fp = Fingerprint::of("r", b"s");
        assert_eq!(
            fp.as_str(),
            "44c71f3e87e3599e14890254d522998ae2c12aacfb7cdd227998477183ca4173"
        );
        assert_eq!(fp, Fingerprint::of("r", b"s"));
        assert_ne!(fp, Fingerprint::of("r2", b"s"));
    }
}
