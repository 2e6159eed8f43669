//! What a rule's secret is made of, read from its pattern: every match of
//! the `secret` group is at least `min` bytes long, and every byte of it
//! lies in `bytes`. So a stretch of content with no run of `min` such bytes
//! holds no match, and the detector need not run the rule's regex there
//! (a cheap loop against a lazy DFA that a rule with a long pattern keeps
//! building states for).

use regex_syntax::hir::{Class, Hir, HirKind};

/// A run of at least `min` bytes, each in `bytes`, that every secret of a
/// rule is.
#[derive(Clone)]
pub struct SecretRun {
    pub min: usize,
    bytes: [bool; 256],
}

/// Runs shorter than this are found in almost any code; the check would
/// cost a pass and save nothing.
const WORTH_CHECKING: usize = 16;

impl SecretRun {
    /// The run every match of `pattern`'s `secret` group is, when the
    /// pattern parses (ASCII classes, as rules compile) and the run is long
    /// enough to be worth looking for.
    pub(crate) fn of_pattern(pattern: &str) -> Option<SecretRun> {
        let hir = parse_ascii(pattern)?;
        let secret = find_secret(&hir)?;
        let (min, bytes) = run(secret)?;
        (min >= WORTH_CHECKING).then_some(SecretRun { min, bytes })
    }

    /// Whether `haystack` holds a run of `min` bytes of the secret's. Such
    /// a run covers one of every `min` positions, so only those are looked
    /// at, and a run is measured only around one that is a secret's byte.
    pub fn found_in(&self, haystack: &[u8]) -> bool {
        let is = |at: usize| self.bytes[usize::from(haystack[at])];
        let mut at = self.min - 1;
        while at < haystack.len() {
            if !is(at) {
                at += self.min;
                continue;
            }
            let mut start = at;
            while start > 0 && is(start - 1) {
                start -= 1;
            }
            let mut end = at + 1;
            while end < haystack.len() && is(end) {
                end += 1;
            }
            if end - start >= self.min {
                return true;
            }
            // `end` is not a secret's byte: a run lies past it.
            at = end + self.min;
        }
        false
    }
}

/// A pattern's syntax tree as rules compile it: ASCII classes, matching
/// bytes. `None` when it needs Unicode or does not parse.
pub(crate) fn parse_ascii(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

fn find_secret(hir: &Hir) -> Option<&Hir> {
    match hir.kind() {
        HirKind::Capture(c) if c.name.as_deref() == Some("secret") => Some(&c.sub),
        HirKind::Capture(c) => find_secret(&c.sub),
        HirKind::Repetition(r) => find_secret(&r.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().find_map(find_secret),
        _ => None,
    }
}

/// The shortest match of `hir`, and the bytes any match is made of;
/// `None` when a match may hold a byte outside ASCII classes we can list.
fn run(hir: &Hir) -> Option<(usize, [bool; 256])> {
    let mut bytes = [false; 256];
    let min = collect(hir, &mut bytes)?;
    Some((min, bytes))
}

/// Adds to `bytes` what `hir` may match, and returns its shortest match.
fn collect(hir: &Hir, bytes: &mut [bool; 256]) -> Option<usize> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                bytes[usize::from(b)] = true;
            }
            Some(lit.0.len())
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.iter() {
                for b in range.start()..=range.end() {
                    bytes[usize::from(b)] = true;
                }
            }
            Some(1)
        }
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.iter() {
                let (start, end) = (u32::from(range.start()), u32::from(range.end()));
                if end > 0x7F {
                    return None;
                }
                for b in start..=end {
                    bytes[b as usize] = true;
                }
            }
            Some(1)
        }
        HirKind::Repetition(r) => {
            let inner = collect(&r.sub, bytes)?;
            Some(inner.saturating_mul(r.min as usize))
        }
        HirKind::Capture(c) => collect(&c.sub, bytes),
        HirKind::Concat(items) => items.iter().try_fold(0usize, |sum, h| {
            Some(sum.saturating_add(collect(h, bytes)?))
        }),
        HirKind::Alternation(items) => {
            let mut shortest = usize::MAX;
            for h in items {
                shortest = shortest.min(collect(h, bytes)?);
            }
            Some(shortest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_36_bytes_of_hex_and_dashes() {
        let run = SecretRun::of_pattern(
            r"(?i)key\s*=\s*(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        )
        .expect("a run");
        assert_eq!(run.min, 36);
        assert!(run.found_in(b"key = 3F2504E0-4F89-11D3-9A0C-0305E82C3301"));
        assert!(!run.found_in(b"key = 3F2504E0-4F89-11D3-9A0C-0305E82C330 and more words"));
    }

    #[test]
    fn a_prefix_counts_with_its_token() {
        let run = SecretRun::of_pattern(r"\b(?P<secret>ion_[A-Za-z0-9]{42})").expect("a run");
        assert_eq!(run.min, 46);
        let token = format!("ion_{}", "a1".repeat(21));
        assert!(run.found_in(token.as_bytes()));
        assert!(!run.found_in(b"fn function_name(option_value: u32)"));
    }

    #[test]
    fn short_or_open_secrets_are_not_checked() {
        assert!(SecretRun::of_pattern(r"password=(?P<secret>\S{8,})").is_none());
        assert!(SecretRun::of_pattern(r"token=(?P<secret>.+)").is_none());
        assert!(SecretRun::of_pattern(r"no secret group [a-z]{40}").is_none());
    }

    proptest::proptest! {
        /// The sampled search finds a run exactly when a byte-by-byte count does.
        #[test]
        fn sampling_finds_every_run(
            haystack in proptest::collection::vec(proptest::prop_oneof![proptest::prelude::Just(b'a'), proptest::prelude::Just(b' ')], 0..200),
            min in 1usize..40,
        ) {
            let mut bytes = [false; 256];
            bytes[usize::from(b'a')] = true;
            let run = SecretRun { min, bytes };
            let mut length = 0;
            let mut want = false;
            for &b in &haystack {
                length = if b == b'a' { length + 1 } else { 0 };
                want |= length >= min;
            }
            proptest::prop_assert_eq!(run.found_in(&haystack), want);
        }
    }

    #[test]
    fn an_alternation_takes_its_shortest_branch() {
        let run = SecretRun::of_pattern(r"(?P<secret>[a-f0-9]{40}|[A-Z]{20})").expect("a run");
        assert_eq!(run.min, 20);
        assert!(run.found_in(b"ABCDEFGHIJKLMNOPQRST"));
    }
}
