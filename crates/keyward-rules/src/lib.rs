//! Rules as data: the YAML schema (`*Spec`, mirroring the file), compiling a
//! spec into the validated [`Rule`] the detector uses, loading the embedded
//! pack and user files (YAML, or a gitleaks config converted), the
//! verifiers and the placeholder classifier that rules share. Nothing here scans content: checking a rule against its
//! examples runs the detector (`keyward_detect::check`).

#![forbid(unsafe_code)]

mod compile;
mod embedded;
mod error;
mod file;
mod files;
#[cfg(test)]
mod fuzz;
mod gitleaks;
mod kinds;
mod named;
mod pair;
pub mod placeholder;
mod run;
mod set;
pub mod verify;

use std::fmt;
use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

pub use error::RuleError;
#[cfg(test)]
use file::RULE_KEYS;
pub use file::{check_rule_file, parse_rule_file};
pub use kinds::{Category, Check, Confidence};
#[cfg(test)]
use named::NAMED_TOKEN_KEYS;
pub use named::{NamedTokenSpec, Shape};
pub use pair::{PairSpec, PAIR_MAX_WITHIN};
pub use run::SecretRun;
pub use set::RuleSet;
pub use verify::Verifier;

/// One rule file as written: `rules: [...]`, `named_tokens: [...]`, or
/// both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSpec {
    #[serde(default, deserialize_with = "list")]
    pub rules: Vec<RuleSpec>,
    /// Provider keys with no prefix, as data: each compiles into a rule
    /// (see [`NamedTokenSpec::to_rule_spec`]).
    #[serde(default, deserialize_with = "list")]
    pub named_tokens: Vec<NamedTokenSpec>,
}

/// A list that is written: a key with nothing under it (`rules:`, YAML's
/// null) is refused, as `rules check` refuses it, rather than read as no
/// rules (an indentation slip would otherwise load nothing in silence).
fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<T>>::deserialize(d)?
        .ok_or_else(|| serde::de::Error::custom("expected a list, found nothing"))
}

impl RuleFileSpec {
    /// Every rule of the file compiled: the written rules, then the
    /// named tokens'. `origin` names the file in errors.
    pub fn compile(self, origin: &str) -> Result<Vec<Rule>, RuleError> {
        self.compile_with(origin, true)
    }

    /// [`compile`](Self::compile), generating the named tokens' examples
    /// and negatives only when `with_cases`.
    pub(crate) fn compile_with(
        self,
        origin: &str,
        with_cases: bool,
    ) -> Result<Vec<Rule>, RuleError> {
        let mut rules = Vec::with_capacity(self.rules.len() + self.named_tokens.len());
        for spec in self.rules {
            rules.push(spec.compile(origin)?);
        }
        for named in self.named_tokens {
            let id = named.id.clone();
            let spec = if with_cases {
                named.to_rule_spec()
            } else {
                named.into_rule_spec_for_scan()
            };
            let spec = spec.map_err(|mut msgs| RuleError::Invalid {
                origin: origin.to_string(),
                id,
                msg: msgs.remove(0),
            })?;
            rules.push(spec.compile(origin)?);
        }
        Ok(rules)
    }
}

