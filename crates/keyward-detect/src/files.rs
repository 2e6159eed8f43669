//! The file rules (`files:`) by the names they read.

use keyward_rules::Rule;

/// The file rules (`files:`) by the last component of each entry
/// (`credentials` for `.aws/credentials`) and by extension (`.ini` for
/// `*.ini`), so that a path is looked up, not matched against each rule.
#[derive(Default)]
pub(crate) struct FileIndex {
    names: std::collections::HashMap<String, Vec<usize>>,
    extensions: std::collections::HashMap<String, Vec<usize>>,
}

impl FileIndex {
    pub(crate) fn new(rules: &[Rule]) -> FileIndex {
        let mut index = FileIndex::default();
        for (i, rule) in rules.iter().enumerate() {
            for entry in &rule.files {
                let (map, key) = match entry.strip_prefix('*') {
                    Some(ext) => (&mut index.extensions, last_extension(ext)),
                    None => (&mut index.names, entry.rsplit('/').next().unwrap_or(entry)),
                };
                let list = map.entry(key.to_string()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        index
    }

    /// The file rules that read `path`, each once, in rule order.
    pub(crate) fn rules_for(&self, rules: &[Rule], path: &str) -> Vec<usize> {
        if self.names.is_empty() && self.extensions.is_empty() {
            return Vec::new();
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let by_name = self.names.get(name).into_iter().flatten();
        let by_ext = self
            .extensions
            .get(last_extension(name))
            .into_iter()
            .flatten();
        let mut found: Vec<usize> = by_name
            .chain(by_ext)
            .copied()
            .filter(|&r| rules[r].reads_file(path))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// `.gz` for `a.tar.gz`, `.pgpass` for `.pgpass`; empty without a dot.
fn last_extension(name: &str) -> &str {
    name.rfind('.').map_or("", |dot| &name[dot..])
}
