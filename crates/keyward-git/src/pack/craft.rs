//! Packs written by hand, for tests of damaged input: an entry's header,
//! zlib's framing of stored blocks, and a pack with its version-2 index
//! from raw entries. Built for the crate's tests and, with the `craft`
//! feature, for the integration tests; not part of scanning.

/// A pack entry's header: its type and size, base-128, low bits first.
pub fn header(kind: u8, mut size: u64) -> Vec<u8> {
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

/// `data` in zlib's framing of stored (uncompressed) blocks.
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend([1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = chunk.len() as u16;
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend(((b << 16) | a).to_be_bytes());
    out
}

/// A pack of `entries` (each an object id and its entry's raw bytes, in
/// pack order; the trailer's hash is zeros) and the index of their offsets.
pub fn pack_and_index(entries: &[([u8; 20], Vec<u8>)]) -> (Vec<u8>, Vec<u8>) {
    let mut pack = b"PACK".to_vec();
    pack.extend(2u32.to_be_bytes());
    pack.extend((entries.len() as u32).to_be_bytes());
    let mut offsets = Vec::new();
    for (oid, bytes) in entries {
        offsets.push((*oid, pack.len() as u32));
        pack.extend(bytes);
    }
    pack.extend([0; 20]);
    (pack, index(&offsets))
}

/// A version-2 pack index of objects at 32-bit offsets (its checksums are
/// zeros: neither gitoxide nor libgit2 checks them on reading).
pub fn index(offsets: &[([u8; 20], u32)]) -> Vec<u8> {
    let mut offsets = offsets.to_vec();
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
    idx
}
