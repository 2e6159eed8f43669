//! `keyward git`: the full-history audit, ranges, the index, the cache and
//! odd repositories, on real repositories built with the git command.

use serde_json::Value;

use crate::fake;
use crate::support::Work;

/// `keyward git --range BASE..HEAD --format json`.
fn range_to_head(w: &Work, base: &str) -> crate::support::Run {
    w.keyward(&[
        "git",
        "--range",
        &format!("{base}..HEAD"),
        "--format",
        "json",
    ])
}

pub(crate) fn one(run: &crate::support::Run) -> Value {
    let all = run.findings();
    assert_eq!(
        all.len(),
        1,
        "expected one finding: {}\n{}",
        run.stdout,
        run.stderr
    );
    all.into_iter().next().expect("one finding")
}

/// The one finding of `rule`.
pub(crate) fn one_of(run: &crate::support::Run, rule: &str) -> Value {
    let mut of_rule: Vec<Value> = run
        .findings()
        .into_iter()
        .filter(|f| f["rule_id"] == rule)
        .collect();
    assert_eq!(
        of_rule.len(),
        1,
        "expected one {rule} finding: {}",
        run.stdout
    );
    of_rule.remove(0)
}

/// A secret added then removed is one finding with the commit that added it,
/// its author, and the commit that removed it.
#[test]
fn added_then_removed_secret_has_its_lifecycle() {
    let mut w = Work::repo();
    w.commit("README.md", "hello\n", "init");
    let token = fake::github("ghp_", 1);
    let added = w.commit(
        "app/config.py",
        &format!("# cfg\nTOKEN = \"{token}\"\n"),
        "add config",
    );
    w.commit("app/other.py", "x = 1\n", "unrelated");
    let removed = w.commit(
        "app/config.py",
        "# cfg\nTOKEN = os.environ[\"TOKEN\"]\n",
        "use env",
    );
    let run = w.keyward(&["git", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = one(&run);
    assert_eq!(f["rule_id"], "github-pat-classic");
    assert_eq!(f["path"], "app/config.py");
    assert_eq!(f["line"], 2);
    assert_eq!(f["source"], "history");
    assert_eq!(f["commit"]["id"], added.as_str());
    assert_eq!(f["commit"]["author"], "Ada Lovelace");
    assert_eq!(f["commit"]["email"], "ada@example.org");
    assert!(
        f["commit"]["date"]
            .as_str()
            .unwrap()
            .starts_with("2023-11-14T22:"),
        "{}",
        f["commit"]["date"]
    );
    assert_eq!(f["still_in_head"], false);
    assert_eq!(f["removed_in"]["id"], removed.as_str());
}

/// In GitLab's report a history finding carries the commit that added it,
/// not HEAD, and its description tells which commit removed it.
#[test]
fn gitlab_report_names_the_commit_that_added_a_secret() {
    let mut w = Work::repo();
    w.commit("README.md", "hello\n", "init");
    let added = w.commit(
        "app/config.py",
        &format!("TOKEN = \"{}\"\n", fake::github("ghp_", 11)),
        "add config",
    );
    let removed = w.commit("app/config.py", "TOKEN = None\n", "drop it");
    let run = w.keyward(&["git", "--format", "gitlab"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("the report is json");
    let errors = crate::support::gitlab_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let vulns = doc["vulnerabilities"].as_array().expect("a list");
    assert_eq!(vulns.len(), 1);
    let v = &vulns[0];
    assert_eq!(v["location"]["commit"]["sha"], added.as_str());
    assert_eq!(v["location"]["file"], "app/config.py");
    assert_eq!(v["location"]["start_line"], 1);
    let description = v["description"].as_str().unwrap_or_default();
    assert!(
        description.contains(&format!(
            "Removed from the default branch in commit {removed}"
        )),
        "{description}"
    );

    // A secret in a commit message names no file.
    let message = format!("deploy with {}", fake::aws_key_id(12));
    let said = w.commit("notes.txt", "n\n", &message);
    let doc: Value =
        serde_json::from_str(&w.keyward(&["git", "--format", "gitlab"]).stdout).expect("json");
    assert!(crate::support::gitlab_errors(&doc).is_empty());
    let in_message: Vec<&Value> = doc["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["location"]["commit"]["sha"] == said.as_str())
        .collect();
    assert_eq!(in_message.len(), 1, "{doc:#}");
    assert!(in_message[0]["location"].get("file").is_none(), "{doc:#}");
    let description = in_message[0]["description"].as_str().unwrap_or_default();
    assert!(
        description.contains(&format!("in the message of commit {said}")),
        "{description}"
    );
}

/// A secret still at HEAD says so and has no removal commit.
#[test]
fn secret_still_in_head() {
    let mut w = Work::repo();
    w.commit("k.txt", &format!("{}\n", fake::aws_key_id(2)), "add key");
    let f = one(&w.keyward(&["git", "--format", "json"]));
    assert_eq!(f["still_in_head"], true);
    assert_eq!(f["removed_in"], Value::Null);
}

/// Secrets reachable only from a tag, or from a branch that was deleted but
/// whose commits a remaining ref still holds, are found.
#[test]
fn secrets_reachable_from_tags_and_leftover_refs() {
    let mut w = Work::repo();
    w.commit("a.txt", "a\n", "init");
    w.git(&["checkout", "-q", "-b", "release"]);
    let on_tag = w.commit(
        "tagged.txt",
        &format!("{}\n", fake::github("ghp_", 3)),
        "tagged secret",
    );
    w.git(&["tag", "v1"]);
    w.git(&["checkout", "-q", "-b", "feature"]);
    let on_ref = w.commit(
        "feature.txt",
        &format!("{}\n", fake::aws_key_id(4)),
        "feature secret",
    );
    w.git(&["update-ref", "refs/keep/feature", "HEAD"]);
    w.git(&["checkout", "-q", "main"]);
    w.git(&["branch", "-q", "-D", "release", "feature"]);
    let run = w.keyward(&["git", "--format", "json"]);
    let commits = run.with_commit("path");
    assert_eq!(
        commits,
        vec![
            ("feature.txt".into(), on_ref),
            ("tagged.txt".into(), on_tag)
        ]
    );
    let main_only = w.keyward(&["git", "--branch", "main", "--format", "json"]);
    assert_eq!(main_only.findings().len(), 0);
}

/// A renamed file is one finding at its first path, with the new path as an
/// occurrence; the secret is still in HEAD under the new name. (A directory
/// renamed whole on a branch not merged into HEAD's first-parent line keeps
/// its tree id and is not walked again: its files' new paths are not
/// listed.)
#[test]
fn renamed_file_is_one_finding_with_occurrence() {
    let mut w = Work::repo();
    let first = w.commit(
        "old/name.cfg",
        &format!("KEY={}\n", fake::aws_key_id(5)),
        "add",
    );
    std::fs::create_dir(w.join("new")).unwrap();
    w.git(&["mv", "old/name.cfg", "new/renamed.cfg"]);
    let moved = w.commit_staged("rename");
    let f = one(&w.keyward(&["git", "--format", "json"]));
    assert_eq!(f["path"], "old/name.cfg");
    assert_eq!(f["commit"]["id"], first.as_str());
    assert_eq!(
        f["occurrences"],
        serde_json::json!([{ "path": "new/renamed.cfg", "commit": moved }])
    );
    assert_eq!(f["still_in_head"], true);
}

/// Secrets in commit messages are found at `@commit-message`.
#[test]
fn secret_in_commit_message() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 6);
    let id = w.commit("a.txt", "a\n", &format!("deploy with\n\ntoken {token}"));
    let f = one(&w.keyward(&["git", "--format", "json"]));
    assert_eq!(f["path"], "@commit-message");
    assert_eq!(f["line"], 3);
    assert_eq!(f["commit"]["id"], id.as_str());
    // Messages are scanned by the workers as the walk finds them: a secret
    // repeated in a later message is still the first one's, and an inline
    // allow in a message is counted.
    let key = fake::aws_key_id(7);
    let second = w.commit("b.txt", "b\n", &format!("key {key}"));
    for n in 0..40 {
        w.commit("c.txt", &format!("{n}\n"), &format!("step {n}"));
    }
    w.commit("d.txt", "d\n", &format!("again {key}"));
    w.commit(
        "e.txt",
        "e\n",
        &format!("{} keyward:allow", fake::aws_key_id(8)),
    );
    let run = w.keyward(&["git", "--format", "json"]);
    let mut found = run.with_commit("rule_id");
    found.sort();
    assert_eq!(
        found,
        vec![
            ("aws-access-key-id".to_string(), second),
            ("github-pat-classic".to_string(), id.clone()),
        ],
        "{}",
        run.stdout
    );
    let human = w.keyward(&["git"]);
    assert!(
        human.stderr.contains("(1 inline, 0 baseline)"),
        "{}",
        human.stderr
    );
}

/// The same secret in 50 commits (the file changes each time) is one
/// finding that counts the other sightings.
#[test]
fn same_secret_in_fifty_commits_is_one_finding() {
    let mut w = Work::repo();
    let key = fake::aws_key_id(7);
    let first = w.commit(
        "settings.py",
        &format!("KEY = \"{key}\"\nVERSION = 0\n"),
        "v0",
    );
    for i in 1..50 {
        w.commit(
            "settings.py",
            &format!("KEY = \"{key}\"\nVERSION = {i}\n"),
            &format!("v{i}"),
        );
    }
    let f = one(&w.keyward(&["git", "--format", "json"]));
    assert_eq!(f["commit"]["id"], first.as_str());
    let listed = f["occurrences"].as_array().unwrap().len() as u64;
    assert_eq!(listed + f["more_occurrences"].as_u64().unwrap(), 49);
}

/// `--range` reports only secrets added in the range, not ones already
/// present in the file before it; `--since` is the same as REF..HEAD.
#[test]
fn range_scans_added_lines_only() {
    let mut w = Work::repo();
    let old = fake::github("ghp_", 8);
    let new = fake::aws_key_id(9);
    w.commit("cfg.txt", &format!("a\n{old}\nb\n"), "old secret");
    let base = w.git(&["rev-parse", "HEAD"]);
    w.commit(
        "cfg.txt",
        &format!("a\n{old}\nb\nkey={new}\n"),
        "new secret",
    );
    w.commit(
        "cfg.txt",
        &format!("z\na\n{old}\nb\nkey={new}\n"),
        "shift lines",
    );
    let run = range_to_head(&w, &base);
    assert_eq!(
        run.rule_path_line(),
        vec![("aws-access-key-id".into(), "cfg.txt".into(), 4)]
    );
    let since = w.keyward(&["git", "--since", &base, "--format", "json"]);
    assert_eq!(since.stdout, run.stdout);
    assert!(run.stderr.contains("scanned 2 commits"), "{}", run.stderr);
    let bad = w.keyward(&["git", "--range", "nope..HEAD"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

/// In a range, a line that moves within its file, or is copied from a line
/// the file already had, is not new; a new secret among moved lines is
/// reported at its line in the new file, CRLF or not.
#[test]
fn range_ignores_moved_and_repeated_lines() {
    let mut w = Work::repo();
    let old = fake::github("ghp_", 12);
    let new = fake::aws_key_id(13);
    w.commit("cfg.txt", &format!("a\r\n{old}\r\nb\r\n"), "old secret");
    let base = w.git(&["rev-parse", "HEAD"]);
    w.commit(
        "cfg.txt",
        &format!("b\r\nkey={new}\r\na\r\n{old}\r\nz\r\n{old}\r\n"),
        "move, copy and add",
    );
    let run = range_to_head(&w, &base);
    assert_eq!(
        run.rule_path_line(),
        vec![("aws-access-key-id".into(), "cfg.txt".into(), 2)]
    );
}

/// A multi-line secret counts as added when any of its lines is: a second
/// key appended after a first (its header line repeats one the file
/// already had) and a key whose body was replaced in place are both
/// reported; the first, unchanged key is not.
#[test]
fn range_reports_multiline_secrets_with_any_added_line() {
    let mut w = Work::repo();
    let first = fake::rsa_private_key(21);
    w.commit("keys.pem", &first, "one key");
    let base = w.git(&["rev-parse", "HEAD"]);
    let second = fake::rsa_private_key(22);
    w.commit(
        "keys.pem",
        &format!("{first}{second}"),
        "append a second key",
    );
    let run = range_to_head(&w, &base);
    let second_line = first.lines().count() as u64 + 1;
    assert_eq!(
        run.rule_path_line(),
        vec![("private-key".into(), "keys.pem".into(), second_line)]
    );

    let rotated = w.git(&["rev-parse", "HEAD"]);
    let third = fake::rsa_private_key(23);
    w.commit(
        "keys.pem",
        &format!("{third}{second}"),
        "rotate the first key",
    );
    let run = range_to_head(&w, &rotated);
    assert_eq!(
        run.rule_path_line(),
        vec![("private-key".into(), "keys.pem".into(), 1)]
    );
}

/// A changed file whose content cannot be read fails a range scan (exit
/// 2, naming the file) instead of passing it as clean.
#[test]
fn range_fails_closed_on_an_unreadable_blob() {
    let mut w = Work::repo();
    w.commit("a.txt", "a\n", "init");
    let base = w.git(&["rev-parse", "HEAD"]);
    w.commit("b.txt", &format!("{}\n", fake::github("ghp_", 24)), "add b");
    let blob = w.git(&["rev-parse", "HEAD:b.txt"]);
    let loose = w.join(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..]));
    std::fs::remove_file(&loose).expect("the new blob is a loose object");
    let run = range_to_head(&w, &base);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stderr.contains("b.txt"), "stderr: {}", run.stderr);
}

/// `--staged` sees the index, not the working tree.
#[test]
fn staged_scans_the_index_only() {
    let mut w = Work::repo();
    w.commit("a.txt", "a\n", "init");
    w.write("staged.txt", &format!("{}\n", fake::github("ghp_", 10)));
    w.git(&["add", "staged.txt"]);
    w.write("unstaged.txt", &format!("{}\n", fake::aws_key_id(11)));
    w.write("staged.txt", "edited after staging\n");
    let run = w.keyward(&["git", "--staged", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![("github-pat-classic".into(), "staged.txt".into(), 1)]
    );
    assert_eq!(run.findings()[0]["source"], "staged");
}

/// The cache makes a second audit scan zero blobs and report the same
/// findings; `--no-cache` scans everything again.
#[test]
fn cache_skips_scanned_blobs() {
    let mut w = Work::repo();
    w.commit("a.txt", &format!("{}\n", fake::github("ghp_", 12)), "one");
    w.commit("b.txt", "clean\n", "two");
    let first = w.keyward(&["git", "--format", "json"]);
    assert!(
        first.stderr.contains("2 blobs") && !first.stderr.contains("from cache"),
        "{}",
        first.stderr
    );
    let second = w.keyward(&["git", "--format", "json"]);
    assert!(
        second.stderr.contains("2 blobs (0 B, 2 from cache)"),
        "{}",
        second.stderr
    );
    assert_eq!(second.stdout, first.stdout);
    w.commit("c.txt", "new\n", "three");
    let third = w.keyward(&["git", "--format", "json"]);
    assert!(
        third.stderr.contains("3 blobs (4 B, 2 from cache)"),
        "{}",
        third.stderr
    );
    let uncached = w.keyward(&["git", "--no-cache", "--format", "json"]);
    assert!(
        !uncached.stderr.contains("from cache"),
        "{}",
        uncached.stderr
    );
}

/// Bare repositories are audited like any other.
#[test]
fn bare_repository() {
    let mut w = Work::repo();
    w.commit("a.txt", &format!("{}\n", fake::github("ghp_", 13)), "one");
    let bare = w.join("bare.git");
    w.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let run = w.keyward(&["git", bare.to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![("github-pat-classic".into(), "a.txt".into(), 1)]
    );
}

/// Odd repositories get a clear message: empty (exit 0), not a repository
/// (exit 2), shallow (names what it could not see), detached HEAD (works).
#[test]
fn odd_repositories() {
    let empty = Work::repo();
    let run = empty.keyward(&["git"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no commits"), "{}", run.stderr);

    let plain = Work::new();
    let not_repo = plain.keyward(&["git"]);
    assert_eq!(not_repo.code, 2);
    assert!(
        not_repo.stderr.contains("not a git repository"),
        "{}",
        not_repo.stderr
    );

    let mut w = Work::repo();
    w.commit("a.txt", &format!("{}\n", fake::github("ghp_", 14)), "one");
    w.commit("b.txt", "b\n", "two");
    w.commit("c.txt", "c\n", "three");
    let url = format!("file://{}", w.path().display());
    let shallow = w.join("shallow");
    w.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        shallow.to_str().unwrap(),
    ]);
    let run = w.keyward(&["git", shallow.to_str().unwrap(), "--format", "json"]);
    assert!(run.stderr.contains("shallow clone"), "{}", run.stderr);
    assert_eq!(run.findings().len(), 1, "the shallow tip still holds a.txt");

    w.git(&["checkout", "-q", "--detach", "HEAD~1"]);
    let detached = w.keyward(&["git", "--format", "json"]);
    assert_eq!(detached.findings().len(), 1);
}

/// A range scan reads the messages of the range's commits, not older ones.
#[test]
fn range_scans_commit_messages() {
    let mut w = Work::repo();
    w.commit("a.txt", "a\n", &format!("old {}", fake::github("ghp_", 15)));
    let base = w.git(&["rev-parse", "HEAD"]);
    let id = w.commit("b.txt", "b\n", &format!("new\n{}", fake::aws_key_id(16)));
    let run = w.keyward(&[
        "git",
        "--range",
        &format!("{base}..HEAD"),
        "--format",
        "json",
    ]);
    let f = one(&run);
    assert_eq!(f["rule_id"], "aws-access-key-id");
    assert_eq!(
        (f["path"].as_str(), f["line"].as_u64()),
        (Some("@commit-message"), Some(2))
    );
    assert_eq!(f["commit"]["id"], id.as_str());
}

/// Two audits print the same bytes whatever the number of workers, down to
/// the order and cap of occurrences.
#[test]
fn audit_output_is_deterministic() {
    let mut w = Work::repo();
    let key = fake::aws_key_id(17);
    for i in 0..30 {
        w.commit(
            &format!("d{}/f{i}.py", i % 3),
            &format!("KEY = \"{key}\"\nN = {i}\n"),
            &format!("c{i}"),
        );
    }
    let a = w.keyward(&["git", "--no-cache", "--threads", "4", "--format", "json"]);
    let b = w.keyward(&["git", "--no-cache", "--threads", "1", "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.findings()[0]["more_occurrences"], 9);
}

/// Errors about the repository or a range are one line in the user's terms,
/// without libgit2's class and code (issue 24).
#[test]
fn git_errors_are_one_plain_line() {
    let plain = Work::new();
    let run = plain.keyward(&["git"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "keyward: error: .: not a git repository (nor is any parent directory): run keyward inside one, or name one\n"
    );
    let mut w = Work::repo();
    w.commit("a.txt", "a\n", "one");
    for (spec, line) in [
        (
            "a..b..c",
            "keyward: error: `a..b..c` is not a revision range: use A..B (two revisions, such as main..feature)\n",
        ),
        (
            "nope..HEAD",
            "keyward: error: `nope..HEAD`: unknown revision `nope`: name a branch, tag or commit this repository has\n",
        ),
    ] {
        let run = w.keyward(&["git", "--range", spec]);
        assert_eq!((run.code, run.stderr.as_str()), (2, line));
        assert!(!run.stderr.contains("class=") && !run.stderr.contains("code="));
    }
}
