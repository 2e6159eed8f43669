//! Git sources: the full history (every blob reachable from the selected
//! refs, each listed once with the first commit and path that introduced
//! it), ranges and the index (the lines each change adds), and the
//! first-parent walk that tells when a secret left the default branch.
//!
//! This module enumerates and reads; it never detects. Trees are compared by
//! object id, so unchanged subtrees cost nothing, and a subtree already
//! processed anywhere in history is never walked again for its blobs (on
//! HEAD's first-parent line it is, for the paths it changed).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use git2::{Commit, Delta, DiffFindOptions, DiffOptions, ObjectType, Oid, Repository, Sort};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::oids::OidIndex;
use crate::pack::{Decoded, Object, Packs, Reading};
use crate::paths::{PathId, Paths};
use keyward_content::CommitInfo;
use keyward_content::{LineRange, Skip, SkipReason};

/// Which commits a history audit walks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RefSelection {
    /// Every ref: branches, tags, remote-tracking refs, stash, and HEAD.
    #[default]
    All,
    /// One ref's history.
    Branch(String),
}

/// A blob and where it was first seen.
#[derive(Debug, Clone, Copy)]
pub struct BlobSite {
    pub oid: Oid,
    /// Its text is [`History::path`].
    pub path: PathId,
    /// Index into [`History::commits`].
    pub commit: usize,
}

/// Everything a history audit scans, in history order (oldest first).
///
/// It is kept small, since it grows with the history: a commit is its id
/// (what the reports say of it is read when a finding names it, see
/// [`CommitBook`]), and a blob names its path by an interned id.
#[derive(Debug, Default)]
pub struct History {
    /// Each commit walked.
    pub commits: Vec<Oid>,
    /// Each walked commit's index in `commits`.
    pub commit_index: OidIndex,
    /// Every path a blob was seen at, and every path HEAD's line changed.
    pub paths: Paths,
    /// Each unique blob once, at its first (commit, path).
    pub blobs: Vec<BlobSite>,
    /// Each blob's index in `blobs`.
    pub blob_index: OidIndex,
    /// Later sightings of an already-listed blob at another path.
    pub other_sites: Vec<BlobSite>,
    pub skips: Vec<Skip>,
    pub submodules: usize,
    /// Refs that do not point at a commit (a tag of a tree or blob).
    pub non_commit_refs: usize,
    /// Paths the caller asked to track (at most 64), in the order found.
    pub tracked: Vec<String>,
    /// For each commit (by index), which tracked paths were committed in
    /// its ancestry (bit `i` is `tracked[i]`): which refs still hold such a
    /// file is then one lookup per ref.
    pub ancestry: Vec<u64>,
    /// What each commit of HEAD's first-parent line changed, recorded
    /// during the walk; `None` when the walk did not cover that whole line
    /// (another ref selected, or a commit or tree unreadable), and then
    /// [`first_parent_path_changes`] walks it instead.
    pub chain: Option<ChainLog>,
}

impl History {
    /// The path of a blob's sighting.
    pub fn path(&self, site: &BlobSite) -> &str {
        self.paths.get(site.path)
    }

    /// Which tracked paths were committed in the ancestry of `commit`, if
    /// the walk saw it.
    pub fn ancestry_of(&self, commit: Oid) -> Option<u64> {
        let i = self.commit_index(&commit)?;
        self.ancestry.get(i as usize).copied()
    }

    /// The index in `commits` of a walked commit.
    pub fn commit_index(&self, commit: &Oid) -> Option<u32> {
        self.commit_index
            .get(commit, |at| self.commits[at as usize])
    }
}

/// Every path change along HEAD's first-parent line, oldest first, as the
/// history walk's diffs found them: which secrets are still at HEAD and
/// which commit removed them then needs no second walk.
#[derive(Debug, Default)]
pub struct ChainLog {
    /// Commit index, path (in [`History::paths`]) and the change, in commit
    /// order. A name that is not UTF-8 is logged as it is reported, read
    /// lossily (the second walk never matched such a name, so it called
    /// every such file gone).
    events: Vec<(u32, PathId, ChainChange)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChainChange {
    /// The file at the path is now this blob, or gone (`None`).
    File(Option<Oid>),
    /// The directory at the path is gone, with everything under it.
    DirGone,
}

impl ChainLog {
    fn push(&mut self, commit: usize, path: PathId, change: ChainChange) {
        self.events.push((commit as u32, path, change));
    }

    /// The changes of `paths` (sorted), in the form
    /// [`first_parent_path_changes`] returns them; `names` and `commits`
    /// are the walk's.
    pub fn changes(&self, paths: &[String], names: &Paths, commits: &[Oid]) -> PathChanges {
        let watched: HashMap<PathId, usize> = paths
            .iter()
            .enumerate()
            .filter_map(|(i, p)| names.find(p).map(|id| (id, i)))
            .collect();
        let mut current: Vec<Option<Oid>> = vec![None; paths.len()];
        let mut out = Vec::new();
        let mut set = |i: usize, to: Option<Oid>, commit: u32, out: &mut PathChanges| {
            if current[i] != to {
                current[i] = to;
                out.push((commits[commit as usize], i, to));
            }
        };
        for &(commit, path, change) in &self.events {
            match change {
                ChainChange::File(to) => {
                    if let Some(&i) = watched.get(&path) {
                        set(i, to, commit, &mut out);
                    }
                }
                ChainChange::DirGone => {
                    let dir = format!("{}/", names.get(path));
                    let from = paths.partition_point(|p| p.as_str() < dir.as_str());
                    for (i, _) in paths[from..]
                        .iter()
                        .enumerate()
                        .take_while(|(_, p)| p.starts_with(&dir))
                    {
                        set(from + i, None, commit, &mut out);
                    }
                }
            }
        }
        out
    }
}

/// Opens the repository at or above `path`, bare or not.
pub fn open(path: &Path) -> Result<Repository> {
    Repository::discover(path).with_context(|| format!("{}: not a git repository", path.display()))
}

/// The commit checked out in the repository at or above `path` and the
/// repository's work tree (`None` when bare); `None` outside a repository
/// or before its first commit.
pub fn checkout(path: &Path) -> Option<(CommitInfo, Option<std::path::PathBuf>)> {
    let repo = Repository::discover(path).ok()?;
    let commit = repo.head().ok()?.peel_to_commit().ok()?;
    Some((commit_info(&commit), repo.workdir().map(Path::to_path_buf)))
}

/// What the reports say of each commit, read the first time a finding
/// names it: a history audit keeps only commit ids.
pub struct CommitBook<'r> {
    repo: &'r Repository,
    read: HashMap<Oid, Arc<CommitInfo>>,
}

impl<'r> CommitBook<'r> {
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

/// The commits of `selection`, oldest first (parents before children).
fn walk_commits(
    repo: &Repository,
    selection: &RefSelection,
    history: &mut History,
) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    match selection {
        RefSelection::All => {
            for reference in repo.references()? {
                let Ok(reference) = reference else { continue };
                match reference.peel_to_commit() {
                    Ok(c) => walk.push(c.id())?,
                    Err(_) => history.non_commit_refs += 1,
                }
            }
            if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
                walk.push(head.id())?;
            }
        }
        RefSelection::Branch(name) => {
            let commit = repo
                .revparse_single(name)
                .and_then(|o| o.peel_to_commit())
                .with_context(|| format!("`{name}` does not name a commit"))?;
            walk.push(commit.id())?;
        }
    }
    let mut out = Vec::new();
    for oid in walk {
        match oid {
            Ok(oid) => out.push(oid),
            Err(e) => history.skips.push(Skip {
                path: "@commits".into(),
                reason: SkipReason::Unreadable(e.message().to_string()),
            }),
        }
    }
    Ok(out)
}

/// Called with each non-empty commit message as its commit is walked, with
/// the commit's index in [`History::commits`]; messages are not kept.
pub type OnMessage<'f> = &'f (dyn Fn(usize, String) + Sync);

