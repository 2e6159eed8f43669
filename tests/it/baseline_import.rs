//! `keyward baseline import`: another scanner's baseline (a gitleaks JSON
//! report, a detect-secrets `.secrets.baseline`) becomes keyward baseline
//! entries that suppress the same secrets in the same files (issue 23).

use serde_json::json;
use sha1::{Digest, Sha1};

use crate::fake;
use crate::support::{Run, Work};

/// A repository holding one secret in `cfg.py`.
fn repo_with(secret: &str) -> Work {
    let mut w = Work::repo();
    w.commit("cfg.py", &format!("TOKEN = \"{secret}\"\n"), "add config");
    w
}

/// Writes `text` outside the repository (a report holds secrets in clear)
/// and imports it; returns the run and the file, kept alive with its dir.
fn import(w: &Work, from: &str, text: &str) -> (Run, Work) {
    let outside = Work::new();
    outside.write("input.json", text);
    let file = outside.join("input.json");
    let run = w.keyward(&["baseline", "import", "--from", from, file.to_str().unwrap()]);
    (run, outside)
}

fn scan(w: &Work) -> Run {
    w.keyward(&["scan", "--format", "json", "--report-unused"])
}

/// Suppressed in the file the imported baseline named, under keyward's own
/// rule id; the same secret elsewhere and a new secret are still reported.
fn assert_covers_cfg_only(w: &Work, secret: &str) {
    let clean = scan(w);
    assert_eq!(
        (clean.code, clean.findings().len()),
        (0, 0),
        "{}",
        clean.stderr
    );
    let baseline = std::fs::read_to_string(w.join(".keyward-baseline.json")).unwrap();
    assert!(!baseline.contains(secret), "{baseline}");
    let other = fake::github("ghp_", 32);
    w.write("app.py", &format!("A = \"{secret}\"\nB = \"{other}\"\n"));
    let found = scan(w);
    assert_eq!(found.code, 1, "{}", found.stderr);
    assert_eq!(
        found.rule_path_line(),
        vec![
            ("github-pat-classic".into(), "app.py".into(), 1),
            ("github-pat-classic".into(), "app.py".into(), 2),
        ]
    );
}

/// A gitleaks report's findings are imported as hashes of their secrets:
/// the scan passes, what the report did not list is still found, and an
/// entry with an empty secret is counted as skipped.
#[test]
fn gitleaks_report_suppresses_its_secrets() {
    let secret = fake::github("ghp_", 31);
    let w = repo_with(&secret);
    let report = json!([
        {
            "RuleID": "github-pat", "Description": "GitHub Personal Access Token",
            "File": "cfg.py", "StartLine": 1, "EndLine": 1,
            "Secret": secret, "Match": format!("TOKEN = \"{secret}\""),
            "Commit": "", "Fingerprint": "cfg.py:github-pat:1",
        },
        {"RuleID": "generic-api-key", "File": "gone.py", "StartLine": 2, "Secret": ""},
    ]);
    let (run, _report) = import(&w, "gitleaks", &report.to_string());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("imported 1 entry from") && run.stderr.contains("1 skipped"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("finding 2 (gone.py): skipped"),
        "{}",
        run.stderr
    );
    assert_covers_cfg_only(&w, &secret);
}

/// A detect-secrets baseline's SHA-1s are imported: the scan passes, what
/// it did not list is still found; importing again adds nothing.
#[test]
fn detect_secrets_baseline_suppresses_its_secrets() {
    let secret = fake::github("ghp_", 33);
    let w = repo_with(&secret);
    let hashed: String = Sha1::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let baseline = json!({
        "version": "1.5.0",
        "plugins_used": [{"name": "GitHubTokenDetector"}],
        "filters_used": [],
        "results": {
            "cfg.py": [{
                "type": "GitHub Token", "filename": "cfg.py",
                "hashed_secret": hashed, "is_verified": false, "line_number": 1,
            }],
        },
        "generated_at": "2024-01-01T00:00:00Z",
    });
    let (run, _file) = import(&w, "detect-secrets", &baseline.to_string());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("imported 1 entry from"),
        "{}",
        run.stderr
    );
    let (again, _file) = import(&w, "detect-secrets", &baseline.to_string());
    assert!(
        again.stderr.contains("(0 new, 0 skipped)"),
        "{}",
        again.stderr
    );
    assert_covers_cfg_only(&w, &secret);
}

/// Input that is not what `--from` names is one error line naming the
/// file, exit 2, and no baseline is written.
#[test]
fn malformed_input_is_one_error_line() {
    let w = Work::repo();
    let cases = [
        ("gitleaks", "not json", "not JSON"),
        (
            "gitleaks",
            r#"{"results": {}}"#,
            "not a gitleaks JSON report",
        ),
        ("gitleaks", r#"[{"Secret": "x"}]"#, "missing field `File`"),
        ("detect-secrets", "[]", "not a detect-secrets baseline"),
    ];
    for (from, text, expected) in cases {
        let (run, outside) = import(&w, from, text);
        let file = outside.join("input.json");
        let line = format!("keyward: error: {}: ", file.display());
        assert_eq!(run.code, 2, "{text}: {}", run.stderr);
        assert!(
            run.stderr.starts_with(&line) && run.stderr.contains(expected),
            "{text}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    assert!(!w.join(".keyward-baseline.json").exists());
}

/// In a history audit, an imported entry naming any path the secret had
/// covers the one finding that stands for all of them.
#[test]
fn imported_entry_covers_a_history_finding_by_any_of_its_paths() {
    let secret = fake::github("ghp_", 34);
    let mut w = repo_with(&secret);
    let copied = w.commit("lib/copy.py", &format!("T = \"{secret}\"\n"), "copy");
    let report = json!([{
        "RuleID": "github-pat", "File": "lib/copy.py", "StartLine": 1,
        "Secret": secret, "Commit": copied,
    }]);
    let before = w.keyward(&["git", "--format", "json"]);
    assert_eq!(before.code, 1, "{}", before.stderr);
    let paths: Vec<_> = before
        .rule_path_line()
        .into_iter()
        .map(|(_, p, _)| p)
        .collect();
    assert_eq!(paths, ["cfg.py"], "the finding names the first path only");
    let (run, _report) = import(&w, "gitleaks", &report.to_string());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = w.keyward(&["git", "--format", "json"]);
    assert_eq!(
        (after.code, after.findings().len()),
        (0, 0),
        "{}",
        after.stderr
    );
}
