//! Property tests of the dotenv parser ([`dotenv::parse`]) over untrusted
//! text (its own test `never_panics_on_random_input` draws from a fixed
//! alphabet; these shrink a failure to its smallest case).
//!
//! Long run (a few thousand cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward fuzz_dotenv
//! ```

use proptest::prelude::*;

use super::dotenv::{parse, Entry};
use crate::hook::fuzz::config;

/// The lines the parser counts: ended by LF, CRLF or a lone CR.
fn line_count(text: &str) -> usize {
    text.replace("\r\n", "\n").split(['\n', '\r']).count()
}

/// Text from the characters that matter to the grammar, or any text.
fn dotenv_text() -> impl Strategy<Value = String> {
    let grammar = proptest::collection::vec(
        proptest::sample::select(vec![
            "A", "z", "_", "=", "\"", "'", "\\", "#", " ", "\t", "\n", "\r", "é", "\u{feff}", "x",
            "export ", "KEY=", "\r\n", "\\\"",
        ]),
        0..80,
    )
    .prop_map(|parts| parts.concat());
    prop_oneof![4 => grammar, 1 => ".{0,80}", 1 => "[ -~\n\r\t]{0,120}"]
}

/// How a value is written.
#[derive(Debug, Clone, Copy)]
enum Quoting {
    Bare,
    Single,
    Double,
}

/// An assignment written in one of the syntaxes, and the value the parser
/// must read back.
fn assignment() -> impl Strategy<Value = (String, String, String, usize)> {
    // `export` is a word of the grammar, and a key too.
    let key = prop_oneof![9 => "[A-Za-z_][A-Za-z0-9_.-]{0,10}", 1 => Just("export".to_string())];
    let quoting = prop_oneof![
        Just(Quoting::Bare),
        Just(Quoting::Single),
        Just(Quoting::Double)
    ];
    (key, quoting, "[ -~é]{0,16}", any::<bool>(), any::<bool>()).prop_map(
        |(key, quoting, raw, export, spaced)| {
            let (written, value, lines) = match quoting {
                Quoting::Bare => {
                    // No quote opens it, no ` #` starts a comment in it.
                    let v = raw
                        .trim_start_matches(['"', '\'', ' ', '\t'])
                        .trim_end()
                        .replace(" #", "_#")
                        .replace("\t#", "_#");
                    (v.clone(), v, 1)
                }
                Quoting::Single => {
                    let v = raw.replace('\'', "");
                    (format!("'{v}'"), v, 1)
                }
                Quoting::Double => {
                    // Escaped quotes and backslashes, and a line break kept.
                    let v = format!("{raw}\n{raw}");
                    let escaped = v.replace('\\', "\\\\").replace('"', "\\\"");
                    (format!("\"{escaped}\""), v, 2)
                }
            };
            // `export = 1` is not read: see `a_key_named_export_with_spaces`.
            let sep = if spaced && key != "export" {
                " = "
            } else {
                "="
            };
            let export = if export { "export " } else { "" };
            (format!("{export}{key}{sep}{written}"), key, value, lines)
        },
    )
}

proptest! {
    #![proptest_config(config(2000))]

    /// Any text: every entry and warning is on one of the text's lines, an
    /// entry's key is a valid key, and no value is longer than the text.
    #[test]
    fn fuzz_dotenv_text(text in dotenv_text()) {
        let lines = line_count(&text);
        let parsed = parse(&text);
        for Entry { key, value, line } in &parsed.entries {
            prop_assert!((1..=lines).contains(line), "entry line {} of {}", line, lines);
            prop_assert!(!key.is_empty());
            prop_assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')));
            prop_assert!(value.len() <= text.len());
        }
        for (line, _) in &parsed.warnings {
            prop_assert!((1..=lines).contains(line), "warning line {} of {}", line, lines);
        }
    }

    /// Assignments written in every syntax (bare, single, double quotes
    /// over two lines, `export`, spaces around `=`, comments and blank lines
    /// between, LF or CRLF) read back with their keys, values and lines.
    #[test]
    fn fuzz_dotenv_round_trip(
        items in proptest::collection::vec((assignment(), any::<bool>()), 0..8),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        let mut want = Vec::new();
        let mut line = 1;
        for ((written, key, value, lines), comment) in items {
            if comment {
                text.push_str("# a comment");
                text.push_str(nl);
                line += 1;
            }
            // A value over lines keeps the text's own line breaks.
            text.push_str(&written.replace('\n', nl));
            text.push_str(nl);
            want.push(Entry { key, value, line });
            line += lines;
        }
        let parsed = parse(&text);
        prop_assert_eq!(&parsed.entries, &want, "{:?}", text);
        prop_assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    }
}

/// Found by `fuzz_dotenv_round_trip`: `export = 1` (a key named `export`,
/// spaces around `=`) is taken for `export` of an empty key and warned
/// about; `export=1` and `export export = 1` are read.
#[test]
fn a_key_named_export_with_spaces() {
    let parsed = parse("export = 1\n");
    assert_eq!(
        parsed.get("export").map(|e| e.value.as_str()),
        Some("1"),
        "{parsed:?}"
    );
}
