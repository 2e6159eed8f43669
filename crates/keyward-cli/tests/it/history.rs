//! `keyward git`: the full-history audit, ranges, the index, the cache and
//! odd repositories, on real repositories built with the git command.

use serde_json::Value;

use crate::fake;
use crate::support::{tree_entry, Work};

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

fn one(run: &crate::support::Run) -> Value {
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
fn one_of(run: &crate::support::Run, rule: &str) -> Value {
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

/// A long file (scanned against its previous version once it is edited):
/// `lines` numbered filler lines, with `inserts` placed before given lines.
fn long_file(lines: usize, inserts: &[(usize, &str)]) -> String {
    let mut out = String::new();
    for n in 1..=lines {
        for (at, text) in inserts {
            if *at == n {
                out.push_str(text);
                out.push('\n');
            }
        }
        out.push_str(&format!("// filler line {n} of a long source file\n"));
    }
    out
}

/// The audit of the repository's objects as they are (loose, as commits
/// leave them), then once they are packed with deltas: the reports are the
/// same, whether each blob was read and scanned whole or decoded in pack
/// order and searched where its delta changed it. Returns the second.
fn audit_loose_and_packed(w: &Work) -> crate::support::Run {
    let (packed, searched) = audit_both_ways(w);
    assert!(
        searched > 0,
        "no blob was searched as a delta: {}",
        packed.stderr
    );
    packed
}

/// [`audit_loose_and_packed`] without the check that a blob was searched
/// as a delta; with how many were.
fn audit_both_ways(w: &Work) -> (crate::support::Run, usize) {
    let loose = w.keyward(&["git", "--no-cache", "--format", "json"]);
    let (_, deltas) = w.pack();
    assert!(deltas > 0, "git stored no blob as a delta");
    // -v also says how many blobs the pack pass searched where their delta
    // changed them.
    let packed = w.keyward(&["git", "--no-cache", "--format", "json", "-v"]);
    assert!(
        !packed.stderr.contains("cannot read the pack")
            && !packed.stderr.contains("cannot open the pack"),
        "{}",
        packed.stderr
    );
    let searched = delta_searched(&packed);
    assert_eq!(loose.code, packed.code, "{}", packed.stderr);
    assert_eq!(
        loose.findings(),
        packed.findings(),
        "loose and packed audits differ ({deltas} blobs stored as deltas)"
    );
    (packed, searched)
}

/// How many blobs an audit run with `-v` says the pack pass searched where
/// their delta changed them.
fn delta_searched(run: &crate::support::Run) -> usize {
    run.stderr
        .lines()
        .find_map(|l| l.strip_prefix("searched "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no pack pass count: {}", run.stderr))
}

/// Commits three versions of `src/app.py`, `lines` long, each holding
/// `kept` (a line number and its text) and a line at `edited` that changes.
fn edit_three_times(w: &mut Work, lines: usize, kept: (usize, &str), edited: usize) {
    for n in 0..3 {
        let edit = format!("x = {n}");
        w.commit(
            "src/app.py",
            &long_file(lines, &[kept, (edited, &edit)]),
            &format!("edit {n}"),
        );
    }
}

/// A clone that borrows its objects (`git clone --shared`: the original's
/// object directory in `info/alternates`) is audited from the packs it
/// borrows, as the original is: the same findings, blobs searched as
/// deltas.
#[test]
fn a_clone_sharing_objects_reads_the_borrowed_packs() {
    let mut w = Work::repo();
    let line = format!("TOKEN = \"{}\"", fake::github("ghp_", 43));
    edit_three_times(&mut w, 300, (10, &line), 200);
    w.pack();
    let args = ["git", "--no-cache", "--format", "json", "-v"];
    let original = w.keyward(&args);
    let clone = Work::new();
    let from = w.path().to_str().unwrap();
    clone.git(&["clone", "-q", "--shared", from, "."]);
    assert!(clone.join(".git/objects/info/alternates").is_file());
    let borrowed = clone.keyward(&args);
    assert_eq!(borrowed.code, 1, "{}", borrowed.stderr);
    assert_eq!(borrowed.findings(), original.findings());
    assert!(delta_searched(&original) > 0, "{}", original.stderr);
    assert_eq!(delta_searched(&borrowed), delta_searched(&original));
}

/// A commit grafted onto another parent (`info/grafts`) is compared with
/// the parent the revwalk followed, packed or not: a file it shares with
/// its recorded parent but not with its grafted one is new in it.
#[test]
fn a_grafted_commit_is_compared_with_its_grafted_parent() {
    let mut w = Work::repo();
    let key = format!("KEY={}\n", fake::aws_key_id(140));
    w.commit("k.txt", &key, "the key");
    w.git(&["checkout", "-q", "--orphan", "other"]);
    w.git(&["rm", "-rqf", "."]);
    let grafted = w.commit("other.txt", "no secret\n", "elsewhere");
    w.git(&["checkout", "-q", "main"]);
    let child = w.commit("more.txt", "x = 1\n", "child of the key");
    // The other line is reachable through the graft alone.
    w.git(&["branch", "-D", "-q", "other"]);
    std::fs::write(w.join(".git/info/grafts"), format!("{child} {grafted}\n")).unwrap();
    for packed in [false, true] {
        if packed {
            w.git(&["repack", "-adq"]);
        }
        let run = w.keyward(&["git", "--no-cache", "--format", "json"]);
        let f = one(&run);
        assert_eq!(f["path"], "k.txt", "packed: {packed}");
        assert_eq!(f["commit"]["id"], child.as_str(), "packed: {packed}");
    }
}

/// A history in two packs (as an incremental `git repack` leaves it) is
/// reported as it is loose.
#[test]
fn a_history_in_two_packs_is_audited_whole() {
    let mut w = Work::repo();
    let line = format!("TOKEN = \"{}\"", fake::github("ghp_", 44));
    edit_three_times(&mut w, 200, (5, &line), 100);
    w.git(&["repack", "-dq"]);
    let key = format!("KEY={}\n", fake::aws_key_id(141));
    w.commit("later.cfg", &key, "a key");
    w.commit(
        "src/app.py",
        &long_file(200, &[(100, "x = 9")]),
        "token gone",
    );
    let args = ["git", "--no-cache", "--format", "json"];
    let loose = w.keyward(&args);
    w.git(&["repack", "-dq"]);
    let packs = std::fs::read_dir(w.join(".git/objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pack")
        })
        .count();
    assert_eq!(packs, 2);
    let packed = w.keyward(&args);
    assert_eq!(loose.findings().len(), 2, "{}", loose.stdout);
    assert_eq!(packed.findings(), loose.findings());
}

/// Edits far from a secret in a long file (versions scanned only where they
/// changed) still hold it: the secret's sightings list every version, and
/// its removal is dated to the commit that took its line out, not to the
/// first edit after it came in.
#[test]
fn edits_elsewhere_in_a_file_keep_its_secret() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 41);
    let line = format!("TOKEN = \"{token}\"");
    let added = w.commit("src/app.py", &long_file(300, &[(10, &line)]), "add");
    let edit1 = w.commit(
        "src/app.py",
        &long_file(300, &[(10, &line), (200, "x = 1")]),
        "edit far below",
    );
    let edit2 = w.commit(
        "src/app.py",
        &long_file(300, &[(10, &line), (200, "x = 2"), (250, "y = 3")]),
        "edit again",
    );
    let run = audit_loose_and_packed(&w);
    let f = one(&run);
    assert_eq!(f["commit"]["id"], added.as_str());
    assert_eq!(f["line"], 10);
    assert_eq!(f["still_in_head"], true, "{f}");
    let sightings: Vec<&str> = f["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["commit"].as_str().unwrap())
        .collect();
    assert_eq!(sightings, vec![edit1.as_str(), edit2.as_str()]);

    let removed = w.commit(
        "src/app.py",
        &long_file(300, &[(200, "x = 2"), (250, "y = 3")]),
        "remove the token",
    );
    w.commit(
        "src/app.py",
        &long_file(300, &[(200, "x = 4"), (250, "y = 3")]),
        "later edit",
    );
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["still_in_head"], false, "{f}");
    assert_eq!(f["removed_in"]["id"], removed.as_str());
}

/// A value that becomes a secret because the line before it changed (a key
/// renamed above a YAML value) is found in the version that renamed it,
/// though the value's own line did not change.
#[test]
fn a_changed_neighbour_line_is_searched() {
    let mut w = Work::repo();
    let value = fake::token("", 40, 42);
    let before = format!("aws_note:\n  {value}");
    w.commit(
        "deploy/config.yaml",
        &long_file(300, &[(150, &before)]),
        "a note",
    );
    let quiet = w.keyward(&["git", "--format", "json"]);
    assert!(quiet.findings().is_empty(), "{}", quiet.stdout);
    let after = format!("aws_secret_access_key:\n  {value}");
    let renamed = w.commit(
        "deploy/config.yaml",
        &long_file(300, &[(150, &after)]),
        "rename the key",
    );
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["rule_id"], "aws-secret-access-key");
    assert_eq!(f["commit"]["id"], renamed.as_str());
    assert_eq!(f["line"], 151);
}

