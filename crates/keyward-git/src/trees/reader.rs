//! The tree reader of the history walk, the lifecycle walk and the change
//! lists ([`TreeReader`]): raw trees and the walk's commits, from the packs
//! (delta chains resolved through the shared base cache) or else through
//! libgit2, and how large that cache may grow.
//!
//! It reads objects; it never parses tree entries (the parent module does)
//! or walks history.

use std::rc::Rc;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};

use super::cache::BaseCache;
use super::RawTree;
use crate::commits::{parse_commit, WalkedCommit};
use crate::pack::{Packs, Reading};

/// Reads raw trees: from the repository's packs (gitoxide's mappings, the
/// pack pass's, with delta chains resolved by [`Packs::read`]), else (a
/// loose tree, one in a pack that did not open) through libgit2, which
/// copies a whole delta base at each step of a chain and so reads large
/// trees in quadratic time. Trees read are not kept for the next commit's
/// diff: that saved no time and cost memory (docs/decisions/001).
pub(crate) struct TreeReader<'r> {
    repo: &'r Repository,
    /// Whether the repository gives commits other parents than they
    /// record (`info/grafts`, or a shallow clone's boundary): libgit2,
    /// whose revwalk lists the commits, applies them; gitoxide's parser
    /// does not, so its commits are read through libgit2.
    grafted: bool,
    odb: git2::Odb<'r>,
    packs: &'r Packs,
    cache: BaseCache,
    reading: Reading,
    /// The sizes of the trees read.
    sizes: TreeSizes,
}

/// The most bytes of [`BaseCache`], the walk's cache of decoded objects:
/// more read trees no faster.
pub(crate) const TREE_BASE_CACHE: usize = 8 << 20;

/// The fewest bytes of [`BaseCache`]. Between the two it holds
/// [`TREES_CACHED`] trees of the size nine in ten trees read so far are at
/// most: what it saves is resolving a tree's delta chain again (the walk
/// reads a version of a directory as new, and again as the parent of its
/// next version), which costs in proportion to the trees' size, and what it
/// costs is memory held for small trees.
const TREE_BASE_CACHE_MIN: usize = 2 << 20;

/// How many objects of a tree's delta chain a read puts in [`BaseCache`]:
/// the tree, and the object it was made from (each if it was made from a
/// delta: an object stored whole is not kept). The walk reads the versions
/// of a directory oldest first, and git makes an older version from a
/// newer one: the base is often the next version the walk reads, or near
/// it on the chain. More push out trees still to be read
/// (docs/decisions/003).
const TREES_KEPT: usize = 2;

/// How many trees [`BaseCache`] holds of the size nine in ten trees read
/// are at most.
const TREES_CACHED: usize = 256;

/// How many trees were read of each size, by the KiB (the last bucket
/// takes all larger).
struct TreeSizes {
    buckets: [u64; 256],
    count: u64,
}

impl Default for TreeSizes {
    fn default() -> Self {
        TreeSizes {
            buckets: [0; 256],
            count: 0,
        }
    }
}

impl TreeSizes {
    fn add(&mut self, bytes: usize) {
        let bucket = (bytes >> 10).min(self.buckets.len() - 1);
        self.buckets[bucket] += 1;
        self.count += 1;
    }

    /// A size nine in ten trees read are at most (the top of their
    /// bucket).
    fn ninetieth(&self) -> usize {
        let want = self.count - self.count / 10;
        let mut seen = 0;
        for (kib, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= want {
                return (kib + 1) << 10;
            }
        }
        self.buckets.len() << 10
    }
}

