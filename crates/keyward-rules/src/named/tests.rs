//! The named-token compiler's tests.
use super::shape::{expected_entropy, shannon_entropy};
use super::*;

fn spec(provider: &[&str], shape: Shape) -> NamedTokenSpec {
    NamedTokenSpec {
        id: "demo-api-key".into(),
        name: "Demo API key".into(),
        category: Category::Saas,
        provider: provider.iter().map(|p| p.to_string()).collect(),
        shape,
        confidence: Confidence::Medium,
        references: vec!["https://example.com/docs/auth".into()],
    }
}

/// A token of the shape made at run time, so the tree holds none.
fn fake(shape: Shape) -> String {
    shape.valid_token(&mut SplitMix::from_id("test"))
}

fn regex(rule: &RuleSpec) -> regex::bytes::Regex {
    crate::build_regex(&rule.pattern).expect("generated pattern compiles")
}

fn secret<'a>(rule: &RuleSpec, text: &'a str) -> Option<&'a str> {
    let caps = regex(rule).captures(text.as_bytes())?;
    let m = caps.name("secret")?;
    Some(&text[m.start()..m.end()])
}

/// An entry compiles into a rule whose keywords are the provider's
/// spellings, whose pattern needs a secret word beside the name, and
/// whose token is exactly the shape.
#[test]
fn an_entry_compiles_into_a_rule() {
    let long = spec(&["demoapp"], Shape::HEX32).to_rule_spec().unwrap();
    assert_eq!(long.keywords, ["demoapp"]);
    // A short name is a keyword only joined to a separator or secret word.
    let rule = spec(&["demo"], Shape::HEX32).to_rule_spec().unwrap();
    for k in ["demo_", "_demo", "demo.", "demoapi", "demokey"] {
        assert!(
            rule.keywords.iter().any(|w| w == k),
            "{k}: {:?}",
            rule.keywords
        );
    }
    assert!(!rule.keywords.iter().any(|w| w == "demo"));
    assert_eq!(rule.min_entropy, Some(3.0));
    let tok: &str = &fake(Shape::HEX32);
    assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}")), Some(tok));
    assert_eq!(secret(&rule, &format!("apiKeyDemo: '{tok}'")), Some(tok));
    assert_eq!(
        secret(&rule, &format!("$demo_secret := \"{tok}\"")),
        Some(tok)
    );
    assert_eq!(
        secret(&rule, &format!("ENV['DEMO_TOKEN'] = '{tok}'")),
        Some(tok)
    );
    assert_eq!(secret(&rule, &format!("demo_space_id = \"{tok}\"")), None);
    assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}0")), None);
    assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}g")), None);
    assert_eq!(secret(&rule, &format!("DEMO_API_KEY={}", &tok[1..])), None);
}

/// The provider's name is a word of the identifier: it starts and ends
/// at a separator, the identifier's ends, a secret word, or a camelCase
/// capital; inside a longer word it is another name.
#[test]
fn the_provider_is_a_word_of_the_name() {
    let rule = spec(&["demo"], Shape::HEX32).to_rule_spec().unwrap();
    let tok: &str = &fake(Shape::HEX32);
    let found = |name: &str| secret(&rule, &format!("{name} = \"{tok}\"")).is_some();
    for name in [
        "DEMO_KEY",
        "demokey",
        "DEMOTOKEN",
        "demoToken",
        "demoProjectApiKey",
        "myDemoSecret",
        "APP_DEMO_API_KEY",
        "api_key_demo",
        "apiKeyDemo",
        "tokenDemoProd",
        "config.demo.auth",
    ] {
        assert!(found(name), "{name} is not found");
    }
    for name in [
        "nodemo_key",
        "demonstration_key",
        "DEMONSTRATION_KEY",
        "demonstrationKey",
        "api_key_demos",
        "API_KEY_DEMOS",
        "tokenDemos",
        "demo_space_id",
    ] {
        assert!(!found(name), "{name} is found");
    }
}

/// A spelling of several words matches with `_`, `-`, `.` or nothing
/// between them, and each way is a keyword.
#[test]
fn words_of_a_spelling_join_any_way() {
    let rule = spec(&["open_weather"], Shape::ALNUM32)
        .to_rule_spec()
        .unwrap();
    assert_eq!(
        rule.keywords,
        [
            "open_weather",
            "open-weather",
            "open.weather",
            "openweather"
        ]
    );
    let tok: &str = &fake(Shape::ALNUM32);
    for name in [
        "OPEN_WEATHER_KEY",
        "openWeatherApiKey",
        "open-weather.token",
    ] {
        assert_eq!(
            secret(&rule, &format!("{name}: {tok}")),
            Some(tok),
            "{name}"
        );
    }
}

/// A UUID token is the 8-4-4-4-12 form only.
#[test]
fn uuid_shape() {
    let rule = spec(&["demo"], Shape::UUID).to_rule_spec().unwrap();
    let tok: &str = &fake(Shape::UUID);
    assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}")), Some(tok));
    assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}a")), None);
}

