//! Named tokens: provider keys with no prefix of their own (a 32-character
//! hex string means nothing until the name beside it says `MIXPANEL_TOKEN`).
//! Such rules differ only in the provider's name and the token's shape, so a
//! rule file lists them as data (`named_tokens:`) and this module compiles
//! each entry into an ordinary [`RuleSpec`]: its keywords, its pattern, its
//! entropy gate, and examples and negatives generated from its id. Nothing
//! here runs a pattern over content.

use serde::Deserialize;

use crate::{Category, Confidence, RuleSpec};

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

mod shape;
pub(crate) use shape::shannon_entropy;
pub use shape::Shape;
use shape::SplitMix;

/// The words that make a name a secret's: `mixpanel_token`, `MIXPANEL_API_KEY`,
/// `mixpanelSecret` and `mixpanel_access` are; `mixpanel_project_id` is not.
const SECRET_WORDS: &str = "key|token|secret|pass|auth|api|credential|access|private";

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

    /// [`to_rule_spec`](Self::to_rule_spec) as a scan needs it, at every
    /// start: without the generated examples and negatives, which only
    /// checking the rule needs, and with the pattern left to be generated
    /// from the entry (`deferred`) when the rule first needs it.
    pub fn into_rule_spec_for_scan(self) -> Result<RuleSpec, Vec<String>> {
        let mut spec = self.rule_spec(false)?;
        spec.deferred = Some(Box::new(self));
        Ok(spec)
    }

    /// The rule's pattern (see [`to_rule_spec`](Self::to_rule_spec)).
    pub fn pattern(&self) -> String {
        format!(
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
        )
    }

    /// The rule, `full` with its pattern and generated cases, or as a scan
    /// loads it, without either.
    fn rule_spec(&self, full: bool) -> Result<RuleSpec, Vec<String>> {
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
        // The pattern is written only for a full spec: a scan's is left to
        // be generated when the rule first needs it.
        let pattern = if full { self.pattern() } else { String::new() };
        // Every match above holds a spelling of the name, then, on its
        // line, the token: a window without that cannot match.
        let gate = format!(
            "(?i)(?:{names})[^\n]*?(?P<secret>{token})",
            names = self
                .provider
                .iter()
                .map(|s| spelling_regex(s, false, false))
                .collect::<Vec<_>>()
                .join("|"),
            token = self.shape.regex(),
        );
        let (examples, negatives) = if full {
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
            gate: Some(gate),
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
