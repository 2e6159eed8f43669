//! Custom rules from a gitleaks config (`--rules gitleaks.toml`, or
//! keyward.toml's `rules`): converted, run by the real binary, and every
//! field keyward cannot honour named in a warning (issue 23).

use crate::fake;
use crate::support::Work;

/// A gitleaks rule for an internal token with keywords and a stopword:
/// the token is found, the one holding the stopword is allowed, and the
/// rule's `path`, which keyward does not honour, is named in a warning.
#[test]
fn gitleaks_rules_find_allow_and_warn() {
    let w = Work::new();
    let config = r#"title = "acme"

[[rules]]
id = "acme-internal-token"
description = "Acme internal token"
regex = '''\b(acme_[a-z0-9]{32})\b'''
secretGroup = 1
keywords = ["ACME_"]
path = '''\.cfg$'''

[[rules.allowlists]]
stopwords = ["ci0build"]
"#;
    w.write("rules/gitleaks.toml", config);
    let token = fake::token("", 32, 23).to_ascii_lowercase();
    let allowed = format!("ci0build{}", &token[8..]);
    w.write(
        "app/settings.txt",
        &format!(
            "name = demo\nacme = acme_{token}\nci = acme_{allowed}\n",
            token = token,
            allowed = allowed
        ),
    );
    let warning = "rules/gitleaks.toml: rule `acme-internal-token`: `path` is not honoured";
    let run = w.keyward(&[
        "scan",
        "--rules",
        "rules/gitleaks.toml",
        "--format",
        "json",
        "app",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.rule_path_line(),
        [(
            "acme-internal-token".to_string(),
            "settings.txt".to_string(),
            2
        )]
    );
    assert!(run.stderr.contains(warning), "{}", run.stderr);

    // Without its allowlist, the rule finds the second token too.
    let (rule, _) = config.split_once("[[rules.allowlists]]").expect("has one");
    w.write("rules/bare.toml", rule);
    w.write("keyward.toml", "rules = [\"rules/bare.toml\"]\n");
    let run = w.keyward(&[
        "scan",
        "--config",
        "keyward.toml",
        "--format",
        "json",
        "app",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<u64> = run.rule_path_line().iter().map(|f| f.2).collect();
    assert_eq!(lines, [2, 3], "{}", run.stdout);
    assert!(
        run.stderr
            .contains("rules/bare.toml: rule `acme-internal-token`: `path`"),
        "{}",
        run.stderr
    );
}

/// A gitleaks regex that does not compile is an error naming the file and
/// the rule, and the scan does not run.
#[test]
fn gitleaks_rule_that_does_not_compile_is_an_error() {
    let w = Work::new();
    w.write(
        "gitleaks.toml",
        "[[rules]]\nid = \"broken\"\nregex = '''acme_([a-z'''\nkeywords = [\"acme_\"]\n",
    );
    w.write("app/a.txt", "nothing here\n");
    let run = w.keyward(&["scan", "--rules", "gitleaks.toml", "app"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("gitleaks.toml: rule `broken`: pattern does not compile"),
        "{}",
        run.stderr
    );
}