/// The short alphanumeric shapes take exactly their length, and their
/// generated examples pass their own rule.
#[test]
fn short_alnum_shapes() {
    for (shape, len) in [
        (Shape::ALNUM20, 20),
        (Shape::ALNUM24, 24),
        (Shape::ALNUM30, 30),
    ] {
        let rule = spec(&["demo"], shape).to_rule_spec().unwrap();
        let tok: &str = &fake(shape);
        assert_eq!(tok.len(), len);
        assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}")), Some(tok));
        assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}Q")), None);
        assert_eq!(secret(&rule, &format!("DEMO_API_KEY={}", &tok[1..])), None);
        for e in &rule.examples {
            assert!(secret(&rule, e).is_some_and(|s| s.len() == len), "{e}");
        }
    }
}

/// Examples and negatives are generated from the id: the same strings
/// every time, different for another id, four examples and five
/// negatives in the promised syntaxes.
#[test]
fn cases_are_generated_from_the_id() {
    let a = spec(&["demo"], Shape::ALNUM40).to_rule_spec().unwrap();
    let b = spec(&["demo"], Shape::ALNUM40).to_rule_spec().unwrap();
    assert_eq!(a.examples, b.examples);
    assert_eq!(a.negatives, b.negatives);
    let mut other = spec(&["demo"], Shape::ALNUM40);
    other.id = "demo-token".into();
    assert_ne!(other.to_rule_spec().unwrap().examples, a.examples);
    assert_eq!(a.examples.len(), 4, "a short name has no prose example");
    assert_eq!(a.negatives.len(), 6);
    let long = spec(&["demoprovider"], Shape::ALNUM40)
        .to_rule_spec()
        .unwrap();
    assert_eq!(long.examples.len(), 5);
    assert!(long.examples[4].starts_with("demoprovider api key "));
    assert!(a.examples[0].starts_with("DEMO_API_KEY="));
    assert!(a.examples[2].starts_with("  \"demoApiKey\": \""));
    assert!(a.negatives[3].starts_with("demo_project_id = "));
    for e in &a.examples {
        assert!(secret(&a, e).is_some_and(|s| s.len() == 40), "{e}");
    }
}

/// Entries that cannot make a good rule are refused with every reason.
#[test]
fn bad_entries_are_refused() {
    let mut bad = spec(&["Demo", "de mo"], Shape::HEX32);
    bad.references.clear();
    bad.category = Category::Generic;
    bad.confidence = Confidence::Low;
    let problems = bad.to_rule_spec().unwrap_err();
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert!(spec(&[], Shape::HEX32).to_rule_spec().is_err());
}

/// Shapes are spelled in files as documented.
#[test]
fn shapes_parse_by_name() {
    for (name, shape, len) in [
        ("hex32", Shape::HEX32, 32),
        ("hex40", Shape::HEX40, 40),
        ("hex64", Shape::HEX64, 64),
        ("alnum20", Shape::ALNUM20, 20),
        ("alnum24", Shape::ALNUM24, 24),
        ("alnum30", Shape::ALNUM30, 30),
        ("alnum32", Shape::ALNUM32, 32),
        ("alnum40", Shape::ALNUM40, 40),
        ("alnum64", Shape::ALNUM64, 64),
        ("base64-40", Shape::BASE64_40, 40),
        ("uuid", Shape::UUID, 32),
    ] {
        let parsed: Shape = serde_yaml_ng::from_str(name).unwrap();
        assert_eq!(parsed, shape);
        assert_eq!(shape.len(), len);
    }
}

/// `ALPHABET:LENGTH` reads into a shape whose gate comes from the
/// expected entropy; the older names keep theirs; anything else is named
/// in the error.
#[test]
fn sized_shapes_read_from_alphabet_and_length() {
    assert_eq!(
        Shape::parse("hex32"),
        Ok(Shape::HEX32),
        "the older names too"
    );
    assert_eq!(Shape::HEX32.min_entropy(), 3.0);
    let hex = Shape::parse("hex:32").unwrap();
    assert_eq!(hex.regex(), "[0-9a-f]{32}");
    assert_eq!(hex.min_entropy(), 3.0);
    let alnum = Shape::parse("alnum:43").unwrap();
    assert_eq!(alnum.regex(), "[a-z0-9]{43}");
    assert_eq!(alnum.min_entropy(), 4.1);
    assert_eq!(
        Shape::parse("base64:44").unwrap().regex(),
        "[a-z0-9+/]{44}={0,2}"
    );
    assert_eq!(
        Shape::parse("base64url:96").unwrap().regex(),
        "[a-z0-9_-]{96}"
    );
    for bad in [
        "hex:9", "hex:513", "hex:", "hex:x", "octal:32", "alnum-32", "",
    ] {
        let err = Shape::parse(bad).unwrap_err();
        assert!(err.starts_with(&format!("shape `{bad}`")), "{err}");
    }
}

