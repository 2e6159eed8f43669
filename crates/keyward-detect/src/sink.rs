//! Sinks: where code uses a credential. A sink rule's regex finds a call up
//! to the `(` that opens its arguments; this module reads the argument list
//! from there (strings, brackets and comments respected, across lines) and
//! returns the string literal in the argument the rule names, by position
//! or by name (`key=`, `key:`, `:key =>`, or a property of an options
//! object or dict passed to the call).
//!
//! Only a literal is a secret, or a name whose nearest assignment in the
//! few kilobytes above the call holds one (reported where the literal is
//! written). An environment or config lookup, a call, a concatenation or
//! an interpolated string is not: the value is elsewhere. A literal under a
//! byte conversion (`[]byte("…")`, `"…".getBytes()`, `Buffer.from("…")`)
//! counts, since that is how signing keys are passed.

use keyward_rules::Sink;

mod constant;
use constant::{assigned_value, constant};

/// How far past the `(` the arguments are read: a call whose arguments run
/// longer is not a sink this module can judge, and reading stays bounded.
/// A focused scan looks this far around its focus for sinks' keywords.
pub(crate) const MAX_ARGS: usize = 2048;

/// Calls whose single literal argument is still the literal: conversions
/// to bytes or from an encoding (hex, base64), in the languages keyward's
/// sinks cover.
const CONVERSIONS: &[&[u8]] = &[
    b"[]byte",
    b"bytes",
    b"bytearray",
    b"Buffer.from",
    b"GetBytes",
    b"encode",
    b"FromBase64String",
    b"b64decode",
    b"urlsafe_b64decode",
    b"hmacShaKeyFor",
    b"getBytes",
    b"toByteArray",
    b"from_slice",
    b"utf8",
    // hex and base64 decodes of a literal key (a name that ends with one
    // of these counts: `base64_decode`, `strict_decode64`)
    b"fromhex",
    b"unhexlify",
    b"a2b_hex",
    b"DecodeString",
    b"decode",
    b"decode64",
    b"hex2bin",
    b"decodeHex",
    b"parseHexBinary",
    b"decodeBase64",
    b"UNHEX",
    b"unhex",
    b"FromHexString",
    b"from_hex",
    b"from_base64",
    // Rust's hex-literal macro: `hex!("…")`
    b"hex!",
];

/// Methods called on a literal that leave the literal the value.
const SUFFIXES: &[&[u8]] = &[
    b"getBytes",
    b"encode",
    b"toByteArray",
    b"encodeToByteArray",
    b"as_bytes",
    b"into_bytes",
    b"to_vec",
    b"to_string",
    b"to_owned",
    b"bytes",
    b"b",
    b"toCharArray",
    b"ToCharArray",
    b"into",
    b"as_ref",
    b"as_slice",
];

/// Where a sink's literal lies: the literal's content (between its quotes)
/// and the end of the call's arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Literal {
    pub start: usize,
    pub end: usize,
    pub args_end: usize,
}

/// The literal that `sink` names among the arguments opening at `open`
/// (the index just past the `(`), if that argument is one.
pub(crate) fn literal_argument(hay: &[u8], open: usize, sink: &Sink) -> Option<Literal> {
    // A sink found by name only needs one of its names in the arguments:
    // most calls a broad call pattern finds hold none, and are not read.
    if sink.arg.is_none() {
        let args = &hay[open..hay.len().min(open.saturating_add(MAX_ARGS))];
        if !sink
            .named
            .iter()
            .any(|n| contains_ignore_case(args, n.as_bytes()))
        {
            return None;
        }
    }
    let (args, close) = split(hay, open, b')')?;
    let found = |(start, end)| Literal {
        start,
        end,
        args_end: close + 1,
    };
    let mut position = 0;
    for &(s, e) in &args {
        let (s, e) = trim(hay, s, e);
        if s == e {
            continue;
        }
        if let Some((name, value)) = named(hay, s, e) {
            if wanted(sink, &hay[name.0..name.1]) {
                return named_literal(hay, value, e)
                    .or_else(|| constant(hay, value, e, open))
                    .map(found);
            }
            continue;
        }
        position += 1;
        if sink.arg == Some(position) {
            if let Some(span) = literal(hay, s, e).or_else(|| constant(hay, s, e, open)) {
                return Some(found(span));
            }
        }
        // An options object, dict or struct literal: its properties are
        // the names.
        if let Some(inner) = object(hay, s, e, sink, 0) {
            return Some(found((inner.start, inner.end)));
        }
    }
    None
}

