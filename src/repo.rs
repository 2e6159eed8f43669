//! The thin git2 wrapper that sources, env checks and hooks share:
//! discovery, work-tree roots, ignore and tracking queries. Nothing here
//! scans content.

use std::path::{Path, PathBuf};

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