/// The expected entropy agrees with what random strings measure (the
/// means of 2,000 draws: hex of 32 3.62, lower case and digits of 32
/// 4.27, of 12 3.30, of 96 4.88).
#[test]
fn expected_entropy_is_what_random_strings_have() {
    for (len, symbols, mean) in [
        (32, 16, 3.62),
        (32, 36, 4.27),
        (12, 36, 3.30),
        (96, 36, 4.88),
    ] {
        let e = expected_entropy(len, symbols);
        assert!((e - mean).abs() < 0.03, "{len}/{symbols}: {e}");
    }
}

/// Nearly every random token of a computed shape clears its gate, and so
/// do those of lower case and digits only.
#[test]
fn random_tokens_clear_computed_gates() {
    let mut rng = SplitMix::from_id("gates");
    for text in [
        "alnum:12",
        "alnum:20",
        "alnum:43",
        "alnum:96",
        "hex:50",
        "base64url:44",
    ] {
        let shape = Shape::parse(text).unwrap();
        for lower in [false, true] {
            let cleared = (0..1000)
                .filter(|_| {
                    let t = shape.token(&mut rng, shape.len());
                    let t = if lower { t.to_ascii_lowercase() } else { t };
                    shannon_entropy(t.as_bytes()) >= shape.min_entropy()
                })
                .count();
            assert!(cleared >= 970, "{text} lower={lower}: {cleared}/1000");
        }
    }
}

/// In prose and notes, a long name takes `access` and `private` as secret
/// words, up to three secret words, and a `-` or `.` straight after the
/// word; a word that is not a secret's, a token run into more text, or
/// one on the next line is not taken (the rule stays a one-line rule).
#[test]
fn prose_forms_of_a_long_name() {
    let rule = spec(&["demoprovider"], Shape::ALNUM32)
        .to_rule_spec()
        .unwrap();
    let tok: &str = &fake(Shape::ALNUM32);
    for text in [
        format!("demoprovider ACCESS {tok}"),
        format!("demoproviderPRIVATE {tok}"),
        format!("demoprovider access key {tok}"),
        format!("demoprovider private access key {tok}"),
        format!("demoprovider-SECRET-{tok}"),
        format!("demoproviderSECRETkey-{tok}"),
        format!("demoprovider-access-token-key-{tok}"),
        format!("demoprovider   PRIVATE    KEY  :  {tok}"),
        format!("demoproviderKEY \"{tok}\""),
    ] {
        assert_eq!(secret(&rule, &text), Some(tok), "{text}");
    }
    assert!(!crate::compile::is_multiline(&rule.pattern));
    for text in [
        format!("demoprovider region {tok}"),
        format!("demoprovider-build-{tok}"),
        format!("demoprovider access key {tok}-more"),
        format!("demoprovider access key\n{tok}"),
    ] {
        assert_eq!(secret(&rule, &text), None, "{text}");
    }
}

/// The gate matches wherever the pattern does (a window it skips cannot
/// hold a match), and reads the same secret run: over every embedded
/// named token's examples and negatives, and forms the examples lack
/// (camelCase after a lower-case letter, the name after the secret word,
/// prose, several spellings).
#[test]
fn the_gate_matches_wherever_the_pattern_does() {
    let set = crate::RuleSet::embedded().unwrap();
    let named: Vec<&crate::Rule> = set
        .rules()
        .iter()
        .filter(|r| r.origin.ends_with("named-tokens.yaml"))
        .collect();
    assert!(named.len() > 250, "{}", named.len());
    let mut matched = 0;
    for rule in named {
        let gate = rule.gate_regex().expect("a named token has a gate");
        let pattern = rule.regex().unwrap();
        for text in rule.examples.iter().chain(&rule.negatives) {
            if pattern.is_match(text.as_bytes()) {
                matched += 1;
                assert!(gate.is_match(text.as_bytes()), "{}: {text}", rule.id);
            }
        }
        let run = |p: &str| crate::run::SecretRun::of_pattern(p).map(|r| r.min);
        assert_eq!(
            run(rule.pattern()),
            rule.secret_run().map(|r| r.min),
            "{}",
            rule.id
        );
    }
    assert!(matched > 1000, "{matched}");
    let rule = spec(&["demo_provider", "demoprov"], Shape::HEX32)
        .to_rule_spec()
        .unwrap();
    let (pattern, gate) = (
        regex(&rule),
        crate::build_regex(rule.gate.as_ref().unwrap()).unwrap(),
    );
    let tok: &str = &fake(Shape::HEX32);
    for text in [
        format!("myDemoProviderApiKey = '{tok}'"),
        format!("apiKeyDemoProvider: {tok}"),
        format!("SECRET_DEMO.PROVIDER_PROD => \"{tok}\""),
        format!("x.demoprovToken := `{tok}`"),
        format!("Demo-Provider API key: {tok}"),
        format!("settings[\"demoprov_key\"] = \"{tok}\""),
    ] {
        assert!(pattern.is_match(text.as_bytes()), "{text}");
        assert!(gate.is_match(text.as_bytes()), "{text}");
    }
}
