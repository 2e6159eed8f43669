//! Property tests of the raw tree parser over untrusted bytes: [`Entries`]
//! over arbitrary bytes and mutated real trees (each entry it reads is the
//! bytes it spans, and it agrees with gitoxide's iterator), valid trees
//! read as libgit2 reads them, and [`SharedEnds`] of two versions.
//!
//! Long run (a few hundred cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward-git fuzz_tree
//! ```

use std::sync::LazyLock;

use git2::{ObjectType, Oid, Repository};
use proptest::prelude::*;

use super::{Entries, EntryKind, InOrder, SharedEnds};
use crate::fuzz::config;

/// The raw bytes of real trees: a repository's root and subtree, written
/// by libgit2 in a temporary directory.
static REAL_TREES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let blob = repo.blob(b"x").unwrap();
    let mut sub = repo.treebuilder(None).unwrap();
    sub.insert("inner.txt", blob, 0o100644).unwrap();
    let sub = sub.write().unwrap();
    let mut root = repo.treebuilder(None).unwrap();
    for (name, id, mode) in [
        ("a.txt", blob, 0o100644),
        ("run.sh", blob, 0o100755),
        ("link", blob, 0o120000),
        ("dir", sub, 0o040000),
        ("dir.d", blob, 0o100644),
        ("vendor", Oid::from_bytes(&[9; 20]).unwrap(), 0o160000),
        ("caf\u{e9}.env", blob, 0o100644),
    ] {
        root.insert(name, id, mode).unwrap();
    }
    let root = root.write().unwrap();
    let odb = repo.odb().unwrap();
    [root, sub]
        .iter()
        .map(|id| odb.read(*id).unwrap().data().to_vec())
        .collect()
});