struct Enumerator<'r, 'f> {
    trees: TreeReader<'r>,
    seen_trees: FxHashSet<Oid>,
    history: History,
    track: &'f (dyn Fn(&str) -> bool + Sync),
    mask: u64,
    /// HEAD's first-parent line, and whether the commit being walked is on it.
    chain: HashSet<Oid>,
    on_chain: bool,
    log: ChainLog,
    /// Commits of the line walked, and whether a tree of one was unreadable.
    chain_walked: usize,
    chain_broken: bool,
    /// Where each blob's entries in `history.other_sites` are.
    other_paths: FxHashMap<Oid, Vec<u32>>,
    /// Each walked commit's root tree, by index: a child's diff starts from
    /// its parent's without reading the parent again.
    roots: Vec<Oid>,
    /// Trees met with a malformed entry: a version that shares the rest of
    /// such a tree may share the entry.
    malformed: FxHashSet<Oid>,
}

impl Enumerator<'_, '_> {
    /// Marks a tracked path as committed in the current commit's ancestry.
    fn note(&mut self, path: &str) {
        if !(self.track)(path) {
            return;
        }
        let bit = match self.history.tracked.iter().position(|t| t == path) {
            Some(b) => b,
            None if self.history.tracked.len() < 64 => {
                self.history.tracked.push(path.to_string());
                self.history.tracked.len() - 1
            }
            None => return,
        };
        self.mask |= 1 << bit;
    }

    /// Records the blobs the tree `new` adds relative to the tree `old`,
    /// walking only subtrees that changed and were never walked before.
    /// On HEAD's first-parent line it also logs every path that changed,
    /// walking changed subtrees walked before too (`fresh` is false there):
    /// their blobs are known, but a path not noted yet for a blob is (a
    /// directory renamed whole, or a branch's renamed file merged).
    fn changes(&mut self, old: Option<Oid>, new: Oid, prefix: &str, commit: usize, fresh: bool) {
        let Some(new_tree) = self.read_tree(new, prefix, fresh) else {
            return;
        };
        let old_tree = old.and_then(|o| self.read_tree(o, prefix, fresh));
        let (new_data, old_data) = (&new_tree.0[..], old_tree.as_ref().map_or(&[][..], |t| &t.0));
        // Both trees are sorted in git's order, so one merge pass pairs each
        // entry with its namesake in the parent tree. The entries both trees
        // open and end with are the same bytes, and are skipped: in a large
        // directory where one file changed, that is nearly all of them.
        //
        // An unsorted tree (written by some other tool) on HEAD's line sends
        // the lifecycles back to the second walk, which looks names up. Only
        // the new tree's entries the pass meets are checked, and where they
        // join those skipped: the parent tree was checked whole as a new
        // tree when the line first had it (a tree with no parent version is
        // met whole), so what the two share is in order.
        let check = self.on_chain;
        let shared = SharedEnds::of(new_data, old_data);
        let mut new_order = InOrder {
            last: shared.last_of_start.filter(|_| check),
            broken: false,
        };
        let mut new_entries = Entries::new(new_data, shared.start);
        let mut old_entries = Entries::new(old_data, shared.start);
        // The parent's next entry, and where it starts.
        let mut old_at = old_entries.at;
        let mut old_next = old_entries.next();
        let mut rest_shared = false;
        loop {
            let left = new_data.len() - new_entries.at;
            if left <= shared.end && left == old_data.len() - old_at {
                // The rest of both is the same bytes, from an entry's start
                // in each: the same entries.
                match Entries::new(new_data, new_entries.at).next() {
                    None => break,
                    Some(Ok(first)) => {
                        if check {
                            new_order.see(first);
                        }
                        // A malformed entry in the rest is the parent's
                        // too: the tree is malformed as its parent was.
                        let parent_malformed = old.is_some_and(|o| self.malformed.contains(&o));
                        if parent_malformed
                            && Entries::new(new_data, new_entries.at).any(|e| e.is_err())
                        {
                            self.malformed_tree(new, prefix, fresh);
                            return;
                        }
                        rest_shared = true;
                        break;
                    }
                    // Met as a malformed entry below.
                    Some(Err(Malformed)) => {}
                }
            }
            let Some(entry) = new_entries.next() else {
                break;
            };
            let Ok(entry) = entry else {
                self.malformed_tree(new, prefix, fresh);
                return;
            };
            if check {
                new_order.see(entry);
            }
            let mut before = None;
            while let Some(Ok(c)) = old_next {
                match c.git_cmp(&entry) {
                    std::cmp::Ordering::Less => self.log_gone(prefix, &c, commit),
                    std::cmp::Ordering::Equal => before = Some(c),
                    std::cmp::Ordering::Greater => break,
                }
                old_at = old_entries.at;
                old_next = old_entries.next();
                if before.is_some() {
                    break;
                }
            }
            if before.as_ref().is_some_and(|b| b.id == entry.id) {
                continue;
            }
            let Ok(oid) = Oid::from_bytes(entry.id) else {
                continue;
            };
            if let Some(b) = before.filter(|b| b.kind() != entry.kind()) {
                self.log_gone(prefix, &b, commit);
            }
            match entry.kind() {
                EntryKind::Tree => {
                    let first = fresh && self.seen_trees.insert(oid);
                    if !first && !self.on_chain {
                        continue;
                    }
                    let path = join(prefix, entry.name);
                    let old_sub = before
                        .filter(|b| b.kind() == EntryKind::Tree)
                        .and_then(|b| Oid::from_bytes(b.id).ok());
                    self.changes(old_sub, oid, &path, commit, first);
                }
                EntryKind::Blob => {
                    let path = join(prefix, entry.name);
                    let id = self.history.paths.intern(&path);
                    if self.on_chain {
                        self.log.push(commit, id, ChainChange::File(Some(oid)));
                    }
                    // In a tree walked before (a directory renamed whole on
                    // HEAD's line) this lists the file's new path.
                    self.blob(oid, &path, id, commit, fresh);
                }
                EntryKind::Commit => {
                    if fresh {
                        self.history.submodules += 1;
                    }
                }
            }
        }
        // What is left of the parent tree is gone (unless it is malformed:
        // an unreadable entry says nothing about what is gone).
        if self.on_chain {
            if !rest_shared {
                for gone in old_next.into_iter().chain(old_entries) {
                    let Ok(gone) = gone else {
                        self.chain_broken = true;
                        break;
                    };
                    self.log_gone(prefix, &gone, commit);
                }
            }
            self.chain_broken |= new_order.broken;
        }
    }

    /// Counts a tree with a malformed entry as unreadable (once, when it is
    /// fresh); its entries after that one are not listed.
    fn malformed_tree(&mut self, tree: Oid, prefix: &str, fresh: bool) {
        self.malformed.insert(tree);
        if fresh {
            self.history.skips.push(Skip {
                path: prefix.to_string(),
                reason: SkipReason::Unreadable(format!("tree {tree} is malformed")),
            });
        }
        self.chain_broken |= self.on_chain;
    }

    /// Logs, on HEAD's first-parent line, that a parent tree's entry is gone.
    fn log_gone(&mut self, prefix: &str, gone: &RawEntry<'_>, commit: usize) {
        if !self.on_chain {
            return;
        }
        let change = match gone.kind() {
            EntryKind::Tree => ChainChange::DirGone,
            EntryKind::Blob => ChainChange::File(None),
            EntryKind::Commit => return,
        };
        let path = self.history.paths.intern(&join(prefix, gone.name));
        self.log.push(commit, path, change);
    }

