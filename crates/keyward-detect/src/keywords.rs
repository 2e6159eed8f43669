//! The keyword search: every occurrence of every rule keyword in a span of
//! content, ASCII case-insensitive, overlapping occurrences included.
//!
//! For content scanned whole, the search is Aho-Corasick's DFA (from the
//! `aho-corasick` crate, walked here through its `Automaton` API), and the
//! span is read as four stretches in step: one DFA lookup depends on the
//! last, so a single walk waits on memory at every byte, and four
//! independent walks overlap those waits. Each stretch's walk starts
//! `longest` bytes before the stretch, which leaves it in the state a walk
//! from the span's start would be in (a state is the longest suffix read
//! that begins a keyword), and reports only what ends inside its stretch:
//! the hits are exactly the one walk's, in the same order (of where each
//! ends).
//!
//! Building that DFA over thousands of keywords takes milliseconds, longer
//! than a hook's or an editor's whole search: the keywords are also put in
//! a table by their first three bytes, built in microseconds and looked up
//! at each position. A few bytes are searched with the table alone; a scan
//! of content read whole builds its DFA on a thread of its own and uses the
//! table until the DFA is ready. Both find the same hits.

use std::array;
use std::sync::{Arc, OnceLock};

use aho_corasick::automaton::Automaton;
use aho_corasick::automaton::StateID;
use aho_corasick::{dfa, Anchored};
use aho_corasick::{MatchKind, PatternID};
use keyward_rules::Rule;

use crate::Volume;

/// Stretches read in step by a DFA walk.
const LANES: usize = 4;
/// Spans shorter than this are read in one walk: the lanes' lead-ins
/// would cost more than they save.
const LANES_FROM: usize = 256;

/// Keywords compiled for one kind of content, with the rules each triggers.
pub(crate) struct Keywords {
    /// Built at once, and searched until the DFA is ready (or always, for
    /// a few bytes).
    heads: Heads,
    /// For content read whole: built on a thread of its own, so a scan
    /// starts at once and switches to it when it is ready. The two find
    /// the same hits.
    dfa: Option<Arc<OnceLock<dfa::DFA>>>,
    /// For each keyword (pattern id), the rules it triggers.
    rules: Vec<Vec<usize>>,
    /// The longest keyword, in bytes.
    longest: usize,
}

fn build_dfa(words: &[String]) -> dfa::DFA {
    dfa::Builder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        // The walk below reads every byte; a prefilter would make start
        // states special, to no use.
        .prefilter(false)
        .build(words)
        .expect("keywords are plain literals, always buildable")
}

/// The keywords by their first three bytes (lowercased, hashed into
/// `HEAD_BUCKETS` buckets): at each position of the content, the keywords
/// of its bucket are compared with the bytes there.
struct Heads {
    words: Vec<Vec<u8>>,
    /// Bucket `b` holds `ids[starts[b]..starts[b + 1]]`.
    starts: Vec<u32>,
    ids: Vec<u32>,
    /// Keywords shorter than a head, compared at every position.
    short: Vec<u32>,
}

const HEAD: usize = 3;
const HEAD_BUCKETS: usize = 1 << 12;

fn bucket(head: &[u8]) -> usize {
    let v = head
        .iter()
        .fold(0u32, |v, &b| (v << 8) | u32::from(b.to_ascii_lowercase()));
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HEAD_BUCKETS.trailing_zeros())) as usize
}

impl Heads {
    fn new(words: &[String]) -> Heads {
        let mut counts = vec![0u32; HEAD_BUCKETS + 1];
        let mut short = Vec::new();
        for (id, w) in words.iter().enumerate() {
            match w.as_bytes().get(..HEAD) {
                Some(head) => counts[bucket(head) + 1] += 1,
                None => short.push(id as u32),
            }
        }
        for b in 1..counts.len() {
            counts[b] += counts[b - 1];
        }
        let starts = counts.clone();
        let mut ids = vec![0u32; starts[HEAD_BUCKETS] as usize];
        let mut next = counts;
        for (id, w) in words.iter().enumerate() {
            if let Some(head) = w.as_bytes().get(..HEAD) {
                let b = bucket(head);
                ids[next[b] as usize] = id as u32;
                next[b] += 1;
            }
        }
        Heads {
            words: words.iter().map(|w| w.as_bytes().to_vec()).collect(),
            starts,
            ids,
            short,
        }
    }