/// One rule as written in YAML, before validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub confidence: Confidence,
    /// A check implemented in code (`env-tracked`), named instead of a
    /// pattern: such a rule has no keywords, pattern or examples.
    #[serde(default)]
    pub check: Option<String>,
    /// What to do about a finding; `{name}` placeholders are filled by the
    /// check that reports it.
    #[serde(default)]
    pub remedy: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub pattern: String,
    /// Where code uses a credential: a call and the argument holding it,
    /// instead of a pattern.
    #[serde(default)]
    pub sink: Option<SinkSpec>,
    /// The files the rule reads, by name: a file name (`.pgpass`), a path
    /// suffix (`.aws/credentials`) or `*.ext`. Such a rule (a file rule)
    /// runs on those files only, over the whole file, and has no keywords.
    #[serde(default)]
    pub files: Vec<String>,
    /// The other part of a two-part credential (an account SID beside an
    /// auth token): found near a finding, it is reported with it.
    #[serde(default)]
    pub pair: Option<PairSpec>,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Regexes over the secret; a secret matching one is not reported.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Regexes over the whole match (the name and the value); a candidate
    /// whose match one of them finds is not reported: names that say what
    /// the value is not (`csrf_token`, `authenticity_token`).
    #[serde(default)]
    pub allow_match: Vec<String>,
    /// A structural check that rejects look-alikes (checksum, decodable header).
    #[serde(default)]
    pub verify: Option<Verifier>,
    /// Skip the shared placeholder classifier (for rules whose secrets are
    /// structured enough that words like `example` cannot appear by chance).
    #[serde(default)]
    pub keep_placeholders: bool,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negatives: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// For rules made in code (named tokens): a cheap pattern that matches
    /// inside every stretch of content the pattern matches in. A window
    /// it finds nothing in is skipped before the pattern is compiled or
    /// run. Not part of the YAML schema.
    #[serde(skip)]
    pub gate: Option<String>,
    /// For a named token loaded for a scan, with `pattern` empty: the entry
    /// the pattern is generated from when the rule first needs it. A scan
    /// loads hundreds of named tokens and compiles few; writing their
    /// patterns was most of its start-up. Not part of the YAML schema.
    #[serde(skip)]
    pub deferred: Option<Box<NamedTokenSpec>>,
}

/// A sink as written: the call, and the argument that holds the secret by
/// position, by name, or both.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    /// The callee as a regex, up to (not including) the `(` that opens its
    /// arguments: `jwt\.encode`, `new\s+SymmetricSecurityKey`.
    pub call: String,
    /// The argument's 1-based position among the arguments not passed by
    /// name.
    #[serde(default)]
    pub arg: Option<usize>,
    /// Names the argument may be passed by: `key=` (Python, Kotlin), `key:`
    /// (C#, Ruby), `:key =>`, or a property of an options object or dict
    /// passed as an argument (`{ password: ... }`).
    #[serde(default)]
    pub named: Vec<String>,
}

/// A validated sink: which argument of the call its pattern finds holds
/// the secret. The secret is that argument when it is a string literal,
/// or a literal under a byte conversion (`[]byte("…")`, `"…".getBytes()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sink {
    pub arg: Option<usize>,
    pub named: Vec<String>,
}

/// A validated rule. Its regex compiles the first time content triggers it,
/// so a scan that never sees a rule's keywords never pays for it.
pub struct Rule {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub confidence: Confidence,
    /// The built-in check this rule stands for; `None` for a pattern rule.
    pub check: Option<Check>,
    pub remedy: Option<String>,
    pub keywords: Vec<String>,
    /// The regex (see [`Rule::pattern`]).
    pattern: Pattern,
    /// For a sink rule, the argument that holds the secret.
    pub sink: Option<Sink>,
    /// For a file rule, the files it reads (see [`Rule::reads_file`]).
    pub files: Vec<String>,
    /// The other part of a two-part credential, looked for near a finding.
    pub pair: Option<PairSpec>,
    pub min_entropy: Option<f64>,
    /// Allow patterns as written; compiled with the rule's regex.
    pub allow_patterns: Vec<String>,
    /// Allow patterns over the whole match, as written.
    pub allow_match_patterns: Vec<String>,
    pub verify: Option<Verifier>,
    pub keep_placeholders: bool,
    /// Whether a match can span lines (see `is_multiline`).
    pub multiline: bool,
    pub examples: Vec<String>,
    pub negatives: Vec<String>,
    pub references: Vec<String>,
    /// A cheaper pattern that matches wherever the pattern does (see
    /// [`RuleSpec::gate`]).
    pub gate: Option<String>,
    /// The file the rule came from, for error messages.
    pub origin: String,
    regex: OnceLock<Option<Regex>>,
    gate_regex: OnceLock<Option<Regex>>,
    allow: OnceLock<Vec<Regex>>,
    allow_match: OnceLock<Vec<Regex>>,
    pair_regex: OnceLock<Option<Regex>>,
    secret_run: OnceLock<Option<SecretRun>>,
}

