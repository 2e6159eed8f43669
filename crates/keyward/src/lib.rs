//! keyward finds leaked credentials in working trees, git history and `.env`
//! files, and checks config hygiene. This is the library the binary and the
//! tests use; it never exits the process and never sees clap types.

#![forbid(unsafe_code)]

pub mod cache;
pub mod config;
pub mod envcheck;
pub mod error;
pub mod finding;
pub mod hook;
pub mod progress;
pub mod repo;
pub mod report;
pub mod scan;
pub mod sources;
pub mod suppress;

pub use keyward_content as content;
pub use keyward_detect as detect;
pub use keyward_git as git;
pub use keyward_rules as rules;
pub use scan::{scan_git, scan_tree, GitTarget, Outcome, ScanOptions, Stats};
