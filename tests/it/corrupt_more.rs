//! More of the corrupt-repository matrix (see `corrupt.rs`, whose
//! repository and checks these reuse): packed blobs and trees with broken
//! data, a pack index with a wrong fan-out table, malformed trees and
//! commits written with `git hash-object --literally`, a broken
//! `packed-refs`, alternates that are missing or loop, and a graft to a
//! parent that is not there. Each is damage the audit names, exiting 2 and
//! still reporting every finding outside it, or (a loop of alternates, a
//! tree entry named with a `/`) no damage at all.

use crate::corrupt::{make_writable, paths, repo, Repo, ALL, AUDIT};
use crate::fake;
use crate::support::{tree_entry, Work};

/// The bytes of a hex object id.
fn id_bytes(hex: &str) -> Vec<u8> {
    (0..20)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Packed: bytes flipped inside a blob's compressed data. The blob is
/// named by its path; the keys elsewhere are reported.
#[test]
fn a_packed_blob_with_flipped_bytes_is_named() {
    let r = repo();
    let blob = r.rev("side:side/notes.txt");
    r.flip_packed(&blob);
    r.assert_damaged("side/notes.txt", &ALL);
}

/// Packed: bytes flipped inside the data of the tree that holds the side
/// branch's key. The tree is named; the key in it cannot be found, the
/// others are reported.
#[test]
fn a_packed_tree_with_flipped_bytes_is_named() {
    let r = repo();
    let tree = r.rev("side:side");
    r.flip_packed(&tree);
    r.assert_damaged(&tree, &["app/config.py", "late.py"]);
}

/// The pack index's fan-out table, one word changed. Made to count no
/// object for the side commit's first byte, the index still opens: the
/// commit is not found, and is named. Made not to increase, the index is
/// refused: it is named, and a commit made after the pack (loose) is
/// still audited.
#[test]
fn a_wrong_fan_out_table_is_named() {
    for monotonic in [true, false] {
        let mut r = repo();
        let (idx, _) = r.w.pack();
        r.w.commit(
            "later.py",
            &format!("LATER = \"{}\"\n", fake::aws_key_id(806)),
            "after the pack",
        );
        let mut bytes = std::fs::read(&idx).unwrap();
        // Version 2: an 8-byte header, then 256 fan-out words: word `b` is
        // how many ids begin with a byte of at most `b`.
        let word = |b: usize| 8 + b * 4;
        let first = usize::from(id_bytes(&r.side_first)[0]);
        assert!(first > 0, "the fixed dates give the commit another id");
        let fan = |bytes: &[u8], b: usize| {
            u32::from_be_bytes(bytes[word(b)..word(b) + 4].try_into().unwrap())
        };
        let value = if monotonic {
            fan(&bytes, first)
        } else {
            fan(&bytes, 255) + 7
        };
        bytes[word(first - 1)..word(first - 1) + 4].copy_from_slice(&value.to_be_bytes());
        make_writable(&idx);
        std::fs::write(&idx, bytes).unwrap();
        if monotonic {
            let found = ["app/config.py", "late.py", "later.py", "side/keys.py"];
            r.assert_damaged(&r.side_first, &found);
        } else {
            // Every packed object is lost with the index: what was
            // committed after the pack is reported.
            let name = idx.file_name().unwrap().to_str().unwrap();
            let run = r.assert_damaged(name, &["later.py"]);
            assert!(run.stderr.contains("fan-out"), "{}", run.stderr);
        }
    }
}

/// A branch `odd` whose commit (its parent `main`) has one directory,
/// `odd`, written as given: a file with a key, then `entry`, then a plain
/// file. Returns the id of the `odd` tree.
fn odd_branch(r: &Repo, entry: &[u8]) -> String {
    let key = r.w.store(
        "blob",
        format!("ODD = \"{}\"\n", fake::aws_key_id(807)).as_bytes(),
    );
    let plain = r.w.store("blob", b"plain text\n");
    let odd = r.w.store(
        "tree",
        &[
            tree_entry("a-keys.py", &key),
            entry.to_vec(),
            tree_entry("z-after.txt", &plain),
        ]
        .concat(),
    );
    let root =
        r.w.store("tree", &[b"40000 odd\0".to_vec(), id_bytes(&odd)].concat());
    let main = r.rev("main");
    let commit = r.w.git(&["commit-tree", &root, "-p", &main, "-m", "odd"]);
    r.w.git(&["update-ref", "refs/heads/odd", &commit]);
    odd
}

/// A tree entry whose mode is not octal, one with no mode, and one with an
/// empty name (git's fsck rejects each, and `git repack` refuses to pack
/// them): the tree is named, and the key listed before the entry is
/// reported with the others.
#[test]
fn a_tree_with_a_malformed_entry_is_named() {
    let blob = |r: &Repo| r.rev("main:README.md");
    let entries: [fn(&str) -> Vec<u8>; 3] = [
        |id| [b"10x644 b-notes.txt\0".to_vec(), id_bytes(id)].concat(),
        |id| [b" b-notes.txt\0".to_vec(), id_bytes(id)].concat(),
        |id| [b"100644 \0".to_vec(), id_bytes(id)].concat(),
    ];
    let found = ["app/config.py", "late.py", "odd/a-keys.py", "side/keys.py"];
    for (n, entry) in entries.iter().enumerate() {
        let r = repo();
        let tree = odd_branch(&r, &entry(&blob(&r)));
        let run = r.assert_damaged(&tree, &found);
        assert!(
            run.stderr.contains("malformed"),
            "entry {n}:\n{}",
            run.stderr
        );
    }
}

/// A tree entry whose name holds a `/` (git's fsck warns of a full path
/// name): git reads its blob, and so does keyward. Not damage: the key in
/// it is reported with the others and the exit code is the findings'.
#[test]
fn a_tree_entry_named_with_a_slash_is_read() {
    let r = repo();
    let key = r.w.store(
        "blob",
        format!("SLASH = \"{}\"\n", fake::aws_key_id(808)).as_bytes(),
    );
    odd_branch(&r, &tree_entry("b/notes.txt", &key));
    let run = r.w.keyward(AUDIT);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        paths(&run),
        [
            "app/config.py",
            "late.py",
            "odd/a-keys.py",
            "odd/b/notes.txt",
            "side/keys.py"
        ],
        "{}",
        run.stderr
    );
}

