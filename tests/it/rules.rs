//! `keyward rules`: listing the rule set and checking rule files.

use crate::support::Work;

/// `rules list` accepts only the formats it writes: `sarif`, `jsonl` and
/// `gitlab` are refused by the argument parser, not silently shown as the
/// table (issue 24).
#[test]
fn rules_list_refuses_formats_it_does_not_write() {
    let w = Work::new();
    for format in ["sarif", "jsonl", "gitlab"] {
        let run = w.keyward(&["rules", "list", "--format", format]);
        assert_eq!(run.code, 2, "{format}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{format}: {}", run.stdout);
        assert!(
            run.stderr.contains("possible values: human, json"),
            "{format}: {}",
            run.stderr
        );
    }
    for format in ["human", "json"] {
        let run = w.keyward(&["rules", "list", "--format", format]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
    }
}

/// The human listing has the keywords column its help promises; a check
/// rule, which has none, shows `-` (issue 24).
#[test]
fn rules_list_shows_keywords() {
    let w = Work::new();
    let run = w.keyward(&["rules", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = |id: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no line for {id}:\n{}", run.stdout))
            .to_string()
    };
    let anthropic = line("anthropic-api-key");
    assert!(
        anthropic.contains("Anthropic API key") && anthropic.ends_with(" sk-ant-"),
        "{anthropic:?}"
    );
    assert!(
        line("env-tracked").ends_with(" -"),
        "{}",
        line("env-tracked")
    );
}

/// `rules check` reports every problem of every rule in a file: each
/// unknown key, and a bad id does not hide the rule's other problems or
/// the next rule's (issue 24).
#[test]
fn rules_check_reports_every_problem() {
    let w = Work::new();
    w.write(
        "mine.yaml",
        "rules:
  - id: first-token
    name: first
    category: generic
    confidence: high
    keywords: [fst_]
    patern: '(?P<secret>fst_[0-9]{8})'
    exampels: ['fst_12345678']
  - id: Second_Token
    name: second
    category: generic
    confidence: high
    keywords: [sn]
    pattern: '(?P<secret>snd_[0-9]{8})'
    examples: ['snd_12345678']
    negatives: ['snd_']
  - id: third-token
    name: third
    category: generic
    confidence: high
    keywords: [thd_]
    pattern: '(?P<secret>thd_[0-9]{8})'
    examples: ['thd_1234']
    negatives: ['thd_']
",
    );
    let run = w.keyward(&["rules", "check", "mine.yaml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "rule `first-token`: unknown key `patern`",
        "rule `first-token`: unknown key `exampels`",
        "rule `Second_Token`: id must be kebab-case",
        "rule `Second_Token`: keyword `sn` is shorter than 3 bytes",
        "rule `third-token`: example 1 is not detected",
    ] {
        assert!(run.stderr.contains(expected), "{expected}:\n{}", run.stderr);
    }
}
