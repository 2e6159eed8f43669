//! Structural verifiers a rule can name to reject random look-alikes without
//! any network access: checksums that providers embed in their tokens, and
//! headers that must decode to something meaningful.

use base64::Engine;
use serde::{Deserialize, Serialize};

/// A check on a candidate secret that only real tokens pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verifier {
    /// GitHub and npm tokens: `prefix_` + 30 random base62 + a 6-character
    /// base62 CRC32 of the random part.
    Base62Crc32,
    /// A JWT whose header decodes to a JSON object with an `alg` member,
    /// and that is not a Supabase anon key (public by design).
    JwtHeader,
    /// HTTP Basic credentials: base64 of printable `user:password`.
    BasicAuth,
    /// A URL's password that is not a local development default: on a
    /// local host (`localhost`, `127.x`, `::1`, `0.0.0.0`,
    /// `host.docker.internal`, or a one-label service name such as `db`), a
    /// password equal to the user, or a plain word with at most four digits
    /// after it (`postgres`, `mypass`, `test1234`), is what templates,
    /// CI services and documentation hold; a percent-escaped one
    /// (`foo%40bar`) is a URL parser's test vector.
    UrlNotLocalDefault,
    /// A password that no other argument of its call repeats: a call that
    /// passes the same literal as user and password (`user="postgres",
    /// password="postgres"`) holds a well-known default.
    NotUserAsPassword,
    /// A Discord bot token: its first part is the bot's user id (a
    /// snowflake, 17 to 20 digits) in base64url.
    DiscordToken,
    /// A password a person chose from words and digits (`bluefalcon77`,
    /// `Summer2023`, `kettle03?`, `t20m30fk`): 8 to 32 letters, digits and
    /// the signs `! @ # ? = + * _ . -`, a digit and two letters among
    /// them, that the generic rules leave: read as a word or an
    /// identifier, snake_case or dotted lower-case names, or under
    /// generic-password's entropy gate (2.8 bits, which a short value with
    /// a repeated letter misses). Only those: a value
    /// generic-password reports is its finding, not this one's. A value with
    /// `.` or `_` counts only quoted (unquoted, `settings.db_pass2` is code).
    WordsAndDigits,
    /// A Google app password as Google shows it: 16 lower-case letters,
    /// in four groups of four joined by spaces, none a word of a sentence
    /// and at most eight vowels (`y` counted; random letters hold about
    /// four); or run together where the generic rules read the letters as
    /// a word and leave them, with fewer than seven vowels (English has
    /// about as many).
    AppPassword,
    /// A passphrase: three to eight words joined by one kind of separator
    /// (a space, `.`, `_` or `-`), each word 3 to 12 letters or a number
    /// of up to four digits, three of them words, all in one case (lower,
    /// capitalised or upper: a label is in sentence case), none of them a
    /// word of a sentence, a form or a placeholder (`the`, `your`, `enter`,
    /// `example`) or holding the word for password in a label's language
    /// (`Passwort`, `senha`), and not a constant's name or xkcd's example:
    /// `coral moss tunnel tunnel`, `lynx.lighthouse.pebble.noodle`.
    Passphrase,
}

impl Verifier {
    /// Whether `secret`, found in the match `whole`, passes.
    pub fn is_valid(self, secret: &[u8], whole: &[u8]) -> bool {
        match self {
            Verifier::Base62Crc32 => is_base62_crc32(secret),
            Verifier::JwtHeader => is_jwt(secret),
            Verifier::BasicAuth => is_basic_auth(secret),
            Verifier::UrlNotLocalDefault => !is_local_default(secret, whole),
            Verifier::DiscordToken => is_discord_token(secret),
            Verifier::WordsAndDigits => is_words_and_digits(secret, whole),
            Verifier::AppPassword => is_app_password(secret),
            Verifier::Passphrase => is_passphrase(secret),
            Verifier::NotUserAsPassword => {
                memchr::memmem::find_iter(whole, secret).nth(1).is_none()
            }
        }
    }
}

