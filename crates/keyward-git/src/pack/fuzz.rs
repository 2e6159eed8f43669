//! Property tests of the pack readers over untrusted bytes: git's delta
//! format ([`apply`], [`copies`]) against a reference applier written from
//! git's description, and whole packs of arbitrary entry headers, sizes,
//! and delta chains by offset and by id (cycles included) read through
//! [`Packs::read`] and [`traverse`], against a model of what each object
//! must decode to.
//!
//! Long runs (a few hundred cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward-git fuzz_delta
//! PROPTEST_CASES=10000000 cargo test --release -p keyward-git fuzz_pack
//! ```

use std::collections::HashMap;
use std::rc::Rc;

use git2::Oid;
use proptest::prelude::*;

use super::delta::{apply, copies, Copied};
use super::{traverse, Decoded, Object, Packs, Reading, ALLOC_LIMIT};
use crate::fuzz::config;

/// A delta's varint as the reference reads it: `None` past the end or past
/// 64 bits of shift.
fn ref_varint(d: &[u8], at: &mut usize) -> Option<u64> {
    let (mut value, mut shift) = (0u64, 0u32);
    loop {
        let b = *d.get(*at)?;
        *at += 1;
        if shift >= 64 {
            return None;
        }
        value |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
}

/// Git's `patch_delta`, written again from its description: what `delta`
/// makes of `base`, or `None` where git refuses it (and over the
/// allocation limit, which keyward adds).
fn reference_apply(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    let mut at = 0;
    let base_size = ref_varint(delta, &mut at)?;
    let size = ref_varint(delta, &mut at)?;
    if base_size != base.len() as u64 || size > ALLOC_LIMIT as u64 {
        return None;
    }
    let size = size as usize;
    let mut out = Vec::new();
    while at < delta.len() {
        let cmd = delta[at];
        at += 1;
        if cmd & 0x80 != 0 {
            let (mut off, mut len) = (0usize, 0usize);
            for i in 0..7 {
                if cmd & (1 << i) != 0 {
                    let byte = usize::from(*delta.get(at)?);
                    at += 1;
                    if i < 4 {
                        off |= byte << (8 * i);
                    } else {
                        len |= byte << (8 * (i - 4));
                    }
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            if off + len > base.len() || len > size - out.len() {
                return None;
            }
            out.extend_from_slice(&base[off..off + len]);
        } else if cmd != 0 {
            let n = usize::from(cmd);
            if at + n > delta.len() || n > size - out.len() {
                return None;
            }
            out.extend_from_slice(&delta[at..at + n]);
            at += n;
        } else {
            return None;
        }
    }
    (out.len() == size).then_some(out)
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One instruction to write: a copy (`extra` sets the bits of zero offset
/// and size bytes too, as git may write them) or an insert.
#[derive(Debug, Clone)]
enum GenOp {
    Copy { off: usize, len: usize, extra: u8 },
    Insert(Vec<u8>),
    Reserved,
}

fn gen_op(base_len: usize) -> impl Strategy<Value = GenOp> {
    prop_oneof![
        6 => (0..base_len + 3, 0..base_len + 3, any::<u8>())
            .prop_map(|(off, len, extra)| GenOp::Copy { off, len, extra }),
        1 => (0..base_len + 3, Just(0x10000usize), any::<u8>())
            .prop_map(|(off, len, extra)| GenOp::Copy { off, len, extra }),
        6 => proptest::collection::vec(any::<u8>(), 1..20).prop_map(GenOp::Insert),
        1 => Just(GenOp::Reserved),
    ]
}

/// A delta written from `ops`, its header's sizes skewed by `skew` (0: as
/// the ops make them), its end cut by `cut` bytes.
fn write_delta(base_len: usize, ops: &[GenOp], skew: (i8, i8), cut: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let mut made = 0usize;
    for op in ops {
        match op {
            GenOp::Copy { off, len, extra } => {
                let size_field = if *len == 0x10000 { 0 } else { *len };
                let mut cmd = 0x80u8;
                let mut bytes = Vec::new();
                for i in 0..4 {
                    let b = (off >> (8 * i)) as u8;
                    if b != 0 || extra & (1 << i) != 0 {
                        cmd |= 1 << i;
                        bytes.push(b);
                    }
                }
                for i in 0..3 {
                    let b = (size_field >> (8 * i)) as u8;
                    if b != 0 || extra & (1 << (4 + i)) != 0 {
                        cmd |= 1 << (4 + i);
                        bytes.push(b);
                    }
                }
                body.push(cmd);
                body.extend(bytes);
                made += len;
            }
            GenOp::Insert(bytes) => {
                body.push(bytes.len() as u8);
                body.extend(bytes);
                made += bytes.len();
            }
            GenOp::Reserved => body.push(0),
        }
    }
    let mut delta = Vec::new();
    varint(
        (base_len as i64 + i64::from(skew.0)).max(0) as u64,
        &mut delta,
    );
    varint((made as i64 + i64::from(skew.1)).max(0) as u64, &mut delta);
    delta.extend(body);
    delta.truncate(delta.len().saturating_sub(cut));
    delta
}

fn skew() -> impl Strategy<Value = i8> {
    prop_oneof![8 => Just(0i8), 1 => -2i8..=2]
}

/// A base and a delta for it: mostly well formed, some damaged.
fn base_and_delta() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    proptest::collection::vec(any::<u8>(), 0..200).prop_flat_map(|base| {
        let len = base.len();
        let written = (
            proptest::collection::vec(gen_op(len), 0..12),
            (skew(), skew()),
            prop_oneof![6 => Just(0usize), 1 => 0usize..4],
        )
            .prop_map(move |(ops, skew, cut)| write_delta(len, &ops, skew, cut));
        let random = proptest::collection::vec(any::<u8>(), 0..64);
        (Just(base), prop_oneof![4 => written, 1 => random])
    })
}

/// `copies` read the same instructions: the spans it lists are copied
/// where the result says, and the rest of the result was inserted.
fn check_copies(base: &[u8], delta: &[u8], made: &[u8]) {
    let listed: Vec<Copied> = copies(delta, made.len()).expect("a delta that applies has copies");
    let mut to = 0;
    for c in &listed {
        assert!(c.to >= to, "copies in order: {listed:?}");
        assert_eq!(made[c.to..c.to + c.len], base[c.from..c.from + c.len]);
        to = c.to + c.len;
    }
    assert!(to <= made.len());
    assert!(copies(delta, made.len() + 1).is_none(), "another length");
}

proptest! {
    #![proptest_config(config(2000))]

    /// A delta applied agrees with the reference: the same bytes, or both
    /// refuse it; what it makes is the size its header says.
    #[test]
    fn fuzz_delta((base, delta) in base_and_delta()) {
        let mut out = vec![7u8; 3];
        let got = apply(&base, &delta, &mut out).map(|()| out);
        let want = reference_apply(&base, &delta);
        prop_assert_eq!(&got, &want);
        if let Some(made) = &got {
            let mut at = 0;
            ref_varint(&delta, &mut at);
            prop_assert_eq!(ref_varint(&delta, &mut at), Some(made.len() as u64));
            check_copies(&base, &delta, made);
        }
        // Never a panic on any length asked for.
        for len in [0, 1, base.len(), delta.len(), usize::MAX] {
            let _ = copies(&delta, len);
        }
    }
}

/// What an entry's delta names as its base.
#[derive(Debug, Clone)]
enum BaseRef {
    /// By offset: entry `j` (`j % (i + 1)`: at or before this one).
    Ofs(usize),
    /// By offset, a distance that may land anywhere.
    OfsRaw(u64),
    /// By id: entry `j` (`j % n`), before or after this one.
    Ref(usize),
    /// By an id no entry has.
    RefMissing,
}

/// An entry's size field against its content.
#[derive(Debug, Clone, Copy)]
enum Size {
    Exact,
    Skewed(i8),
    Huge(u64),
}

#[derive(Debug, Clone)]
enum Body {
    /// Stored whole: a type (1-4 are objects; 0 and 5 are not) and bytes.
    Whole(u8, Vec<u8>),
    /// A delta; when the base is known as the pack is written, the ops
    /// are written for it.
    Delta(BaseRef, Vec<GenOp>, (i8, i8)),
}

#[derive(Debug, Clone)]
struct EntrySpec {
    body: Body,
    size: Size,
    /// Whether the data is a valid zlib stream (else bytes zlib refuses).
    zlib: bool,
}

fn entry_spec() -> impl Strategy<Value = EntrySpec> {
    let whole = (
        prop_oneof![8 => 1u8..=4, 1 => Just(0u8), 1 => Just(5u8)],
        proptest::collection::vec(any::<u8>(), 0..48),
    )
        .prop_map(|(t, d)| Body::Whole(t, d));
    let base = prop_oneof![
        3 => any::<usize>().prop_map(BaseRef::Ofs),
        1 => (0u64..300).prop_map(BaseRef::OfsRaw),
        3 => any::<usize>().prop_map(BaseRef::Ref),
        1 => Just(BaseRef::RefMissing),
    ];
    let delta = (
        base,
        proptest::collection::vec(gen_op(40), 0..6),
        (skew(), skew()),
    )
        .prop_map(|(b, ops, s)| Body::Delta(b, ops, s));
    let size = prop_oneof![
        12 => Just(Size::Exact),
        2 => (-2i8..=2).prop_map(Size::Skewed),
        1 => prop_oneof![Just(1u64 << 40), Just((1u64 << 63) + 5), Just(ALLOC_LIMIT as u64 + 1)]
            .prop_map(Size::Huge),
    ];
    (
        prop_oneof![2 => whole, 3 => delta],
        size,
        prop_oneof![12 => Just(true), 1 => Just(false)],
    )
        .prop_map(|(body, size, zlib)| EntrySpec { body, size, zlib })
}

use super::craft::zlib;

use super::craft::header as entry_header;

/// A delta-by-offset's distance, as git writes it.
fn ofs_distance(mut d: u64) -> Vec<u8> {
    let mut out = vec![(d & 0x7f) as u8];
    d >>= 7;
    while d != 0 {
        d -= 1;
        out.push(0x80 | (d & 0x7f) as u8);
        d >>= 7;
    }
    out.reverse();
    out
}

fn entry_id(n: usize) -> [u8; 20] {
    let mut id = [(n as u8).wrapping_mul(37).wrapping_add(11); 20];
    id[19] = n as u8;
    id
}

const MISSING: [u8; 20] = [0xee; 20];

/// An entry as written: what the model needs of it.
struct Written {
    offset: u64,
    /// Whether its size field and data decode: the data inflates to the
    /// size the header says.
    decodes: bool,
    /// Whether its data inflates, to another size than its size field says.
    lies: bool,
    /// The object (whole) or the delta.
    payload: Vec<u8>,
    kind: u8,
    base: Option<Base>,
}

#[derive(Clone, Copy)]
enum Base {
    Entry(usize),
    /// Somewhere the model cannot tell.
    Unknown,
    /// A read that must fail (before the pack, or an id not in it).
    Fails,
}

/// What the model says entry `i` decodes to: `Some(Some(..))` an object,
/// `Some(None)` a failed read, `None` unknown.
#[allow(clippy::type_complexity)]
fn model(
    i: usize,
    written: &[Written],
    visiting: &mut Vec<usize>,
) -> Option<Option<(Vec<u8>, u8)>> {
    let w = written.get(i)?;
    if visiting.contains(&i) {
        return Some(None);
    }
    let Some(base) = w.base else {
        let whole = (w.decodes && (1..=4).contains(&w.kind)).then(|| (w.payload.clone(), w.kind));
        return Some(whole);
    };
    if !w.decodes {
        return Some(None);
    }
    let j = match base {
        Base::Entry(j) => j,
        Base::Unknown => return None,
        Base::Fails => return Some(None),
    };
    visiting.push(i);
    let made = model(j, written, visiting);
    visiting.pop();
    Some(made?.and_then(|(b, kind)| Some((reference_apply(&b, &w.payload)?, kind))))
}

/// Writes a pack of `specs` and its index in `dir`; returns each entry as
/// written.
fn write_pack(dir: &std::path::Path, specs: &[EntrySpec]) -> Vec<Written> {
    let n = specs.len();
    let mut pack = b"PACK".to_vec();
    pack.extend(2u32.to_be_bytes());
    pack.extend((n as u32).to_be_bytes());
    let mut written: Vec<Written> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let offset = pack.len() as u64;
        let (kind, base, prefix, payload) = match &spec.body {
            Body::Whole(kind, data) => (*kind, None, Vec::new(), data.clone()),
            Body::Delta(base_ref, ops, skews) => {
                let (kind, base, prefix) = match *base_ref {
                    BaseRef::Ofs(j) => {
                        let j = j % (i + 1);
                        (
                            6,
                            Base::Entry(j),
                            ofs_distance(offset - written.get(j).map_or(offset, |w| w.offset)),
                        )
                    }
                    BaseRef::OfsRaw(d) => {
                        let base = if d > offset {
                            Base::Fails
                        } else {
                            Base::Unknown
                        };
                        let base = match written.iter().position(|w| w.offset + d == offset) {
                            Some(j) => Base::Entry(j),
                            None if d == 0 => Base::Entry(i),
                            None => base,
                        };
                        (6, base, ofs_distance(d))
                    }
                    BaseRef::Ref(j) => (7, Base::Entry(j % n), entry_id(j % n).to_vec()),
                    BaseRef::RefMissing => (7, Base::Fails, MISSING.to_vec()),
                };
                // Ops written for the base when it is known by now.
                let base_len = match base {
                    Base::Entry(j) if j < i => model(j, &written, &mut Vec::new())
                        .flatten()
                        .map(|(b, _)| b.len()),
                    _ => None,
                };
                let delta = write_delta(base_len.unwrap_or(17), ops, *skews, 0);
                (kind, Some(base), prefix, delta)
            }
        };
        let declared = match spec.size {
            Size::Exact => payload.len() as u64,
            Size::Skewed(s) => (payload.len() as i64 + i64::from(s)).max(0) as u64,
            Size::Huge(h) => h,
        };
        let data = if spec.zlib {
            zlib(&payload)
        } else {
            vec![0, 0, 0, 0]
        };
        pack.extend(entry_header(kind, declared));
        pack.extend(prefix);
        pack.extend(data);
        written.push(Written {
            offset,
            decodes: spec.zlib && declared == payload.len() as u64,
            lies: spec.zlib && declared != payload.len() as u64,
            payload,
            kind,
            base,
        });
    }
    pack.extend([0; 20]);
    let offsets: Vec<([u8; 20], u32)> = written
        .iter()
        .enumerate()
        .map(|(i, w)| (entry_id(i), w.offset as u32))
        .collect();
    let idx = super::craft::index(&offsets);
    let packs_dir = dir.join("pack");
    std::fs::create_dir_all(&packs_dir).unwrap();
    std::fs::write(packs_dir.join("pack-fuzz.pack"), pack).unwrap();
    std::fs::write(packs_dir.join("pack-fuzz.idx"), idx).unwrap();
    written
}

/// A cache that keeps every object put.
#[derive(Default)]
struct Keep(HashMap<(u32, u64), Object>);

impl Decoded for Keep {
    fn put(&mut self, p: u32, at: u64, data: &Rc<Vec<u8>>, kind: gix_object::Kind) {
        self.0.insert((p, at), (data.clone(), kind));
    }
    fn get(&mut self, p: u32, at: u64) -> Option<Object> {
        self.0.get(&(p, at)).cloned()
    }
}

fn kind_number(kind: gix_object::Kind) -> u8 {
    match kind {
        gix_object::Kind::Commit => 1,
        gix_object::Kind::Tree => 2,
        gix_object::Kind::Blob => 3,
        gix_object::Kind::Tag => 4,
    }
}

/// Reads every entry of the pack in `dir` with no cache, then with one
/// kept across reads: the two agree, and where the model knows, both are
/// what it says. The traversal's blobs are what a read gives.
///
/// Where an entry's size field lies about its stream (`lying`), the
/// traversal hands over a blob the reads refuse: see
/// `traversal_refuses_an_entry_whose_stream_is_short`.
fn read_all(
    dir: &std::path::Path,
    written: Option<&[Written]>,
    n: usize,
) -> Result<(), TestCaseError> {
    let lying = written.is_none_or(|w| w.iter().any(|w| w.lies));
    let (packs, unopened) = Packs::open(dir);
    let Some(pack) = packs.iter().next() else {
        prop_assert!(written.is_none(), "{unopened:?}");
        return Ok(());
    };
    let mut reading = Reading::default();
    let mut cache = Keep::default();
    let mut read = Vec::new();
    for i in 0..n {
        let oid = Oid::from_bytes(&entry_id(i)).unwrap();
        let got = packs.read(oid, &mut reading, &mut Keep::default(), 0);
        let cached = packs.read(oid, &mut reading, &mut cache, 2);
        let plain = |o: &Option<Object>| o.as_ref().map(|(d, k)| (d.to_vec(), kind_number(*k)));
        let got = plain(&got);
        prop_assert_eq!(&got, &plain(&cached), "entry {} with a cache", i);
        if let Some((data, _)) = &got {
            prop_assert!(data.len() <= ALLOC_LIMIT);
        }
        if let Some(want) = written.and_then(|w| model(i, w, &mut Vec::new())) {
            prop_assert_eq!(&got, &want, "entry {}", i);
        }
        read.push(got);
    }
    let visited = std::sync::Mutex::new(Vec::new());
    let _ = traverse(pack, 1, &|_| {}, &|blob| {
        let copied_fit = blob
            .delta
            .as_ref()
            .is_none_or(|d| d.copied.iter().all(|c| c.to + c.len <= blob.data.len()));
        visited
            .lock()
            .unwrap()
            .push((blob.oid, blob.data.to_vec(), copied_fit));
    });
    for (oid, data, copied_fit) in visited.into_inner().unwrap() {
        prop_assert!(copied_fit, "{} copies beyond its data", oid);
        let i = (0..n)
            .find(|&i| entry_id(i) == oid.as_bytes())
            .expect("a listed id");
        if lying && read[i].is_none() {
            continue;
        }
        prop_assert_eq!(&read[i], &Some((data, 3)), "traversed blob {}", i);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(128))]

    /// Packs of arbitrary entries (stored whole, deltas by offset or id,
    /// chains that loop, sizes that lie, data that does not inflate), and
    /// the same packs with bytes flipped: every read ends, with what the
    /// model says where it knows, the same with a cache and without; the
    /// traversal agrees with the reads.
    #[test]
    fn fuzz_pack(
        specs in proptest::collection::vec(entry_spec(), 1..8),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let written = write_pack(dir.path(), &specs);
        read_all(dir.path(), Some(&written), specs.len())?;
        if !flips.is_empty() {
            let path = dir.path().join("pack/pack-fuzz.pack");
            let mut bytes = std::fs::read(&path).unwrap();
            let body = 12..bytes.len() - 20;
            for (at, x) in &flips {
                bytes[body.start + at.index(body.len())] ^= x;
            }
            std::fs::write(&path, bytes).unwrap();
            read_all(dir.path(), None, specs.len())?;
        }
    }
}

/// Found by `fuzz_pack`: a blob entry whose size field says one byte more
/// than its zlib stream holds is refused by a read, but gitoxide's delta
/// tree traversal (which `traverse` runs) hands it over with a zero byte
/// added (and one whose stream holds more, cut to the size field).
#[test]
fn traversal_refuses_an_entry_whose_stream_is_short() {
    let spec = EntrySpec {
        body: Body::Whole(3, b"key".to_vec()),
        size: Size::Skewed(1),
        zlib: true,
    };
    let dir = tempfile::tempdir().unwrap();
    write_pack(dir.path(), &[spec]);
    let (packs, _) = Packs::open(dir.path());
    let oid = Oid::from_bytes(&entry_id(0)).unwrap();
    let read = packs.read(oid, &mut Reading::default(), &mut Keep::default(), 0);
    assert!(read.is_none(), "a read refuses it");
    let visited = std::sync::Mutex::new(Vec::new());
    let _ = traverse(packs.iter().next().unwrap(), 1, &|_| {}, &|blob| {
        visited.lock().unwrap().push(blob.data.to_vec());
    });
    assert_eq!(visited.into_inner().unwrap(), Vec::<Vec<u8>>::new());
}
