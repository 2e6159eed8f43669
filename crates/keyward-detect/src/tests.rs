//! The detector's unit tests.

use super::*;
use crate::windows::LOWERED_CHUNK;
use keyward_rules::parse_rule_file;

fn set(yaml: &str) -> RuleSet {
    RuleSet::from_rules(parse_rule_file("t.yaml", yaml).expect("test rules parse"))
        .expect("unique ids")
}

const TOKEN_RULE: &str = "rules:\n  - id: demo-token\n    name: Demo\n    category: vcs\n    confidence: high\n    keywords: [dmo_]\n    pattern: '\\b(?P<secret>dmo_[A-Za-z0-9]{12})\\b'\n    min_entropy: 2.5\n";

/// A rule whose keyword is absent never compiles its regex.
#[test]
fn untriggered_rules_stay_uncompiled() {
    let s = set(TOKEN_RULE);
    let d = Detector::new(&s);
    assert!(d.detect(b"nothing to see here").is_empty());
    assert!(!s.rules()[0].is_compiled());
}

/// A detector for a few files prepares the rules a file triggers on every
/// core before running them: it finds what one for many files finds, and
/// builds only the regexes a window that passes its rule's cheap tests
/// needs.
#[test]
fn preparing_rules_on_every_core_changes_no_match() {
    // Made here, so that this file holds no secret-looking assignment.
    let value = |parts: &[&str]| parts.concat();
    let text = format!(
        "SECRET_KEY = '{}'\ndb_password = \"{}\"\napi_token: {}\nMIXPANEL_TOKEN = 'not the shape'\n",
        value(&["q8Fz2LpW", "7vXkq8Fz", "2LpW7vXk"]),
        value(&["Hq7-wT", "2p!zR9"]),
        value(&["Zx81LmQ2Vb74", "Nc03Kd95Jf16Hg27"]),
    );
    let hay = text.as_bytes();
    let large = RuleSet::embedded_for_scan().unwrap();
    let small = RuleSet::embedded_for_scan().unwrap();
    let want = Detector::for_volume(&large, Volume::Large).detect(hay);
    assert!(want.len() >= 3, "{want:?}");
    let found = Detector::for_volume(&small, Volume::Small).detect(hay);
    assert_eq!(found, want);
    let compiled = |set: &RuleSet| -> Vec<String> {
        let mut ids: Vec<String> = set
            .rules()
            .iter()
            .filter(|r| r.is_compiled())
            .map(|r| r.id.clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(compiled(&small), compiled(&large));
    // A later file: the named token, prepared above and left uncompiled,
    // now passes its gate and compiles where it runs.
    let token = value(&["9f2c4e7a1b3d5f60", "8a7c6e5d4b3a2f1e"]);
    let later = format!("MIXPANEL_TOKEN = '{token}'\n");
    let want = Detector::for_volume(&large, Volume::Large).detect(later.as_bytes());
    assert_eq!(want.len(), 1, "{want:?}");
    let small_detector = Detector::for_volume(&small, Volume::Small);
    assert_eq!(small_detector.detect(later.as_bytes()), want);
    assert_eq!(compiled(&small), compiled(&large));
}

/// Keywords match case-insensitively and the span is the secret group.
#[test]
fn reports_secret_span() {
    let s = set(TOKEN_RULE);
    let d = Detector::new(&s);
    let hay = b"x = 'dmo_q8Fz2LpW7vXk'";
    let m = d.detect(hay);
    assert_eq!(m.len(), 1);
    assert_eq!(&hay[m[0].start..m[0].end], b"dmo_q8Fz2LpW7vXk");
}

/// A secret inside a base64 value is reported at the encoded span, and
/// a Secret's encoded data is not itself a generic finding.
#[test]
fn decoded_matches_point_at_the_encoded_value() {
    use base64::Engine;
    let generic = "  - id: demo-password\n    name: Demo\n    category: generic\n    confidence: medium\n    keywords: [password]\n    pattern: 'password: (?P<secret>\\S+)'\n";
    let s = set(&format!("{TOKEN_RULE}{generic}"));
    let d = Detector::new(&s);
    let enc =
        base64::engine::general_purpose::STANDARD.encode("value dmo_q8Fz2LpW7vXk and more text");
    let hay = format!("config: \"{enc}\"\n");
    let m = d.detect(hay.as_bytes());
    assert_eq!(m.len(), 1);
    assert_eq!(&hay.as_bytes()[m[0].start..m[0].end], enc.as_bytes());

    let pw = base64::engine::general_purpose::STANDARD.encode("changeme");
    let secret = format!("kind: Secret\ndata:\n  password: {pw}\n");
    assert_eq!(d.detect(secret.as_bytes()), vec![]);
}

/// Entropy and placeholder filters drop regular values.
#[test]
fn filters_low_entropy_and_placeholders() {
    let s = set(TOKEN_RULE);
    let d = Detector::new(&s);
    assert!(d.detect(b"dmo_aaaaaaaaaaaa").is_empty());
    assert!(d.detect(b"dmo_xxxxABCDxxxx").is_empty());
}

/// Overlaps resolve as the definition says (a match yields to any
/// overlapping one that ranks higher, and a generic match to an earlier
/// generic rule's of the same span and rank), on many random sets of
/// matches.
#[test]
fn overlaps_resolve_like_the_definition() {
    let yaml = "rules:\n  - id: a\n    name: A\n    category: generic\n    confidence: medium\n    keywords: [aaa]\n    pattern: 'a(?P<secret>b)'\n  - id: b\n    name: B\n    category: vcs\n    confidence: medium\n    keywords: [bbb]\n    pattern: 'a(?P<secret>b)'\n  - id: c\n    name: C\n    category: vcs\n    confidence: high\n    keywords: [ccc]\n    pattern: 'a(?P<secret>b)'\n  - id: d\n    name: D\n    category: generic\n    confidence: medium\n    keywords: [ddd]\n    pattern: 'a(?P<secret>b)'\n";
    let s = set(yaml);
    let rules = s.rules();
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n) as usize
    };
    for _ in 0..500 {
        let found: Vec<Match> = (0..next(12))
            .map(|_| {
                let start = next(40);
                let end = start + next(8);
                Match {
                    rule: next(4),
                    start,
                    end,
                    context: (start, end),
                }
            })
            .collect();
        let rank = |m: &Match| {
            let r = &rules[m.rule];
            (r.confidence, r.category != Category::Generic)
        };
        let mut expected: Vec<Match> = found.clone();
        expected.sort_by_key(|m| (m.start, m.end, m.rule));
        expected.dedup_by_key(|m| (m.start, m.end, m.rule));
        let all = expected.clone();
        let generic = |m: &Match| rules[m.rule].category == Category::Generic;
        expected.retain(|m| {
            !all.iter().any(|o| {
                o.start < m.end
                    && m.start < o.end
                    && (rank(o) > rank(m)
                        || ((o.start, o.end) == (m.start, m.end)
                            && generic(o)
                            && generic(m)
                            && rank(o) == rank(m)
                            && o.rule < m.rule))
            })
        });
        assert_eq!(
            resolve_overlaps(rules, found.clone()),
            expected,
            "{found:?}"
        );
    }
}

