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
    // A path as reports show it: relative to the root it was found from.
    let show = move |path: &Path| {
        let root = roots
            .iter()
            .find(|r| path.starts_with(r))
            .map_or(Path::new(""), PathBuf::as_path);
        relative(root, path, many)
    };
    builder.build_parallel().run(|| {
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    let rel = show(entry.path());
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
                                reason: SkipReason::Unreadable(why(&e, &show)),
                            })),
                        }
                    }
                }
                Err(err) => visit(Entry::Skipped(walk_error(&err, &show))),
            }
            WalkState::Continue
        })
    });
}

/// A walk error is a skip: a symbolic link loop by policy (what it leads
/// to is scanned at its own path), anything else as unreadable.
fn walk_error(err: &ignore::Error, show: &dyn Fn(&Path) -> String) -> Skip {
    let reason = if is_loop(err) {
        SkipReason::Symlink
    } else {
        SkipReason::Unreadable(why(err, show))
    };
    Skip {
        path: error_path(err).map(show).unwrap_or_default(),
        reason,
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

/// What went wrong, without the path the skip already names: `ignore`'s
/// own message repeats it (`./locked: ./locked: Permission denied`).
fn why(err: &ignore::Error, show: &dyn Fn(&Path) -> String) -> String {
    match err {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            why(err, show)
        }
        ignore::Error::WithLineNumber { line, err } => format!("line {line}: {}", why(err, show)),
        ignore::Error::Loop { ancestor, .. } => match show(ancestor) {
            top if top.is_empty() => "a symbolic link loop: it leads back to the scan root".into(),
            ancestor => format!("a symbolic link loop: it leads back to {ancestor}"),
        },
        ignore::Error::Partial(errs) => errs
            .iter()
            .map(|e| why(e, show))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
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