/// A version whose previous version was not scanned (binary: it held a NUL
/// byte) is scanned whole, though most of its lines did not change.
#[test]
fn a_version_after_a_binary_one_is_scanned_whole() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 43);
    let text = long_file(300, &[(100, &format!("TOKEN = \"{token}\""))]);
    w.commit("data/blob.txt", &format!("\0\n{text}"), "binary");
    let text_commit = w.commit("data/blob.txt", &format!("header\n{text}"), "text");
    let (packed, searched) = audit_both_ways(&w);
    // Whichever of the two git made the delta, the text is scanned whole.
    assert_eq!(searched, 0, "{}", packed.stderr);
    let f = one(&packed);
    assert_eq!(f["commit"]["id"], text_commit.as_str());
    assert_eq!(f["line"], 101);
}

/// The cache records every match each version holds, however it was
/// scanned (here, packed, one version is a delta of the other and takes the
/// token from it), and a second audit reads every version back from it
/// with the same findings and lifecycle.
#[test]
fn cache_keeps_every_match_of_each_version() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 44);
    let line = format!("TOKEN = \"{token}\"");
    w.commit("src/app.py", &long_file(300, &[(10, &line)]), "add");
    w.commit(
        "src/app.py",
        &long_file(300, &[(10, &line), (200, "x = 1")]),
        "edit",
    );
    let (_, deltas) = w.pack();
    assert_eq!(deltas, 1);
    let first = w.keyward(&["git", "--format", "json"]);
    let cache_dir = w.join(".git/keyward");
    let entries: String = std::fs::read_dir(&cache_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for version in ["HEAD:src/app.py", "HEAD~1:src/app.py"] {
        let id = w.git(&["rev-parse", version]);
        let entry = entries
            .lines()
            .find(|l| l.starts_with(&id))
            .unwrap_or_else(|| panic!("no entry for {version}: {entries}"));
        let fields: Vec<&str> = entry.split(' ').collect();
        assert_eq!(fields.len(), 2, "{entry}");
        let parts: Vec<&str> = fields[1].split(':').collect();
        assert_eq!(parts.len(), 5, "{entry}");
        let (start, end): (usize, usize) = (parts[1].parse().unwrap(), parts[2].parse().unwrap());
        let text = w.git(&["cat-file", "blob", version]);
        assert_eq!(&text[start..end], token, "{entry}");
    }
    let second = w.keyward(&["git", "--format", "json"]);
    assert!(
        second.stderr.contains("2 blobs (0 B, 2 from cache)"),
        "{}",
        second.stderr
    );
    assert_eq!(first.findings(), second.findings());
    assert_eq!(one(&second)["still_in_head"], true);
}

