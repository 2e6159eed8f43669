//! What a range of commits, a push or the index changes: each changed
//! file's new blob and the lines the change added to it ([`Changes`]),
//! and working out those lines from the blob before ([`added_since`]).
//!
//! A tree it cannot read is an error, so a hook fails closed. It lists and
//! diffs; it never scans the added lines (the caller does).

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository, Sort};
use keyward_content::{CommitInfo, LineRange, Skip, SkipReason};
use rustc_hash::FxHashSet;

use crate::commits::commit_info;
use crate::pack::Packs;
use crate::repo::tune_for_reading;
use crate::trees::reader::TreeReader;
use crate::trees::{join, tree_order, EntryKind};

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

/// Why `spec` is not a range of this repository, in the user's terms:
/// which revision is unknown, or what shape a range takes.
fn bad_range(repo: &Repository, spec: &str) -> String {
    let sides: Vec<&str> = spec.split("..").collect();
    if let [from, to] = sides[..] {
        for side in [from, to] {
            if !side.is_empty() && repo.revparse_single(side).is_err() {
                return format!(
                    "`{spec}`: unknown revision `{side}`: name a branch, tag or commit this repository has"
                );
            }
        }
    }
    format!("`{spec}` is not a revision range: use A..B (two revisions, such as main..feature)")
}

/// Added lines of every non-merge commit of the range `spec` (`A..B`: the
/// commits reachable from `B` and not from `A`), as [`tips_changes`] finds
/// them; an error when `spec` is not such a range.
pub fn range_changes(repo: &Repository, spec: &str) -> Result<Changes> {
    let revspec = repo
        .revparse(spec)
        .map_err(|_| anyhow::anyhow!(bad_range(repo, spec)))?;
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
/// (or allowed, or baselined) where it first came in. It is also cheaper
/// than libgit2's Myers diff: one hash per line, no alignment
/// (docs/decisions/009).
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
