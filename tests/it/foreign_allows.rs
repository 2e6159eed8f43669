//! Other tools' suppressions (issue 23): gitleaks' and detect-secrets'
//! inline allow comments, `foreign_allows = false` to turn them off, and
//! `.gitleaksignore` in working-tree scans and history audits.

use crate::fake;
use crate::support::Work;

fn triple(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

/// A file with one token under each foreign allow and one under none.
fn allowed_file(w: &Work) {
    w.write(
        "app.py",
        &format!(
            "a = \"{}\"  # gitleaks:allow\nb = \"{}\"  # pragma: allowlist secret\n\
             # pragma: allowlist nextline secret\nc = \"{}\"\nd = \"{}\"\n",
            fake::github("ghp_", 81),
            fake::github("ghp_", 82),
            fake::github("ghp_", 83),
            fake::github("ghp_", 84),
        ),
    );
}

/// `gitleaks:allow` and `pragma: allowlist secret` allow their own line,
/// `pragma: allowlist nextline secret` the line after it; each is counted
/// as an inline suppression.
#[test]
fn foreign_inline_allows_suppress() {
    let w = Work::new();
    allowed_file(&w);
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![triple("github-pat-classic", "app.py", 5)]
    );
    assert!(
        run.stderr.contains("suppressed 3 (3 inline, 0 baseline)"),
        "{}",
        run.stderr
    );
}

/// `foreign_allows = false` in keyward.toml reports what the other tools'
/// comments allowed; `keyward:allow` still applies.
#[test]
fn foreign_allows_can_be_turned_off() {
    let w = Work::new();
    allowed_file(&w);
    w.write(
        "more.py",
        &format!("e = \"{}\"  # keyward:allow\n", fake::github("ghp_", 85)),
    );
    w.write("keyward.toml", "foreign_allows = false\n");
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![
            triple("github-pat-classic", "app.py", 1),
            triple("github-pat-classic", "app.py", 2),
            triple("github-pat-classic", "app.py", 4),
            triple("github-pat-classic", "app.py", 5),
        ]
    );
}

/// Env checks honour the nextline pragma too: the line before a template's
/// key allows it.
#[test]
fn env_checks_honour_the_nextline_pragma() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(
        ".env.example",
        &format!(
            "DEBUG=false\n# pragma: allowlist nextline secret\nGITHUB_TOKEN={}\n",
            fake::github("ghp_", 86)
        ),
    );
    let run = w.keyward(&["env", "--format", "json", "--min-confidence", "low"]);
    assert_eq!(run.rule_path_line(), vec![]);
    w.write("keyward.toml", "foreign_allows = false\n");
    let run = w.keyward(&["env", "--format", "json", "--min-confidence", "low"]);
    assert_eq!(
        run.rule_path_line(),
        vec![triple("env-template-secret", ".env.example", 3)]
    );
}

/// A `file:rule:line` entry suppresses what keyward finds at that place,
/// whatever keyward's rule id; an entry that matches nothing and a
/// malformed line are one warning each.
#[test]
fn gitleaksignore_suppresses_a_tree_finding() {
    let w = Work::repo();
    w.write(
        "src/config.py",
        &format!(
            "# config\nTOKEN = \"{}\"\nOTHER = \"{}\"\n",
            fake::github("ghp_", 87),
            fake::github("ghp_", 88)
        ),
    );
    w.write(
        ".gitleaksignore",
        "# reviewed in 2023\n\nsrc/config.py:github-pat:2\nsrc/config.py:generic-api-key:9\nnot an entry\n",
    );
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![triple("github-pat-classic", "src/config.py", 3)]
    );
    assert!(
        run.stderr.contains(
            "keyward: warning: .gitleaksignore:4: matches no finding (src/config.py:generic-api-key:9)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("keyward: warning: .gitleaksignore:5: not"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(".gitleaksignore:3"), "{}", run.stderr);
    assert!(
        run.stderr.contains("suppressed 1 (0 inline, 1 baseline)"),
        "{}",
        run.stderr
    );
}

/// A `commit:file:rule:line` entry suppresses that commit's finding in a
/// history audit; the same secret brought in again by a later commit is
/// still reported, with that commit.
#[test]
fn gitleaksignore_names_one_commit_in_history() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 89);
    let first = w.commit("deploy.sh", &format!("export T={token}\n"), "add deploy");
    w.commit("README.md", "docs\n", "docs");
    let second = w.commit(
        "deploy.sh",
        &format!("#!/bin/sh\nexport T={token}\n"),
        "shebang",
    );
    let before = w.keyward(&["git", "--format", "json"]);
    assert_eq!(
        before.with_commit("path"),
        vec![("deploy.sh".to_string(), first.clone())]
    );
    w.write(
        ".gitleaksignore",
        &format!("{first}:deploy.sh:github-pat:1\n"),
    );
    let after = w.keyward(&["git", "--format", "json", "--no-cache"]);
    assert_eq!(
        after.with_commit("path"),
        vec![("deploy.sh".to_string(), second.clone())]
    );
    assert_eq!(after.rule_path_line()[0].2, 2);
    assert!(
        !after.stderr.contains("matches no finding"),
        "{}",
        after.stderr
    );
    // An entry naming a commit that did not bring the secret matches nothing.
    w.write(
        ".gitleaksignore",
        &format!("{second}:deploy.sh:github-pat:1\n"),
    );
    let wrong = w.keyward(&["git", "--format", "json"]);
    assert_eq!(
        wrong.with_commit("path"),
        vec![("deploy.sh".to_string(), first)]
    );
    assert!(
        wrong.stderr.contains(&format!(
            "keyward: warning: .gitleaksignore:1: matches no finding ({second}:deploy.sh:github-pat:1)"
        )),
        "{}",
        wrong.stderr
    );
}
