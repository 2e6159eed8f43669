//! Git's delta format: the copy and insert instructions that make an
//! object from its base ([`DeltaOps`]), the spans a delta copied
//! ([`copies`]), and applying a delta to its base.
//!
//! Pure functions of bytes: no pack, no repository. A malformed delta is
//! refused (`None`), never a panic.

use super::object_size;

/// A span of a delta's result copied from its base: `len` bytes at `to` in
/// the blob are the bytes at `from` in the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub to: usize,
    pub from: usize,
    pub len: usize,
}

/// A git delta: `<base size> <result size>` (little-endian base-128), then
/// instructions. A byte with its high bit set copies from the base, with
/// the offset and size bytes its low seven bits select (no size bytes: 64
/// KiB); any other non-zero byte inserts that many literal bytes; a zero
/// byte is reserved.
pub(super) struct DeltaOps<'a> {
    delta: &'a [u8],
    at: usize,
}

/// One instruction of a delta.
pub(super) enum Op {
    /// `len` bytes from `from` in the base.
    Copy { from: usize, len: usize },
    /// These literal bytes.
    Insert(std::ops::Range<usize>),
}

impl<'a> DeltaOps<'a> {
    /// The base and result sizes of `delta`, and its instructions.
    pub(super) fn of(delta: &'a [u8]) -> Option<(u64, u64, DeltaOps<'a>)> {
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
/// [`ALLOC_LIMIT`](super::ALLOC_LIMIT)).
pub(super) fn apply(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Option<()> {
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
}