/// Whether the URL `whole` (scheme, user, the password `secret`, host) is a
/// local development default (see [`Verifier::UrlNotLocalDefault`]).
fn is_local_default(secret: &[u8], whole: &[u8]) -> bool {
    let Some(scheme_end) = memchr::memmem::find(whole, b"://") else {
        return false;
    };
    let rest = &whole[scheme_end + 3..];
    let Some(at) = memchr::memrchr(b'@', rest) else {
        return false;
    };
    let (userinfo, after) = (&rest[..at], &rest[at + 1..]);
    let user = userinfo.split(|&b| b == b':').next().unwrap_or_default();
    let host_end = after
        .iter()
        .position(|&b| matches!(b, b':' | b'/' | b'?' | b'#' | b',' | b'"' | b'\''))
        .unwrap_or(after.len());
    let host = after[..host_end].to_ascii_lowercase();
    let host = host.strip_prefix(b"[").unwrap_or(&host);
    let local = host == b"localhost"
        || host.starts_with(b"127.")
        || host.starts_with(b"::1")
        || host == b"0.0.0.0"
        || host == b"host.docker.internal"
        || (!host.is_empty() && !host.contains(&b'.') && !host.contains(&b':'));
    if !local {
        return false;
    }
    let letters = secret
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let digits = secret.len() - letters;
    let word = letters >= 3 && digits <= 4 && secret[letters..].iter().all(u8::is_ascii_digit);
    // a URL parser's test vector (`atpass:foo%40bar@127.0.0.1`)
    let escaped = secret
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    secret == user || word || escaped
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes a CRC32 as GitHub does: base62, left-padded with `0` to 6 digits.
pub fn base62_crc32(data: &[u8]) -> String {
    let mut n = crc32fast::hash(data);
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_base62_crc32(secret: &[u8]) -> bool {
    let Some(us) = secret.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let body = &secret[us + 1..];
    if body.len() < 7 {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    base62_crc32(random).as_bytes() == check
}

fn decode_b64url(part: &[u8]) -> Option<Vec<u8>> {
    let trimmed: Vec<u8> = part.iter().copied().filter(|&b| b != b'=').collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&trimmed)
        .ok()
}

fn is_jwt(secret: &[u8]) -> bool {
    let Some(header) = secret.split(|&b| b == b'.').next() else {
        return false;
    };
    let Some(json) = decode_b64url(header) else {
        return false;
    };
    let has_alg = match serde_json::from_slice::<serde_json::Value>(&json) {
        Ok(serde_json::Value::Object(map)) => map.get("alg").is_some_and(|a| a.is_string()),
        _ => false,
    };
    has_alg && !is_supabase_anon_key(secret)
}

/// Whether a JWT is a Supabase project's anon key (its payload's `iss` is
/// `supabase` and its `role` is `anon`): Supabase publishes it to browsers
/// by design, and row-level security decides what it may read. The
/// `service_role` key, which bypasses that, is still a secret.
fn is_supabase_anon_key(secret: &[u8]) -> bool {
    let Some(json) = secret.split(|&b| b == b'.').nth(1).and_then(decode_b64url) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&json) {
        Ok(serde_json::Value::Object(map)) => {
            map.get("iss").and_then(|v| v.as_str()) == Some("supabase")
                && map.get("role").and_then(|v| v.as_str()) == Some("anon")
        }
        _ => false,
    }
}

fn is_discord_token(secret: &[u8]) -> bool {
    let id = secret
        .split(|&b| b == b'.')
        .next()
        .and_then(decode_b64url)
        .unwrap_or_default();
    (17..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit) && id[0] != b'0'
}

fn is_basic_auth(secret: &[u8]) -> bool {
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(secret) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&raw) else {
        return false;
    };
    // The decoded password is what a person chose: documentation fills it
    // with words (`martin:secret`), which are not findings. An API key in
    // the user's place is the secret whatever follows it: Freshdesk,
    // BambooHR and Stripe take `KEY:X` or `KEY:`.
    text.split_once(':').is_some_and(|(user, pass)| {
        !user.is_empty()
            && !text.chars().any(char::is_control)
            && (is_key_like(user)
                || (!crate::placeholder::is_placeholder(pass.as_bytes())
                    && !crate::placeholder::is_human_placeholder(pass.as_bytes())))
    })
}

/// Twenty or more letters, digits, `_` and `-`, with letters and digits
/// both, and no placeholder: a generated key, not a user's name.
fn is_key_like(user: &str) -> bool {
    user.len() >= 20
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && user.bytes().any(|b| b.is_ascii_digit())
        && user.bytes().any(|b| b.is_ascii_alphabetic())
        && !crate::placeholder::is_placeholder(user.as_bytes())
}

mod human;
use human::{is_app_password, is_passphrase, is_words_and_digits};

#[cfg(test)]
mod tests {
    use super::*;

    /// A token built with the right checksum passes; one changed digit fails.
    #[test]
    fn base62_crc32_accepts_only_matching_checksums() {
        let random = "Zx9Kq2LmN4pR7sT1vW3yA5bC8dE0fG";
        let token = format!("ghp_{random}{}", base62_crc32(random.as_bytes()));
        assert!(is_base62_crc32(token.as_bytes()));
        let mut broken = token.into_bytes();
        let last = broken.len() - 1;
        broken[last] = if broken[last] == b'A' { b'B' } else { b'A' };
        assert!(!is_base62_crc32(&broken));
    }

