//! The shared placeholder classifier: values that look like a secret's slot
//! rather than a secret (`changeme`, `<YOUR_TOKEN>`, `${VAR}`, `xxxx`,
//! documented example keys), and values encrypted at rest (SOPS `ENC[…]`,
//! Ansible Vault), which are safe to commit. Every rule uses it unless it
//! opts out, so the same value is never a placeholder for one rule and a
//! finding for another.

/// Whole values (compared case-insensitively, after trimming quotes) that are
/// never real secrets.
const WORDS: &[&str] = &[
    "psw",
    "scott",
    "tiger",
    "foobared",
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "key",
    "changeme",
    "change_me",
    "change-me",
    "changethis",
    "example",
    "dummy",
    "placeholder",
    "redacted",
    "removed",
    "hidden",
    "test",
    "testing",
    "test123",
    "foo",
    "bar",
    "foobar",
    "baz",
    "null",
    "nil",
    "none",
    "undefined",
    "true",
    "false",
    "todo",
    "tbd",
    "fixme",
    "sample",
    "default",
    "value",
    "string",
    "mypassword",
    "yourpassword",
    "my_password",
    "your_password",
    "secretpassword",
    "supersecret",
    "notasecret",
    "invalid",
    "incorrect",
    "wrong",
    "user",
    "username",
    "admin",
    "root",
    "guest",
    "empty",
    "unset",
    "required",
    "optional",
    // sample values in docs, tutorials and tests, too common to be leaks
    "secret123",
    "password1",
    "password123",
    "pass1234",
    "admin123",
];

/// Substrings (case-insensitive) that mark a placeholder anywhere in a value.
/// Each is long or unusual enough not to occur by chance in random tokens.
const MARKERS: &[&str] = &[
    "example",
    "changeme",
    "change_me",
    "change-me",
    "change_this",
    "change-this",
    "changethis",
    "placeholder",
    "redacted",
    // GitLab's and others' job logs mask a secret variable's value
    "[masked]",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "_here",
    "-here",
    "xxxx",
    "****",
    "....",
    "…",
    "${",
    "{}",
    "#{",
    "{{",
    "}}",
    "%(",
    "$(",
    "dummy",
    "insert",
    "replace",
    // Test fixtures mark their fakes (`…FAKE…`, `thisisfake`); four letters
    // turn up in a random 40-character token about once in 25,000.
    "fake",
    "not_a_real",
    "not-a-real",
    "notreal",
];

/// Keys that providers' documentation publishes as examples, with their
/// sources: `patterns/documented-examples.txt`, one value and its source
/// per line.
pub(crate) const DOCUMENTED_EXAMPLES: &str =
    include_str!("../../../patterns/documented-examples.txt");

/// Whether `text` is a key that a provider's documentation publishes.
pub fn is_documented_example(text: &str) -> bool {
    static VALUES: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    VALUES
        .get_or_init(|| {
            DOCUMENTED_EXAMPLES
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .filter_map(|l| l.split_whitespace().next())
                .collect()
        })
        .contains(text)
}

/// True when a candidate secret is a placeholder, an interpolation, a
/// documented example, or too regular to be random.
pub fn is_placeholder(secret: &[u8]) -> bool {
    let trimmed = trim_quotes(secret);
    if trimmed.is_empty() {
        return true;
    }
    let Ok(text) = std::str::from_utf8(trimmed) else {
        return false;
    };
    if is_documented_example(text) || is_encrypted(text) {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if WORDS.contains(&lower.as_str()) {
        return true;
    }
    if MARKERS.iter().any(|m| lower.contains(m)) || is_angle_template(text) {
        return true;
    }
    if is_variable_reference(text) || (text.starts_with('{') && text.ends_with('}')) {
        return true;
    }
    // Truncated for display (`"identitytoken": "9cbaf023786cd7..."`): API
    // documentation shows the shape of a value, not a value.
    if text.ends_with("...") || text.ends_with('…') {
        return true;
    }
    is_regular(trimmed) || repeats_a_chunk(trimmed)
}

fn trim_quotes(s: &[u8]) -> &[u8] {
    let s = s.trim_ascii();
    let s = s.strip_prefix(b"\"").unwrap_or(s);
    let s = s.strip_suffix(b"\"").unwrap_or(s);
    let s = s.strip_prefix(b"'").unwrap_or(s);
    s.strip_suffix(b"'").unwrap_or(s)
}

/// A value shaped by angle brackets the way templates and documentation
/// shape one: a slot holding a name (`<your-token>`, `key-<ENV>`), a value
/// that opens or closes with one, or template and markup tags (`<%= … %>`,
/// `<?php`, `</x>`, `<<EOF`). A lone `<` or `>` among random characters is
/// part of the value: generated salts and passwords hold them.
fn is_angle_template(text: &str) -> bool {
    if text.starts_with('<') || text.ends_with('>') {
        return true;
    }
    if ["<%", "%>", "<?", "?>", "<<", ">>", "</", "/>"]
        .iter()
        .any(|m| text.contains(m))
    {
        return true;
    }
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'<'
            && bytes[i + 1..]
                .iter()
                .position(|&c| c == b'>')
                .is_some_and(|len| {
                    len > 0
                        && bytes[i + 1..i + 1 + len]
                            .iter()
                            .all(|c| c.is_ascii_alphanumeric() || b"_ .:-".contains(c))
                })
    })
}

