//! Git sources: the full history (every blob reachable from the selected
//! refs, each listed once with the first commit and path that introduced
//! it), ranges and the index (the lines each change adds), and the
//! first-parent walk that tells when a secret left the default branch.
//!
//! This module enumerates and reads; it never detects. Trees are compared by
//! object id, so unchanged subtrees cost nothing, and a subtree already
//! processed anywhere in history is never walked again.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use git2::{Commit, Delta, DiffFindOptions, DiffOptions, ObjectType, Oid, Repository, Sort, Tree};
use rustc_hash::FxHashSet;

use crate::content::{LineRange, Skip, SkipReason};
use crate::finding::CommitInfo;

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
#[derive(Debug, Clone)]
pub struct BlobSite {
    pub oid: Oid,
    pub path: String,
    /// Index into [`History::commits`].
    pub commit: usize,
}

/// Everything a history audit scans, in history order (oldest first).
#[derive(Debug, Default)]
pub struct History {
    pub commits: Vec<Arc<CommitInfo>>,
    /// Commit messages that are worth scanning (non-empty), by commit index.
    pub messages: Vec<(usize, String)>,
    /// Each unique blob once, at its first (commit, path).
    pub blobs: Vec<BlobSite>,
    /// Later sightings of an already-listed blob at another path.
    pub other_sites: Vec<BlobSite>,
    pub skips: Vec<Skip>,
    pub submodules: usize,
    /// Refs that do not point at a commit (a tag of a tree or blob).
    pub non_commit_refs: usize,
    /// Paths the caller asked to track (at most 64), in the order found.
    pub tracked: Vec<String>,
    /// For each commit, which tracked paths were committed in its ancestry
    /// (bit `i` is `tracked[i]`): which refs still hold such a file is then
    /// one lookup per ref.
    pub ancestry: HashMap<Oid, u64>,
}

