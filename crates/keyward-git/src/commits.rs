//! Commits: the metadata keyward reports of one ([`commit_info`], read
//! when a finding names it through [`CommitBook`]), and what the history
//! walk reads of one ([`WalkedCommit`]: a pack's raw commit parsed by
//! gitoxide, read as libgit2 reads it).
//!
//! It reads single commits; it never lists them (the walk does), reads
//! trees or scans messages.

use std::collections::HashMap;
use std::sync::Arc;

use git2::{Commit, Oid, Repository};
use keyward_content::CommitInfo;

/// What the reports say of each commit, read the first time a finding
/// names it: a history audit keeps only commit ids.
pub struct CommitBook<'r> {
    repo: &'r Repository,
    read: HashMap<Oid, Arc<CommitInfo>>,
}

impl<'r> CommitBook<'r> {
    /// A book of `repo`'s commits, none read yet.
    pub fn new(repo: &'r Repository) -> Self {
        CommitBook {
            repo,
            read: HashMap::new(),
        }
    }

    /// The commit's metadata; only its id if it cannot be read now (it was
    /// read when the history was walked).
    pub fn get(&mut self, oid: Oid) -> Arc<CommitInfo> {
        let repo = self.repo;
        self.read
            .entry(oid)
            .or_insert_with(|| {
                Arc::new(match repo.find_commit(oid) {
                    Ok(c) => commit_info(&c),
                    Err(_) => CommitInfo {
                        id: oid.to_string(),
                        ..CommitInfo::default()
                    },
                })
            })
            .clone()
    }
}

/// The commit metadata keyward reports.
pub fn commit_info(commit: &Commit<'_>) -> CommitInfo {
    let author = commit.author();
    let when = author.when();
    CommitInfo {
        id: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(when.seconds(), when.offset_minutes()),
    }
}

fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).ok()?;
            t.to_offset(offset).format(&format).ok()
        })
        .unwrap_or_else(|| seconds.to_string())
}

/// What the walk reads of a commit.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WalkedCommit {
    pub(crate) tree: Oid,
    pub(crate) parents: Vec<Oid>,
    /// As libgit2 gives it: without the newlines it may open with.
    pub(crate) message: Vec<u8>,
}

/// A commit's tree, parents and message, if gitoxide parses it.
pub(crate) fn parse_commit(data: &[u8]) -> Option<WalkedCommit> {
    let commit = gix_object::CommitRef::from_bytes(data, gix_hash::Kind::Sha1).ok()?;
    let id = |hex: &[u8]| Oid::from_str(std::str::from_utf8(hex).ok()?).ok();
    // libgit2 ends a message at a NUL.
    let message: &[u8] = commit.message;
    let message = &message[..memchr::memchr(0, message).unwrap_or(message.len())];
    let start = message
        .iter()
        .position(|&b| b != b'\n')
        .unwrap_or(message.len());
    Some(WalkedCommit {
        tree: id(commit.tree)?,
        parents: commit
            .parents
            .iter()
            .map(|p| id(p))
            .collect::<Option<_>>()?,
        message: message[start..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::{Packs, Reading};
    use crate::testing::git;
    use crate::trees::cache::BaseCache;
    use crate::trees::reader::{TreeReader, TREE_BASE_CACHE};
    use git2::ObjectType;

    /// Commits read from the packs (gitoxide) are what libgit2 reads of
    /// them loose: tree, parents, and the message without the newlines it
    /// opens with; with extra headers, an encoding, two parents, none.
    #[test]
    fn commits_read_the_same_loose_and_packed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let sig = git2::Signature::new(
            "Ada",
            "ada@example.org",
            &git2::Time::new(1_700_000_000, 60),
        )
        .unwrap();
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let root = repo
            .commit(
                None,
                &sig,
                &sig,
                "\n\nopens with newlines\n",
                &repo.find_tree(tree).unwrap(),
                &[],
            )
            .unwrap();
        let side = repo
            .commit(
                None,
                &sig,
                &sig,
                "side",
                &repo.find_tree(tree).unwrap(),
                &[],
            )
            .unwrap();
        let parents = [
            repo.find_commit(root).unwrap(),
            repo.find_commit(side).unwrap(),
        ];
        let merge = repo
            .commit(
                None,
                &sig,
                &sig,
                "merge\n\nbody\n",
                &repo.find_tree(tree).unwrap(),
                &[&parents[0], &parents[1]],
            )
            .unwrap();
        let raw = format!(
            "tree {tree}\nparent {merge}\nauthor Ada <ada@example.org> 1700000000 +0100\n\
             committer Ada <ada@example.org> 1700000000 +0100\nencoding ISO-8859-1\n\
             gpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n\n\
             caf\u{e9} and a signature\n"
        );
        let signed = repo
            .odb()
            .unwrap()
            .write(ObjectType::Commit, raw.as_bytes())
            .unwrap();
        // libgit2 ends a message at a NUL.
        let raw = format!(
            "tree {tree}\nauthor Ada <ada@example.org> 1700000000 +0100\n\
             committer Ada <ada@example.org> 1700000000 +0100\n\nsubject\0 and after\n"
        );
        let nul = repo
            .odb()
            .unwrap()
            .write(ObjectType::Commit, raw.as_bytes())
            .unwrap();
        let commits = [root, side, merge, signed, nul];
        for (n, id) in commits.iter().enumerate() {
            repo.reference(&format!("refs/keep/{n}"), *id, true, "test")
                .unwrap();
        }
        let objects = dir.path().join(".git/objects");
        let loose = Packs::open(&objects).0;
        let mut reader = TreeReader::new(&repo, &loose).unwrap();
        let want: Vec<WalkedCommit> = commits.iter().map(|&c| reader.commit(c).unwrap()).collect();
        assert_eq!(want[0].message, b"opens with newlines\n");
        assert_eq!(want[2].parents, vec![root, side]);
        assert_eq!(want[4].message, b"subject");
        git(dir.path(), &["repack", "-a", "-d", "-q"]);
        let packed = Repository::open(dir.path()).unwrap();
        let packs = Packs::open(&objects).0;
        let mut reading = Reading::default();
        let mut cache = BaseCache::new(TREE_BASE_CACHE, TREE_BASE_CACHE);
        let mut reader = TreeReader::new(&packed, &packs).unwrap();
        for (&id, want) in commits.iter().zip(&want) {
            // Parsed from the pack, not read through libgit2.
            let (data, kind) = packs.read(id, &mut reading, &mut cache, 1).unwrap();
            assert_eq!(kind, gix_object::Kind::Commit);
            assert_eq!(parse_commit(&data).as_ref(), Some(want));
            assert_eq!(&reader.commit(id).unwrap(), want);
        }
        assert!(reader.commit(Oid::from_bytes(&[7; 20]).unwrap()).is_err());
    }
}
