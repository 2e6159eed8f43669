//! Checks rules against their own examples and negatives through the real
//! detector: what `keyward rules check` and the embedded-rules test run.
//! Lives with the detector because a rule is only right if the detector,
//! with its prefilter, windows, entropy and placeholder filters, agrees.

use keyward_rules::{check_rule_file, Rule, RuleSet};

use crate::Detector;

/// Checks every rule of a set against its own examples and negatives through
/// the real detector, returning every problem found (empty when all pass).
pub fn check_rules(rules: &[Rule]) -> Vec<String> {
    let mut problems = Vec::new();
    for rule in rules {
        let place = format!("{}: rule `{}`", rule.origin, rule.id);
        if rule.check.is_some() {
            // Validated when compiled; its behaviour is tested in code.
            continue;
        }
        if let Err(msg) = rule.check_pattern() {
            problems.push(format!("{place}: {msg}"));
            continue;
        }
        if rule.examples.is_empty() {
            problems.push(format!("{place}: has no example"));
        }
        if rule.negatives.is_empty() {
            problems.push(format!("{place}: has no negative"));
        }
        let single = RuleSet::from_rules(vec![rule.clone()]).expect("one rule repeats no id");
        let detector = Detector::new(&single);
        // A file rule's examples are the content of a file it reads.
        let path = rule.files.first().map(|f| example_path(f));
        let detect = |text: &str| match &path {
            Some(path) => detector.file_matches(text.as_bytes(), path, &[]),
            None => detector.detect(text.as_bytes()),
        };
        for (i, example) in rule.examples.iter().enumerate() {
            let lower = example.to_ascii_lowercase();
            if path.is_none()
                && !rule
                    .keywords
                    .iter()
                    .any(|k| lower.contains(&k.to_ascii_lowercase()))
            {
                problems.push(format!("{place}: example {} contains no keyword", i + 1));
            }
            if detect(example).is_empty() {
                problems.push(format!("{place}: example {} is not detected", i + 1));
            }
        }
        if let Some(pair) = &rule.pair {
            if !rule
                .examples
                .iter()
                .any(|e| example_pairs(&detector, e.as_bytes(), pair.within))
            {
                problems.push(format!(
                    "{place}: no example shows its pair ({}) beside the secret",
                    pair.name
                ));
            }
        }
        for (i, negative) in rule.negatives.iter().enumerate() {
            if !detect(negative).is_empty() {
                problems.push(format!("{place}: negative {} is detected", i + 1));
            }
        }
    }
    problems
}

/// A path a `files` entry names: `config.ini` for `*.ini`.
fn example_path(entry: &str) -> String {
    match entry.strip_prefix('*') {
        Some(ext) => format!("config{ext}"),
        None => entry.to_string(),
    }
}

/// Whether a finding of the detector's one rule in `example` has its pair
/// within `within` lines.
fn example_pairs(detector: &Detector<'_>, example: &[u8], within: usize) -> bool {
    let rule = &detector.rules()[0];
    let ids = crate::pair_spans(rule, example, &[(0, example.len())]);
    let line_of = |at: usize| example[..at].iter().filter(|&&b| b == b'\n').count();
    detector
        .detect(example)
        .iter()
        .any(|m| crate::nearest_pair(&ids, (m.start, m.end), within, line_of).is_some())
}

/// Checks rule files: each must parse, its ids must not repeat each other
/// or a built-in rule, and each rule must pass [`check_rules`]. A file that
/// has the name of a built-in `patterns/` file replaces its embedded copy,
/// so rule authors can check their edits before rebuilding.
pub fn check_files(files: &[std::path::PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut checked: Vec<Rule> = Vec::new();
    let mut replaced: Vec<String> = Vec::new();
    for file in files {
        let origin = file.display().to_string();
        if let Some(name) = file.file_name().and_then(|n| n.to_str()) {
            let parent = file
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|p| p.to_str());
            if parent == Some("patterns") {
                replaced.push(format!("patterns/{name}"));
            }
        }
        match std::fs::read_to_string(file) {
            Ok(text) => {
                let (rules, found) = check_rule_file(&origin, &text);
                checked.extend(rules);
                problems.extend(found.iter().map(ToString::to_string));
            }
            Err(e) => problems.push(format!("{origin}: cannot read: {e}")),
        }
    }
    let builtin = match RuleSet::embedded() {
        Ok(set) => set.rules().to_vec(),
        Err(e) => return vec![e.to_string()],
    };
    let others: Vec<Rule> = builtin
        .into_iter()
        .filter(|r| !replaced.contains(&r.origin))
        .collect();
    for rule in &checked {
        if let Some(b) = others.iter().find(|b| b.id == rule.id) {
            problems.push(format!(
                "{}: rule `{}`: id repeats a rule from {}",
                rule.origin, rule.id, b.origin
            ));
        }
    }
    problems.extend(RuleSet::conflicts(&checked).iter().map(ToString::to_string));
    problems.extend(check_rules(&checked));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_rules::parse_rule_file;

    /// Every embedded rule parses, has a unique id, compiles, has examples
    /// that the real detector finds and negatives it does not.
    #[test]
    fn embedded_rules_pass_their_own_examples() {
        let set = RuleSet::embedded().expect("embedded rules parse");
        let problems = check_rules(set.rules());
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
        assert!(set.len() >= 40, "only {} rules", set.len());
    }

    /// The detector never runs a check rule (it has no keywords or pattern).
    #[test]
    fn check_rules_never_run_in_the_detector() {
        let set = RuleSet::embedded().unwrap();
        assert!(set.rules().iter().any(|r| r.check.is_some()));
        let detector = Detector::new(&set);
        assert!(detector.detect(b"SECRET_KEY=changeme .env").is_empty());
    }

    /// A rule with a pair needs an example that shows it.
    #[test]
    fn pair_needs_an_example_showing_it() {
        let rule = |example: &str| {
            let text = format!("rules:\n  - id: demo-token\n    name: x\n    category: saas\n    confidence: high\n    keywords: [dmo_]\n    pattern: '(?P<secret>dmo_[0-9]{{8}})'\n    pair: {{name: app id, pattern: 'app=(?P<id>[0-9]+)', within: 1}}\n    examples: ['{example}']\n    negatives: ['dmo_']\n");
            let set = RuleSet::from_rules(parse_rule_file("t.yaml", &text).unwrap()).unwrap();
            check_rules(set.rules())
        };
        assert_eq!(rule("app=7 dmo_83920571"), Vec::<String>::new());
        assert_eq!(
            rule("dmo_83920571"),
            vec!["t.yaml: rule `demo-token`: no example shows its pair (app id) beside the secret"]
        );
    }

    /// A rule whose example is not detected is reported by name and number.
    #[test]
    fn failing_example_is_reported() {
        let text = "rules:\n  - id: demo-token\n    name: x\n    category: generic\n    confidence: high\n    keywords: [dmo_]\n    pattern: '(?P<secret>dmo_[0-9]{8})'\n    examples: ['dmo_12ab']\n    negatives: ['dmo_']\n";
        let set = RuleSet::from_rules(parse_rule_file("t.yaml", text).unwrap()).unwrap();
        let problems = check_rules(set.rules());
        assert_eq!(
            problems,
            vec!["t.yaml: rule `demo-token`: example 1 is not detected"]
        );
    }
}