    /// Lists a blob at `path` the first time it is seen, or notes another
    /// path it appears at. In a tree walked before (`fresh` false) only a
    /// path not noted yet is: a merge on HEAD's line brings in files its
    /// branch already introduced there.
    fn blob(&mut self, oid: Oid, text: &str, path: PathId, commit: usize, fresh: bool) {
        let blobs = &mut self.history.blobs;
        match self
            .history
            .blob_index
            .get(&oid, |at| blobs[at as usize].oid)
        {
            None => {
                let index = u32::try_from(blobs.len()).expect("fewer than 2^32 unique blobs");
                blobs.push(BlobSite { oid, path, commit });
                self.history
                    .blob_index
                    .insert(&oid, index, |at| blobs[at as usize].oid);
                self.note(text);
            }
            Some(first) => {
                self.note(text);
                let noted = self.other_paths.get(&oid).is_some_and(|sites| {
                    sites
                        .iter()
                        .any(|&i| self.history.other_sites[i as usize].path == path)
                });
                if self.history.blobs[first as usize].path != path && (fresh || !noted) {
                    self.other_paths
                        .entry(oid)
                        .or_default()
                        .push(self.history.other_sites.len() as u32);
                    self.history
                        .other_sites
                        .push(BlobSite { oid, path, commit });
                }
            }
        }
    }

    /// A tree's raw bytes, or a counted skip at `path` when it is missing.
    /// Only a fresh tree's loss is counted: a tree walked again for HEAD's
    /// line was counted the first time.
    fn read_tree(&mut self, oid: Oid, path: &str, fresh: bool) -> Option<RawTree> {
        let tree = self.trees.read(oid);
        if tree.is_none() {
            self.chain_broken |= self.on_chain;
        }
        if tree.is_none() && fresh {
            self.history.skips.push(Skip {
                path: if path.is_empty() {
                    "@tree".into()
                } else {
                    path.to_string()
                },
                reason: SkipReason::Unreadable(format!("tree {oid} is missing")),
            });
        }
        tree
    }
}

/// A tree object's raw bytes. libgit2's tree parsing (an allocation per
/// entry and a generic number parser for each mode) took a quarter of a
/// history walk; the format is fixed (`<octal mode> <name>\0<20-byte id>`
/// per entry), so the walk reads raw objects and iterates them in place.
#[derive(Clone)]
struct RawTree(Rc<Vec<u8>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    Tree,
    Blob,
    /// A submodule's commit (gitlink).
    Commit,
}

/// Whether a tree's entries come strictly in git's order (which also rules
/// out a name listed twice), told one entry at a time.
#[derive(Default)]
struct InOrder<'a> {
    last: Option<RawEntry<'a>>,
    broken: bool,
}

impl<'a> InOrder<'a> {
    fn see(&mut self, entry: RawEntry<'a>) {
        self.broken |= self
            .last
            .is_some_and(|l| l.git_cmp(&entry) != std::cmp::Ordering::Less);
        self.last = Some(entry);
    }
}

/// One entry of a raw tree.
#[derive(Debug, Clone, Copy)]
struct RawEntry<'a> {
    mode: u32,
    name: &'a [u8],
    id: &'a [u8],
}

impl RawEntry<'_> {
    /// The entry's kind as libgit2 and git read it: any mode that is not a
    /// directory or a submodule is a file (git's fsck only warns about
    /// odd modes such as `644`, so such trees exist and must be scanned).
    fn kind(&self) -> EntryKind {
        match self.mode & 0o170000 {
            0o040000 => EntryKind::Tree,
            0o160000 => EntryKind::Commit,
            _ => EntryKind::Blob,
        }
    }

    fn git_cmp(&self, other: &RawEntry<'_>) -> std::cmp::Ordering {
        tree_order((self.kind(), self.name), (other.kind(), other.name))
    }
}

/// A malformed tree entry.
#[derive(Debug)]
struct Malformed;

impl RawTree {
    /// The kind and id of the entry called each of `names` (sorted), in
    /// one pass over the entries: looking names up one by one cost a pass
    /// each and made the lifecycle walk of a large directory quadratic.
    fn lookup(&self, names: &[&[u8]]) -> Result<Vec<Option<(EntryKind, Oid)>>, Malformed> {
        let mut found = vec![None; names.len()];
        let mut left = names.len();
        for entry in self.entries() {
            if left == 0 {
                break;
            }
            let entry = entry?;
            if let Ok(i) = names.binary_search(&entry.name) {
                // A malformed tree can repeat a name: count each name once.
                if found[i].is_none() {
                    left -= 1;
                }
                let id = Oid::from_bytes(entry.id).map_err(|_| Malformed)?;
                found[i].get_or_insert((entry.kind(), id));
            }
        }
        Ok(found)
    }

    /// The entries in stored order; a malformed entry ends the iteration
    /// with an error.
    fn entries(&self) -> Entries<'_> {
        Entries::new(&self.0, 0)
    }
}

/// A raw tree's entries in stored order from an entry's start; a malformed
/// entry ends the iteration with an error.
struct Entries<'a> {
    data: &'a [u8],
    /// Where the next entry starts.
    at: usize,
}

impl<'a> Entries<'a> {
    fn new(data: &'a [u8], at: usize) -> Self {
        Entries { data, at }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<RawEntry<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.get(self.at..).filter(|r| !r.is_empty())?;
        match parse_entry(rest) {
            Ok((entry, tail)) => {
                self.at = self.data.len() - tail.len();
                Some(Ok(entry))
            }
            Err(m) => {
                self.at = self.data.len();
                Some(Err(m))
            }
        }
    }
}

/// What two versions of a tree share at either end.
struct SharedEnds<'a> {
    /// Where the entries the two open with end (the same offset in both).
    start: usize,
    /// The last of those entries.
    last_of_start: Option<RawEntry<'a>>,
    /// How many bytes after `start` the two end with.
    end: usize,
}

impl<'a> SharedEnds<'a> {
    fn of(new: &'a [u8], old: &[u8]) -> Self {
        let same = common_prefix(new, old);
        // An entry is shared when it ends within the bytes both open with;
        // a malformed one ends the shared start (the pass meets it).
        let mut entries = Entries::new(new, 0);
        let (mut start, mut last_of_start) = (0, None);
        while let Some(Ok(entry)) = entries.next() {
            if entries.at > same {
                break;
            }
            (start, last_of_start) = (entries.at, Some(entry));
        }
        SharedEnds {
            start,
            last_of_start,
            end: common_suffix(&new[start..], &old[start.min(old.len())..]),
        }
    }
}

/// How many bytes `a` and `b` open with alike, compared a block at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// How many bytes `a` and `b` end with alike.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + BLOCK <= n && a[n - i - BLOCK..n - i] == b[n - i - BLOCK..n - i] {
        i += BLOCK;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

fn parse_entry(data: &[u8]) -> Result<(RawEntry<'_>, &[u8]), Malformed> {
    let space = memchr::memchr(b' ', data).ok_or(Malformed)?;
    let (mode_text, rest) = (&data[..space], &data[space + 1..]);
    if mode_text.is_empty() || mode_text.len() > 7 {
        return Err(Malformed);
    }
    let mut mode = 0u32;
    for &d in mode_text {
        if !(b'0'..=b'7').contains(&d) {
            return Err(Malformed);
        }
        mode = mode * 8 + u32::from(d - b'0');
    }
    let nul = memchr::memchr(0, rest).ok_or(Malformed)?;
    let (name, rest) = (&rest[..nul], &rest[nul + 1..]);
    if name.is_empty() || rest.len() < 20 {
        return Err(Malformed);
    }
    let (id, rest) = rest.split_at(20);
    Ok((RawEntry { mode, name, id }, rest))
}

/// Reads raw trees: from the repository's packs (gitoxide's mappings, the
/// pack pass's, with delta chains resolved by [`Packs::read`]), else (a
/// loose tree, one in a pack that did not open) through libgit2.
/// (Keeping recently read trees for the next commit's diff, within an
/// 8 MiB budget, saved no time once trees were read raw: trufflehog's audit took 2.55 to 2.75 s with it and 2.5 s
/// without, the 100k-commit synthetic history 30.5 s and 30.2 s; and it
/// cost memory: trufflehog's peak was 18 MB lower and the 10k-commit
/// history's 43 MB lower without it.)
///
/// libgit2 read every tree until this design: it copies a whole delta base
/// out of its cache at each step of a chain, which made large trees
/// quadratic (every tree of a 50k-commit history with 2,500-entry
/// directories: libgit2 11.4 s, gitoxide 2.1 s). On trufflehog's and
/// cargo's small trees the two read as fast (trufflehog's walk 1.64 and
/// 1.70 s, cargo's 2.80 and 2.39 s), and libgit2's own mapping of the packs
/// counted them twice in resident memory.
struct TreeReader<'r> {
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

