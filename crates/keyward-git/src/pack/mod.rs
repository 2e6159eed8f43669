//! The packs of a repository's object directory: opening each pack once
//! (its index and its data, mapped by gitoxide) and following the object
//! directories it borrows from (`info/alternates`). What is done with an
//! opened pack lives in the submodules: resolving one object's delta chain
//! ([`Packs::read`]), decoding every blob of a pack once in pack order
//! ([`traverse()`]), and git's delta format.
//!
//! This module reads objects; it never parses trees or commits and never
//! scans: callers do. A pack that cannot be opened is left out with a
//! warning, never a panic, and its objects are then the caller's to read
//! through libgit2.

use std::path::{Path, PathBuf};

use git2::Oid;
use keyward_content::SkipReason;

mod chain;
#[cfg(any(test, feature = "craft"))]
#[doc(hidden)]
pub mod craft;
mod delta;
#[cfg(test)]
mod fuzz;
mod traverse;

pub use chain::{Decoded, Object, Reading};
pub use delta::{copies, Copied};
pub use traverse::{traverse, Delta, PackedBlob};

/// The largest object the packs are decoded into: a size read from a
/// damaged entry header fails the decoding instead of the allocation. A
/// larger object in a pack sends that pack's remaining blobs to libgit2.
const ALLOC_LIMIT: usize = 1 << 30;

/// One pack: its index and its data, each mapped once.
pub struct Pack {
    index: gix_pack::index::File,
    data: gix_pack::data::File,
}

impl Pack {
    /// How many objects the pack holds.
    pub fn objects(&self) -> u32 {
        self.index.num_objects()
    }

    /// The position of object `oid` in the pack's index (`0..objects()`),
    /// if the pack holds it.
    pub fn position(&self, oid: Oid) -> Option<u32> {
        let id = gix_hash::oid::try_from_bytes(oid.as_bytes()).ok()?;
        self.index.lookup(id)
    }
}

/// The packs of a repository's object directory, opened once: the pack
/// pass decodes their blobs and the history walk reads its trees from the
/// same mappings, since each mapping of a pack counts its pages in the
/// process's resident memory.
#[derive(Default)]
pub struct Packs {
    packs: Vec<Pack>,
}

impl Packs {
    /// Opens the packs under `objects` and under the object directories it
    /// borrows from (`info/alternates`, as `git clone --shared` and
    /// `--reference` leave them); one that cannot be opened is left out
    /// (its objects are read through libgit2), with a warning.
    pub fn open(objects: &Path) -> (Packs, Vec<String>) {
        let kind = gix_hash::Kind::Sha1;
        let mut packs = Vec::new();
        let mut warnings = Vec::new();
        for idx in object_dirs(objects, &mut warnings)
            .iter()
            .flat_map(|d| indexes(d))
        {
            let index = gix_pack::index::File::at(&idx, kind);
            let data = gix_pack::data::File::at(idx.with_extension("pack"), kind)
                .map(|d| d.with_alloc_limit_bytes(Some(ALLOC_LIMIT)));
            match (index, data) {
                (Ok(index), Ok(data)) => packs.push(Pack { index, data }),
                (Err(e), _) | (_, Err(e)) => warnings.push(format!(
                    "{}: cannot open the pack ({e}); its objects were read one by one",
                    idx.display()
                )),
            }
        }
        (Packs { packs }, warnings)
    }

    /// The packs opened, in the order they are searched.
    pub fn iter(&self) -> impl Iterator<Item = &Pack> {
        self.packs.iter()
    }

    /// Whether a pack holds object `oid`.
    pub fn holds(&self, oid: Oid) -> bool {
        self.packs.iter().any(|p| p.position(oid).is_some())
    }

    /// Blob `oid` read with keyward's own reader, which bounds a delta
    /// chain's length, stops at a chain that loops and checks each size it
    /// allocates (libgit2's one-by-one reading does neither: a chain that
    /// loops grew its memory without end). `None` when no pack holds it;
    /// otherwise its bytes, or why it is not scanned.
    pub fn read_blob(
        &self,
        oid: Oid,
        reading: &mut Reading,
        limit: u64,
    ) -> Option<Result<std::rc::Rc<Vec<u8>>, SkipReason>> {
        if !self.holds(oid) {
            return None;
        }
        Some(match self.read(oid, reading, &mut NoCache, 0) {
            Some((data, gix_object::Kind::Blob)) if data.len() as u64 > limit => {
                Err(SkipReason::TooLarge {
                    size: data.len() as u64,
                    limit,
                })
            }
            Some((data, gix_object::Kind::Blob)) => Ok(data),
            Some((_, kind)) => Err(SkipReason::Unreadable(format!(
                "blob {oid}: the pack holds a {kind} under its id"
            ))),
            None => Err(SkipReason::Unreadable(format!(
                "blob {oid}: its pack entry cannot be decoded (damaged data, or a delta \
                 chain that loops or is too long)"
            ))),
        })
    }
}

/// A cache that keeps nothing: one-off reads.
struct NoCache;

