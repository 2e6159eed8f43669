//! Property tests of detection over untrusted bytes: base64 and
//! Kubernetes Secret decoding ([`decoded_values`]) over arbitrary bytes
//! and generated manifests, and the detector built over the embedded rule
//! set over arbitrary bytes and texts seeded with the rules' own examples.
//!
//! Long runs (a few hundred cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward-detect fuzz_decode
//! PROPTEST_CASES=10000000 cargo test --release -p keyward-detect fuzz_detect
//! ```

use std::sync::LazyLock;

use base64::Engine;
use keyward_rules::RuleSet;
use proptest::prelude::*;

use crate::decode::{decoded_values, decoded_values_near, Decoded};
use crate::spans::touches;
use crate::{Detector, Match};

/// `cases` cases, or as many as `PROPTEST_CASES` says (a long run).
pub(crate) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::embedded().expect("embedded rules"));
static DETECTOR: LazyLock<Detector<'static>> = LazyLock::new(|| Detector::new(&RULES));

fn b64(bytes: &[u8], url: bool) -> String {
    if url {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    } else {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// A value to encode: printable text (what decodes), a rule's example (a
/// secret to find once decoded), or any bytes.
fn plain() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        3 => "[ -~]{1,60}".prop_map(String::into_bytes),
        2 => example().prop_map(|e| format!("token: {e}").into_bytes()),
        1 => "[ -~\n]{1,60}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 1..40),
    ]
}

/// One of the embedded rules' examples.
fn example() -> impl Strategy<Value = String> + Clone {
    any::<prop::sample::Index>().prop_map(|i| {
        let examples: Vec<&String> = RULES.rules().iter().flat_map(|r| &r.examples).collect();
        examples[i.index(examples.len())].clone()
    })
}

/// YAML documents: Secrets (quoted kinds, `data:` values quoted or not,
/// comments, `stringData:`), other kinds, and code that says `kind:`.
fn manifest() -> impl Strategy<Value = String> + Clone {
    let value = (
        plain(),
        any::<bool>(),
        prop_oneof![Just(""), Just("\""), Just("'")],
    )
        .prop_map(|(p, url, q)| format!("{q}{}{q}", b64(&p, url)));
    let data_line = (
        "[a-z_.-]{1,8}",
        value.clone(),
        prop_oneof![Just("  "), Just("    "), Just("\t")],
    )
        .prop_map(|(k, v, indent)| format!("{indent}{k}: {v}"));
    let line = prop_oneof![
        3 => data_line,
        1 => prop_oneof![
            Just("kind: Secret"), Just("kind: \"Secret\""), Just("kind: SealedSecret"),
            Just("kind: ConfigMap"), Just("kind: Kind::Host,"), Just("data:"), Just("stringData:"),
            Just("---"), Just("# data:"), Just(""), Just("apiVersion: v1"), Just("metadata:"),
        ].prop_map(str::to_string),
        1 => value.prop_map(|v| format!("url: {v}")),
        1 => (value_inline(), prop_oneof![Just("x = "), Just("key: "), Just("\"k\": "), Just("f(")])
            .prop_map(|(v, p)| format!("{p}{v}")),
        1 => "[ -~]{0,30}",
    ];
    (proptest::collection::vec(line, 0..14), any::<bool>()).prop_map(|(lines, crlf)| {
        let text = format!("kind: Secret\ndata:\n{}\n", lines.join("\n"));
        if crlf {
            text.replace('\n', "\r\n")
        } else {
            text
        }
    })
}

/// An inline base64 string of the length that is decoded.
fn value_inline() -> impl Strategy<Value = String> + Clone {
    (
        "[ -~]{24,60}",
        any::<bool>(),
        prop_oneof![Just(""), Just("\""), Just("'"), Just("`")],
    )
        .prop_map(|(p, url, q)| format!("{q}{}{q}", b64(p.as_bytes(), url)))
}

/// Content to decode or scan: manifests and texts holding examples, the
/// same with bytes changed, or any bytes.
fn content() -> impl Strategy<Value = Vec<u8>> {
    let text_with_examples = proptest::collection::vec(
        prop_oneof![
            2 => example().prop_map(|e| format!("secret = \"{e}\"")),
            1 => example(),
            2 => "[ -~]{0,40}",
            1 => value_inline().prop_map(|v| format!("value: {v}")),
        ],
        0..8,
    )
    .prop_map(|l| l.join("\n"));
    let text = prop_oneof![manifest(), text_with_examples].prop_map(String::into_bytes);
    let mutated = (
        text.clone(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    )
        .prop_map(|(mut t, flips)| {
            if !t.is_empty() {
                for (at, b) in flips {
                    let i = at.index(t.len());
                    t[i] = b;
                }
            }
            t
        });
    prop_oneof![
        4 => text,
        2 => mutated,
        1 => proptest::collection::vec(any::<u8>(), 0..200),
        1 => proptest::collection::vec(proptest::sample::select(b"aA0+/=-_:\"' \n".to_vec()), 0..200),
    ]
}

/// The spans of whole lines chosen by `pick` (one flag per line, cycled),
/// sorted and disjoint.
fn lines_picked(content: &[u8], pick: &[bool]) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', content)
        .map(|e| e + 1)
        .chain([content.len()]);
    for (n, end) in ends.enumerate() {
        if start < end && !pick.is_empty() && pick[n % pick.len()] {
            match spans.last_mut() {
                Some(last) if last.1 == start => last.1 = end,
                _ => spans.push((start, end)),
            }
        }
        start = end;
    }
    spans
}

