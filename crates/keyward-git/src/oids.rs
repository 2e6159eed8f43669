//! Positions in a list of objects, found by object id. A history audit
//! lists every commit and every unique blob once; a map from id to
//! position would store each id a second time (24 bytes an entry before
//! the table's slack). This table stores the 4-byte position alone and
//! reads the id back from the list.

use std::hash::BuildHasher;

use git2::Oid;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// The position of each object of a list, by its id. The list is the
/// caller's: each call is given how to read the id at a position.
#[derive(Debug, Default)]
pub struct OidIndex {
    table: HashTable<u32>,
}

impl OidIndex {
    /// The position of `oid`, if it was inserted; `id_at` reads the id at a
    /// position of the list.
    pub fn get(&self, oid: &Oid, id_at: impl Fn(u32) -> Oid) -> Option<u32> {
        self.table
            .find(FxBuildHasher.hash_one(oid), |&at| id_at(at) == *oid)
            .copied()
    }

    /// Records that `oid` is at position `at` (it must not be listed yet,
    /// and `id_at(at)` must read it back).
    pub fn insert(&mut self, oid: &Oid, at: u32, id_at: impl Fn(u32) -> Oid) {
        self.table
            .insert_unique(FxBuildHasher.hash_one(oid), at, |&other| {
                FxBuildHasher.hash_one(id_at(other))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(i: u32) -> Oid {
        Oid::hash_object(git2::ObjectType::Blob, &i.to_le_bytes()).unwrap()
    }

    #[test]
    fn finds_each_position_as_the_table_grows() {
        let mut list: Vec<Oid> = Vec::new();
        let mut index = OidIndex::default();
        for i in 0..5000 {
            let id = oid(i);
            assert_eq!(index.get(&id, |at| list[at as usize]), None);
            list.push(id);
            index.insert(&id, i, |at| list[at as usize]);
        }
        for (i, id) in list.iter().enumerate() {
            assert_eq!(index.get(id, |at| list[at as usize]), Some(i as u32));
        }
        assert_eq!(index.get(&oid(5000), |at| list[at as usize]), None);
    }
}
