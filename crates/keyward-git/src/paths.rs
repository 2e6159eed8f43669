//! Interned paths. A history audit sees a few thousand distinct paths and
//! hundreds of thousands of blobs at them: each path's text is stored once,
//! in one buffer, and a blob names its path by a 4-byte id.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// A path's id in its [`Paths`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PathId(u32);

/// Every distinct path once: the texts end to end in one buffer, and a
/// table of ids hashed by text.
#[derive(Debug, Default)]
pub struct Paths {
    text: String,
    /// Where each path's text ends in `text` (it starts where the previous
    /// one ends).
    ends: Vec<usize>,
    table: HashTable<u32>,
}

impl Paths {
    /// The id of `path`, adding it the first time it is seen.
    pub fn intern(&mut self, path: &str) -> PathId {
        let hash = FxBuildHasher.hash_one(path);
        if let Some(&id) = self.table.find(hash, |&id| self.text_of(id) == path) {
            return PathId(id);
        }
        let id = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct paths");
        self.text.push_str(path);
        self.ends.push(self.text.len());
        let (text, ends) = (&self.text, &self.ends);
        self.table.insert_unique(hash, id, |&other| {
            FxBuildHasher.hash_one(text_at(text, ends, other))
        });
        PathId(id)
    }

    /// The id of `path`, if it was interned.
    pub fn find(&self, path: &str) -> Option<PathId> {
        let hash = FxBuildHasher.hash_one(path);
        self.table
            .find(hash, |&id| self.text_of(id) == path)
            .map(|&id| PathId(id))
    }

    /// The text of an id this table gave.
    pub fn get(&self, id: PathId) -> &str {
        self.text_of(id.0)
    }

    /// How many distinct paths there are.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn text_of(&self, id: u32) -> &str {
        text_at(&self.text, &self.ends, id)
    }
}

fn text_at<'a>(text: &'a str, ends: &[usize], id: u32) -> &'a str {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text[start..ends[i]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_is_stored_once_and_read_back() {
        let mut paths = Paths::default();
        let names = ["src/main.rs", "", "src/main.r", "s", "src/main.rs/x", "ü/ß"];
        let ids: Vec<PathId> = names.iter().map(|n| paths.intern(n)).collect();
        for (name, id) in names.iter().zip(&ids) {
            assert_eq!(paths.get(*id), *name);
            assert_eq!(paths.intern(name), *id, "{name} interned again");
            assert_eq!(paths.find(name), Some(*id));
        }
        assert_eq!(paths.len(), names.len());
        assert_eq!(paths.find("src"), None);
    }

    #[test]
    fn ids_survive_the_table_growing() {
        let mut paths = Paths::default();
        let ids: Vec<PathId> = (0..5000)
            .map(|i| paths.intern(&format!("d{}/f{i}", i % 7)))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(paths.get(*id), format!("d{}/f{i}", i % 7));
            assert_eq!(paths.find(&format!("d{}/f{i}", i % 7)), Some(*id));
        }
        assert_eq!(paths.len(), 5000);
    }
}