fn check_decoded(content: &[u8], d: &Decoded) -> Result<(), TestCaseError> {
    prop_assert!(
        d.start < d.end && d.end <= content.len(),
        "{:?}",
        (d.start, d.end)
    );
    prop_assert!(d.context.0 <= d.start && d.end <= d.context.1 && d.context.1 <= content.len());
    let encoded = &content[d.start..d.end];
    prop_assert!(encoded
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"+/-_=".contains(&b)));
    prop_assert!(!d.text.is_empty());
    // Decoding never makes more than three bytes of four, and a one-line
    // Secret value is prefixed with its key (before it on its line).
    let line_start = memchr::memrchr(b'\n', &content[..d.start]).map_or(0, |p| p + 1);
    let bound = 3 * encoded.len() / 4 + 3 + (d.start - line_start) + 2;
    prop_assert!(
        d.text.len() <= bound,
        "{} decoded bytes of {}",
        d.text.len(),
        encoded.len()
    );
    Ok(())
}

fn sorted(mut v: Vec<Decoded>) -> Vec<Decoded> {
    v.sort_by_key(|d| (d.start, d.end, d.is_secret_data));
    v
}

fn check_match(content: &[u8], m: &Match) -> Result<(), TestCaseError> {
    prop_assert!(m.rule < RULES.rules().len());
    prop_assert!(m.start < m.end && m.end <= content.len(), "{:?}", m);
    prop_assert!(
        m.context.0 <= m.start && m.end <= m.context.1 && m.context.1 <= content.len(),
        "{:?}",
        m
    );
    Ok(())
}

fn starts_in(focus: &[(usize, usize)], m: &Match) -> bool {
    focus.iter().any(|&(s, e)| s <= m.start && m.start < e)
}

proptest! {
    #![proptest_config(config(500))]

    /// Decoded values lie within the content, on base64 bytes, and decode
    /// to no more than the encoding holds; a decode near some lines finds
    /// exactly the values of a whole decode whose context touches them.
    #[test]
    fn fuzz_decode(content in content(), pick in proptest::collection::vec(any::<bool>(), 1..6)) {
        let whole = decoded_values(&content);
        for d in &whole {
            check_decoded(&content, d)?;
        }
        let focus = lines_picked(&content, &pick);
        let near = sorted(decoded_values_near(&content, &focus));
        let want = sorted(whole.into_iter().filter(|d| touches(&focus, d.context)).collect());
        prop_assert_eq!(near, want);
    }

    /// The detector over the embedded rules: every match lies within the
    /// content, its context around it; a focused scan of some whole lines
    /// finds exactly what the whole scan finds starting on them.
    #[test]
    fn fuzz_detect(content in content(), pick in proptest::collection::vec(any::<bool>(), 1..6)) {
        let d = &*DETECTOR;
        let full = d.detect(&content);
        for m in &full {
            check_match(&content, m)?;
        }
        let focus = lines_picked(&content, &pick);
        let near = d.detect_near(&content, &focus);
        for m in &near {
            check_match(&content, m)?;
        }
        let on_focus = |v: &[Match]| v.iter().filter(|m| starts_in(&focus, m)).copied().collect::<Vec<_>>();
        prop_assert_eq!(on_focus(&near), on_focus(&full));
    }
}

/// Found by `fuzz_detect` (10 M run): a match's context began with the
/// line break before its line in a whole scan (the pattern's leading
/// separator took it) and on the line in a focused scan of that line.
#[test]
fn context_is_the_same_in_a_focused_scan() {
    let content = b"secret = \"<entry key=\"jwt.secret\">bZ2xCIav2wvs8zQLN2FlO0akDhUh94</entry>\"\n<asanaToken>\n    mb58iyay0sjbnhtqgrhh0o2qyy06tduf\n</asanaToken>".to_vec();
    let d = &*DETECTOR;
    let full = d.detect(&content);
    assert!(!full.is_empty(), "the value is found");
    let focus = lines_picked(&content, &[false, false, true]);
    let near = d.detect_near(&content, &focus);
    let on_focus = |v: &[Match]| {
        v.iter()
            .filter(|m| starts_in(&focus, m))
            .copied()
            .collect::<Vec<_>>()
    };
    assert_eq!(on_focus(&near), on_focus(&full));
}
