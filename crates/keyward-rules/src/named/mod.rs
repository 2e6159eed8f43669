//! Named tokens: provider keys with no prefix of their own (a 32-character
//! hex string means nothing until the name beside it says `MIXPANEL_TOKEN`).
//! Such rules differ only in the provider's name and the token's shape, so a
//! rule file lists them as data (`named_tokens:`) and this module compiles
//! each entry into an ordinary [`RuleSpec`]: its keywords, its pattern, its
//! entropy gate, and examples and negatives generated from its id. Nothing
//! here runs a pattern over content.

use serde::Deserialize;

use crate::{placeholder, Category, Confidence, RuleSpec};

/// One named token as written in a rule file's `named_tokens:` list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTokenSpec {
    pub id: String,
    pub name: String,
    pub category: Category,
    /// How the provider is spelled in names: lowercase words joined by `_`
    /// (`open_weather_map`), matched case-insensitively with `_`, `-`, `.`
    /// or nothing between the words (`OPEN_WEATHER_MAP`, `openWeatherMap`).
    pub provider: Vec<String>,
    pub shape: Shape,
    #[serde(default = "medium")]
    pub confidence: Confidence,
    /// Where the token's format is documented; required.
    #[serde(default)]
    pub references: Vec<String>,
}

fn medium() -> Confidence {
    Confidence::Medium
}

