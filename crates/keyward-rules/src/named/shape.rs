//! The shape of a named token: its alphabet and length, the regex and
//! entropy gate they make, and tokens of the shape generated for a rule's
//! examples and negatives.

use serde::Deserialize;

use crate::placeholder;

/// What a token looks like: an alphabet and an exact length.
///
/// Written in a rule file as `ALPHABET:LENGTH` (`hex:32`, `alnum:43`,
/// `base64:44`, `base64url:96`), or as one of the older names, which keep
/// the entropy gates they were tuned with:
///
/// | shape | alphabet | length |
/// | --- | --- | --- |
/// | `hex32`, `hex40`, `hex64` | `0-9 a-f` (either case) | 32, 40, 64 |
/// | `alnum20`, `alnum24`, `alnum30` | `0-9 A-Z a-z` | 20, 24, 30 |
/// | `alnum32`, `alnum40`, `alnum64` | `0-9 A-Z a-z` | 32, 40, 64 |
/// | `base64-40` | `0-9 A-Z a-z + /` | 40 |
/// | `uuid` | `0-9 a-f` in groups of 8-4-4-4-12 joined by `-` | 36 |
///
/// The alphabets of `ALPHABET:LENGTH`: `hex` (`0-9 a-f`), `alnum`
/// (`0-9 A-Z a-z`), `base64` (`alnum` and `+ /`, then up to two `=` of
/// padding outside the length), `base64url` (`alnum` and `- _`). The
/// length is 10 to 512.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct Shape {
    alphabet: Alphabet,
    len: usize,
    /// The hand-tuned gate of an older name; `None` computes it.
    gate: Option<f64>,
}

/// The characters a token is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alphabet {
    Hex,
    /// Hex digits in UUID groups (8-4-4-4-12).
    Uuid,
    Alnum,
    Base64,
    Base64Url,
}

const HEX: &[u8] = b"0123456789abcdef";
const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const BASE64: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";
const BASE64URL: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/// The groups of a UUID's hex digits.
const UUID_GROUPS: [usize; 5] = [8, 4, 4, 4, 12];

/// The lengths `ALPHABET:LENGTH` takes: a shorter token is too easily a
/// word, and no provider's key here is longer.
const LENGTHS: std::ops::RangeInclusive<usize> = 10..=512;

impl TryFrom<String> for Shape {
    type Error = String;

    fn try_from(text: String) -> Result<Shape, String> {
        Shape::parse(&text)
    }
}

impl Shape {
    pub const HEX32: Shape = Shape::named(Alphabet::Hex, 32, 3.0);
    pub const HEX40: Shape = Shape::named(Alphabet::Hex, 40, 3.1);
    pub const HEX64: Shape = Shape::named(Alphabet::Hex, 64, 3.3);
    pub const ALNUM20: Shape = Shape::named(Alphabet::Alnum, 20, 3.6);
    pub const ALNUM24: Shape = Shape::named(Alphabet::Alnum, 24, 3.8);
    pub const ALNUM30: Shape = Shape::named(Alphabet::Alnum, 30, 4.0);
    pub const ALNUM32: Shape = Shape::named(Alphabet::Alnum, 32, 4.0);
    pub const ALNUM40: Shape = Shape::named(Alphabet::Alnum, 40, 4.2);
    pub const ALNUM64: Shape = Shape::named(Alphabet::Alnum, 64, 4.5);
    pub const BASE64_40: Shape = Shape::named(Alphabet::Base64, 40, 4.2);
    pub const UUID: Shape = Shape::named(Alphabet::Uuid, 32, 3.2);

    const fn named(alphabet: Alphabet, len: usize, gate: f64) -> Shape {
        Shape {
            alphabet,
            len,
            gate: Some(gate),
        }
    }

