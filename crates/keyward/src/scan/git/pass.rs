//! The pack pass: every blob in the repository's packs decoded once, in
//! pack order, and scanned; what it learned of each blob noted in 4 bytes
//! (most are clean) until the walk says where each blob was first seen.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use git2::Oid;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::super::{findings_from, Setup};
use super::delta::delta_matches;
use super::lock;
use crate::cache::{BlobCache, CachedBlob};
use crate::content::{is_binary, Content, SkipReason};
use crate::detect::{Detector, Match};
use crate::finding::{Finding, Source};
use crate::progress::Observer;
use crate::rules::Rule;
use keyward_git::pack::{self, Pack, PackedBlob, Packs};
use keyward_git::BlobSite;

/// What the pack pass learned of one blob (kept small: most are clean).
pub(super) enum Packed {
    /// Scanned, or read back from the cache (`cached`), and clean.
    Clean {
        bytes: u64,
        cached: bool,
    },
    Holds(Box<Holding>),
    Skipped(Box<SkipReason>),
}

/// A blob with matches: its size, where it was read from, every match a
/// whole scan finds in it, and their findings (with no path or commit yet:
/// the walk says where the blob was first seen) and inline allows.
pub(super) struct Holding {
    pub(super) bytes: u64,
    pub(super) cached: bool,
    pub(super) matches: Arc<Vec<Match>>,
    pub(super) findings: Vec<Finding>,
    pub(super) allowed: u64,
}

/// What a scanned blob lends the deltas made from it.
#[derive(Clone)]
pub(super) enum Lends {
    /// It was clean: a delta is searched only where it changed the blob.
    Clean,
    /// It was not scanned (binary, too large): a delta is searched whole.
    Unscanned,
    /// Its matches, carried over where a delta copied them whole.
    Matches(Arc<Vec<Match>>),
}

impl Packed {
    /// What the blob lends the deltas made from it.
    fn lends(&self) -> Lends {
        match self {
            Packed::Clean { .. } => Lends::Clean,
            Packed::Holds(h) => Lends::Matches(h.matches.clone()),
            Packed::Skipped(_) => Lends::Unscanned,
        }
    }
}

/// What the pack pass learned of each blob it scanned, by pack and by the
/// blob's position in that pack's index. Most blobs are clean: each takes
/// a 4-byte [`Note`], and only the few with matches or not scanned are
/// kept aside in full.
pub(super) struct Learned {
    /// Per pack (in [`Packs`] order), per index position: a [`Note`].
    notes: Vec<Vec<AtomicU32>>,
    /// The blobs noted [`Noted::Aside`], by pack and position.
    aside: Mutex<FxHashMap<(usize, u32), Packed>>,
}

/// What was learned of one blob, as a [`Note`] says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Noted {
    /// Not reached as a blob: a tree, a commit, a blob the traversal did
    /// not reach, or one scanned in another pack.
    Unseen,
    /// What was learned is kept aside in full.
    Aside,
    /// Clean in the cache: not read.
    CachedClean,
    /// Scanned and clean, `bytes` long.
    Clean { bytes: u32 },
}

/// A [`Noted`] in 4 bytes: 0 unseen, 1 aside, 2 cached and clean, and a
/// clean blob's size plus 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Note(u32);

impl Note {
    const UNSEEN: Note = Note(0);
    const ASIDE: Note = Note(1);
    const CACHED_CLEAN: Note = Note(2);
    const CLEAN_BASE: u32 = 3;

    /// The note of a clean blob of `bytes`; `None` when the size does not
    /// fit (the blob is kept aside instead).
    fn clean(bytes: u64) -> Option<Note> {
        u32::try_from(bytes)
            .ok()
            .and_then(|b| b.checked_add(Note::CLEAN_BASE))
            .map(Note)
    }

    fn read(self) -> Noted {
        match self.0 {
            0 => Noted::Unseen,
            1 => Noted::Aside,
            2 => Noted::CachedClean,
            n => Noted::Clean {
                bytes: n - Note::CLEAN_BASE,
            },
        }
    }
}

