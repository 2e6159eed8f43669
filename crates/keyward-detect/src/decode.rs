//! Decoding: base64 values that may hide a secret, decoded one level deep so
//! the detector can scan the plain text. Two kinds qualify: every value under
//! `data:` in a Kubernetes `kind: Secret` manifest, and any other base64
//! string of at least [`MIN_INLINE`] characters that sits in quotes or after
//! `:` / `=` and decodes to printable text.
//!
//! Pure like the rest of `detect`: bytes in, decoded values out. It never
//! decodes decoded content again, and content without a qualifying string
//! costs one pass over its bytes.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use memchr::memmem;

/// Shortest base64 string decoded outside a Kubernetes Secret: shorter runs
/// are mostly identifiers and words, and a secret worth hiding in base64
/// encodes to at least this much.
pub const MIN_INLINE: usize = 32;

/// One encoded value and the text to scan in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Byte span of the encoded value in the content; every match found in
    /// `text` is reported here, so line and column are the encoded line's.
    pub start: usize,
    pub end: usize,
    /// The decoded text. A one-line Secret value is prefixed with its key
    /// (`password: …`) so rules that need a name see one.
    pub text: Vec<u8>,
    /// The bytes the value's meaning depends on: for Secret data, its
    /// document (with the `---` lines around it), since its `kind:` line
    /// makes it Secret data; for an inline value, the value itself.
    pub context: (usize, usize),
    /// From a Secret's `data:`: the decoded text says all the encoded one
    /// does, so generic matches on the encoded bytes themselves are noise.
    pub is_secret_data: bool,
}

/// Every decodable value in `content`, Secret data first.
pub fn decoded_values(content: &[u8]) -> Vec<Decoded> {
    let mut out = secret_data(content);
    let known = spans_of(&out);
    push_inline(content, (0, content.len()), &known, &mut out);
    out
}

fn spans_of(values: &[Decoded]) -> std::collections::HashSet<(usize, usize)> {
    values.iter().map(|d| (d.start, d.end)).collect()
}

/// Adds the inline values within `span` of `content` that are not Secret
/// data (`known`).
fn push_inline(
    content: &[u8],
    (s, e): (usize, usize),
    known: &std::collections::HashSet<(usize, usize)>,
    out: &mut Vec<Decoded>,
) {
    for (start, end) in inline_candidates(&content[s..e]) {
        let (start, end) = (s + start, s + end);
        if known.contains(&(start, end)) {
            continue;
        }
        if let Some(text) = decode_text(&content[start..end]) {
            out.push(Decoded {
                start,
                end,
                text,
                context: (start, end),
                is_secret_data: false,
            });
        }
    }
}

/// The decodable values whose context overlaps `spans` (sorted, disjoint,
/// each a run of whole lines): what [`decoded_values`] finds there, for a
/// scan of a file's changed lines. An inline value never leaves its line,
/// so each span is searched on its own; Secret data counts when anything in
/// its document changed.
pub fn decoded_values_near(content: &[u8], spans: &[(usize, usize)]) -> Vec<Decoded> {
    let mut out: Vec<Decoded> = secret_data(content)
        .into_iter()
        .filter(|d| crate::spans::touches(spans, d.context))
        .collect();
    let known = spans_of(&out);
    for &span in spans {
        push_inline(content, span, &known, &mut out);
    }
    out
}

const B64: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
        b += 1;
    }
    t
};

fn is_b64(b: u8) -> bool {
    B64[b as usize]
}

/// Spans of base64 runs (with padding) of at least [`MIN_INLINE`] characters
/// that open after a quote, `:` or `=` and close where a value would: the
/// same quote, or the end of the line or of a field, or that are a quoted
/// data URL's JSON or text (`"data:application/json;base64,…"`). Runs inside
/// longer tokens (`sha512-…`, an image's `data:image/png;base64,…`, URLs)
/// do not qualify.
fn inline_candidates(content: &[u8]) -> Vec<(usize, usize)> {
    // A run of at least MIN_INLINE base64 bytes holds one of the bytes
    // sampled every MIN_INLINE positions, so only those are looked at, and
    // a run is measured only around a sample that is a base64 byte.
    const STEP: usize = MIN_INLINE;
    let mut out = Vec::new();
    let mut p = STEP - 1;
    while p < content.len() {
        if !is_b64(content[p]) {
            p += STEP;
            continue;
        }
        let mut start = p;
        while start > 0 && is_b64(content[start - 1]) {
            start -= 1;
        }
        let mut i = p;
        while i < content.len() && is_b64(content[i]) {
            i += 1;
        }
        let run = i - start;
        while i < content.len() && content[i] == b'=' && i - start < run + 2 {
            i += 1;
        }
        if run >= MIN_INLINE && is_delimited(content, start, i) && !is_hex(&content[start..i]) {
            out.push((start, i));
        }
        p = i + STEP;
    }
    out
}

