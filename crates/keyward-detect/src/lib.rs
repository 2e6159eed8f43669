//! Detection is pure: bytes in, matches out. No paths, no git, no printing.
//!
//! One Aho-Corasick pass over the content with every rule's keywords (ASCII
//! case-insensitive) selects the rules to run; a rule whose keywords do not
//! occur never runs and its regex is never compiled. Each triggered rule's
//! regex then runs over the content, and every candidate passes the rule's
//! entropy gate, the shared placeholder classifier, the rule's allow patterns
//! and its verifier before it becomes a [`Match`].
//!
//! Base64 values that [`decode`] finds (Kubernetes Secret data, long inline
//! strings) are decoded and scanned the same way, once; their matches are
//! reported at the encoded value's span.

#![forbid(unsafe_code)]

pub mod check;
mod context;
pub mod decode;
mod files;
#[cfg(test)]
mod fuzz;
mod keywords;
mod pair;
mod sink;
pub mod spans;
mod windows;

use keyward_rules::placeholder;

pub use pair::{nearest_pair, pair_spans};

use std::sync::OnceLock;

use files::FileIndex;
use keywords::Keywords;
use windows::{keyword_hits, MultiKeywords, Reach, RuleWindows};

use keyward_rules::{Category, Rule, RuleSet};

/// One detected secret: which rule, and the byte span of the secret itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in the detector's rule set.
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    /// The bytes the match depends on, at least the secret: the rule's
    /// whole match (a key name, a `[pypi]` section header), or for a value
    /// in a Kubernetes Secret, its document. A scan of a file's changed
    /// lines counts a match whose context touches one.
    pub context: (usize, usize),
}

/// The tests a rule's window passes before its regex is compiled: it holds
/// the rule's secret run and its gate matches. Read once per rule, run
/// once per window.
fn cheap_tests(rule: &Rule) -> impl Fn(&[u8]) -> bool + '_ {
    let (run, gate) = (rule.secret_run(), rule.gate_regex());
    move |window| {
        run.is_none_or(|run| run.found_in(window)) && gate.is_none_or(|gate| gate.is_match(window))
    }
}

/// The compiled detector for one rule set.
pub struct Detector<'r> {
    rules: &'r [Rule],
    keywords: Keywords,
    /// The multi-line rules' keywords, for focused scans (built on first use).
    multi: OnceLock<MultiKeywords>,
    /// The sink rules' keywords alone, built for the first focused scan:
    /// `None` when the set has no sink.
    sinks: OnceLock<Option<Keywords>>,
    volume: Volume,
    /// The file rules by the file names and extensions they read.
    files: FileIndex,
}

/// How much content a detector is built for, which picks its keyword
/// search: a DFA searches several times faster than a table of keywords
/// by their first bytes, and takes milliseconds to build where the table
/// takes microseconds, which is what matters for a hook's few changed
/// lines or an editor's one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volume {
    Small,
    Large,
}

