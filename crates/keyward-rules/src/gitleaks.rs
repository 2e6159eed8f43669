//! Reading a gitleaks config (`.toml`) as keyward rules: each `[[rules]]`
//! becomes a [`RuleSpec`], and every field keyward cannot honour is named
//! in a warning. Nothing here compiles or runs a rule; `RuleSet` compiles
//! what this returns as it does a YAML file's rules.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{Category, Confidence, RuleError, RuleSpec};

/// A gitleaks config as written. gitleaks reads keys case-insensitively
/// (`secretGroup`, `secretgroup`), so the keys are lowercased before this
/// is deserialized. Unknown keys are kept in `other` to be warned about.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConfigSpec {
    extend: Option<toml::Value>,
    /// The older single global allowlist.
    allowlist: Option<AllowlistSpec>,
    allowlists: Vec<AllowlistSpec>,
    rules: Vec<GitleaksRuleSpec>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GitleaksRuleSpec {
    id: String,
    description: Option<String>,
    regex: Option<String>,
    secretgroup: Option<i64>,
    entropy: Option<f64>,
    keywords: Vec<String>,
    path: Option<String>,
    tags: Vec<String>,
    /// The older single `[rules.allowlist]`.
    allowlist: Option<AllowlistSpec>,
    allowlists: Vec<AllowlistSpec>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AllowlistSpec {
    condition: Option<String>,
    commits: Vec<String>,
    paths: Vec<String>,
    regextarget: Option<String>,
    regexes: Vec<String>,
    stopwords: Vec<String>,
    /// Global allowlists only: the rules they apply to (all when empty).
    targetrules: Vec<String>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

/// Keys that describe and change nothing a scan does.
const DESCRIPTIVE: &[&str] = &["title", "description", "minversion"];

/// What an allowlist becomes: patterns over the secret and over the whole
/// match.
#[derive(Debug, Default, Clone, PartialEq)]
struct Allow {
    secret: Vec<String>,
    whole: Vec<String>,
}

/// Converts a gitleaks config's text into rule specs, and a warning for
/// each field keyward does not honour. `origin` names the file in both.
pub fn convert(origin: &str, text: &str) -> Result<(Vec<RuleSpec>, Vec<String>), RuleError> {
    let parse = |msg: String| RuleError::Parse {
        origin: origin.to_string(),
        msg,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| parse(one_line(&e.to_string())))?;
    let spec: ConfigSpec = lowercase_keys(toml::Value::Table(table))
        .try_into()
        .map_err(|e: toml::de::Error| parse(one_line(&e.to_string())))?;
    let mut warnings = Vec::new();
    let mut warn = |msg: String| warnings.push(format!("{origin}: {msg}"));
    for key in spec
        .other
        .keys()
        .filter(|k| !DESCRIPTIVE.contains(&k.as_str()))
    {
        warn(format!("unknown key `{key}` is ignored"));
    }
    if spec.extend.is_some() {
        warn(
            "`[extend]` is not honoured: keyward's built-in rules stand in for gitleaks' \
             defaults (turn rules off with keyward.toml's `disable_rules`)"
                .into(),
        );
    }
    let globals: Vec<(Vec<String>, Allow)> = spec
        .allowlist
        .iter()
        .chain(&spec.allowlists)
        .map(|a| {
            let allow = convert_allowlist(a, "global allowlist", &mut warn)
                .map_err(|msg| parse(format!("global allowlist: {msg}")))?;
            Ok((a.targetrules.clone(), allow))
        })
        .collect::<Result<_, RuleError>>()?;
    let mut specs = Vec::new();
    for rule in spec.rules {
        let converted = convert_rule(origin, rule, &globals, &mut warn)?;
        specs.extend(converted);
    }
    Ok((specs, warnings))
}

/// One `[[rules]]` entry as a rule spec; `None` when it has no regex (a
/// rule over paths alone), which the warnings say.
fn convert_rule(
    origin: &str,
    rule: GitleaksRuleSpec,
    globals: &[(Vec<String>, Allow)],
    warn: &mut impl FnMut(String),
) -> Result<Option<RuleSpec>, RuleError> {
    let written = rule.id.clone();
    let id = kebab(&written);
    let invalid = |msg: String| RuleError::Invalid {
        origin: origin.to_string(),
        id: written.clone(),
        msg,
    };
    if written.is_empty() {
        return Err(RuleError::Parse {
            origin: origin.to_string(),
            msg: "a rule has no `id`".into(),
        });
    }
    let at = format!("rule `{written}`");
    if id != written {
        warn(format!(
            "{at}: id is read as `{id}` (keyward ids are kebab-case)"
        ));
    }
    for key in rule.other.keys() {
        warn(format!("{at}: `{key}` is not honoured"));
    }
    if !rule.tags.is_empty() {
        warn(format!("{at}: `tags` are not kept"));
    }
    let Some(regex) = rule.regex.filter(|r| !r.is_empty()) else {
        return match rule.path {
            Some(_) => {
                warn(format!(
                    "{at}: a rule with a `path` and no `regex` is not honoured: the rule is left out"
                ));
                Ok(None)
            }
            None => Err(invalid("has neither a `regex` nor a `path`".into())),
        };
    };
    if rule.path.is_some() {
        warn(format!(
            "{at}: `path` is not honoured: the rule runs on every file"
        ));
    }
    let group = match rule.secretgroup {
        None | Some(0) => None,
        Some(n) => Some(
            usize::try_from(n).map_err(|_| invalid(format!("`secretGroup` {n} is negative")))?,
        ),
    };
    let groups = capture_groups(&regex);
    if group.is_none() && groups.len() > 1 {
        warn(format!(
            "{at}: the secret is capture group 1 (gitleaks takes the first group that matched); \
             set `secretGroup` to choose another"
        ));
    }
    let pattern = secret_pattern(&regex, group).map_err(invalid)?;
    let mut keywords = Vec::new();
    for k in rule.keywords.iter().map(|k| k.to_ascii_lowercase()) {
        if k.len() < 3 {
            warn(format!(
                "{at}: keyword `{k}` is shorter than 3 bytes and is left out"
            ));
        } else if !keywords.contains(&k) {
            keywords.push(k);
        }
    }
    if keywords.is_empty() {
        keywords = derived_keywords(&regex).ok_or_else(|| {
            invalid(
                "no keyword of 3 bytes or more, and none can be read from the start of its \
                 regex: add `keywords = [...]`"
                    .into(),
            )
        })?;
    }
    let mut allow = Allow::default();
    for (i, a) in rule.allowlist.iter().chain(&rule.allowlists).enumerate() {
        let place = format!("{at}: allowlist {}", i + 1);
        let found = convert_allowlist(a, &place, warn).map_err(&invalid)?;
        allow.secret.extend(found.secret);
        allow.whole.extend(found.whole);
    }
    for (targets, global) in globals {
        if targets.is_empty() || targets.contains(&written) {
            allow.secret.extend(global.secret.iter().cloned());
            allow.whole.extend(global.whole.iter().cloned());
        }
    }
    let name = rule.description.unwrap_or_else(|| written.clone());
    Ok(Some(RuleSpec {
        min_entropy: rule.entropy.filter(|e| *e > 0.0),
        allow: allow.secret,
        allow_match: allow.whole,
        ..RuleSpec::pattern_rule(
            id,
            name,
            Category::Generic,
            Confidence::Medium,
            keywords,
            pattern,
        )
    }))
}

/// An allowlist's regexes and stopwords as allow patterns. What keyward
/// cannot judge (paths, commits, the line) is warned about and left out,
/// so keyward reports more than gitleaks would, never less: an `AND`
/// allowlist that needs a left-out criterion is left out whole.
fn convert_allowlist(
    a: &AllowlistSpec,
    at: &str,
    warn: &mut impl FnMut(String),
) -> Result<Allow, String> {
    for key in a
        .other
        .keys()
        .filter(|k| !DESCRIPTIVE.contains(&k.as_str()))
    {
        warn(format!("{at}: `{key}` is not honoured"));
    }
    let is_and = match a
        .condition
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("") | Some("OR") | Some("||") => false,
        Some("AND") | Some("&&") => true,
        Some(other) => return Err(format!("unknown allowlist condition `{other}`")),
    };
    let target = a.regextarget.as_deref().unwrap_or("secret");
    if !matches!(target, "" | "secret" | "match" | "line") {
        return Err(format!("unknown allowlist regexTarget `{target}`"));
    }
    let unhonoured: Vec<&str> = [
        ("commits", !a.commits.is_empty()),
        ("paths", !a.paths.is_empty()),
        (
            "regexes over the line",
            target == "line" && !a.regexes.is_empty(),
        ),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| *name)
    .collect();
    let kinds = [
        !a.commits.is_empty(),
        !a.paths.is_empty(),
        !a.regexes.is_empty(),
        !a.stopwords.is_empty(),
    ]
    .iter()
    .filter(|set| **set)
    .count();
    // Of several criteria, keyward can judge at most regexes and
    // stopwords, and not the two together.
    if is_and && kinds > 1 {
        warn(format!(
            "{at}: an `AND` allowlist over several criteria is not honoured: it is left out"
        ));
        return Ok(Allow::default());
    }
    for name in unhonoured {
        let hint = if name == "paths" {
            " (keyward.toml's `exclude` skips files)"
        } else {
            ""
        };
        warn(format!("{at}: {name} are not honoured{hint}"));
    }
    let mut allow = Allow::default();
    match target {
        "match" => allow.whole.extend(a.regexes.iter().cloned()),
        "line" => {}
        _ => allow.secret.extend(a.regexes.iter().cloned()),
    }
    // gitleaks lowercases the secret and looks for each stopword in it.
    allow.secret.extend(
        a.stopwords
            .iter()
            .filter(|w| !w.is_empty())
            .map(|w| format!("(?i){}", regex::escape(w))),
    );
    Ok(allow)
}

/// A capture group in a pattern: where its opening `(...` header starts
/// and ends (`(`, `(?P<name>`, `(?<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Group {
    start: usize,
    header_end: usize,
}