fn is_delimited(content: &[u8], start: usize, end: usize) -> bool {
    let after = content.get(end).copied();
    let Some(&before) = start.checked_sub(1).and_then(|p| content.get(p)) else {
        return false;
    };
    if matches!(before, b'"' | b'\'' | b'`') {
        return after == Some(before);
    }
    if before == b',' {
        // A quoted data URL of JSON or text: `"data:application/json;base64,…"`
        let from = start.saturating_sub(64);
        let head = &content[from..start - 1];
        let Some(at) = memmem::rfind(head, b"data:") else {
            return false;
        };
        let mime = &head[at..];
        let quote = (from + at).checked_sub(1).map(|q| content[q]);
        return head.ends_with(b";base64")
            && (mime.starts_with(b"data:application/json")
                || mime.starts_with(b"data:text/plain"))
            && matches!(quote, Some(b'"' | b'\'' | b'`'))
            && after == quote;
    }
    let opener = content[..start]
        .iter()
        .rev()
        .find(|&&b| b != b' ' && b != b'\t');
    matches!(opener, Some(b':' | b'='))
        && matches!(
            after,
            None | Some(b'\n' | b'\r' | b' ' | b'\t' | b',' | b';' | b'}')
        )
}

/// Hex digests use only base64 letters but never decode to text; skipping
/// them keeps lockfiles and checksum lists cheap.
fn is_hex(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_hexdigit)
}

fn engine(url_safe: bool) -> GeneralPurpose {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    if url_safe {
        GeneralPurpose::new(&alphabet::URL_SAFE, config)
    } else {
        GeneralPurpose::new(&alphabet::STANDARD, config)
    }
}

/// The decoded bytes when they are printable UTF-8 text (tabs and line
/// breaks allowed); binary (keys, digests, images, ciphertext) is `None`.
fn decode_text(encoded: &[u8]) -> Option<Vec<u8>> {
    let url_safe = encoded.iter().any(|&b| b == b'-' || b == b'_');
    if url_safe && encoded.iter().any(|&b| b == b'+' || b == b'/') {
        return None;
    }
    let bytes = engine(url_safe).decode(encoded).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let printable = !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'));
    printable.then_some(bytes)
}

/// One line of the content: its byte offset, text without the line break,
/// and indentation.
struct Line<'a> {
    at: usize,
    text: &'a [u8],
    indent: usize,
}

fn lines(content: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut at = 0;
    content.split(|&b| b == b'\n').map(move |raw| {
        let line_at = at;
        at += raw.len() + 1;
        let text = raw.strip_suffix(b"\r").unwrap_or(raw);
        let indent = text.iter().take_while(|&&b| b == b' ').count();
        Line {
            at: line_at,
            text,
            indent,
        }
    })
}

