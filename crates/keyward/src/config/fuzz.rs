//! Property tests of `keyward.toml` ([`Config::from_text`], what
//! [`Config::load`] parses once it has read the file) over untrusted text.
//!
//! Long run (a few hundred cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward fuzz_config
//! ```

use proptest::prelude::*;

use super::Config;
use crate::hook::fuzz::config;

const KEYS: &[&str] = &[
    "exclude",
    "disable_rules",
    "rules",
    "min_confidence",
    "baseline",
    "max_file_size",
];

/// A TOML value of any kind, small.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "-?[0-9]{1,22}",
        "\"[ -~]{0,12}\"",
        "\"[0-9]{1,20}[kKmMgGbBi]{0,3}\"",
        Just("\"high\"".to_string()),
        Just("true".to_string()),
        Just("1.5".to_string()),
        Just("\"\\u00e9\\n\"".to_string()),
        "'[^'\n]{0,10}'",
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec(("[a-z_]{1,6}", inner), 0..3).prop_map(|v| {
                let kv: Vec<String> = v.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", kv.join(", "))
            }),
        ]
    })
}

/// Config text: lines of known and unknown keys with values of every
/// kind, tables, comments, some bytes changed; or any text.
fn config_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        6 => proptest::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-z_é]{1,8}",
    ];
    let line = prop_oneof![
        6 => (key, value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => Just("[table]".to_string()),
        1 => "# [ -~]{0,10}",
        1 => Just(String::new()),
    ];
    let text = proptest::collection::vec(line, 0..6).prop_map(|l| l.join("\n"));
    prop_oneof![
        5 => text.clone(),
        2 => (text, any::<prop::sample::Index>(), any::<char>()).prop_map(|(t, at, c)| {
            let mut chars: Vec<char> = t.chars().collect();
            if !chars.is_empty() {
                let i = at.index(chars.len());
                chars[i] = c;
            }
            chars.into_iter().collect()
        }),
        1 => ".{0,60}",
    ]
}

proptest! {
    #![proptest_config(config(500))]

    /// A config file of any text loads or is refused with one error line
    /// that names the file: never a panic.
    #[test]
    fn fuzz_config_text(text in config_text()) {
        let dir = std::env::temp_dir();
        let path = dir.join("keyward.toml");
        match Config::from_text(&text, &path) {
            Ok(config) => {
                // Relative to the config file's directory, or absolute.
                for rule_file in config.rules.iter().chain(&config.baseline) {
                    prop_assert!(rule_file.is_absolute(), "{}", rule_file.display());
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with(&path.display().to_string()), "{}", msg);
            }
        }
    }

    /// Settings written as TOML read back as written; a size is bytes, or
    /// a number with its unit.
    #[test]
    fn fuzz_config_round_trip(
        exclude in proptest::collection::vec("[a-z*/._-]{0,10}", 0..4),
        disable in proptest::collection::vec("[a-z-]{1,10}", 0..4),
        size in (0u64..1 << 33, prop_oneof![Just(("", 1u64)), Just(("K", 1 << 10)), Just(("MiB", 1 << 20)), Just(("g", 1 << 30))]),
        as_int in any::<bool>(),
    ) {
        let quote = |v: &[String]| v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        let (n, (unit, mult)) = size;
        let size_value = if as_int { n.to_string() } else { format!("\"{n}{unit}\"") };
        let text = format!(
            "exclude = [{}]\ndisable_rules = [{}]\nmax_file_size = {size_value}\n",
            quote(&exclude),
            quote(&disable),
        );
        let path = std::path::Path::new("repo/keyward.toml");
        let config = Config::from_text(&text, path).unwrap();
        prop_assert_eq!(config.exclude, exclude);
        prop_assert_eq!(config.disable_rules, disable);
        let want = if as_int { Some(n) } else { n.checked_mul(mult) };
        prop_assert_eq!(config.max_file_size, want);
    }
}