impl<'r> TreeReader<'r> {
    pub(crate) fn new(repo: &'r Repository, packs: &'r Packs) -> Result<TreeReader<'r>> {
        Ok(TreeReader {
            repo,
            grafted: repo.is_shallow() || repo.commondir().join("info/grafts").exists(),
            odb: repo.odb().context("opening the object database")?,
            packs,
            cache: BaseCache::new(TREE_BASE_CACHE, TREE_BASE_CACHE_MIN),
            reading: Reading::default(),
            sizes: TreeSizes::default(),
        })
    }

    /// Notes a tree read; every so often sizes the base cache by the
    /// trees read.
    fn count(&mut self, bytes: usize) {
        self.sizes.add(bytes);
        if self.sizes.count.is_multiple_of(256) {
            let want = self.sizes.ninetieth().saturating_mul(TREES_CACHED);
            self.cache
                .set_limit(want.clamp(TREE_BASE_CACHE_MIN, TREE_BASE_CACHE));
        }
    }

    /// The raw bytes of tree `oid`, from the packs or else from libgit2.
    fn read_raw(&mut self, oid: Oid) -> Option<Rc<Vec<u8>>> {
        let packed = self
            .packs
            .read(oid, &mut self.reading, &mut self.cache, TREES_KEPT);
        let tree = match packed {
            Some((tree, kind)) => (kind == gix_object::Kind::Tree).then_some(tree),
            None => {
                let object = self.odb.read(oid).ok()?;
                (object.kind() == ObjectType::Tree).then(|| Rc::new(object.data().to_vec()))
            }
        }?;
        self.count(tree.len());
        Some(tree)
    }

    /// The tree `oid`.
    pub(crate) fn read(&mut self, oid: Oid) -> Option<RawTree> {
        Some(RawTree(self.read_raw(oid)?))
    }

    /// Commit `oid`, from the packs (parsed by gitoxide, with libgit2's
    /// changes: the newlines a message opens with are dropped, and a NUL
    /// ends it), else (loose, not parsed, or in a repository whose commits
    /// are grafted) through libgit2. Read here rather than through libgit2
    /// so a commit the revwalk listed is not read a second time there.
    pub(crate) fn commit(&mut self, oid: Oid) -> Result<WalkedCommit, git2::Error> {
        let packed = if self.grafted {
            None
        } else {
            // Commits are rarely deltas, and the cache is the trees'.
            self.packs.read(oid, &mut self.reading, &mut self.cache, 0)
        };
        if let Some((data, gix_object::Kind::Commit)) = packed {
            if let Some(commit) = parse_commit(&data) {
                return Ok(commit);
            }
        }
        let commit = self.repo.find_commit(oid)?;
        Ok(WalkedCommit {
            tree: commit.tree_id(),
            parents: commit.parent_ids().collect(),
            message: commit.message_bytes().to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::git;
    use crate::trees::{EntryKind, RawEntry};

    /// The raw tree reader sees what libgit2's parser sees: names, ids,
    /// kinds and git's order, across blobs, subtrees, symlinks, executables
    /// and submodules.
    #[test]
    fn raw_trees_read_like_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let blob = repo.blob(b"x").unwrap();
        let mut sub = repo.treebuilder(None).unwrap();
        sub.insert("inner", blob, 0o100644).unwrap();
        let sub = sub.write().unwrap();
        let mut root = repo.treebuilder(None).unwrap();
        for (name, id, mode) in [
            ("a.txt", blob, 0o100644),
            ("a", sub, 0o040000),
            ("a-b", blob, 0o100755),
            ("link", blob, 0o120000),
            ("module", blob, 0o160000),
            ("ü.txt", blob, 0o100644),
        ] {
            root.insert(name, id, mode).unwrap();
        }
        let root = root.write().unwrap();
        // An odd mode no tree builder writes, which git and libgit2 read
        // as a file.
        let mut odd = repo.odb().unwrap().read(root).unwrap().data().to_vec();
        odd.extend_from_slice("644 ÿ-odd\0".as_bytes());
        odd.extend_from_slice(blob.as_bytes());
        let root = repo.odb().unwrap().write(ObjectType::Tree, &odd).unwrap();
        let packs = Packs::default();
        let mut reader = TreeReader::new(&repo, &packs).unwrap();
        let raw = reader.read(root).unwrap();
        let ours: Vec<(Vec<u8>, Oid, EntryKind)> = raw
            .entries()
            .map(|e| {
                let e = e.unwrap();
                (e.name.to_vec(), Oid::from_bytes(e.id).unwrap(), e.kind())
            })
            .collect();
        let tree = repo.find_tree(root).unwrap();
        let theirs: Vec<(Vec<u8>, Oid, EntryKind)> = tree
            .iter()
            .map(|e| {
                let kind = match e.kind() {
                    Some(ObjectType::Tree) => EntryKind::Tree,
                    Some(ObjectType::Commit) => EntryKind::Commit,
                    _ => EntryKind::Blob,
                };
                (e.name_bytes().to_vec(), e.id(), kind)
            })
            .collect();
        assert_eq!(ours, theirs);
        let mut names: Vec<&[u8]> = theirs.iter().map(|(n, _, _)| n.as_slice()).collect();
        names.extend([&b"absent"[..], b"a/inner", b""]);
        names.sort();
        let found = raw.lookup(&names).unwrap();
        for (name, got) in names.iter().zip(found) {
            let want = theirs
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, id, kind)| (*kind, *id));
            assert_eq!(got, want, "{}", String::from_utf8_lossy(name));
        }
        let entries: Vec<RawEntry<'_>> = raw.entries().map(Result::unwrap).collect();
        for pair in entries.windows(2) {
            assert_eq!(pair[0].git_cmp(&pair[1]), std::cmp::Ordering::Less);
        }
        assert!(reader.read(blob).is_none(), "a blob is not a tree");
    }

    /// Trees read from loose objects (libgit2) and, once packed, from the
    /// packs (gitoxide) are the same bytes; a blob is not a tree, and a
    /// missing id is missing to both.
    #[test]
    fn trees_read_the_same_loose_and_packed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let blob = repo.blob(b"x").unwrap();
        let mut trees = Vec::new();
        for n in 0..3 {
            let mut b = repo.treebuilder(None).unwrap();
            for i in 0..=n * 100 {
                b.insert(format!("file-{i}.txt"), blob, 0o100644).unwrap();
            }
            let id = b.write().unwrap();
            // A ref keeps the tree through `git repack` and `git prune`.
            repo.reference(&format!("refs/keep/{n}"), id, true, "test")
                .unwrap();
            trees.push(id);
        }
        let objects = dir.path().join(".git/objects");
        let loose = Packs::open(&objects).0;
        let mut reader = TreeReader::new(&repo, &loose).unwrap();
        let want: Vec<Rc<Vec<u8>>> = trees.iter().map(|&t| reader.read_raw(t).unwrap()).collect();
        let missing = Oid::from_bytes(&[7; 20]).unwrap();
        let read_all = |repo: &Repository, packs: &Packs| {
            let mut reader = TreeReader::new(repo, packs).unwrap();
            for (&id, want) in trees.iter().zip(&want) {
                assert_eq!(reader.read_raw(id).as_ref(), Some(want));
            }
            assert!(reader.read_raw(blob).is_none());
            assert!(reader.read_raw(missing).is_none());
        };
        read_all(&repo, &loose);
        git(dir.path(), &["repack", "-a", "-d", "-q"]);
        git(dir.path(), &["prune"]);
        let packed = Repository::open(dir.path()).unwrap();
        let packs = Packs::open(&objects).0;
        assert_eq!(packs.iter().count(), 1);
        // Read from the pack, not through libgit2.
        let mut reading = Reading::default();
        let mut cache = BaseCache::new(TREE_BASE_CACHE, TREE_BASE_CACHE);
        for (&id, want) in trees.iter().zip(&want) {
            let (tree, kind) = packs.read(id, &mut reading, &mut cache, 1).unwrap();
            assert_eq!(kind, gix_object::Kind::Tree);
            assert_eq!(&tree, want);
        }
        assert!(packs.read(missing, &mut reading, &mut cache, 1).is_none());
        read_all(&packed, &packs);
    }

    /// The size nine in ten trees read are at most is the top of their
    /// bucket, and a size past the last bucket counts in it.
    #[test]
    fn tree_sizes_give_the_size_nine_in_ten_are_under() {
        let mut sizes = TreeSizes::default();
        for _ in 0..90 {
            sizes.add(300);
        }
        for _ in 0..10 {
            sizes.add(50_000);
        }
        assert_eq!(sizes.ninetieth(), 1024);
        sizes.add(50_000);
        assert_eq!(sizes.ninetieth(), 49 << 10);
        // Larger than the last bucket: counted in it.
        let mut huge = TreeSizes::default();
        huge.add(10 << 20);
        assert_eq!(huge.ninetieth(), 256 << 10);
    }
}
