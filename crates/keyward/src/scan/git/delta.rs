//! Delta-aware detection: the matches of a blob stored as a delta, found by
//! searching only where the delta changed its base and carrying the
//! base's matches over what it copied whole.

use crate::detect::spans::touches;
use crate::detect::{Detector, Match};
use keyward_git::pack;

/// Every match a whole scan of `data` finds, for a blob a delta made from
/// a base whose matches are `base`. What the delta copied holds what the
/// base held there: a base match is carried over where its context (all
/// it depends on) was copied in one piece, onto lines not searched. The
/// rest is searched: the lines the delta inserted bytes into, where one
/// copy meets the next (a match across them is new), where part of a base
/// match was copied without the rest of its context (a match it hid in the
/// base may show), and Kubernetes manifests whose kind may have changed.
pub(super) fn delta_matches(
    detector: &Detector<'_>,
    data: &[u8],
    copied: &[pack::Copied],
    base: &[Match],
) -> Vec<Match> {
    let mut marks = Vec::with_capacity(copied.len() * 2 + 1);
    let mut at = 0;
    for c in copied {
        if c.to > at {
            marks.push((at, c.to));
        }
        marks.push((c.to, c.to + 1));
        at = c.to + c.len;
    }
    if at < data.len() {
        marks.push((at, data.len()));
    }
    let mut carried = Vec::new();
    for m in base {
        let end = m.end.max(m.start + 1);
        let (from, to) = (m.context.0.min(m.start), m.context.1.max(end));
        for c in copied {
            let (source, source_end) = (c.from, c.from + c.len);
            if source <= from && to <= source_end {
                let moved = |x: usize| x - source + c.to;
                carried.push(Match {
                    rule: m.rule,
                    start: moved(m.start),
                    end: moved(m.end),
                    context: (moved(m.context.0), moved(m.context.1)),
                });
            } else if source < end && m.start < source_end {
                let part = (m.start.max(source), end.min(source_end));
                marks.push((part.0 - source + c.to, part.1 - source + c.to));
            }
        }
    }
    let mut spans = whole_lines(data, marks);
    // A manifest whose kind changed is searched whole: whether its values
    // are Secret data (and generic matches on them noise) depends on it.
    let documents = crate::detect::decode::documents_whose_kind_changed(data, &spans);
    if !documents.is_empty() {
        spans.extend(documents);
        spans = whole_lines(data, spans);
    }
    let mut found = detector.detect_near(data, &spans);
    found.retain(|m| touches(&spans, m.context));
    // A carried match on a searched line is dropped: what decides it may
    // lie just outside its context (a word boundary, the end of its line),
    // and the search found it again if it still holds.
    carried.retain(|m| !touches(&spans, m.context));
    if carried.is_empty() {
        return found;
    }
    found.extend(carried);
    detector.resolve_overlaps(found)
}

