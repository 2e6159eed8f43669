//! The sink reader's tests: arguments by position and name, in the forms
//! of several languages.

use super::*;

/// A sink reading argument `arg`, or the arguments `named`.
pub(crate) fn sink(arg: Option<usize>, named: &[&str]) -> Sink {
    Sink {
        arg,
        named: named.iter().map(|s| s.to_string()).collect(),
    }
}

/// The literal `sink` names in `call` (written up to and including
/// its `(`), as text.
fn found(call: &str, sink: &Sink) -> Option<String> {
    let open = call.find('(').unwrap() + 1;
    literal_argument(call.as_bytes(), open, sink).map(|l| call[l.start..l.end].to_string())
}

/// Positional and named arguments, in the forms of several languages.
#[test]
fn finds_the_named_or_placed_literal() {
    let key = sink(Some(2), &["key", "secret"]);
    assert_eq!(
        found(r#"encode(claims, "s3cr3t-Key")"#, &key).as_deref(),
        Some("s3cr3t-Key")
    );
    assert_eq!(
        found(r#"encode(claims, key='k-1', algorithm="HS256")"#, &key).as_deref(),
        Some("k-1")
    );
    assert_eq!(
        found(r#"encode(claims, algorithm="HS256", key="k-2")"#, &key).as_deref(),
        Some("k-2")
    );
    assert_eq!(
        found("encode(\n  claims,\n  'k-3',  # the key\n)", &key).as_deref(),
        Some("k-3")
    );
    assert_eq!(
        found(r#"Sign(claims, key: "k-4")"#, &key).as_deref(),
        Some("k-4")
    );
    assert_eq!(
        found(r#"encode(claims, :key => "k-5")"#, &key).as_deref(),
        Some("k-5")
    );
    assert_eq!(
        found(r#"encode(f(a, b), "k-6")"#, &key).as_deref(),
        Some("k-6")
    );
    assert_eq!(
        found(r#"encode({"a": [1, 2]}, `k-7`)"#, &key).as_deref(),
        Some("k-7")
    );
    // a signature's typed default is the parameter's value, and a
    // type is never read as a name to follow
    let typed = sink(None, &["password"]);
    assert_eq!(
        found(
            "def add(self, password: str = 'pw-0', shell: str = '/bin/sh'):",
            &typed
        )
        .as_deref(),
        Some("pw-0")
    );
    assert_eq!(
        found(
            "def add(self, password: Optional[str] = None, shell: str = '/bin/sh'):",
            &typed
        ),
        None
    );
    let options = sink(None, &["password"]);
    assert_eq!(
        found(
            r#"new Client({ host: 'db', password: 'pw-1', port: 5432 })"#,
            &options
        )
        .as_deref(),
        Some("pw-1")
    );
    assert_eq!(
        found(r#"connect({"password": "pw-2"})"#, &options).as_deref(),
        Some("pw-2")
    );
    assert_eq!(
        found(r#"connect(['password' => 'pw-3'])"#, &options).as_deref(),
        Some("pw-3")
    );
}

/// Byte conversions of a literal keep the literal.
#[test]
fn conversions_of_a_literal_count() {
    let first = sink(Some(1), &[]);
    for call in [
        r#"SignedString([]byte("k-b"))"#,
        r#"Key(Encoding.UTF8.GetBytes("k-b"))"#,
        r#"Key(new TextEncoder().encode("k-b"))"#,
        r#"Key("k-b".getBytes(StandardCharsets.UTF_8))"#,
        r#"Key("k-b".encode())"#,
        r#"Key(b"k-b")"#,
        r#"Key(Buffer.from("k-b", "utf8"))"#,
        r#"Key(@"k-b")"#,
        r#"Key(Keys.hmacShaKeyFor("k-b".getBytes()))"#,
    ] {
        assert_eq!(found(call, &first).as_deref(), Some("k-b"), "{call}");
    }
}

/// What is not a literal is not a secret: variables, lookups, calls,
/// concatenations and interpolations.
#[test]
fn anything_but_a_literal_is_not_a_secret() {
    let key = sink(Some(2), &["key"]);
    for call in [
        "encode(claims, SECRET_KEY)",
        r#"encode(claims, os.environ["JWT_SECRET"])"#,
        r#"encode(claims, os.getenv("JWT_SECRET"))"#,
        r#"encode(claims, settings.SECRET_KEY)"#,
        r#"encode(claims, "prefix" + suffix)"#,
        r#"encode(claims, f"{prefix}-key")"#,
        r#"encode(claims, $"{prefix}-key")"#,
        r#"encode(claims, `${prefix}-key`)"#,
        r##"encode(claims, "#{prefix}-key")"##,
        r#"encode(claims, key=get_key())"#,
        r#"encode(claims, "")"#,
        r#"encode(claims)"#,
        r#"encode(claims, "unterminated)"#,
    ] {
        assert_eq!(found(call, &key), None, "{call}");
    }
    // A keyword argument of another name is not the position's.
    assert_eq!(found(r#"encode(claims, algorithm="HS256")"#, &key), None);
    // A list whose `]` lies past the argument is not read past it.
    assert_eq!(found(r#"encode(claims, [x), "Tz8kQ3mW"]"#, &key), None);
    assert_eq!(
        found(r#"encode(claims, ["Tz8kQ3mW"].pack("H*"))"#, &key).as_deref(),
        Some("Tz8kQ3mW")
    );
}

/// A call on a comment line documents an API; code before it does not.
#[test]
fn comment_lines_are_told() {
    let text =
        b"x = 1\n  #   user.update(password: \"nohack4u\")\n// connect(p)\nconnect(p) # why\n";
    let at = |needle: &str| {
        let hay = std::str::from_utf8(text).unwrap();
        hay.find(needle).unwrap()
    };
    assert!(is_in_comment(text, at("user.update")));
    assert!(is_in_comment(text, at("connect(p)")));
    assert!(!is_in_comment(text, at("connect(p) #")));
}

/// Reading stops at the call's end, at a bracket that does not match,
/// and after MAX_ARGS bytes.
#[test]
fn reading_is_bounded() {
    let key = sink(Some(2), &[]);
    assert_eq!(found(r#"encode(a) + other("k", "v")"#, &key), None);
    assert_eq!(found(r#"encode(a, ] "k")"#, &key), None);
    let long = format!("encode({}, \"k\")", "x".repeat(MAX_ARGS + 10));
    assert_eq!(found(&long, &key), None);
}

/// A named option holding a list takes its first literal item; a list
/// of anything else, or a list as a positional argument, is not read.
#[test]
fn a_named_list_gives_its_first_literal() {
    let keys = sink(None, &["keys"]);
    assert_eq!(
        found(
            "cookieSession({ name: 'sess', keys: ['k-1', 'k-2'] })",
            &keys
        )
        .as_deref(),
        Some("k-1")
    );
    assert_eq!(
        found("cookieSession({ keys: [\n  \"k-3\",\n] })", &keys).as_deref(),
        Some("k-3")
    );
    assert_eq!(
        found("cookieSession({ keys: [process.env.KEY, 'k-4'] })", &keys),
        None
    );
    assert_eq!(found("cookieSession({ keys: [] })", &keys), None);
    assert_eq!(found("cookieSession(['k-5'])", &sink(Some(1), &[])), None);
}
