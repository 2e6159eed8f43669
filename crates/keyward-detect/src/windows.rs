//! Where each triggered rule runs: windows around its keyword hits, found
//! in one Aho-Corasick pass (or, for a focused scan, only near the lines in
//! focus), merged so a rule runs once per stretch of content.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use keyward_rules::{Category, Rule};

use crate::keywords::Keywords;
use crate::Volume;

/// How far around a keyword hit a rule's match may lie. A single-line rule
/// looks from the start of the hit's line to the end of the next line (YAML
/// puts values on the next line); a multi-line rule (private-key blocks)
/// looks three lines back and 64 KiB ahead; a sink, three lines back. Lines are cut at `LONG_LINE`
/// bytes from the hit so minified files stay cheap.
pub(crate) const LONG_LINE: usize = 2048;
pub(crate) const MULTILINE_REACH: usize = 64 * 1024;
/// Lines before a sink's keyword where its call may open (the keyword is
/// the callee, or the name of an argument on a later line).
pub(crate) const SINK_LINES_BACK: usize = 4;
/// Other multi-line rules bound their reach (`provider[\s\S]{0,40}?token`).
pub(crate) const CONTEXT_REACH: usize = 4 * 1024;

/// The furthest a window with `reach` ends past its keyword hit's end:
/// the reach, then to the end of that line and of the next, each cut at
/// `LONG_LINE` bytes.
pub(crate) const fn window_past_hit(reach: usize) -> usize {
    reach + 2 * LONG_LINE + 1
}

/// The byte window around one keyword hit of `rule` in which its match
/// may lie (ending at most [`window_past_hit`] past the hit).
pub(crate) fn window(
    haystack: &[u8],
    rule: &Rule,
    hit_start: usize,
    hit_end: usize,
) -> (usize, usize) {
    let (back_lines, reach) = match (rule.multiline, rule.category) {
        (false, _) => (0, 0),
        // A sink's call opens at most a few lines before its keyword (the
        // callee, or an argument's name); its arguments are read from
        // there, past the window.
        (true, _) if rule.sink.is_some() => (SINK_LINES_BACK, 0),
        (true, Category::PrivateKey) => (3, MULTILINE_REACH),
        (true, _) => (3, CONTEXT_REACH),
    };
    let mut start = line_start(haystack, hit_start, hit_start.saturating_sub(LONG_LINE));
    for _ in 0..back_lines {
        if start == 0 {
            break;
        }
        start = line_start(haystack, start - 1, start.saturating_sub(1 + LONG_LINE));
    }
    let ahead = (hit_end + reach).min(haystack.len());
    let mut end = line_end(haystack, ahead, ahead + LONG_LINE);
    if end < haystack.len() {
        end = line_end(haystack, end + 1, end + 1 + LONG_LINE);
    }
    (start, end)
}

/// The windows of each triggered rule, merged as the keyword hits arrive, so
/// a file with a million hits holds a few windows, not a million hits.
pub(crate) struct RuleWindows<'a> {
    rules: &'a [Rule],
    haystack: &'a [u8],
    /// For each rule, its place in `lists` once triggered.
    slot: Vec<Option<u32>>,
    lists: Vec<(usize, Vec<(usize, usize)>)>,
}

impl<'a> RuleWindows<'a> {
    pub(crate) fn new(rules: &'a [Rule], haystack: &'a [u8]) -> RuleWindows<'a> {
        RuleWindows {
            rules,
            haystack,
            slot: vec![None; rules.len()],
            lists: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, rule: usize, hit_start: usize, hit_end: usize) {
        let (start, end) = window(self.haystack, &self.rules[rule], hit_start, hit_end);
        let slot = *self.slot[rule].get_or_insert_with(|| {
            self.lists.push((rule, Vec::new()));
            (self.lists.len() - 1) as u32
        });
        let list = &mut self.lists[slot as usize].1;
        match list.last_mut() {
            Some(last) if start <= last.1 && last.0 <= end => {
                *last = (last.0.min(start), last.1.max(end));
            }
            _ => list.push((start, end)),
        }
    }

    /// Each triggered rule with its windows, sorted and merged.
    pub(crate) fn finish(self) -> Vec<(usize, Vec<(usize, usize)>)> {
        let mut lists = self.lists;
        for (_, list) in &mut lists {
            *list = crate::spans::merge_spans(std::mem::take(list));
        }
        lists.sort_unstable_by_key(|(rule, _)| *rule);
        lists
    }
}