/// What the walk reads of a commit.
#[derive(Debug, PartialEq, Eq)]
struct WalkedCommit {
    tree: Oid,
    parents: Vec<Oid>,
    /// As libgit2 gives it: without the newlines it may open with.
    message: Vec<u8>,
}

/// The most bytes of [`BaseCache`], the walk's cache of decoded objects (measured
/// with gitoxide's own cache before it: 8 MiB read the 50k history's trees
/// as fast as 16; 4 MiB took 30% longer).
const TREE_BASE_CACHE: usize = 8 << 20;

/// The fewest bytes of [`BaseCache`]. Between the two it holds
/// [`TREES_CACHED`] trees of the size nine in ten trees read so far are at
/// most: what it saves is resolving a tree's delta chain again (the walk
/// reads a version of a directory as new, and again as the parent of its
/// next version), which costs in proportion to the trees' size. Nine in ten
/// of trufflehog's trees are under 1.3 KB, and its walk took 0.94 s with
/// 8 MiB, 0.98 s with 4, 1.09 s with 2 and 1.14 s with 1, while its peak
/// memory went from 139 to 129 MiB (8 and 2 MiB). Nine in ten of the
/// 100k-commit synthetic history's are under 65 KB, and its walk took
/// 15.7 s with 8 MiB, 18.8 s with 6 and 25.4 s with 4. (Sized by the
/// largest tree read, the 50k history's walk got 6 MiB and took 6.0 s
/// against 3.8 s; by the average tree, 7.9 s.)
const TREE_BASE_CACHE_MIN: usize = 2 << 20;