/// A pack that cannot be read to its end (a blob's compressed bytes
/// damaged) is said so; the blobs the pack pass did not reach are read one
/// by one, the damaged one is counted as unreadable, and the secrets in the
/// others are all reported.
#[test]
fn a_damaged_pack_is_said_and_its_other_blobs_still_scanned() {
    let mut w = Work::repo();
    let tokens: Vec<String> = (0..3).map(|i| fake::github("ghp_", 60 + i)).collect();
    for (i, token) in tokens.iter().enumerate() {
        let line = format!("TOKEN = \"{token}\"");
        w.commit(
            &format!("src/app{i}.py"),
            &long_file(100, &[(5, &line)]),
            "add",
        );
    }
    // Incompressible text, so its bytes in the pack are its own.
    let noise = fake::base64_bytes(30_000, 61);
    let noise_commit = w.commit("data/noise.txt", &noise, "noise");
    let (idx, _) = w.pack();
    let id = w.git(&["rev-parse", &format!("{noise_commit}:data/noise.txt")]);
    let listing = w.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
    let offset: usize = listing
        .lines()
        .find(|l| l.starts_with(&id))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|o| o.parse().ok())
        .expect("the noise blob's offset");
    let pack = idx.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    for b in &mut bytes[offset + 1000..offset + 1100] {
        *b = !*b;
    }
    // Packs are written read-only.
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();

    let run = w.keyward(&["git", "--no-cache", "--format", "json", "-v"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read the pack to its end"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("data/noise.txt") && run.stderr.contains("unreadable"),
        "{}",
        run.stderr
    );
    let found: Vec<String> = run
        .findings()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, vec!["src/app0.py", "src/app1.py", "src/app2.py"]);
}