/// Where a keyword hit may lie for its rule's match to start inside a focus
/// span, by the reach of [`windows`]: a single-line rule's window starts at
/// the hit's line and ends with the next line, so the hit lies on a focus
/// line or the line before; a multi-line rule's window starts three lines
/// before the hit and reaches up to `CONTEXT_REACH` ahead, or for a private
/// key `MULTILINE_REACH`. Spans are sorted and merged.
pub(crate) struct Reach {
    pub(crate) focus: Vec<(usize, usize)>,
    pub(crate) single: Vec<(usize, usize)>,
    pub(crate) near: Vec<(usize, usize)>,
    pub(crate) far: Vec<(usize, usize)>,
    /// Where a sink's keyword may lie: within a call's arguments
    /// ([`crate::sink::MAX_ARGS`]) of the focus either way.
    pub(crate) sink: Vec<(usize, usize)>,
}

impl Reach {
    /// `longest`: the longest keyword, whose end a window is measured from.
    pub(crate) fn new(haystack: &[u8], focus: &[(usize, usize)], longest: usize) -> Reach {
        let ahead = |reach: usize| {
            merge(focus.iter().map(|&(start, end)| {
                let mut after = end;
                for _ in 0..3 {
                    if after < haystack.len() {
                        after = line_end(haystack, after + 1, after + 1 + LONG_LINE);
                    }
                }
                (
                    start.saturating_sub(window_past_hit(reach) + longest),
                    after,
                )
            }))
        };
        let single = merge(focus.iter().map(|&(start, end)| {
            let previous = line_start(
                haystack,
                start.saturating_sub(1),
                start.saturating_sub(1 + LONG_LINE + longest),
            );
            (previous, end)
        }));
        let reach = crate::sink::MAX_ARGS + longest;
        let sink = merge(focus.iter().map(|&(start, end)| {
            (
                start.saturating_sub(reach),
                (end + reach).min(haystack.len()),
            )
        }));
        Reach {
            focus: merge(focus.iter().copied()),
            single,
            near: ahead(CONTEXT_REACH),
            far: ahead(MULTILINE_REACH),
            sink,
        }
    }
}

/// The multi-line rules' keywords, searched for in a focused scan over
/// everything within their reach of the focus: often most of a file, so the
/// search runs at the speed of a few-literal search (over a GB/s on the
/// lowercased bytes), and an overlapping search of the few bytes at each hit
/// finds every keyword that starts there.
///
/// Keywords of three bytes or fewer are searched apart: one of them in the
/// set makes the fast search compare three-byte fingerprints, not four,
/// which lets through many more candidates (over trufflehog's source, the
/// set with `ovh`, `ld_` and `fb_` is searched at 560 MB/s, the set
/// without them at 1.4 GB/s and those three alone at 14 GB/s). Each search
/// finds its own keywords; a hit of both at once adds the same windows
/// twice, which merge.
pub(crate) struct MultiKeywords {
    fast: Vec<Fast>,
    overlapping: Keywords,
}

/// One set's fast search: Teddy, aho-corasick's packed SIMD searcher,
/// asked for by name. Left to choose, aho-corasick's builder picks a
/// rare-byte prefilter for some sets (one keyword more, `"apikey"`, made
/// it pick one whose bytes are everywhere in code: the search went from
/// 8% to 17% of a full-history audit's profile). For the short keywords,
/// without SIMD, or past Teddy's 128 patterns, the automaton with its own
/// prefilter.
enum Fast {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Fast {
    fn new(set: &[&String], packed: bool) -> Fast {
        let packed = packed
            .then(|| {
                aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    // Teddy takes up to 128 patterns; its builder refuses
                    // more than 64 unless told, and the automaton it would
                    // leave is twice as slow here.
                    .heuristic_pattern_limits(false)
                    .builder()
                    .extend(set)
                    .build()
            })
            .flatten();
        match packed {
            Some(searcher) => Fast::Packed(searcher),
            None => Fast::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(set)
                    .expect("keywords are plain literals, always buildable"),
            ),
        }
    }

    fn find_iter<'h>(
        &'h self,
        haystack: &'h [u8],
    ) -> Box<dyn Iterator<Item = aho_corasick::Match> + 'h> {
        match self {
            Fast::Packed(s) => Box::new(s.find_iter(haystack)),
            Fast::Automaton(a) => Box::new(a.find_iter(haystack)),
        }
    }
}

/// The shortest keyword the multi-line fast search takes in its main set.
const FAST_MIN_LEN: usize = 4;