/// How many objects of a tree's delta chain a read puts in [`BaseCache`]:
/// the tree, and the object it was made from (each if it was made from a
/// delta: an object stored whole is not kept). The walk reads the versions
/// of a directory oldest first, and git makes an older version from a
/// newer one: the base is often the next version the walk reads, or near
/// it on the chain. Against the tree alone (gitoxide's decoder), the walk
/// of trufflehog took 1.05 s against 1.31 s, cargo's 1.23 s against 1.46 s
/// and the 100k-commit synthetic history's 10.5 s against 13.7 s. Keeping
/// three took as long or longer (1.04, 1.30 and 11.2 s), eight 5.1 s on
/// the 50k history against 3.5 s: the bases put push out trees still to
/// be read.
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
    fn new(repo: &'r Repository, packs: &'r Packs) -> Result<TreeReader<'r>> {
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
    fn read(&mut self, oid: Oid) -> Option<RawTree> {
        Some(RawTree(self.read_raw(oid)?))
    }

    /// Commit `oid`, from the packs (parsed by gitoxide, with libgit2's
    /// changes: the newlines a message opens with are dropped, and a NUL
    /// ends it), else (loose, not parsed, or in a repository whose commits
    /// are grafted) through libgit2. libgit2 read each commit
    /// twice, in the revwalk and here: a fifth of trufflehog's walk.
    fn commit(&mut self, oid: Oid) -> Result<WalkedCommit, git2::Error> {
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

/// A commit's tree, parents and message, if gitoxide parses it.
fn parse_commit(data: &[u8]) -> Option<WalkedCommit> {
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

/// The walk's cache of objects decoded from delta chains: least recently
/// used out first, weighed by the memory of its buffers, which it reuses.
/// It holds 2 to 8 MiB of bases, by the size of the trees read (see
/// [`TREE_BASE_CACHE_MIN`]; none over a quarter of that: a tree of tens
/// of thousands of entries is read without it) and up to 16 spare buffers of at most
/// 2 MiB each.
///
/// The 50k-commit history's audit peaked at 468-488 MiB reading trees
/// through gitoxide's own `MemoryCappedHashmap` (8 MiB), at 480 MiB through
/// a cache that stored each base in a buffer of its exact size, and at
/// 295 MiB with reused buffers, in the same time. A freed base and a new
/// one per tree read fragmented the heap: 7 s into that audit, one glibc
/// arena held 155 MB with 25 MB in use (`malloc_stats`).
struct BaseCache {
    entries: clru::CLruCache<(u32, u64), CachedBase, rustc_hash::FxBuildHasher, BaseBytes>,
    /// The bytes it may hold now, at most the cache's capacity.
    limit: usize,
    /// Buffers of evicted bases, for the next ones.
    spare: Vec<Vec<u8>>,
}

const SPARE_BUFFERS: usize = 16;

struct CachedBase {
    data: Rc<Vec<u8>>,
    kind: gix_object::Kind,
}

/// Weighs a cached base by the memory its buffer holds.
struct BaseBytes;

impl clru::WeightScale<(u32, u64), CachedBase> for BaseBytes {
    fn weight(&self, _: &(u32, u64), base: &CachedBase) -> usize {
        base.data.capacity()
    }
}

impl BaseCache {
    /// A cache of at most `bytes`, holding `limit` bytes for now.
    fn new(bytes: usize, limit: usize) -> BaseCache {
        let bytes = std::num::NonZeroUsize::new(bytes).expect("a cache of some bytes");
        BaseCache {
            limit,
            entries: clru::CLruCache::with_config(
                clru::CLruCacheConfig::new(bytes)
                    .with_hasher(rustc_hash::FxBuildHasher)
                    .with_scale(BaseBytes),
            ),
            spare: Vec::new(),
        }
    }

    /// Lets the cache hold `bytes` (it shrinks as bases are put).
    fn set_limit(&mut self, bytes: usize) {
        self.limit = bytes;
    }

    /// The largest object it keeps, and the largest buffer it keeps spare.
    fn largest(&self) -> usize {
        self.limit.min(self.entries.capacity()) / 4
    }

    /// Keeps the buffer of an evicted object spare, unless the reader still
    /// holds it.
    fn keep_spare(&mut self, data: Rc<Vec<u8>>) {
        if let Ok(buffer) = Rc::try_unwrap(data) {
            self.recycle(buffer);
        }
    }
}

impl Decoded for BaseCache {
    fn put(&mut self, pack: u32, offset: u64, data: &Rc<Vec<u8>>, kind: gix_object::Kind) {
        if data.len() > self.largest() {
            return;
        }
        // Room is made here, not by the cache, so the evicted buffers are
        // kept (the cache counts an entry as one unit of weight as well).
        let limit = self.limit.min(self.entries.capacity());
        while self.entries.len() + self.entries.weight() + data.capacity() >= limit {
            let Some((_, old)) = self.entries.pop_back() else {
                break;
            };
            self.keep_spare(old.data);
        }
        let base = CachedBase {
            data: data.clone(),
            kind,
        };
        match self.entries.put_with_weight((pack, offset), base) {
            Ok(Some(old)) | Err((_, old)) => self.keep_spare(old.data),
            Ok(None) => {}
        }
    }

    fn get(&mut self, pack: u32, offset: u64) -> Option<Object> {
        let base = self.entries.get(&(pack, offset))?;
        Some((base.data.clone(), base.kind))
    }

    /// The smallest spare buffer `size` bytes fit in, else a new one.
    fn buffer(&mut self, size: usize) -> Vec<u8> {
        let fit = (0..self.spare.len())
            .filter(|&i| self.spare[i].capacity() >= size)
            .min_by_key(|&i| self.spare[i].capacity());
        match fit {
            Some(i) => {
                let mut buffer = self.spare.swap_remove(i);
                buffer.clear();
                buffer
            }
            None => Vec::with_capacity(size),
        }
    }

    /// Keeps a buffer spare, unless it is over the largest object kept;
    /// when the spare ones are all kept, it takes the place of the smallest
    /// if larger (large objects are the churn).
    fn recycle(&mut self, buffer: Vec<u8>) {
        if buffer.capacity() > self.largest() {
            return;
        }
        if self.spare.len() < SPARE_BUFFERS {
            self.spare.push(buffer);
            return;
        }
        let smallest = (0..self.spare.len()).min_by_key(|&i| self.spare[i].capacity());
        if let Some(i) = smallest.filter(|&i| self.spare[i].capacity() < buffer.capacity()) {
            self.spare[i] = buffer;
        }
    }
}

/// Process-global libgit2 settings for reading a whole history. libgit2
/// re-hashes every object it reads (SHA-1 with collision detection), which
/// took 41% of a history walk in a profile: like `git cat-file`, a scanner
/// reads the bytes that are there, so verification is off. Its object cache
/// (up to 256 MiB per repository handle) held half the peak memory of an
/// 18k-commit audit for no measurable speed: each tree is walked once, so
/// the cache is off. (Raising its 4 KiB tree limit was tried too: no gain,
/// 400 MB more.)
pub fn tune_for_reading() {
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
}

/// Git's tree order: names compared bytewise, a tree's name as if it ended
/// in `/`.
fn tree_order(a: (EntryKind, &[u8]), b: (EntryKind, &[u8])) -> std::cmp::Ordering {
    let ((ak, an), (bk, bn)) = (a, b);
    let common = an.len().min(bn.len());
    an[..common].cmp(&bn[..common]).then_with(|| {
        let end = |name: &[u8], kind| {
            name.get(common)
                .copied()
                .unwrap_or(if kind == EntryKind::Tree { b'/' } else { 0 })
        };
        end(an, ak).cmp(&end(bn, bk))
    })
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Lists every unique blob reachable from `selection`, with the first commit
/// and path that introduced it (it reads no blob), calling `on_message` for
/// each commit message. `tick` is called once per
/// commit; paths for which `track` is true are recorded in each commit's
/// ancestry mask.
pub fn enumerate(
    repo: &Repository,
    packs: &Packs,
    selection: &RefSelection,
    tick: &dyn Fn(),
    on_message: OnMessage<'_>,
    track: &(dyn Fn(&str) -> bool + Sync),
) -> Result<History> {
    tune_for_reading();
    let mut history = History::default();
    // HEAD's line is listed on a second thread while the commits are
    // sorted (a core the workers do not use yet).
    let dir = repo.path().to_path_buf();
    let (oids, line) = std::thread::scope(|s| {
        let line = s.spawn(|| Repository::open(&dir).map(|r| head_line(&r)));
        // The commits are listed through a handle of their own, closed
        // when done: libgit2 maps the packs again for what it reads, and
        // those pages counted in the audit's peak beside gitoxide's mapping
        // of the same packs until the handle that read them closed.
        let oids = Repository::open(&dir)
            .map_err(anyhow::Error::from)
            .and_then(|r| walk_commits(&r, selection, &mut history));
        (oids, line.join())
    });
    // The walked commits are kept in the list being walked, its first
    // `kept` places (a commit that cannot be read is left out).
    let oids = oids?;
    let chain = match line {
        Ok(Ok(line)) => line,
        _ => head_line(repo),
    };
    let mut en = Enumerator {
        trees: TreeReader::new(repo, packs)?,
        seen_trees: FxHashSet::default(),
        history,
        track,
        mask: 0,
        chain,
        on_chain: false,
        log: ChainLog::default(),
        chain_walked: 0,
        chain_broken: false,
        other_paths: FxHashMap::default(),
        roots: Vec::new(),
        malformed: FxHashSet::default(),
    };
    let listed = oids.len();
    en.history.commits = oids;
    let mut kept = 0;
    for at in 0..listed {
        let oid = en.history.commits[at];
        tick();
        let commit = match en.trees.commit(oid) {
            Ok(c) => c,
            Err(e) => {
                en.history.skips.push(Skip {
                    path: format!("@commit {oid}"),
                    reason: SkipReason::Unreadable(e.message().to_string()),
                });
                continue;
            }
        };
        let index = kept;
        kept += 1;
        let commits = &mut en.history.commits;
        commits[index] = oid;
        en.history
            .commit_index
            .insert(&oid, index as u32, |at| commits[at as usize]);
        let message = String::from_utf8_lossy(&commit.message).into_owned();
        if !message.trim().is_empty() {
            on_message(index, message);
        }
        let tree = commit.tree;
        en.roots.push(tree);
        en.mask = commit
            .parents
            .iter()
            .map(|&p| en.history.ancestry_of(p).unwrap_or(0))
            .fold(0, |a, b| a | b);
        // The parent was walked before its child, so its root tree is known
        // without reading the parent commit again (unless it lies beyond a
        // shallow boundary).
        let parent_tree = commit
            .parents
            .first()
            .and_then(|p| match en.history.commit_index(p) {
                Some(i) => Some(en.roots[i as usize]),
                None => repo.find_commit(*p).ok().map(|c| c.tree_id()),
            });
        en.on_chain = en.chain.contains(&oid);
        en.chain_walked += usize::from(en.on_chain);
        en.changes(parent_tree, tree, "", index, true);
        en.history.ancestry.push(en.mask);
    }
    en.history.commits.truncate(kept);
    if en.chain_walked == en.chain.len() && !en.chain_broken {
        en.history.chain = Some(en.log);
    }
    Ok(en.history)
}

/// HEAD's first-parent line (empty without a HEAD commit). It stops where
/// a parent cannot be read (a shallow boundary).
fn head_line(repo: &Repository) -> HashSet<Oid> {
    let mut line = HashSet::new();
    let Ok(mut at) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return line;
    };
    line.insert(at.id());
    while let Ok(parent) = at.parent(0) {
        line.insert(parent.id());
        at = parent;
    }
    line
}

/// Commits at the boundary of a shallow clone: history beyond them is not
/// there to scan.
pub fn shallow_boundary(repo: &Repository) -> Vec<String> {
    if !repo.is_shallow() {
        return Vec::new();
    }
    std::fs::read_to_string(repo.path().join("shallow"))
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Reads a blob, or says why it cannot be scanned. The size is checked after
/// reading: asking the object database for a header first costs a delta-chain
/// walk per blob, more than the reads it would save.
pub fn read_blob(repo: &Repository, oid: Oid, limit: u64) -> Result<git2::Blob<'_>, SkipReason> {
    let blob = repo
        .find_blob(oid)
        .map_err(|e| SkipReason::Unreadable(format!("blob {oid}: {}", e.message())))?;
    let size = blob.size() as u64;
    if size > limit {
        return Err(SkipReason::TooLarge { size, limit });
    }
    Ok(blob)
}

/// The blob at each watched path along HEAD's first-parent line, oldest
/// first: every commit where one of them changed, with the path's index in
/// `paths` and its new blob (`None` once the path is gone).
pub type PathChanges = Vec<(Oid, usize, Option<Oid>)>;

/// A watched path component: its name, the object id it had at the last
/// commit looked at, and either the path it ends (a file) or what lies under
/// it (a directory).
struct PathNode {
    name: Vec<u8>,
    last: Option<Oid>,
    leaf: Option<usize>,
    children: Vec<PathNode>,
}

impl PathNode {
    fn insert(nodes: &mut Vec<PathNode>, parts: &[&[u8]], index: usize) {
        let Some((first, rest)) = parts.split_first() else {
            return;
        };
        // Kept sorted by name, for [`RawTree::lookup`].
        let pos = match nodes.binary_search_by(|n| n.name.as_slice().cmp(first)) {
            Ok(p) => p,
            Err(p) => {
                nodes.insert(
                    p,
                    PathNode {
                        name: first.to_vec(),
                        last: None,
                        leaf: None,
                        children: Vec::new(),
                    },
                );
                p
            }
        };
        if rest.is_empty() {
            nodes[pos].leaf = Some(index);
        } else {
            PathNode::insert(&mut nodes[pos].children, rest, index);
        }
    }

    /// Looks each node up in `tree` (or marks it gone), descending only
    /// where an id changed since the last commit. A tree that cannot be
    /// read or parsed leaves its nodes as they were rather than calling
    /// them gone: a corrupt object must not pass for the commit that
    /// removed a secret.
    fn visit(
        trees: &mut TreeReader<'_>,
        tree: Option<&RawTree>,
        nodes: &mut [PathNode],
        out: &mut Vec<(usize, Option<Oid>)>,
    ) {
        let found = match tree {
            Some(t) => {
                let names: Vec<&[u8]> = nodes.iter().map(|n| n.name.as_slice()).collect();
                match t.lookup(&names) {
                    Ok(found) => found,
                    Err(Malformed) => return,
                }
            }
            None => vec![None; nodes.len()],
        };
        for (node, entry) in nodes.iter_mut().zip(found) {
            let id = entry.map(|(_, id)| id);
            if id == node.last {
                continue;
            }
            let kind = entry.map(|(kind, _)| kind);
            if !node.children.is_empty() {
                let sub = match id.filter(|_| kind == Some(EntryKind::Tree)) {
                    Some(id) => match trees.read(id) {
                        Some(sub) => Some(sub),
                        None => continue,
                    },
                    None => None,
                };
                PathNode::visit(trees, sub.as_ref(), &mut node.children, out);
            }
            node.last = id;
            if let Some(leaf) = node.leaf {
                out.push((leaf, id.filter(|_| kind == Some(EntryKind::Blob))));
            }
        }
    }
}

/// Follows `paths` along HEAD's first-parent line, oldest commit first, when
/// the history walk did not log that line (see [`ChainLog`]).
/// Only the trees on the way to a watched path whose id changed are read,
/// so the walk costs a few tree reads per commit however large the tree.
pub fn first_parent_path_changes(repo: &Repository, paths: &[String]) -> Result<PathChanges> {
    let mut roots: Vec<PathNode> = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let parts: Vec<&[u8]> = p.as_bytes().split(|&b| b == b'/').collect();
        PathNode::insert(&mut roots, &parts, i);
    }
    let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return Ok(Vec::new());
    };
    let mut chain = vec![head.id()];
    let mut at = head;
    while let Ok(parent) = at.parent(0) {
        chain.push(parent.id());
        at = parent;
    }
    let mut changes = Vec::new();
    let mut last_root = None;
    let (packs, _) = Packs::open(&repo.commondir().join("objects"));
    let mut trees = TreeReader::new(repo, &packs)?;
    for oid in chain.into_iter().rev() {
        let commit = repo.find_commit(oid)?;
        let root = commit.tree_id();
        if last_root == Some(root) {
            continue;
        }
        // An unreadable root tree says nothing about which paths are gone.
        let Some(tree) = trees.read(root) else {
            continue;
        };
        last_root = Some(root);
        let mut found = Vec::new();
        PathNode::visit(&mut trees, Some(&tree), &mut roots, &mut found);
        changes.extend(found.into_iter().map(|(i, id)| (oid, i, id)));
    }
    Ok(changes)
}