/// Keys that providers issue to be shipped in apps and web pages, by their
/// documented prefixes: Stripe's publishable keys (`pk_live_`, `pk_test_`,
/// then mixed-case base62: Courier's secret `pk_test_` tokens are upper
/// case), Mapbox's public tokens (`pk.eyJ`), RevenueCat's public SDK keys
/// (`appl_`, `goog_`, `amzn_`), PostHog's project keys (`phc_`: its
/// personal keys, `phx_`, are secret), Midtrans's client keys
/// (`Mid-client-`, for Snap in the browser). Whatever name holds one, it
/// is not a secret.
pub fn is_public_by_design(value: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"pk.eyJ",
        b"appl_",
        b"goog_",
        b"amzn_",
        b"phc_",
        b"Mid-client-",
        b"SB-Mid-client-",
    ];
    let value = trim_quotes(value);
    let stripe = [&b"pk_live_"[..], b"pk_test_"].iter().any(|p| {
        value
            .strip_prefix(*p)
            .is_some_and(|rest| rest.iter().any(u8::is_ascii_lowercase))
    });
    stripe || PREFIXES.iter().any(|p| value.starts_with(p))
}

/// SOPS values and Ansible Vault payloads: ciphertext that tools commit on
/// purpose, whatever the name it is assigned to.
fn is_encrypted(text: &str) -> bool {
    text.starts_with("ENC[AES256_GCM,") || text.starts_with("$ANSIBLE_VAULT;")
}

/// `$VAR`, `%VAR%`, `env:VAR`, `@VAR@`: a reference, not a value.
fn is_variable_reference(text: &str) -> bool {
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if let Some(rest) = text.strip_prefix('$') {
        return ident(rest);
    }
    if let Some(rest) = text.strip_prefix('%').and_then(|r| r.strip_suffix('%')) {
        return ident(rest);
    }
    if let Some(rest) = text.strip_prefix('@').and_then(|r| r.strip_suffix('@')) {
        return ident(rest);
    }
    false
}

/// A value whose letters and digits are mostly runs of four or more repeated
/// or consecutive characters (`123456`, `abcdef`, `aaaa`) is regular, not
/// random; random tokens almost never hold such runs.
fn is_regular(value: &[u8]) -> bool {
    let alnum: Vec<u8> = value
        .iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    if alnum.len() < 4 {
        return false;
    }
    let mut in_runs = 0;
    let mut run = 1;
    for i in 1..=alnum.len() {
        let continues = i < alnum.len()
            && (alnum[i] == alnum[i - 1] || alnum[i] == alnum[i - 1].wrapping_add(1));
        if continues {
            run += 1;
        } else {
            if run >= 4 {
                in_runs += run;
            }
            run = 1;
        }
    }
    in_runs * 10 >= alnum.len() * 6
}

/// A value that is mostly one chunk of four to eight characters, not all
/// the same, repeated (`testingtestingtesting`, `abc1abc1abc1`) is typed,
/// not random. Half the value or more must be the repetition: formats
/// encode fixed fields in base64 (a JFrog reference token's expiry of zero
/// reads `MDAwMDAwMDAw`), and pad with one character (Twitter's bearer
/// tokens open with 21 `A`s, left to [`is_regular`]).
fn repeats_a_chunk(value: &[u8]) -> bool {
    (4..=8).any(|len| {
        (0..value.len().saturating_sub(len * 3 - 1)).any(|start| {
            let chunk = &value[start..start + len];
            if chunk.iter().all(|&x| x == chunk[0]) {
                return false;
            }
            let times = value[start..]
                .chunks_exact(len)
                .take_while(|c| *c == chunk)
                .count();
            times >= 3 && times * len * 2 >= value.len()
        })
    })
}