/// The capture groups of an RE2 pattern in order (the order that numbers
/// them), skipping escaped parens, parens inside character classes, and
/// non-capturing groups and flag settings `(?...)`.
fn capture_groups(pattern: &str) -> Vec<Group> {
    let bytes = pattern.as_bytes();
    let mut groups = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => i = class_end(bytes, i),
            b'(' => {
                let rest = &pattern[i..];
                let named = ["(?P<", "(?<"]
                    .iter()
                    .find(|p| rest.starts_with(**p))
                    .and_then(|_| rest.find('>'));
                if let Some(close) = named {
                    groups.push(Group {
                        start: i,
                        header_end: i + close + 1,
                    });
                    i += close + 1;
                } else {
                    if !rest.starts_with("(?") {
                        groups.push(Group {
                            start: i,
                            header_end: i + 1,
                        });
                    }
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    groups
}

/// The index just past the character class opening at `open`: a `]` right
/// after `[` or `[^` is a literal, as are escapes, and `[:alpha:]` names a
/// class within it.
fn class_end(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    if bytes.get(i) == Some(&b'^') {
        i += 1;
    }
    if bytes.get(i) == Some(&b']') {
        i += 1;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' if bytes.get(i + 1) == Some(&b':') => {
                i = match bytes[i + 2..].windows(2).position(|w| w == b":]") {
                    Some(p) => i + 2 + p + 2,
                    None => i + 1,
                };
            }
            b']' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The pattern with the secret as the group named `secret`: capture group
/// `group` (1-based), or by default group 1, or the whole match when the
/// pattern has no group.
fn secret_pattern(pattern: &str, group: Option<usize>) -> Result<String, String> {
    let groups = capture_groups(pattern);
    let index = match group {
        Some(n) if n > groups.len() => {
            return Err(format!(
                "`secretGroup` is {n} but the regex has {} capture group{}",
                groups.len(),
                if groups.len() == 1 { "" } else { "s" }
            ))
        }
        Some(n) => n - 1,
        None if groups.is_empty() => return Ok(format!("(?P<secret>{pattern})")),
        None => 0,
    };
    for (i, g) in groups.iter().enumerate() {
        let header = &pattern[g.start..g.header_end];
        if i != index && (header == "(?P<secret>" || header == "(?<secret>") {
            return Err("another capture group is already named `secret`".into());
        }
    }
    let g = groups[index];
    Ok(format!(
        "{}(?P<secret>{}",
        &pattern[..g.start],
        &pattern[g.header_end..]
    ))
}

/// Keywords read from the literal start of a pattern (`acme_` in
/// `acme_[a-z0-9]{32}`), lowercased: every match contains one of them, so
/// they select the rule as gitleaks' keywords would. `None` when the start
/// is not a small set of literals of 3 bytes or more.
fn derived_keywords(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::Extractor;
    let hir = crate::run::parse_ascii(pattern)?;
    // A class of two is a letter in either case (`(?i)`), which lowercasing
    // folds; a larger one (`\d`) ends the literal start.
    let seq = Extractor::new().limit_class(2).extract(&hir);
    let mut keywords: Vec<String> = Vec::new();
    for lit in seq.literals()? {
        let word = String::from_utf8(lit.as_bytes().to_ascii_lowercase()).ok()?;
        if word.len() < 3 {
            return None;
        }
        if !keywords.contains(&word) {
            keywords.push(word);
        }
    }
    (!keywords.is_empty() && keywords.len() <= 16).then_some(keywords)
}

/// An id in keyward's form: lowercase, runs of anything but letters and
/// digits as one `-`.
fn kebab(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// gitleaks (through viper) reads keys case-insensitively.
fn lowercase_keys(value: toml::Value) -> toml::Value {
    match value {
        toml::Value::Table(t) => toml::Value::Table(
            t.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), lowercase_keys(v)))
                .collect(),
        ),
        toml::Value::Array(a) => toml::Value::Array(a.into_iter().map(lowercase_keys).collect()),
        other => other,
    }
}

/// toml's errors quote the offending line over several lines; the first
/// says what and where.
fn one_line(msg: &str) -> String {
    let mut lines = msg.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid toml").to_string();
    match lines.next_back() {
        Some(last) if last != first => format!("{first}: {last}"),
        _ => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(pattern: &str, group: Option<usize>) -> String {
        secret_pattern(pattern, group).expect("rewrites")
    }

    /// The secret group is found past escaped parens, parens in classes,
    /// non-capturing groups and flags, and named groups count as gitleaks
    /// (RE2) counts them.
    #[test]
    fn rewrites_the_secret_group() {
        assert_eq!(
            secret(r"key\(=([a-z]{8})\)", None),
            r"key\(=(?P<secret>[a-z]{8})\)"
        );
        assert_eq!(
            secret(r"(?i)(?:tok|key)[(]=([a-z]{8})", None),
            r"(?i)(?:tok|key)[(]=(?P<secret>[a-z]{8})"
        );
        assert_eq!(
            secret(r"[\]()](a)(?P<val>b)(c)", Some(2)),
            r"[\]()](a)(?P<secret>b)(c)"
        );
        assert_eq!(
            secret(r"[]()](a)(?<val>b)", Some(2)),
            r"[]()](a)(?P<secret>b)"
        );
        assert_eq!(
            secret(r"[[:alpha:]()]x(y)", None),
            r"[[:alpha:]()]x(?P<secret>y)"
        );
        assert_eq!(
            secret("acme_[a-z0-9]{32}", None),
            "(?P<secret>acme_[a-z0-9]{32})"
        );
        assert_eq!(secret("(a)(b)", None), "(?P<secret>a)(b)");
        let err = secret_pattern("(a)(b)", Some(3)).unwrap_err();
        assert!(err.contains("2 capture groups"), "{err}");
        let err = secret_pattern("(a)(?P<secret>b)", Some(1)).unwrap_err();
        assert!(err.contains("already named"), "{err}");
    }

    /// Keywords come from the pattern's literal start when none are given,
    /// and a start that is not literal enough gives none.
    #[test]
    fn derives_keywords_from_a_literal_start() {
        assert_eq!(
            derived_keywords(r"\bacme_[a-z0-9]{32}"),
            Some(vec!["acme_".to_string()])
        );
        assert_eq!(
            derived_keywords(r"(?i)(?:token|secret)=\w+"),
            Some(vec!["token=".to_string(), "secret=".to_string()])
        );
        assert_eq!(derived_keywords(r"[a-z]{3}_\w+"), None);
        assert_eq!(derived_keywords(r"ab\d+"), None);
        assert_eq!(
            derived_keywords(r"(?i)\bpassword\s*=\s*(\S+)"),
            Some(vec!["passwor".to_string()])
        );
    }

    /// Each gitleaks field lands in its keyward place: description as
    /// name, entropy, lowercased keywords, allowlist regexes by target and
    /// stopwords as escaped patterns over the secret.
    #[test]
    fn maps_fields() {
        let text = r#"
title = "t"
[[rules]]
id = "acme-token"
description = "Acme token"
regex = '''acme_([a-z0-9]{32})'''
entropy = 3
keywords = ["ACME_"]
[[rules.allowlists]]
regexes = ['''^0+$''']
stopwords = ["a.b"]
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''test''']
"#;
        let (specs, warnings) = convert("g.toml", text).expect("converts");
        assert!(warnings.is_empty(), "{warnings:?}");
        let r = &specs[0];
        assert_eq!(r.id, "acme-token");
        assert_eq!(r.name, "Acme token");
        assert_eq!(r.category, Category::Generic);
        assert_eq!(r.confidence, Confidence::Medium);
        assert_eq!(r.pattern, "acme_(?P<secret>[a-z0-9]{32})");
        assert_eq!(r.min_entropy, Some(3.0));
        assert_eq!(r.keywords, ["acme_"]);
        assert_eq!(r.allow, [r"^0+$", r"(?i)a\.b"]);
        assert_eq!(r.allow_match, ["test"]);
        r.clone().compile("g.toml").expect("compiles");
    }

    /// Every field keyward cannot honour is named in a warning with the
    /// file and the rule; an `AND` allowlist needing one is left out.
    #[test]
    fn warns_of_what_it_cannot_honour() {
        let text = r#"
[extend]
useDefault = true
[allowlist]
paths = ['''vendor/''']
regexes = ['''^dummy''']
[[rules]]
id = "Acme_Token"
regex = '''acme_[a-z0-9]{32}'''
path = '''\.env$'''
tags = ["internal"]
skipReport = true
keywords = ["ac", "acme"]
[[rules.allowlists]]
condition = "AND"
paths = ['''test/''']
stopwords = ["fake"]
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''nosecret''']
commits = ["abc"]
"#;
        let (specs, warnings) = convert("g.toml", text).expect("converts");
        let r = &specs[0];
        assert_eq!(r.id, "acme-token");
        assert_eq!(r.keywords, ["acme"]);
        assert_eq!(
            r.allow,
            ["^dummy"],
            "global allowlist applies, AND one does not"
        );
        let expect = [
            "g.toml: `[extend]`",
            "g.toml: global allowlist: paths are not honoured",
            "g.toml: rule `Acme_Token`: id is read as `acme-token`",
            "g.toml: rule `Acme_Token`: `skipreport` is not honoured",
            "g.toml: rule `Acme_Token`: `tags`",
            "g.toml: rule `Acme_Token`: `path` is not honoured",
            "g.toml: rule `Acme_Token`: keyword `ac`",
            "g.toml: rule `Acme_Token`: allowlist 1: an `AND` allowlist",
            "g.toml: rule `Acme_Token`: allowlist 2: commits are not honoured",
            "g.toml: rule `Acme_Token`: allowlist 2: regexes over the line are not honoured",
        ];
        for e in expect {
            assert!(
                warnings.iter().any(|w| w.starts_with(e)),
                "no warning `{e}` in {warnings:#?}"
            );
        }
        assert_eq!(warnings.len(), expect.len(), "{warnings:#?}");
    }

    /// A rule over paths alone is left out with a warning; one with neither
    /// a regex nor a path, or no keyword to be had, is an error naming it.
    #[test]
    fn refuses_rules_it_cannot_run() {
        let (specs, warnings) =
            convert("g.toml", "[[rules]]\nid = \"p12\"\npath = '''\\.p12$'''\n").expect("converts");
        assert!(
            specs.is_empty() && warnings[0].contains("left out"),
            "{warnings:?}"
        );
        let err = convert("g.toml", "[[rules]]\nid = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "g.toml: rule `x`: has neither a `regex` nor a `path`");
        let err = convert("g.toml", "[[rules]]\nid = \"x\"\nregex = '''[a-z]{9}'''\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("g.toml: rule `x`: no keyword"), "{err}");
        let err = convert("g.toml", "rules = 3").unwrap_err().to_string();
        assert!(err.starts_with("g.toml: "), "{err}");
    }
}
