//! Config hygiene through `keyward env` (and `scan`/`git`) on real
//! repositories: ignore rules as git evaluates them, tracking, history,
//! templates, weak secrets and drift.

use crate::fake;
use crate::support::Work;

/// (rule_id, path, line) of `keyward env` at `--min-confidence low`.
fn env(w: &Work, extra: &[&str]) -> Vec<(String, String, u64)> {
    let mut args = vec!["env", "--format", "json", "--min-confidence", "low"];
    args.extend_from_slice(extra);
    w.keyward(&args).rule_path_line()
}

fn t(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.into(), path.into(), line)
}

/// An ignored, untracked `.env` is fine; one that git does not ignore is
/// reported, and so is a repository with no rule for `.env` at all.
#[test]
fn ignored_and_not_ignored() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(".env", "DEBUG=true\n");
    assert_eq!(env(&w, &[]), vec![]);
    let bare = Work::repo();
    bare.write(".env", "DEBUG=true\n");
    assert_eq!(
        env(&bare, &[]),
        vec![
            t("env-not-ignored", ".env", 0),
            t("env-no-ignore-rule", ".gitignore", 0)
        ]
    );
    let run = bare.keyward(&["env"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("add `/.env` to .gitignore"),
        "{}",
        run.stdout
    );
}

/// Ignored but tracked is reported as tracked, with the fix.
#[test]
fn ignored_but_tracked() {
    let mut w = Work::repo();
    w.commit(".env", "DEBUG=true\n", "oops");
    w.commit(".gitignore", ".env\n", "ignore it");
    assert_eq!(env(&w, &[]), vec![t("env-tracked", ".env", 0)]);
    let run = w.keyward(&["env"]);
    assert!(
        run.stdout.contains("git rm --cached .env"),
        "{}",
        run.stdout
    );
}

/// Git's own evaluation: a nested `.gitignore`, `.git/info/exclude`, and a
/// `!.env` negation that re-includes the file.
#[test]
fn nested_exclude_and_negation() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write("config/.gitignore", ".env.local\n");
    w.write("config/.env.local", "A=1\n");
    w.write(".env.production", "A=1\n");
    std::fs::write(w.join(".git/info/exclude"), ".env.production\n").unwrap();
    assert_eq!(env(&w, &[]), vec![]);
    w.write("svc/.gitignore", "!.env\n");
    w.write("svc/.env", "A=1\n");
    assert_eq!(env(&w, &[]), vec![t("env-not-ignored", "svc/.env", 0)]);
}

/// `.env.production` and `config/.env.local` are real env files too.
#[test]
fn variants_are_real_env_files() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(".env.production", "A=1\n");
    w.write("config/.env.local", "A=1\n");
    assert_eq!(
        env(&w, &[]),
        vec![
            t("env-not-ignored", ".env.production", 0),
            t("env-not-ignored", "config/.env.local", 0)
        ]
    );
}

/// A `.env` committed and then deleted is found in history with the commit
/// that added it and the one that removed it, and the secret inside is a
/// finding of its own.
#[test]
fn committed_then_deleted() {
    let mut w = Work::repo();
    w.commit("README.md", "x\n", "init");
    let key = fake::aws_key_id(1);
    let added = w.commit(".env", &format!("AWS_ACCESS_KEY_ID={key}\n"), "add env");
    w.git(&["rm", "-q", ".env"]);
    let removed = w.commit_staged("remove env");
    w.commit(".gitignore", ".env\n", "ignore env");
    let run = w.keyward(&["env", "--history", "--format", "json"]);
    let f = &run.findings()[0];
    assert_eq!(
        (f["rule_id"].as_str(), f["path"].as_str()),
        (Some("env-in-history"), Some(".env"))
    );
    assert_eq!(f["commit"]["id"], added.as_str());
    assert_eq!(f["removed_in"]["id"], removed.as_str());
    assert!(f["remedy"].as_str().unwrap().contains("main"), "{f}");
    let audit = w.keyward(&["git", "--format", "json"]);
    let rules: Vec<String> = audit
        .rule_path_line()
        .into_iter()
        .map(|(r, _, _)| r)
        .collect();
    assert_eq!(rules, vec!["env-in-history", "aws-access-key-id"]);
}

/// Outside a repository the git checks are skipped with a warning.
#[test]
fn non_git_directory_says_what_it_skipped() {
    let w = Work::new();
    w.write(".env", "A=1\n");
    let run = w.keyward(&["env", "--format", "json"]);
    assert_eq!(run.findings().len(), 0);
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
}