/// A pack completed from a thin one (as a fetch leaves it before `git gc`)
/// holds deltas made on bases appended after them: the pack pass still
/// decodes them in order and searches them as deltas.
#[test]
fn a_pack_with_forward_delta_bases_is_read() {
    let mut w = Work::repo();
    let tokens: Vec<String> = (0..2).map(|i| fake::github("ghp_", 70 + i)).collect();
    let line = |i: usize| format!("TOKEN_{i} = \"{}\"", tokens[i]);
    w.commit("src/app.py", &long_file(300, &[]), "base");
    w.git(&["tag", "base"]);
    w.commit("src/app.py", &long_file(300, &[(100, &line(0))]), "one");
    w.commit(
        "src/app.py",
        &long_file(300, &[(100, &line(0)), (200, &line(1))]),
        "two",
    );
    let run = |dir: &std::path::Path, args: &[&str], stdin: &[u8]| -> Vec<u8> {
        use std::io::Write;
        let mut cmd = std::process::Command::new("git");
        cmd.args(args)
            .current_dir(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        crate::support::git_env(&mut cmd, 3);
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        out.stdout
    };
    // A thin pack of what `base` lacks, its deltas made on objects outside it.
    let thin = run(
        w.path(),
        &["pack-objects", "--thin", "--stdout", "--revs", "-q"],
        b"main\n^base\n",
    );
    // A second repository holding `base`, completed from the thin pack.
    let other = Work::repo();
    other.git(&[
        "fetch",
        "-q",
        w.path().to_str().unwrap(),
        "refs/tags/base:refs/tags/base",
    ]);
    run(
        other.path(),
        &["index-pack", "--fix-thin", "--stdin"],
        &thin,
    );
    let head = w.git(&["rev-parse", "main"]);
    other.git(&["update-ref", "refs/heads/main", &head]);
    // The completed pack: a blob delta whose base comes after it.
    let dir = other.join(".git/objects/pack");
    let listing: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .map(|idx| other.git(&["verify-pack", "-v", idx.to_str().unwrap()]))
        .collect::<Vec<_>>()
        .join("\n");
    let rows: Vec<Vec<&str>> = listing
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|f: &Vec<&str>| f.len() >= 5 && f[0].len() == 40)
        .collect();
    let offset = |id: &str| -> Option<u64> {
        rows.iter()
            .find(|f| f[0] == id)
            .and_then(|f| f[4].parse().ok())
    };
    let forward = rows.iter().any(|f| {
        f.len() >= 7
            && f[1] == "blob"
            && offset(f[6]).is_some_and(|base| base > f[4].parse().unwrap())
    });
    assert!(forward, "no blob delta on a later base:\n{listing}");
    let audit = other.keyward(&["git", "--no-cache", "--format", "json", "-v"]);
    assert!(
        !audit.stderr.contains("cannot read the pack"),
        "{}",
        audit.stderr
    );
    assert!(delta_searched(&audit) > 0, "{}", audit.stderr);
    let mut found: Vec<u64> = audit
        .findings()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    found.sort_unstable();
    assert_eq!(found, vec![100, 201], "{}", audit.stdout);
}

/// The version before and after a commit, scanned against each other, as
/// a whole scan of each would see them: a multi-line rule's match counts
/// when any line it spans changed (here a section header between the
/// `[pypi]` line and the password, removed).
#[test]
fn a_multiline_match_counts_when_its_context_changed() {
    let mut w = Work::repo();
    let password = fake::password(51);
    let section = |extra: &str| {
        format!(
            "[pypi]\n{extra}username = __token__\nrepository = https://upload.pypi.org/legacy/\npassword = {password}\n"
        )
    };
    w.commit(
        ".pypirc",
        &long_file(200, &[(1, &section("[x]\n"))]),
        "two sections",
    );
    let joined = w.commit(
        ".pypirc",
        &long_file(200, &[(1, &section(""))]),
        "one section",
    );
    let pypirc = one_of(&audit_loose_and_packed(&w), "pypirc-password");
    assert_eq!(pypirc["commit"]["id"], joined.as_str());
    assert_eq!(pypirc["still_in_head"], true);
}

/// Kubernetes Secret data is secret because of its document's `kind:`: a
/// ConfigMap turned into a Secret far above a value that did not change
/// makes that value a finding.
#[test]
fn a_kind_change_makes_secret_data() {
    use base64::Engine;
    let mut w = Work::repo();
    let value = base64::engine::general_purpose::STANDARD.encode(fake::aws_key_id(52));
    let manifest = |kind: &str| {
        let filler: String = (0..150)
            .map(|n| format!("# note {n} about this deployment\n"))
            .collect();
        format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: app\n{filler}data:\n  KEY_ID: {value}\n")
    };
    w.commit("k8s/app.yaml", &manifest("ConfigMap"), "a config map");
    let secret = w.commit("k8s/app.yaml", &manifest("Secret"), "a secret");
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["rule_id"], "aws-access-key-id");
    assert_eq!(f["commit"]["id"], secret.as_str());
}

/// A file whose line endings changed has every line changed: a private key
/// converted to CRLF is a new secret (its bytes differ) and is found.
#[test]
fn line_ending_changes_are_changes() {
    let mut w = Work::repo();
    w.git(&["config", "core.autocrlf", "false"]);
    let text = long_file(120, &[(60, fake::rsa_private_key(53).trim_end())]);
    let lf = w.commit("keys/id.pem.txt", &text, "lf");
    let crlf = w.commit("keys/id.pem.txt", &text.replace('\n', "\r\n"), "crlf");
    let run = w.keyward(&["git", "--format", "json"]);
    let mut firsts: Vec<(String, bool)> = run
        .findings()
        .iter()
        .map(|f| {
            (
                f["commit"]["id"].as_str().unwrap().to_string(),
                f["still_in_head"].as_bool().unwrap(),
            )
        })
        .collect();
    firsts.sort();
    let mut expected = vec![(lf, false), (crlf, true)];
    expected.sort();
    assert_eq!(firsts, expected, "{}", run.stdout);
}