/// Bytes to parse: a real tree with bytes changed, cut or repeated, or
/// random bytes.
fn tree_bytes() -> impl Strategy<Value = Vec<u8>> {
    let real = (
        any::<prop::sample::Index>(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(which, flips, cut, twice)| {
            let mut t = REAL_TREES[which.index(REAL_TREES.len())].clone();
            for (at, b) in flips {
                let i = at.index(t.len());
                t[i] = b;
            }
            if twice {
                t.extend(t.clone());
            }
            t.truncate(cut.index(t.len() + 1));
            t
        });
    prop_oneof![
        3 => real,
        1 => proptest::collection::vec(any::<u8>(), 0..120),
        1 => proptest::collection::vec(prop_oneof![Just(b'0'), Just(b'4'), Just(b' '), Just(0u8), Just(b'a')], 0..80),
    ]
}

/// Checks every entry `Entries` reads of `data`: it is the bytes between
/// two offsets (octal mode digits, a space, a non-empty name, a NUL and a
/// 20-byte id), an error ends the iteration, and gitoxide's iterator reads
/// the same entries. Returns how many entries were read before an error.
fn check_entries(data: &[u8]) -> Result<usize, TestCaseError> {
    let mut entries = Entries::new(data, 0);
    let mut gix = gix_object::TreeRefIter::from_bytes(data, gix_hash::Kind::Sha1);
    let mut count = 0;
    loop {
        let start = entries.at;
        let Some(next) = entries.next() else { break };
        let theirs = gix.next();
        let Ok(entry) = next else {
            prop_assert!(entries.next().is_none(), "an error ends the entries");
            // gitoxide refused it too, or read an empty name, or an entry
            // with no mode digits (which libgit2 refuses, and keyward too).
            let no_mode = data.get(start) == Some(&b' ');
            prop_assert!(no_mode || !matches!(&theirs, Some(Ok(e)) if !e.filename.is_empty()));
            return Ok(count);
        };
        count += 1;
        let span = &data[start..entries.at];
        let space = span.iter().position(|&b| b == b' ').unwrap();
        let digits = &span[..space];
        // At least one octal digit: see `an_entry_without_a_mode_is_malformed`.
        prop_assert!(!digits.is_empty() && digits.iter().all(|b| (b'0'..=b'7').contains(b)));
        // The kind is libgit2's reading of the mode's type bits (a mode
        // of type 14 is read as a tree: see `a_socket_mode_is_a_file`).
        let mode = digits
            .iter()
            .fold(0u64, |m, &d| m * 8 + u64::from(d - b'0'));
        let kind = match mode & 0o170000 {
            0o040000 => Some(EntryKind::Tree),
            0o160000 => Some(EntryKind::Commit),
            0o140000 => None,
            _ => Some(EntryKind::Blob),
        };
        if let Some(kind) = kind {
            prop_assert_eq!(entry.kind(), kind, "mode {:o}", mode);
        }
        prop_assert!(!entry.name.is_empty() && !entry.name.contains(&0));
        prop_assert_eq!(entry.id.len(), 20);
        let rebuilt = [digits, b" ", entry.name, b"\0", entry.id].concat();
        prop_assert_eq!(span, &rebuilt[..]);
        let theirs = theirs
            .expect("gitoxide reads it")
            .expect("gitoxide reads it");
        prop_assert_eq!(theirs.filename, entry.name);
        prop_assert_eq!(theirs.oid.as_bytes(), entry.id);
    }
    prop_assert_eq!(entries.at, data.len());
    Ok(count)
}

/// A valid tree: unique names (no `/`, no NUL), standard modes, git's
/// order.
fn valid_tree() -> impl Strategy<Value = Vec<(Vec<u8>, u32, [u8; 20])>> {
    let byte = any::<u8>().prop_map(|b| if b == 0 || b == b'/' { b'x' } else { b });
    let name = prop_oneof![
        "[a-z._-]{1,6}".prop_map(String::into_bytes),
        proptest::collection::vec(byte, 1..8),
    ]
    .prop_map(|n| {
        if n == b"." || n == b".." {
            b"dots".to_vec()
        } else {
            n
        }
    });
    let mode = prop_oneof![
        Just(0o100644u32),
        Just(0o100755),
        Just(0o120000),
        Just(0o040000),
        Just(0o160000)
    ];
    proptest::collection::btree_map(name, (mode, proptest::array::uniform20(any::<u8>())), 0..12)
        .prop_map(|m| {
            let mut v: Vec<(Vec<u8>, u32, [u8; 20])> =
                m.into_iter().map(|(n, (mode, id))| (n, mode, id)).collect();
            let kind = |mode: u32| {
                if mode == 0o040000 {
                    EntryKind::Tree
                } else {
                    EntryKind::Blob
                }
            };
            v.sort_by(|a, b| super::tree_order((kind(a.1), &a.0), (kind(b.1), &b.0)));
            v
        })
}

fn serialise(entries: &[(Vec<u8>, u32, [u8; 20])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, mode, id) in entries {
        out.extend(format!("{mode:o} ").as_bytes());
        out.extend(name);
        out.push(0);
        out.extend(id);
    }
    out
}

proptest! {
    #![proptest_config(config(1000))]

    /// Arbitrary and damaged tree bytes: no panic, each entry read is the
    /// bytes it spans, and gitoxide reads the same.
    #[test]
    fn fuzz_tree_bytes(data in tree_bytes()) {
        check_entries(&data)?;
    }

    /// Valid trees: every entry read back as written, in git's order, and
    /// libgit2 reads the same names, modes and ids.
    #[test]
    fn fuzz_tree_valid(entries in valid_tree()) {
        let data = serialise(&entries);
        prop_assert_eq!(check_entries(&data)?, entries.len());
        let mut order = InOrder::default();
        for (got, (name, mode, id)) in Entries::new(&data, 0).zip(&entries) {
            let got = got.unwrap();
            prop_assert_eq!((got.name, got.mode, got.id), (&name[..], *mode, &id[..]));
            order.see(got);
        }
        prop_assert!(!order.broken);
        let odb = git2::Odb::new().unwrap();
        odb.add_new_mempack_backend(1).unwrap();
        let repo = Repository::from_odb(odb).unwrap();
        let id = repo.odb().unwrap().write(ObjectType::Tree, &data).unwrap();
        let tree = repo.find_tree(id).unwrap();
        let theirs: Vec<(Vec<u8>, u32, [u8; 20])> = tree
            .iter()
            .map(|e| (e.name_bytes().to_vec(), e.filemode() as u32, e.id().as_bytes().try_into().unwrap()))
            .collect();
        prop_assert_eq!(&theirs, &entries);
    }

    /// What two versions of a tree share: a start at an entry's end that
    /// both open with, and an end both close with, within the bytes.
    #[test]
    fn fuzz_tree_shared_ends(new in tree_bytes(), old in tree_bytes()) {
        let shared = SharedEnds::of(&new, &old);
        prop_assert!(shared.start <= new.len().min(old.len()));
        prop_assert_eq!(&new[..shared.start], &old[..shared.start]);
        prop_assert!(shared.end <= new.len() - shared.start);
        prop_assert!(shared.end <= old.len().saturating_sub(shared.start));
        prop_assert_eq!(&new[new.len() - shared.end..], &old[old.len() - shared.end..]);
        let mut entries = Entries::new(&new, 0);
        let mut ends = vec![0];
        while let Some(Ok(_)) = entries.next() {
            ends.push(entries.at);
        }
        prop_assert!(ends.contains(&shared.start), "{} is an entry's end", shared.start);
        prop_assert_eq!(shared.last_of_start.is_some(), shared.start > 0);
    }
}

/// Found by `fuzz_tree_bytes`: an entry with no mode digits (` name\0id`)
/// is read, as a file of mode 0; libgit2 refuses the tree, and git's
/// fsck calls it a bad mode.
#[test]
fn an_entry_without_a_mode_is_malformed() {
    let data = [b" a\0".as_slice(), &[7; 20]].concat();
    let odb = git2::Odb::new().unwrap();
    odb.add_new_mempack_backend(1).unwrap();
    let repo = Repository::from_odb(odb).unwrap();
    let id = repo.odb().unwrap().write(ObjectType::Tree, &data).unwrap();
    assert!(repo.find_tree(id).is_err(), "libgit2 refuses it");
    let read: Vec<_> = Entries::new(&data, 0).collect();
    assert!(matches!(read.as_slice(), [Err(_)]), "{read:?}");
}

/// Found by `fuzz_tree_bytes`: an entry of mode `140644` (type bits of a
/// socket) is read as a tree (gitoxide reads type 14 as a tree written
/// `040000`); libgit2 reads it as a file, so the blob it names is not
/// scanned as one.
#[test]
fn a_socket_mode_is_a_file() {
    let data = [b"140644 a\0".as_slice(), &[7; 20]].concat();
    let odb = git2::Odb::new().unwrap();
    odb.add_new_mempack_backend(1).unwrap();
    let repo = Repository::from_odb(odb).unwrap();
    let id = repo.odb().unwrap().write(ObjectType::Tree, &data).unwrap();
    let tree = repo.find_tree(id).unwrap();
    assert_eq!(
        tree.get(0).unwrap().kind(),
        Some(ObjectType::Blob),
        "libgit2 reads a file"
    );
    let read: Vec<_> = Entries::new(&data, 0).map(|e| e.unwrap().kind()).collect();
    assert_eq!(read, vec![EntryKind::Blob]);
}