/// A commit whose `tree` line holds a bad id, and one with no `tree` line:
/// at a branch's tip, the branch and the commit are named; behind a
/// readable commit, the commit is named and the key its child adds is
/// reported. The other branches are audited either way.
#[test]
fn a_commit_with_a_broken_header_is_named() {
    let tails = "author Ada <ada@example.org> 1700000000 +0000\n\
                 committer Ada <ada@example.org> 1700000000 +0000\n\nbroken\n";
    for bad_tree in [true, false] {
        for at_tip in [true, false] {
            let r = repo();
            let main = r.rev("main");
            let tree_line = if bad_tree {
                format!("tree {}zzzzzzzzzz\n", &r.rev("main^{tree}")[..30])
            } else {
                String::new()
            };
            let broken = r.w.store(
                "commit",
                format!("{tree_line}parent {main}\n{tails}").as_bytes(),
            );
            let mut found = ALL.to_vec();
            let tip = if at_tip {
                broken.clone()
            } else {
                let key = r.w.store(
                    "blob",
                    format!("CHILD = \"{}\"\n", fake::aws_key_id(809)).as_bytes(),
                );
                let tree = r.w.store_tree(&[("child.py", &key)]);
                found.insert(1, "child.py");
                r.w.store(
                    "commit",
                    format!("tree {tree}\nparent {broken}\n{tails}").as_bytes(),
                )
            };
            // `git update-ref` refuses a ref to a commit it cannot parse.
            r.w.write(".git/refs/heads/broken", &format!("{tip}\n"));
            let run = r.assert_damaged(&broken, &found);
            if at_tip {
                assert!(run.stderr.contains("refs/heads/broken"), "{}", run.stderr);
            }
        }
    }
}

