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
        // The group alone parses in a fraction of the time a generic rule's
        // long pattern takes, which a short scan pays on its critical path.
        let hir = secret_group_alone(pattern)
            .and_then(|group| parse_ascii(&group))
            .or_else(|| parse_ascii(pattern))?;
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

/// The `secret` group of `pattern` as a pattern of its own, behind the
/// flags the pattern sets at its start (`(?xim)`), when nothing else can
/// change how the group reads: no flag directive (`(?i)`) comes before it,
/// and no group with flags (`(?i:`) holds it (one that closes before it
/// does not matter). `None` otherwise, or when there is no such group: the
/// whole pattern must be parsed then.
fn secret_group_alone(pattern: &str) -> Option<String> {
    let bytes = pattern.as_bytes();
    let mut prefix = "";
    let mut at = 0;
    if let Some(rest) = pattern.strip_prefix("(?") {
        let flags = rest.find(')').map_or("", |len| &rest[..len]);
        if !flags.is_empty() && flags.bytes().all(|b| b"imsxuU".contains(&b)) {
            prefix = &pattern[..flags.len() + 3];
            at = prefix.len();
        }
    }
    let verbose = prefix.contains('x');
    // The open groups: whether each sets flags.
    let mut open: Vec<bool> = Vec::new();
    let mut secret = None;
    let mut class = 0usize;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 1,
            b'[' => {
                class += 1;
                // A `]` first in a class (after any `^`) is literal.
                if bytes.get(at + 1) == Some(&b'^') {
                    at += 1;
                }
                if bytes.get(at + 1) == Some(&b']') {
                    at += 1;
                }
            }
            b']' if class > 0 => class -= 1,
            _ if class > 0 => {}
            b'#' if verbose => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            b'(' => {
                let rest = &pattern[at + 1..];
                let flagged = rest.starts_with('?')
                    && !["?:", "?P<", "?<"].iter().any(|g| rest.starts_with(g));
                if flagged {
                    // A directive, or flags that change how `#` reads.
                    let end = rest.find([')', ':'])?;
                    if rest.as_bytes()[end] == b')' || rest[..end].contains('x') {
                        return None;
                    }
                }
                if secret.is_none()
                    && (rest.starts_with("?P<secret>") || rest.starts_with("?<secret>"))
                {
                    if open.iter().any(|&flags| flags) {
                        return None;
                    }
                    secret = Some((at, open.len()));
                }
                open.push(flagged);
            }
            b')' => {
                open.pop()?;
                if let Some((start, depth)) = secret {
                    if open.len() == depth {
                        return Some(format!("{prefix}{}", &pattern[start..=at]));
                    }
                }
            }
            _ => {}
        }
        at += 1;
    }
    None
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

    /// Read from the group alone, every embedded rule's run is the run
    /// read from its whole pattern.
    #[test]
    fn the_group_alone_reads_as_the_whole_pattern() {
        let set = crate::RuleSet::embedded().unwrap();
        let mut alone = 0;
        for rule in set.rules() {
            for pattern in [Some(rule.pattern()), rule.gate.as_deref()]
                .into_iter()
                .flatten()
            {
                let whole = parse_ascii(pattern)
                    .and_then(|hir| find_secret(&hir).and_then(run))
                    .map(|(min, bytes)| (min, bytes.to_vec()));
                let Some(group) = secret_group_alone(pattern) else {
                    continue;
                };
                alone += 1;
                let read = parse_ascii(&group)
                    .and_then(|hir| find_secret(&hir).and_then(run))
                    .map(|(min, bytes)| (min, bytes.to_vec()));
                assert_eq!(read, whole, "{}: {group}", rule.id);
            }
        }
        assert!(alone > 1100, "{alone}");
    }

    #[test]
    fn a_flag_before_the_group_needs_the_whole_pattern() {
        let group = |p: &str| secret_group_alone(p);
        assert_eq!(
            group(r"(?xi) key \# ( = | : ) (?P<secret>[a-f]{40}) # (?P<secret>"),
            Some(r"(?xi)(?P<secret>[a-f]{40})".into())
        );
        assert_eq!(
            group(r"a[(](?:b|c)(?P<secret>x(?:y)[)]{20})z"),
            Some(r"(?P<secret>x(?:y)[)]{20})".into())
        );
        assert_eq!(group(r"a(?i)b(?P<secret>[a-f]{40})"), None);
        assert_eq!(group(r"(?-i:a(?P<secret>[a-f]{40}))"), None);
        assert_eq!(
            group(r"(?i:a)(?P<secret>[a-f]{40})"),
            Some(r"(?P<secret>[a-f]{40})".into())
        );
        assert_eq!(group(r"(?x:a)(?P<secret>[a-f]{40})"), None);
        assert_eq!(group(r"key=[a-z]{40}"), None);
        assert_eq!(
            group(r"(?:^|=)(?P<secret>[a-f]{40})"),
            Some(r"(?P<secret>[a-f]{40})".into())
        );
        // Not in verbose mode, `#` is a character like another.
        assert_eq!(
            group(r"\#(?P<secret>[a-f#]{40})"),
            Some(r"(?P<secret>[a-f#]{40})".into())
        );
    }

    #[test]
    fn an_alternation_takes_its_shortest_branch() {
        let run = SecretRun::of_pattern(r"(?P<secret>[a-f0-9]{40}|[A-Z]{20})").expect("a run");
        assert_eq!(run.min, 20);
        assert!(run.found_in(b"ABCDEFGHIJKLMNOPQRST"));
    }
}
