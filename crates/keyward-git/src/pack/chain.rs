//! Reading one object from the packs: its delta chain resolved from the
//! nearest object a cache holds, and the objects nearest it kept for the
//! reads after ([`Packs::read`]).
//!
//! It decodes bytes and says their kind; it never parses trees or commits,
//! and a damaged entry or a chain that loops fails the read (`None`), never
//! the process.

use std::rc::Rc;

use git2::Oid;

use super::delta::{apply, DeltaOps};
use super::{object_size, Pack, Packs};

impl Packs {
    /// Object `oid`, decoded from the first pack that holds it, and its
    /// kind; `None` when no pack holds it or it cannot be decoded (a
    /// damaged entry, a chain that loops). A delta chain is resolved from
    /// the nearest object on it that `cache` holds, and of the objects the
    /// read made from deltas, the `keep` nearest `oid` (`oid` first) are put
    /// in `cache`; an object stored whole is not (it is inflated again
    /// when read).
    ///
    /// gitoxide's decoder puts the object asked for alone, and a history
    /// walk, oldest first, reads the versions of a tree against git's
    /// delta direction (an older version is a delta made from a newer
    /// one): each read resolved the whole chain again, from its far end.
    /// The next version of a tree is usually the base this one was made
    /// from, or near it on the chain.
    pub fn read(
        &self,
        oid: Oid,
        reading: &mut Reading,
        cache: &mut dyn Decoded,
        keep: usize,
    ) -> Option<Object> {
        let id = gix_hash::oid::try_from_bytes(oid.as_bytes()).ok()?;
        self.packs.iter().enumerate().find_map(|(n, pack)| {
            let at = pack.index.lookup(id)?;
            let offset = pack.index.pack_offset_at_index(at);
            pack.decode(u32::try_from(n).ok()?, offset, reading, cache, keep)
        })
    }
}

/// A decoded object, shared, and its kind.
pub type Object = (Rc<Vec<u8>>, gix_object::Kind);

/// Objects decoded from the packs, kept for the reads after (see
/// [`Packs::read`]), by pack and offset. An object is shared, not copied,
/// with the reader and the cache.
pub trait Decoded {
    /// The object at `offset` of pack `pack`, and its kind, if kept.
    fn get(&mut self, pack: u32, offset: u64) -> Option<Object>;
    /// Keeps the object at `offset` of pack `pack`.
    fn put(&mut self, pack: u32, offset: u64, data: &Rc<Vec<u8>>, kind: gix_object::Kind);
    /// An empty buffer for an object of `size` bytes.
    fn buffer(&mut self, size: usize) -> Vec<u8> {
        Vec::with_capacity(size)
    }
    /// Takes back the buffer of an object no longer used.
    fn recycle(&mut self, _spent: Vec<u8>) {}
}

/// How many deltas a chain may hold: git writes at most 4,095 (`--depth`);
/// a longer chain, or one that loops, is a damaged pack.
const MAX_CHAIN: usize = 10_000;

/// Buffers for [`Packs::read`], kept from one read to the next.
#[derive(Default)]
pub struct Reading {
    inflate: gix_zlib::Inflate,
    /// The chain being resolved: each delta's offset and entry, the object
    /// asked for first.
    chain: Vec<(u64, gix_pack::data::Entry)>,
    delta: Vec<u8>,
}

impl Pack {
    /// Decodes the entry at `offset` (pack `pack` in the cache's keys), as
    /// [`Packs::read`] says.
    fn decode(
        &self,
        pack: u32,
        offset: u64,
        reading: &mut Reading,
        cache: &mut dyn Decoded,
        keep: usize,
    ) -> Option<Object> {
        use gix_pack::data::entry::Header;
        reading.chain.clear();
        let mut at = offset;
        let (mut object, kind) = loop {
            if let Some(kept) = cache.get(pack, at) {
                break kept;
            }
            let entry = self.data.entry(at).ok()?;
            let base = match entry.header {
                Header::OfsDelta { base_distance } => at.checked_sub(base_distance)?,
                Header::RefDelta { base_id } => {
                    self.index.pack_offset_at_index(self.index.lookup(base_id)?)
                }
                header => {
                    let kind = header.as_kind()?;
                    let mut whole = cache.buffer(object_size(entry.decompressed_size)?);
                    inflate(&self.data, &entry, &mut reading.inflate, &mut whole)?;
                    break (Rc::new(whole), kind);
                }
            };
            if reading.chain.len() == MAX_CHAIN {
                return None;
            }
            reading.chain.push((at, entry));
            at = base;
        };
        for (n, (at, entry)) in reading.chain.iter().enumerate().rev() {
            inflate(&self.data, entry, &mut reading.inflate, &mut reading.delta)?;
            let (_, size, _) = DeltaOps::of(&reading.delta)?;
            let mut made = cache.buffer(object_size(size)?);
            apply(&object, &reading.delta, &mut made)?;
            let made = Rc::new(made);
            if n < keep {
                cache.put(pack, *at, &made, kind);
            }
            if let Ok(spent) = Rc::try_unwrap(std::mem::replace(&mut object, made)) {
                cache.recycle(spent);
            }
        }
        Some((object, kind))
    }
}

