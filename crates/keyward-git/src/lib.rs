//! keyward's git layer: enumerates what a repository holds (commits, trees,
//! blobs, ranges, staged changes) and says where each blob came from. It
//! reads objects and never scans them: detection is the caller's.

#![forbid(unsafe_code)]

mod git;
pub mod oids;
pub mod pack;
pub mod paths;

pub use git::*;

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