/// A secret is carried to a later version only where that version's own
/// scan would find it: a value line kept, whose key line was deleted, is
/// no longer a secret, though an identical line stands elsewhere.
#[test]
fn a_kept_line_is_carried_only_if_it_still_matches() {
    let mut w = Work::repo();
    let value = fake::token("", 40, 54);
    let keyed = format!("aws_secret_access_key:\n  {value}\nx");
    let bare = format!("y\n  {value}\nx");
    w.commit(
        "deploy/app.yaml",
        &long_file(200, &[(1, &keyed), (150, &bare)]),
        "a key and a copy",
    );
    let removed = w.commit(
        "deploy/app.yaml",
        &long_file(200, &[(1, "x"), (150, &bare)]),
        "drop the key",
    );
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["still_in_head"], false, "{f}");
    assert_eq!(f["removed_in"]["id"], removed.as_str());
}

/// A cached version holds its own matches, whatever becomes of the version
/// it was scanned against: with a size limit that now skips that one, the
/// cached version's secret is still reported, as an audit without the
/// cache reports it.
#[test]
fn cached_versions_keep_their_secrets_when_their_base_is_skipped() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 55);
    let line = format!("TOKEN = \"{token}\"");
    let long = long_file(180, &[(1, &line)]);
    let short = long_file(120, &[(1, &line)]);
    assert!(long.len() > 6 * 1024 && short.len() < 6 * 1024 && short.len() > 4096);
    w.commit("src/app.py", &long, "long");
    let shortened = w.commit("src/app.py", &short, "short");
    w.pack();
    let first = w.keyward(&["git", "--format", "json"]);
    assert_eq!(first.findings().len(), 1, "{}", first.stdout);
    let limited = w.keyward(&["git", "--max-file-size", "6K", "--format", "json"]);
    let f = one(&limited);
    assert_eq!(f["commit"]["id"], shortened.as_str(), "{}", limited.stderr);
    let uncached = w.keyward(&[
        "git",
        "--no-cache",
        "--max-file-size",
        "6K",
        "--format",
        "json",
    ]);
    assert_eq!(limited.findings(), uncached.findings());
}

/// A match that a stronger one hid in the version before (a password under
/// a `[pypi]` header is the pypirc rule's, not also a generic one) is found
/// once the stronger one is gone, though its own line did not change.
#[test]
fn a_match_hidden_by_a_stronger_one_shows_when_it_goes() {
    let mut w = Work::repo();
    let password = fake::password(56);
    let section = |header: &str| format!("{header}\nusername = __token__\npassword = {password}");
    w.commit(
        ".pypirc",
        &long_file(200, &[(80, &section("[pypi]"))]),
        "pypi",
    );
    let renamed = w.commit(
        ".pypirc",
        &long_file(200, &[(80, &section("[other]"))]),
        "other",
    );
    let generic = one_of(&audit_loose_and_packed(&w), "generic-password");
    assert_eq!(generic["commit"]["id"], renamed.as_str());
    assert_eq!(generic["still_in_head"], true);
}

/// A multi-line rule's window reaches past its hit by its reach and two
/// cut lines: a keyword on a 6 KiB line still holds its secret when the
/// file is edited far below, and the secret stays in HEAD.
#[test]
fn a_long_keyword_line_keeps_its_multiline_secret() {
    let mut w = Work::repo();
    let token = fake::token("", 26, 57);
    let head = format!(
        "credentials \"{}\" {{\n  token = \"{token}\"\n}}",
        "a".repeat(6134)
    );
    w.commit("main.tf", &long_file(100, &[(1, &head)]), "credentials");
    w.commit(
        "main.tf",
        &long_file(100, &[(1, &head), (90, "# edited")]),
        "edit below",
    );
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["rule_id"], "terraformrc-token");
    assert_eq!(f["still_in_head"], true, "{f}");
}

