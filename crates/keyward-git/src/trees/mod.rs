//! Git trees read raw: a tree object's entries iterated in place
//! ([`RawTree`], [`Entries`]; gix-object parses each entry and gives git's
//! entry order), and what two versions of a tree share at either end
//! ([`SharedEnds`]). Reading trees
//! from the object database is [`reader`]'s, and its cache of decoded
//! objects is [`cache`]'s.
//!
//! It parses bytes; it never reads objects itself or walks history. A
//! malformed entry is an error ([`Malformed`]), never a panic.

use std::rc::Rc;

use git2::Oid;

pub(crate) mod cache;
#[cfg(test)]
mod fuzz;
pub(crate) mod reader;

/// A tree object's raw bytes, whose entries are iterated in place with
/// gix-object's tree iterator (libgit2's parser allocates per entry). Kept
/// raw because the walk compares two versions' bytes (see [`SharedEnds`]).
#[derive(Clone)]
pub(crate) struct RawTree(pub(crate) Rc<Vec<u8>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Tree,
    Blob,
    /// A submodule's commit (gitlink).
    Commit,
}

/// Whether a tree's entries come strictly in git's order (which also rules
/// out a name listed twice), told one entry at a time.
#[derive(Default)]
pub(crate) struct InOrder<'a> {
    pub(crate) last: Option<RawEntry<'a>>,
    pub(crate) broken: bool,
}

impl<'a> InOrder<'a> {
    pub(crate) fn see(&mut self, entry: RawEntry<'a>) {
        self.broken |= self
            .last
            .is_some_and(|l| l.git_cmp(&entry) != std::cmp::Ordering::Less);
        self.last = Some(entry);
    }
}

/// One entry of a raw tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawEntry<'a> {
    mode: u32,
    pub(crate) name: &'a [u8],
    pub(crate) id: &'a [u8],
}

impl RawEntry<'_> {
    /// The entry's kind as libgit2 and git read it: any mode that is not a
    /// directory or a submodule is a file (git's fsck only warns about
    /// odd modes such as `644`, so such trees exist and must be scanned).
    pub(crate) fn kind(&self) -> EntryKind {
        match self.mode & 0o170000 {
            0o040000 => EntryKind::Tree,
            0o160000 => EntryKind::Commit,
            _ => EntryKind::Blob,
        }
    }

    pub(crate) fn git_cmp(&self, other: &RawEntry<'_>) -> std::cmp::Ordering {
        tree_order((self.kind(), self.name), (other.kind(), other.name))
    }
}

/// A malformed tree entry.
#[derive(Debug)]
pub(crate) struct Malformed;

impl RawTree {
    /// The kind and id of the entry called each of `names` (sorted), in
    /// one pass over the entries: looking names up one by one cost a pass
    /// each and made the lifecycle walk of a large directory quadratic.
    pub(crate) fn lookup(
        &self,
        names: &[&[u8]],
    ) -> Result<Vec<Option<(EntryKind, Oid)>>, Malformed> {
        let mut found = vec![None; names.len()];
        let mut left = names.len();
        for entry in self.entries() {
            if left == 0 {
                break;
            }
            let entry = entry?;
            if let Ok(i) = names.binary_search(&entry.name) {
                // A malformed tree can repeat a name: count each name once.
                if found[i].is_none() {
                    left -= 1;
                }
                let id = Oid::from_bytes(entry.id).map_err(|_| Malformed)?;
                found[i].get_or_insert((entry.kind(), id));
            }
        }
        Ok(found)
    }

    /// The entries in stored order; a malformed entry ends the iteration
    /// with an error.
    pub(crate) fn entries(&self) -> Entries<'_> {
        Entries::new(&self.0, 0)
    }
}

/// A raw tree's entries in stored order from an entry's start; a malformed
/// entry ends the iteration with an error.
pub(crate) struct Entries<'a> {
    data: &'a [u8],
    /// Where the next entry starts.
    pub(crate) at: usize,
}

impl<'a> Entries<'a> {
    pub(crate) fn new(data: &'a [u8], at: usize) -> Self {
        Entries { data, at }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<RawEntry<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.get(self.at..).filter(|r| !r.is_empty())?;
        match parse_entry(rest) {
            Ok((entry, tail)) => {
                self.at = self.data.len() - tail.len();
                Some(Ok(entry))
            }
            Err(m) => {
                self.at = self.data.len();
                Some(Err(m))
            }
        }
    }
}