/// Inflates `entry`'s data into `out` (at most [`ALLOC_LIMIT`](super::ALLOC_LIMIT) bytes).
fn inflate(
    data: &gix_pack::data::File,
    entry: &gix_pack::data::Entry,
    inflate: &mut gix_zlib::Inflate,
    out: &mut Vec<u8>,
) -> Option<()> {
    let size = object_size(entry.decompressed_size)?;
    let compressed = (data.pack_end() as u64).checked_sub(entry.data_offset)?;
    if !super::inflates_to(compressed, entry.decompressed_size) {
        return None;
    }
    out.clear();
    out.resize(size, 0);
    data.decompress_entry(entry, inflate, out).ok()?;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache that keeps every object put, and records what was put and
    /// how many buffers came back.
    #[derive(Default)]
    struct Keep {
        objects: std::collections::HashMap<(u32, u64), Object>,
        puts: Vec<u64>,
        recycled: usize,
    }

    impl Decoded for Keep {
        fn put(&mut self, p: u32, at: u64, data: &Rc<Vec<u8>>, kind: gix_object::Kind) {
            self.puts.push(at);
            self.objects.insert((p, at), (data.clone(), kind));
        }
        fn get(&mut self, p: u32, at: u64) -> Option<Object> {
            self.objects.get(&(p, at)).cloned()
        }
        fn recycle(&mut self, _: Vec<u8>) {
            self.recycled += 1;
        }
    }

    /// A cache that keeps nothing, and counts the buffers that came back.
    #[derive(Default)]
    struct Never {
        recycled: usize,
    }

    impl Decoded for Never {
        fn put(&mut self, _: u32, _: u64, _: &Rc<Vec<u8>>, _: gix_object::Kind) {}
        fn get(&mut self, _: u32, _: u64) -> Option<Object> {
            None
        }
        fn recycle(&mut self, _: Vec<u8>) {
            self.recycled += 1;
        }
    }

    /// A repository of 120 versions of a 30-file tree, each file one line
    /// longer each time, packed with long delta chains (by offset, or by
    /// object id with `ref_deltas`).
    fn deep_chains(ref_deltas: bool) -> (tempfile::TempDir, git2::Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let sig = git2::Signature::new("A", "a@example.org", &git2::Time::new(1, 0)).unwrap();
        let mut parent: Option<Oid> = None;
        let mut text = String::new();
        for version in 0..120 {
            text.push_str(&format!("line {version} of the file\n"));
            let mut tree = repo.treebuilder(None).unwrap();
            for file in 0..30 {
                let body = format!("{file}\n{text}");
                let blob = repo.blob(body.as_bytes()).unwrap();
                tree.insert(format!("f{file}.txt"), blob, 0o100644).unwrap();
            }
            let tree = repo.find_tree(tree.write().unwrap()).unwrap();
            let parents: Vec<git2::Commit<'_>> = parent
                .iter()
                .map(|p| repo.find_commit(*p).unwrap())
                .collect();
            let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
            parent = Some(
                repo.commit(Some("HEAD"), &sig, &sig, "edit", &tree, &refs)
                    .unwrap(),
            );
        }
        let offsets = format!("repack.useDeltaBaseOffset={}", !ref_deltas);
        crate::testing::git(
            dir.path(),
            &[
                "-c",
                &offsets,
                "repack",
                "-adfq",
                "--window=250",
                "--depth=50",
            ],
        );
        (dir, repo)
    }

    /// Each object of `pack`: its id, offset and entry header.
    fn entries(pack: &Pack) -> Vec<(Oid, u64, gix_pack::data::entry::Header)> {
        let index = &pack.index;
        (0..index.num_objects())
            .map(|i| {
                let id = Oid::from_bytes(index.oid_at_index(i).as_bytes()).unwrap();
                let at = index.pack_offset_at_index(i);
                (id, at, pack.data.entry(at).unwrap().header)
            })
            .collect()
    }

    /// Every object of a pack with long delta chains, made by offset or by
    /// object id, decodes to what libgit2 reads, with no cache, and with
    /// one that keeps none, one, two or many objects of each chain.
    #[test]
    fn decodes_every_object_of_deep_chains() {
        for ref_deltas in [false, true] {
            let (dir, repo) = deep_chains(ref_deltas);
            let (packs, _) = Packs::open(&dir.path().join(".git/objects"));
            let objects = entries(packs.iter().next().unwrap());
            let by_id = |h: &gix_pack::data::entry::Header| {
                matches!(h, gix_pack::data::entry::Header::RefDelta { .. })
            };
            assert_eq!(
                objects.iter().any(|(_, _, h)| by_id(h)),
                ref_deltas,
                "deltas made by object id"
            );
            let odb = repo.odb().unwrap();
            let mut reading = Reading::default();
            let mut deepest = 0;
            for keep in [0, 1, 2, 1000] {
                let mut cache = Keep::default();
                for &(id, _, _) in &objects {
                    let want = odb.read(id).unwrap();
                    let (data, kind) = packs.read(id, &mut reading, &mut cache, keep).unwrap();
                    assert_eq!(kind.to_string(), want.kind().str());
                    assert_eq!(data.as_slice(), want.data(), "{id} keeping {keep}");
                    let mut never = Never::default();
                    let (data, _) = packs.read(id, &mut reading, &mut never, keep).unwrap();
                    assert_eq!(data.as_slice(), want.data(), "{id} with no cache");
                    deepest = deepest.max(reading.chain.len());
                }
            }
            assert!(deepest >= 10, "chains as deep as {deepest}");
        }
    }

    /// A read keeps the object asked for and the objects made from deltas
    /// nearest it, as many as asked; the object it was made from is then
    /// read from the cache. Each buffer a read no longer needs comes back.
    #[test]
    fn a_read_keeps_the_objects_nearest_the_one_asked_for() {
        let (dir, _repo) = deep_chains(false);
        let (packs, _) = Packs::open(&dir.path().join(".git/objects"));
        let objects = entries(packs.iter().next().unwrap());
        let mut reading = Reading::default();
        // An object four or more deltas from the object its chain ends at.
        let (id, chain) = objects
            .iter()
            .find_map(|&(id, _, _)| {
                packs.read(id, &mut reading, &mut Never::default(), 0)?;
                let chain: Vec<u64> = reading.chain.iter().map(|(at, _)| *at).collect();
                (chain.len() >= 4).then_some((id, chain))
            })
            .expect("a deep chain");
        let mut never = Never::default();
        packs.read(id, &mut reading, &mut never, 2).unwrap();
        assert_eq!(
            never.recycled,
            chain.len(),
            "the whole base and each step but the last"
        );
        for keep in [1, 2, 3] {
            let mut cache = Keep::default();
            packs.read(id, &mut reading, &mut cache, keep).unwrap();
            let mut want: Vec<u64> = chain[..keep].to_vec();
            want.reverse();
            assert_eq!(cache.puts, want, "keeping {keep}");
            // What is kept is shared, not handed back.
            assert_eq!(cache.recycled, chain.len() - keep + 1);
        }
        let mut cache = Keep::default();
        packs.read(id, &mut reading, &mut cache, 2).unwrap();
        let base = objects.iter().find(|o| o.1 == chain[1]).unwrap().0;
        let (kept, _) = packs.read(base, &mut reading, &mut cache, 2).unwrap();
        assert!(reading.chain.is_empty(), "read from the cache");
        assert!(Rc::ptr_eq(&kept, &cache.objects[&(0, chain[1])].0));
    }

    /// A pack entry that says it is larger than any object read, a chain
    /// of deltas by object id that loops, and a delta by offset that names
    /// itself fail the read (libgit2 reads such objects then), and do not
    /// abort the process or loop.
    #[test]
    fn damaged_entries_fail_the_read() {
        use crate::pack::craft::{header, zlib};
        let id = |n: u8| [n; 20];
        let (tree, ofs_delta, ref_delta) = (2, 6, 7);
        // Base size 1, result size 1, copy one byte from offset 0.
        let delta = zlib(&[1, 1, 0x90, 1]);
        let entries: Vec<([u8; 20], Vec<u8>)> = vec![
            (id(1), [header(tree, 1 << 40), zlib(b"x")].concat()),
            (id(2), [header(tree, (1 << 63) + 5), zlib(b"x")].concat()),
            (
                id(3),
                [header(ref_delta, 4), id(4).to_vec(), delta.clone()].concat(),
            ),
            (
                id(4),
                [header(ref_delta, 4), id(3).to_vec(), delta.clone()].concat(),
            ),
            (id(5), [header(ofs_delta, 4), vec![0], delta].concat()),
        ];
        let (pack, idx) = crate::pack::craft::pack_and_index(&entries);
        let dir = tempfile::tempdir().unwrap();
        let packs_dir = dir.path().join("pack");
        std::fs::create_dir_all(&packs_dir).unwrap();
        std::fs::write(packs_dir.join("pack-damaged.pack"), pack).unwrap();
        std::fs::write(packs_dir.join("pack-damaged.idx"), idx).unwrap();
        let (packs, unopened) = Packs::open(dir.path());
        assert!(unopened.is_empty(), "{unopened:?}");
        let mut reading = Reading::default();
        for n in 1..=5 {
            let oid = Oid::from_bytes(&id(n)).unwrap();
            assert!(
                packs
                    .read(oid, &mut reading, &mut Never::default(), 2)
                    .is_none(),
                "object {n}"
            );
        }
        assert_eq!(reading.chain.len(), MAX_CHAIN, "the loop stopped");
    }
}