/// Each way a secret leaves HEAD's first-parent line, or stays on it, dated
/// the same whether the history walk logged that line (every ref walked)
/// or the line is walked apart (the selected ref lacks HEAD's last commit).
#[test]
fn lifecycles_follow_heads_first_parent_line() {
    let mut w = Work::repo();
    let key = |n: u64| format!("KEY={}\n", fake::aws_key_id(100 + n));
    w.commit("README.md", "hello\n", "init");
    w.commit("gone/deep/a.cfg", &key(1), "a in a directory");
    w.commit("lib/b.cfg", &key(2), "b");
    w.commit("c", &key(3), "c as a file");
    w.commit("d.cfg", &key(4), "d");
    w.commit("keep/e.cfg", &key(5), "e in a directory");
    w.commit("z.cfg", &key(7), "z, the last name in its tree");
    w.commit("r/one.cfg", &key(8), "r");
    // A whole directory removed.
    w.git(&["rm", "-rq", "gone"]);
    let dir_gone = w.commit_staged("remove a's directory");
    // Removed on a topic branch, merged with a merge commit.
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.write("lib/other.cfg", "x = 1\n");
    w.git(&["rm", "-q", "lib/b.cfg"]);
    w.git(&["add", "lib/other.cfg"]);
    w.git(&["mv", "r/one.cfg", "r/two.cfg"]);
    let renamed_on_topic = w.commit_staged("remove b and rename r on a branch");
    w.git(&["checkout", "-q", "main"]);
    w.commit("unrelated.txt", "u\n", "main moves on");
    w.git(&["merge", "-q", "--no-ff", "-m", "merge topic", "topic"]);
    let merged = w.git(&["rev-parse", "HEAD"]);
    // A file replaced by a directory of the same name.
    w.git(&["rm", "-q", "c"]);
    w.commit("c/inner.txt", "not a secret\n", "c becomes a directory");
    let c_gone = w.git(&["rev-parse", "HEAD"]);
    // Removed, then added back.
    w.git(&["rm", "-q", "d.cfg"]);
    w.commit_staged("remove d");
    w.commit("d.cfg", &key(4), "d again");
    // A directory renamed whole: the same tree at a new path.
    w.git(&["mv", "keep", "kept"]);
    w.commit_staged("rename e's directory");
    w.git(&["rm", "-q", "z.cfg"]);
    let z_gone = w.commit_staged("remove z");
    // Only ever on a branch that is not merged.
    w.git(&["checkout", "-q", "-b", "side"]);
    w.commit("f.cfg", &key(6), "f on a side branch");
    w.git(&["checkout", "-q", "main"]);
    w.commit("last.txt", "end\n", "last");

    let dates = |run: &crate::support::Run| -> Vec<(String, bool, Value)> {
        run.findings()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["still_in_head"].as_bool().unwrap(),
                    f["removed_in"]["id"].clone(),
                )
            })
            .collect()
    };
    let want = vec![
        ("c".to_string(), false, Value::from(c_gone.as_str())),
        ("d.cfg".to_string(), true, Value::Null),
        ("f.cfg".to_string(), false, Value::Null),
        (
            "gone/deep/a.cfg".to_string(),
            false,
            Value::from(dir_gone.as_str()),
        ),
        ("keep/e.cfg".to_string(), true, Value::Null),
        ("lib/b.cfg".to_string(), false, Value::from(merged.as_str())),
        ("r/one.cfg".to_string(), true, Value::Null),
        ("z.cfg".to_string(), false, Value::from(z_gone.as_str())),
    ];
    let all = w.keyward(&["git", "--format", "json"]);
    assert_eq!(dates(&all), want, "{}", all.stderr);
    let renamed = all
        .findings()
        .into_iter()
        .find(|f| f["path"] == "keep/e.cfg")
        .unwrap();
    assert_eq!(renamed["occurrences"][0]["path"], "kept/e.cfg");
    // The merge brings the renamed file to HEAD's line; it appeared at that
    // path in the branch's commit, and only there.
    let moved = all
        .findings()
        .into_iter()
        .find(|f| f["path"] == "r/one.cfg")
        .unwrap();
    assert_eq!(
        moved["occurrences"],
        serde_json::json!([{ "path": "r/two.cfg", "commit": renamed_on_topic }])
    );
    // `side` lacks HEAD's last commit, so the line is walked apart.
    let side = w.keyward(&["git", "--branch", "side", "--format", "json"]);
    assert_eq!(dates(&side), want, "{}", side.stderr);
}

/// A tree that is not in git's order (written by another tool) on HEAD's
/// line does not make a secret look removed: the lifecycles walk the line
/// apart, looking names up.
#[test]
fn an_unsorted_tree_does_not_remove_a_secret() {
    let w = Work::repo();
    let secret = w.store(
        "blob",
        format!("KEY={}\n", fake::aws_key_id(120)).as_bytes(),
    );
    let other = w.store("blob", b"x = 1\n");
    let extra = w.store("blob", b"y = 2\n");
    // b.cfg before a.cfg: not git's order.
    let unsorted = w.store_tree(&[("b.cfg", &other), ("a.cfg", &secret)]);
    let first = w.git(&["commit-tree", &unsorted, "-m", "unsorted"]);
    let sorted = w.store_tree(&[("a.cfg", &secret), ("b.cfg", &other), ("c.txt", &extra)]);
    let second = w.git(&["commit-tree", &sorted, "-p", &first, "-m", "sorted"]);
    w.git(&["update-ref", "refs/heads/main", &second]);
    let f = one(&w.keyward(&["git", "--format", "json"]));
    assert_eq!(f["path"], "a.cfg");
    assert_eq!(f["still_in_head"], true, "{f}");
    assert_eq!(f["removed_in"], Value::Null);
}