/// How deep objects nest before a property is no longer looked for
/// (`{ auth: { pass: … } }` is two).
const MAX_NESTING: u8 = 3;

/// Whether the line holding `at` is a comment up to `at`: it opens with
/// `#`, `//`, `/*`, `*`, `--` or `<!--` (after indentation).
pub(crate) fn is_in_comment(hay: &[u8], at: usize) -> bool {
    let start = memchr::memrchr(b'\n', &hay[..at]).map_or(0, |i| i + 1);
    let line = hay[start..at].trim_ascii_start();
    [&b"#"[..], b"//", b"/*", b"*", b"--", b"<!--"]
        .iter()
        .any(|marker| line.starts_with(marker))
}

/// The literal under one of `sink`'s names in the object that the
/// expression `s..e` is: `{ name: … }`, `["name" => …]`, a struct or
/// composite literal (`&redis.Options{Password: …}`), an object
/// initializer (`new Options { Password = … }`), at any depth up to
/// [`MAX_NESTING`].
fn object(hay: &[u8], s: usize, e: usize, sink: &Sink, depth: u8) -> Option<Literal> {
    if sink.named.is_empty() || depth >= MAX_NESTING || s >= e {
        return None;
    }
    let close = match hay[e - 1] {
        b'}' => b'}',
        b']' => b']',
        _ => return None,
    };
    let opener = if close == b'}' { b'{' } else { b'[' };
    // What comes before the brace names a type: `&pkg.Type`, `new Type`.
    let open = memchr::memchr(opener, &hay[s..e]).map(|i| s + i)?;
    let head = &hay[s..open];
    let typed = head
        .iter()
        .all(|&b| is_ident(b) || matches!(b, b'.' | b'&' | b' ' | b':' | b'\n' | b'\t'));
    if !typed {
        return None;
    }
    let (pairs, end) = split(hay, open + 1, close)?;
    if end + 1 != e {
        return None;
    }
    pairs.into_iter().find_map(|(ps, pe)| {
        let (ps, pe) = trim(hay, ps, pe);
        if ps >= pe {
            return None;
        }
        let (name, value) = named(hay, ps, pe)?;
        if wanted(sink, &hay[name.0..name.1]) {
            if let Some((start, end)) = named_literal(hay, value, pe) {
                return Some(Literal {
                    start,
                    end,
                    args_end: e,
                });
            }
        }
        object(hay, value, pe, sink, depth + 1)
    })
}

/// Whether `needle` (ASCII) occurs in `hay`, ASCII case ignored.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lower, upper, hay).any(|i| {
        hay.get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

fn wanted(sink: &Sink, name: &[u8]) -> bool {
    sink.named
        .iter()
        .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
}