    /// Reads a shape as a rule file writes it.
    pub fn parse(text: &str) -> Result<Shape, String> {
        let older = [
            ("hex32", Shape::HEX32),
            ("hex40", Shape::HEX40),
            ("hex64", Shape::HEX64),
            ("alnum20", Shape::ALNUM20),
            ("alnum24", Shape::ALNUM24),
            ("alnum30", Shape::ALNUM30),
            ("alnum32", Shape::ALNUM32),
            ("alnum40", Shape::ALNUM40),
            ("alnum64", Shape::ALNUM64),
            ("base64-40", Shape::BASE64_40),
            ("uuid", Shape::UUID),
        ];
        if let Some((_, shape)) = older.iter().find(|(name, _)| *name == text) {
            return Ok(*shape);
        }
        let unknown = || {
            format!(
                "shape `{text}`: expected hex:N, alnum:N, base64:N or base64url:N \
                 with N from {} to {}, or one of {}",
                LENGTHS.start(),
                LENGTHS.end(),
                older.map(|(name, _)| name).join(", ")
            )
        };
        let (alphabet, len) = text.split_once(':').ok_or_else(unknown)?;
        let alphabet = match alphabet {
            "hex" => Alphabet::Hex,
            "alnum" => Alphabet::Alnum,
            "base64" => Alphabet::Base64,
            "base64url" => Alphabet::Base64Url,
            _ => return Err(unknown()),
        };
        let len: usize = len.parse().map_err(|_| unknown())?;
        if !LENGTHS.contains(&len) {
            return Err(unknown());
        }
        Ok(Shape {
            alphabet,
            len,
            gate: None,
        })
    }

    fn alphabet(self) -> &'static [u8] {
        match self.alphabet {
            Alphabet::Hex | Alphabet::Uuid => HEX,
            Alphabet::Alnum => ALNUM,
            Alphabet::Base64 => BASE64,
            Alphabet::Base64Url => BASE64URL,
        }
    }

    /// The token's length in its alphabet's characters (a UUID's hex digits).
    pub(super) fn len(self) -> usize {
        self.len
    }

    /// The regex of one token of this shape (the pattern is
    /// case-insensitive, so `[0-9a-f]` takes upper-case hex too).
    pub(super) fn regex(self) -> String {
        let n = self.len;
        match self.alphabet {
            Alphabet::Uuid => UUID_GROUPS
                .iter()
                .map(|n| format!("[0-9a-f]{{{n}}}"))
                .collect::<Vec<_>>()
                .join("-"),
            Alphabet::Hex => format!("[0-9a-f]{{{n}}}"),
            Alphabet::Alnum => format!("[a-z0-9]{{{n}}}"),
            // Padding only where the named shape had none before.
            Alphabet::Base64 if self.gate.is_some() => format!("[a-z0-9+/]{{{n}}}"),
            Alphabet::Base64 => format!("[a-z0-9+/]{{{n}}}={{0,2}}"),
            Alphabet::Base64Url => format!("[a-z0-9_-]{{{n}}}"),
        }
    }

    /// The entropy gate, in bits per character.
    ///
    /// `ALPHABET:LENGTH` computes it: the entropy a random token of the
    /// length is expected to have, less `2/sqrt(len)` (`3/sqrt(len)` for
    /// hex), which about 99 in 100 random tokens clear. An alphanumeric
    /// token is measured as if drawn from lower case and digits only,
    /// since many providers issue such tokens; hex of the same length
    /// mostly falls below that gate, so a hex string is not taken for a
    /// longer alphabet's token.
    ///
    /// The older names keep the gates they were tuned with (hex32 3.0,
    /// alnum32 4.0), which the formula comes within 0.3 of.
    pub(super) fn min_entropy(self) -> f64 {
        if let Some(gate) = self.gate {
            return gate;
        }
        let n = self.len as f64;
        let (symbols, margin) = match self.alphabet {
            Alphabet::Hex | Alphabet::Uuid => (16, 3.0),
            Alphabet::Alnum | Alphabet::Base64 | Alphabet::Base64Url => (36, 2.0),
        };
        let gate = expected_entropy(self.len, symbols) - margin / n.sqrt();
        // One decimal, as the hand-set gates are written.
        (gate * 10.0).floor() / 10.0
    }

    /// Allow patterns over the secret: a value of letters only or digits
    /// only is a word, a name or a number (a random 32-character
    /// alphanumeric token lacks a digit once in 300).
    pub(super) fn allow(self) -> Vec<String> {
        match self.alphabet {
            Alphabet::Alnum | Alphabet::Base64 | Alphabet::Base64Url => {
                vec!["^[^0-9]+$".into(), "^[0-9]+$".into()]
            }
            Alphabet::Hex | Alphabet::Uuid => vec!["^[0-9-]+$".into()],
        }
    }

    /// A token of this shape with `len` characters of its alphabet (a
    /// UUID's last group grows or shrinks), drawn from `rng`.
    pub(super) fn token(self, rng: &mut SplitMix, len: usize) -> String {
        let alphabet = self.alphabet();
        let chars: String = (0..len)
            .map(|_| char::from(alphabet[rng.below(alphabet.len())]))
            .collect();
        if self.alphabet == Alphabet::Uuid {
            dashed(&chars)
        } else {
            chars
        }
    }

    /// A token that passes the rule: drawn until it clears the entropy gate
    /// with room, is no placeholder and has the digits and letters random
    /// tokens have.
    pub(super) fn valid_token(self, rng: &mut SplitMix) -> String {
        loop {
            let token = self.token(rng, self.len());
            let bytes = token.as_bytes();
            let has_digit = bytes.iter().any(u8::is_ascii_digit);
            let has_letter = bytes.iter().any(u8::is_ascii_alphabetic);
            if shannon_entropy(bytes) >= self.min_entropy() + 0.3
                && has_digit
                && has_letter
                && !placeholder::is_placeholder(bytes)
            {
                return token;
            }
        }
    }

    /// A value of the right shape that documentation writes: the alphabet
    /// in order, which the placeholder classifier calls regular.
    pub(super) fn placeholder(self) -> String {
        let alphabet = self.alphabet();
        let chars: String = (0..self.len())
            .map(|i| char::from(alphabet[i % alphabet.len()]))
            .collect();
        if self.alphabet == Alphabet::Uuid {
            dashed(&chars)
        } else {
            chars
        }
    }

    /// A value of the right shape and too little entropy: two symbols.
    pub(super) fn low_entropy(self) -> String {
        let chars: String = (0..self.len())
            .map(|i| if i % 2 == 0 { 'a' } else { '1' })
            .collect();
        if self.alphabet == Alphabet::Uuid {
            dashed(&chars)
        } else {
            chars
        }
    }
}