/// A tree whose only fault of order is where the entries the walk compares
/// meet those it skips (shared with its parent version at the start, or at
/// the end) is caught too: the next commit's comparison with it would
/// call a file that is still there gone.
#[test]
fn an_order_fault_beside_skipped_entries_is_caught() {
    for case in ["start", "end"] {
        let w = Work::repo();
        let secret = w.store(
            "blob",
            format!("KEY={}\n", fake::aws_key_id(130)).as_bytes(),
        );
        let x = w.store("blob", b"x = 1\n");
        let y = w.store("blob", b"y = 2\n");
        let z = w.store("blob", b"z = 3\n");
        let trees = if case == "start" {
            // b.cfg, compared, after c.cfg, the last entry skipped.
            [
                w.store_tree(&[("a.cfg", &x), ("c.cfg", &y), ("d.cfg", &z)]),
                w.store_tree(&[
                    ("a.cfg", &x),
                    ("c.cfg", &y),
                    ("b.cfg", &secret),
                    ("d.cfg", &z),
                ]),
                w.store_tree(&[("b.cfg", &secret), ("c.cfg", &y), ("d.cfg", &z)]),
            ]
        } else {
            // d.cfg, compared, before c.cfg, the first entry skipped.
            [
                w.store_tree(&[("a.cfg", &x), ("c.cfg", &secret)]),
                w.store_tree(&[("a.cfg", &x), ("d.cfg", &z), ("c.cfg", &secret)]),
                w.store_tree(&[("a.cfg", &x), ("c.cfg", &secret), ("d.cfg", &z)]),
            ]
        };
        let mut parent: Option<String> = None;
        for (n, tree) in trees.iter().enumerate() {
            let message = format!("commit {n}");
            let mut args = vec!["commit-tree", tree, "-m", &message];
            if let Some(p) = &parent {
                args.extend(["-p", p]);
            }
            parent = Some(w.git(&args));
        }
        w.git(&["update-ref", "refs/heads/main", &parent.unwrap()]);
        let f = one(&w.keyward(&["git", "--no-cache", "--format", "json"]));
        assert_eq!(f["still_in_head"], true, "{case}: {f}");
        assert_eq!(f["removed_in"], Value::Null, "{case}: {f}");
    }
}