    /// Basic credentials decode to `user:password`.
    #[test]
    fn basic_auth_needs_user_and_password() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(is_basic_auth(b64("api:s3cr3t-Value").as_bytes()));
        assert!(!is_basic_auth(b64("no-colon-here").as_bytes()));
        assert!(!is_basic_auth(b64("martin:secret").as_bytes()));
        assert!(!is_basic_auth(b"not base64!"));
        // An API key as the user, with the `X` or empty password its
        // provider asks for; a user's name with them is not a secret.
        assert!(is_basic_auth(b64("VEm4yHS8MmweDQxlqw31:X").as_bytes()));
        assert!(is_basic_auth(
            b64("5f088ac90e5894ae44d4a4906041b35c5b874cbf:").as_bytes()
        ));
        assert!(!is_basic_auth(b64("anonymous:").as_bytes()));
        assert!(!is_basic_auth(b64("integration-service-user:x").as_bytes()));
    }

    /// Local development defaults in URLs are not secrets; a random password,
    /// or any password on a real host, is.
    #[test]
    fn local_defaults_in_urls() {
        let ok = |url: &str, pw: &str| {
            Verifier::UrlNotLocalDefault.is_valid(pw.as_bytes(), url.as_bytes())
        };
        assert!(!ok(
            "postgres://postgres:postgres@localhost:5432/test",
            "postgres"
        ));
        assert!(!ok("postgresql://orders:orders@127.0.0.1/orders", "orders"));
        assert!(!ok(
            "postgres://myuser:mypass@localhost/somedatabase",
            "mypass"
        ));
        assert!(!ok("redis://:secret123@redis:6379/0", "secret123"));
        // Built here, so keyward's own tree holds no URL with a password.
        let random = ["Zx9Kq2Lm", "N4pR7sT1"].concat();
        let url = |scheme: &str, user: &str, pw: &str, host: &str| {
            format!("{scheme}://{user}:{pw}@{host}/app")
        };
        assert!(ok(
            &url("postgres", "app", &random, "localhost:5432"),
            &random
        ));
        assert!(ok(
            &url("postgres", "orders", "orders", "db.prod.example.org"),
            "orders"
        ));
        assert!(ok(
            &url("mysql", "shop", &random, "mysql.prod:3306"),
            &random
        ));
    }

    /// A literal that a call passes twice (user and password) is a default.
    #[test]
    fn a_password_repeating_the_user_is_a_default() {
        let v = Verifier::NotUserAsPassword;
        let call = br#"connect(user="postgres", password="postgres")"#;
        assert!(!v.is_valid(b"postgres", call));
        let random = ["kJA*CKTF", "DayOSAgu"].concat();
        let call = format!("connect(user=\"app\", {}=\"{random}\")", "password");
        assert!(v.is_valid(random.as_bytes(), call.as_bytes()));
    }

    /// Only a header that decodes to JSON with `alg` makes a JWT.
    #[test]
    fn jwt_needs_alg_in_header() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let good = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"HS256"}"#),
            b64(r#"{"sub":"1"}"#)
        );
        let bad = format!("{}.{}.sig", b64(r#"{"typ":"JWT"}"#), b64(r#"{"sub":"1"}"#));
        assert!(is_jwt(good.as_bytes()));
        assert!(!is_jwt(bad.as_bytes()));
        assert!(!is_jwt(b"eyJnotbase64!!.x.y"));
    }

    /// A Supabase anon key is public by design; its service-role key, and
    /// an anon-role token of another issuer, are not.
    #[test]
    fn supabase_anon_key_is_public() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = |payload: &str| format!("{}.{}.sig", b64(r#"{"alg":"HS256"}"#), b64(payload));
        let anon = jwt(r#"{"iss":"supabase","ref":"abc","role":"anon","iat":1}"#);
        let service = jwt(r#"{"iss":"supabase","ref":"abc","role":"service_role","iat":1}"#);
        let other = jwt(r#"{"iss":"auth.acme.io","role":"anon"}"#);
        assert!(!is_jwt(anon.as_bytes()));
        assert!(is_jwt(service.as_bytes()));
        assert!(is_jwt(other.as_bytes()));
    }

    /// A Discord token's first part is a user id in base64url.
    #[test]
    fn discord_token_starts_with_a_user_id() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = |id: &str| format!("{}.GhJk3L.{}", b64(id), "a".repeat(38));
        assert!(is_discord_token(token("1329818105167550881").as_bytes()));
        assert!(is_discord_token(token("74065971585849021").as_bytes()));
        assert!(!is_discord_token(token("13298181051675508x1").as_bytes()));
        assert!(!is_discord_token(token("1234").as_bytes()));
        assert!(!is_discord_token(b"MTIzNDU2Nzg5MDEyMzQ1Njc4OQ!.GhJk3L.x"));
    }
}
