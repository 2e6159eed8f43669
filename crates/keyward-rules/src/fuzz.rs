//! Property tests of rule files ([`parse_rule_file`], [`check_rule_file`])
//! over untrusted YAML: any text, and rule files of the right shape with
//! random fields and random regexes (kept short: a pattern is compiled
//! within the regex crate's size limit, and the test asserts each file
//! parses and compiles within seconds).
//!
//! Long run (a few hundred cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward-rules fuzz_rule_file
//! ```

use proptest::prelude::*;

use crate::{check_rule_file, parse_rule_file};

/// `cases` cases, or as many as `PROPTEST_CASES` says (a long run).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A regex of up to about 60 characters: well formed mostly (classes,
/// groups, a `secret` group, bounded repeats, flags), some not.
fn regex() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        "[a-zA-Z0-9_]{1,4}",
        Just(r"\d".to_string()),
        Just(r"\s".to_string()),
        Just(r"\b".to_string()),
        Just(".".to_string()),
        Just("[A-Za-z0-9+/]".to_string()),
        Just(r"\p{L}".to_string()),
        Just(r"[^\r\n]".to_string()),
        Just(r"\n".to_string()),
        Just("$".to_string()),
        Just("^".to_string()),
        // Faults: unbalanced, bad escapes, huge repeats, empty classes.
        Just("(".to_string()),
        Just("[".to_string()),
        Just(r"\".to_string()),
        Just("{2,1}".to_string()),
        Just("a{100000}".to_string()),
        Just("[]".to_string()),
        Just("(?P<secret>".to_string()),
    ];
    atom.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), 0u32..20, 0u32..20).prop_map(|(a, m, n)| format!("(?:{a}){{{m},{n}}}")),
            (
                inner.clone(),
                prop_oneof![Just("*"), Just("+"), Just("?"), Just("*?")]
            )
                .prop_map(|(a, q)| format!("(?:{a}){q}")),
            proptest::collection::vec(inner.clone(), 1..3).prop_map(|v| v.join("|")),
            proptest::collection::vec(inner.clone(), 1..3).prop_map(|v| v.concat()),
            inner.clone().prop_map(|a| format!("(?P<secret>{a})")),
            inner.clone().prop_map(|a| format!("(?i){a}")),
            inner.prop_map(|a| format!("(?x) {a} # a comment\n")),
        ]
    })
    .prop_map(|mut r| {
        r.truncate(r.char_indices().nth(60).map_or(r.len(), |(i, _)| i));
        r
    })
}

/// A YAML single-quoted scalar.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| quoted(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// One rule of the right shape, fields random.
fn rule() -> impl Strategy<Value = String> {
    let id = prop_oneof![4 => "[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", 1 => "[ -~]{0,10}"];
    let category = prop_oneof![
        Just("generic"),
        Just("vcs"),
        Just("cloud"),
        Just("private-key"),
        Just("env-hygiene"),
        Just("nope")
    ];
    let confidence = prop_oneof![Just("low"), Just("medium"), Just("high"), Just("max")];
    let keywords =
        proptest::collection::vec(prop_oneof![6 => "[a-z_:-]{3,8}", 1 => "[a-z]{0,2}"], 0..3);
    let body = prop_oneof![
        3 => regex().prop_map(|p| format!("    pattern: {}\n", quoted(&p))),
        3 => (regex(), regex()).prop_map(|(a, b)| format!("    pattern: {}\n", quoted(&format!("{a}(?P<secret>{b})")))),
        1 => (regex(), proptest::option::of(1usize..4), proptest::collection::vec("[a-z]{1,6}", 0..2))
            .prop_map(|(call, arg, named)| {
                let arg = arg.map_or(String::new(), |a| format!("      arg: {a}\n"));
                format!("    sink:\n      call: {}\n{arg}      named: {}\n", quoted(&call), list(&named))
            }),
        1 => prop_oneof![Just("env-tracked"), Just("env-weak-secret"), Just("no-such-check")]
            .prop_map(|c| format!("    check: {c}\n")),
        1 => Just(String::new()),
    ];
    let extras = proptest::collection::vec(
        prop_oneof![
            (-1.0f64..8.0).prop_map(|e| format!("    min_entropy: {e}\n")),
            proptest::collection::vec(regex(), 0..2)
                .prop_map(|a| format!("    allow: {}\n", list(&a))),
            proptest::collection::vec(regex(), 0..2)
                .prop_map(|a| format!("    allow_match: {}\n", list(&a))),
            prop_oneof![
                Just("base62-crc32"),
                Just("jwt-header"),
                Just("basic-auth"),
                Just("bogus")
            ]
            .prop_map(|v| format!("    verify: {v}\n")),
            any::<bool>().prop_map(|b| format!("    keep_placeholders: {b}\n")),
            proptest::collection::vec("[ -~]{0,30}", 0..2)
                .prop_map(|e| format!("    examples: {}\n", list(&e))),
            proptest::collection::vec("[ -~]{0,30}", 0..2)
                .prop_map(|e| format!("    negatives: {}\n", list(&e))),
            Just("    remedy: rotate {name}\n".to_string()),
            Just("    unknown_key: 1\n".to_string()),
        ],
        0..3,
    );
    (id, category, confidence, keywords, body, extras).prop_map(
        |(id, category, confidence, keywords, body, extras)| {
            format!(
                "  - id: {}\n    name: Fuzz\n    category: {category}\n    confidence: {confidence}\n    keywords: {}\n{body}{}",
                quoted(&id),
                list(&keywords),
                extras.concat()
            )
        },
    )
}

