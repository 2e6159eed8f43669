//! The GitHub Action's scan (scripts/action-scan.sh) run as action.yml runs
//! it: the event's environment variables, the real keyward binary, real
//! repositories; each test reads the SARIF report the script leaves.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::fake;
use crate::support::{git_env, Run, Work, BIN};

const ZEROS: &str = "0000000000000000000000000000000000000000";

/// A repository whose first commit (on `main`) already holds an AWS key id
/// and whose second adds a GitHub token (`with_secret`) or a harmless
/// line; returns it with the two commit ids.
fn repo(with_secret: bool) -> (Work, String, String) {
    let mut w = Work::repo();
    let base = w.commit(
        "old.env",
        &format!("KEY={}\n", fake::aws_key_id(31)),
        "base",
    );
    let added = if with_secret {
        format!("TOKEN={}\n", fake::github("ghp_", 32))
    } else {
        "TOKEN=read-from-the-vault\n".to_string()
    };
    let head = w.commit("app/config.env", &added, "head");
    (w, base, head)
}

/// Runs the action's script in `w` with the action's variables `env`
/// (the report goes to keyward.sarif there); returns the run and the
/// report, when written.
fn scan(w: &Work, env: &[(&str, &str)]) -> (Run, Option<Value>) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/action-scan.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(script).current_dir(w.path());
    git_env(&mut cmd, 0);
    for (key, _) in std::env::vars() {
        if key.starts_with("GITHUB_") || key.starts_with("KEYWARD_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("NO_COLOR", "1")
        .env("KEYWARD_BIN", BIN)
        .env("KEYWARD_OUTPUT", "keyward.sarif")
        .envs(env.iter().copied());
    let out = cmd.output().expect("bash runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let report = std::fs::read_to_string(w.join("keyward.sarif"))
        .ok()
        .map(|text| serde_json::from_str(&text).expect("the report is json"));
    (run, report)
}

/// The (rule, file) of every result of a SARIF report, after checking the
/// report against the SARIF 2.1.0 schema.
fn results(report: &Value) -> Vec<(String, String)> {
    let errors: Vec<String> = crate::support::sarif_validator()
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut out: Vec<(String, String)> = report["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            (
                r["ruleId"].as_str().expect("ruleId").to_string(),
                uri.as_str().expect("uri").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pull_request<'a>(base: &'a str, head: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("KEYWARD_BASE", base),
        ("KEYWARD_HEAD", head),
    ]
}

/// A pull request adding a token: exit 1 and a SARIF result for the token
/// only, not for the key its base already held.
#[test]
fn pull_request_adding_a_secret_fails_with_its_finding() {
    let (w, base, head) = repo(true);
    let (run, report) = scan(&w, &pull_request(&base, &head));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = report.expect("a SARIF report");
    assert_eq!(
        results(&report),
        vec![("github-pat-classic".into(), "app/config.env".into())],
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains(&fake::github("ghp_", 32)));
}

/// A pull request adding no secret: exit 0 and a SARIF report without
/// results.
#[test]
fn clean_pull_request_passes_with_an_empty_report() {
    let (w, base, head) = repo(false);
    let (run, report) = scan(&w, &pull_request(&base, &head));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(results(&report.expect("a SARIF report")), vec![]);
}

/// A pull request whose base the clone lacks (a shallow checkout) is an
/// error, exit 2, that says how to check out.
#[test]
fn pull_request_base_missing_from_the_clone_is_an_error() {
    let (w, _, head) = repo(true);
    let (run, report) = scan(&w, &pull_request(&"1".repeat(40), &head));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
    assert!(report.is_none());
}

/// A push scans the pushed range, before..sha; a before the clone lacks
/// (a force push) falls back to the new-branch scan.
#[test]
fn push_scans_the_pushed_commits() {
    let (w, base, head) = repo(true);
    let env = [
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
        ("KEYWARD_BASE", base.as_str()),
        ("KEYWARD_HEAD", head.as_str()),
        ("KEYWARD_DEFAULT_BRANCH", "main"),
    ];
    let (run, report) = scan(&w, &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        results(&report.expect("a SARIF report")),
        vec![("github-pat-classic".into(), "app/config.env".into())]
    );
    // After a force push the old tip is not in the clone: a warning, and
    // the pushed branch (the default one) is audited whole.
    let gone = "1".repeat(40);
    let env = [
        env[0],
        env[1],
        ("KEYWARD_BASE", gone.as_str()),
        env[3],
        env[4],
    ];
    let (run, report) = scan(&w, &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    assert!(run.stderr.contains("whole history"), "{}", run.stderr);
    assert!(results(&report.expect("a SARIF report")).len() >= 2);
}

/// A new branch (before all zeros) is audited over its whole history when
/// the clone has no origin/DEFAULT, else scanned from where it leaves the
/// default branch.
#[test]
fn push_of_a_new_branch_scans_what_the_default_branch_lacks() {
    let (w, base, head) = repo(true);
    w.git(&["checkout", "-q", "-b", "feature"]);
    let env = [
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/feature"),
        ("KEYWARD_BASE", ZEROS),
        ("KEYWARD_HEAD", head.as_str()),
        ("KEYWARD_DEFAULT_BRANCH", "main"),
    ];
    let (run, report) = scan(&w, &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("whole history"), "{}", run.stderr);
    // The audit also reports env files ever committed (env-in-history).
    let everything = results(&report.expect("a SARIF report"));
    for found in [
        ("aws-access-key-id", "old.env"),
        ("github-pat-classic", "app/config.env"),
    ] {
        let found = (found.0.to_string(), found.1.to_string());
        assert!(everything.contains(&found), "{everything:?}");
    }

    w.git(&["update-ref", "refs/remotes/origin/main", &base]);
    let (run, report) = scan(&w, &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("not on origin/main"), "{}", run.stderr);
    assert_eq!(
        results(&report.expect("a SARIF report")),
        vec![("github-pat-classic".into(), "app/config.env".into())]
    );
}

/// Extra arguments reach keyward: `--exit-zero` turns findings into exit 0
/// and the report still holds them.
#[test]
fn extra_arguments_reach_keyward() {
    let (w, base, head) = repo(true);
    let mut env = pull_request(&base, &head).to_vec();
    env.push(("KEYWARD_ARGS", "--exit-zero  --min-confidence low"));
    let (run, report) = scan(&w, &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(results(&report.expect("a SARIF report")).len(), 1);
}
