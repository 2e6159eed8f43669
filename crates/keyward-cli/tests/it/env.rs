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
    let default = w.keyward(&["env", "--format", "json"]);
    assert_eq!(default.findings().len(), 0, "drift is low severity");
}
