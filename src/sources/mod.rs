//! Sources enumerate content and say where it came from: the working tree
//! here; git history, ranges and the index in `git`.

pub mod git;
pub mod oids;
pub mod pack;
pub mod paths;
pub mod tree;