/// The whole lines that `marks` (byte spans, not empty) touch, sorted and
/// merged.
pub(super) fn whole_lines(data: &[u8], mut marks: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    marks.sort_unstable();
    let mut lines: Vec<(usize, usize)> = Vec::new();
    for (start, end) in marks {
        if lines.last().is_some_and(|&(_, e)| end <= e) {
            continue;
        }
        let start = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
        let last = end - 1;
        let end = memchr::memchr(b'\n', &data[last..]).map_or(data.len(), |i| last + i + 1);
        match lines.last_mut() {
            Some(l) if start <= l.1 => l.1 = l.1.max(end),
            _ => lines.push((start, end)),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{parse_rule_file, RuleSet};

    const TOKEN_RULE: &str = "rules:\n  - id: demo-token\n    name: Demo\n    category: vcs\n    confidence: high\n    keywords: [dmo_]\n    pattern: '\\b(?P<secret>dmo_[A-Za-z0-9]{12})\\b'\n    min_entropy: 2.5\n";

    fn demo() -> RuleSet {
        RuleSet::from_rules(parse_rule_file("t.yaml", TOKEN_RULE).unwrap()).unwrap()
    }

    /// `n` characters from `alphabet`, the same for the same seed.
    fn random(alphabet: &[u8], n: usize, mut seed: u64) -> String {
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[(seed >> 33) as usize % alphabet.len()] as char
            })
            .collect()
    }

    fn copy(to: usize, from: usize, len: usize) -> pack::Copied {
        pack::Copied { to, from, len }
    }

    /// Each case's delta result against what a whole scan of it finds.
    fn same_as_whole(detector: &Detector<'_>, base: &str, copied: &[pack::Copied], data: &str) {
        let held = detector.detect(base.as_bytes());
        let by_delta = delta_matches(detector, data.as_bytes(), copied, &held);
        let whole = detector.detect(data.as_bytes());
        let span = |m: &Vec<Match>| -> Vec<(usize, usize, usize)> {
            m.iter().map(|m| (m.rule, m.start, m.end)).collect()
        };
        assert_eq!(span(&by_delta), span(&whole), "{data:?}");
    }

    /// A base's match whose context the delta copied whole is carried to
    /// its new place, though nothing near it was searched.
    #[test]
    fn copied_matches_are_carried() {
        let rules = demo();
        let detector = Detector::new(&rules);
        let token = format!("dmo_{}", random(b"abcdefghXYZ0123456789", 12, 1));
        let base = format!("x\n{token}\ny\n");
        let data = format!("new\n{base}");
        let copied = [copy(4, 0, base.len())];
        let held = detector.detect(base.as_bytes());
        assert_eq!(held.len(), 1);
        let found = delta_matches(&detector, data.as_bytes(), &copied, &held);
        assert_eq!(found.len(), 1);
        assert_eq!(&data[found[0].start..found[0].end], token);
        // Without the base's match it is not found: nothing near it was
        // searched.
        assert!(delta_matches(&detector, data.as_bytes(), &copied, &[]).is_empty());
        same_as_whole(&detector, &base, &copied, &data);
    }

    /// A token made by joining two copies from different places in the
    /// base, with nothing inserted, is found where the copies meet.
    #[test]
    fn a_match_across_two_copies_is_searched() {
        let rules = demo();
        let detector = Detector::new(&rules);
        let tail = random(b"abcdefghXYZ0123456789", 8, 2);
        let base = format!("A: dmo_Qw3r\nB: {tail}\n");
        assert!(detector.detect(base.as_bytes()).is_empty());
        let data = format!("dmo_Qw3r{tail}\n");
        let copied = [copy(0, 3, 8), copy(8, 15, tail.len() + 1)];
        let found = delta_matches(&detector, data.as_bytes(), &copied, &[]);
        assert_eq!(found.len(), 1, "{data:?}");
        same_as_whole(&detector, &base, &copied, &data);
    }

    /// A match its base's stronger match hid (a password under a `[pypi]`
    /// header is the pypirc rule's) shows once a delta replaced the header,
    /// though its own line was copied.
    #[test]
    fn a_hidden_match_shows_when_the_stronger_one_is_cut() {
        let rules = RuleSet::embedded().unwrap();
        let detector = Detector::new(&rules);
        let password = random(b"abcdefghijkLMNOPQRS0123456789#!", 20, 3);
        let body = format!("username = __token__\npassword = {password}\n");
        let base = format!("[pypi]\n{body}");
        let held = detector.detect(base.as_bytes());
        let id = |m: &Match| rules.rules()[m.rule].id.as_str();
        assert_eq!(held.iter().map(id).collect::<Vec<_>>(), ["pypirc-password"]);
        let data = format!("[other]\n{body}");
        let copied = [copy(8, 7, body.len())];
        let found = delta_matches(&detector, data.as_bytes(), &copied, &held);
        assert_eq!(
            found.iter().map(id).collect::<Vec<_>>(),
            ["generic-password"]
        );
        same_as_whole(&detector, &base, &copied, &data);
    }

    /// A carried match is checked again where its line changed: a token
    /// whose line gained a suffix is no longer the token (no word boundary
    /// after it), and what a whole scan finds there instead is found.
    #[test]
    fn a_carried_match_on_a_changed_line_is_checked_again() {
        let rules = RuleSet::embedded().unwrap();
        let detector = Detector::new(&rules);
        let random = random(b"abcdefghijkLMNOPQRS0123456789", 30, 4);
        let check = crate::rules::verify::base62_crc32(random.as_bytes());
        let token = format!("ghp_{random}{check}");
        let base = format!("x = 1\nTOKEN = \"{token}\"\ny = 2\n");
        let id = |m: &Match| rules.rules()[m.rule].id.as_str();
        let held = detector.detect(base.as_bytes());
        assert_eq!(
            held.iter().map(id).collect::<Vec<_>>(),
            ["github-pat-classic"]
        );
        // The delta copies up to the token's end and inserts the rest.
        let cut = base.find(&token).unwrap() + token.len();
        let data = format!("{}_REVOKED{}", &base[..cut], &base[cut..]);
        let copied = [copy(0, 0, cut), copy(cut + 8, cut, base.len() - cut)];
        let found = delta_matches(&detector, data.as_bytes(), &copied, &held);
        assert!(
            !found.iter().any(|m| id(m) == "github-pat-classic"),
            "{found:?}"
        );
        same_as_whole(&detector, &base, &copied, &data);
    }

    /// A manifest whose kind flips between ConfigMap and Secret is searched
    /// whole, either way the delta goes: generic matches on its values are
    /// noise in a Secret (its data is decoded instead) and findings in a
    /// ConfigMap.
    #[test]
    fn a_manifest_whose_kind_changed_is_searched_whole() {
        use base64::Engine;
        let rules = RuleSet::embedded().unwrap();
        let detector = Detector::new(&rules);
        // Plain words, encoded: a generic match on the encoded bytes in a
        // ConfigMap; in a Secret, decoded, nothing.
        let value = base64::engine::general_purpose::STANDARD
            .encode("just some plain words kept in this setting");
        let filler: String = (0..40).map(|n| format!("# note {n}\n")).collect();
        let manifest = |kind: &str| {
            format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: app\n{filler}data:\n  API_TOKEN: {value}\n")
        };
        let (config, secret) = (manifest("ConfigMap"), manifest("Secret"));
        assert!(!detector.detect(config.as_bytes()).is_empty());
        assert!(detector.detect(secret.as_bytes()).is_empty());
        // The kind line replaced, everything else copied.
        let at = config.find("kind: ").unwrap() + 6;
        let delta = |from: &str, to: &str| {
            let (old, new) = (from[at..].find('\n').unwrap(), to[at..].find('\n').unwrap());
            vec![
                copy(0, 0, at),
                copy(at + new, at + old, from.len() - at - old),
            ]
        };
        same_as_whole(&detector, &config, &delta(&config, &secret), &secret);
        same_as_whole(&detector, &secret, &delta(&secret, &config), &config);
    }

    /// Marks become the whole lines they touch, merged.
    #[test]
    fn marks_become_whole_lines() {
        let data = b"ab\ncd\nef\ngh";
        assert_eq!(whole_lines(data, vec![(4, 5), (0, 1)]), vec![(0, 6)]);
        assert_eq!(whole_lines(data, vec![(9, 11)]), vec![(9, 11)]);
        assert_eq!(
            whole_lines(data, vec![(2, 3), (6, 7)]),
            vec![(0, 3), (6, 9)]
        );
    }
}