impl<'r> Detector<'r> {
    pub fn new(set: &'r RuleSet) -> Detector<'r> {
        Detector::for_volume(set, Volume::Large)
    }

    pub fn for_volume(set: &'r RuleSet, volume: Volume) -> Detector<'r> {
        let rules = set.rules();
        let keywords = Keywords::new(rules, volume, |_| true);
        Detector {
            rules,
            keywords,
            multi: OnceLock::new(),
            sinks: OnceLock::new(),
            volume,
            files: FileIndex::new(rules),
        }
    }

    /// Whether any file rule (`files:`) reads the file at `path`.
    pub fn reads_file(&self, path: &str) -> bool {
        !self.files.rules_for(self.rules, path).is_empty()
    }

    /// The matches of the file rules that read `path` (see
    /// [`Rule::reads_file`]), each run over the whole of `haystack`, except
    /// those overlapping one of `found` (what the other rules matched in
    /// it: a key a provider's rule names is reported once, under that
    /// rule). Sorted by position; empty when no file rule reads `path`.
    pub fn file_matches(&self, haystack: &[u8], path: &str, found: &[Match]) -> Vec<Match> {
        let readers = self.files.rules_for(self.rules, path);
        if readers.is_empty() {
            return Vec::new();
        }
        let whole = [(0, haystack.len())];
        let mut out = Vec::new();
        for r in readers {
            self.run_rule(r, &self.rules[r], haystack, &whole, &mut out);
        }
        let taken = spans::merge_spans(found.iter().map(|m| (m.start, m.end)).collect());
        let mut out = resolve_overlaps(self.rules, out);
        out.retain(|m| !overlaps_any(&taken, m.start, m.end));
        out
    }

    pub fn rules(&self) -> &'r [Rule] {
        self.rules
    }

    /// Every secret in `haystack`, sorted by position. A generic match whose
    /// span overlaps a specific rule's match is dropped: the specific rule
    /// says more about the same bytes.
    pub fn detect(&self, haystack: &[u8]) -> Vec<Match> {
        self.detect_focused(haystack, None)
    }

    /// Like [`Detector::detect`], for content of which only the byte spans
    /// `focus` (whole lines, sorted) are new: only keyword hits from which a
    /// match could start inside `focus` trigger their rule. A range scan
    /// reports only what starts on added lines, so the rules that the rest
    /// of a changed file would trigger need not be compiled or run.
    pub fn detect_near(&self, haystack: &[u8], focus: &[(usize, usize)]) -> Vec<Match> {
        if focus.is_empty() {
            return Vec::new();
        }
        let reach = Reach::new(haystack, focus, self.keywords.longest());
        self.detect_focused(haystack, Some(&reach))
    }

    /// Drops the matches that yield to an overlapping stronger one, as a
    /// scan does before it returns (for matches gathered from several).
    pub fn resolve_overlaps(&self, found: Vec<Match>) -> Vec<Match> {
        resolve_overlaps(self.rules, found)
    }

    fn detect_focused(&self, haystack: &[u8], reach: Option<&Reach>) -> Vec<Match> {
        let mut found = self.candidates(haystack, reach);
        let values = match reach {
            None => decode::decoded_values(haystack),
            Some(reach) => decode::decoded_values_near(haystack, &reach.focus),
        };
        // Generic matches on a Secret's encoded data are noise: the decoded
        // text says what it holds. One pass, each match looked up among the
        // data's spans (in content order, apart).
        let data: Vec<(usize, usize)> = values
            .iter()
            .filter(|v| v.is_secret_data)
            .map(|v| (v.start, v.end))
            .collect();
        if !data.is_empty() {
            let rules = self.rules;
            found.retain(|m| {
                rules[m.rule].category != Category::Generic || !overlaps_any(&data, m.start, m.end)
            });
        }
        for value in values {
            found.extend(
                self.candidates(&value.text, None)
                    .into_iter()
                    .map(|m| Match {
                        rule: m.rule,
                        start: value.start,
                        end: value.end,
                        context: value.context,
                    }),
            );
        }
        resolve_overlaps(self.rules, found)
    }

    /// The matches of every triggered rule, overlaps unresolved.
    fn candidates(&self, haystack: &[u8], reach: Option<&Reach>) -> Vec<Match> {
        let mut hits = RuleWindows::new(self.rules, haystack);
        match reach {
            None => keyword_hits(
                &self.keywords,
                haystack,
                (0, haystack.len()),
                |_| true,
                &mut hits,
            ),
            Some(reach) => {
                // Single-line rules' keywords are searched for only near the
                // focus; multi-line rules' keywords, as far out as each reaches.
                let len = haystack.len();
                let longest = self.keywords.longest();
                let spans = |spans: &[(usize, usize)]| {
                    spans
                        .iter()
                        .map(move |&(s, e)| (s, (e + longest).min(len)))
                        .collect::<Vec<_>>()
                };
                for span in spans(&reach.single) {
                    let single = |r: usize| !self.rules[r].multiline;
                    keyword_hits(&self.keywords, haystack, span, single, &mut hits);
                }
                // Sinks' keywords (a callee, an argument's name) lie in the
                // call, which ends within its reach of the focus; they are
                // searched with the one automaton, not as the few keywords
                // of multi-line blocks.
                let sinks = self.sinks.get_or_init(|| {
                    self.rules
                        .iter()
                        .any(|r| r.sink.is_some())
                        .then(|| Keywords::new(self.rules, self.volume, |r| r.sink.is_some()))
                });
                if let Some(sinks) = sinks {
                    for span in spans(&reach.sink) {
                        keyword_hits(sinks, haystack, span, |_| true, &mut hits);
                    }
                }
                self.multi
                    .get_or_init(|| MultiKeywords::new(self.rules))
                    .hits(self.rules, haystack, reach, &mut hits);
            }
        }
        let hits = hits.finish();
        if self.volume == Volume::Small {
            self.prepare_rules(haystack, &hits);
        }
        let mut found = Vec::new();
        for (rule, windows) in hits {
            self.run_rule(rule, &self.rules[rule], haystack, &windows, &mut found);
        }
        found
    }

    /// Prepares, on every core, the rules of `hits` met for the first time:
    /// reads each one's secret run and gate, and builds its regex when a
    /// window passes them (as [`Detector::run_rule`] would). A scan of a
    /// few files runs on one thread, and preparing the rules a source file
    /// triggers (the generic ones take milliseconds each) is most of its
    /// time. A rule prepared for an earlier file is left to `run_rule`, so
    /// that a hook's later files spawn no threads. A larger scan keeps
    /// every core busy already, and has most of its rules prepared once
    /// its first files are read.
    fn prepare_rules(&self, haystack: &[u8], hits: &[(usize, Vec<(usize, usize)>)]) {
        let mut cold: Vec<(&Rule, &[(usize, usize)])> = hits
            .iter()
            .map(|(r, windows)| (&self.rules[*r], windows.as_slice()))
            .filter(|(rule, _)| !rule.is_compiled() && (rule.sink.is_some() || !rule.is_gated()))
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(cold.len());
        if threads < 2 {
            return;
        }
        // The longest first, so that no thread is left with a long one at
        // the end. A gated rule (a named token) compiles only if its gate
        // passes, and its pattern is not written before: it goes last.
        cold.sort_by_key(|(rule, _)| {
            std::cmp::Reverse(match rule.gate {
                Some(_) => 0,
                None => rule.pattern().len(),
            })
        });
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            while let Some(&(rule, windows)) =
                cold.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
            {
                let needed = rule.sink.is_some() || {
                    let passes = cheap_tests(rule);
                    windows.iter().any(|&(s, e)| passes(&haystack[s..e]))
                };
                if needed {
                    rule.regex();
                }
            }
        };
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }

