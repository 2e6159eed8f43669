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
pub mod import;
pub mod outcome;
pub mod place;
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

/// The module layers of this crate, lowest first: a module may use only
/// the modules before it (and the lower crates re-exported above).
/// ARCHITECTURE.md draws the same order.
#[cfg(test)]
mod layers {
    const LAYERS: &[&str] = &[
        "error", "progress", "finding", "place", "repo", "hook", "config", "suppress", "import",
        "sources", "cache", "envcheck", "outcome", "scan", "report",
    ];
    const LOWER_CRATES: &[&str] = &["content", "detect", "git", "rules"];

    /// The `crate::X` modules named in `text`, outside comments.
    fn uses(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (i, _) in code.match_indices("crate::") {
                let preceded = code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
                if preceded {
                    continue;
                }
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                found.push(name);
            }
        }
        found
    }

    fn sources(path: &std::path::Path, out: &mut Vec<String>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                sources(&entry.unwrap().path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(path).unwrap());
        }
    }

    /// Every module uses only modules of lower layers: the import graph
    /// has no cycle, and every module is placed.
    #[test]
    fn modules_use_only_lower_layers() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_string();
            if name == "lib" {
                continue;
            }
            let Some(level) = LAYERS.iter().position(|l| *l == name) else {
                problems.push(format!("{name}: not in LAYERS"));
                continue;
            };
            let mut texts = Vec::new();
            sources(&path, &mut texts);
            for used in texts.iter().flat_map(|t| uses(t)) {
                if used == name || LOWER_CRATES.contains(&used.as_str()) {
                    continue;
                }
                match LAYERS.iter().position(|l| *l == used) {
                    Some(u) if u < level => {}
                    _ => problems.push(format!("{name} uses {used}")),
                }
            }
        }
        problems.sort();
        problems.dedup();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// No source file of the workspace, tests included, runs over 700
    /// lines: a file that grows past it holds more than one thing.
    #[test]
    fn no_source_file_over_700_lines() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("crates/");
        let root = crates.parent().expect("the workspace root");
        let mut texts = Vec::new();
        let mut long = Vec::new();
        let dirs = std::fs::read_dir(crates)
            .unwrap()
            .map(|e| e.unwrap().path())
            .chain([root.to_path_buf()]);
        for dir in dirs {
            for sub in ["src", "tests"] {
                let mut found = Vec::new();
                collect(&dir.join(sub), &mut found);
                texts.extend(found);
            }
        }
        for (path, lines) in texts {
            if lines > 700 {
                long.push(format!("{}: {lines} lines", path.display()));
            }
        }
        assert!(long.is_empty(), "{}", long.join("\n"));
    }

    fn collect(path: &std::path::Path, out: &mut Vec<(std::path::PathBuf, usize)>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                collect(&entry.unwrap().path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(path).unwrap();
            out.push((path.to_path_buf(), text.lines().count()));
        }
    }
}