/// A template of placeholders is fine; one real key is one finding on its
/// line.
#[test]
fn templates_hold_only_placeholders() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(
        ".env.example",
        "DEBUG=false\nPORT=8000\nLOG_LEVEL=info\nDATABASE_URL=postgres://app:changeme@localhost:5432/app\n\
         SECRET_KEY=\nAPI_TOKEN=<your-token>\nSTRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\nREDIS_URL=${REDIS_URL}\n",
    );
    assert_eq!(env(&w, &[]), vec![]);
    w.write(
        ".env.example",
        &format!(
            "DEBUG=false\nGITHUB_TOKEN={}\nAPI_TOKEN=<your-token>\n",
            fake::github("ghp_", 2)
        ),
    );
    assert_eq!(
        env(&w, &[]),
        vec![t("env-template-secret", ".env.example", 2)]
    );
}

/// Weak signing keys and well-known defaults are findings even in ignored
/// files; a strong key is not.
#[test]
fn weak_and_strong_secret_keys() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(
        ".env",
        &format!(
            "SECRET_KEY=django-insecure-abc123\nDB_PASSWORD=changeme\nJWT_SECRET={}\n",
            fake::token("", 48, 3)
        ),
    );
    assert_eq!(
        env(&w, &[]),
        vec![
            t("env-weak-secret", ".env", 1),
            t("env-weak-secret", ".env", 2)
        ]
    );
}

/// Keys in `.env` missing from the template beside it are low-severity
/// drift.
#[test]
fn drift_from_the_template() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(".env.example", "A=\nB=\n");
    w.write(".env", "A=1\nB=2\nC=3\n");
    assert_eq!(env(&w, &[]), vec![t("env-template-missing-key", ".env", 3)]);
    let medium = w.keyward(&["env", "--format", "json", "--min-confidence", "medium"]);
    assert_eq!(medium.findings().len(), 0, "drift is low severity");
}

/// `keyward env` reports every hygiene check by default, low-confidence
/// drift included; `scan` keeps its medium default.
#[test]
fn env_reports_low_confidence_checks_by_default() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(".env.example", "A=\n");
    w.write(".env", "A=1\nB=2\n");
    let run = w.keyward(&["env", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![t("env-template-missing-key", ".env", 2)]
    );
    assert!(
        run.stdout
            .contains("add `B=` to .env.example so the template documents it"),
        "{}",
        run.stdout
    );
    assert_eq!(w.keyward(&["scan", "--format", "json"]).findings().len(), 0);
}

/// `disable_rules` in keyward.toml turns a hygiene check off, with no
/// "unknown rule" warning.
#[test]
fn disable_rules_turns_a_check_off() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(".env", "SECRET_KEY=changeme\n");
    assert_eq!(env(&w, &[]), vec![t("env-weak-secret", ".env", 1)]);
    w.write("keyward.toml", "disable_rules = [\"env-weak-secret\"]\n");
    let run = w.keyward(&["env", "--format", "json"]);
    assert_eq!(run.rule_path_line(), vec![]);
    assert!(!run.stderr.contains("unknown rule"), "{}", run.stderr);
    let scan = w.keyward(&["scan", "--format", "json"]);
    assert!(!scan.stderr.contains("unknown rule"), "{}", scan.stderr);
}