impl Decoded for NoCache {
    fn get(&mut self, _: u32, _: u64) -> Option<Object> {
        None
    }
    fn put(&mut self, _: u32, _: u64, _: &std::rc::Rc<Vec<u8>>, _: gix_object::Kind) {}
}

/// Checks that every pack index under `objects` (and the directories it
/// borrows from) points inside its pack: libgit2 trusts an index's offsets
/// and reads past the end of the mapping (a segmentation fault) where one
/// points beyond it. Returns the first such index, named, with what to do.
pub fn check_indexes(objects: &Path) -> Result<(), String> {
    let kind = gix_hash::Kind::Sha1;
    for idx in object_dirs(objects, &mut Vec::new())
        .iter()
        .flat_map(|d| indexes(d))
    {
        let pack = idx.with_extension("pack");
        let Ok(len) = std::fs::metadata(&pack).map(|m| m.len()) else {
            continue;
        };
        // An index gitoxide cannot open is one libgit2 refuses too (its
        // objects are then missing, and named where they are needed).
        let Ok(index) = gix_pack::index::File::at(&idx, kind) else {
            continue;
        };
        // The pack's header is 12 bytes and its trailer a 20-byte hash.
        let end = len.saturating_sub(20);
        // Offsets alone (every hook pays this): an entry's id is read only
        // for the message.
        let bad =
            (0..index.num_objects()).find(|&i| !(12..end).contains(&index.pack_offset_at_index(i)));
        if let Some(bad) = bad {
            return Err(format!(
                "{}: the index places object {} at offset {}, outside its pack ({len} bytes): \
                 the repository is damaged; rebuild the index with `git index-pack {}` or restore the pack",
                idx.display(),
                index.oid_at_index(bad),
                index.pack_offset_at_index(bad),
                pack.display()
            ));
        }
    }
    Ok(())
}

/// A size read from the pack, if it is one to allocate: a damaged header
/// fails the read, not the allocation.
fn object_size(size: u64) -> Option<usize> {
    usize::try_from(size).ok().filter(|&s| s <= ALLOC_LIMIT)
}

/// Whether `declared` bytes can inflate from `compressed` bytes of zlib
/// data: deflate makes at most 258 bytes of a match coded in two bits (a
/// ratio of 1,032), plus a little for the stream's framing. An entry whose
/// header declares more is damaged or crafted, and is refused before its
/// declared size is allocated.
pub(crate) fn inflates_to(compressed: u64, declared: u64) -> bool {
    declared <= compressed.saturating_mul(1032).saturating_add(64)
}

/// `objects` and the object directories its `info/alternates` names,
/// alternates of alternates included, as gitoxide resolves them (comments,
/// C-quoted lines, each directory once, a cycle refused). When they cannot
/// be resolved, a warning says so and only `objects` is opened: borrowed
/// objects are then read one by one, and any that cannot be read is
/// counted unreadable.
fn object_dirs(objects: &Path, warnings: &mut Vec<String>) -> Vec<PathBuf> {
    let mut dirs = vec![objects.to_path_buf()];
    let here = std::env::current_dir().unwrap_or_default();
    match gix_odb::alternate::resolve(objects.to_path_buf(), &here) {
        Ok(alternates) => dirs.extend(alternates),
        Err(e) => warnings.push(format!(
            "{}: cannot follow info/alternates ({e}); the objects it borrows were read one by one",
            objects.display()
        )),
    }
    dirs
}

/// The index files of the packs in an object directory, by name.
fn indexes(objects: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(objects.join("pack")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx") && p.with_extension("pack").is_file())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Alternates are followed, relative or absolute, alternates of
    /// alternates too, comments and blank lines skipped; a cycle is said
    /// in a warning and only the repository's own directory is opened.
    #[test]
    fn object_dirs_follow_alternates() {
        let root = tempfile::tempdir().unwrap();
        let dir = |name: &str| {
            let d = root.path().join(name).join("objects");
            std::fs::create_dir_all(d.join("info")).unwrap();
            d
        };
        let (a, b, c) = (dir("a"), dir("b"), dir("c"));
        let list =
            |d: &Path, text: String| std::fs::write(d.join("info/alternates"), text).unwrap();
        list(
            &a,
            format!("# borrowed\n{}\n\n../../c/objects\n", b.display()),
        );
        let d = dir("d");
        list(&b, format!("{}\n", d.display()));
        let mut warnings = Vec::new();
        let found = object_dirs(&a, &mut warnings);
        let names: Vec<PathBuf> = found.iter().map(|d| d.canonicalize().unwrap()).collect();
        let want: Vec<PathBuf> = [&a, &b, &d, &c]
            .iter()
            .map(|d| d.canonicalize().unwrap())
            .collect();
        assert_eq!(names, want);
        assert!(warnings.is_empty(), "{warnings:?}");

        // d borrows back from a: a cycle.
        list(&d, format!("{}\n", a.display()));
        let found = object_dirs(&a, &mut warnings);
        assert_eq!(found, vec![a.clone()]);
        assert!(
            warnings.len() == 1 && warnings[0].contains("cannot follow info/alternates"),
            "{warnings:?}"
        );
        // No alternates: the directory alone.
        assert_eq!(object_dirs(&c, &mut Vec::new()), vec![c.clone()]);
    }
}