/// One file change in a range or in the index: the new blob and the lines
/// the change added to it.
#[derive(Debug, Clone)]
pub struct Change {
    pub path: String,
    pub oid: Oid,
    pub added: Added,
    /// Index into the commit list, `None` for staged changes.
    pub commit: Option<usize>,
}

/// Which lines of a change's new blob it added.
#[derive(Debug, Clone)]
pub enum Added {
    /// These lines (from a diff of the index).
    Lines(Vec<LineRange>),
    /// The lines that are not lines of this earlier blob (every line when
    /// there is none), worked out by [`added_since`] when the new blob is
    /// read for scanning, so each blob is read once and in parallel.
    Since(Option<Oid>),
}

/// The file changes of a range or of the index, with what could not be read.
#[derive(Debug, Default)]
pub struct Changes {
    /// The range's commits, oldest first; empty for the index.
    pub commits: Vec<Arc<CommitInfo>>,
    /// The range's non-empty commit messages, by commit index.
    pub messages: Vec<(usize, String)>,
    pub changes: Vec<Change>,
    pub skips: Vec<Skip>,
}

pub fn range_changes(repo: &Repository, spec: &str) -> Result<Changes> {
    let revspec = repo
        .revparse(spec)
        .with_context(|| format!("`{spec}` is not a revision range"))?;
    let (Some(from), Some(to)) = (revspec.from(), revspec.to()) else {
        bail!("`{spec}` is not a range: use A..B");
    };
    if !revspec.mode().contains(git2::RevparseMode::RANGE)
        || revspec.mode().contains(git2::RevparseMode::MERGE_BASE)
    {
        bail!("`{spec}` is not a range: use A..B");
    }
    tips_changes(
        repo,
        &[to.peel_to_commit()?.id()],
        &[from.peel_to_commit()?.id()],
    )
}

/// Added lines of every non-merge commit reachable from `push` and from
/// none of `hide`: what a push sends when `hide` is what the remote has.
pub fn tips_changes(repo: &Repository, push: &[Oid], hide: &[Oid]) -> Result<Changes> {
    tune_for_reading();
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    for oid in push {
        walk.push(*oid)?;
    }
    for oid in hide {
        walk.hide(*oid)?;
    }
    let mut out = Changes::default();
    let (packs, _) = Packs::open(&repo.commondir().join("objects"));
    let mut trees = TreeReader::new(repo, &packs)?;
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        // A merge's changes are the merged commits' own, which the range holds.
        if commit.parent_count() > 1 {
            continue;
        }
        let index = out.commits.len();
        out.commits.push(Arc::new(commit_info(&commit)));
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        if !message.trim().is_empty() {
            out.messages.push((index, message));
        }
        let parent = commit
            .parent_id(0)
            .ok()
            .map(|p| repo.find_commit(p).map(|c| c.tree_id()))
            .transpose()?;
        let mut changed = Vec::new();
        let mut deleted = HashSet::new();
        changed_blobs(
            &mut trees,
            parent,
            Some(commit.tree_id()),
            "",
            &mut changed,
            &mut deleted,
        )?;
        for (path, old, new) in changed {
            // A file moved or renamed unchanged adds no line.
            if old.is_none() && deleted.contains(&new) {
                continue;
            }
            out.changes.push(Change {
                path,
                oid: new,
                added: Added::Since(old),
                commit: Some(index),
            });
        }
    }
    Ok(out)
}

