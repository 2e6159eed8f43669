//! Every blob of a repository's packs, decoded once each in pack order.
//!
//! A pack stores most versions of a file as a delta against another
//! object, its base. Reading blobs one by one (libgit2, object-id or
//! history order) decodes each delta chain from its far end again and
//! again: on trufflehog's history that took 1.2 s of CPU for the blobs
//! alone. gitoxide's delta-tree traversal decodes each object exactly once,
//! a base before the deltas made from it, in parallel: every object of the
//! same pack in 0.47 s of CPU (measured, BENCHMARKS.md).
//!
//! Each blob comes with what its delta says about it: the spans of it
//! copied from its base, and the base's place in the pack, so a scan can
//! search only what the delta inserted and carry the base's findings over
//! the copied spans.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use git2::Oid;

/// A span of a delta's result copied from its base: `len` bytes at `to` in
/// the blob are the bytes at `from` in the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub to: usize,
    pub from: usize,
    pub len: usize,
}

/// A blob made from a base by a delta.
#[derive(Debug)]
pub struct Delta {
    /// The base's offset in the pack.
    pub base: u64,
    /// Its copy instructions, in the blob's order; the rest of the blob was
    /// inserted by the delta.
    pub copied: Vec<Copied>,
}

/// One decoded blob.
pub struct PackedBlob<'a> {
    pub oid: Oid,
    /// Its position in its pack's index (see [`Pack::position`]).
    pub at: u32,
    /// Where its entry starts in the pack: how its deltas name it.
    pub offset: u64,
    pub data: &'a [u8],
    /// `None` for a blob stored whole, or whose delta could not be read
    /// again (it is then scanned whole).
    pub delta: Option<Delta>,
}

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
/// same mappings (each mapping of a pack counts its pages in the process's
/// resident memory: with libgit2 reading trees through its own, cargo's
/// audit had 194 MiB of pack pages resident for a 100 MiB pack).
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
        for idx in object_dirs(objects).iter().flat_map(|d| indexes(d)) {
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

    pub fn iter(&self) -> impl Iterator<Item = &Pack> {
        self.packs.iter()
    }

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

/// A size read from the pack, if it is one to allocate: a damaged header
/// fails the read, not the allocation.
fn object_size(size: u64) -> Option<usize> {
    usize::try_from(size).ok().filter(|&s| s <= ALLOC_LIMIT)
}

/// Inflates `entry`'s data into `out` (at most [`ALLOC_LIMIT`] bytes).
fn inflate(
    data: &gix_pack::data::File,
    entry: &gix_pack::data::Entry,
    inflate: &mut gix_zlib::Inflate,
    out: &mut Vec<u8>,
) -> Option<()> {
    let size = object_size(entry.decompressed_size)?;
    out.clear();
    out.resize(size, 0);
    data.decompress_entry(entry, inflate, out).ok()?;
    Some(())
}

/// How deep alternates may borrow from alternates (git's own limit).
const ALTERNATE_DEPTH: usize = 5;

/// `objects` and the object directories its alternates name, each once,
/// alternates of alternates included (to git's depth). A line of
/// `info/alternates` is a directory, absolute or relative to the object
/// directory that names it; `#` starts a comment.
fn object_dirs(objects: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut next = vec![(objects.to_path_buf(), 0)];
    while let Some((dir, depth)) = next.pop() {
        let key = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if !seen.insert(key) {
            continue;
        }
        if depth < ALTERNATE_DEPTH {
            let listed = std::fs::read_to_string(dir.join("info/alternates")).unwrap_or_default();
            let alternates: Vec<(PathBuf, usize)> = listed
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| (dir.join(l), depth + 1))
                .collect();
            // Popped in file order: packs are searched in the order opened.
            next.extend(alternates.into_iter().rev());
        }
        dirs.push(dir);
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

/// Per-thread buffers of a traversal; a clone for another thread starts
/// empty (zlib's state is not shared).
#[derive(Default)]
struct Scratch {
    inflate: gix_zlib::Inflate,
    delta: Vec<u8>,
}

impl Clone for Scratch {
    fn clone(&self) -> Scratch {
        Scratch::default()
    }
}

/// Decodes every blob of the pack indexed by `idx` on `threads` threads and
/// hands each to `visit`, a delta's base before it (`reserve` hears first
/// how many blobs there are). An error means the pack
/// could not be read to the end: some blobs were not visited.
///
/// Only blobs are decoded: the delta tree is built from the blob entries
/// alone (a blob's delta base is a blob), which on trufflehog's pack is a
/// third of its objects and of the memory a tree of all of them takes.
pub fn traverse(
    pack: &Pack,
    threads: usize,
    reserve: &dyn Fn(usize),
    visit: &(dyn Fn(PackedBlob<'_>) + Sync),
) -> Result<()> {
    let kind = gix_hash::Kind::Sha1;
    let (index, pack) = (&pack.index, &pack.data);
    let pack_path = pack.path().to_path_buf();
    let unreadable = |e: gix_error::Error| {
        anyhow::anyhow!("{e}").context(format!(
            "{}: cannot read the pack to its end",
            pack_path.display()
        ))
    };
    let blobs = blob_entries(index, pack).map_err(unreadable)?;
    reserve(blobs.len());
    let stop = AtomicBool::new(false);
    // Each entry of the tree carries its index position alone (the tree
    // holds its offset already).
    let tree = gix_pack::cache::delta::Tree::from_offsets_in_pack(
        &pack_path,
        blobs.into_iter(),
        &|&at| index.pack_offset_at_index(at),
        &|id| Ok(index.lookup(id).map(|i| index.pack_offset_at_index(i))),
        &mut gix_utils::progress::Discard,
        &stop,
        kind,
    )
    .map_err(unreadable)?;
    let pack_ref = pack;
    let mut scratch = Scratch::default();
    let inspect = move |&mut at: &mut u32,
                        _: &dyn gix_utils::progress::Progress,
                        object: gix_pack::cache::delta::traverse::Context<'_>| {
        let scratch = &mut scratch;
        if object.entry.header.as_kind() != Some(gix_object::Kind::Blob) {
            return Ok(());
        }
        let Ok(oid) = Oid::from_bytes(index.oid_at_index(at).as_bytes()) else {
            return Ok(());
        };
        let offset = index.pack_offset_at_index(at);
        let data = object.decompressed;
        let delta = delta_of(index, pack_ref, offset, data.len(), scratch);
        visit(PackedBlob {
            oid,
            at,
            offset,
            data,
            delta,
        });
        Ok(())
    };
    tree.traverse(
        |slice, pack: &gix_pack::data::File| pack.entry_slice(slice),
        pack,
        pack.pack_end() as u64,
        inspect,
        gix_pack::cache::delta::traverse::Options {
            object_progress: Box::new(gix_utils::progress::Discard),
            size_progress: &mut gix_utils::progress::Discard,
            thread_limit: Some(threads.max(1)),
            should_interrupt: &stop,
            object_hash: kind,
            alloc_limit_bytes: Some(ALLOC_LIMIT),
        },
    )
    .map_err(unreadable)?;
    Ok(())
}

/// The blob entries of a pack, their index positions by offset. An
/// entry's kind is in its header, or for a delta, its base's kind.
fn blob_entries(
    index: &gix_pack::index::File,
    pack: &gix_pack::data::File,
) -> Result<Vec<u32>, gix_error::Error> {
    use gix_pack::data::entry::Header;
    let mut entries: Vec<(u64, u32)> = (0..index.num_objects())
        .map(|i| (index.pack_offset_at_index(i), i))
        .collect();
    entries.sort_unstable();
    let position = |offset: u64| entries.binary_search_by_key(&offset, |e| e.0).ok();
    // Per entry: a blob, not one, or a delta whose base is not settled yet
    // (a ref-delta can point forward, and deltas can be made on it): settled
    // once its base is.
    let mut blob: Vec<Option<bool>> = vec![None; entries.len()];
    let mut bases: Vec<Option<usize>> = vec![None; entries.len()];
    for (n, &(offset, _)) in entries.iter().enumerate() {
        let header = pack.entry(offset)?.header;
        let base = match header {
            Header::Blob => {
                blob[n] = Some(true);
                continue;
            }
            Header::OfsDelta { base_distance } => {
                offset.checked_sub(base_distance).and_then(position)
            }
            Header::RefDelta { base_id } => index
                .lookup(base_id)
                .map(|i| index.pack_offset_at_index(i))
                .and_then(position),
            _ => {
                blob[n] = Some(false);
                continue;
            }
        };
        match base {
            Some(b) if b < n && blob[b].is_some() => blob[n] = blob[b],
            // A missing base leaves the entry out (the traversal could
            // not resolve it); its blob, if it is one, is read one by one.
            None => blob[n] = Some(false),
            Some(b) => bases[n] = Some(b),
        }
    }
    // Forward bases, settled in as many rounds as the longest such chain.
    while bases.iter().any(Option::is_some) {
        let mut settled = false;
        for n in 0..entries.len() {
            if let Some(b) = bases[n] {
                if let Some(kind) = blob[b] {
                    blob[n] = Some(kind);
                    bases[n] = None;
                    settled = true;
                }
            }
        }
        if !settled {
            break;
        }
    }
    // The first entry stays whatever it is: the tree is built by reading
    // the pack from its first entry on (the traversal skips it if it is not
    // a blob). Should it be a delta (git writes a whole object first), its
    // base would be missing from the tree: every entry is kept then.
    let first_is_delta = match entries.first() {
        Some(&(offset, _)) => pack.entry(offset)?.header.is_delta(),
        None => false,
    };
    Ok(entries
        .into_iter()
        .zip(blob)
        .enumerate()
        .filter(|(n, (_, b))| first_is_delta || *n == 0 || *b == Some(true))
        .map(|(_, ((_, at), _))| at)
        .collect())
}

/// The delta the entry at `offset` was made with, read again from the pack
/// (the traversal hands over only its result, `len` bytes); `None` for an
/// entry stored whole or a delta that cannot be read.
fn delta_of(
    index: &gix_pack::index::File,
    pack: &gix_pack::data::File,
    offset: u64,
    len: usize,
    scratch: &mut Scratch,
) -> Option<Delta> {
    use gix_pack::data::entry::Header;
    let entry = pack.entry(offset).ok()?;
    let base = match &entry.header {
        Header::OfsDelta { base_distance } => offset.checked_sub(*base_distance)?,
        Header::RefDelta { base_id } => index.pack_offset_at_index(index.lookup(base_id)?),
        _ => return None,
    };
    let size = usize::try_from(entry.decompressed_size).ok()?;
    // A delta's instructions take at most eight bytes per byte they make
    // (a copy of one byte), plus their header: a larger size is a damaged
    // entry header, and the blob is scanned whole.
    if size > len.saturating_mul(8).saturating_add(64) {
        return None;
    }
    scratch.delta.clear();
    scratch.delta.resize(size, 0);
    pack.decompress_entry(&entry, &mut scratch.inflate, &mut scratch.delta)
        .ok()?;
    let copied = copies(&scratch.delta, len)?;
    Some(Delta { base, copied })
}

/// A git delta: `<base size> <result size>` (little-endian base-128), then
/// instructions. A byte with its high bit set copies from the base, with
/// the offset and size bytes its low seven bits select (no size bytes: 64
/// KiB); any other non-zero byte inserts that many literal bytes; a zero
/// byte is reserved.
struct DeltaOps<'a> {
    delta: &'a [u8],
    at: usize,
}

/// One instruction of a delta.
enum Op {
    /// `len` bytes from `from` in the base.
    Copy { from: usize, len: usize },
    /// These literal bytes.
    Insert(std::ops::Range<usize>),
}

impl<'a> DeltaOps<'a> {
    /// The base and result sizes of `delta`, and its instructions.
    fn of(delta: &'a [u8]) -> Option<(u64, u64, DeltaOps<'a>)> {
        let mut ops = DeltaOps { delta, at: 0 };
        let base = ops.varint()?;
        let result = ops.varint()?;
        Some((base, result, ops))
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = *self.delta.get(self.at)?;
            self.at += 1;
            value |= u64::from(byte & 0x7f).checked_shl(shift)?;
            shift += 7;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
    }
}

impl Iterator for DeltaOps<'_> {
    /// `Err` when the delta is malformed: nothing follows.
    type Item = Result<Op, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let op = *self.delta.get(self.at)?;
        self.at += 1;
        let parsed = if op & 0x80 != 0 {
            let (delta, at) = (self.delta, &mut self.at);
            let mut field = |bits: std::ops::Range<u8>| -> Option<usize> {
                let mut value = 0usize;
                for (i, bit) in bits.enumerate() {
                    if op & (1 << bit) != 0 {
                        value |= usize::from(*delta.get(*at)?) << (8 * i);
                        *at += 1;
                    }
                }
                Some(value)
            };
            field(0..4).zip(field(4..7)).map(|(from, size)| Op::Copy {
                from,
                len: if size == 0 { 0x10000 } else { size },
            })
        } else if op != 0 {
            let end = self.at + usize::from(op);
            (end <= self.delta.len()).then(|| {
                let literal = self.at..end;
                self.at = end;
                Op::Insert(literal)
            })
        } else {
            None
        };
        if parsed.is_none() {
            self.at = self.delta.len();
        }
        Some(parsed.ok_or(()))
    }
}