/// Opens the repository at or above `path`, bare or not.
pub fn open(path: &Path) -> Result<Repository> {
    Repository::discover(path).with_context(|| format!("{}: not a git repository", path.display()))
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

/// Called for each unique blob as soon as it is found, with its index in
/// [`History::blobs`], so scanning can start while the walk goes on.
pub type OnBlob<'f> = &'f (dyn Fn(usize, &BlobSite, &Arc<CommitInfo>) + Sync);

struct Enumerator<'r, 'f> {
    repo: &'r Repository,
    seen_blobs: HashMap<Oid, u32>,
    seen_trees: HashSet<Oid>,
    history: History,
    on_blob: OnBlob<'f>,
    track: &'f (dyn Fn(&str) -> bool + Sync),
    mask: u64,
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

    /// Records the blobs `new` adds relative to `old`, walking only subtrees
    /// that changed and were never walked before.
    fn changes(&mut self, old: Option<&Tree<'_>>, new: &Tree<'_>, prefix: &str, commit: usize) {
        // Both trees are sorted in git's order, so one merge pass pairs each
        // entry with its namesake in the parent tree.
        let mut before_iter = old.into_iter().flat_map(|t| t.iter()).peekable();
        for entry in new.iter() {
            let oid = entry.id();
            let mut before = None;
            while let Some(candidate) = before_iter.peek() {
                match git_order(candidate, &entry) {
                    std::cmp::Ordering::Less => {
                        before_iter.next();
                    }
                    std::cmp::Ordering::Equal => {
                        before = before_iter.next();
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
            if before.as_ref().is_some_and(|b| b.id() == oid) {
                continue;
            }
            let path = join(prefix, entry.name_bytes());
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    if !self.seen_trees.insert(oid) {
                        continue;
                    }
                    let Ok(sub) = self.repo.find_tree(oid) else {
                        self.history.skips.push(Skip {
                            path,
                            reason: SkipReason::Unreadable(format!("tree {oid} is missing")),
                        });
                        continue;
                    };
                    let old_sub = before
                        .filter(|b| b.kind() == Some(ObjectType::Tree))
                        .and_then(|b| self.repo.find_tree(b.id()).ok());
                    self.changes(old_sub.as_ref(), &sub, &path, commit);
                }
                Some(ObjectType::Blob) => match self.seen_blobs.get(&oid) {
                    None => {
                        let index = self.history.blobs.len();
                        self.seen_blobs.insert(oid, index as u32);
                        self.note(&path);
                        let site = BlobSite { oid, path, commit };
                        (self.on_blob)(index, &site, &self.history.commits[commit]);
                        self.history.blobs.push(site);
                    }
                    Some(&first) => {
                        self.note(&path);
                        if self.history.blobs[first as usize].path != path {
                            self.history
                                .other_sites
                                .push(BlobSite { oid, path, commit });
                        }
                    }
                },
                Some(ObjectType::Commit) => self.history.submodules += 1,
                _ => {}
            }
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
fn git_order(a: &git2::TreeEntry<'_>, b: &git2::TreeEntry<'_>) -> std::cmp::Ordering {
    let (an, bn) = (a.name_bytes(), b.name_bytes());
    let common = an.len().min(bn.len());
    an[..common].cmp(&bn[..common]).then_with(|| {
        let end = |name: &[u8], e: &git2::TreeEntry<'_>| {
            name.get(common)
                .copied()
                .unwrap_or(if e.kind() == Some(ObjectType::Tree) {
                    b'/'
                } else {
                    0
                })
        };
        end(an, a).cmp(&end(bn, b))
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
/// and path that introduced it, calling `on_blob` for each as it is found.
/// `tick` is called once per commit; paths for which `track` is true are
/// recorded in each commit's ancestry mask.
pub fn enumerate(
    repo: &Repository,
    selection: &RefSelection,
    tick: &dyn Fn(),
    on_blob: OnBlob<'_>,
    track: &(dyn Fn(&str) -> bool + Sync),
) -> Result<History> {
    tune_for_reading();
    let mut history = History::default();
    let oids = walk_commits(repo, selection, &mut history)?;
    let mut en = Enumerator {
        repo,
        seen_blobs: HashMap::new(),
        seen_trees: HashSet::new(),
        history,
        on_blob,
        track,
        mask: 0,
    };
    for oid in oids {
        tick();
        let commit = match repo.find_commit(oid) {
            Ok(c) => c,
            Err(e) => {
                en.history.skips.push(Skip {
                    path: format!("@commit {oid}"),
                    reason: SkipReason::Unreadable(e.message().to_string()),
                });
                continue;
            }
        };
        let index = en.history.commits.len();
        en.history.commits.push(Arc::new(commit_info(&commit)));
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        if !message.trim().is_empty() {
            en.history.messages.push((index, message));
        }
        let Ok(tree) = commit.tree() else {
            en.history.skips.push(Skip {
                path: format!("@commit {oid}"),
                reason: SkipReason::Unreadable("tree is missing".into()),
            });
            continue;
        };
        en.mask = commit
            .parent_ids()
            .map(|p| en.history.ancestry.get(&p).copied().unwrap_or(0))
            .fold(0, |a, b| a | b);
        let parent_tree = commit.parent(0).ok().and_then(|p| p.tree().ok());
        en.changes(parent_tree.as_ref(), &tree, "", index);
        en.history.ancestry.insert(oid, en.mask);
    }
    Ok(en.history)
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
pub type PathChanges = Vec<(Arc<CommitInfo>, usize, Option<Oid>)>;

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
        let pos = match nodes.iter().position(|n| n.name == *first) {
            Some(p) => p,
            None => {
                nodes.push(PathNode {
                    name: first.to_vec(),
                    last: None,
                    leaf: None,
                    children: Vec::new(),
                });
                nodes.len() - 1
            }
        };
        if rest.is_empty() {
            nodes[pos].leaf = Some(index);
        } else {
            PathNode::insert(&mut nodes[pos].children, rest, index);
        }
    }

    /// Looks each node up in `tree` (or marks it gone), descending only
    /// where an id changed since the last commit.
    fn visit(
        repo: &Repository,
        tree: Option<&Tree<'_>>,
        nodes: &mut [PathNode],
        out: &mut Vec<(usize, Option<Oid>)>,
    ) {
        for node in nodes {
            let entry = tree.and_then(|t| t.get_name_bytes(&node.name));
            let id = entry.as_ref().map(git2::TreeEntry::id);
            if id == node.last {
                continue;
            }
            node.last = id;
            let kind = entry.as_ref().and_then(git2::TreeEntry::kind);
            if let Some(leaf) = node.leaf {
                out.push((leaf, id.filter(|_| kind == Some(ObjectType::Blob))));
            }
            if !node.children.is_empty() {
                let sub = id
                    .filter(|_| kind == Some(ObjectType::Tree))
                    .and_then(|id| repo.find_tree(id).ok());
                PathNode::visit(repo, sub.as_ref(), &mut node.children, out);
            }
        }
    }
}

/// Follows `paths` along HEAD's first-parent line, oldest commit first.
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
    for oid in chain.into_iter().rev() {
        let commit = repo.find_commit(oid)?;
        let root = commit.tree_id();
        if last_root == Some(root) {
            continue;
        }
        last_root = Some(root);
        let tree = repo.find_tree(root).ok();
        let mut found = Vec::new();
        PathNode::visit(repo, tree.as_ref(), &mut roots, &mut found);
        if !found.is_empty() {
            let info = Arc::new(commit_info(&commit));
            changes.extend(found.into_iter().map(|(i, id)| (info.clone(), i, id)));
        }
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
        let tree = commit.tree()?;
        let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
        let mut changed = Vec::new();
        let mut deleted = HashSet::new();
        changed_blobs(
            repo,
            parent.as_ref(),
            Some(&tree),
            "",
            &mut changed,
            &mut deleted,
        );
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
/// both trees are read in one merge pass in git's order.
fn changed_blobs(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    prefix: &str,
    out: &mut Vec<(String, Option<Oid>, Oid)>,
    deleted: &mut HashSet<Oid>,
) {
    let is = |e: &git2::TreeEntry<'_>, k| e.kind() == Some(k);
    let mut olds = old.into_iter().flat_map(|t| t.iter()).peekable();
    let mut news = new.into_iter().flat_map(|t| t.iter()).peekable();
    loop {
        let order = match (olds.peek(), news.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(o), Some(n)) => git_order(o, n),
        };
        let (before, after) = match order {
            std::cmp::Ordering::Less => (olds.next(), None),
            std::cmp::Ordering::Greater => (None, news.next()),
            std::cmp::Ordering::Equal => (olds.next(), news.next()),
        };
        if let (Some(b), Some(a)) = (&before, &after) {
            if b.id() == a.id() {
                continue;
            }
        }
        let name = after
            .as_ref()
            .or(before.as_ref())
            .expect("one side has an entry")
            .name_bytes();
        let path = join(prefix, name);
        let old_tree = before
            .as_ref()
            .filter(|e| is(e, ObjectType::Tree))
            .and_then(|e| repo.find_tree(e.id()).ok());
        let new_tree = after
            .as_ref()
            .filter(|e| is(e, ObjectType::Tree))
            .and_then(|e| repo.find_tree(e.id()).ok());
        if old_tree.is_some() || new_tree.is_some() {
            changed_blobs(
                repo,
                old_tree.as_ref(),
                new_tree.as_ref(),
                &path,
                out,
                deleted,
            );
        }
        let old_blob = before
            .as_ref()
            .filter(|e| is(e, ObjectType::Blob))
            .map(git2::TreeEntry::id);
        match after.as_ref().filter(|e| is(e, ObjectType::Blob)) {
            Some(a) => out.push((path, old_blob, a.id())),
            None => deleted.extend(old_blob),
        }
    }
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
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let count = if text.is_empty() { 0 } else { usize::MAX };
    body.split(|&b| b == b'\n')
        .take(count)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
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

    fn ranges(v: &[(usize, usize)]) -> Vec<LineRange> {
        v.iter()
            .map(|&(first, last)| LineRange { first, last })
            .collect()
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
}
