//! Importing another scanner's baseline: a gitleaks JSON report or a
//! detect-secrets `.secrets.baseline` becomes keyward baseline entries that
//! hold only hashes (see [`crate::suppress::BaselineEntry`]). Reads the
//! file; writing the baseline is the binary's. A secret read from a report
//! is hashed and dropped, never stored.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::finding::Fingerprint;
use crate::suppress::{BaselineEntry, ANY_RULE};

/// Which scanner wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `gitleaks ... --report-format json`: an array of findings.
    Gitleaks,
    /// detect-secrets' `.secrets.baseline`.
    DetectSecrets,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Gitleaks => "gitleaks",
            Format::DetectSecrets => "detect-secrets",
        }
    }
}

/// What an import produced: sorted entries, each once, and a line for each
/// item of the file that could not become one.
#[derive(Debug, Default)]
pub struct Imported {
    pub entries: Vec<BaselineEntry>,
    pub skipped: Vec<String>,
}

/// Reads `path` as `format`. Errors are one line naming the file.
pub fn import(format: Format, path: &Path) -> Result<Imported> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read {} file", path.display(), format.name()))?;
    parse(format, &text).with_context(|| path.display().to_string())
}

/// Parses the text of a `format` file.
pub fn parse(format: Format, text: &str) -> Result<Imported> {
    let value: Value = serde_json::from_str(text).context("not JSON")?;
    match format {
        Format::Gitleaks => gitleaks(&value),
        Format::DetectSecrets => detect_secrets(&value),
    }
}

/// Entries keyed by what they match, so a secret listed twice in one file
/// (two rules, two lines) is one entry; the first reason stays.
#[derive(Default)]
struct Entries(BTreeMap<(String, Option<String>, Option<String>), Option<String>>);

impl Entries {
    fn add(
        &mut self,
        path: &str,
        fingerprint: Option<String>,
        sha1: Option<String>,
        reason: String,
    ) {
        self.0
            .entry((normalise(path), fingerprint, sha1))
            .or_insert(Some(reason));
    }

    fn into_entries(self) -> Vec<BaselineEntry> {
        self.0
            .into_iter()
            .map(|((path, fingerprint, sha1), reason)| BaselineEntry {
                path,
                rule_id: ANY_RULE.to_string(),
                fingerprint,
                sha1,
                reason,
            })
            .collect()
    }
}

/// Paths as keyward reports them: `/`-separated, without a leading `./`.
fn normalise(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut rest = path.as_str();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    rest.to_string()
}

fn string_field<'a>(item: &'a Value, field: &str, place: &dyn Fn() -> String) -> Result<&'a str> {
    match item.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => bail!("{}: field `{field}` is not a string", place()),
        None => bail!("{}: missing field `{field}`", place()),
    }
}

fn gitleaks(value: &Value) -> Result<Imported> {
    let Some(items) = value.as_array() else {
        bail!("not a gitleaks JSON report (expected an array of findings)");
    };
    let mut entries = Entries::default();
    let mut skipped = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let place = || format!("finding {}", i + 1);
        if !item.is_object() {
            bail!("{}: not an object", place());
        }
        let file = string_field(item, "File", &place)?;
        let secret = string_field(item, "Secret", &place)?;
        let rule = item.get("RuleID").and_then(Value::as_str).unwrap_or("?");
        // gitleaks --redact writes REDACTED, or a prefix and "...".
        let why = if secret.is_empty() {
            Some("its Secret is empty")
        } else if secret == "REDACTED" || secret.ends_with("...") {
            Some("its Secret is redacted (run gitleaks without --redact)")
        } else {
            None
        };
        if let Some(why) = why {
            skipped.push(format!("{} ({file}): skipped, {why}", place()));
            continue;
        }
        let fingerprint = Fingerprint::of(ANY_RULE, secret.as_bytes()).to_string();
        entries.add(
            file,
            Some(fingerprint),
            None,
            format!("imported from gitleaks (rule {rule})"),
        );
    }
    Ok(Imported {
        entries: entries.into_entries(),
        skipped,
    })
}

