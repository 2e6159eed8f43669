//! Property tests of the pre-push input parser ([`parse_pre_push`]) over
//! untrusted text, and the case count the library's property tests share
//! ([`config`]).
//!
//! Long run (a few hundred cases run in `cargo test`):
//!
//! ```text
//! PROPTEST_CASES=10000000 cargo test --release -p keyward fuzz_pre_push
//! ```

use proptest::prelude::*;

use super::{parse_pre_push, PushUpdate};

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

fn update() -> impl Strategy<Value = PushUpdate> {
    let name = prop_oneof![
        "refs/heads/[a-z/._-]{1,12}",
        Just("(delete)".to_string()),
        "[!-~é]{1,10}"
    ];
    let sha = prop_oneof!["[0-9a-f]{40}", "[0-9a-fA-F]{64}", Just("0".repeat(40))];
    (name.clone(), sha.clone(), name, sha).prop_map(
        |(local_ref, local_sha, remote_ref, remote_sha)| PushUpdate {
            local_ref,
            local_sha,
            remote_ref,
            remote_sha,
        },
    )
}

/// Whitespace between fields and blank lines, as a hand-fed hook may get.
fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(" "), 1 => Just("\t"), 1 => Just("  ")]
}

proptest! {
    #![proptest_config(config(1000))]

    /// Arbitrary text: an error naming a line, or updates each of four
    /// fields with object ids of 40 hex digits or more, never more updates
    /// than lines.
    #[test]
    fn fuzz_pre_push_text(text in prop_oneof![
        "[ -~\t\n\r]{0,200}",
        "(([a-z/]{1,6}|[0-9a-f]{40}|[0-9a-f]{39}) ?){0,9}\n?",
        ".{0,80}",
    ]) {
        match parse_pre_push(&text) {
            Ok(updates) => {
                prop_assert!(updates.len() <= text.lines().count());
                for u in &updates {
                    for sha in [&u.local_sha, &u.remote_sha] {
                        prop_assert!(sha.len() >= 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()));
                    }
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("pre-push input line "), "{}", msg);
            }
        }
    }

    /// What git writes reads back as written, whatever the spaces and the
    /// blank lines around it.
    #[test]
    fn fuzz_pre_push_round_trip(
        lines in proptest::collection::vec((update(), space(), any::<bool>()), 0..6),
        crlf in any::<bool>(),
    ) {
        let mut text = String::new();
        for (u, sp, blank) in &lines {
            if *blank {
                text.push_str(" \n");
            }
            text.push_str(&[&u.local_ref, &u.local_sha, &u.remote_ref, &u.remote_sha].map(|s| s.as_str()).join(sp));
            text.push_str(if crlf { "\r\n" } else { "\n" });
        }
        let want: Vec<PushUpdate> = lines.into_iter().map(|(u, _, _)| u).collect();
        let read = parse_pre_push(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(read, want);
    }
}