/// A named token's example, scanned with every embedded rule, is one
/// finding: the named rule's, not generic-secret's on the same bytes
/// (issue 21).
#[test]
fn named_tokens_win_over_generic_secret() {
    let set = RuleSet::embedded().expect("embedded rules parse");
    let d = Detector::new(&set);
    let generic = set.get("generic-secret").expect("generic-secret exists");
    let generic_only = RuleSet::from_rules(vec![generic.clone()]).expect("one rule");
    let generic_d = Detector::new(&generic_only);
    let named: Vec<_> = set
        .rules()
        .iter()
        .filter(|r| r.origin == "patterns/named-tokens.yaml")
        .collect();
    assert!(named.len() >= 5, "only {} named tokens", named.len());
    let mut overlapped = 0;
    let mut problems = Vec::new();
    for rule in named {
        for example in &rule.examples {
            let ids: Vec<&str> = d
                .detect(example.as_bytes())
                .iter()
                .map(|m| set.rules()[m.rule].id.as_str())
                .collect();
            if ids != [rule.id.as_str()] {
                problems.push(format!("{example}: {ids:?}"));
            }
            overlapped += usize::from(!generic_d.detect(example.as_bytes()).is_empty());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(overlapped > 0, "generic-secret matches no example");
}

/// Hits merge into windows as they arrive: a thousand hits on
/// consecutive lines are one window, hits out of order merge too, and
/// every secret in them is still found.
#[test]
fn hits_merge_into_few_windows() {
    let s = set(TOKEN_RULE);
    let d = Detector::new(&s);
    let text: String = (0..1000)
        .map(|i| format!("x = 'dmo_q8Fz{i:04}LpWv'\n"))
        .collect();
    let hay = text.as_bytes();
    let mut windows = RuleWindows::new(s.rules(), hay);
    for m in memchr::memmem::find_iter(hay, b"dmo_") {
        windows.add(0, m, m + 4);
    }
    assert_eq!(windows.finish(), vec![(0, vec![(0, hay.len())])]);
    let mut windows = RuleWindows::new(s.rules(), hay);
    windows.add(0, 400, 404);
    windows.add(0, 10, 14);
    windows.add(0, 30, 34);
    let lists = windows.finish();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].1.len(), 2, "{lists:?}");
    assert_eq!(d.detect(hay).len(), 1000);
}

