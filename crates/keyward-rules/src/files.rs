//! File rules (`files:`): which files a rule reads, by name.

use crate::Rule;

impl Rule {
    /// Whether this file rule reads the file at `path` (`/`-separated):
    /// its name is one of `files`, or its path ends with one at a
    /// component boundary, or its extension is a `*.ext` of them. False
    /// for a rule that is not a file rule.
    pub fn reads_file(&self, path: &str) -> bool {
        self.files.iter().any(|f| names_file(f, path))
    }
}

/// Whether the `files` entry `entry` names the file at `path`.
pub(crate) fn names_file(entry: &str, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match entry.strip_prefix('*') {
        // `*.ext`: a name with more than the extension.
        Some(ext) => name.len() > ext.len() && name.ends_with(ext),
        None if entry.contains('/') => {
            path == entry
                || path
                    .strip_suffix(entry)
                    .is_some_and(|head| head.ends_with('/'))
        }
        None => name == entry,
    }
}

#[cfg(test)]
mod tests {
    use super::names_file;

    /// A name matches the last component, a suffix whole components, an
    /// extension a longer name.
    #[test]
    fn entries_name_files() {
        assert!(names_file(".pgpass", ".pgpass"));
        assert!(names_file(".pgpass", "home/ci/.pgpass"));
        assert!(!names_file(".pgpass", "home/ci/x.pgpass"));
        assert!(!names_file(".pgpass", ".pgpass/readme"));
        assert!(names_file(".aws/credentials", ".aws/credentials"));
        assert!(names_file(".aws/credentials", "home/.aws/credentials"));
        assert!(!names_file(".aws/credentials", "home/x.aws/credentials"));
        assert!(!names_file(".aws/credentials", "credentials"));
        assert!(names_file("*.ini", "conf/app.ini"));
        assert!(!names_file("*.ini", "conf/.ini"));
        assert!(!names_file("*.ini", "conf/app.ini.bak"));
    }
}
