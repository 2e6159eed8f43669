//! The thin git2 wrapper that sources, env checks and hooks share:
//! discovery, work-tree roots, ignore and tracking queries. Nothing here
//! scans content.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::finding::CommitInfo;

/// Where to look for `keyward.toml` for a scan of `path`: the work tree of
/// the git repository containing it, else the directory itself.
pub fn config_root(path: &Path) -> PathBuf {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    match git2::Repository::discover(&dir) {
        Ok(repo) => repo.workdir().map(Path::to_path_buf).unwrap_or(dir),
        Err(_) => dir,
    }
}

/// `path` (relative to `root`) as a path relative to the work tree, or
/// `None` when it is outside it.
fn in_workdir(repo: &git2::Repository, root: &Path, path: &Path) -> Option<PathBuf> {
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let base = root.canonicalize().ok()?;
    let joined = base.join(path);
    joined.strip_prefix(&workdir).ok().map(Path::to_path_buf)
}

/// Whether git would ignore `path` (relative to `root`), as git evaluates
/// ignore rules: nested `.gitignore` files, `.git/info/exclude`,
/// `core.excludesFile`, negations.
///
/// The `.gitignore` files from the file's directory up to the work tree's
/// root are read with the `ignore` crate's gitignore matcher, deepest
/// first, and the first that matches decides, as in git. libgit2 answers
/// only when none matches (for `info/exclude` and `core.excludesFile`): its
/// own evaluation misses a negation in a nested `.gitignore` (`!.env` in
/// `svc/.gitignore` under a root `.env` rule; libgit2 issues 6461, 7284).
pub fn is_ignored(repo: &git2::Repository, root: &Path, path: &Path) -> bool {
    let Some(rel) = in_workdir(repo, root, path) else {
        return false;
    };
    let Some(workdir) = repo.workdir() else {
        return false;
    };
    let full = workdir.join(&rel);
    let mut dir = rel.parent();
    while let Some(d) = dir {
        let file = workdir.join(d).join(".gitignore");
        if file.is_file() {
            let (matcher, _) = ignore::gitignore::Gitignore::new(&file);
            match matcher.matched_path_or_any_parents(&full, false) {
                ignore::Match::Ignore(_) => return true,
                ignore::Match::Whitelist(_) => return false,
                ignore::Match::None => {}
            }
        }
        dir = d.parent();
    }
    repo.is_path_ignored(&rel).unwrap_or(false)
}

/// Whether `path` (relative to `root`) is in the index.
pub fn is_tracked(repo: &git2::Repository, root: &Path, path: &Path) -> bool {
    let Some(rel) = in_workdir(repo, root, path) else {
        return false;
    };
    repo.index()
        .ok()
        .is_some_and(|index| index.get_path(&rel, 0).is_some())
}

/// The repository checkout a scan ran in.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The commit checked out.
    pub commit: Arc<CommitInfo>,
    /// The directory a working-tree finding's path is relative to, and the
    /// repository's work tree (`None` when bare), both canonical.
    pub base: PathBuf,
    pub workdir: Option<PathBuf>,
}

impl Checkout {
    /// The checkout holding `base` (the scanned directory, or where keyward
    /// runs), if `base` is in a repository with a commit.
    pub fn at(base: &Path) -> Option<Checkout> {
        let (commit, workdir) = keyward_git::checkout(base)?;
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        Some(Checkout {
            commit: Arc::new(commit),
            base: canonical(base),
            workdir: workdir.as_deref().map(canonical),
        })
    }

    /// A working-tree finding's path from the repository's root (the form
    /// GitLab links), or as it was when it lies outside the work tree.
    pub fn repo_path(&self, path: &str) -> String {
        let Some(workdir) = &self.workdir else {
            return path.to_string();
        };
        let full = self.base.join(path);
        let full = full.canonicalize().unwrap_or(full);
        match full.strip_prefix(workdir) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => path.to_string(),
        }
    }
}
