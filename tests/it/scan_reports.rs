//! `keyward scan`'s reports: SARIF validated against the official schema,
//! GitLab's secret-detection report of a checkout and of env hygiene.

use serde_json::Value;

use crate::fake;
use crate::scan::leaky_tree;
use crate::support::Work;

/// SARIF output validates against the official SARIF 2.1.0 schema and
/// carries fingerprints and rule metadata.
#[test]
fn sarif_is_valid() {
    let w = leaky_tree();
    let run = w.keyward(&["scan", "--format", "sarif"]);
    assert_eq!(run.code, 1);
    let doc: Value = serde_json::from_str(&run.stdout).expect("sarif is json");
    let validator = crate::support::sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 8);
    assert!(results
        .iter()
        .all(|r| r["partialFingerprints"]["keyward/v1"]
            .as_str()
            .is_some_and(|f| f.len() == 64)));
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 8);
    assert!(!run.stdout.contains(&fake::aws_key_id(1)));
}

/// The validator really rejects a malformed SARIF log, so the check above
/// can fail.
#[test]
fn sarif_schema_rejects_invalid_documents() {
    let validator = crate::support::sarif_validator();
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(!validator.is_valid(&bad));
}

/// `--format gitlab` on a checkout: the document meets GitLab's
/// secret-detection format, each finding carries the checked-out commit,
/// its path from the repository's root (also when a subdirectory is
/// scanned) and its own id (the same in the next run, and after another
/// commit), and no secret is written in clear.
#[test]
fn gitlab_report_of_a_checkout() {
    let mut w = Work::repo();
    let (first, second) = (fake::github("ghp_", 81), fake::github("ghp_", 82));
    let head = w.commit(
        "app/config.py",
        &format!("A = \"{first}\"\nB = \"{second}\"\n"),
        "config",
    );
    let run = w.keyward(&["scan", "--format", "gitlab"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("the report is json");
    let errors = crate::support::gitlab_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["version"], keyward::report::GITLAB_VERSION);
    assert_eq!(doc["scan"]["type"], "secret_detection");
    let vulns = doc["vulnerabilities"].as_array().expect("a list");
    let places: Vec<(&str, u64, &str, &str, &str)> = vulns
        .iter()
        .map(|v| {
            (
                v["location"]["file"].as_str().unwrap_or_default(),
                v["location"]["start_line"].as_u64().unwrap_or_default(),
                v["location"]["commit"]["sha"].as_str().unwrap_or_default(),
                v["identifiers"][0]["value"].as_str().unwrap_or_default(),
                v["severity"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let want = |line| {
        (
            "app/config.py",
            line,
            head.as_str(),
            "github-pat-classic",
            "Critical",
        )
    };
    assert_eq!(places, vec![want(1), want(2)]);
    let ids = |doc: &Value| -> Vec<String> {
        doc["vulnerabilities"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let these = ids(&doc);
    assert_ne!(these[0], these[1]);
    assert!(!run.stdout.contains(&first) && !run.stdout.contains(&second));

    // A subdirectory scanned, after another commit: paths from the root,
    // the new commit, the same ids.
    let later = w.commit("README.md", "hello\n", "readme");
    let sub = w.keyward(&["scan", "app", "--format", "gitlab"]);
    let doc: Value = serde_json::from_str(&sub.stdout).expect("json");
    assert!(crate::support::gitlab_errors(&doc).is_empty());
    let files: Vec<(&str, &str)> = doc["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["location"]["file"].as_str().unwrap_or_default(),
                v["location"]["commit"]["sha"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(files, vec![("app/config.py", later.as_str()); 2]);
    let again: Value =
        serde_json::from_str(&w.keyward(&["scan", "--format", "gitlab"]).stdout).expect("json");
    assert_eq!(ids(&again), these);
}

/// A finding about a file rather than a value (an env file tracked in git)
/// is a low-severity vulnerability at that file.
#[test]
fn gitlab_report_of_env_hygiene() {
    let mut w = Work::repo();
    w.commit(".env", "DEBUG=true\n", "oops");
    let run = w.keyward(&["env", "--format", "gitlab"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    assert!(crate::support::gitlab_errors(&doc).is_empty());
    let v = &doc["vulnerabilities"][0];
    assert_eq!(v["identifiers"][0]["value"], "env-tracked");
    assert_eq!(v["severity"], "Low");
    assert_eq!(v["location"]["file"], ".env");
    assert!(v["location"].get("start_line").is_none(), "{v}");
}

/// Outside a repository a finding has no commit for GitLab's report:
/// keyward refuses (exit 2, no report file) and names the formats that
/// work; with nothing found, the report is written.
#[test]
fn gitlab_report_needs_a_commit() {
    let w = Work::new();
    w.write("clean.txt", "nothing here\n");
    let clean = w.keyward(&["scan", "--format", "gitlab"]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    let doc: Value = serde_json::from_str(&clean.stdout).expect("json");
    assert!(crate::support::gitlab_errors(&doc).is_empty());
    assert_eq!(doc["vulnerabilities"], serde_json::json!([]));

    w.write("a.py", &format!("t = \"{}\"\n", fake::github("ghp_", 83)));
    let run = w.keyward(&["scan", "--format", "gitlab", "-o", "report.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--format gitlab") && run.stderr.contains("--format sarif or json"),
        "{}",
        run.stderr
    );
    assert!(!w.join("report.json").exists());
}

/// The GitLab constraints reject a document that breaks any one of them,
/// so the checks above can fail.
#[test]
fn gitlab_constraints_reject_invalid_documents() {
    let good = serde_json::json!({
        "version": "15.2.4",
        "scan": {
            "analyzer": { "id": "k", "name": "k", "version": "1", "vendor": { "name": "k" } },
            "scanner": { "id": "k", "name": "k", "version": "1", "vendor": { "name": "k" } },
            "type": "secret_detection", "status": "success",
            "start_time": "2026-01-02T03:04:05", "end_time": "2026-01-02T03:04:06",
            "messages": [{ "level": "info", "value": "ok" }],
        },
        "vulnerabilities": [{
            "id": "x", "name": "n", "severity": "High",
            "identifiers": [{ "type": "t", "name": "n", "value": "v", "url": "https://example.org/r" }],
            "location": { "file": "a", "commit": { "sha": "abc" } },
        }],
    });
    assert!(crate::support::gitlab_errors(&good).is_empty());
    let broken = [
        (
            "/vulnerabilities/0/location",
            serde_json::json!({ "file": "a" }),
        ),
        ("/scan/end_time", serde_json::json!("2026-01-02T03:04:06Z")),
        ("/scan/type", serde_json::json!("sast")),
        ("/scan/status", serde_json::json!("done")),
        ("/scan/analyzer/vendor/name", serde_json::json!("")),
        (
            "/scan/messages",
            serde_json::json!([{ "level": "debug", "value": "x" }]),
        ),
        ("/version", serde_json::json!("15.2")),
        ("/vulnerabilities/0/id", serde_json::json!("")),
        ("/vulnerabilities/0/identifiers", serde_json::json!([])),
        (
            "/vulnerabilities/0/identifiers/0/url",
            serde_json::json!("https://"),
        ),
        ("/vulnerabilities/0/severity", serde_json::json!("Severe")),
        (
            "/vulnerabilities/0/name",
            serde_json::json!("n".repeat(256)),
        ),
        (
            "/vulnerabilities/0/location/commit/sha",
            serde_json::json!(""),
        ),
    ];
    for (at, value) in broken {
        let mut doc = good.clone();
        *doc.pointer_mut(at)
            .unwrap_or_else(|| panic!("{at} is in the document")) = value;
        assert!(
            !crate::support::gitlab_errors(&doc).is_empty(),
            "a document with {at} changed passed"
        );
    }
}

/// On a terminal the human report is coloured, unless `NO_COLOR` is set or
/// the terminal says it has none (`TERM=dumb`). The terminal is util-linux's
/// `script`, which runs keyward on a pseudo-terminal.
#[test]
fn colour_on_a_terminal_unless_dumb_or_no_color() {
    let w = Work::new();
    w.write("leak.txt", &format!("{}\n", fake::github("ghp_", 94)));
    let on_tty = |env: &str| {
        let cmd = format!("{env} {} scan leak.txt", crate::support::BIN);
        let out = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(w.path())
            .env_remove("NO_COLOR")
            .output()
            .expect("script runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        on_tty("TERM=xterm").contains('\u{1b}'),
        "no colour on a terminal"
    );
    assert!(
        !on_tty("TERM=dumb").contains("\u{1b}["),
        "colour on a dumb terminal"
    );
    assert!(
        !on_tty("TERM=xterm NO_COLOR=1").contains("\u{1b}["),
        "colour with NO_COLOR"
    );
}
