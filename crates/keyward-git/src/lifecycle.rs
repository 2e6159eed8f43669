//! First-parent path tracking, for the lifecycles of findings: which
//! blob each watched path held along HEAD's first-parent line, commit by
//! commit, so a caller can tell whether a secret is still at HEAD and
//! which commit removed it. The history walk logs that line as it goes
//! ([`ChainLog`]); when it could not, [`first_parent_path_changes`] walks
//! the line again, reading only the trees on the way to a watched path.
//!
//! It reports path changes; it never reads blobs or decides what a
//! finding's lifecycle is (the caller does).

use std::collections::HashMap;

use anyhow::Result;
use git2::{Oid, Repository};

use crate::pack::Packs;
use crate::paths::{PathId, Paths};
use crate::trees::reader::TreeReader;
use crate::trees::{EntryKind, Malformed, RawTree};

/// The blob at each watched path along HEAD's first-parent line, oldest
/// first: every commit where one of them changed, with the path's index in
/// `paths` and its new blob (`None` once the path is gone).
pub type PathChanges = Vec<(Oid, usize, Option<Oid>)>;

/// Every path change along HEAD's first-parent line, oldest first, as the
/// history walk's diffs found them: which secrets are still at HEAD and
/// which commit removed them then needs no second walk.
#[derive(Debug, Default)]
pub struct ChainLog {
    /// Commit index, path (in [`History::paths`](crate::History::paths)) and the change, in commit
    /// order. A name that is not UTF-8 is logged as it is reported, read
    /// lossily (the second walk never matched such a name, so it called
    /// every such file gone).
    events: Vec<(u32, PathId, ChainChange)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChainChange {
    /// The file at the path is now this blob, or gone (`None`).
    File(Option<Oid>),
    /// The directory at the path is gone, with everything under it.
    DirGone,
}

impl ChainLog {
    pub(crate) fn push(&mut self, commit: usize, path: PathId, change: ChainChange) {
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
