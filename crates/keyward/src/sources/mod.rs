//! Sources enumerate content and say where it came from: the working tree
//! here; git history, ranges and the index in the `keyward-git` crate.

pub mod tree;

/// Helpers for the unit tests of the sources and the scan.
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