/// A rule's regex as text: as written, or generated on first use from the
/// named token the rule stands for.
#[derive(Clone)]
struct Pattern {
    text: OnceLock<String>,
    named: Option<Box<NamedTokenSpec>>,
}

impl Pattern {
    fn written(text: String) -> Pattern {
        Pattern {
            text: OnceLock::from(text),
            named: None,
        }
    }

    fn deferred(named: Box<NamedTokenSpec>) -> Pattern {
        Pattern {
            text: OnceLock::new(),
            named: Some(named),
        }
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Room for large compiled patterns (user rule files can hold long
/// alternations). The lazy DFA's cache keeps the regex crate's default:
/// there is one per rule per thread, and a larger one made a full-history
/// audit 5% slower with no less memory.
const REGEX_SIZE_LIMIT: usize = 64 << 20;

/// Compiles a rule's pattern. Secret formats are ASCII, so `\w`, `\s`,
/// `\b` and `(?i)` are ASCII-only: Unicode case folding took a third of a
/// 20-commit pre-push scan, which compiles whichever rules the pushed lines
/// trigger.
fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    // `^` and `$` match at line boundaries: a rule runs over a window of
    // the content, and a secret at the start of a later line is as much a
    // secret as one at the start of the file (`(?:^|[^A-Za-z0-9])` read
    // without it never matched there). `\A` and `\z` are the content's
    // ends. A user's pattern that needs Unicode (`\p{L}`) still compiles,
    // with Unicode on.
    builder(pattern)
        .unicode(false)
        .multi_line(true)
        .build()
        .or_else(|_| builder(pattern).multi_line(true).build())
}

/// Part of the rule-set digest that keys the history cache.
const PATTERN_SEMANTICS: &str = "patterns:ascii-classes,multi-line";

/// Compiles an allow pattern. These judge values people type, so Unicode
/// classes (`\p{L}`) are allowed; they compile only when a candidate needs
/// them.
fn build_allow_regex(pattern: &str) -> Result<Regex, regex::Error> {
    builder(pattern).build()
}

fn builder(pattern: &str) -> RegexBuilder {
    let mut b = RegexBuilder::new(pattern);
    b.size_limit(REGEX_SIZE_LIMIT);
    b
}

impl Rule {
    /// The regex as text; for a sink rule, the one made from its call,
    /// which ends where the arguments open. A named token's is generated
    /// here the first time it is asked for.
    pub fn pattern(&self) -> &str {
        self.pattern.text.get_or_init(|| {
            self.pattern
                .named
                .as_ref()
                .map_or_else(String::new, |named| named.pattern())
        })
    }

    /// The compiled pattern, built on first use. `None` only when the pattern
    /// does not compile, which `RuleSet` loading has already reported.
    pub fn regex(&self) -> Option<&Regex> {
        if self.check.is_some() {
            return None;
        }
        self.regex
            .get_or_init(|| build_regex(self.pattern()).ok())
            .as_ref()
    }

    /// The compiled gate (see [`RuleSpec::gate`]), built on first use;
    /// `None` for a rule without one.
    pub fn gate_regex(&self) -> Option<&Regex> {
        let gate = self.gate.as_ref()?;
        self.gate_regex
            .get_or_init(|| build_regex(gate).ok())
            .as_ref()
    }

    /// The run of bytes every secret this rule matches is (see
    /// [`SecretRun`]), when its pattern says one long enough to look for;
    /// read on first use, from the gate when there is one (it holds the
    /// same `secret` group, and parses in a fraction of the time).
    pub fn secret_run(&self) -> Option<&SecretRun> {
        self.secret_run
            .get_or_init(|| {
                SecretRun::of_pattern(self.gate.as_deref().unwrap_or_else(|| self.pattern()))
            })
            .as_ref()
    }

    /// The remedy with its `{name}` placeholders filled from `vars`, in one
    /// pass (a filled value is never read again); unknown names stay as
    /// written.
    pub fn remedy_with(&self, vars: &[(&str, &str)]) -> Option<String> {
        let text = self.remedy.as_deref()?;
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let filled = after.find('}').and_then(|close| {
                let value = vars.iter().find(|(k, _)| *k == &after[..close])?.1;
                Some((value, close))
            });
            match filled {
                Some((value, close)) => {
                    out.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Some(out)
    }

    /// The pair's compiled pattern, built on first use; `None` without a
    /// pair or when it does not compile (which checking the rule reports).
    pub fn pair_regex(&self) -> Option<&Regex> {
        let pair = self.pair.as_ref()?;
        self.pair_regex
            .get_or_init(|| build_regex(&pair.pattern).ok())
            .as_ref()
    }

    /// Whether the pattern has been compiled: a scan compiles only the
    /// rules its content triggers.
    pub fn is_compiled(&self) -> bool {
        self.regex.get().is_some()
    }

    /// Whether the tests run before the pattern compiles are ready: the
    /// secret run is read and the gate, if any, compiled.
    pub fn is_gated(&self) -> bool {
        self.secret_run.get().is_some() && (self.gate.is_none() || self.gate_regex.get().is_some())
    }

    /// The compiled allow patterns, built on first use. One that does not
    /// compile (which checking the rule reports) is left out.
    pub fn allow(&self) -> &[Regex] {
        self.allow.get_or_init(|| {
            self.allow_patterns
                .iter()
                .filter_map(|a| build_allow_regex(a).ok())
                .collect()
        })
    }

    /// The compiled allow patterns over the whole match, built on first use.
    pub fn allow_match(&self) -> &[Regex] {
        self.allow_match.get_or_init(|| {
            self.allow_match_patterns
                .iter()
                .filter_map(|a| build_allow_regex(a).ok())
                .collect()
        })
    }

    /// Compiles the pattern and allow patterns now, and checks the pattern
    /// has a `secret` group. A check rule has nothing to compile.
    pub fn check_pattern(&self) -> Result<(), String> {
        if self.check.is_some() {
            return Ok(());
        }
        for a in self.allow_patterns.iter().chain(&self.allow_match_patterns) {
            build_allow_regex(a)
                .map_err(|e| format!("allow pattern `{a}` does not compile: {e}"))?;
        }
        let regex =
            build_regex(self.pattern()).map_err(|e| format!("pattern does not compile: {e}"))?;
        if self.sink.is_none() && !regex.capture_names().flatten().any(|n| n == "secret") {
            return Err("pattern has no named group `secret`".into());
        }
        if let Some(pair) = &self.pair {
            pair.check_pattern()?;
        }
        Ok(())
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A copy whose pattern compiles again on first use.
impl Clone for Rule {
    fn clone(&self) -> Rule {
        let rule = self;
        Rule {
            id: rule.id.clone(),
            name: rule.name.clone(),
            category: rule.category,
            confidence: rule.confidence,
            check: rule.check,
            remedy: rule.remedy.clone(),
            keywords: rule.keywords.clone(),
            pattern: rule.pattern.clone(),
            sink: rule.sink.clone(),
            files: rule.files.clone(),
            pair: rule.pair.clone(),
            min_entropy: rule.min_entropy,
            allow_patterns: rule.allow_patterns.clone(),
            allow_match_patterns: rule.allow_match_patterns.clone(),
            verify: rule.verify,
            keep_placeholders: rule.keep_placeholders,
            multiline: rule.multiline,
            examples: rule.examples.clone(),
            negatives: rule.negatives.clone(),
            references: rule.references.clone(),
            gate: rule.gate.clone(),
            origin: rule.origin.clone(),
            regex: OnceLock::new(),
            gate_regex: OnceLock::new(),
            allow: OnceLock::new(),
            allow_match: OnceLock::new(),
            pair_regex: OnceLock::new(),
            secret_run: OnceLock::new(),
        }
    }
}

#[cfg(test)]
mod tests;