impl Learned {
    pub(super) fn new(packs: &Packs) -> Self {
        Learned {
            notes: packs
                .iter()
                .map(|p| {
                    (0..p.objects())
                        .map(|_| AtomicU32::new(Note::UNSEEN.0))
                        .collect()
                })
                .collect(),
            aside: Mutex::default(),
        }
    }

    /// Notes what was learned of the blob at position `at` of pack `pack`.
    fn note(&self, pack: usize, at: u32, packed: Packed) {
        let note = match packed {
            Packed::Clean { cached: true, .. } => Some(Note::CACHED_CLEAN),
            Packed::Clean { bytes, .. } => Note::clean(bytes),
            _ => None,
        };
        let note = note.unwrap_or_else(|| {
            lock(&self.aside).insert((pack, at), packed);
            Note::ASIDE
        });
        self.notes[pack][at as usize].store(note.0, Ordering::Relaxed);
    }

    /// Where blob `oid` was noted: its pack and position, and the note.
    fn find(&self, packs: &[(usize, &Pack)], oid: Oid) -> Option<(usize, u32, Noted)> {
        packs.iter().find_map(|&(which, pack)| {
            let at = pack.position(oid)?;
            let note = Note(self.notes[which][at as usize].load(Ordering::Relaxed)).read();
            (note != Noted::Unseen).then_some((which, at, note))
        })
    }

    /// What blob `oid` lends its deltas, if it was scanned in one of
    /// `packs` (traversed before); `None` if it was not.
    fn lends(&self, packs: &[(usize, &Pack)], oid: Oid) -> Option<Lends> {
        let (which, at, note) = self.find(packs, oid)?;
        Some(match note {
            Noted::Aside => lock(&self.aside)
                .get(&(which, at))
                .map_or(Lends::Clean, Packed::lends),
            _ => Lends::Clean,
        })
    }

    /// What was learned of each of `blobs` (the walk's), by its index: a
    /// note, and what was kept aside. The packs can be closed then.
    pub(super) fn of(self, packs: &Packs, blobs: &[BlobSite]) -> Seen {
        let all: Vec<(usize, &Pack)> = packs.iter().enumerate().collect();
        let found: Vec<Option<(usize, u32, Noted)>> = blobs
            .par_iter()
            .map(|site| self.find(&all, site.oid))
            .collect();
        drop(self.notes);
        let mut aside = self
            .aside
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut kept = FxHashMap::default();
        let notes = found
            .into_iter()
            .enumerate()
            .map(|(i, found)| match found {
                None => Noted::Unseen,
                Some((which, at, Noted::Aside)) => {
                    if let Some(packed) = aside.remove(&(which, at)) {
                        kept.insert(i, packed);
                    }
                    Noted::Aside
                }
                Some((_, _, note)) => note,
            })
            .collect();
        Seen { notes, aside: kept }
    }
}

/// What the pack pass learned of each of the walk's blobs, by its index in
/// [`History::blobs`].
pub(super) struct Seen {
    notes: Vec<Noted>,
    aside: FxHashMap<usize, Packed>,
}

impl Seen {
    /// What was learned of blob `index`: `None` when the pass did not scan it.
    pub(super) fn get(&self, index: usize) -> Option<Found<'_>> {
        match self.notes[index] {
            Noted::Unseen => None,
            Noted::Aside => self.aside.get(&index).map(Found::Aside),
            Noted::CachedClean => Some(Found::Clean {
                bytes: 0,
                cached: true,
            }),
            Noted::Clean { bytes } => Some(Found::Clean {
                bytes: u64::from(bytes),
                cached: false,
            }),
        }
    }
}

/// What the pack pass learned of one of the walk's blobs.
pub(super) enum Found<'a> {
    Clean { bytes: u64, cached: bool },
    Aside(&'a Packed),
}

/// What each blob lends the deltas made from it, by its offset in its
/// pack. A blob that was clean is not listed.
pub(super) type Lent = Mutex<FxHashMap<u64, Lends>>;

/// The pack pass: every blob in the repository's packs decoded once, in
/// pack order, and scanned. A blob stored as a delta is searched only
/// where the delta inserted bytes or joined two copies, and inherits the
/// matches of its base that it copied whole with all they depend on.
pub(super) struct PackPass<'a, 'd> {
    pub(super) detector: &'a Detector<'d>,
    pub(super) setup: &'a Setup,
    pub(super) cache: Option<&'a BlobCache>,
    pub progress: &'a Observer,
    /// Blobs searched only where their delta changed them.
    pub(super) deltas: AtomicU64,
}

