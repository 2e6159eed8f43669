//! Orchestration of git scans: the full-history audit and the added-lines
//! scans of ranges and of the index.
//!
//! The audit runs two passes at once: the history walk (libgit2) lists each
//! unique blob with the first commit and path that brought it, and the pack
//! pass (gitoxide) decodes every blob of the packs once, in pack order, and
//! scans it, a delta only where it changed its base. Then each blob the
//! walk found takes its findings from the pack pass (or, loose or in a pack
//! that could not be read, is read and scanned on its own), and the
//! findings are grouped by fingerprint with their lifecycle.

mod audit;
mod changes;
mod delta;
mod env_history;
mod group;
mod pass;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Result};
use git2::Oid;
use keyward_git::{self as git, RefSelection};

use super::{Outcome, ScanOptions, Setup};
use crate::finding::Source;

pub use env_history::env_in_history;

/// What a git scan covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitTarget {
    /// Every blob reachable from the selected refs.
    History(RefSelection),
    /// The lines added by the commits of `A..B`.
    Range(String),
    /// The lines the index adds to HEAD.
    Staged,
    /// The lines added by commits reachable from `push` and from none of
    /// `hide` (object ids): what a push sends.
    Tips {
        push: Vec<String>,
        hide: Vec<String>,
    },
}

/// Scans a git repository as `opts.git` says.
pub fn scan_git(opts: &ScanOptions) -> Result<Outcome> {
    let started = Instant::now();
    let path = opts.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    let repo = git::open(&path)?;
    let root = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    let setup = Setup::new(opts, &root)?;
    match opts
        .git
        .clone()
        .unwrap_or(GitTarget::History(RefSelection::All))
    {
        GitTarget::History(selection) => audit::audit(opts, &repo, setup, &selection, started),
        GitTarget::Range(spec) => changes::scan_changes(
            opts,
            &repo,
            setup,
            || git::range_changes(&repo, &spec),
            Source::History,
            started,
        ),
        GitTarget::Tips { push, hide } => {
            let ids = |v: &[String]| {
                v.iter()
                    .map(|s| Oid::from_str(s))
                    .collect::<Result<Vec<_>, _>>()
            };
            let (push, hide) = (ids(&push)?, ids(&hide)?);
            changes::scan_changes(
                opts,
                &repo,
                setup,
                || git::tips_changes(&repo, &push, &hide),
                Source::History,
                started,
            )
        }
        GitTarget::Staged => changes::scan_changes(
            opts,
            &repo,
            setup,
            || git::staged_changes(&repo),
            Source::Staged,
            started,
        ),
    }
}

/// Locks `m`, whether or not a thread panicked holding it (what it guards
/// stays consistent: each holder only inserts or reads).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
