//! The other part of a two-part credential (an account SID beside an auth
//! token, a client id beside its secret): looked for only in the lines
//! around a rule's findings, after detection. It never decides whether a
//! secret is reported.

use keyward_rules::Rule;

/// The spans of `rule`'s pair in `windows` of `haystack` (sorted by start,
/// apart): each window is searched once, whatever the number of findings
/// in it, so the cost is linear in the windows' bytes. The span is the
/// pattern's group `id` when it has one, else its whole match. The search
/// sees the haystack before a window, so `^` and `\b` keep their meaning.
pub fn pair_spans(rule: &Rule, haystack: &[u8], windows: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let Some(regex) = rule.pair_regex() else {
        return Vec::new();
    };
    let group = regex.capture_names().position(|n| n == Some("id"));
    let mut locs = regex.capture_locations();
    let mut out = Vec::new();
    for &(start, end) in windows {
        let hay = &haystack[..end.min(haystack.len())];
        let mut at = start;
        while at <= hay.len() {
            let Some(whole) = regex.captures_read_at(&mut locs, hay, at) else {
                break;
            };
            at = whole.end().max(whole.start() + 1);
            let span = match group {
                Some(g) => locs.get(g),
                None => Some((whole.start(), whole.end())),
            };
            if let Some((s, e)) = span.filter(|(s, e)| e > s) {
                out.push((s, e));
            }
        }
    }
    out
}

/// The pair nearest the secret at `secret` among `ids` (as [`pair_spans`]
/// returns them: sorted, apart): on the fewest lines away, then the fewest
/// bytes, the earlier on a tie; none beyond `within` lines of the secret's
/// first or last line, none overlapping it. `line_of` gives an offset's
/// line. Only the two ids either side of the secret are looked at: moving
/// away from the secret never brings an id closer in lines.
pub fn nearest_pair(
    ids: &[(usize, usize)],
    secret: (usize, usize),
    within: usize,
    line_of: impl Fn(usize) -> usize,
) -> Option<(usize, usize)> {
    let (first, last) = (line_of(secret.0), line_of(secret.1.max(secret.0 + 1) - 1));
    let before = ids.partition_point(|&(_, e)| e <= secret.0);
    let after = ids.partition_point(|&(s, _)| s < secret.1);
    let mut best: Option<((usize, usize), (usize, usize))> = None;
    let sides = [before.checked_sub(1), Some(after)];
    for &(s, e) in sides.iter().flatten().filter_map(|&i| ids.get(i)) {
        let line = line_of(s);
        let lines = first.saturating_sub(line).max(line.saturating_sub(last));
        if lines > within {
            continue;
        }
        let bytes = secret.0.saturating_sub(e).max(s.saturating_sub(secret.1));
        if best.is_none_or(|(key, _)| (lines, bytes) < key) {
            best = Some(((lines, bytes), (s, e)));
        }
    }
    best.map(|(_, span)| span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_rules::parse_rule_file;

    fn rule(pattern: &str) -> Rule {
        let yaml = format!("rules:\n  - id: demo-token\n    name: x\n    category: saas\n    confidence: high\n    keywords: [tok]\n    pattern: 'tok=(?P<secret>[a-z0-9]{{8}})'\n    pair:\n      name: app id\n      pattern: '{pattern}'\n      within: 2\n");
        parse_rule_file("t.yaml", &yaml).unwrap().remove(0)
    }

    fn line_of(hay: &[u8]) -> impl Fn(usize) -> usize + '_ {
        move |at| 1 + hay[..at].iter().filter(|&&b| b == b'\n').count()
    }

    /// The group `id` is the span when there is one, else the whole match;
    /// only the windows are searched.
    #[test]
    fn spans_are_the_id_group_or_the_match() {
        let hay = b"app=111\napp=222\napp=333\n";
        let with_group = rule(r"app=(?P<id>[0-9]+)");
        assert_eq!(pair_spans(&with_group, hay, &[(0, 16)]), [(4, 7), (12, 15)]);
        let whole = rule(r"\bapp=[0-9]+");
        assert_eq!(pair_spans(&whole, hay, &[(8, 15)]), [(8, 15)]);
    }

    /// The nearest id in lines wins, then in bytes; one too far, or over
    /// the secret itself, is none.
    #[test]
    fn nearest_in_lines_then_bytes() {
        let hay = b"app=1\nx\nx\ntok=abcdefgh app=2\nx\nx\nx\napp=3\n";
        let r = rule(r"app=(?P<id>[0-9]+)");
        let ids = pair_spans(&r, hay, &[(0, hay.len())]);
        assert_eq!(ids.len(), 3);
        let secret = (14, 22);
        assert_eq!(&hay[secret.0..secret.1], b"abcdefgh");
        let lines = line_of(hay);
        assert_eq!(nearest_pair(&ids, secret, 2, &lines), Some(ids[1]));
        assert_eq!(nearest_pair(&ids[..1], secret, 2, &lines), None);
        assert_eq!(nearest_pair(&ids[..1], secret, 3, &lines), Some(ids[0]));
        assert_eq!(nearest_pair(&ids[2..], secret, 3, &lines), None);
        assert_eq!(nearest_pair(&ids[2..], secret, 4, &lines), Some(ids[2]));
        assert_eq!(nearest_pair(&[(15, 17)], secret, 4, &lines), None);
        let tie = [(0, 1), (40, 41)];
        assert_eq!(nearest_pair(&tie, (20, 21), 9, |_| 1), Some((0, 1)));
    }
}