/// The copy instructions of a git delta (see [`DeltaOps`]). `None` when the
/// delta is malformed or does not make `len` bytes.
pub fn copies(delta: &[u8], len: usize) -> Option<Vec<Copied>> {
    let (_, result, ops) = DeltaOps::of(delta)?;
    if usize::try_from(result).ok()? != len {
        return None;
    }
    let mut out = Vec::new();
    let mut to = 0usize;
    for op in ops {
        match op.ok()? {
            Op::Copy { from, len } => {
                out.push(Copied { to, from, len });
                to = to.checked_add(len)?;
            }
            Op::Insert(literal) => to = to.checked_add(literal.len())?,
        }
    }
    (to == len).then_some(out)
}

/// Makes in `out` the object that `delta` makes from `base`. `None` when
/// the delta is malformed, is not for a base of that size, copies from
/// beyond it, or makes another size than it says (or one over
/// [`ALLOC_LIMIT`]).
fn apply(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let (base_size, size, ops) = DeltaOps::of(delta)?;
    let size = object_size(size)?;
    if u64::try_from(base.len()).ok()? != base_size {
        return None;
    }
    out.clear();
    out.reserve(size);
    for op in ops {
        let bytes = match op.ok()? {
            Op::Copy { from, len } => base.get(from..from.checked_add(len)?)?,
            Op::Insert(literal) => &delta[literal],
        };
        if out.len() + bytes.len() > size {
            return None;
        }
        out.extend_from_slice(bytes);
    }
    (out.len() == size).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size header of a delta: base size 65,536, then `result`.
    fn header(result: usize) -> Vec<u8> {
        let mut d = vec![0x80, 0x80, 0x04];
        let mut n = result;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                d.push(byte);
                return d;
            }
            d.push(byte | 0x80);
        }
    }

    /// A delta applied: the copies and inserts in order; a base of another
    /// size, a copy beyond the base, or a result of another size than the
    /// header says are refused.
    #[test]
    fn applies_a_delta_and_refuses_a_broken_one() {
        let base = b"0123456789";
        // Base size 10, result size 7: copy 3 bytes at 4, insert "ab",
        // copy 2 bytes at 0.
        let delta = [10, 7, 0x91, 4, 3, 2, b'a', b'b', 0x90, 2];
        let mut out = Vec::new();
        assert_eq!(apply(base, &delta, &mut out), Some(()));
        assert_eq!(out, b"456ab01");
        assert_eq!(apply(&base[..9], &delta, &mut out), None, "base size");
        let beyond = [10, 3, 0x91, 8, 3];
        assert_eq!(apply(base, &beyond, &mut out), None, "copy beyond the base");
        let short = [10, 8, 0x91, 4, 3, 2, b'a', b'b', 0x90, 2];
        assert_eq!(apply(base, &short, &mut out), None, "result size");
        let long = [10, 6, 0x91, 4, 3, 2, b'a', b'b', 0x90, 2];
        assert_eq!(apply(base, &long, &mut out), None, "result size");
        assert_eq!(apply(base, &[10, 1, 0], &mut out), None, "reserved");
    }

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
        // A pack entry's header: type and size, base-128, low bits first.
        fn header(kind: u8, mut size: u64) -> Vec<u8> {
            let mut first = (kind << 4) | (size & 0x0f) as u8;
            size >>= 4;
            let mut out = Vec::new();
            while size > 0 {
                out.push(first | 0x80);
                first = (size & 0x7f) as u8;
                size >>= 7;
            }
            out.push(first);
            out
        }
        // Zlib's framing around one stored block.
        fn zlib(data: &[u8]) -> Vec<u8> {
            let len = data.len() as u16;
            let mut out = vec![0x78, 0x01, 0x01];
            out.extend(len.to_le_bytes());
            out.extend((!len).to_le_bytes());
            out.extend(data);
            let (mut a, mut b) = (1u32, 0u32);
            for &byte in data {
                a = (a + u32::from(byte)) % 65521;
                b = (b + a) % 65521;
            }
            out.extend(((b << 16) | a).to_be_bytes());
            out
        }
        let id = |n: u8| [n; 20];
        let (tree, ofs_delta, ref_delta) = (2, 6, 7);
        // Base size 1, result size 1, copy one byte from offset 0.
        let delta = zlib(&[1, 1, 0x90, 1]);
        let mut entries: Vec<([u8; 20], Vec<u8>)> = vec![
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
        let mut pack = b"PACK".to_vec();
        pack.extend(2u32.to_be_bytes());
        pack.extend((entries.len() as u32).to_be_bytes());
        let mut offsets = Vec::new();
        for (oid, bytes) in &entries {
            offsets.push((*oid, pack.len() as u32));
            pack.extend(bytes);
        }
        pack.extend([0; 20]);
        entries.sort();
        offsets.sort();
        let mut idx = vec![0xff, b't', b'O', b'c'];
        idx.extend(2u32.to_be_bytes());
        for byte in 0..=255u8 {
            let count = offsets.iter().filter(|(o, _)| o[0] <= byte).count();
            idx.extend((count as u32).to_be_bytes());
        }
        for (oid, _) in &offsets {
            idx.extend(oid);
        }
        idx.extend(std::iter::repeat_n(0, 4 * offsets.len()));
        for (_, at) in &offsets {
            idx.extend(at.to_be_bytes());
        }
        idx.extend([0; 40]);
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

    /// A delta written by hand: a copy with one offset byte and one size
    /// byte, an insert, and a copy whose size field is absent (64 KiB).
    #[test]
    fn reads_copy_and_insert_instructions() {
        let result = 3 + 2 + 0x10000;
        let mut d = header(result);
        // Copy: offset byte 0 (bit 0) is 5, size byte 0 (bit 4) is 3.
        d.extend([0x91, 5, 3]);
        // Insert two bytes.
        d.extend([2, b'h', b'i']);
        // Copy with no offset or size bytes: offset 0, 64 KiB.
        d.push(0x80);
        let copy = |to, from, len| Copied { to, from, len };
        assert_eq!(
            copies(&d, result),
            Some(vec![copy(0, 5, 3), copy(5, 0, 0x10000)])
        );
        // The wrong length, a reserved instruction, a cut insert: refused.
        assert_eq!(copies(&d, result - 1), None);
        let mut reserved = d.clone();
        reserved.push(0);
        assert_eq!(copies(&reserved, result), None);
        let mut cut = header(result + 9);
        cut.extend_from_slice(&d[header(result).len()..]);
        cut.extend([9, b'x']);
        assert_eq!(copies(&cut, result + 9), None);
    }

    /// Alternates are followed, relative or absolute, each directory once
    /// (a cycle ends), comments and blank lines skipped, to git's depth.
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
        // b borrows back from a: a cycle.
        list(&b, format!("{}\n", a.display()));
        let found = object_dirs(&a);
        let names: Vec<PathBuf> = found.iter().map(|d| d.canonicalize().unwrap()).collect();
        let want: Vec<PathBuf> = [&a, &b, &c]
            .iter()
            .map(|d| d.canonicalize().unwrap())
            .collect();
        assert_eq!(names, want);

        // A chain longer than git's depth stops there.
        let chain: Vec<PathBuf> = (0..8).map(|i| dir(&format!("d{i}"))).collect();
        for pair in chain.windows(2) {
            list(&pair[0], format!("{}\n", pair[1].display()));
        }
        assert_eq!(object_dirs(&chain[0]).len(), ALTERNATE_DEPTH + 1);
        // No alternates: the directory alone.
        assert_eq!(object_dirs(&c), vec![c.clone()]);
    }
}
