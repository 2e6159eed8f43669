//! Property tests of the commit parser over untrusted bytes, and the case
//! count the git layer's property tests share ([`config`]). The packs'
//! tests are in `pack/fuzz.rs`, the trees' in `trees/fuzz.rs`.
//!
//! Long run (a few hundred cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward-git fuzz_commit
//! ```

use git2::{ObjectType, Oid, Repository};
use proptest::prelude::*;

use crate::commits::{parse_commit, WalkedCommit};

/// `cases` cases, or as many as `PROPTEST_CASES` says (a long run).
pub(crate) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A repository whose objects live in memory only.
fn memory_repo() -> Repository {
    let odb = git2::Odb::new().unwrap();
    odb.add_new_mempack_backend(1).unwrap();
    Repository::from_odb(odb).unwrap()
}

/// What libgit2 reads of `data` as a commit, if it parses it.
fn libgit2_commit(repo: &Repository, data: &[u8]) -> Option<WalkedCommit> {
    let id = repo.odb().ok()?.write(ObjectType::Commit, data).ok()?;
    let commit = repo.find_commit(id).ok()?;
    Some(WalkedCommit {
        tree: commit.tree_id(),
        parents: commit.parent_ids().collect(),
        message: commit.message_bytes().to_vec(),
    })
}

fn hex_id() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::array::uniform20(any::<u8>()).prop_map(|b| Oid::from_bytes(&b).unwrap().to_string()),
        1 => "[0-9a-fA-F]{38,41}",
        1 => "[0-9a-zA-Z ]{0,42}",
    ]
}

fn signature() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => ("[A-Za-z é]{0,12}", "[a-z@.]{0,12}", 0i64..2_000_000_000, -1400i32..1400)
            .prop_map(|(n, e, t, o)| format!("{n} <{e}> {t} {:+05}", o)),
        1 => "[ -~]{0,30}",
    ]
}

/// Commit text: mostly what git writes (tree, parents, author, committer,
/// extra headers, a message that may open with newlines or hold a NUL),
/// some with a header missing, repeated or out of place.
fn commit_text() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        (hex_id()).prop_map(|id| format!("tree {id}\n")),
        (hex_id()).prop_map(|id| format!("parent {id}\n")),
        signature().prop_map(|s| format!("author {s}\n")),
        signature().prop_map(|s| format!("committer {s}\n")),
        Just("encoding ISO-8859-1\n".to_string()),
        "[ -~]{0,20}".prop_map(|v| format!("gpgsig -----BEGIN-----\n {v}\n -----END-----\n")),
        "[a-z]{1,8} [ -~]{0,20}".prop_map(|h| format!("{h}\n")),
    ];
    let canonical = (
        hex_id(),
        proptest::collection::vec(hex_id(), 0..4),
        signature(),
        signature(),
        proptest::collection::vec(header.clone(), 0..3),
    )
        .prop_map(|(tree, parents, author, committer, extra)| {
            let mut s = format!("tree {tree}\n");
            for p in parents {
                s.push_str(&format!("parent {p}\n"));
            }
            s.push_str(&format!("author {author}\ncommitter {committer}\n"));
            s.extend(extra);
            s
        });
    let shuffled = proptest::collection::vec(header, 0..7).prop_map(|h| h.concat());
    let message = prop_oneof![
        "\n{0,3}[ -~\n]{0,40}",
        "[ -~]{0,10}\0[ -~\n]{0,10}",
        Just(String::new()),
    ];
    let text = (
        prop_oneof![4 => canonical, 1 => shuffled],
        message,
        any::<bool>(),
    )
        .prop_map(|(headers, message, sep)| {
            let sep = if sep { "\n" } else { "" };
            format!("{headers}{sep}{message}").into_bytes()
        });
    prop_oneof![
        6 => text.clone(),
        2 => (text, proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4))
            .prop_map(|(mut t, flips)| {
                for (at, b) in flips {
                    if !t.is_empty() {
                        let i = at.index(t.len());
                        t[i] = b;
                    }
                }
                t
            }),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
    ]
}

proptest! {
    #![proptest_config(config(500))]

    /// The walk's commit parser never panics, and where it and libgit2
    /// both read a commit they read the same tree, parents and message
    /// (the walk falls back to libgit2 when gitoxide refuses one).
    #[test]
    fn fuzz_commit(data in commit_text()) {
        let ours = parse_commit(&data);
        if let Some(c) = &ours {
            prop_assert!(!c.message.starts_with(b"\n"));
            prop_assert!(!c.message.contains(&0));
            prop_assert!(c.message.len() <= data.len());
        }
        let repo = memory_repo();
        if let (Some(ours), Some(theirs)) = (ours, libgit2_commit(&repo, &data)) {
            prop_assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(&data));
        }
    }
}