fn detect_secrets(value: &Value) -> Result<Imported> {
    let Some(results) = value.get("results").and_then(Value::as_object) else {
        bail!("not a detect-secrets baseline (expected an object with `results`)");
    };
    let mut entries = Entries::default();
    let mut skipped = Vec::new();
    for (file, items) in results {
        let Some(items) = items.as_array() else {
            bail!("results for {file}: not an array");
        };
        for (i, item) in items.iter().enumerate() {
            let place = || format!("results for {file}: secret {}", i + 1);
            if !item.is_object() {
                bail!("{}: not an object", place());
            }
            let hash = string_field(item, "hashed_secret", &place)?.to_ascii_lowercase();
            if hash.len() != 40 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                skipped.push(format!(
                    "{}: skipped, hashed_secret is not a SHA-1",
                    place()
                ));
                continue;
            }
            let kind = item.get("type").and_then(Value::as_str).unwrap_or("?");
            entries.add(
                file,
                None,
                Some(hash),
                format!("imported from detect-secrets ({kind})"),
            );
        }
    }
    Ok(Imported {
        entries: entries.into_entries(),
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suppress::sha1_hex;

    /// A gitleaks report becomes `*` entries keyed by the secret's
    /// fingerprint, never holding the secret; duplicates collapse; empty or
    /// redacted secrets are skipped and said so.
    #[test]
    fn gitleaks_report_becomes_any_rule_entries() {
        let secret = format!("tok_{}", "q".repeat(20));
        let report = serde_json::json!([
            {"RuleID": "r1", "File": "./app/.env", "StartLine": 3, "Secret": secret, "Match": "x", "Commit": "", "Fingerprint": "f"},
            {"RuleID": "r2", "File": "app/.env", "StartLine": 9, "Secret": secret},
            {"RuleID": "r1", "File": "b.py", "Secret": ""},
            {"RuleID": "r1", "File": "c.py", "Secret": "REDACTED"},
        ])
        .to_string();
        let got = parse(Format::Gitleaks, &report).unwrap();
        assert_eq!(got.entries.len(), 1);
        let e = &got.entries[0];
        assert_eq!((e.path.as_str(), e.rule_id.as_str()), ("app/.env", "*"));
        let expected = Fingerprint::of(ANY_RULE, secret.as_bytes()).to_string();
        assert_eq!(e.fingerprint.as_deref(), Some(expected.as_str()));
        assert_eq!(
            e.reason.as_deref(),
            Some("imported from gitleaks (rule r1)")
        );
        let json = serde_json::to_string(&got.entries).unwrap();
        assert!(!json.contains(&secret));
        assert_eq!(got.skipped.len(), 2, "{:?}", got.skipped);
        assert!(got.skipped[0].starts_with("finding 3 (b.py): skipped"));
    }

    /// A detect-secrets baseline becomes `*` entries holding the SHA-1.
    #[test]
    fn detect_secrets_baseline_becomes_sha1_entries() {
        let hash = sha1_hex(b"hunter2hunter2");
        let baseline = serde_json::json!({
            "version": "1.5.0",
            "plugins_used": [],
            "results": {"conf/app.ini": [
                {"type": "Secret Keyword", "filename": "conf/app.ini", "hashed_secret": hash.to_uppercase(), "is_verified": false, "line_number": 4},
                {"type": "Secret Keyword", "filename": "conf/app.ini", "hashed_secret": "nothex", "line_number": 5},
            ]},
        })
        .to_string();
        let got = parse(Format::DetectSecrets, &baseline).unwrap();
        assert_eq!(got.entries.len(), 1);
        assert_eq!(got.entries[0].sha1.as_deref(), Some(hash.as_str()));
        assert_eq!(got.entries[0].fingerprint, None);
        assert_eq!(got.skipped.len(), 1);
    }

    /// Input of the wrong shape is one error saying what is wrong and where.
    #[test]
    fn malformed_input_is_one_line() {
        let cases = [
            (Format::Gitleaks, "{", "not JSON"),
            (Format::Gitleaks, "{}", "not a gitleaks JSON report"),
            (
                Format::Gitleaks,
                r#"[{"Secret":"x"}]"#,
                "finding 1: missing field `File`",
            ),
            (Format::DetectSecrets, "[]", "not a detect-secrets baseline"),
            (
                Format::DetectSecrets,
                r#"{"results":{"a":[{"type":"t"}]}}"#,
                "results for a: secret 1: missing field `hashed_secret`",
            ),
        ];
        for (format, text, expected) in cases {
            let err = format!("{:#}", parse(format, text).unwrap_err());
            assert!(err.contains(expected), "{text}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
