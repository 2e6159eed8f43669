//! Reading a user's rule file: [`parse_rule_file`] for a scan (stops at
//! the first problem), [`check_rule_file`] for `rules check` (every
//! problem of every rule). The two agree on what loads.

use crate::named::NAMED_TOKEN_KEYS;
use crate::{NamedTokenSpec, Rule, RuleError, RuleFileSpec, RuleSpec};

/// Parses one rule file's text. `origin` names it in errors.
pub fn parse_rule_file(origin: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let parse = |msg: String| RuleError::Parse {
        origin: origin.to_string(),
        msg,
    };
    // Read as a tree first, as `check_rule_file` does, so that the two
    // agree on every value: a tag (`!x`) or an empty value (`name:`) reads
    // the same way in both.
    let tree: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| parse(e.to_string()))?;
    if let Some(tag) = first_tag(&tree) {
        return Err(parse(tag_problem(&tag)));
    }
    let spec: RuleFileSpec = match serde_yaml_ng::from_value(tree) {
        Ok(spec) => spec,
        Err(e) => {
            // Reading the text straight names the line, when it fails too.
            let msg = match serde_yaml_ng::from_str::<RuleFileSpec>(text) {
                Err(located) => located.to_string(),
                Ok(_) => e.to_string(),
            };
            return Err(parse(msg));
        }
    };
    spec.compile(origin)
}

/// The first YAML tag (`!name`) in a document, depth first.
fn first_tag(value: &serde_yaml_ng::Value) -> Option<String> {
    use serde_yaml_ng::Value;
    match value {
        Value::Tagged(t) => Some(t.tag.to_string()),
        Value::Sequence(items) => items.iter().find_map(first_tag),
        Value::Mapping(map) => map
            .iter()
            .find_map(|(k, v)| first_tag(k).or_else(|| first_tag(v))),
        _ => None,
    }
}

fn tag_problem(tag: &str) -> String {
    format!("YAML tags (`{tag}`) have no meaning in a rule file; quote the value")
}

/// The keys a rule may have: `RuleSpec`'s fields. A unit test keeps the
/// two in step.
pub(crate) const RULE_KEYS: &[&str] = &[
    "id",
    "name",
    "category",
    "confidence",
    "check",
    "remedy",
    "keywords",
    "pattern",
    "sink",
    "files",
    "pair",
    "min_entropy",
    "allow",
    "allow_match",
    "verify",
    "keep_placeholders",
    "examples",
    "negatives",
    "references",
];

/// Parses a rule file for `rules check`: the rules that compile, and every
/// problem of every rule (each unknown key, each failed validation) where
/// [`parse_rule_file`] stops at the first. Each rule is read on its own,
/// so one rule's fault hides nothing of another's.
pub fn check_rule_file(origin: &str, text: &str) -> (Vec<Rule>, Vec<RuleError>) {
    use serde_yaml_ng::Value;
    let parse = |msg: String| RuleError::Parse {
        origin: origin.to_string(),
        msg,
    };
    let key_text = |key: &Value| {
        key.as_str()
            .map_or_else(|| format!("{key:?}"), str::to_string)
    };
    let value: Value = match serde_yaml_ng::from_str(text) {
        Ok(v) => v,
        Err(e) => return (Vec::new(), vec![parse(e.to_string())]),
    };
    if let Some(tag) = first_tag(&value) {
        return (Vec::new(), vec![parse(tag_problem(&tag))]);
    }
    let Some(file) = value.as_mapping() else {
        return (
            Vec::new(),
            vec![parse("expected `rules:` and a list".into())],
        );
    };
    const FILE_KEYS: &[&str] = &["rules", "named_tokens"];
    let mut problems: Vec<RuleError> = file
        .keys()
        .filter(|k| !k.as_str().is_some_and(|k| FILE_KEYS.contains(&k)))
        .map(|k| parse(format!("unknown key `{}`", key_text(k))))
        .collect();
    let list = |key: &str| match file.get(key) {
        None => Ok(&[][..]),
        Some(v) => v
            .as_sequence()
            .map(Vec::as_slice)
            .ok_or_else(|| parse(format!("expected `{key}:` and a list"))),
    };
    let (written, named) = match (list("rules"), list("named_tokens")) {
        (Ok(w), Ok(n)) if file.get("rules").is_some() || file.get("named_tokens").is_some() => {
            (w, n)
        }
        (Ok(_), Ok(_)) => {
            problems.push(parse("expected `rules:` and a list".into()));
            return (Vec::new(), problems);
        }
        (w, n) => {
            problems.extend(w.err());
            problems.extend(n.err());
            return (Vec::new(), problems);
        }
    };
    let invalid = |id: &Option<String>, section: &str, i: usize, msg: String| match id {
        Some(id) => RuleError::Invalid {
            origin: origin.to_string(),
            id: id.clone(),
            msg,
        },
        None => parse(format!("{section}[{i}]: {msg}")),
    };
    // Each entry is read on its own, its keys checked against `keys` first
    // so that every unknown one is named: (known keys, id, position).
    let entries = |list: &[Value], section: &str, keys: &[&str], problems: &mut Vec<RuleError>| {
        let mut known_entries = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let id = item.get("id").and_then(Value::as_str).map(str::to_string);
            let Some(fields) = item.as_mapping() else {
                problems.push(invalid(&id, section, i, "expected a rule's keys".into()));
                continue;
            };
            let mut known = fields.clone();
            for key in fields.keys() {
                if !key.as_str().is_some_and(|k| keys.contains(&k)) {
                    let msg = format!("unknown key `{}`", key_text(key));
                    problems.push(invalid(&id, section, i, msg));
                    known.remove(key);
                }
            }
            known_entries.push((Value::Mapping(known), id, i));
        }
        known_entries
    };
    let mut specs = Vec::new();
    for (value, id, i) in entries(written, "rules", RULE_KEYS, &mut problems) {
        match serde_yaml_ng::from_value::<RuleSpec>(value) {
            Ok(spec) => specs.push(spec),
            Err(e) => problems.push(invalid(&id, "rules", i, e.to_string())),
        }
    }
    for (value, id, i) in entries(named, "named_tokens", NAMED_TOKEN_KEYS, &mut problems) {
        match serde_yaml_ng::from_value::<NamedTokenSpec>(value) {
            Ok(named) => match named.to_rule_spec() {
                Ok(spec) => specs.push(spec),
                Err(msgs) => {
                    problems.extend(msgs.into_iter().map(|m| invalid(&id, "named_tokens", i, m)))
                }
            },
            Err(e) => problems.push(invalid(&id, "named_tokens", i, e.to_string())),
        }
    }
    let mut rules = Vec::new();
    for spec in specs {
        let (rule, found) = spec.compile_checked(origin);
        problems.extend(found);
        rules.extend(rule);
    }
    (rules, problems)
}
