//! Where a value sits in its document, for the generic rules: a value
//! under an `example` key of a YAML or JSON document (an OpenAPI or JSON
//! Schema example) documents the shape of a field, it configures nothing.

/// How far up from a value its enclosing keys are looked for: lines, and
/// bytes (so that many values under long lines cost time linear in them).
const LINES_UP: usize = 40;
const BYTES_UP: usize = 4096;

/// Whether the value at byte `at` lies under a key named `example`,
/// `examples`, `x-example` or `x-examples`: one of the keys that enclose
/// its line by indentation (YAML, or JSON as written by people and
/// formatters), within [`LINES_UP`] lines and [`BYTES_UP`] bytes above.
/// A line without indentation has no enclosing key.
pub(crate) fn in_example(haystack: &[u8], at: usize) -> bool {
    let at = at.min(haystack.len());
    let mut start = line_start(haystack, at);
    let mut limit = indent(&haystack[start..]);
    let floor = start.saturating_sub(BYTES_UP);
    for _ in 0..LINES_UP {
        if limit == 0 || start == 0 || start <= floor {
            return false;
        }
        let end = start - 1;
        start = line_start(haystack, end).max(floor);
        let line = &haystack[start..end];
        let depth = indent(line);
        let text = &line[depth..];
        if text.is_empty() || text[0] == b'#' || depth >= limit {
            continue;
        }
        limit = depth;
        if is_example_key(text) {
            return true;
        }
    }
    false
}

fn line_start(haystack: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &haystack[..at]).map_or(0, |i| i + 1)
}

fn indent(line: &[u8]) -> usize {
    line.iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// Whether `text` (a line without its indentation) opens a key named as an
/// example: `example:`, `- examples:`, `"example": {`.
fn is_example_key(text: &[u8]) -> bool {
    let text = text.strip_prefix(b"- ").unwrap_or(text);
    let quoted = text.first().is_some_and(|&b| b == b'"' || b == b'\'');
    let text = if quoted { &text[1..] } else { text };
    let len = text
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_')
        .count();
    let (key, rest) = text.split_at(len);
    let rest = if quoted {
        rest.get(1..).unwrap_or(&[])
    } else {
        rest
    };
    let rest = rest.trim_ascii_start();
    rest.first() == Some(&b':')
        && ["example", "examples", "x-example", "x-examples"]
            .iter()
            .any(|k| key.eq_ignore_ascii_case(k.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(doc: &str, value: &str) -> bool {
        in_example(doc.as_bytes(), doc.find(value).expect("value in doc"))
    }

    #[test]
    fn values_under_an_example_key_are_examples() {
        let yaml = "JoinTokens:\n  type: object\n  example:\n    Worker: \"VAL1\"\n    Nested:\n      Manager: \"VAL2\"\n  properties:\n    Worker: \"VAL3\"\n";
        assert!(at(yaml, "VAL1"));
        assert!(at(yaml, "VAL2"));
        assert!(!at(yaml, "VAL3"));
        let json =
            "{\n  \"examples\": {\n    \"token\": \"VAL1\"\n  },\n  \"token\": \"VAL2\"\n}\n";
        assert!(at(json, "VAL1"));
        assert!(!at(json, "VAL2"));
        let list = "paths:\n  - x-example:\n      secret: VAL1\n";
        assert!(at(list, "VAL1"));
    }

    #[test]
    fn other_keys_and_flat_lines_are_not() {
        assert!(!at("example_secret: VAL1\n", "VAL1"));
        assert!(!at("examples_dir:\n  secret: VAL1\n", "VAL1"));
        assert!(!at("counterexample:\n  secret: VAL1\n", "VAL1"));
        // Too far up: more lines than are looked at.
        let far = format!(
            "example:\n{}  secret: VAL1\n",
            "  a: b\n".repeat(LINES_UP + 1)
        );
        assert!(!at(&far, "VAL1"));
    }
}
