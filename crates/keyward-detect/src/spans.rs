//! Byte spans of content: the lines a focused scan looks at, the contexts
//! matches depend on. Spans are half-open `(start, end)` byte offsets.

/// Whether the byte range `(start, end)` (an empty one counts as its first
/// byte) touches one of `spans`, which are sorted and disjoint.
pub fn touches(spans: &[(usize, usize)], (start, end): (usize, usize)) -> bool {
    let i = spans.partition_point(|&(_, e)| e <= start);
    spans.get(i).is_some_and(|&(s, _)| s < end.max(start + 1))
}

/// Byte spans sorted, and merged where they overlap or touch.
pub fn merge_spans(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}
