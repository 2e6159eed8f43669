//! The history walk: every blob reachable from the selected refs, each
//! listed once with the first commit and path that introduced it
//! ([`enumerate`], [`History`]), found by comparing each commit's tree with
//! its first parent's.
//!
//! Trees are compared by object id, so unchanged subtrees cost nothing, and
//! a subtree already processed anywhere in history is never walked again
//! for its blobs (on HEAD's first-parent line it is, for the paths it
//! changed, which it logs for the lifecycles). It lists blobs and never
//! reads one, and it never detects: scanning is the caller's.

use std::collections::HashSet;

use anyhow::{Context, Result};
use git2::{Oid, Repository, Sort};
use keyward_content::{Skip, SkipReason};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::lifecycle::{ChainChange, ChainLog};
use crate::oids::OidIndex;
use crate::pack::Packs;
use crate::paths::{PathId, Paths};
use crate::refs::{loose_ref_names, tips_by_hand, unreadable};
use crate::repo::tune_for_reading;
use crate::trees::reader::TreeReader;
use crate::trees::{join, Entries, EntryKind, InOrder, Malformed, RawEntry, RawTree, SharedEnds};

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
/// [`CommitBook`](crate::CommitBook)), and a blob names its path by an interned id.
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
    /// [`first_parent_path_changes`](crate::first_parent_path_changes)
    /// walks it instead.
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

/// The commits of `selection`, oldest first (parents before children).
///
/// libgit2's revwalk lists them when it can. It gives up on the first
/// commit it cannot read, so when it fails the commits are walked here
/// instead, past the damage: an unreadable commit is a skip that names it,
/// and the walk goes on through the other parents and refs.
fn walk_commits(
    repo: &Repository,
    selection: &RefSelection,
    history: &mut History,
) -> Result<Vec<Oid>> {
    let tips = tips(repo, selection, history)?;
    match revwalk(repo, &tips) {
        Ok(oids) => Ok(oids),
        Err(_) => Ok(walk_past_damage(repo, &tips, &mut history.skips)),
    }
}

/// The commits the walk starts from. A ref that cannot be read, or whose
/// commit cannot, is a skip that names it; a ref of a tree or blob is
/// counted in [`History::non_commit_refs`].
fn tips(repo: &Repository, selection: &RefSelection, history: &mut History) -> Result<Vec<Oid>> {
    let mut tips = Vec::new();
    match selection {
        RefSelection::All => {
            let mut listed = HashSet::new();
            let references = match repo.references() {
                Ok(references) => references,
                // A damaged `packed-refs` fails the whole listing.
                Err(_) => {
                    tips_by_hand(
                        repo,
                        &mut tips,
                        &mut history.skips,
                        &mut history.non_commit_refs,
                    );
                    return Ok(tips);
                }
            };
            for reference in references {
                let reference = match reference {
                    Ok(r) => r,
                    Err(e) => {
                        history.skips.push(unreadable("@ref", e.message()));
                        continue;
                    }
                };
                let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
                match reference.peel_to_commit() {
                    Ok(c) => tips.push(c.id()),
                    Err(e) => match reference.peel(git2::ObjectType::Any) {
                        Ok(o) if o.kind() != Some(git2::ObjectType::Commit) => {
                            history.non_commit_refs += 1;
                        }
                        // The object is named too: libgit2's message does
                        // not say which it could not read.
                        _ => history.skips.push(unreadable(
                            &format!("@ref {name}"),
                            &match reference.target() {
                                Some(id) => format!("{} (it points at {id})", e.message()),
                                None => e.message().to_string(),
                            },
                        )),
                    },
                }
                listed.insert(name);
            }
            // libgit2 passes over a loose ref it cannot parse in silence.
            for name in loose_ref_names(&repo.commondir().join("refs"), "refs") {
                if !listed.contains(&name) {
                    history.skips.push(unreadable(
                        &format!("@ref {name}"),
                        "the ref file does not hold an object id or a symbolic ref",
                    ));
                }
            }
            match repo.head() {
                Ok(head) => match head.peel_to_commit() {
                    Ok(c) => tips.push(c.id()),
                    // A branch's fault is named with the branch.
                    Err(e) if !head.is_branch() => {
                        history.skips.push(unreadable("@ref HEAD", e.message()));
                    }
                    Err(_) => {}
                },
                // An unborn branch has nothing to walk.
                Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {}
                Err(e) if e.code() == git2::ErrorCode::NotFound => {}
                Err(e) => history.skips.push(unreadable("@ref HEAD", e.message())),
            }
        }
        RefSelection::Branch(name) => {
            let commit = repo
                .revparse_single(name)
                .and_then(|o| o.peel_to_commit())
                .with_context(|| format!("`{name}` does not name a commit"))?;
            tips.push(commit.id());
        }
    }
    Ok(tips)
}

/// libgit2's topological walk from `tips`, or its first error.
fn revwalk(repo: &Repository, tips: &[Oid]) -> Result<Vec<Oid>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    for tip in tips {
        walk.push(*tip)?;
    }
    walk.collect()
}

/// Every readable commit reachable from `tips`, parents before children
/// (a depth-first walk that lists a commit after its parents). A commit
/// that cannot be read is a skip, and the walk goes on without its
/// parents, which other children may still reach.
fn walk_past_damage(repo: &Repository, tips: &[Oid], skips: &mut Vec<Skip>) -> Vec<Oid> {
    let mut out = Vec::new();
    let mut seen: FxHashSet<Oid> = FxHashSet::default();
    // (commit, whether its parents are listed already)
    let mut stack: Vec<(Oid, bool)> = tips.iter().rev().map(|&t| (t, false)).collect();
    while let Some((oid, parents_done)) = stack.pop() {
        if parents_done {
            out.push(oid);
            continue;
        }
        if !seen.insert(oid) {
            continue;
        }
        match repo.find_commit(oid) {
            Ok(commit) => {
                stack.push((oid, true));
                let parents: Vec<Oid> = commit.parent_ids().collect();
                for p in parents.into_iter().rev() {
                    if !seen.contains(&p) {
                        stack.push((p, false));
                    }
                }
            }
            Err(e) => skips.push(unreadable(&format!("@commit {oid}"), e.message())),
        }
    }
    out
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
