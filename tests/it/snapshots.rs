//! What each report format prints for the same history audit, pinned as
//! snapshots: a change to any format shows as a diff to review. Commits
//! have a fixed identity and date, so their ids are stable; times that
//! change from run to run are replaced before the comparison.

use crate::fake;
use crate::support::Work;

/// A repository whose history holds a secret added then removed, and one
/// still in HEAD.
fn audited() -> Work {
    let mut w = Work::repo();
    w.commit("README.md", "hello\n", "init");
    let key = format!("AWS_KEY = \"{}\"\n", fake::aws_key_id(11));
    w.commit("app/settings.py", &key, "settings");
    w.commit("app/settings.py", "AWS_KEY = None\n", "take the key out");
    let token = fake::github("ghp_", 12);
    w.commit("deploy/ci.yml", &format!("token: {token}\n"), "ci");
    w
}

/// `keyward git` on [`audited`] in `format`, with run-dependent times
/// replaced.
fn report(format: &str) -> String {
    let w = audited();
    let run = w.keyward(&["git", "--no-cache", "--format", format]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    stable(&run.stdout)
}

/// `text` with RFC 3339 times of today and version strings replaced.
fn stable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = if line.contains("start_time") || line.contains("end_time") {
            let key = line.split(':').next().unwrap_or("");
            format!("{key}: \"[time]\",")
        } else {
            line.to_string()
        };
        out.push_str(&line.replace(env!("CARGO_PKG_VERSION"), "[version]"));
        out.push('\n');
    }
    out
}

/// The human report: grouped by file, secrets redacted, commits named.
#[test]
fn human_report() {
    insta::assert_snapshot!("human", report("human"));
}

/// The JSON report: one object per finding, with its commit and lifecycle.
#[test]
fn json_report() {
    insta::assert_snapshot!("json", report("json"));
}

/// The SARIF report: rules in the driver, fingerprints, locations.
#[test]
fn sarif_report() {
    insta::assert_snapshot!("sarif", report("sarif"));
}

/// GitLab's secret-detection report.
#[test]
fn gitlab_report() {
    insta::assert_snapshot!("gitlab", report("gitlab"));
}