/// Blobs that differ between two trees, as (path, old blob, new blob), and
/// the ids of blobs that left. Identical subtrees are skipped by id, and
/// both trees are read in one merge pass in git's order. A tree that
/// cannot be read is an error: a hook fails closed rather than pass over
/// what it could not see.
fn changed_blobs(
    trees: &mut TreeReader<'_>,
    old: Option<Oid>,
    new: Option<Oid>,
    prefix: &str,
    out: &mut Vec<(String, Option<Oid>, Oid)>,
    deleted: &mut HashSet<Oid>,
) -> Result<()> {
    let mut entries = |oid: Option<Oid>| -> Result<Vec<(EntryKind, Vec<u8>, Oid)>> {
        let Some(oid) = oid else {
            return Ok(Vec::new());
        };
        let shown = if prefix.is_empty() { "/" } else { prefix };
        let tree = trees
            .read(oid)
            .with_context(|| format!("tree {oid} at `{shown}` cannot be read"))?;
        tree.entries()
            .map(|e| {
                let e = e.map_err(|_| anyhow::anyhow!("tree {oid} at `{shown}` is malformed"))?;
                Ok((e.kind(), e.name.to_vec(), Oid::from_bytes(e.id)?))
            })
            .collect()
    };
    let (olds, news) = (entries(old)?, entries(new)?);
    let (mut o, mut n) = (olds.iter().peekable(), news.iter().peekable());
    loop {
        let order = match (o.peek(), n.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(a), Some(b)) => tree_order((a.0, &a.1), (b.0, &b.1)),
        };
        let (before, after) = match order {
            std::cmp::Ordering::Less => (o.next(), None),
            std::cmp::Ordering::Greater => (None, n.next()),
            std::cmp::Ordering::Equal => (o.next(), n.next()),
        };
        if let (Some(b), Some(a)) = (before, after) {
            if b.2 == a.2 {
                continue;
            }
        }
        let name = &after.or(before).expect("one side has an entry").1;
        let path = join(prefix, name);
        let old_tree = before.filter(|e| e.0 == EntryKind::Tree).map(|e| e.2);
        let new_tree = after.filter(|e| e.0 == EntryKind::Tree).map(|e| e.2);
        if old_tree.is_some() || new_tree.is_some() {
            changed_blobs(trees, old_tree, new_tree, &path, out, deleted)?;
        }
        let old_blob = before.filter(|e| e.0 == EntryKind::Blob).map(|e| e.2);
        match after.filter(|e| e.0 == EntryKind::Blob) {
            Some(a) => out.push((path, old_blob, a.2)),
            None => deleted.extend(old_blob),
        }
    }
    Ok(())
}

/// The lines `new` (a blob's content) adds to the blob `old` (all of them
/// when there is none), mapped to line numbers in `new`. See [`new_lines`].
pub fn added_since(
    repo: &Repository,
    old: Option<Oid>,
    new: &[u8],
) -> Result<Vec<LineRange>, SkipReason> {
    let Some(old) = old else {
        let lines = lines(new).count();
        return Ok(if lines == 0 {
            Vec::new()
        } else {
            vec![LineRange {
                first: 1,
                last: lines,
            }]
        });
    };
    let old_blob = repo
        .find_blob(old)
        .map_err(|e| SkipReason::Unreadable(format!("blob {old}: {}", e.message())))?;
    Ok(new_lines(old_blob.content(), new))
}

/// The lines of `new` that are not lines of `old`, as ranges of line
/// numbers in `new`. Unlike a diff's `+` lines, a line that only moved, or
/// that repeats a line the file already had, is not new: its content was
/// already there, so a secret in it was already committed and is reported
/// (or allowed, or baselined) where it first came in. This is also a third
/// of the cost of libgit2's Myers diff: one hash per line, no alignment.
fn new_lines(old: &[u8], new: &[u8]) -> Vec<LineRange> {
    // FxHash: lines are short, and SipHash took a tenth of a push's scan.
    let mut before: FxHashSet<&[u8]> = FxHashSet::default();
    before.reserve(memchr::memchr_iter(b'\n', old).count() + 1);
    before.extend(lines(old));
    let mut added: Vec<LineRange> = Vec::new();
    for (i, line) in lines(new).enumerate() {
        if before.contains(line) {
            continue;
        }
        let n = i + 1;
        match added.last_mut() {
            Some(r) if r.last + 1 == n => r.last = n,
            _ => added.push(LineRange { first: n, last: n }),
        }
    }
    added
}

/// The lines of a text, without their endings (`\n` or `\r\n`).
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    raw_lines(text).map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// The lines of a text without their `\n`, a `\r` before it kept: a file
/// whose line endings changed has changed lines.
fn raw_lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let count = if text.is_empty() { 0 } else { usize::MAX };
    let mut ends = memchr::memchr_iter(b'\n', body).chain([body.len()]);
    let mut start = 0;
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = &body[start..end];
        start = end + 1;
        Some(line)
    })
    .take(count)
}

/// The `+` lines of a patch as ranges of new-file line numbers.
fn added_ranges(patch: &git2::Patch<'_>) -> Result<Vec<LineRange>, git2::Error> {
    let mut added: Vec<LineRange> = Vec::new();
    for h in 0..patch.num_hunks() {
        for l in 0..patch.num_lines_in_hunk(h)? {
            let line = patch.line_in_hunk(h, l)?;
            if line.origin() != '+' {
                continue;
            }
            let Some(n) = line.new_lineno() else { continue };
            let n = n as usize;
            match added.last_mut() {
                Some(r) if r.last + 1 == n => r.last = n,
                _ => added.push(LineRange { first: n, last: n }),
            }
        }
    }
    Ok(added)
}

/// Added lines of the index relative to HEAD (the staged changes).
pub fn staged_changes(repo: &Repository) -> Result<Changes> {
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let index = repo.index().context("reading the index")?;
    let diff = repo.diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut diff_options()))?;
    let mut out = Changes::default();
    added_lines(diff, &mut out)?;
    Ok(out)
}

fn diff_options() -> DiffOptions {
    let mut o = DiffOptions::new();
    o.context_lines(0)
        .ignore_submodules(true)
        .include_typechange(true);
    o
}