/// What two versions of a tree share at either end.
pub(crate) struct SharedEnds<'a> {
    /// Where the entries the two open with end (the same offset in both).
    pub(crate) start: usize,
    /// The last of those entries.
    pub(crate) last_of_start: Option<RawEntry<'a>>,
    /// How many bytes after `start` the two end with.
    pub(crate) end: usize,
}

impl<'a> SharedEnds<'a> {
    pub(crate) fn of(new: &'a [u8], old: &[u8]) -> Self {
        let same = common_prefix(new, old);
        // An entry is shared when it ends within the bytes both open with;
        // a malformed one ends the shared start (the pass meets it).
        let mut entries = Entries::new(new, 0);
        let (mut start, mut last_of_start) = (0, None);
        while let Some(Ok(entry)) = entries.next() {
            if entries.at > same {
                break;
            }
            (start, last_of_start) = (entries.at, Some(entry));
        }
        SharedEnds {
            start,
            last_of_start,
            end: common_suffix(&new[start..], &old[start.min(old.len())..]),
        }
    }
}

/// How many bytes `a` and `b` open with alike, compared a block at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// How many bytes `a` and `b` end with alike.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + BLOCK <= n && a[n - i - BLOCK..n - i] == b[n - i - BLOCK..n - i] {
        i += BLOCK;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

/// The entry at the start of `data`, parsed by gix-object, and the bytes
/// after it. An empty name, which git's fsck rejects, is malformed here too.
fn parse_entry(data: &[u8]) -> Result<(RawEntry<'_>, &[u8]), Malformed> {
    let entry = gix_object::TreeRefIter::from_bytes(data, gix_hash::Kind::Sha1)
        .next()
        .ok_or(Malformed)?
        .map_err(|_| Malformed)?;
    let name: &[u8] = entry.filename;
    if name.is_empty() {
        return Err(Malformed);
    }
    let id = entry.oid.as_bytes();
    // The id is the entry's last field and borrows from `data`: the entry
    // ends where the id does.
    let end = id.as_ptr() as usize - data.as_ptr() as usize + id.len();
    // gitoxide folds some type bits (a mode of type 14, `140644`, reads as
    // a tree, where libgit2 reads a file) and takes an entry with no mode
    // digits, which libgit2 refuses: a mode it calls a tree, or zero, is
    // read again from its digits (the walk's hot path trusts the rest).
    let mut mode = u32::from(entry.mode.value());
    if mode == 0 || mode & 0o170000 == 0o040000 {
        mode = mode_digits(data)?;
    }
    Ok((RawEntry { mode, name, id }, &data[end..]))
}

/// The mode an entry at the start of `data` writes: one to seven octal
/// digits before a space, as libgit2 reads it.
fn mode_digits(data: &[u8]) -> Result<u32, Malformed> {
    let digits = &data[..memchr::memchr(b' ', data).ok_or(Malformed)?];
    if digits.is_empty() || digits.len() > 7 || !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
        return Err(Malformed);
    }
    Ok(digits.iter().fold(0u32, |m, d| m * 8 + u32::from(d - b'0')))
}

/// Git's tree order: names compared bytewise, a tree's name as if it ended
/// in `/`.
pub(crate) fn tree_order(a: (EntryKind, &[u8]), b: (EntryKind, &[u8])) -> std::cmp::Ordering {
    let ((ak, an), (bk, bn)) = (a, b);
    gix_object::tree::name_order(an, ak == EntryKind::Tree, bn, bk == EntryKind::Tree)
}

