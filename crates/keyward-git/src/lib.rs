//! keyward's git layer: enumerates what a repository holds (commits, trees,
//! blobs, ranges, staged changes) and says where each blob came from. It
//! reads objects and never scans them: detection is the caller's.
//!
//! - `repo`: opening a repository, the commit checked out, a shallow
//!   boundary, reading one blob, libgit2's settings for a whole history.
//! - `commits`: commit metadata ([`CommitBook`]) and the walk's commit parser.
//! - `walk`: the history walk ([`enumerate`]) that lists each blob once.
//! - `lifecycle`: paths followed along HEAD's first-parent line.
//! - `changes`: what a range, a push or the index adds, line by line.
//! - `trees`: the raw tree parser, the tree reader and its base cache.
//! - [`pack`]: packs opened once, delta chains, the blob traversal, deltas.
//! - `refs`: the refs read by hand when libgit2 cannot list them.
//! - [`paths`]: interned paths.
//! - [`oids`]: positions in a list of objects, by object id.

#![forbid(unsafe_code)]

mod changes;
mod commits;
#[cfg(test)]
mod fuzz;
mod lifecycle;
pub mod oids;
pub mod pack;
pub mod paths;
mod refs;
mod repo;
mod trees;
mod walk;

pub use changes::{
    added_since, range_changes, staged_changes, tips_changes, Added, Change, Changes,
};
pub use commits::{commit_info, CommitBook};
pub use lifecycle::{first_parent_path_changes, ChainLog, PathChanges};
pub use repo::{
    checkout, open, partial_clone_advice, promisor_remotes, read_blob, shallow_boundary,
    tune_for_reading,
};
pub use walk::{enumerate, BlobSite, History, OnMessage, RefSelection};

/// Helpers for the unit tests of the git layer.
#[cfg(test)]
pub(crate) mod testing {
    /// Runs `git ARGS` in `dir`, and checks it succeeded.
    pub(crate) fn git(dir: &std::path::Path, args: &[&str]) {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
}