/// A line of garbage in `packed-refs`, appended or in place of a ref's
/// line: the file is named, and the refs on its other lines (and the
/// loose ones) are audited.
#[test]
fn garbage_in_packed_refs_is_named() {
    for replace in [false, true] {
        let r = repo();
        r.w.git(&["pack-refs", "--all"]);
        let path = r.w.join(".git/packed-refs");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = if replace {
            // The side branch's line.
            text.lines()
                .map(|l| {
                    if l.ends_with(" refs/heads/side") {
                        "this is garbage"
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        } else {
            text + "this is garbage\n"
        };
        std::fs::write(&path, text).unwrap();
        let found: &[&str] = if replace {
            // The side branch's line is the damage: its key is only there.
            &["app/config.py", "late.py"]
        } else {
            &ALL
        };
        r.assert_damaged("packed-refs", found);
    }
}

/// An alternates file naming a directory that does not exist: the objects
/// borrowed from it are named, and the clone's own key is reported.
#[test]
fn a_missing_alternate_names_the_objects_it_held() {
    let r = repo();
    r.w.pack();
    let mut clone = Work::new();
    let from = r.w.path().to_str().unwrap();
    clone.git(&["clone", "-q", "--shared", from, "."]);
    clone.commit(
        "own.py",
        &format!("OWN = \"{}\"\n", fake::aws_key_id(810)),
        "own key",
    );
    let gone = r.w.join("gone/objects");
    clone.write(
        ".git/objects/info/alternates",
        &format!("{}\n", gone.display()),
    );
    let run = clone.keyward(AUDIT);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(paths(&run), ["own.py"], "{}", run.stderr);
    // The borrowed commit the clone's own commit is made on.
    assert!(run.stderr.contains(&r.rev("main")), "{}", run.stderr);
    assert!(
        run.stderr.contains("the scan is incomplete"),
        "{}",
        run.stderr
    );
}

/// Two repositories that borrow from each other: a loop of alternates
/// that loses no object. It is said, and each is audited whole, the exit
/// code the findings'.
#[test]
fn a_loop_of_alternates_is_said_and_audited_whole() {
    let r = repo();
    r.w.pack();
    let mut clone = Work::new();
    let from = r.w.path().to_str().unwrap();
    clone.git(&["clone", "-q", "--shared", from, "."]);
    clone.commit(
        "own.py",
        &format!("OWN = \"{}\"\n", fake::aws_key_id(811)),
        "own key",
    );
    r.w.write(
        ".git/objects/info/alternates",
        &format!("{}\n", clone.join(".git/objects").display()),
    );
    let original = r.w.keyward(AUDIT);
    let borrowing = clone.keyward(AUDIT);
    let mut with_own = ALL.to_vec();
    with_own.insert(2, "own.py");
    for (run, found) in [(&original, &ALL[..]), (&borrowing, &with_own[..])] {
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(paths(run), found, "{}", run.stderr);
        assert!(run.stderr.contains("cycle"), "{}", run.stderr);
        assert!(!run.stderr.contains("unreadable"), "{}", run.stderr);
    }
}

/// A graft (`info/grafts`) that gives the side branch's tip a parent that
/// is not there: the parent is named, and every key is reported, loose or
/// packed.
#[test]
fn a_graft_to_a_missing_parent_is_named() {
    let ghost = "3".repeat(40);
    for packed in [false, true] {
        let r = repo();
        let tip = r.rev("side");
        // `git repack` will not pack across a graft to a missing parent.
        if packed {
            r.w.git(&["repack", "-adq"]);
        }
        r.w.write(".git/info/grafts", &format!("{tip} {ghost}\n"));
        r.assert_damaged(&ghost, &ALL);
    }
}