impl PackPass<'_, '_> {
    /// Runs over `packs` on `threads` threads: what it
    /// learned per blob, and a warning per pack it could not read to the
    /// end (the blobs it did not reach are read one by one afterwards).
    pub(super) fn run(&self, packs: &Packs, threads: usize) -> (Learned, Vec<String>) {
        let learned = Learned::new(packs);
        let mut warnings = Vec::new();
        // The smaller packs first, on the cores the walk leaves free; the
        // largest last, on every core: the walk usually ends during it, and
        // the system shares the cores until then. No thread waits on a
        // clock (docs/decisions/010).
        let mut order: Vec<(usize, &Pack)> = packs.iter().enumerate().collect();
        order.sort_by_key(|(_, p)| p.objects());
        let last = order.len().saturating_sub(1);
        for (i, &(which, pack)) in order.iter().enumerate() {
            let threads = if i == last {
                threads
            } else {
                threads.saturating_sub(1).max(1)
            };
            let lent = Lent::default();
            let reserve = |blobs: usize| self.progress.blobs_found(blobs as u64);
            let before = &order[..i];
            let visit = |blob: PackedBlob<'_>| {
                // A blob in two packs is scanned once.
                let known = learned.lends(before, blob.oid);
                let (packed, lends) = match known {
                    Some(lends) => (None, lends),
                    None => {
                        let packed = self.scan(&blob, &lent);
                        let lends = packed.lends();
                        (Some(packed), lends)
                    }
                };
                if !matches!(lends, Lends::Clean) {
                    lock(&lent).insert(blob.offset, lends);
                }
                self.progress.blob_done();
                if let Some(packed) = packed {
                    learned.note(which, blob.at, packed);
                }
            };
            if let Err(e) = pack::traverse(pack, threads, &reserve, &visit) {
                warnings.push(format!(
                    "{e:#}; the blobs in it not scanned yet were read one by one"
                ));
            }
        }
        (learned, warnings)
    }

    /// Scans one decoded blob; a delta's base was scanned before it.
    fn scan(&self, blob: &PackedBlob<'_>, lent: &Lent) -> Packed {
        let data = blob.data;
        let size = data.len() as u64;
        let limit = self.setup.max_file_size;
        if size > limit {
            return Packed::Skipped(Box::new(SkipReason::TooLarge { size, limit }));
        }
        if is_binary(data) {
            return Packed::Skipped(Box::new(SkipReason::Binary));
        }
        let rules = self.detector.rules();
        let cached = self.cache.and_then(|c| c.get(&blob.oid));
        let matches = match cached {
            Some(entry) => cached_matches(rules, entry, data.len()),
            None => {
                self.progress.bytes_searched(size);
                self.matches(blob, lent)
            }
        };
        let cached = cached.is_some();
        if matches.is_empty() {
            return Packed::Clean {
                bytes: size,
                cached,
            };
        }
        // Placed now, while the bytes are at hand; the path comes later.
        let content = Content {
            bytes: data,
            path: String::new(),
            source: Source::History,
            commit: None,
            added_lines: None,
        };
        let (findings, allowed) = findings_from(rules, &content, &matches, self.setup.allows);
        Packed::Holds(Box::new(Holding {
            bytes: size,
            cached,
            matches: Arc::new(matches),
            findings,
            allowed,
        }))
    }

    /// The matches of a blob not in the cache.
    fn matches(&self, blob: &PackedBlob<'_>, lent: &Lent) -> Vec<Match> {
        let data = blob.data;
        // The base's matches: none listed means it was scanned and clean.
        let base = blob
            .delta
            .as_ref()
            .and_then(|d| match lock(lent).get(&d.base) {
                None | Some(Lends::Clean) => Some((d, None)),
                Some(Lends::Matches(held)) => Some((d, Some(held.clone()))),
                Some(Lends::Unscanned) => None,
            });
        match base {
            Some((delta, held)) => {
                self.deltas.fetch_add(1, Ordering::Relaxed);
                delta_matches(
                    self.detector,
                    data,
                    &delta.copied,
                    held.as_deref().map_or(&[], Vec::as_slice),
                )
            }
            None => self.detector.detect(data),
        }
    }
}