/// `name` under the directory `prefix` (`""` at the root), read lossily.
pub(crate) fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name repeated in a malformed tree does not hide the names after
    /// it (they would pass for deleted in the lifecycle walk).
    #[test]
    fn lookup_sees_past_a_repeated_name() {
        let mut bytes = Vec::new();
        for (name, id) in [("a", 1u8), ("b", 2), ("b", 3), ("c", 4)] {
            bytes.extend_from_slice(format!("100644 {name}\0").as_bytes());
            bytes.extend_from_slice(&[id; 20]);
        }
        let found = RawTree(Rc::new(bytes)).lookup(&[b"a", b"b", b"c"]).unwrap();
        let ids: Vec<Option<u8>> = found
            .iter()
            .map(|f| f.map(|(_, id)| id.as_bytes()[0]))
            .collect();
        assert_eq!(ids, vec![Some(1), Some(2), Some(4)]);
    }

    /// Malformed tree bytes end the iteration with an error, never a panic.
    #[test]
    fn malformed_raw_trees_are_errors() {
        let id = [7u8; 20];
        let mut good = b"100644 a\0".to_vec();
        good.extend_from_slice(&id);
        for bad in [
            b"100644 a".to_vec(),
            b"100644 a\0short".to_vec(),
            b"10x644 a\0".to_vec(),
            b" a\0".to_vec(),
            b"100644 \0".to_vec(),
            [good.clone(), b"garbage".to_vec()].concat(),
            [b"77777777 a\0".to_vec(), id.to_vec()].concat(),
        ] {
            let tree = RawTree(Rc::new(bad.clone()));
            let results: Vec<_> = tree.entries().collect();
            assert!(results.last().unwrap().is_err(), "{bad:?}");
        }
        let tree = RawTree(Rc::new(good));
        let ok: Vec<_> = tree.entries().collect();
        assert!(matches!(ok.as_slice(), [Ok(e)] if e.name == b"a" && e.id == id));
        // An odd mode of seven digits is read (git reads it too) as a file.
        let odd = RawTree(Rc::new([b"7777777 a\0".to_vec(), id.to_vec()].concat()));
        let read: Vec<_> = odd.entries().collect();
        assert!(matches!(read.as_slice(), [Ok(e)] if e.kind() == EntryKind::Blob));
    }

    /// The shared start and end are counted as a byte-by-byte count would.
    #[test]
    fn shared_ends_are_counted_block_by_block_and_byte_by_byte() {
        let naive_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let naive_suffix = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        let base: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
        for len in [0, 1, 63, 64, 65, 128, 200, 300] {
            let a = &base[..len];
            for at in [0, 1, 62, 63, 64, 65, 127, 128, 199, 299] {
                let mut b = a.to_vec();
                if let Some(byte) = b.get_mut(at) {
                    *byte ^= 0xff;
                }
                for b in [&b[..], &b[..b.len().saturating_sub(5)], &base[..]] {
                    assert_eq!(common_prefix(a, b), naive_prefix(a, b), "{len} {at}");
                    assert_eq!(common_suffix(a, b), naive_suffix(a, b), "{len} {at}");
                }
            }
        }
    }

    /// What two versions share starts and ends at whole entries.
    #[test]
    fn shared_ends_start_and_end_at_entries() {
        let entry = |name: &str, id: u8| {
            let mut e = format!("100644 {name}\0").into_bytes();
            e.extend([id; 20]);
            e
        };
        let tree = |entries: &[(&str, u8)]| -> Vec<u8> {
            entries.iter().flat_map(|&(n, id)| entry(n, id)).collect()
        };
        let old = tree(&[("a", 1), ("b", 2), ("c", 3), ("d", 4)]);
        // `b` changed: `a` is shared at the start, `c` and `d` at the end.
        let new = tree(&[("a", 1), ("b", 9), ("c", 3), ("d", 4)]);
        let shared = SharedEnds::of(&new, &old);
        assert_eq!(shared.start, entry("a", 1).len());
        assert_eq!(shared.last_of_start.map(|e| e.name), Some(&b"a"[..]));
        assert!(shared.end >= 2 * entry("c", 3).len());
        // An id that differs in its first byte ends the shared start at the
        // entry before it, though the name matched.
        let new = tree(&[("a", 1), ("b", 2), ("c", 7)]);
        let shared = SharedEnds::of(&new, &old);
        assert_eq!(shared.start, 2 * entry("a", 1).len());
        // A tree with no parent version shares nothing.
        let shared = SharedEnds::of(&new, &[]);
        assert_eq!((shared.start, shared.end), (0, 0));
        assert!(shared.last_of_start.is_none());
    }
}