/// A multi-line keyword that straddles the boundary between two chunks
/// of the lowercased search is found, wherever it falls.
#[test]
fn focused_multiline_keyword_across_chunks() {
    let rule = "  - id: demo-block\n    name: Demo\n    category: private-key\n    confidence: high\n    keywords: [BEGIN DEMO]\n    pattern: '(?P<secret>BEGIN DEMO\\n[A-Za-z0-9\\n]{40,}?END DEMO)'\n";
    let s = set(&format!("{TOKEN_RULE}{rule}"));
    let d = Detector::new(&s);
    let body = "q8Fz2LpW7vXkRt5Yu\n".repeat(4);
    for pad in LOWERED_CHUNK - 12..LOWERED_CHUNK + 2 {
        let filler = format!("{}\n", "x".repeat(pad - 1));
        let hay = format!("{filler}BEGIN DEMO\n{body}END DEMO\n");
        let hay = hay.as_bytes();
        let end_line = hay.len() - "END DEMO\n".len();
        let near = d.detect_near(hay, &[(end_line, hay.len())]);
        assert_eq!(near, d.detect(hay), "keyword at {pad}");
        assert_eq!(near.len(), 1);
    }
}

/// The multi-line search takes keywords of three bytes or fewer
/// apart: a short keyword's block is found when a long keyword lies in
/// the bytes read past a chunk's end, and the other way round.
#[test]
fn short_and_long_multiline_keywords_across_chunks() {
    let rules = "  - id: demo-short\n    name: Demo\n    category: saas\n    confidence: high\n    keywords: [dq_]\n    pattern: '(?i)dq_[\\s\\S]{0,40}?\\b(?P<secret>DQ[0-9a-f]{16})\\b'\n  - id: demo-long\n    name: Demo\n    category: saas\n    confidence: high\n    keywords: [longprov]\n    pattern: '(?i)longprov[\\s\\S]{0,40}?\\b(?P<secret>LP[0-9a-f]{16})\\b'\n";
    let s = set(&format!("{TOKEN_RULE}{rules}"));
    let d = Detector::new(&s);
    let short = "dq_key:\n  DQ0a1b2c3d4e5f6a7b\n";
    let long = "longprov:\n  LP0a1b2c3d4e5f6a7b\n";
    for (first, second) in [(short, long), (long, short)] {
        let filler = "// filler line\n".repeat(LOWERED_CHUNK / 15 - 10);
        let pad = "x".repeat(LOWERED_CHUNK - first.len() - filler.len() - 2);
        let hay = format!("{first}{filler}{pad}\n\n{second}");
        let hay = hay.as_bytes();
        let full = d.detect(hay);
        assert_eq!(full.len(), 2, "{full:?}");
        let near = d.detect_near(hay, &[(0, hay.len())]);
        assert_eq!(near, full);
    }
}

/// A focused scan finds exactly what a full scan finds on the focus
/// lines, for each line as the focus: a value on the line after its
/// keyword, a multi-line block whose keyword opens it, a block whose
/// keyword lies before a long filler, and a multi-line rule of short
/// reach whose keyword is two lines up (in any case).
#[test]
fn focused_scan_misses_nothing_on_the_focus_lines() {
    let rules = "  - id: demo-next-line\n    name: Demo\n    category: generic\n    confidence: medium\n    keywords: ['dmokey:']\n    pattern: 'dmokey:\\s*(?P<secret>[A-Za-z0-9]{16})'\n  - id: demo-block\n    name: Demo\n    category: private-key\n    confidence: high\n    keywords: [BEGIN DEMO]\n    pattern: '(?P<secret>BEGIN DEMO\\n[A-Za-z0-9\\n]{40,}?END DEMO)'\n  - id: demo-near\n    name: Demo\n    category: saas\n    confidence: high\n    keywords: [demoprov]\n    pattern: '(?i)demoprov[\\s\\S]{0,40}?\\b(?P<secret>DP[0-9a-f]{16})\\b'\n";
    let s = set(&format!("{TOKEN_RULE}{rules}"));
    let d = Detector::new(&s);
    let body: String = (0..6).map(|i| format!("q8Fz2LpW7vXk{i}Rt5Yu\n")).collect();
    let filler = "// filler line\n".repeat(300);
    let hay = format!(
        "a = 1\nx = 'dmo_q8Fz2LpW7vXk'\ndmokey:\n  Zq8Fz2LpW7vXkR4t\n{filler}BEGIN DEMO\n{body}END DEMO\nDemoProv:\n  id: 7\n  key: DP0a1b2c3d4e5f6a7b\nlast line\n"
    );
    let hay = hay.as_bytes();
    let index = keyward_content::LineIndex::new(hay);
    let full = d.detect(hay);
    assert_eq!(full.len(), 4, "{full:?}");
    let lines = hay.iter().filter(|&&b| b == b'\n').count();
    for line in 1..=lines {
        let on_line = |m: &&Match| index.line_of(m.start) == line;
        let expected: Vec<Match> = full.iter().filter(on_line).copied().collect();
        let near = d.detect_near(hay, &[index.span(hay, line, line)]);
        let got: Vec<Match> = near.iter().filter(on_line).copied().collect();
        assert_eq!(got, expected, "line {line}");
    }
}
