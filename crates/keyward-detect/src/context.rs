//! Where a value sits in its document, for the generic rules: a value
//! under an `example` key of a YAML or JSON document (an OpenAPI or JSON
//! Schema example) documents the shape of a field, it configures nothing;
//! so does one in a code sample of a documentation comment (prose, an
//! empty comment line, then code indented further: RDoc, YARD, Go doc,
//! Javadoc and rustdoc write examples so).

/// Whether the value at byte `at` documents rather than configures:
/// [`in_example`] or [`in_comment_sample`].
pub(crate) fn documents(haystack: &[u8], at: usize) -> bool {
    in_example(haystack, at) || in_comment_sample(haystack, at)
}

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
    let start = line_start(haystack, at.min(haystack.len()));
    let mut limit = indent(&haystack[start..]);
    for line in lines_above(haystack, start) {
        if limit == 0 {
            return false;
        }
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

/// The lines above the line that starts at `start`, nearest first: at most
/// [`LINES_UP`] of them, none starting more than [`BYTES_UP`] bytes above
/// (the last one cut there).
fn lines_above(haystack: &[u8], mut start: usize) -> impl Iterator<Item = &[u8]> {
    let floor = start.saturating_sub(BYTES_UP);
    std::iter::from_fn(move || {
        if start == 0 || start <= floor {
            return None;
        }
        let end = start - 1;
        start = line_start(haystack, end).max(floor);
        Some(&haystack[start..end])
    })
    .take(LINES_UP)
}

/// Whether the value at byte `at` lies in a code sample of a comment: its
/// line is a comment (`#`, `//`, `///`, `*`) whose text is indented by two
/// or more spaces (or a tab) past the marker's one, and the comment lines
/// above it, within [`LINES_UP`] lines and [`BYTES_UP`] bytes, are more
/// such lines, then an empty comment line, then prose (three or more
/// words, not indented). A commented-out setting (`#   password: x` under
/// `# production:`) has no empty line and prose above it, and stays a
/// finding.
pub(crate) fn in_comment_sample(haystack: &[u8], at: usize) -> bool {
    let start = line_start(haystack, at.min(haystack.len()));
    let Some((marker, true)) = comment(&haystack[start..]) else {
        return false;
    };
    let mut blank_seen = false;
    for line in lines_above(haystack, start) {
        let Some((m, sample)) = comment(line) else {
            return false;
        };
        if m != marker {
            return false;
        }
        if sample {
            // More of the sample.
        } else if is_blank_comment(line, marker) {
            blank_seen = true;
        } else {
            return blank_seen && is_prose(line, marker);
        }
    }
    false
}

/// A line's comment marker, and whether its text is indented past the
/// marker's one space (a code sample); `None` for a line that is not a
/// comment.
fn comment(line: &[u8]) -> Option<(&'static [u8], bool)> {
    let text = &line[indent(line)..];
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    let marker: &'static [u8] = [b"///".as_slice(), b"//!", b"//", b"#", b"*"]
        .into_iter()
        .find(|m| text.starts_with(m))?;
    let rest = &text[marker.len()..];
    let sample = rest.starts_with(b"\t") || rest.starts_with(b"   ");
    Some((marker, sample))
}

fn is_blank_comment(line: &[u8], marker: &[u8]) -> bool {
    let text = line.trim_ascii();
    text.strip_prefix(marker)
        .is_some_and(|r| r.trim_ascii().is_empty())
}

/// A comment line of prose: three or more words of letters.
fn is_prose(line: &[u8], marker: &[u8]) -> bool {
    let text = line.trim_ascii();
    let Some(text) = text.strip_prefix(marker) else {
        return false;
    };
    text.split(|b| b.is_ascii_whitespace())
        .filter(|w| {
            w.len() >= 2
                && w.iter()
                    .all(|b| b.is_ascii_alphabetic() || b",.:;'()+".contains(b))
        })
        .count()
        >= 3
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

    fn sample(doc: &str, value: &str) -> bool {
        in_comment_sample(doc.as_bytes(), doc.find(value).expect("value in doc"))
    }

    #[test]
    fn code_samples_in_documentation_comments() {
        let rdoc = "  # Returns the user when the password is correct.\n  #\n  #   user = User.new(name: 'a', password: 'VAL1')\n  #   user.save\n  #\n  #   user.authenticate('VAL2')\n";
        assert!(sample(rdoc, "VAL1"));
        assert!(sample(rdoc, "VAL2"));
        let go = "// Dial connects to the server with the given password.\n//\n//\tc, err := Dial(addr, \"VAL1\")\n";
        assert!(sample(go, "VAL1"));
        let javadoc = "/**\n * Builds a client for the service like this:\n *\n *     Client c = new Client(\"VAL1\");\n */\n";
        assert!(sample(javadoc, "VAL1"));
    }

    #[test]
    fn commented_out_settings_are_not_samples() {
        // No empty comment line between the prose and the setting.
        let yaml = "# Production settings, uncomment to use.\n# production:\n#   password: VAL1\n";
        assert!(!sample(yaml, "VAL1"));
        // Not indented past the marker's space.
        let flat = "# The key used in production.\n#\n# SECRET_KEY = 'VAL1'\n";
        assert!(!sample(flat, "VAL1"));
        // No prose above the empty line.
        let code = "#\n#   password = 'VAL1'\n";
        assert!(!sample(code, "VAL1"));
        // Not a comment.
        let plain = "The key below.\n\n    password = 'VAL1'\n";
        assert!(!sample(plain, "VAL1"));
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
