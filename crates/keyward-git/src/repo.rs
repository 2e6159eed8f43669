//! Opening a repository, and the whole-repository facts and reads the
//! other modules and callers need: the commit checked out, a shallow
//! clone's boundary, one blob, and libgit2's process-wide settings for
//! reading a whole history.
//!
//! It opens and reads; it never walks history or compares trees (the walk
//! and the change lists do), and never scans what it reads.

use std::path::Path;

use anyhow::Result;
use git2::{Oid, Repository};
use keyward_content::{CommitInfo, SkipReason};

use crate::commits::commit_info;
use crate::pack::check_indexes;

/// Opens the repository at or above `path`, bare or not. The error is one
/// line in the user's terms; libgit2's own (its class and code) is left out.
///
/// A pack index that points outside its pack is an error here, before
/// libgit2 reads through it (see [`check_indexes`]).
pub fn open(path: &Path) -> Result<Repository> {
    let repo = Repository::discover(path).map_err(|e| {
        let why = match e.code() {
            git2::ErrorCode::NotFound => {
                "not a git repository (nor is any parent directory): run keyward inside one, or name one".to_string()
            }
            _ => format!("not a git repository keyward can open: {}", e.message()),
        };
        anyhow::anyhow!("{}: {why}", path.display())
    })?;
    check_indexes(&repo.commondir().join("objects")).map_err(anyhow::Error::msg)?;
    Ok(repo)
}

/// The commit checked out in the repository at or above `path` and the
/// repository's work tree (`None` when bare); `None` outside a repository
/// or before its first commit.
pub fn checkout(path: &Path) -> Option<(CommitInfo, Option<std::path::PathBuf>)> {
    let repo = Repository::discover(path).ok()?;
    check_indexes(&repo.commondir().join("objects")).ok()?;
    let commit = repo.head().ok()?.peel_to_commit().ok()?;
    Some((commit_info(&commit), repo.workdir().map(Path::to_path_buf)))
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

/// The remotes a partial clone may still owe objects to (`promisor`
/// remotes): what it lacks was never fetched, which is not damage but is
/// still not scanned.
pub fn promisor_remotes(repo: &Repository) -> Vec<String> {
    let Ok(config) = repo.config() else {
        return Vec::new();
    };
    let mut names = Vec::new();
    if let Ok(mut entries) = config.entries(Some(r"remote\..*\.promisor")) {
        while let Some(Ok(entry)) = entries.next() {
            let promises = entry.value().is_some_and(|v| {
                matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
            });
            let name = entry.name().and_then(|n| {
                n.strip_prefix("remote.")?
                    .strip_suffix(".promisor")
                    .map(str::to_string)
            });
            if let (true, Some(name)) = (promises, name) {
                names.push(name);
            }
        }
    }
    if let Ok(name) = config.get_string("extensions.partialclone") {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A partial clone's warning: which remote owes the objects that could not
/// be read, and the commands that fetch them.
pub fn partial_clone_advice(remotes: &[String], missing: u64) -> Option<String> {
    let remote = remotes.first()?;
    Some(format!(
        "this is a partial clone: {missing} objects that remote `{remote}` may still hold are not \
         here and were not scanned; make them local with \
         `git config --unset remote.{remote}.partialclonefilter && git fetch --refetch {remote}`, \
         or audit a full clone"
    ))
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

/// Process-global libgit2 settings for reading a whole history: a scanner
/// reads the bytes that are there, as `git cat-file` does, so objects are
/// not re-hashed on read; and each tree is walked once, so libgit2's object
/// cache, which held memory for no measurable speed, is off.
pub fn tune_for_reading() {
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
}
