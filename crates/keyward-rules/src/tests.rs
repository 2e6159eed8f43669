//! Tests of loading, compiling and checking rules.

/// The set a scan loads is the checked set without examples and
/// negatives (written, or generated for named tokens), and nothing
/// else differs.
#[test]
fn the_scan_set_differs_only_in_cases() {
    let full = RuleSet::embedded().unwrap();
    let scan = RuleSet::embedded_for_scan().unwrap();
    assert_eq!(full.rules().len(), scan.rules().len());
    // Everything but the cases (Rule's own Debug shows only its id).
    let definition = |r: &Rule| {
        format!(
            "{:?}",
            (
                (&r.id, &r.name, r.category, r.confidence, r.check, &r.remedy),
                (
                    &r.keywords,
                    r.pattern(),
                    &r.gate,
                    &r.sink,
                    &r.files,
                    &r.pair
                ),
                (r.min_entropy, &r.allow_patterns, &r.allow_match_patterns),
                (r.verify, r.keep_placeholders, r.multiline, &r.references),
            )
        )
    };
    for (a, b) in full.rules().iter().zip(scan.rules()) {
        assert_eq!(definition(a), definition(b), "{}", a.id);
        assert!(b.examples.is_empty() && b.negatives.is_empty(), "{}", a.id);
    }
    assert_eq!(full.digest(), scan.digest());
    assert!(
        full.rules()
            .iter()
            .filter(|r| !r.examples.is_empty())
            .count()
            > 800
    );
}

use super::*;

/// The digest keys the history cache: whatever changes what a rule
/// matches changes it (a keyword finds other windows; confidence
/// decides overlaps), and nothing else does.
#[test]
fn digest_follows_what_decides_matches() {
    let yaml = |keywords: &str, confidence: &str, name: &str| {
        format!(
            "rules:\n  - id: demo\n    name: {name}\n    category: vcs\n    confidence: {confidence}\n    keywords: [{keywords}]\n    pattern: '\\b(?P<secret>dmo_[a-z]{{12}})'\n"
        )
    };
    let digest = |text: String| {
        RuleSet::from_rules(parse_rule_file("t.yaml", &text).unwrap())
            .unwrap()
            .digest()
    };
    let base = digest(yaml("dmo_", "high", "Demo"));
    assert_ne!(base, digest(yaml("dmo_, demo", "high", "Demo")));
    assert_ne!(base, digest(yaml("dmo_", "medium", "Demo")));
    assert_eq!(base, digest(yaml("dmo_", "high", "Another name")));
}

/// The keys serde lists when it refuses an unknown key in `text`.
fn keys_serde_lists(text: &str) -> Vec<String> {
    let msg = serde_yaml_ng::from_str::<RuleFileSpec>(text)
        .expect_err("unknown key refused")
        .to_string();
    let listed = msg
        .split("expected one of ")
        .nth(1)
        .expect("serde lists the keys")
        .to_string();
    listed
        .split(", ")
        .map(|k| k.split('`').nth(1).expect("a quoted key").to_string())
        .collect()
}

/// `RULE_KEYS` and `NAMED_TOKEN_KEYS` are exactly the keys `RuleSpec`
/// and `NamedTokenSpec` accept, as serde lists them.
#[test]
fn key_lists_match_the_specs() {
    let rule = keys_serde_lists("rules:\n  - id: x\n    no_such_key: 1\n");
    assert_eq!(rule, RULE_KEYS);
    let named = keys_serde_lists("named_tokens:\n  - id: x\n    no_such_key: 1\n");
    assert_eq!(named, NAMED_TOKEN_KEYS);
}