    /// Runs one rule's regex inside each window. The search sees the whole
    /// haystack before the window, so `^` and `\b` keep their meaning. The
    /// regex is compiled only once a window passes the rule's cheap tests
    /// (its secret's run, its gate): a full-history audit triggers most
    /// rules, and compiling a named token's pattern costs more than
    /// searching all its windows.
    fn run_rule(
        &self,
        index: usize,
        rule: &Rule,
        haystack: &[u8],
        windows: &[(usize, usize)],
        out: &mut Vec<Match>,
    ) {
        if let Some(sink) = &rule.sink {
            if let Some(regex) = rule.regex() {
                run_sink(index, rule, sink, regex, haystack, windows, out);
            }
            return;
        }
        let passes = cheap_tests(rule);
        let mut compiled = None;
        for &(start, end) in windows {
            if !passes(&haystack[start..end]) {
                continue;
            }
            let (regex, group, locs) = match &mut compiled {
                Some(compiled) => compiled,
                None => {
                    let Some(regex) = rule.regex() else {
                        return;
                    };
                    let Some(group) = regex.capture_names().position(|n| n == Some("secret"))
                    else {
                        return;
                    };
                    compiled.insert((regex, group, regex.capture_locations()))
                }
            };
            let (regex, group) = (*regex, *group);
            let hay = &haystack[..end];
            let mut at = start;
            while at <= hay.len() {
                let Some(whole) = regex.captures_read_at(locs, hay, at) else {
                    break;
                };
                at = if whole.end() > whole.start() {
                    whole.end()
                } else {
                    whole.end() + 1
                };
                let Some((s, e)) = locs.get(group) else {
                    continue;
                };
                if is_secret(rule, &haystack[s..e], &haystack[whole.start()..whole.end()])
                    && !(rule.category == Category::Generic && context::documents(haystack, s))
                {
                    out.push(Match {
                        rule: index,
                        start: s,
                        end: e,
                        context: (
                            past_breaks(haystack, whole.start().min(s), s),
                            whole.end().max(e),
                        ),
                    });
                }
            }
        }
    }
}

/// `from`, moved past the line breaks it starts on (up to `limit`): a
/// pattern that opens with a separator (`(?:^|[^a-z])`) takes the line
/// break before a line when the search starts earlier, and not when it
/// starts on the line, as a focused scan does; the context must be the
/// same either way.
fn past_breaks(haystack: &[u8], from: usize, limit: usize) -> usize {
    let breaks = haystack[from..limit]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    from + breaks
}

/// Runs a sink rule: each call its regex finds in a window (up to the `(`)
/// is a match when the argument the sink names is a literal that passes the
/// rule's filters. The arguments are read past the window's end.
fn run_sink(
    index: usize,
    rule: &Rule,
    sink: &keyward_rules::Sink,
    regex: &regex::bytes::Regex,
    haystack: &[u8],
    windows: &[(usize, usize)],
    out: &mut Vec<Match>,
) {
    for &(start, end) in windows {
        let hay = &haystack[..end];
        let mut at = start;
        while let Some(call) = regex.find_at(hay, at) {
            at = call.end().max(call.start() + 1);
            // A call in a comment documents an API; it uses nothing.
            if sink::is_in_comment(haystack, call.start()) {
                continue;
            }
            let Some(lit) = sink::literal_argument(haystack, call.end(), sink) else {
                continue;
            };
            if is_secret(
                rule,
                &haystack[lit.start..lit.end],
                &haystack[call.start()..lit.args_end],
            ) {
                out.push(Match {
                    rule: index,
                    start: lit.start,
                    end: lit.end,
                    // a constant given by name lies above the call
                    context: (call.start().min(lit.start), lit.args_end),
                });
            }
        }
    }
}