/// A cache entry's matches, as matches of `rules` in a blob of `len` bytes
/// (one whose offsets do not fit, from a damaged cache, is dropped).
pub(super) fn cached_matches(rules: &[Rule], entry: &CachedBlob, len: usize) -> Vec<Match> {
    entry
        .matches
        .iter()
        .filter_map(|e| {
            let rule = rules.iter().position(|r| r.id == e.rule)?;
            let fits = e.start <= e.end
                && e.context.0 <= e.start
                && e.end <= e.context.1
                && e.context.1 <= len;
            fits.then_some(Match {
                rule,
                start: e.start,
                end: e.end,
                context: e.context,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::Repository;

    /// What the pack pass notes of a blob in 32 bits reads back as what it
    /// learned; what does not fit, or is not clean, is kept aside whole.
    #[test]
    fn the_pass_notes_read_back_per_blob() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let ids: Vec<Oid> = (0..6)
            .map(|i| repo.blob(format!("blob {i}\n").as_bytes()).unwrap())
            .collect();
        for (n, id) in ids.iter().enumerate() {
            repo.reference(&format!("refs/keep/{n}"), *id, true, "test")
                .unwrap();
        }
        crate::sources::testing::git(dir.path(), &["repack", "-a", "-d", "-q"]);
        let (packs, unopened) = Packs::open(&dir.path().join(".git/objects"));
        assert!(unopened.is_empty());
        let pack = packs.iter().next().unwrap();
        let learned = Learned::new(&packs);
        let clean = |bytes, cached| Packed::Clean { bytes, cached };
        let matches = Arc::new(vec![Match {
            rule: 0,
            start: 1,
            end: 4,
            context: (0, 5),
        }]);
        let holds = Packed::Holds(Box::new(Holding {
            bytes: 9,
            cached: false,
            matches: matches.clone(),
            findings: Vec::new(),
            allowed: 2,
        }));
        let learnt = [
            Some(clean(0, false)),
            Some(clean(12, false)),
            Some(clean(7, true)),
            Some(clean(5 << 30, false)),
            Some(holds),
            None,
        ];
        let all = [(0, pack)];
        for (id, packed) in ids.iter().zip(learnt) {
            if let Some(packed) = packed {
                learned.note(0, pack.position(*id).unwrap(), packed);
            }
        }
        assert!(matches!(learned.lends(&all, ids[1]), Some(Lends::Clean)));
        let Some(Lends::Matches(lent)) = learned.lends(&all, ids[4]) else {
            panic!("the blob with matches lends them");
        };
        assert!(Arc::ptr_eq(&lent, &matches));
        assert!(learned.lends(&all, ids[5]).is_none());
        assert!(learned.lends(&[], ids[1]).is_none(), "no pack before");
        let mut paths = keyward_git::paths::Paths::default();
        let path = paths.intern("a");
        let sites: Vec<BlobSite> = ids
            .iter()
            .map(|&oid| BlobSite {
                oid,
                path,
                commit: 0,
            })
            .collect();
        let seen = learned.of(&packs, &sites);
        let clean_of = |i: usize| match seen.get(i) {
            Some(Found::Clean { bytes, cached }) => Some((bytes, cached)),
            Some(Found::Aside(Packed::Clean { bytes, cached })) => Some((*bytes, *cached)),
            _ => None,
        };
        assert_eq!(clean_of(0), Some((0, false)));
        assert_eq!(clean_of(1), Some((12, false)));
        assert_eq!(
            clean_of(2),
            Some((0, true)),
            "a cached blob counts no bytes"
        );
        assert_eq!(clean_of(3), Some((5 << 30, false)));
        assert_eq!(seen.notes[3], Noted::Aside, "too large for a note");
        match seen.get(4) {
            Some(Found::Aside(Packed::Holds(h))) => assert_eq!((h.bytes, h.allowed), (9, 2)),
            _ => panic!("the blob with matches was kept aside"),
        }
        assert!(seen.get(5).is_none());
    }
}