/// The top-level items (split at commas) from `open` to the `close` that
/// ends them, and where it is; `None` when the list does not end within
/// [`MAX_ARGS`] or a bracket does not match.
fn split(hay: &[u8], open: usize, close: u8) -> Option<(Vec<(usize, usize)>, usize)> {
    let limit = hay.len().min(open.saturating_add(MAX_ARGS));
    let mut items = Vec::new();
    let mut stack: Vec<u8> = Vec::new();
    let mut start = open;
    let mut i = open;
    while i < limit {
        let b = hay[i];
        match b {
            b'"' | b'\'' | b'`' => {
                i = skip_string(hay, i, limit)?;
                continue;
            }
            b'#' if i == open || hay[i - 1].is_ascii_whitespace() || hay[i - 1] == b',' => {
                // A comment in Python, Ruby and shell (JavaScript's private
                // `this.#field` follows a dot).
                i = line_end(hay, i, limit);
                continue;
            }
            b'/' if hay.get(i + 1) == Some(&b'/') => {
                i = line_end(hay, i, limit);
                continue;
            }
            b'/' if hay.get(i + 1) == Some(&b'*') => {
                i = find(hay, i + 2, limit, b"*/")? + 2;
                continue;
            }
            b'(' => stack.push(b')'),
            b'[' => stack.push(b']'),
            b'{' => stack.push(b'}'),
            b')' | b']' | b'}' => match stack.pop() {
                Some(want) if want == b => {}
                Some(_) => return None,
                None if b == close => {
                    items.push((start, i));
                    return Some((items, i));
                }
                None => return None,
            },
            b',' if stack.is_empty() => {
                items.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index past the string literal whose opening quote is at `at`.
/// Triple-quoted strings (Python) end at the triple quote; a backslash
/// escapes the next byte.
fn skip_string(hay: &[u8], at: usize, limit: usize) -> Option<usize> {
    let q = hay[at];
    let triple = q != b'`' && hay.get(at..at + 3) == Some(&[q, q, q][..]);
    if triple {
        return find(hay, at + 3, limit, &[q, q, q]).map(|i| i + 3);
    }
    let mut i = at + 1;
    while i < limit {
        match hay[i] {
            b'\\' => i += 2,
            b if b == q => return Some(i + 1),
            b'\n' if q != b'`' => return None,
            _ => i += 1,
        }
    }
    None
}

fn find(hay: &[u8], from: usize, limit: usize, needle: &[u8]) -> Option<usize> {
    let hay = hay.get(from..limit)?;
    memchr::memmem::find(hay, needle).map(|i| from + i)
}

fn line_end(hay: &[u8], from: usize, limit: usize) -> usize {
    memchr::memchr(b'\n', &hay[from..limit]).map_or(limit, |i| from + i)
}

fn trim(hay: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && hay[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && hay[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    (s, e)
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// A named item `name = value`, `name: value`, `name => value`, `:name =>
/// value` or `"name": value`: the name's span and where the value starts.
fn named(hay: &[u8], s: usize, e: usize) -> Option<((usize, usize), usize)> {
    let mut i = s;
    if hay[i] == b':' {
        i += 1;
    }
    let quoted = matches!(hay.get(i), Some(b'"' | b'\''));
    let name = if quoted {
        let end = skip_string(hay, i, e)?;
        (i + 1, end - 1)
    } else {
        let from = i;
        while i < e && is_ident(hay[i]) {
            i += 1;
        }
        if i == from || hay[from].is_ascii_digit() {
            return None;
        }
        (from, i)
    };
    let mut j = if quoted { name.1 + 1 } else { name.1 };
    while j < e && matches!(hay[j], b' ' | b'\t') {
        j += 1;
    }
    let rest = &hay[j..e];
    let after = if rest.starts_with(b"=>") {
        j + 2
    } else if rest.starts_with(b"==") || rest.starts_with(b"::") {
        return None;
    } else if rest.starts_with(b"=") {
        j + 1
    } else if rest.starts_with(b":") {
        // A parameter with a type and a default (`password: str = "…"`, a
        // Python or TypeScript signature): the value is the default, read
        // as a constant's typed assignment is.
        assigned_value(hay, j, e).unwrap_or(j + 1)
    } else {
        return None;
    };
    let (value, _) = trim(hay, after, e);
    Some((name, value))
}

/// The literal a named option holds: the option's value, or the first item
/// of a list of them (cookie-session's `keys: ['…', '…']`, whose first key
/// signs and the others verify).
fn named_literal(hay: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    literal(hay, s, e).or_else(|| {
        let (s, e) = trim(hay, s, e);
        if s >= e || hay[s] != b'[' || hay[e - 1] != b']' {
            return None;
        }
        let (items, close) = split(hay, s + 1, b']')?;
        if close + 1 != e {
            return None;
        }
        let &(first_s, first_e) = items.first()?;
        literal(hay, first_s, first_e)
    })
}

/// The content span of the string literal that the expression `s..e` is,
/// directly or under a byte conversion; `None` for anything else.
fn literal(hay: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    literal_at_depth(hay, s, e, 0)
}

fn literal_at_depth(hay: &[u8], s: usize, e: usize, depth: u8) -> Option<(usize, usize)> {
    let (s, e) = trim(hay, s, e);
    if s >= e || depth > 2 {
        return None;
    }
    if let Some(found) = plain_string(hay, s, e) {
        return Some(found);
    }
    // Rust: a borrow, and a conversion's result unwrapped
    // (`&hex::decode("…").unwrap()`, `hex::decode("…")?`).
    if hay[s] == b'&' {
        return literal_at_depth(hay, s + 1, e, depth);
    }
    for tail in [&b".unwrap()"[..], b"?"] {
        if hay[s..e].ends_with(tail) {
            return literal_at_depth(hay, s, e - tail.len(), depth);
        }
    }
    // A literal with a conversion called on it: `"…".getBytes(UTF_8)`.
    if let Some(end) = quoted_end(hay, s, e) {
        let rest = &hay[end..e];
        let method = rest.strip_prefix(b".")?;
        let name_len = method.iter().take_while(|&&b| is_ident(b)).count();
        let (name, tail) = method.split_at(name_len);
        let tail_ok = tail.is_empty()
            || (tail.first() == Some(&b'(')
                && tail.last() == Some(&b')')
                && !tail[1..].contains(&b'('));
        if SUFFIXES.contains(&name) && tail_ok {
            return plain_string(hay, s, end);
        }
        return None;
    }
    // Ruby's hex to bytes: `["…"].pack("H*")`.
    if hay[s] == b'[' {
        if let Some((items, close)) = split(hay, s + 1, b']').filter(|&(_, close)| close < e) {
            let rest = &hay[close + 1..e];
            if let [(a, b)] = items[..] {
                if rest.starts_with(b".pack(") && rest.ends_with(b")") {
                    return literal_at_depth(hay, a, b, depth + 1);
                }
            }
        }
    }
    // A conversion of a literal: `[]byte("…")`, `Encoding.UTF8.GetBytes("…")`.
    if hay[e - 1] != b')' {
        return None;
    }
    let open = last_call_open(hay, s, e)?;
    let callee = &hay[s..open];
    let callee = callee.strip_prefix(b"new ").unwrap_or(callee);
    let last = callee
        .rsplit(|&b| b == b'.')
        .next()
        .filter(|l| !l.is_empty())?;
    let known = CONVERSIONS
        .iter()
        .any(|c| callee.ends_with(c) || last == *c);
    let callee_ok = callee.iter().all(|&b| {
        is_ident(b) || matches!(b, b'.' | b'[' | b']' | b'(' | b')' | b' ' | b':' | b'!')
    });
    if !known || !callee_ok {
        return None;
    }
    let (args, close) = split(hay, open + 1, b')')?;
    if close + 1 != e {
        return None;
    }
    let &(first_s, first_e) = args.first()?;
    literal_at_depth(hay, first_s, first_e, depth + 1)
}

/// The `(` of the last call at the top level of `s..e`: in
/// `new TextEncoder().encode("…")`, the one after `encode`.
fn last_call_open(hay: &[u8], s: usize, e: usize) -> Option<usize> {
    let (mut depth, mut last, mut i) = (0usize, None, s);
    while i < e {
        match hay[i] {
            b'"' | b'\'' | b'`' => {
                i = skip_string(hay, i, e)?;
                continue;
            }
            b'(' => {
                if depth == 0 {
                    last = Some(i);
                }
                depth += 1;
            }
            b')' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        i += 1;
    }
    last
}

/// The index past the closing quote of the string literal starting at `s`
/// (after an allowed prefix), if one does.
fn quoted_end(hay: &[u8], s: usize, e: usize) -> Option<usize> {
    let q = string_start(hay, s, e)?;
    skip_string(hay, q, e)
}

/// Where the opening quote is, past a prefix that keeps a literal a
/// literal: `b`, `r`, `u`, `br`, `rb` (Python, Rust), `@` (C#). An `f`
/// (Python) or `$` (C#) prefix interpolates: not a literal.
fn string_start(hay: &[u8], s: usize, e: usize) -> Option<usize> {
    let mut q = s;
    while q < e && q - s < 2 && matches!(hay[q], b'b' | b'B' | b'r' | b'R' | b'u' | b'U' | b'@') {
        q += 1;
    }
    matches!(hay.get(q), Some(b'"' | b'\'' | b'`')).then_some(q)
}

/// The content span of `s..e` when it is exactly one string literal
/// without interpolation.
fn plain_string(hay: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    let q = string_start(hay, s, e)?;
    let end = skip_string(hay, q, e)?;
    if end != e {
        return None;
    }
    let quote = hay[q];
    let triple = quote != b'`' && hay.get(q..q + 3) == Some(&[quote, quote, quote][..]);
    let (cs, ce) = if triple {
        (q + 3, e - 3)
    } else {
        (q + 1, e - 1)
    };
    let content = &hay[cs..ce];
    let interpolates = memchr::memmem::find(content, b"${").is_some()
        || (quote != b'\'' && memchr::memmem::find(content, b"#{").is_some());
    (!interpolates && cs < ce).then_some((cs, ce))
}

#[cfg(test)]
pub(crate) mod tests;