/// The entropy a hex value of 16 or more digits must reach under a generic
/// rule, whatever it asks of values in wider alphabets: hex carries 4 bits
/// a character at most, and a random 32-digit hex key has about 3.6 (one
/// in five under 3.5, a threshold set for base64 and alphanumeric values).
/// A provider's rule knows its alphabet and keeps its own threshold.
const HEX_MIN_ENTROPY: f64 = 3.0;

/// 16 or more hex digits in one case.
fn is_hex(value: &[u8]) -> bool {
    value.len() >= 16
        && (value
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            || value
                .iter()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)))
}

/// The filters every candidate passes: entropy, placeholders, allow
/// patterns, verifier (which may read the whole match `whole`).
fn is_secret(rule: &Rule, secret: &[u8], whole: &[u8]) -> bool {
    if secret.is_empty() {
        return false;
    }
    // A key the provider's own documentation publishes, or one it issues
    // to be public (a publishable key), under any rule.
    if std::str::from_utf8(secret).is_ok_and(placeholder::is_documented_example)
        || placeholder::is_public_by_design(secret)
    {
        return false;
    }
    if let Some(min) = rule.min_entropy {
        let min = if rule.category == Category::Generic && is_hex(secret) {
            min.min(HEX_MIN_ENTROPY)
        } else {
            min
        };
        if f64::from(entropy::shannon_entropy(secret)) < min {
            return false;
        }
    }
    if !rule.keep_placeholders && placeholder::is_placeholder(secret) {
        return false;
    }
    // People choose these values; documentation fills them with words.
    let human = matches!(
        rule.category,
        Category::Generic | Category::Database | Category::SigningKey | Category::Credentials
    );
    if human && !rule.keep_placeholders && placeholder::is_human_placeholder(secret) {
        return false;
    }
    if rule.category == Category::Generic && placeholder::is_identifier_like(secret) {
        return false;
    }
    if rule.allow().iter().any(|a| a.is_match(secret)) {
        return false;
    }
    if rule.allow_match().iter().any(|a| a.is_match(whole)) {
        return false;
    }
    rule.verify.is_none_or(|v| v.is_valid(secret, whole))
}

fn resolve_overlaps(rules: &[Rule], mut found: Vec<Match>) -> Vec<Match> {
    found.sort_by_key(|m| (m.start, m.end, m.rule));
    found.dedup_by_key(|m| (m.start, m.end, m.rule));
    // A match yields to an overlapping one that ranks higher: more confident,
    // or as confident and specific where it is generic, or as confident and
    // naming the provider's format where a sink only says how it is used.
    // Of two generic matches of the same span, the first rule's is kept.
    let rank = |m: &Match| {
        let r = &rules[m.rule];
        (
            r.confidence,
            r.category != Category::Generic,
            r.sink.is_none(),
        )
    };
    // Sorted by start, the matches overlapping one start before its end:
    // each overlapping pair is looked at once.
    let mut keep = vec![true; found.len()];
    for (i, m) in found.iter().enumerate() {
        for (j, o) in found.iter().enumerate().skip(i + 1) {
            if o.start >= m.end.max(m.start + 1) {
                break;
            }
            if !(o.start < m.end && m.start < o.end) {
                continue;
            }
            match rank(o).cmp(&rank(m)) {
                std::cmp::Ordering::Greater => keep[i] = false,
                std::cmp::Ordering::Less => keep[j] = false,
                // Two generic rules reading the same value (an `api_key =`
                // both name forms take) are one finding: the first rule's.
                std::cmp::Ordering::Equal
                    if (o.start, o.end) == (m.start, m.end)
                        && rules[m.rule].category == Category::Generic
                        && rules[o.rule].category == Category::Generic =>
                {
                    keep[j] = false;
                }
                std::cmp::Ordering::Equal => {}
            }
        }
    }
    let mut keep = keep.into_iter();
    found.retain(|_| keep.next().unwrap_or(true));
    found
}

/// Whether `start..end` overlaps one of `spans` (sorted by start, none
/// overlapping another).
fn overlaps_any(spans: &[(usize, usize)], start: usize, end: usize) -> bool {
    let first = spans.partition_point(|&(_, e)| e <= start);
    spans.get(first).is_some_and(|&(s, _)| s < end)
}

#[cfg(test)]
mod tests;
