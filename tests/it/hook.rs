//! Hooks: `keyward hook install` in a clone of a local bare remote, then
//! real `git push` and `git commit` runs that the hook allows or refuses.

use crate::fake;
use crate::support::Work;

/// A repository whose side repositories (remote, linked worktree, bare
/// clone) live inside its own temp dir, excluded from its work tree, so
/// parallel tests never share one.
fn side_repos() -> Work {
    let w = Work::repo();
    std::fs::write(
        w.join(".git/info/exclude"),
        "remote.git/
linked/
bare.git/
",
    )
    .unwrap();
    w
}

/// A clone-like repository with a bare `origin` beside it and keyward's
/// pre-push hook installed.
fn clone_with_hook() -> Work {
    let mut w = side_repos();
    let remote = w.join("remote.git");
    std::fs::create_dir_all(&remote).unwrap();
    w.git_in(&remote, &["init", "-q", "--bare", "-b", "main"]);
    w.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    w.commit("README.md", "hello\n", "init");
    w.git(&["push", "-q", "origin", "main"]);
    let run = w.keyward(&["hook", "install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    w
}

/// The remote's value of `rev`, or "" when it has none.
fn remote_rev(w: &Work, rev: &str) -> String {
    let remote = w.join("remote.git");
    let mut cmd = std::process::Command::new("git");
    cmd.args(["rev-parse", "--verify", "-q", rev])
        .current_dir(&remote);
    crate::support::git_env(&mut cmd, 0);
    String::from_utf8_lossy(&cmd.output().expect("git runs").stdout)
        .trim()
        .to_string()
}

/// A push that adds a secret is refused with exit 1 and leaves the remote
/// unchanged; after the secret is removed from history the push goes
/// through.
#[test]
fn push_adding_a_secret_is_refused() {
    let mut w = clone_with_hook();
    let before = remote_rev(&w, "main");
    w.commit(
        "app.py",
        &format!("TOKEN = \"{}\"\n", fake::github("ghp_", 1)),
        "add token",
    );
    let (ok, stderr) = w.git_try(&["push", "origin", "main"]);
    assert!(!ok, "push should be refused");
    assert!(
        stderr.contains("github-pat-classic") && stderr.contains("push blocked"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&fake::github("ghp_", 1)),
        "secret printed in clear: {stderr}"
    );
    assert_eq!(remote_rev(&w, "main"), before);
    w.git(&["reset", "-q", "--hard", "HEAD~1"]);
    w.commit(
        "app.py",
        "TOKEN = os.environ[\"TOKEN\"]\n",
        "read token from env",
    );
    let (ok, stderr) = w.git_try(&["push", "origin", "main"]);
    assert!(ok, "{stderr}");
}

/// A secret that is already on the remote never blocks a later push, and a
/// new branch scans only the commits the remote lacks.
#[test]
fn secrets_already_on_the_remote_do_not_block() {
    let mut w = clone_with_hook();
    w.commit(
        "old.py",
        &format!("KEY = \"{}\"\n", fake::aws_key_id(2)),
        "old secret",
    );
    w.git(&["push", "-q", "--no-verify", "origin", "main"]);
    w.commit("more.py", "x = 1\n", "clean change");
    let (ok, stderr) = w.git_try(&["push", "origin", "main"]);
    assert!(ok, "{stderr}");
    w.git(&["checkout", "-q", "-b", "feature"]);
    w.commit("feature.py", "y = 2\n", "clean feature");
    let (ok, stderr) = w.git_try(&["push", "origin", "feature"]);
    assert!(ok, "new branch on top of a known secret: {stderr}");
    w.git(&["checkout", "-q", "-b", "leaky"]);
    w.commit(
        "leak.py",
        &format!("T = \"{}\"\n", fake::github("ghp_", 3)),
        "leak",
    );
    let (ok, _) = w.git_try(&["push", "origin", "leaky"]);
    assert!(!ok, "a new branch adding a secret is refused");
    assert_eq!(remote_rev(&w, "refs/heads/leaky"), "");
}

/// Tags, deletions and force-pushes each do the right thing.
#[test]
fn tags_deletions_and_force_pushes() {
    let mut w = clone_with_hook();
    w.git(&["tag", "-a", "v1", "-m", "v1"]);
    let (ok, stderr) = w.git_try(&["push", "origin", "v1"]);
    assert!(ok, "tag of a pushed commit: {stderr}");
    w.git(&["checkout", "-q", "-b", "side"]);
    w.commit(
        "s.py",
        &format!("K = \"{}\"\n", fake::aws_key_id(4)),
        "side secret",
    );
    w.git(&["tag", "v2"]);
    let (ok, _) = w.git_try(&["push", "origin", "v2"]);
    assert!(!ok, "a tag carrying a new secret is refused");
    w.git(&["checkout", "-q", "main"]);
    w.git(&["push", "-q", "origin", "main:gone"]);
    let (ok, stderr) = w.git_try(&["push", "origin", "--delete", "gone"]);
    assert!(ok, "deletion: {stderr}");
    w.git(&["commit", "-q", "--amend", "-m", "init (reworded)"]);
    let (ok, stderr) = w.git_try(&["push", "-f", "origin", "main"]);
    assert!(ok, "clean force-push: {stderr}");
    w.git(&[
        "commit",
        "-q",
        "--amend",
        "-m",
        &format!("init {}", fake::github("ghp_", 5)),
    ]);
    let (ok, _) = w.git_try(&["push", "-f", "origin", "main"]);
    assert!(
        !ok,
        "force-push adding a secret (in the message) is refused"
    );
}

/// An existing hook is chained and still runs; installing twice changes
/// nothing; uninstall puts the old hook back.
#[test]
fn existing_hook_is_chained_and_restored() {
    let mut w = side_repos();
    let remote = w.join("remote.git");
    std::fs::create_dir_all(&remote).unwrap();
    w.git_in(&remote, &["init", "-q", "--bare", "-b", "main"]);
    w.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    w.commit("README.md", "hello\n", "init");
    let hook = w.join(".git/hooks/pre-push");
    let original = "#!/bin/sh\ncat > \"$(git rev-parse --git-dir)/chained-ran\"\n";
    std::fs::write(&hook, original).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = w.keyward(&["hook", "install"]);
    assert!(run.stderr.contains("runs after keyward"), "{}", run.stderr);
    let twice = w.keyward(&["hook", "install"]);
    assert!(
        twice.stderr.contains("already keyward's"),
        "{}",
        twice.stderr
    );
    let (ok, stderr) = w.git_try(&["push", "origin", "main"]);
    assert!(ok, "{stderr}");
    let seen = std::fs::read_to_string(w.join(".git/chained-ran")).expect("chained hook ran");
    assert!(
        seen.contains("refs/heads/main"),
        "chained hook got the refs on stdin: {seen:?}"
    );
    let run = w.keyward(&["hook", "uninstall"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
}

/// `core.hooksPath` and linked worktrees are honoured; bare repositories
/// are refused.
#[test]
fn hooks_path_worktrees_and_bare() {
    let mut w = side_repos();
    w.commit("a.txt", "a\n", "init");
    w.git(&["config", "core.hooksPath", ".githooks"]);
    assert_eq!(
        w.keyward(&["hook", "install", "--pre-push", "--pre-commit"])
            .code,
        0
    );
    assert!(w.join(".githooks/pre-push").exists() && w.join(".githooks/pre-commit").exists());
    w.git(&["config", "--unset", "core.hooksPath"]);
    let linked = w.join("linked");
    w.git(&[
        "worktree",
        "add",
        "-q",
        linked.to_str().unwrap(),
        "-b",
        "wt",
    ]);
    let run = w.keyward(&["hook", "install", linked.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        w.join(".git/hooks/pre-push").exists(),
        "worktrees share the common hooks dir"
    );
    let bare = w.join("bare.git");
    w.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let run = w.keyward(&["hook", "install", bare.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bare repository"), "{}", run.stderr);
}

/// The pre-commit hook blocks a staged secret, not an unstaged one.
#[test]
fn pre_commit_sees_staged_content_only() {
    let mut w = Work::repo();
    w.commit("a.txt", "a\n", "init");
    assert_eq!(w.keyward(&["hook", "install", "--pre-commit"]).code, 0);
    w.write("notes.txt", &format!("{}\n", fake::aws_key_id(6)));
    w.write("a.txt", "a\nb\n");
    w.git(&["add", "a.txt"]);
    let (ok, stderr) = w.git_try(&["commit", "-q", "-m", "clean staged change"]);
    assert!(ok, "an unstaged secret does not block: {stderr}");
    w.git(&["add", "notes.txt"]);
    let (ok, stderr) = w.git_try(&["commit", "-q", "-m", "staged secret"]);
    assert!(!ok && stderr.contains("commit blocked"), "{stderr}");
}

/// `keyward:allow` and a baseline suppress exactly what they name: a moved
/// line stays suppressed, a new secret on an allowed line is reported.
#[test]
fn allow_and_baseline_suppress_exactly() {
    let w = Work::repo();
    let a = fake::github("ghp_", 7);
    let b = fake::aws_key_id(8);
    w.write("cfg.py", &format!("A = \"{a}\"\nB = \"{b}\"\n"));
    let run = w.keyward(&["baseline", "create"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(w.join(".keyward-baseline.json")).unwrap();
    assert!(
        !text.contains(&a) && !text.contains(&b) && !text.contains("\"line\""),
        "{text}"
    );
    let clean = w.keyward(&[
        "scan",
        "--baseline",
        ".keyward-baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(
        (clean.code, clean.findings().len()),
        (0, 0),
        "{}",
        clean.stderr
    );
    w.write("cfg.py", &format!("# moved\n\nB = \"{b}\"\nA = \"{a}\"\n"));
    let moved = w.keyward(&[
        "scan",
        "--baseline",
        ".keyward-baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(moved.findings().len(), 0, "moved lines stay suppressed");
    let c = fake::github("ghp_", 9);
    w.write("cfg.py", &format!("A = \"{a}\"; C = \"{c}\"\n"));
    let new = w.keyward(&[
        "scan",
        "--baseline",
        ".keyward-baseline.json",
        "--format",
        "json",
        "--report-unused",
    ]);
    assert_eq!(
        new.rule_path_line(),
        vec![("github-pat-classic".into(), "cfg.py".into(), 1)]
    );
    assert!(
        new.stderr
            .contains("unused baseline entry: cfg.py aws-access-key-id"),
        "{}",
        new.stderr
    );
    w.write(
        "cfg.py",
        &format!("A = \"{a}\"  # keyward:allow aws-access-key-id\nB = \"{b}\"  # keyward:allow\n"),
    );
    let allowed = w.keyward(&["scan", "--no-baseline", "--format", "json"]);
    assert_eq!(
        allowed.rule_path_line(),
        vec![("github-pat-classic".into(), "cfg.py".into(), 1)]
    );
}

/// The command a blocked push's message gives, run as written, adds the
/// finding to `.keyward-baseline.json`, which the hook and scans then read
/// without any config; `--no-baseline` turns it off (issue 24).
#[test]
fn following_the_push_message_unblocks_the_push() {
    let mut w = clone_with_hook();
    let token = fake::github("ghp_", 11);
    w.commit("app.py", &format!("TOKEN = \"{token}\"\n"), "add token");
    let (ok, stderr) = w.git_try(&["push", "origin", "main"]);
    assert!(!ok && stderr.contains("push blocked"), "{stderr}");
    let command = stderr
        .split("run `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no command in the message: {stderr}"));
    let args: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(args[0], "keyward", "{command}");
    let run = w.keyward(&args[1..]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (ok, stderr) = w.git_try(&["push", "origin", "main"]);
    assert!(ok, "the push passes once baselined: {stderr}");
    let scan = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(
        (scan.code, scan.findings().len()),
        (0, 0),
        "{}",
        scan.stderr
    );
    let off = w.keyward(&["scan", "--no-baseline", "--format", "json"]);
    assert_eq!(off.findings().len(), 1, "{}", off.stderr);
}

/// A blocked commit's message fits a commit not yet made: unstage or edit
/// the file, rotate only if it was pushed; no amend or rebase (issue 24).
#[test]
fn pre_commit_message_fits_a_commit_not_yet_made() {
    let mut w = Work::repo();
    w.commit("a.txt", "a\n", "init");
    assert_eq!(w.keyward(&["hook", "install", "--pre-commit"]).code, 0);
    w.write("conf/notes.txt", &format!("{}\n", fake::aws_key_id(12)));
    w.git(&["add", "conf/notes.txt"]);
    let (ok, stderr) = w.git_try(&["commit", "-q", "-m", "staged secret"]);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("git restore --staged -- conf/notes.txt")
            && stderr.contains("only if it was ever pushed"),
        "{stderr}"
    );
    for wrong in ["commited", "--amend", "rebase -i", "treat it as leaked"] {
        assert!(!stderr.contains(wrong), "`{wrong}` in: {stderr}");
    }
}

/// Uninstalling a hook that does not exist says so, rather than calling it
/// someone else's (issue 24).
#[test]
fn uninstalling_a_missing_hook_says_there_is_none() {
    let w = Work::repo();
    let run = w.keyward(&["hook", "uninstall", "--pre-push"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no such hook"), "{}", run.stderr);
    assert!(!run.stderr.contains("not keyward's"), "{}", run.stderr);
    w.write(".git/hooks/pre-push", "#!/bin/sh\nexit 0\n");
    let run = w.keyward(&["hook", "uninstall", "--pre-push"]);
    assert!(run.stderr.contains("not keyward's"), "{}", run.stderr);
}