/// The staged changes' added lines (the index against HEAD).
fn added_lines(mut diff: git2::Diff<'_>, out: &mut Changes) -> Result<()> {
    diff.find_similar(Some(DiffFindOptions::new().renames(true).copies(false)))?;
    for i in 0..diff.deltas().len() {
        let delta = diff.get_delta(i).expect("delta index in range");
        if matches!(
            delta.status(),
            Delta::Deleted | Delta::Unmodified | Delta::Ignored
        ) {
            continue;
        }
        let new = delta.new_file();
        let path = new
            .path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        if new.mode() == git2::FileMode::Commit {
            continue;
        }
        let Some(patch) = git2::Patch::from_diff(&diff, i)? else {
            continue;
        };
        if patch.delta().flags().is_binary() {
            out.skips.push(Skip {
                path,
                reason: SkipReason::Binary,
            });
            continue;
        }
        let added = added_ranges(&patch)?;
        if !added.is_empty() {
            out.changes.push(Change {
                path,
                oid: new.id(),
                added: Added::Lines(added),
                commit: None,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::git;

    fn ranges(v: &[(usize, usize)]) -> Vec<LineRange> {
        v.iter()
            .map(|&(first, last)| LineRange { first, last })
            .collect()
    }

    /// The delta-base cache gives back what was put (shared, not copied),
    /// evicts the least recently used, keeps the buffers of evicted objects
    /// no reader holds for the next objects decoded (the larger ones when
    /// it must choose), and no object over a quarter of it.
    #[test]
    fn base_cache_reuses_buffers_within_its_bytes() {
        let mut cache = BaseCache::new(64 << 10, 64 << 10);
        let blob = gix_object::Kind::Blob;
        let bytes = |i: u64, len: usize| -> Rc<Vec<u8>> {
            Rc::new((0..len).map(|j| (i as usize * 31 + j) as u8).collect())
        };
        // Sizes from 16 KiB (a quarter of the cache) down to 1 byte.
        let sizes = |i: u64| (16 << 10) >> (i % 15);
        let kept = |cache: &mut BaseCache, pack, at| cache.get(pack, at).map(|(d, _)| d);
        for i in 0..200 {
            let data = bytes(i, sizes(i));
            cache.put(0, i, &data, blob);
            assert!(cache.spare.len() <= SPARE_BUFFERS);
            // The newest entry is there, the same bytes.
            let (got, kind) = cache.get(0, i).expect("the newest is kept");
            assert!(Rc::ptr_eq(&got, &data));
            assert_eq!(kind, blob);
        }
        // The oldest entries were evicted, and their buffers kept spare.
        assert!(kept(&mut cache, 0, 0).is_none());
        assert_eq!(cache.spare.len(), SPARE_BUFFERS);
        // Over a quarter of the cache: not kept.
        cache.put(1, 0, &Rc::new(vec![7; (16 << 10) + 1]), blob);
        assert!(kept(&mut cache, 1, 0).is_none());
        // Another pack's entry at the same offset is its own.
        cache.put(1, 199, &Rc::new(b"other pack".to_vec()), blob);
        assert_eq!(kept(&mut cache, 1, 199).unwrap().as_slice(), b"other pack");
        assert_eq!(kept(&mut cache, 0, 199).unwrap(), bytes(199, sizes(199)));

        // An object evicted leaves its buffer for the next one decoded,
        // unless a reader still holds it.
        let mut cache = BaseCache::new(64 << 10, 64 << 10);
        let held = bytes(0, 16 << 10);
        cache.put(2, 0, &held, blob);
        for i in 1..5 {
            cache.put(2, i, &bytes(i, 16 << 10), blob);
        }
        assert!(kept(&mut cache, 2, 0).is_none(), "the first was evicted");
        assert!(kept(&mut cache, 2, 1).is_none(), "and the second");
        assert_eq!(cache.spare.len(), 1, "the held one is not spare");
        let reused = cache.buffer(5);
        assert!(reused.capacity() >= 16 << 10, "the evicted buffer");
        assert!(reused.is_empty());
        assert!(cache.spare.is_empty());
        assert_eq!(cache.buffer(3).capacity(), 3, "none spare: a new one");

        // The smallest spare buffer that fits is taken; with every spare
        // place taken, a larger buffer replaces the smallest; none over a
        // quarter of the cache is kept.
        cache.spare = (1..=SPARE_BUFFERS)
            .map(|n| Vec::with_capacity(n * 100))
            .collect();
        assert_eq!(cache.buffer(250).capacity(), 300);
        cache.recycle(Vec::with_capacity(300));
        cache.recycle(Vec::with_capacity(8 << 10));
        cache.recycle(Vec::with_capacity(0));
        cache.recycle(Vec::with_capacity((16 << 10) + 1));
        assert_eq!(cache.spare.len(), SPARE_BUFFERS);
        assert!(cache.spare.iter().any(|b| b.capacity() == 8 << 10));
        assert!(cache
            .spare
            .iter()
            .all(|b| (200..=16 << 10).contains(&b.capacity())));

        // A smaller limit holds fewer objects, down to it as objects are
        // put; a larger one, more (within the cache's bytes).
        let mut cache = BaseCache::new(64 << 10, 64 << 10);
        for i in 0..3 {
            cache.put(3, i, &bytes(i, 16 << 10), blob);
        }
        assert_eq!(cache.entries.len(), 3);
        cache.set_limit(20 << 10);
        // Over a quarter of the limit now: not kept, nothing evicted.
        cache.put(3, 3, &bytes(3, 16 << 10), blob);
        assert!(kept(&mut cache, 3, 3).is_none());
        assert_eq!(cache.entries.len(), 3);
        cache.put(3, 3, &bytes(3, 4 << 10), blob);
        assert_eq!(cache.entries.len(), 1, "only the newest fits");
        assert!(kept(&mut cache, 3, 3).is_some());
        cache.set_limit(1 << 30);
        for i in 4..8 {
            cache.put(3, i, &bytes(i, 16 << 10), blob);
        }
        assert_eq!(cache.entries.len(), 3, "the cache's own bytes bound it");
    }

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

    /// A name repeated in a malformed tree does not hide the names after
    /// it (they would pass for deleted in the lifecycle walk).
    #[test]
    fn lookup_sees_past_a_repeated_name() {
        let mut bytes = Vec::new();
        for (name, id) in [("a", 1u8), ("b", 2), ("b", 3), ("c", 4)] {
            bytes.extend_from_slice(format!("100644 {name}\0").as_bytes());
            bytes.extend_from_slice(&[id; 20]);
        }
        let found = RawTree(Rc::new(bytes)).lookup(&[b"a", b"b", b"c"]).unwrap();
        let ids: Vec<Option<u8>> = found
            .iter()
            .map(|f| f.map(|(_, id)| id.as_bytes()[0]))
            .collect();
        assert_eq!(ids, vec![Some(1), Some(2), Some(4)]);
    }

    /// Malformed tree bytes end the iteration with an error, never a panic.
    #[test]
    fn malformed_raw_trees_are_errors() {
        let id = [7u8; 20];
        let mut good = b"100644 a\0".to_vec();
        good.extend_from_slice(&id);
        for bad in [
            b"100644 a".to_vec(),
            b"100644 a\0short".to_vec(),
            b"10x644 a\0".to_vec(),
            b" a\0".to_vec(),
            b"100644 \0".to_vec(),
            [good.clone(), b"garbage".to_vec()].concat(),
        ] {
            let tree = RawTree(Rc::new(bad.clone()));
            let results: Vec<_> = tree.entries().collect();
            assert!(results.last().unwrap().is_err(), "{bad:?}");
        }
        let tree = RawTree(Rc::new(good));
        let ok: Vec<_> = tree.entries().collect();
        assert!(matches!(ok.as_slice(), [Ok(e)] if e.name == b"a" && e.id == id));
    }

    /// New lines are those whose text the old blob lacks; moved and
    /// repeated lines are not new, CRLF endings do not matter, and a last
    /// line without a newline counts.
    #[test]
    fn new_lines_are_lines_the_old_text_lacks() {
        assert_eq!(
            new_lines(b"a\nb\nc\n", b"a\nX\nb\nc\nY"),
            ranges(&[(2, 2), (5, 5)])
        );
        assert_eq!(new_lines(b"a\nb\nc\n", b"c\nb\na\na\n"), ranges(&[]));
        assert_eq!(new_lines(b"a\r\nb\r\n", b"a\nb\nc\nd\n"), ranges(&[(3, 4)]));
        assert_eq!(new_lines(b"", b"x"), ranges(&[(1, 1)]));
        assert_eq!(new_lines(b"x\n", b""), ranges(&[]));
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"\n").count(), 1);
        assert_eq!(lines(b"a\nb").count(), 2);
    }

    #[test]
    fn shared_ends_are_counted_block_by_block_and_byte_by_byte() {
        let naive_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let naive_suffix = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        let base: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
        for len in [0, 1, 63, 64, 65, 128, 200, 300] {
            let a = &base[..len];
            for at in [0, 1, 62, 63, 64, 65, 127, 128, 199, 299] {
                let mut b = a.to_vec();
                if let Some(byte) = b.get_mut(at) {
                    *byte ^= 0xff;
                }
                for b in [&b[..], &b[..b.len().saturating_sub(5)], &base[..]] {
                    assert_eq!(common_prefix(a, b), naive_prefix(a, b), "{len} {at}");
                    assert_eq!(common_suffix(a, b), naive_suffix(a, b), "{len} {at}");
                }
            }
        }
    }

    #[test]
    fn shared_ends_start_and_end_at_entries() {
        let entry = |name: &str, id: u8| {
            let mut e = format!("100644 {name}\0").into_bytes();
            e.extend([id; 20]);
            e
        };
        let tree = |entries: &[(&str, u8)]| -> Vec<u8> {
            entries.iter().flat_map(|&(n, id)| entry(n, id)).collect()
        };
        let old = tree(&[("a", 1), ("b", 2), ("c", 3), ("d", 4)]);
        // `b` changed: `a` is shared at the start, `c` and `d` at the end.
        let new = tree(&[("a", 1), ("b", 9), ("c", 3), ("d", 4)]);
        let shared = SharedEnds::of(&new, &old);
        assert_eq!(shared.start, entry("a", 1).len());
        assert_eq!(shared.last_of_start.map(|e| e.name), Some(&b"a"[..]));
        assert!(shared.end >= 2 * entry("c", 3).len());
        // An id that differs in its first byte ends the shared start at the
        // entry before it, though the name matched.
        let new = tree(&[("a", 1), ("b", 2), ("c", 7)]);
        let shared = SharedEnds::of(&new, &old);
        assert_eq!(shared.start, 2 * entry("a", 1).len());
        // A tree with no parent version shares nothing.
        let shared = SharedEnds::of(&new, &[]);
        assert_eq!((shared.start, shared.end), (0, 0));
        assert!(shared.last_of_start.is_none());
    }

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
