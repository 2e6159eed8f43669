//! Decoding every blob of one pack exactly once, a delta's base before
//! the deltas made from it, in parallel (gitoxide's delta-tree
//! traversal), each handed over with the spans its delta copied from its
//! base ([`traverse`]).
//!
//! Reading blobs one by one decodes each delta chain from its far end
//! again and again; the traversal decodes each object once. It hands blobs
//! over and never scans them: what is done with a blob is the caller's.

use std::sync::atomic::AtomicBool;

use anyhow::Result;
use git2::Oid;

use super::delta::copies;
use super::{Copied, Pack, ALLOC_LIMIT};

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

/// Decodes every blob of `pack` on `threads` threads and hands each to
/// `visit`, a delta's base before it (`reserve` hears first how many blobs
/// there are). An error means the pack could not be read to the end: some
/// blobs were not visited.
///
/// Only blobs are decoded: the delta tree is built from the blob entries
/// alone (a blob's delta base is a blob), a fraction of a pack's objects
/// and of the memory a tree of all of them takes.
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
    let (blobs, ends) = blob_entries(index, pack).map_err(|e| match e {
        Entries::Unreadable(e) => unreadable(e),
        Entries::Implausible(what) => anyhow::anyhow!("{what}").context(format!(
            "{}: cannot read the pack to its end",
            pack_path.display()
        )),
    })?;
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
    let ends = &ends;
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
        // The traversal inflates as many bytes as an entry's header says and
        // no more: a header that says fewer cut the blob short (a key after
        // the cut was missed), one that says more padded it with zeros (it
        // passed as binary). A whole blob's bytes are checked against the
        // Adler-32 its zlib stream ends with; one that differs is left to
        // the one-by-one reading, which names it.
        // (`level` 0: stored whole; a delta's entry here carries its base's
        // kind, not its own header.)
        if object.level == 0 && !ends_its_stream(pack_ref, ends, offset, data) {
            return Ok(());
        }
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
/// Where each entry of a pack ends: where the next begins (the entries
/// lie end to end), or the pack's data ends.
struct EntryEnds {
    /// Every entry's offset, in order.
    starts: Vec<u64>,
    pack_end: u64,
}

impl EntryEnds {
    fn after(&self, offset: u64) -> u64 {
        let next = self.starts.partition_point(|&s| s <= offset);
        self.starts.get(next).copied().unwrap_or(self.pack_end)
    }
}

/// Whether `data`, a whole object inflated from the entry at `offset`, is
/// what the entry's zlib stream holds: the stream's last four bytes are the
/// Adler-32 of all it inflates to.
fn ends_its_stream(
    pack: &gix_pack::data::File,
    ends: &EntryEnds,
    offset: u64,
    data: &[u8],
) -> bool {
    let end = ends.after(offset);
    let Some(trailer) = end
        .checked_sub(4)
        .and_then(|start| pack.entry_slice(start..end))
    else {
        return false;
    };
    trailer == zlib_rs::adler32::adler32(1, data).to_be_bytes()
}

/// Why a pack's blob entries could not be listed.
enum Entries {
    Unreadable(gix_error::Error),
    /// The first entry declares more than its data can hold: the traversal
    /// starts there, so the pack is read one object at a time instead.
    Implausible(String),
}

impl From<gix_error::Error> for Entries {
    fn from(e: gix_error::Error) -> Self {
        Entries::Unreadable(e)
    }
}

fn blob_entries(
    index: &gix_pack::index::File,
    pack: &gix_pack::data::File,
) -> Result<(Vec<u32>, EntryEnds), Entries> {
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
        let entry = pack.entry(offset)?;
        // An entry whose header declares more than its data can inflate to
        // is left out: gitoxide would allocate and fill what it declares
        // (a 1 GiB blob from a byte). Read one by one, it is refused.
        let next = entries
            .get(n + 1)
            .map_or(pack.pack_end() as u64, |&(o, _)| o);
        if !super::inflates_to(
            next.saturating_sub(entry.data_offset),
            entry.decompressed_size,
        ) {
            if n == 0 {
                return Err(Entries::Implausible(format!(
                    "the entry at offset {offset} declares {} bytes, more than its data holds",
                    entry.decompressed_size
                )));
            }
            blob[n] = Some(false);
            continue;
        }
        let header = entry.header;
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
    let ends = EntryEnds {
        starts: entries.iter().map(|e| e.0).collect(),
        pack_end: pack.pack_end() as u64,
    };
    let blobs = entries
        .into_iter()
        .zip(blob)
        .enumerate()
        .filter(|(n, (_, b))| first_is_delta || *n == 0 || *b == Some(true))
        .map(|(_, ((_, at), _))| at)
        .collect();
    Ok((blobs, ends))
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