/// A file may hold `rules:`, `named_tokens:` or both; each named token
/// becomes a rule, and `rules check` names every fault of an entry.
#[test]
fn named_tokens_compile_beside_rules() {
    let rule = "rules:\n  - id: a-b\n    name: x\n    category: generic\n    confidence: low\n    keywords: [abc]\n    pattern: '(?P<secret>abc)'\n";
    let named = "named_tokens:\n  - id: demo-key\n    name: Demo key\n    category: saas\n    provider: [demo]\n    shape: hex32\n    references: [https://example.com/auth]\n";
    let both = format!("{rule}{named}");
    let ids = |text: &str| -> Vec<String> {
        parse_rule_file("t.yaml", text)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(ids(named), ["demo-key"]);
    assert_eq!(ids(&both), ["a-b", "demo-key"]);
    let demo = parse_rule_file("t.yaml", named).unwrap().remove(0);
    assert_eq!(demo.confidence, Confidence::Medium);
    assert_eq!(demo.examples.len(), 4);
    let bad = "named_tokens:\n  - id: demo-key\n    name: Demo key\n    category: saas\n    provider: [Demo]\n    shape: hex33\n    colour: red\n  - id: other-key\n    name: Other\n    category: saas\n    provider: [other]\n    shape: uuid\n";
    let (rules, problems) = check_rule_file("t.yaml", bad);
    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(rules.is_empty());
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert_eq!(problems[0], "t.yaml: rule `demo-key`: unknown key `colour`");
    assert!(
        problems[1].starts_with("t.yaml: rule `demo-key`: shape `hex33`: expected hex:N"),
        "{}",
        problems[1]
    );
    assert_eq!(problems[2], "t.yaml: rule `other-key`: a named token needs `references` (where its format is documented)");
    let (_, problems) = check_rule_file("t.yaml", "named_tokens: 3\n");
    assert_eq!(
        problems[0].to_string(),
        "t.yaml: expected `named_tokens:` and a list"
    );
}

/// A rule file's every problem is listed: each unknown key, and a bad
/// id beside the rule's other faults (issue 24).
#[test]
fn check_rule_file_lists_every_problem() {
    let text = "rules:\n  - id: Bad_Id\n    name: x\n    category: generic\n    confidence: high\n    keywords: [ab]\n    patern: x\n    exampels: []\n";
    let (rules, problems) = check_rule_file("t.yaml", text);
    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(rules.is_empty());
    assert_eq!(
        problems,
        [
            "t.yaml: rule `Bad_Id`: unknown key `patern`",
            "t.yaml: rule `Bad_Id`: unknown key `exampels`",
            "t.yaml: rule `Bad_Id`: id must be kebab-case ascii (a-z, 0-9, -)",
            "t.yaml: rule `Bad_Id`: rule has neither a pattern, a sink nor a check",
            "t.yaml: rule `Bad_Id`: keyword `ab` is shorter than 3 bytes",
        ]
    );
}

/// Only patterns that can cross a newline count as multi-line.
#[test]
fn multiline_patterns_are_recognised() {
    let rule = |p: &str| {
        let yaml = format!("rules:\n  - id: a-b\n    name: x\n    category: generic\n    confidence: low\n    keywords: [abc]\n    pattern: '{p}'\n");
        parse_rule_file("t.yaml", &yaml).unwrap().remove(0)
    };
    assert!(!rule(r#"(?P<secret>[^"\r\n]{8,})"#).multiline);
    assert!(!rule(r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b").multiline);
    assert!(rule(r"(?P<secret>-----BEGIN[\s\S]+?END)").multiline);
    assert!(rule(r"(?P<secret>KEY-----(?:\r?\n)+)").multiline);
    assert!(!rule(r"(?P<secret>[a-z]{8})(?:\s|\r?$)").multiline);
    assert!(rule(r"(?s)(?P<secret>a.+b)").multiline);
}

/// Unknown keys in a rule file are an error, not silently ignored.
/// Built-in patterns are ASCII (`\w` does not match `é`); a user's
/// pattern that needs Unicode classes still compiles, with Unicode.
#[test]
fn patterns_are_ascii_unless_they_need_unicode() {
    let ascii = build_regex(r"^\w+$").unwrap();
    assert!(ascii.is_match(b"abc_1"));
    assert!(!ascii.is_match("é".as_bytes()));
    let unicode = build_regex(r"^\p{L}+$").unwrap();
    assert!(unicode.is_match("été".as_bytes()));
    assert!(build_regex(r"(unclosed").is_err());
}

/// `^` and `$` match at every line's ends, and `\A` at the content's
/// start only.
#[test]
fn anchors_match_at_line_boundaries() {
    let re = build_regex(r"(?:^|[^a-z])(?P<s>tok_[0-9]{4})(?:[^0-9]|$)").unwrap();
    let text = b"first line\ntok_1234\nlast";
    let caps = re.captures(text).unwrap();
    assert_eq!(&caps["s"], b"tok_1234");
    assert!(!build_regex(r"\Atok_").unwrap().is_match(text));
}

#[test]
fn unknown_keys_are_rejected() {
    let text = "rules:\n  - id: a-b\n    name: x\n    category: generic\n    confidence: low\n    keywords: [abc]\n    pattern: '(?P<secret>abc)'\n    colour: red\n";
    let err = parse_rule_file("t.yaml", text).unwrap_err().to_string();
    assert!(err.contains("colour"), "{err}");
}

/// A check rule names a known check, has a remedy and no pattern, and
/// its remedy's placeholders are filled.
#[test]
fn check_rules_are_validated() {
    let rule = |extra: &str| {
        let yaml = format!("rules:\n  - id: my-env\n    name: x\n    category: env-hygiene\n    confidence: low\n{extra}");
        parse_rule_file("t.yaml", &yaml).map_err(|e| e.to_string())
    };
    let ok = rule("    check: env-tracked\n    remedy: 'git rm --cached {path} {x}'\n")
        .unwrap()
        .remove(0);
    assert_eq!(ok.check, Some(Check::EnvTracked));
    assert!(ok.regex().is_none());
    assert_eq!(
        ok.remedy_with(&[("path", "{x}.env")]).unwrap(),
        "git rm --cached {x}.env {x}"
    );
    let err = rule("    check: nope\n    remedy: r\n").unwrap_err();
    assert!(
        err.contains("my-env") && err.contains("unknown check `nope`"),
        "{err}"
    );
    let err = rule("    check: env-tracked\n    remedy: r\n    keywords: [abc]\n").unwrap_err();
    assert!(err.contains("no `keywords`"), "{err}");
    let err = rule("    check: env-tracked\n").unwrap_err();
    assert!(err.contains("needs a remedy"), "{err}");
    let err = rule("    keywords: [abc]\n").unwrap_err();
    assert!(err.contains("neither a pattern"), "{err}");
}
