//! Format-valid fake secrets generated from a seed at test time, so the
//! repository holds no literal secrets and every run sees the same strings.

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A small deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

/// `prefix` followed by `len` random letters and digits.
pub fn token(prefix: &str, len: usize, seed: u64) -> String {
    format!("{prefix}{}", Rng::new(seed).pick(ALNUM, len))
}

/// A GitHub-style token with a valid CRC32 checksum (`ghp_`, `npm_`, ...).
pub fn github(prefix: &str, seed: u64) -> String {
    let random = Rng::new(seed).pick(ALNUM, 30);
    let check = keyward::rules::verify::base62_crc32(random.as_bytes());
    format!("{prefix}{random}{check}")
}

pub fn aws_key_id(seed: u64) -> String {
    format!("AKIA{}", Rng::new(seed).pick(UPPER32, 16))
}

/// A password-like value: letters, digits and a symbol.
pub fn password(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    format!("{}#{}", rng.pick(ALNUM, 8), rng.pick(ALNUM, 5))
}

/// A JWT with an HS256 header and a random signature.
pub fn jwt(seed: u64) -> String {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let sig = Rng::new(seed).pick(B64URL, 43);
    format!(
        "{}.{}.{sig}",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64(&format!(r#"{{"sub":"user-{seed}","iat":1717171717}}"#))
    )
}

/// A PEM RSA private key block with a random body.
pub fn rsa_private_key(seed: u64) -> String {
    use base64::Engine;
    let mut rng = Rng::new(seed);
    let raw: Vec<u8> = (0..384).map(|_| rng.next() as u8).collect();
    let body = base64::engine::general_purpose::STANDARD.encode(raw);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ascii"))
        .collect();
    let (begin, end) = ("-----BEGIN RSA PRIVATE", "-----END RSA PRIVATE");
    format!("{begin} KEY-----\n{}\n{end} KEY-----\n", lines.join("\n"))
}

/// `len` random lowercase hex digits: digests, commit ids.
pub fn hex(len: usize, seed: u64) -> String {
    Rng::new(seed).pick(b"0123456789abcdef", len)
}

/// Standard base64 of `n` random bytes: digests, ciphertext, binary blobs.
pub fn base64_bytes(n: usize, seed: u64) -> String {
    use base64::Engine;
    let mut rng = Rng::new(seed);
    let raw: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// A PEM block of `label` around `n` random bytes, in 64-column lines.
pub fn pem(label: &str, n: usize, seed: u64) -> String {
    let body = base64_bytes(n, seed);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ascii"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// `prefix` followed by `len` random lowercase letters and digits.
pub fn lower(prefix: &str, len: usize, seed: u64) -> String {
    format!(
        "{prefix}{}",
        Rng::new(seed).pick(b"abcdefghijklmnopqrstuvwxyz0123456789", len)
    )
}