/// A malformed entry in what a tree shares with its malformed parent
/// version makes it malformed too: each is listed as unreadable.
#[test]
fn a_malformed_entry_shared_with_the_parent_is_counted() {
    let w = Work::repo();
    let a = w.store("blob", b"a = 1\n");
    let b = w.store("blob", b"b = 2\n");
    let s = w.store("blob", b"s = 1\n");
    let tree = |x: &str| {
        // The changed file first, so the rest both share opens with a
        // well-formed entry.
        let mut bytes = [tree_entry("a.txt", x), tree_entry("s.txt", &s)].concat();
        // A name with no id after it.
        bytes.extend_from_slice(b"100644 zz\0abc");
        w.store("tree", &bytes)
    };
    let (t1, t2) = (tree(&a), tree(&b));
    let c1 = w.git(&["commit-tree", &t1, "-m", "one"]);
    let c2 = w.git(&["commit-tree", &t2, "-p", &c1, "-m", "two"]);
    w.git(&["update-ref", "refs/heads/main", &c2]);
    let run = w.keyward(&["git", "--no-cache", "-v"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for t in [&t1, &t2] {
        assert!(
            run.stderr.contains(&format!("tree {t} is malformed")),
            "{t}: {}",
            run.stderr
        );
    }
}

/// On a terminal the audit shows its progress: blobs scanned of those
/// found, bytes read per second and commits walked; with stderr piped it
/// shows none. (`script` gives the audit a pseudo-terminal.)
#[test]
fn progress_on_a_terminal_only() {
    let mut w = Work::repo();
    for i in 0..40 {
        w.commit(&format!("f{i}.txt"), &format!("line {i}\n"), "edit");
    }
    let command = format!(
        "{} git --no-cache --format json --output report.json",
        crate::support::BIN
    );
    let mut script = std::process::Command::new("script");
    // indicatif draws nothing on a dumb terminal or with no TERM at all.
    script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(w.path())
        .env_remove("CI")
        .env("TERM", "xterm");
    crate::support::git_env(&mut script, 40);
    let out = script.output().expect("script (util-linux) runs");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains(" blobs, ") && shown.contains("B/s, ") && shown.contains(" commits "),
        "no progress bar on a terminal: {shown:?}"
    );
    assert!(shown.contains("scanned 40 commits, 40 blobs"), "{shown:?}");
    let piped = w.keyward(&["git", "--no-cache", "--format", "json"]);
    assert!(!piped.stderr.contains("blobs, "), "{}", piped.stderr);
}

/// In a large directory the walk compares only the entries between what a
/// tree shares with its parent version at either end: secrets added,
/// changed and removed at the directory's start, middle and end are each
/// found once and dated, as the walk of the line apart dates them.
#[test]
fn a_large_directory_is_compared_where_it_changed() {
    let mut w = Work::repo();
    let key = |n: u64| format!("KEY={}\n", fake::aws_key_id(300 + n));
    // Long names, so one entry spans more than a compared block.
    let name = |i: usize| format!("big/config-file-with-a-long-name-number-{i:03}.cfg");
    for i in 0..120 {
        w.write(&name(i), &format!("value = {i}\n"));
    }
    w.git(&["add", "big"]);
    w.commit_staged("a large directory");
    w.commit(&name(0), &key(1), "a secret first in the directory");
    w.commit(&name(60), &key(2), "a secret in the middle");
    w.commit(&name(119), &key(3), "a secret last");
    w.commit(&name(61), "value = changed\n", "a change beside the middle");
    // Only on a branch: found by the walk, not on HEAD's line.
    w.git(&["checkout", "-q", "-b", "side"]);
    w.commit(&name(59), &key(4), "a secret in the middle, on a branch");
    w.git(&["checkout", "-q", "main"]);
    w.git(&["rm", "-q", &name(0)]);
    let first_gone = w.commit_staged("remove the first file");
    let middle_gone = w.commit(&name(60), "value = 60\n", "the middle secret replaced");
    w.git(&["rm", "-q", &name(119)]);
    let last_gone = w.commit_staged("remove the last file");
    w.commit(&name(120), &key(5), "a secret added after the last");
    w.commit(&name(30), "value = edited\n", "an edit elsewhere");

    let dates = |run: &crate::support::Run| -> Vec<(String, bool, Value)> {
        let mut d: Vec<_> = run
            .findings()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["still_in_head"].as_bool().unwrap(),
                    f["removed_in"]["id"].clone(),
                )
            })
            .collect();
        d.sort_by(|a, b| a.0.cmp(&b.0));
        d
    };
    let want = vec![
        (name(0), false, Value::from(first_gone.as_str())),
        (name(119), false, Value::from(last_gone.as_str())),
        (name(120), true, Value::Null),
        (name(59), false, Value::Null),
        (name(60), false, Value::from(middle_gone.as_str())),
    ];
    let mut want = want;
    want.sort_by(|a, b| a.0.cmp(&b.0));
    let all = w.keyward(&["git", "--format", "json"]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    assert_eq!(dates(&all), want, "{}", all.stderr);
    // With HEAD's line walked apart (the walk of `side` does not cover it).
    let side = w.keyward(&["git", "--branch", "side", "--format", "json"]);
    let side_want: Vec<_> = want
        .iter()
        .filter(|(p, _, _)| *p != name(120))
        .cloned()
        .collect();
    assert_eq!(dates(&side), side_want, "{}", side.stderr);
}

/// A commit the walk cannot read (no author line: gitoxide and libgit2
/// refuse it, though the revwalk lists it) is counted as unreadable and
/// left out; the commits after it keep their own ids, so a secret its child
/// adds is dated to the child, and only the commits read are counted.
#[test]
fn a_commit_that_cannot_be_read_is_left_out_and_the_next_keeps_its_id() {
    let mut w = Work::repo();
    let base = w.commit("a.txt", "a\n", "base");
    let tree = w.git(&["rev-parse", "HEAD^{tree}"]);
    let raw = format!(
        "tree {tree}\nparent {base}\ncommitter Ada <ada@example.org> 1700000000 +0000\n\nno author\n"
    );
    let bad = w.store("commit", raw.as_bytes());
    let key = format!("KEY={}\n", fake::aws_key_id(142));
    w.write("k.txt", &key);
    w.git(&["add", "k.txt"]);
    let tree = w.git(&["write-tree"]);
    let child = w.git(&["commit-tree", &tree, "-p", &bad, "-m", "the key"]);
    w.git(&["update-ref", "refs/heads/main", &child]);
    for packed in [false, true] {
        if packed {
            w.git(&["repack", "-adq"]);
        }
        let run = w.keyward(&["git", "--no-cache", "--format", "json", "-v"]);
        let f = one(&run);
        assert_eq!(f["path"], "k.txt", "packed: {packed}");
        assert_eq!(f["commit"]["id"], child.as_str(), "packed: {packed}");
        assert!(run.stderr.contains("scanned 2 commits"), "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!("@commit {bad}")),
            "{}",
            run.stderr
        );
    }
}
