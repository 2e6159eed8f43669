//! The named-token compiler's tests.
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
    let long = spec(&["demoapp"], Shape::Hex32).to_rule_spec().unwrap();
    assert_eq!(long.keywords, ["demoapp"]);
    // A short name is a keyword only joined to a separator or secret word.
    let rule = spec(&["demo"], Shape::Hex32).to_rule_spec().unwrap();
    for k in ["demo_", "_demo", "demo.", "demoapi", "demokey"] {
        assert!(
            rule.keywords.iter().any(|w| w == k),
            "{k}: {:?}",
            rule.keywords
        );
    }
    assert!(!rule.keywords.iter().any(|w| w == "demo"));
    assert_eq!(rule.min_entropy, Some(3.0));
    let tok: &str = &fake(Shape::Hex32);
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
    let rule = spec(&["demo"], Shape::Hex32).to_rule_spec().unwrap();
    let tok: &str = &fake(Shape::Hex32);
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
    let rule = spec(&["open_weather"], Shape::Alnum32)
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
    let tok: &str = &fake(Shape::Alnum32);
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
    let rule = spec(&["demo"], Shape::Uuid).to_rule_spec().unwrap();
    let tok: &str = &fake(Shape::Uuid);
    assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}")), Some(tok));
    assert_eq!(secret(&rule, &format!("DEMO_API_KEY={tok}a")), None);
}

/// The short alphanumeric shapes take exactly their length, and their
/// generated examples pass their own rule.
#[test]
fn short_alnum_shapes() {
    for (shape, len) in [
        (Shape::Alnum20, 20),
        (Shape::Alnum24, 24),
        (Shape::Alnum30, 30),
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
    let a = spec(&["demo"], Shape::Alnum40).to_rule_spec().unwrap();
    let b = spec(&["demo"], Shape::Alnum40).to_rule_spec().unwrap();
    assert_eq!(a.examples, b.examples);
    assert_eq!(a.negatives, b.negatives);
    let mut other = spec(&["demo"], Shape::Alnum40);
    other.id = "demo-token".into();
    assert_ne!(other.to_rule_spec().unwrap().examples, a.examples);
    assert_eq!(a.examples.len(), 4, "a short name has no prose example");
    assert_eq!(a.negatives.len(), 6);
    let long = spec(&["demoprovider"], Shape::Alnum40)
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
    let mut bad = spec(&["Demo", "de mo"], Shape::Hex32);
    bad.references.clear();
    bad.category = Category::Generic;
    bad.confidence = Confidence::Low;
    let problems = bad.to_rule_spec().unwrap_err();
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert!(spec(&[], Shape::Hex32).to_rule_spec().is_err());
}

/// Shapes are spelled in files as documented.
#[test]
fn shapes_parse_by_name() {
    for (name, shape, len) in [
        ("hex32", Shape::Hex32, 32),
        ("hex40", Shape::Hex40, 40),
        ("hex64", Shape::Hex64, 64),
        ("alnum20", Shape::Alnum20, 20),
        ("alnum24", Shape::Alnum24, 24),
        ("alnum30", Shape::Alnum30, 30),
        ("alnum32", Shape::Alnum32, 32),
        ("alnum40", Shape::Alnum40, 40),
        ("alnum64", Shape::Alnum64, 64),
        ("base64-40", Shape::Base64x40, 40),
        ("uuid", Shape::Uuid, 32),
    ] {
        let parsed: Shape = serde_yaml_ng::from_str(name).unwrap();
        assert_eq!(parsed, shape);
        assert_eq!(shape.len(), len);
    }
}