/// A rule file: rules of the right shape, the same with a character
/// changed, or any text.
fn rule_file() -> impl Strategy<Value = String> {
    let shaped =
        || proptest::collection::vec(rule(), 0..4).prop_map(|r| format!("rules:\n{}", r.concat()));
    prop_oneof![
        5 => shaped(),
        2 => (shaped(), any::<prop::sample::Index>(), any::<char>()).prop_map(|(t, at, c)| {
            let mut chars: Vec<char> = t.chars().collect();
            let i = at.index(chars.len());
            chars[i] = c;
            chars.into_iter().collect()
        }),
        1 => "[ -~\n\t]{0,80}",
        1 => ".{0,40}",
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    /// A rule file parses or is refused, never a panic;
    /// `rules check`'s reading agrees with it (no problem exactly when it
    /// parses, the same rules); a rule whose patterns check
    /// (`check_pattern`) compiles them on first use.
    #[test]
    fn fuzz_rule_file(text in rule_file()) {
        let parsed = parse_rule_file("fuzz.yaml", &text);
        let (checked, problems) = check_rule_file("fuzz.yaml", &text);
        match &parsed {
            // `rules:` with no list: see `an_empty_rules_key_reads_alike`.
            Ok(rules) if rules.is_empty() && problems.len() == 1 => {}
            Ok(rules) => {
                prop_assert!(problems.is_empty(), "{:?}", problems);
                let ids = |r: &[crate::Rule]| r.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
                prop_assert_eq!(ids(rules), ids(&checked));
                // Patterns compile when a file is added to a set
                // (`check_pattern`); one that passes compiles on first use,
                // allow patterns and all.
                for rule in rules {
                    if rule.check.is_none() && rule.check_pattern().is_ok() {
                        prop_assert!(rule.regex().is_some(), "{} compiles", rule.id);
                        prop_assert_eq!(rule.allow().len(), rule.allow_patterns.len());
                        prop_assert_eq!(rule.allow_match().len(), rule.allow_match_patterns.len());
                    }
                }
            }
            Err(e) => {
                prop_assert!(!problems.is_empty(), "check_rule_file found nothing; parse said {}", e);
                prop_assert!(e.to_string().starts_with("fuzz.yaml: "), "{}", e);
            }
        }
    }
}

/// Found by `fuzz_rule_file`: `rules:` with no value (YAML null) is a file
/// of no rules to [`parse_rule_file`] (a scan loads it), and an error to
/// [`check_rule_file`] (`rules check` refuses it).
#[test]
fn an_empty_rules_key_reads_alike() {
    let parsed = parse_rule_file("t.yaml", "rules:\n").map(|r| r.len());
    let (_, problems) = check_rule_file("t.yaml", "rules:\n");
    assert_eq!(
        parsed.is_ok(),
        problems.is_empty(),
        "{parsed:?} {problems:?}"
    );
}

/// Found by `fuzz_rule_file` (10 M run): a tagged empty value (`name:
/// !uzz`) was a string to [`parse_rule_file`] and a null to
/// [`check_rule_file`], so a scan loaded what `rules check` refused. Both
/// now refuse tags.
#[test]
fn tagged_values_read_alike() {
    let text = "rules:\n  - id: demo\n    name: !uzz\n    category: cloud\n    confidence: medium\n    keywords: [demo]\n    pattern: 'demo(?P<secret>[a-z]{8})'\n";
    let parsed = parse_rule_file("t.yaml", text);
    let (_, problems) = check_rule_file("t.yaml", text);
    assert!(parsed.is_err(), "{parsed:?}");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].to_string().contains("`!uzz`"), "{problems:?}");
}

/// Found by `fuzz_rule_file` (10 M run, after the tags): an empty value
/// (`name: #…`, a comment) was an empty string to [`parse_rule_file`] and
/// a null to [`check_rule_file`]. Both now read the file as a tree first.
#[test]
fn empty_values_read_alike() {
    let text = "rules:\n  - id: demo\n    name: #uzz\n    category: cloud\n    confidence: medium\n    keywords: [demo]\n    pattern: 'demo(?P<secret>[a-z]{8})'\n";
    let parsed = parse_rule_file("t.yaml", text);
    let (_, problems) = check_rule_file("t.yaml", text);
    assert_eq!(
        parsed.is_ok(),
        problems.is_empty(),
        "{parsed:?} {problems:?}"
    );
}