impl MultiKeywords {
    pub(crate) fn new(rules: &[Rule]) -> MultiKeywords {
        // Sinks are searched apart (see `Detector::candidates`): their
        // keywords are common words, which would slow this search down.
        let block = |r: &Rule| r.multiline && r.sink.is_none();
        let overlapping = Keywords::new(rules, Volume::Small, block);
        let words: Vec<String> = rules
            .iter()
            .filter(|r| block(r))
            .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        let (long, short): (Vec<&String>, Vec<&String>) =
            words.iter().partition(|w| w.len() >= FAST_MIN_LEN);
        // The short keywords start with a few distinct bytes, which the
        // automaton's own prefilter finds with memchr, faster than Teddy.
        let fast = [(long, true), (short, false)]
            .into_iter()
            .filter(|(set, _)| !set.is_empty())
            .map(|(set, packed)| Fast::new(&set, packed))
            .collect();
        MultiKeywords { fast, overlapping }
    }

    /// Hits of multi-line rules' keywords within each rule's reach: the
    /// far spans for private keys, the near spans for the others.
    pub(crate) fn hits(
        &self,
        rules: &[Rule],
        haystack: &[u8],
        reach: &Reach,
        out: &mut RuleWindows<'_>,
    ) {
        let (Some(lo), Some(hi)) = (
            reach.near.iter().chain(&reach.far).map(|s| s.0).min(),
            reach.near.iter().chain(&reach.far).map(|s| s.1).max(),
        ) else {
            return;
        };
        let longest = self.overlapping.longest();
        let hi = (hi + longest).min(haystack.len());
        let within = |spans: &[(usize, usize)], at: usize| {
            let i = spans.partition_point(|&(_, e)| e + longest <= at);
            spans.get(i).is_some_and(|&(s, _)| s <= at)
        };
        // The bytes are lowercased a chunk at a time into a small buffer; a
        // keyword that starts in one chunk is searched with the bytes after
        // it, and found in that chunk only.
        LOWERED.with_borrow_mut(|lowered| {
            let mut chunk = lo;
            while chunk < hi {
                let starts = (chunk + LOWERED_CHUNK).min(hi);
                let stop = (starts + longest).min(hi);
                lowered.clear();
                lowered.extend(haystack[chunk..stop].iter().map(u8::to_ascii_lowercase));
                // Each search stops at its own first hit past the chunk.
                for fast in &self.fast {
                    for found in fast.find_iter(lowered.as_slice()) {
                        let at = chunk + found.start();
                        if at >= starts {
                            break;
                        }
                        // Every keyword that starts inside this one, too
                        // (the search goes on after it, and finds what
                        // starts later).
                        let inside = (at, chunk + found.end());
                        let limit = (inside.1 + longest).min(haystack.len());
                        self.overlapping.starting(
                            haystack,
                            inside,
                            limit,
                            |keyword_rules, start, end| {
                                for &r in keyword_rules {
                                    let spans = if rules[r].category == Category::PrivateKey {
                                        &reach.far
                                    } else {
                                        &reach.near
                                    };
                                    if within(spans, start) {
                                        out.add(r, start, end);
                                    }
                                }
                            },
                        );
                    }
                }
                chunk = starts;
            }
        });
    }
}

/// Bytes lowercased at a time for the multi-line keyword search.
pub(crate) const LOWERED_CHUNK: usize = 64 << 10;

thread_local! {
    /// A focused scan's lowercased bytes, reused from one file to the next.
    static LOWERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Adds a window for each keyword hit in `haystack[span]` whose rule
/// `keep` selects.
pub(crate) fn keyword_hits(
    keywords: &Keywords,
    haystack: &[u8],
    span: (usize, usize),
    keep: impl Fn(usize) -> bool,
    out: &mut RuleWindows<'_>,
) {
    keywords.each(haystack, span, |rules, start, end| {
        for &r in rules {
            if keep(r) {
                out.add(r, start, end);
            }
        }
    });
}

/// Sorted, overlapping spans merged into disjoint ones.
pub(crate) fn merge(spans: impl Iterator<Item = (usize, usize)>) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = spans.collect();
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 + 1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Start of the line holding `at`, but not before `floor`.
pub(crate) fn line_start(haystack: &[u8], at: usize, floor: usize) -> usize {
    memchr::memrchr(b'\n', &haystack[floor..at]).map_or(floor, |i| floor + i + 1)
}

/// End of the line holding `at` (the offset of its newline), but not past `cap`.
pub(crate) fn line_end(haystack: &[u8], at: usize, cap: usize) -> usize {
    let cap = cap.min(haystack.len());
    if at >= cap {
        return cap;
    }
    memchr::memchr(b'\n', &haystack[at..cap]).map_or(cap, |i| at + i)
}