    /// Each keyword occurrence starting in `from..to` and ending by
    /// `limit`, in order of its start.
    fn each(
        &self,
        haystack: &[u8],
        (from, to): (usize, usize),
        limit: usize,
        mut hit: impl FnMut(usize, usize, usize),
    ) {
        let span = &haystack[..limit];
        let mut compare = |id: u32, at: usize| {
            let word = &self.words[id as usize];
            if span.len() - at >= word.len() && span[at..at + word.len()].eq_ignore_ascii_case(word)
            {
                hit(id as usize, at, at + word.len());
            }
        };
        for at in from..to {
            for &id in &self.short {
                compare(id, at);
            }
            if let Some(head) = span.get(at..at + HEAD) {
                let b = bucket(head);
                for &id in &self.ids[self.starts[b] as usize..self.starts[b + 1] as usize] {
                    compare(id, at);
                }
            }
        }
    }
}

impl Keywords {
    /// The keywords of the rules `keep` selects, each once.
    pub(crate) fn new(rules: &[Rule], volume: Volume, keep: impl Fn(&Rule) -> bool) -> Keywords {
        let mut words: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        // Each keyword once, its rules together (a map: there are thousands).
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (i, rule) in rules.iter().enumerate().filter(|(_, r)| keep(r)) {
            for k in &rule.keywords {
                let k = k.to_ascii_lowercase();
                match seen.get(&k) {
                    Some(&p) => keyword_rules[p].push(i),
                    None => {
                        seen.insert(k.clone(), words.len());
                        words.push(k);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        Keywords::from_words(words, keyword_rules, volume)
    }

    /// `words`: distinct lowercase keywords; `rules[i]`: the rules that
    /// `words[i]` triggers.
    fn from_words(words: Vec<String>, rules: Vec<Vec<usize>>, volume: Volume) -> Keywords {
        let dfa = (volume == Volume::Large).then(|| {
            let slot = Arc::new(OnceLock::new());
            let filled = Arc::clone(&slot);
            let owned = words.clone();
            let spawned = std::thread::Builder::new()
                .name("keyword-dfa".into())
                .spawn(move || {
                    let _ = filled.set(build_dfa(&owned));
                });
            if spawned.is_err() {
                // No thread to be had: the DFA is built here.
                let _ = slot.set(build_dfa(&words));
            }
            slot
        });
        Keywords {
            heads: Heads::new(&words),
            dfa,
            rules,
            longest: words.iter().map(String::len).max().unwrap_or(0),
        }
    }

    /// The longest keyword, in bytes.
    pub(crate) fn longest(&self) -> usize {
        self.longest
    }

    /// Waits until the DFA, if there is to be one, is ready.
    #[cfg(test)]
    fn wait_for_dfa(&self) {
        while self.dfa.as_ref().is_some_and(|d| d.get().is_none()) {
            std::thread::yield_now();
        }
    }

    /// Calls `hit(rules, start, end)` for each keyword occurrence inside
    /// `haystack[from..to]`, with the rules the keyword triggers: in order
    /// of its end for a DFA, of its start for the table (windows do not
    /// depend on the order). The search sees no byte outside the span.
    pub(crate) fn each(
        &self,
        haystack: &[u8],
        (from, to): (usize, usize),
        mut hit: impl FnMut(&[usize], usize, usize),
    ) {
        match self.dfa.as_ref().and_then(|d| d.get()) {
            None => {
                self.heads.each(haystack, (from, to), to, |id, start, end| {
                    hit(&self.rules[id], start, end)
                });
            }
            Some(dfa) => {
                let mut emit = |pattern: PatternID, end: usize| {
                    hit(
                        &self.rules[pattern.as_usize()],
                        end - dfa.pattern_len(pattern),
                        end,
                    );
                };
                if to - from < LANES_FROM {
                    walk::<1>(dfa, haystack, (from, to), self.longest, &mut emit);
                } else {
                    walk::<LANES>(dfa, haystack, (from, to), self.longest, &mut emit);
                }
            }
        }
    }

    /// Calls `hit(rules, start, end)` for each keyword occurrence that
    /// starts in `haystack[from..to]` and ends by `limit`.
    pub(crate) fn starting(
        &self,
        haystack: &[u8],
        (from, to): (usize, usize),
        limit: usize,
        mut hit: impl FnMut(&[usize], usize, usize),
    ) {
        self.heads
            .each(haystack, (from, to), limit, |id, start, end| {
                hit(&self.rules[id], start, end)
            });
    }
}

/// Reads `haystack[from..to]` as `N` stretches in step (see the module
/// comment) and calls `emit(keyword, end)` for each occurrence, in order
/// of its end.
fn walk<const N: usize>(
    dfa: &dfa::DFA,
    haystack: &[u8],
    (from, to): (usize, usize),
    longest: usize,
    emit: &mut impl FnMut(PatternID, usize),
) {
    let start = dfa
        .start_state(Anchored::No)
        .expect("a DFA built with the default start kind searches unanchored");
    let stretch = (to - from).div_ceil(N);
    let bound = |lane: usize| (from + lane * stretch).min(to);
    // Lane `l` reports what ends in (bound(l), bound(l + 1)]: the byte at
    // `bound(l)` or later completes it. It reads from `longest` bytes
    // before its stretch (no earlier than `from`).
    let first: [usize; N] = array::from_fn(bound);
    let mut at: [usize; N] = array::from_fn(|l| bound(l).saturating_sub(longest).max(from));
    let end: [usize; N] = array::from_fn(|l| bound(l + 1));
    let mut state = [start; N];
    let mut found: [Vec<(PatternID, usize)>; N] = array::from_fn(|_| Vec::new());
    let together = (0..N).map(|l| end[l] - at[l]).min().unwrap_or(0);
    for _ in 0..together {
        for lane in 0..N {
            step(
                dfa,
                haystack,
                at[lane],
                first[lane],
                &mut state[lane],
                &mut found[lane],
            );
            at[lane] += 1;
        }
    }
    for lane in 0..N {
        for pos in at[lane]..end[lane] {
            step(
                dfa,
                haystack,
                pos,
                first[lane],
                &mut state[lane],
                &mut found[lane],
            );
        }
    }
    for lane in found {
        for (pattern, end) in lane {
            emit(pattern, end);
        }
    }
}

/// One byte of a lane's walk: the byte at `pos` moves `state` on, and a
/// keyword it completes is recorded when `pos` lies in the lane's stretch.
#[inline(always)]
fn step(
    dfa: &dfa::DFA,
    haystack: &[u8],
    pos: usize,
    first: usize,
    state: &mut StateID,
    found: &mut Vec<(PatternID, usize)>,
) {
    let sid = dfa.next_state(Anchored::No, *state, haystack[pos]);
    *state = sid;
    if dfa.is_special(sid) && dfa.is_match(sid) && pos >= first {
        for i in 0..dfa.match_len(sid) {
            found.push((dfa.match_pattern(sid, i), pos + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, Input};
    use proptest::prelude::*;

    /// What Aho-Corasick's own overlapping search finds, in its order.
    fn reference(
        words: &[String],
        haystack: &[u8],
        span: (usize, usize),
    ) -> Vec<(usize, usize, usize)> {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(words)
            .expect("literals");
        let input = Input::new(haystack).span(span.0..span.1);
        automaton
            .find_overlapping_iter(input)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect()
    }

    /// The walk's hits, as pattern ids (each rule here is one keyword).
    fn walked(
        words: &[String],
        haystack: &[u8],
        span: (usize, usize),
        volume: Volume,
    ) -> Vec<(usize, usize, usize)> {
        let rules = (0..words.len()).map(|i| vec![i]).collect();
        let keywords = Keywords::from_words(words.to_vec(), rules, volume);
        keywords.wait_for_dfa();
        let mut out = Vec::new();
        keywords.each(haystack, span, |rules, start, end| {
            out.push((rules[0], start, end));
        });
        out
    }

    proptest! {
        #![proptest_config(crate::fuzz::config(500))]

        /// Over a small alphabet (keywords overlap and recur), with spans
        /// long enough for the lanes, the walk finds what Aho-Corasick's
        /// overlapping search finds, in the same order.
        #[test]
        fn walk_finds_what_one_search_finds(
            words in proptest::collection::vec("[abAB_]{1,6}", 1..12),
            haystack in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'A'), Just(b'_'), Just(b'\n')], 0..4000),
            cut in (0usize..4000, 0usize..4000),
        ) {
            let mut words: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
            words.sort();
            words.dedup();
            let len = haystack.len();
            let span = (cut.0.min(len).min(cut.1.min(len)), cut.0.min(len).max(cut.1.min(len)));
            let want = reference(&words, &haystack, span);
            prop_assert_eq!(&walked(&words, &haystack, span, Volume::Large), &want);
            let mut want = want;
            want.sort_unstable();
            let mut small = walked(&words, &haystack, span, Volume::Small);
            small.sort_unstable();
            prop_assert_eq!(&small, &want);
        }
    }
}
