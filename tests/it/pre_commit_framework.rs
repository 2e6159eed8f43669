//! The pre-commit framework's pre-push hook, run by the real `pre-commit`
//! tool (from PyPI; `.ci/run` installs it and names it in
//! `KEYWARD_PRE_COMMIT`). The framework reads git's pre-push input itself
//! and passes its hooks the refs in `PRE_COMMIT_*` variables; keyward's hook
//! entry, as `.pre-commit-hooks.yaml` declares it, reads them. A first
//! `git push -u` of a new branch was refused before (`--since @{upstream}`
//! had no upstream to name).

use std::path::PathBuf;

use crate::fake;
use crate::support::{Work, BIN};

/// The `pre-commit` executable, if there is one.
fn pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KEYWARD_PRE_COMMIT") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("pre-commit"))
            .find(|p| p.is_file())
    })
}

/// The pre-push hook's entry in `.pre-commit-hooks.yaml`, with the binary
/// under test in place of `keyward`.
fn manifest_entry() -> String {
    let manifest = include_str!("../../.pre-commit-hooks.yaml");
    let at = manifest
        .find("id: keyward-pre-push")
        .expect("the pre-push hook is declared");
    let entry = manifest[at..]
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry: "))
        .expect("the hook has an entry");
    let args = entry
        .strip_prefix("keyward ")
        .expect("the entry runs keyward");
    format!("{BIN} {args}")
}

/// A repository with a bare `origin` and the framework's pre-push hook
/// installed, running keyward's entry as a local hook.
fn repo_with_framework(pre_commit: &std::path::Path) -> Work {
    let mut w = Work::repo();
    let remote = w.join("remote.git");
    std::fs::create_dir_all(&remote).unwrap();
    w.git_in(&remote, &["init", "-q", "--bare", "-b", "main"]);
    w.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    w.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n- repo: local\n  hooks:\n  - id: keyward-pre-push\n    name: keyward\n    entry: {}\n    language: system\n    pass_filenames: false\n    always_run: true\n    stages: [pre-push]\n",
            manifest_entry()
        ),
    );
    w.write(".gitignore", "remote.git/\n");
    w.git(&["add", ".pre-commit-config.yaml", ".gitignore"]);
    w.commit("README.md", "hello\n", "init");
    let mut cmd = std::process::Command::new(pre_commit);
    cmd.args(["install", "--hook-type", "pre-push"])
        .current_dir(w.path());
    crate::support::git_env(&mut cmd, 0);
    let out = cmd.output().expect("pre-commit runs");
    assert!(
        out.status.success(),
        "pre-commit install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    w
}

/// Runs `git push` with `args`: whether it succeeded, and what git and the
/// framework printed (the framework writes its hooks' output to stdout).
fn push(w: &Work, args: &[&str]) -> (bool, String) {
    let mut cmd = std::process::Command::new("git");
    cmd.arg("push").args(args).current_dir(w.path());
    crate::support::git_env(&mut cmd, 0);
    let out = cmd.output().expect("git runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn framework_pre_push_scans_new_and_existing_branches() {
    let Some(pre_commit) = pre_commit() else {
        eprintln!(
            "skipped: no pre-commit tool (pip install pre-commit, or set KEYWARD_PRE_COMMIT)"
        );
        return;
    };
    let mut w = repo_with_framework(&pre_commit);
    // A new branch, every commit new, no upstream: a clean first push passes.
    let (ok, out) = push(&w, &["-u", "origin", "main"]);
    assert!(ok, "first push of a clean branch refused: {out}");

    // An existing branch: a commit adding a key is refused, the key named.
    let token = fake::github("ghp_", 91);
    w.commit("app/settings.py", &format!("TOKEN = \"{token}\"\n"), "key");
    let (ok, out) = push(&w, &["origin", "main"]);
    assert!(!ok, "push adding a key passed: {out}");
    assert!(out.contains("app/settings.py"), "{out}");
    w.git(&["reset", "-q", "--hard", "HEAD~1"]);

    // A new branch off main whose second commit adds a key: refused.
    w.git(&["checkout", "-q", "-b", "feature"]);
    w.commit("notes.txt", "notes\n", "notes");
    w.commit(
        "deploy.sh",
        &format!("export T={}\n", fake::github("ghp_", 92)),
        "deploy",
    );
    let (ok, out) = push(&w, &["-u", "origin", "feature"]);
    assert!(!ok, "new branch adding a key passed: {out}");
    assert!(out.contains("deploy.sh"), "{out}");
    // Without the key, the new branch's first push passes.
    w.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let (ok, out) = push(&w, &["-u", "origin", "feature"]);
    assert!(ok, "clean new branch refused: {out}");
}