fn unquote(s: &[u8]) -> &[u8] {
    for q in [b'"', b'\''] {
        if s.len() >= 2 && s[0] == q && s[s.len() - 1] == q {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// The YAML documents of `content` whose kind may have changed where
/// `spans` (whole lines) lie: a `kind:` line of theirs, or a `---` line
/// around them, is in `spans`. A document's kind decides whether its
/// `data:` values are Secret data, so a scan of changed lines takes such a
/// document in whole. Each is given as Secret data's context is.
pub fn documents_whose_kind_changed(
    content: &[u8],
    spans: &[(usize, usize)],
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // Most changes touch neither: code says `kind:` too, so the document
    // split (every line of the content) waits for a changed line that is a
    // `kind:` or `---` line.
    let kind_or_edge = |line: &[u8]| line.starts_with(b"---") || is_kind_line(line);
    let touched = spans.iter().any(|&(s, e)| {
        let span = &content[s..e];
        (memmem::find(span, b"kind:").is_some() || memmem::find(span, b"---").is_some())
            && span.split(|&b| b == b'\n').any(kind_or_edge)
    });
    if !touched || memmem::find(content, b"kind:").is_none() {
        return out;
    }
    let all: Vec<Line<'_>> = lines(content).collect();
    for doc in all.split(|l| l.text.starts_with(b"---")) {
        let (Some(first), Some(last), Some(context)) =
            (doc.first(), doc.last(), document_context(doc, content))
        else {
            continue;
        };
        let end = last.at + last.text.len();
        let kind_line = doc.iter().any(|l| {
            is_kind_line(l.text) && crate::spans::touches(spans, (l.at, l.at + l.text.len() + 1))
        });
        let edge = crate::spans::touches(spans, (context.0, first.at))
            || (end + 1 < context.1 && crate::spans::touches(spans, (end + 1, context.1)));
        if kind_line || edge {
            out.push(context);
        }
    }
    out
}

/// The kind a `kind:` line names, unquoted.
fn kind_of(line: &[u8]) -> Option<&[u8]> {
    line.trim_ascii()
        .strip_prefix(b"kind:")
        .map(|k| unquote(k.trim_ascii()))
}

/// A manifest's `kind: <Word>` line (not code's `kind: Kind::Host,`).
fn is_kind_line(line: &[u8]) -> bool {
    kind_of(line).is_some_and(|k| !k.is_empty() && k.iter().all(u8::is_ascii_alphanumeric))
}

/// A document's span, from the newline before its first line into the
/// line after its last (an added or removed `---` touches it); `None` for a
/// document of no lines.
fn document_context(doc: &[Line<'_>], content: &[u8]) -> Option<(usize, usize)> {
    let (first, last) = (doc.first()?, doc.last()?);
    Some((
        first.at.saturating_sub(1),
        (last.at + last.text.len() + 2).min(content.len()),
    ))
}

/// Values under `data:` in YAML documents whose `kind` is `Secret` (not
/// `SealedSecret`, whose `encryptedData` is ciphertext, and not
/// `stringData`, which is plain already).
fn secret_data(content: &[u8]) -> Vec<Decoded> {
    let mut out = Vec::new();
    // Splitting into lines is the cost; code says `Secret` everywhere, a
    // manifest says `kind: Secret`.
    let declares_secret = memmem::find_iter(content, b"kind:").any(|at| {
        let rest = &content[at + 5..];
        let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
        unquote(line.trim_ascii()) == b"Secret"
    });
    if !declares_secret {
        return out;
    }
    let all: Vec<Line<'_>> = lines(content).collect();
    for doc in all.split(|l| l.text.starts_with(b"---")) {
        let is_secret = doc.iter().any(|l| kind_of(l.text) == Some(b"Secret"));
        let Some(context) = document_context(doc, content).filter(|_| is_secret) else {
            continue;
        };
        let mut data_indent = None;
        for line in doc {
            let trimmed = line.text.trim_ascii();
            if trimmed.is_empty() || trimmed.starts_with(b"#") {
                continue;
            }
            match data_indent {
                Some(indent) if line.indent > indent => {
                    if let Some(d) = secret_value(line, context) {
                        out.push(d);
                    }
                }
                _ => data_indent = (trimmed == b"data:").then_some(line.indent),
            }
        }
    }
    out
}

/// One `key: base64` line of a Secret's `data:`.
fn secret_value(line: &Line<'_>, context: (usize, usize)) -> Option<Decoded> {
    let colon = line.text.iter().position(|&b| b == b':')?;
    let key = line.text[..colon].trim_ascii();
    let raw = &line.text[colon + 1..];
    let value = unquote(raw.trim_ascii());
    if value.is_empty() || !value.iter().all(|&b| is_b64(b) || b == b'=') {
        return None;
    }
    let decoded = decode_text(value)?;
    // The value's offset: find it in the part of the line after the colon.
    let offset = memmem::find(raw, value)?;
    let start = line.at + colon + 1 + offset;
    let text = if decoded.contains(&b'\n') {
        decoded
    } else {
        [unquote(key), b": ", &decoded].concat()
    };
    Some(Decoded {
        start,
        end: start + value.len(),
        text,
        context,
        is_secret_data: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// Near a span of lines, exactly the values a whole decode finds whose
    /// context overlaps it, on each line in turn: inline values on that
    /// line, and Secret data when any line of its document is the span.
    #[test]
    fn near_finds_what_whole_finds_on_those_lines() {
        let text = format!(
            "a = \"{}\"\nplain line\n---\nkind: Secret\ndata:\n  k: {}\n---\nurl: {}\n",
            b64("postgres://app:${DB_PASSWORD}@db.internal:5432/app"),
            b64("a secret value"),
            b64("another long enough decoded text value here"),
        );
        let text = text.as_bytes();
        let whole = decoded_values(text);
        assert_eq!(whole.len(), 3);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text) {
            let span = [(start, end + 1)];
            let mut expected: Vec<&Decoded> = whole
                .iter()
                .filter(|d| d.context.0 < end + 1 && start < d.context.1)
                .collect();
            let near = decoded_values_near(text, &span);
            if text[start..].starts_with(b"kind: Secret") {
                assert!(
                    near.iter().any(|d| d.is_secret_data),
                    "the kind line brings its data"
                );
            }
            let mut got: Vec<&Decoded> = near.iter().collect();
            expected.sort_by_key(|d| d.start);
            got.sort_by_key(|d| d.start);
            assert_eq!(got, expected, "line at {start}");
            start = end + 1;
        }
    }

    /// Secret data is decoded with its key, and the span is the encoded value.
    #[test]
    fn decodes_secret_data_with_key() {
        let enc = b64("example-password");
        let yaml = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: {enc}\n  user: \"{}\"\n",
            b64("app")
        );
        let found = decoded_values(yaml.as_bytes());
        assert_eq!(found.len(), 2);
        let d = &found[0];
        assert!(d.is_secret_data);
        assert_eq!(&yaml.as_bytes()[d.start..d.end], enc.as_bytes());
        assert_eq!(d.text, b"password: example-password");
        assert_eq!(found[1].text, b"user: app");
    }

    /// `stringData`, ConfigMaps and SealedSecrets are not Secret data.
    #[test]
    fn only_secret_data_is_secret_data() {
        let enc = b64("placeholder");
        for yaml in [
            format!("kind: Secret\nstringData:\n  password: {enc}\n"),
            format!("kind: ConfigMap\ndata:\n  password: {enc}\n"),
            format!("kind: SealedSecret\nspec:\n  encryptedData:\n    password: {enc}\n"),
        ] {
            assert!(decoded_values(yaml.as_bytes()).is_empty(), "{yaml}");
        }
    }

    /// In a multi-document file, only the Secret's data is decoded, and the
    /// block ends where indentation returns to `data:`'s level.
    #[test]
    fn secret_data_is_per_document() {
        let yaml = format!(
            "kind: ConfigMap\ndata:\n  a: {}\n---\nkind: Secret\ndata:\n  b: {}\ntype: Opaque\nother: {}\n",
            b64("first"),
            b64("second"),
            b64("third")
        );
        let texts: Vec<Vec<u8>> = decoded_values(yaml.as_bytes())
            .into_iter()
            .map(|d| d.text)
            .collect();
        assert_eq!(texts, vec![b"b: second".to_vec()]);
    }

    /// A long base64 string in quotes or after `=` is decoded when its
    /// content is text; short, binary, hex and undelimited runs are not.
    #[test]
    fn decodes_long_inline_text_only() {
        let text = "postgres://app:${DB_PASSWORD}@db.internal:5432/app";
        let enc = b64(text);
        let quoted = format!("url = \"{enc}\"\n");
        let d = decoded_values(quoted.as_bytes());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].text, text.as_bytes());
        assert!(!d[0].is_secret_data);
        assert_eq!(&quoted.as_bytes()[d[0].start..d[0].end], enc.as_bytes());
        assert_eq!(decoded_values(format!("URL={enc}").as_bytes()).len(), 1);

        let binary =
            base64::engine::general_purpose::STANDARD.encode([0u8, 159, 146, 150].repeat(10));
        for quiet in [
            format!("x = \"{}\"", b64("short")),
            format!("x = \"{binary}\""),
            "sum = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\""
                .to_string(),
            format!("src: url(data:text/plain;base64,{enc})"),
            format!("plain {enc} words"),
            format!("x = \"{enc}.tail\""),
        ] {
            assert!(decoded_values(quiet.as_bytes()).is_empty(), "{quiet}");
        }
        // A quoted data URL of JSON is a value; an image's is not.
        let json = format!("const CREDS = 'data:application/json;base64,{enc}';");
        let d = decoded_values(json.as_bytes());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].text, text.as_bytes());
        let image = format!("const LOGO = 'data:image/png;base64,{enc}';");
        assert!(decoded_values(image.as_bytes()).is_empty());
    }

    /// URL-safe base64 decodes too; mixed alphabets do not.
    #[test]
    fn url_safe_alphabet() {
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode("token=???>>>some readable text here, long enough");
        assert!(enc.contains('_') || enc.contains('-'), "{enc}");
        assert_eq!(decoded_values(format!("v: {enc}\n").as_bytes()).len(), 1);
        assert!(decode_text(b"ab-c+def").is_none());
    }
}
