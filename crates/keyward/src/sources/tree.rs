//! The working-tree source: a parallel walk with `ignore` that honours
//! `.gitignore`/`.ignore` unless told not to. It only enumerates; reading and
//! detecting happen in the caller's visitor, on the walker's threads.

use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use crate::content::{Skip, SkipReason};

/// One thing the walk met.
pub enum Entry {
    File {
        path: PathBuf,
        /// What reports show: relative to the scan root, `/`-separated.
        rel: String,
        size: u64,
    },
    Skipped(Skip),
}

pub struct WalkOptions {
    pub no_ignore: bool,
    pub follow_links: bool,
    pub threads: usize,
}

/// Display path of `path` under the root it was found from.
pub fn relative(root: &Path, path: &Path, many_roots: bool) -> String {
    let rel = if many_roots || root.is_file() {
        path
    } else {
        path.strip_prefix(root).unwrap_or(path)
    };
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Walks every root in parallel and calls `visit` for each file or skip.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions, visit: &(dyn Fn(Entry) + Sync)) {
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    let honour = !opts.no_ignore;
    builder
        .hidden(false)
        .parents(honour)
        .ignore(honour)
        .git_ignore(honour)
        .git_global(honour)
        .git_exclude(honour)
        .require_git(false)
        .follow_links(opts.follow_links)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    let many = roots.len() > 1;
    builder.build_parallel().run(|| {
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    let root = roots
                        .iter()
                        .find(|r| entry.path().starts_with(r))
                        .map_or(Path::new(""), PathBuf::as_path);
                    let rel = relative(root, entry.path(), many);
                    let Some(ft) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    if ft.is_symlink() {
                        visit(Entry::Skipped(Skip {
                            path: rel,
                            reason: SkipReason::Symlink,
                        }));
                    } else if ft.is_file() {
                        match entry.metadata() {
                            Ok(meta) => visit(Entry::File {
                                path: entry.into_path(),
                                rel,
                                size: meta.len(),
                            }),
                            Err(e) => visit(Entry::Skipped(Skip {
                                path: rel,
                                reason: SkipReason::Unreadable(e.to_string()),
                            })),
                        }
                    }
                }
                Err(err) => visit(Entry::Skipped(walk_error(err))),
            }
            WalkState::Continue
        })
    });
}

fn walk_error(err: ignore::Error) -> Skip {
    let path = error_path(&err)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    Skip {
        path,
        reason: SkipReason::Unreadable(err.to_string()),
    }
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        _ => None,
    }
}