/// 32 or so hex digits as a UUID: the first four groups are 8-4-4-4 and the
/// last takes the rest.
fn dashed(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + 4);
    let mut at = 0;
    for (i, n) in UUID_GROUPS[..4].iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        out.push_str(&digits[at..at + n]);
        at += n;
    }
    out.push('-');
    out.push_str(&digits[at..]);
    out
}

/// The Shannon entropy, in bits per character, that a string of `len`
/// characters drawn uniformly from `symbols` symbols has on average. Each
/// symbol's count is binomial, so the mean is a sum over the counts.
pub(super) fn expected_entropy(len: usize, symbols: usize) -> f64 {
    let n = len as f64;
    let p = 1.0 / symbols as f64;
    let mut pmf = (1.0 - p).powf(n); // P(count = 0)
    let mut per_symbol = 0.0;
    for c in 1..=len {
        let k = c as f64;
        pmf *= (n - k + 1.0) / k * p / (1.0 - p);
        let share = k / n;
        per_symbol -= pmf * share * share.log2();
    }
    per_symbol * symbols as f64
}

/// Shannon entropy in bits per byte, as the detector's gate measures it.
pub(crate) fn shannon_entropy(bytes: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// A small deterministic generator (SplitMix64), seeded from a rule's id so
/// its examples are the same strings on every build.
pub(super) struct SplitMix(u64);

impl SplitMix {
    pub(super) fn from_id(id: &str) -> SplitMix {
        // FNV-1a: a stable hash, unlike std's randomly keyed one.
        let seed = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        SplitMix(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (the slight modulo bias does not matter here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
