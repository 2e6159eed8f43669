//! `keyward git`'s history walk: lifecycles on HEAD's first-parent line,
//! trees out of order or malformed, large directories, unreadable commits,
//! and the progress bar.

use serde_json::Value;

use crate::fake;
use crate::history::one;
use crate::support::{tree_entry, Work};

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
    assert_eq!(run.code, 2, "{}", run.stderr);
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
