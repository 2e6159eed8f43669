//! A finding's place lowers its confidence: everything in a vendored
//! dependency, and medium-confidence findings in prose documentation, drop
//! to low; they are counted, not reported, at the default confidence, and
//! reported as low with `--min-confidence low`. The same in history.

use serde_json::Value;

use crate::fake;
use crate::support::{Run, Work};

/// (path, confidence) of each finding.
fn places(run: &Run) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = run
        .findings()
        .iter()
        .map(|f: &Value| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Generic secrets (medium) and GitHub tokens (high), each different.
fn files(w: &Work) {
    let generic = |seed| format!("api_key = \"{}\"\n", fake::token("", 32, seed));
    let github = |seed| format!("GITHUB_TOKEN={}\n", fake::github("ghp_", seed));
    w.write("app/settings.py", &generic(1));
    w.write("vendor/github.com/lib/config.py", &generic(2));
    w.write("web/node_modules/pkg/index.js", &github(3));
    w.write("docs/setup.md", &generic(4));
    w.write("README.md", &github(5));
}

#[test]
fn vendored_code_and_documentation_are_lowered() {
    let w = Work::new();
    files(&w);
    let run = w.keyward(&["scan", "--no-ignore", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        places(&run),
        vec![
            ("README.md".to_string(), "high".to_string()),
            ("app/settings.py".to_string(), "medium".to_string()),
        ],
        "{}",
        run.stdout
    );
    assert_eq!(run.scanned_files(), Some(5), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("3 in vendored code or documentation below the confidence shown"),
        "{}",
        run.stderr
    );

    let low = w.keyward(&[
        "scan",
        "--no-ignore",
        "--format",
        "json",
        "--min-confidence",
        "low",
    ]);
    assert_eq!(
        places(&low),
        vec![
            ("README.md".to_string(), "high".to_string()),
            ("app/settings.py".to_string(), "medium".to_string()),
            ("docs/setup.md".to_string(), "low".to_string()),
            (
                "vendor/github.com/lib/config.py".to_string(),
                "low".to_string()
            ),
            (
                "web/node_modules/pkg/index.js".to_string(),
                "low".to_string()
            ),
        ],
        "{}",
        low.stdout
    );
    assert!(
        !low.stderr.contains("below the confidence"),
        "{}",
        low.stderr
    );
}

/// Inside a vendored directory that is itself the scan's root, its files
/// are the code asked about: nothing is lowered.
#[test]
fn a_root_inside_a_vendored_directory_is_not_lowered() {
    let w = Work::new();
    files(&w);
    let run = w.keyward(&["scan", "--no-ignore", "--format", "json", "vendor"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings().len(), 1, "{}", run.stdout);
}

#[test]
fn history_findings_are_lowered_by_their_path() {
    let mut w = Work::repo();
    files(&w);
    w.git(&["add", "-A"]);
    w.commit_staged("add files");
    let run = w.keyward(&["git", "--no-cache", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let paths: Vec<String> = places(&run).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        vec!["README.md", "app/settings.py"],
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("3 in vendored code or documentation"),
        "{}",
        run.stderr
    );
}

/// A secret both in vendored code and outside it keeps its confidence,
/// whichever path history saw first.
#[test]
fn a_history_secret_also_outside_vendored_code_is_not_lowered() {
    let mut w = Work::repo();
    let generic = format!("api_key = \"{}\"\n", fake::token("", 32, 6));
    w.commit("vendor/lib/a.py", &generic, "vendored first");
    w.commit("app/b.py", &generic, "then in the app");
    let run = w.keyward(&["git", "--no-cache", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.findings();
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["confidence"], "medium", "{}", run.stdout);
}
