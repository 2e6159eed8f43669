//! A name given to a sink, followed to the literal it was last assigned.

use super::{is_ident, is_in_comment, line_end, literal, trim};

/// How far before a call a constant it is given is looked for.
const MAX_CONSTANT_DISTANCE: usize = 4096;

/// The literal a name given to a call was last assigned before the call, in
/// the few kilobytes above it: `const key = '…'` and then
/// `createCipheriv(alg, key, iv)`. The argument is a name alone (after
/// `&`, `self.`, `this.` or `@`; Go's `key[:]`), and its nearest
/// assignment above (`=`, `:=`, after a type: `KEY: &str =`), outside a
/// comment, must hold a literal: a name assigned from the environment or a
/// call is not one.
pub(super) fn constant(hay: &[u8], s: usize, e: usize, open: usize) -> Option<(usize, usize)> {
    let (s, e) = trim(hay, s, e);
    let mut arg = &hay[s..e];
    for prefix in [&b"&"[..], b"self.", b"this.", b"@"] {
        if let Some(rest) = arg.strip_prefix(prefix) {
            arg = rest;
        }
    }
    let arg = arg.strip_suffix(b"[:]").unwrap_or(arg);
    if arg.len() < 2 || arg[0].is_ascii_digit() || !arg.iter().all(|&b| is_ident(b)) {
        return None;
    }
    let floor = open.saturating_sub(MAX_CONSTANT_DISTANCE);
    let mut before = open;
    while let Some(at) = memchr::memmem::rfind(&hay[floor..before], arg).map(|i| floor + i) {
        before = at;
        let bounded_before = at == 0 || !is_ident(hay[at - 1]);
        let end = at + arg.len();
        if !bounded_before
            || hay.get(end).is_some_and(|&b| is_ident(b))
            || is_in_comment(hay, at)
            || is_annotation(hay, at)
        {
            continue;
        }
        let line_end = line_end(hay, end, hay.len());
        let Some(value) = assigned_value(hay, end, line_end) else {
            continue;
        };
        let (vs, mut ve) = trim(hay, value, line_end);
        while ve > vs && matches!(hay[ve - 1], b';' | b',') {
            ve -= 1;
        }
        return literal(hay, vs, ve);
    }
    None
}

/// Whether the name at `at` is a type in an annotation (`shell: str =
/// "/bin/sh"`): what follows is the annotated name's value, not its own.
fn is_annotation(hay: &[u8], at: usize) -> bool {
    let mut i = at;
    while i > 0 && matches!(hay[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    i > 0 && hay[i - 1] == b':' && (i < 2 || hay[i - 2] != b':')
}

/// Where the value starts when `hay[at..line_end]` goes on with an
/// assignment: `= v`, `:= v`, or a type and then `=` (`: &str = v`,
/// `: [u8; 32] = v`), not a comparison.
pub(super) fn assigned_value(hay: &[u8], at: usize, line_end: usize) -> Option<usize> {
    let mut i = at;
    while i < line_end && matches!(hay[i], b' ' | b'\t') {
        i += 1;
    }
    let rest = &hay[i..line_end];
    if rest.starts_with(b":=") {
        return Some(i + 2);
    }
    if rest.starts_with(b":") && !rest.starts_with(b"::") {
        // a type annotation up to its `=`, without a call or a literal
        let eq = rest.iter().position(|&b| b == b'=')?;
        let ty = &rest[1..eq];
        if ty.iter().any(|&b| matches!(b, b'(' | b'"' | b'\'' | b'`')) {
            return None;
        }
        let after = i + eq;
        return (hay.get(after + 1) != Some(&b'=')).then_some(after + 1);
    }
    if rest.starts_with(b"=") && !rest.starts_with(b"==") && !rest.starts_with(b"=>") {
        return Some(i + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::literal_argument;
    use super::super::tests::sink;
    use keyward_rules::Sink;

    /// The literal `sink` names in the call on the last line of `text`.
    fn found_last(text: &str, sink: &Sink) -> Option<String> {
        let last = text.rfind('\n').map_or(0, |i| i + 1);
        let open = last + text[last..].find('(').unwrap() + 1;
        literal_argument(text.as_bytes(), open, sink).map(|l| text[l.start..l.end].to_string())
    }

    /// A name given to the call counts when its nearest assignment above
    /// holds a literal; one assigned from anything else, or in a comment,
    /// does not.
    #[test]
    fn a_constant_assigned_above_counts() {
        let key = sink(Some(2), &["key"]);
        for (text, want) in [
            (
                "const key = 'Kyl9ZvDU';\nc = createCipheriv(alg, key, iv)",
                Some("Kyl9ZvDU"),
            ),
            (
                "KEY = \"Yir8Jty\"\ncrypt = MessageEncryptor.new(x, KEY)",
                Some("Yir8Jty"),
            ),
            (
                "const KEY: &[u8] = b\"QW0Mp\";\nlet c = new(x, &KEY);",
                Some("QW0Mp"),
            ),
            (
                "key := []byte(\"Rk9X\")\nm := hmac.New(h, key[:])",
                Some("Rk9X"),
            ),
            ("self.key = 'Tz8k'\nencode(claims, self.key)", Some("Tz8k")),
            (
                "key = 'old1234'\nkey = os.environ['K']\nencode(claims, key)",
                None,
            ),
            ("# key = 'Tz8kQ3'\nencode(claims, key)", None),
            ("if key == 'Tz8kQ3': pass\nencode(claims, key)", None),
            ("monkey = 'Tz8kQ3'\nencode(claims, key)", None),
            ("encode(claims, key)", None),
            // a type is not a name assigned: `shell: str = …` gives `shell`
            // its value, not `str`
            (
                "def f(shell: str = '/bin/sh'):\n    encode(claims, str)",
                None,
            ),
        ] {
            assert_eq!(found_last(text, &key).as_deref(), want, "{text}");
        }
        let named = sink(None, &["secret"]);
        assert_eq!(
            found_last("tok = 'Nx8kW3'\nx = Api(secret=tok)", &named).as_deref(),
            Some("Nx8kW3")
        );
    }
}
