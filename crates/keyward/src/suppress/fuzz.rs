//! Property tests of baselines ([`Baseline::from_text`], what
//! [`Baseline::load`] parses once it has read the file) over untrusted text.
//!
//! Long run (a few hundred cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward fuzz_baseline
//! ```

use proptest::prelude::*;

use super::{Baseline, BaselineEntry};
use crate::hook::fuzz::config;

fn entry() -> impl Strategy<Value = BaselineEntry> {
    (
        ".{0,12}",
        "[a-z-]{1,12}",
        prop_oneof!["[0-9a-f]{64}", ".{0,8}"],
        proptest::option::of(".{0,16}"),
    )
        .prop_map(|(path, rule_id, fingerprint, reason)| BaselineEntry {
            path,
            rule_id,
            fingerprint: Some(fingerprint),
            sha1: None,
            reason,
        })
}

/// Baseline text: a baseline written by keyward, the same with a
/// character changed, JSON of other shapes, or any text.
fn baseline_text() -> impl Strategy<Value = String> {
    let written = || {
        (
            proptest::collection::vec(entry(), 0..4),
            prop_oneof![4 => Just(1u32), 1 => any::<u32>()],
        )
            .prop_map(|(findings, version)| Baseline { version, findings }.to_json())
    };
    let json_leaf = prop_oneof![
        Just("null".to_string()),
        "-?[0-9]{1,25}(\\.[0-9])?",
        "\"[ -~]{0,8}\"",
        Just("{\"version\": 1}".to_string()),
    ];
    let json = json_leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("version".to_string()),
                        Just("findings".to_string()),
                        Just("path".to_string()),
                        "[a-z]{1,5}"
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|v| {
                let kv: Vec<String> = v
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect();
                format!("{{{}}}", kv.join(","))
            }),
        ]
    });
    prop_oneof![
        3 => written(),
        3 => (written(), any::<prop::sample::Index>(), any::<char>()).prop_map(|(t, at, c)| {
            let mut chars: Vec<char> = t.chars().collect();
            let i = at.index(chars.len());
            chars[i] = c;
            chars.into_iter().collect()
        }),
        2 => json,
        1 => ".{0,60}",
    ]
}

proptest! {
    #![proptest_config(config(500))]

    /// A baseline of any text loads (version 1) or is refused with an
    /// error that names the file: never a panic; what loads gives its
    /// fingerprints.
    #[test]
    fn fuzz_baseline_text(text in baseline_text()) {
        let path = std::path::Path::new("repo").join(Baseline::FILE_NAME);
        match Baseline::from_text(&text, &path) {
            Ok(baseline) => {
                prop_assert_eq!(baseline.version, 1);
                // Every entry loaded holds a hash to match by.
                prop_assert!(baseline
                    .findings
                    .iter()
                    .all(|e| e.fingerprint.is_some() || e.sha1.is_some()));
            }
            Err(e) => {
                let msg = format!("{e:#}");
                prop_assert!(msg.starts_with(&path.display().to_string()), "{}", msg);
            }
        }
    }

    /// A baseline written reads back as written.
    #[test]
    fn fuzz_baseline_round_trip(findings in proptest::collection::vec(entry(), 0..6)) {
        let written = Baseline { version: 1, findings };
        let path = std::path::Path::new("repo").join(Baseline::FILE_NAME);
        let read = Baseline::from_text(&written.to_json(), &path).unwrap();
        prop_assert_eq!(read.findings, written.findings);
    }
}