/// Substrings that mark a human-chosen value (a password, a passphrase) as
/// documentation rather than a credential: `SomeKindOfPassword123`,
/// `MyTestDatabaseSecret`, SQLAlchemy's `scott:tiger`. Only for rules whose
/// secrets people choose; a prefixed token such as `sb_secret_…` contains
/// such words by design.
const HUMAN_MARKERS: &[&str] = &[
    "password", "passwd", "secret", "tiger", "foobar", "mytest", "hunter2",
];

/// True when a human-chosen value is a placeholder: the shared checks, a
/// marker word, a `[bracketed]` slot, or fewer than four characters.
pub fn is_human_placeholder(secret: &[u8]) -> bool {
    let trimmed = trim_quotes(secret);
    if trimmed.len() < 4 || trimmed.starts_with(b"[") {
        return true;
    }
    let lower = trimmed.to_ascii_lowercase();
    HUMAN_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(&lower, m.as_bytes()).is_some())
}

/// True when a value reads like a code identifier (`defaultToConfig2`,
/// `stringToUint8Array`): letters and digits only, a letter first, at
/// most two runs of digits from 16 characters on, at least half of it in runs of three or more
/// lowercase letters, and those runs read as words (a quarter or more of
/// their letters vowels, `y` counted). Random tokens have few such runs
/// (about one character in ten for base62), fewer vowels in them (6 letters
/// in 26) and digits scattered: measured on 200k random base62 tokens of
/// 16–40 characters, 0.35% pass as identifiers (1.1% without the vowel and
/// digit tests), on 100k lowercase-and-digit ones 2% (22% without the digit
/// test), while 99% of the 6k identifiers of that shape in crates and npm
/// packages still do.
pub fn is_identifier_like(secret: &[u8]) -> bool {
    let value = trim_quotes(secret);
    if value.is_empty() || !value.iter().all(u8::is_ascii_alphanumeric) || value[0].is_ascii_digit()
    {
        return false;
    }
    let digit_runs = value
        .split(|b| !b.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .count();
    // (Under 16 characters, digits among words are leetspeak: `conta1n3rize14`.)
    if digit_runs > 2 && value.len() >= 16 {
        return false;
    }
    let (mut in_runs, mut vowels) = (0, 0);
    let (mut run, mut run_vowels) = (0, 0);
    for &b in value.iter().chain(std::iter::once(&b'0')) {
        if b.is_ascii_lowercase() {
            run += 1;
            run_vowels += usize::from(b"aeiouy".contains(&b));
        } else {
            if run >= 3 {
                in_runs += run;
                vowels += run_vowels;
            }
            (run, run_vowels) = (0, 0);
        }
    }
    in_runs * 2 >= value.len() && vowels * 4 >= in_runs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented kinds of placeholder are all recognised.
    #[test]
    fn recognises_placeholders() {
        for p in [
            "changeme",
            "OIUHF_CHANGE_THIS_12h88",
            "<YOUR_TOKEN>",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "%(password)s",
            "{{ .Values.token }}",
            "xxxxxxxxxxxxxxxx",
            "********",
            "your_api_key_here",
            "AKIAIOSFODNN7EXAMPLE",
            "1234567890",
            "abcdefghij",
            "aaaaaaaaaaaa",
            "'password'",
            "%APP_SECRET%",
            "k6JXtY3WBtU$thisisfakeZDqVcjZxYI",
            "base64:testingtestingtestingtestingtestin=",
            "abc1abc1abc1xyz",
            "key-<ENV>-v2",
            "<%= ENV['TOKEN'] %>",
            "sntrys_eyJFAKEiOjE3NDIzNjM1NTIuNTAzMzA5",
            "secret123",
            "#{ENV['DB_PASSWORD']}",
            "ENC[AES256_GCM,data:q8Fz2LpW7vXk,iv:c29tZWl2,tag:dGFn,type:str]",
            "$ANSIBLE_VAULT;1.1;AES256",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p} should be a placeholder");
        }
    }

    /// Documentation passwords and identifiers are recognised; random values
    /// are not.
    #[test]
    fn human_placeholders_and_identifiers() {
        for p in [
            "SomeKindOfPassword123!@#",
            "MyTestDatabaseSecret-a1b2c3",
            "tiger^5HHH",
            "[password]]",
            "p",
        ] {
            assert!(is_human_placeholder(p.as_bytes()), "{p}");
        }
        assert!(!is_human_placeholder(b"Zk8#qW2vLp5x"));
        for i in [
            "defaultToConfig2",
            "stringToUint8Array",
            "generateEncryptionKeyBase64",
            "PKCS7PrivateKeyTypes",
            "conta1n3rize14",
        ] {
            assert!(is_identifier_like(i.as_bytes()), "{i}");
        }
        for r in [
            "q8Fz2LpW7vXk4NcRt6Yh",
            "3f9a7c1e5b2d8f4a6c0e9b7d",
            "Xk29vLq8Wz4Rt7Np3Hj6Bc",
            // Long lowercase runs by chance, but no words in them, or a
            // digit first.
            "tXjghlnnSmhvcYpvcGU5WQIjvcHTspiJpVp",
            "8rHhpuugtXxn9nhahwllT",
            "f05x5bbs3lhh773qf4naomhigod6oybi",
        ] {
            assert!(!is_identifier_like(r.as_bytes()), "{r}");
        }
    }

    /// A value cut short with an ellipsis is documentation.
    #[test]
    fn truncated_values_are_placeholders() {
        assert!(is_placeholder(b"9cbaf023786cd7..."));
        assert!(is_placeholder("Zx9Kq2LmN4pR7sT1\u{2026}".as_bytes()));
        assert!(!is_placeholder(b"Zx9Kq2LmN4pR7sT1.v2"));
    }

    /// Random-looking values are not placeholders.
    #[test]
    fn keeps_random_values() {
        for s in [
            "q8Fz2LpW7vXk4NcR",
            "hunter2isnotrandom9Z",
            "9f86d081884c7d659a2feaa0c55ad015",
        ] {
            assert!(
                !is_placeholder(s.as_bytes()),
                "{s} should not be a placeholder"
            );
        }
    }

    /// A chunk repeated three times in a row is typed; random tokens in
    /// base62 or hex (100,000 of each) hold none.
    #[test]
    fn random_tokens_repeat_no_chunk() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let alphabets: [(&[u8], usize); 2] = [
            (
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                40,
            ),
            (b"0123456789abcdef", 64),
        ];
        for (alphabet, len) in alphabets {
            for _ in 0..100_000 {
                let token: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        alphabet[(state % alphabet.len() as u64) as usize]
                    })
                    .collect();
                assert!(
                    !repeats_a_chunk(&token),
                    "{}",
                    String::from_utf8_lossy(&token)
                );
            }
        }
        assert!(repeats_a_chunk(b"xtestingtestingtestingy"));
        assert!(!repeats_a_chunk(b"testingtesting"));
        assert!(!repeats_a_chunk(b"AAAAAAAAAAAAAAAAAAAAAMLheAgAAAAA0%2Buuv"));
        // A JFrog reference token's shape, in two pieces so that keyward's
        // own tree scans clean.
        let jfrog = concat!(
            "cmVmdGtuOjAxOj",
            "AwMDAwMDAwMDA6awJQVlZkdEVyWXJ2cVNSemAABVQ1bwaBSWtE"
        );
        assert!(!repeats_a_chunk(jfrog.as_bytes()));
        assert!(repeats_a_chunk(
            b"base64:testingtestingtestingtestingtestin="
        ));
    }

    /// A lone angle bracket among random characters is part of a value (a
    /// WordPress salt, a generated password); a slot or a tag is a template.
    #[test]
    fn angle_brackets_mark_templates_not_values() {
        assert!(!is_angle_template(
            "PXe9YcoZ:3mnM5P_Ny2Nvna8HfubY;#+%SGH1_*5Zl.q1X.E>?Bz=47Eiz>Hp|"
        ));
        assert!(!is_angle_template("k8#Lq<2vW!9zR"));
        for t in [
            "<token>",
            "sk_live_<key>",
            "abc>",
            "<%= x %>",
            "a<?php",
            "x</y",
        ] {
            assert!(is_angle_template(t), "{t}");
        }
    }

    /// Publishable keys are public by their provider's design; the secret
    /// keys beside them are not.
    #[test]
    fn publishable_keys_are_public() {
        for v in [
            "pk_live_51dOvJSnjaTazd3IP",
            "pk.eyJ1IjoiYWNtZSJ9.x",
            "appl_AoWpUK9X6K1fErN7",
            "goog_KWEeTSdvJHDX",
            "phc_wDxAimg08x2T4VAyTbcoMXLbe2AFMymXzIBF3CfOU2P",
        ] {
            assert!(is_public_by_design(v.as_bytes()), "{v}");
        }
        for v in [
            "sk_live_51dOvJSnjaTazd3IP",
            "sk.eyJ1IjoiYWNtZSJ9.x",
            "rk_live_4eC39HqLyjWD",
            // a Courier token, in two pieces (keyward's tree scans clean)
            concat!("pk_test_", "4DTTYUS3W6SK4SAMK9C8O67E2NY4"),
        ] {
            assert!(!is_public_by_design(v.as_bytes()), "{v}");
        }
    }
}
