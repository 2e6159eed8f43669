//! A dotenv parser that keeps line numbers: `KEY=value`, `export KEY=value`,
//! spaces around `=`, single quotes (literal), double quotes (escapes and
//! values over several lines), unquoted values with ` # comments`, empty
//! values, CRLF and a UTF-8 BOM. A line it cannot read is a warning with its
//! number; it never panics.

/// One assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    /// 1-based line of the key.
    pub line: usize,
}

/// What a file held: assignments, and lines that were not one.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    /// (1-based line, what is wrong).
    pub warnings: Vec<(usize, String)>,
}

impl Parsed {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The lines of `text`: ended by `\n`, `\r\n` or a lone `\r` (old Mac
/// files), each without a byte-order mark it may open with (a file made by
/// joining others holds one at each join).
fn lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                out.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&text[start..]);
    out.into_iter()
        .map(|l| l.strip_prefix('\u{feff}').unwrap_or(l))
        .collect()
}

/// Parses dotenv text.
pub fn parse(text: &str) -> Parsed {
    let lines = lines(text);
    let mut out = Parsed::default();
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let line = lines[i].trim_start();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // `export KEY=…`; but `export = 1` sets the key `export`.
        let line = line
            .strip_prefix("export")
            .filter(|rest| rest.starts_with([' ', '\t']) && !rest.trim_start().starts_with('='))
            .map_or(line, str::trim_start);
        let Some(eq) = line.find('=') else {
            out.warnings.push((number, "not a KEY=value line".into()));
            continue;
        };
        let key = line[..eq].trim();
        if key.is_empty() || !key.chars().all(is_key_char) {
            out.warnings
                .push((number, format!("`{key}` is not a valid key")));
            continue;
        }
        let rest = line[eq + 1..].trim_start();
        let value = match rest.chars().next() {
            Some('\'') => match rest[1..].find('\'') {
                Some(end) => rest[1..1 + end].to_string(),
                None => {
                    // The rest of the line is the value: a weak key with
                    // a typo in its quoting is still a weak key.
                    out.warnings.push((number, "unclosed single quote".into()));
                    rest[1..].trim_end().to_string()
                }
            },
            Some('"') => {
                // A double-quoted value may run over several lines; each
                // line is searched once for the closing quote.
                let mut raw = String::new();
                let mut next = &rest[1..];
                let mut at = i;
                let mut escaped = false;
                loop {
                    if let Some(end) = closing_quote(next, &mut escaped) {
                        raw.push_str(&next[..end]);
                        i = at;
                        break unescape(&raw);
                    }
                    if at >= lines.len() {
                        // Unclosed: the rest of the key's line is its
                        // value, and parsing goes on at the next line.
                        out.warnings.push((number, "unclosed double quote".into()));
                        break rest[1..].trim_end().to_string();
                    }
                    raw.push_str(next);
                    raw.push('\n');
                    next = lines[at];
                    at += 1;
                }
            }
            _ => {
                let cut = rest
                    .find(" #")
                    .or_else(|| rest.find("\t#"))
                    .unwrap_or(rest.len());
                rest[..cut].trim_end().to_string()
            }
        };
        out.entries.push(Entry {
            key: key.to_string(),
            value,
            line: number,
        });
    }
    out
}

/// Byte offset of the first `"` not escaped by a backslash; `escaped`
/// carries a backslash that ended the previous line.
fn closing_quote(s: &str, escaped: &mut bool) -> Option<usize> {
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !*escaped => *escaped = true,
            '"' if !*escaped => return Some(i),
            _ => *escaped = false,
        }
    }
    // A line break ends an escape.
    *escaped = false;
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(p: &Parsed) -> Vec<(&str, &str, usize)> {
        p.entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect()
    }

    /// Every syntax the parser promises, with line numbers.
    #[test]
    fn parses_every_syntax() {
        let text = "\u{feff}# comment\r\nA=1\r\nexport B=two\n C = spaced \nD='lit $x # no comment'\nE=\"esc\\n\\\"q\\\"\"\nF=\"multi\nline\"\nG=plain # comment\nH=\nI=a#b\n";
        let p = parse(text);
        assert_eq!(
            kv(&p),
            vec![
                ("A", "1", 2),
                ("B", "two", 3),
                ("C", "spaced", 4),
                ("D", "lit $x # no comment", 5),
                ("E", "esc\n\"q\"", 6),
                ("F", "multi\nline", 7),
                ("G", "plain", 9),
                ("H", "", 10),
                ("I", "a#b", 11),
            ]
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    /// Malformed lines are warnings with their numbers, and parsing goes on.
    #[test]
    fn malformed_lines_are_warnings() {
        let p = parse("OK=1\nnot an assignment\nBAD KEY=x\nQ='open\nZ=\"never closed\n");
        assert_eq!(kv(&p)[0], ("OK", "1", 1));
        let lines: Vec<usize> = p.warnings.iter().map(|w| w.0).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
    }

    /// An unclosed quote keeps the rest of its line as the value (a weak
    /// key mis-quoted is still read) and does not swallow the lines after.
    #[test]
    fn an_unclosed_quote_keeps_its_line_and_the_rest() {
        let p = parse("SECRET_KEY=\"changeme\nDEBUG=1\nNAME='x\nLAST=2\n");
        assert_eq!(
            kv(&p),
            vec![
                ("SECRET_KEY", "changeme", 1),
                ("DEBUG", "1", 2),
                ("NAME", "x", 3),
                ("LAST", "2", 4)
            ]
        );
        let warned: Vec<usize> = p.warnings.iter().map(|w| w.0).collect();
        assert_eq!(warned, vec![1, 3]);
    }

    /// Old Mac line endings (a lone CR) end lines, and a byte-order mark
    /// where files were joined is dropped, not read as part of a key.
    #[test]
    fn lone_carriage_returns_and_inner_byte_order_marks() {
        let p = parse("A=1\rB=2\r\nC=3\n\u{feff}D=4\n");
        assert_eq!(
            kv(&p),
            vec![("A", "1", 1), ("B", "2", 2), ("C", "3", 3), ("D", "4", 4)]
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    fn random_inputs(cases: u64) {
        // Inputs built from the characters that matter to the grammar.
        const ALPHABET: &[char] = &[
            'A', 'z', '_', '=', '"', '\'', '\\', '#', ' ', '\t', '\n', '\r', 'é', '\u{feff}', 'x',
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..cases {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let len = (state >> 58) as usize;
            let mut s = String::new();
            let mut r = state;
            for _ in 0..len {
                r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                s.push(ALPHABET[(r >> 59) as usize % ALPHABET.len()]);
            }
            let p = parse(&s);
            assert!(p.entries.iter().all(|e| e.line >= 1));
        }
    }

    /// Random inputs never panic (20,000 here; the ignored test runs a
    /// million: `cargo test --release -- --ignored dotenv`).
    #[test]
    fn never_panics_on_random_input() {
        random_inputs(20_000);
    }

    #[test]
    #[ignore = "a million cases: run with --release -- --ignored"]
    fn never_panics_on_a_million_inputs() {
        random_inputs(1_000_000);
    }
}