/// The keys a named token may have: `NamedTokenSpec`'s fields. A unit test
/// keeps the two in step.
pub(crate) const NAMED_TOKEN_KEYS: &[&str] = &[
    "id",
    "name",
    "category",
    "provider",
    "shape",
    "confidence",
    "references",
];

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
    fn len(self) -> usize {
        self.len
    }

    /// The regex of one token of this shape (the pattern is
    /// case-insensitive, so `[0-9a-f]` takes upper-case hex too).
    fn regex(self) -> String {
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
    fn min_entropy(self) -> f64 {
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
    fn allow(self) -> Vec<String> {
        match self.alphabet {
            Alphabet::Alnum | Alphabet::Base64 | Alphabet::Base64Url => {
                vec!["^[^0-9]+$".into(), "^[0-9]+$".into()]
            }
            Alphabet::Hex | Alphabet::Uuid => vec!["^[0-9-]+$".into()],
        }
    }

    /// A token of this shape with `len` characters of its alphabet (a
    /// UUID's last group grows or shrinks), drawn from `rng`.
    fn token(self, rng: &mut SplitMix, len: usize) -> String {
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
    fn valid_token(self, rng: &mut SplitMix) -> String {
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
    fn placeholder(self) -> String {
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
    fn low_entropy(self) -> String {
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
fn expected_entropy(len: usize, symbols: usize) -> f64 {
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
fn shannon_entropy(bytes: &[u8]) -> f64 {
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

/// The words that make a name a secret's: `mixpanel_token`, `MIXPANEL_API_KEY`,
/// `mixpanelSecret` and `mixpanel_access` are; `mixpanel_project_id` is not.
const SECRET_WORDS: &str = "key|token|secret|pass|auth|api|credential|access|private";

/// A small deterministic generator (SplitMix64), seeded from a rule's id so
/// its examples are the same strings on every build.
struct SplitMix(u64);

impl SplitMix {
    fn from_id(id: &str) -> SplitMix {
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

/// How a name can be written with a spelling's words: joined by `_`, `-`,
/// `.` or nothing. The keywords are these literals (the prefilter matches
/// them case-insensitively, so `openWeatherMap` has `openweathermap`).
fn spelling_variants(spelling: &str) -> Vec<String> {
    let words: Vec<&str> = spelling.split('_').collect();
    if words.len() == 1 {
        return vec![spelling.to_string()];
    }
    ["_", "-", ".", ""]
        .iter()
        .map(|sep| words.join(sep))
        .collect()
}

/// The keywords that run a spelling's rule. A short name (`box`, `jira`,
/// `steam`) is a word of much other text, and each hit costs a search: it
/// is a keyword only joined to what the rule needs beside it, a separator
/// (`box_`, `_box`, `box.`) or a secret word (`boxapikey` written
/// `boxApiKey`). A longer name is a keyword as it is.
fn keywords_of(spelling: &str) -> Vec<String> {
    let variants = spelling_variants(spelling);
    if is_long_name(spelling) {
        return variants;
    }
    let mut out = Vec::new();
    for v in &variants {
        for sep in ["_", "-", "."] {
            out.push(format!("{v}{sep}"));
            out.push(format!("{sep}{v}"));
        }
        for word in SECRET_WORDS.split('|') {
            out.push(format!("{v}{word}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Is `spelling` lowercase words of `a-z0-9` joined by single `_`?
fn is_spelling(spelling: &str) -> bool {
    spelling.split('_').all(|w| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// The regex of a spelling: its words joined by `[_.-]?`, matched
/// case-insensitively, except that `cap_first` wants the first letter in
/// upper case and `lower_last` the last in lower case (where camelCase
/// words meet).
fn spelling_regex(spelling: &str, cap_first: bool, lower_last: bool) -> String {
    let last = spelling.len() - 1;
    let mut out = String::new();
    for (i, c) in spelling.char_indices() {
        match c {
            '_' => out.push_str("[_.-]?"),
            _ if i == 0 && cap_first => {
                out.push_str(&format!("(?-i:{})", c.to_ascii_uppercase()));
            }
            _ if i == last && lower_last => out.push_str(&format!("(?-i:{c})")),
            _ => out.push(c),
        }
    }
    out
}

/// The identifier or key a named token is assigned to: the provider's
/// name as a word of it, beside a secret word, in either order. A word
/// starts where the identifier does, after `_`, `.` or `-`, or where
/// camelCase turns to upper case, so `gnews_api_key` is not News API's and
/// `DEEPLINK_KEY` not DeepL's.
fn name_pattern(spellings: &[String]) -> String {
    let ident = "[a-z0-9_.-]";
    let words = SECRET_WORDS;
    let capitalised_words = SECRET_WORDS
        .split('|')
        .map(capitalised)
        .collect::<Vec<_>>()
        .join("|");
    // `None` when no spelling can take the form (a digit has no capital).
    let alternation = |cap_first: bool, lower_last: bool| {
        let found: Vec<String> = spellings
            .iter()
            .filter(|s| !cap_first || s.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter(|s| !lower_last || s.ends_with(|c: char| c.is_ascii_lowercase()))
            .map(|s| spelling_regex(s, cap_first, lower_last))
            .collect();
        (!found.is_empty()).then(|| format!("(?:{})", found.join("|")))
    };
    let mut branches = Vec::new();
    for cap_first in [false, true] {
        // Where the provider's word starts: the identifier's start or a
        // separator, or a lower-case character before its capital.
        let left = if cap_first {
            format!("{ident}*(?-i:[a-z0-9])")
        } else {
            format!("(?:{ident}*[_.-])?")
        };
        // The provider first, then a separator or the secret word itself,
        // or a capital after its last lower-case letter; the name runs on.
        if let Some(p) = alternation(cap_first, false) {
            branches.push(format!("{left}{p}(?:[_.-]{ident}*?)?(?:{words}){ident}*"));
        }
        if let Some(p) = alternation(cap_first, true) {
            branches.push(format!(
                "{left}{p}(?:(?-i:{capitalised_words})|(?-i:[A-Z]){ident}*?(?:{words})){ident}*"
            ));
        }
        // The secret word first; the provider's word ends the name or is
        // followed by a separator or a capital.
        let before = if cap_first {
            format!("(?:{ident}*?(?-i:[a-z0-9]))?")
        } else {
            format!("(?:{ident}*?[_.-])?")
        };
        if let Some(p) = alternation(cap_first, false) {
            branches.push(format!("{ident}*?(?:{words}){before}{p}(?:[_.-]{ident}*)?"));
        }
        if let Some(p) = alternation(cap_first, true) {
            branches.push(format!(
                "{ident}*?(?:{words}){before}{p}(?-i:[A-Z]){ident}*"
            ));
        }
    }
    branches.join("|")
}

/// The provider's name in prose or a note, then a secret word (after a
/// space, a `_`, `.` or `-`, or none), maybe a word between, up to two
/// more secret words, then the token after a separator, a space, or a
/// `-` or `.` straight after the word: `OpenWeatherMap API key: …`,
/// `newsapi key …`, `weatherbitKEY …`, `clarifai access key …`,
/// `mediastack-SECRET-…`. The token is on the name's line: a pattern that
/// can cross a line puts its keywords in the slower multi-line search.
///
/// Only names long enough to be keywords on their own take this form (see
/// [`keywords_of`]): a short one (`box`, `jira`) is a word of much prose.
/// `None` when no spelling is that long.
fn prose_pattern(spellings: &[String]) -> Option<String> {
    let names: Vec<String> = spellings
        .iter()
        .filter(|s| is_long_name(s))
        .map(|s| spelling_regex(s, false, false))
        .collect();
    if names.is_empty() {
        return None;
    }
    Some(format!(
        "(?:{})[\\ \\t_.-]*(?:[a-z]+[\\ \\t]+)?(?:{SECRET_WORDS})[a-z]*\
         (?:[\\ \\t_-]*(?:{SECRET_WORDS})[a-z]*){{0,2}}\
         (?:[\\ \\t]*(?:=>|:=|=|:)[\\ \\t]*|[\\ \\t]+|[.-])",
        names.join("|")
    ))
}

/// Whether a spelling is long enough to be a keyword as it is.
fn is_long_name(spelling: &str) -> bool {
    spelling.replace('_', "").len() >= 6
}

impl NamedTokenSpec {
    /// Compiles the entry into the rule it stands for, or every problem of
    /// the entry.
    ///
    /// The pattern finds the provider's name and a secret word in one
    /// identifier or key (either order), an assignment or key separator
    /// (`=`, `:`, `=>`, `:=`, quotes around either side), then exactly one
    /// token of the shape with no token character after it.
    pub fn to_rule_spec(&self) -> Result<RuleSpec, Vec<String>> {
        self.rule_spec(true)
    }

    /// [`to_rule_spec`](Self::to_rule_spec) without the generated examples
    /// and negatives, which only checking the rule needs: a scan loads the
    /// embedded rules at every start.
    pub fn to_rule_spec_for_scan(&self) -> Result<RuleSpec, Vec<String>> {
        self.rule_spec(false)
    }

    fn rule_spec(&self, with_cases: bool) -> Result<RuleSpec, Vec<String>> {
        let mut problems = Vec::new();
        if self.provider.is_empty() {
            problems.push("a named token needs at least one `provider` spelling".to_string());
        }
        for p in &self.provider {
            if !is_spelling(p) {
                problems.push(format!(
                    "provider `{p}` must be lowercase words of a-z and 0-9 joined by `_`"
                ));
            }
        }
        if self.references.is_empty() {
            problems
                .push("a named token needs `references` (where its format is documented)".into());
        }
        if matches!(self.category, Category::Generic | Category::EnvHygiene) {
            problems.push(format!(
                "a named token names its provider: category `{}` is for other rules",
                self.category
            ));
        }
        if self.confidence == Confidence::Low {
            // Overlapping matches go to the more confident rule; a low
            // named token would yield to generic-secret on its own bytes.
            problems.push("a named token's confidence is medium or high".into());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let keywords: Vec<String> = self.provider.iter().flat_map(|p| keywords_of(p)).collect();
        let pattern = format!(
            "(?im)(?:^|[^a-z0-9_.-])(?:\
             (?:{name})[\"']?\\]?[\\ \\t]*(?:=>|:=|=|:)[\\ \\t]*\
             {prose}\
             )[\"'`]?\
             (?P<secret>{token})\
             (?:[^a-z0-9_+/=.-]|$)",
            name = name_pattern(&self.provider),
            prose = prose_pattern(&self.provider)
                .map(|p| format!("|{p}"))
                .unwrap_or_default(),
            token = self.shape.regex(),
        );
        let (examples, negatives) = if with_cases {
            self.generated_cases()
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(RuleSpec {
            min_entropy: Some(self.shape.min_entropy()),
            allow: self.shape.allow(),
            examples,
            negatives,
            references: self.references.clone(),
            ..RuleSpec::pattern_rule(
                self.id.clone(),
                self.name.clone(),
                self.category,
                self.confidence,
                keywords,
                pattern,
            )
        })
    }

    /// Examples in four syntaxes (env file, Python, JSON, YAML), and in prose
    /// for a name of six letters or more, each with its own token; and
    /// negatives: a placeholder, a token one character short and one too
    /// long, the provider's name without a secret word (in an identifier and
    /// in prose), and a value of too little entropy. The same id gives the
    /// same strings.
    fn generated_cases(&self) -> (Vec<String>, Vec<String>) {
        let mut rng = SplitMix::from_id(&self.id);
        let spelling = self.provider.first().map_or("", String::as_str);
        let words: Vec<&str> = spelling.split('_').collect();
        let upper = spelling.to_ascii_uppercase();
        let camel: String = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    w.to_string()
                } else {
                    capitalised(w)
                }
            })
            .collect();
        let dotted = words.join(".");
        let shape = self.shape;
        let mut token = || shape.valid_token(&mut rng);
        let mut examples = vec![
            format!("{upper}_API_KEY={}", token()),
            format!("{spelling}_token = \"{}\"", token()),
            format!("  \"{camel}ApiKey\": \"{}\",", token()),
            format!("{dotted}.api.key: {}", token()),
        ];
        if is_long_name(spelling) {
            examples.push(format!("{spelling} api key {}", token()));
        }
        let negatives = vec![
            format!("{upper}_API_KEY={}", shape.placeholder()),
            format!(
                "{spelling}_token = \"{}\"",
                shape.token(&mut rng, shape.len() - 1)
            ),
            format!(
                "{spelling}_token = \"{}\"",
                shape.token(&mut rng, shape.len() + 1)
            ),
            format!(
                "{spelling}_project_id = \"{}\"",
                shape.valid_token(&mut rng)
            ),
            format!("{upper}_API_KEY={}", shape.low_entropy()),
            format!("{spelling} project id {}", shape.valid_token(&mut rng)),
        ];
        (examples, negatives)
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

#[cfg(test)]
mod tests;