/// `keyward rules list` shows every hygiene rule, with its confidence and
/// the check it stands for.
#[test]
fn rules_list_shows_hygiene_rules() {
    let w = Work::new();
    let run = w.keyward(&["rules", "list", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let env: Vec<(&str, &str, &str)> = list
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("env-"))
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["confidence"].as_str().unwrap(),
                r["category"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        env,
        vec![
            ("env-no-ignore-rule", "low", "env-hygiene"),
            ("env-tracked", "high", "env-hygiene"),
            ("env-not-ignored", "high", "env-hygiene"),
            ("env-weak-secret", "medium", "env-hygiene"),
            ("env-template-secret", "high", "env-hygiene"),
            ("env-template-missing-key", "low", "env-hygiene"),
            ("env-in-history", "high", "env-hygiene"),
        ]
    );
    assert!(list
        .iter()
        .any(|r| r["id"] == "env-tracked" && r["check"] == "env-tracked"));
    let human = w.keyward(&["rules", "list"]);
    assert!(
        human
            .stdout
            .lines()
            .any(|l| l.starts_with("env-template-missing-key ") && l.contains("low")),
        "{}",
        human.stdout
    );
}

/// The env summary counts the env files and templates read, and their bytes.
#[test]
fn env_summary_counts_files_read() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(".env", "A=1\n");
    w.write(".env.example", "A=\n");
    let run = w.keyward(&["env"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("scanned 2 files (7 B)"),
        "{}",
        run.stderr
    );
}

/// A rule file naming an unknown check is rejected, naming the rule; so
/// is a check rule that also has a pattern.
#[test]
fn unknown_check_is_rejected() {
    let w = Work::new();
    w.write(
        "mine.yaml",
        "rules:\n  - id: my-check\n    name: x\n    category: env-hygiene\n    confidence: low\n    check: no-such-check\n    remedy: fix it\n",
    );
    let run = w.keyward(&["rules", "check", "mine.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("my-check") && run.stderr.contains("unknown check `no-such-check`"),
        "{}",
        run.stderr
    );
    w.write(
        "mine.yaml",
        "rules:\n  - id: my-check\n    name: x\n    category: env-hygiene\n    confidence: low\n    check: env-tracked\n    remedy: fix it\n    pattern: '(?P<secret>abc)'\n",
    );
    let run = w.keyward(&["rules", "check", "mine.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("my-check") && run.stderr.contains("no `pattern`"),
        "{}",
        run.stderr
    );
}

/// Hygiene findings on a line are suppressed by `keyward:allow <id>` there,
/// and any hygiene finding by its fingerprint in a baseline.
#[test]
fn allow_and_baseline_suppress_hygiene_findings() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(
        ".env",
        "SECRET_KEY=changeme # keyward:allow env-weak-secret\nDB_PASSWORD=changeme\n",
    );
    let run = w.keyward(&["env", "--format", "json"]);
    assert_eq!(run.rule_path_line(), vec![t("env-weak-secret", ".env", 2)]);
    assert!(run.stderr.contains("1 inline"), "{}", run.stderr);
    let bare = Work::repo();
    bare.write(".env", "SECRET_KEY=changeme\n");
    assert_eq!(
        env(&bare, &[]),
        vec![
            t("env-not-ignored", ".env", 0),
            t("env-weak-secret", ".env", 1),
            t("env-no-ignore-rule", ".gitignore", 0)
        ]
    );
    let created = bare.keyward(&["baseline", "create", "--min-confidence", "low"]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert_eq!(
        env(&bare, &["--baseline", ".keyward-baseline.json"]),
        vec![]
    );
}

/// A parse problem reaches the user with the file and line, and an
/// unclosed quote does not hide the weak key on its line (issue 22).
#[test]
fn an_unclosed_quote_is_warned_and_its_weak_key_still_found() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(".env", "SECRET_KEY=\"changeme\nDEBUG=1\n");
    let run = w.keyward(&["env", "--format", "json", "--min-confidence", "low"]);
    assert_eq!(run.rule_path_line(), vec![t("env-weak-secret", ".env", 1)]);
    assert!(
        run.stderr
            .contains("warning: .env:1: unclosed double quote"),
        "{}",
        run.stderr
    );
}

/// `--max-file-size` applies to env files too: a larger one is a counted
/// skip, not read.
#[test]
fn max_file_size_applies_to_env_files() {
    let w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.write(
        ".env",
        &format!("SECRET_KEY=changeme\n#{}\n", "x".repeat(2000)),
    );
    let run = w.keyward(&["env", "--format", "json", "--max-file-size", "1K", "-v"]);
    assert!(run.findings().is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("skipped .env: too large"),
        "{}",
        run.stderr
    );
    assert_eq!(env(&w, &[]), vec![t("env-weak-secret", ".env", 1)]);
}

/// A secret in a template is one finding, the secret rule's, in a tree scan
/// as in a history audit (the template check no longer adds a second one
/// at column 1 of the same line).
#[test]
fn a_template_secret_is_one_finding_in_scan_and_git() {
    let mut w = Work::repo();
    w.write(".gitignore", ".env\n");
    w.commit(
        ".env.example",
        &format!("JWT_SECRET={}\nDEBUG=1\n", fake::token("", 40, 31)),
        "template",
    );
    let scan = w.keyward(&["scan", "--format", "json"]).rule_path_line();
    let git = w
        .keyward(&["git", "--no-cache", "--format", "json"])
        .rule_path_line();
    assert_eq!(scan.len(), 1, "{scan:?}");
    assert_eq!(scan, git);
    assert_ne!(scan[0].0, "env-template-secret");
}
