//! A rule's `pair`: the part of a two-part credential that is not secret
//! on its own, as written and validated. Finding it near a secret is the
//! scan's (`keyward_detect::pair_spans`); nothing here reads content.

use serde::Deserialize;

use crate::build_regex;

/// The part of a two-part credential that is not secret on its own (a
/// client id, an account SID, an access key id), looked for within
/// `within` lines of a rule's finding. It never decides whether the secret
/// is reported: a secret without it is still a finding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    /// What the other part is: `account SID`, `client id`.
    pub name: String,
    /// Its regex: the group named `id` when there is one, else the whole
    /// match, is the part.
    pub pattern: String,
    /// How many lines before or after the secret's line it may be on.
    pub within: usize,
}

/// The largest `within` a pair may have: the search stays local.
pub const PAIR_MAX_WITHIN: usize = 20;

impl PairSpec {
    /// What is wrong with the pair as written, short of compiling its
    /// pattern (which [`PairSpec::check_pattern`] does).
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push("a pair needs a `name` (what the other part is)".into());
        }
        if self.pattern.is_empty() {
            problems.push("a pair needs a `pattern`".into());
        }
        if !(1..=PAIR_MAX_WITHIN).contains(&self.within) {
            problems.push(format!(
                "a pair's `within` is 1 to {PAIR_MAX_WITHIN} lines, not {}",
                self.within
            ));
        }
        problems
    }

    /// Compiles the pattern now: it must compile and must not match the
    /// empty string.
    pub(crate) fn check_pattern(&self) -> Result<(), String> {
        let regex = build_regex(&self.pattern)
            .map_err(|e| format!("pair pattern does not compile: {e}"))?;
        if regex.is_match(b"") {
            return Err("pair pattern matches the empty string".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_rule_file;

    /// A pair has a name, a pattern that compiles and matches something,
    /// and a `within` of 1 to 20 lines; a check rule has none.
    #[test]
    fn pairs_are_validated() {
        let rule = |pair: &str| {
            let yaml = format!("rules:\n  - id: a-b\n    name: x\n    category: generic\n    confidence: low\n    keywords: [abc]\n    pattern: '(?P<secret>abc)'\n    pair: {pair}\n");
            parse_rule_file("t.yaml", &yaml).map_err(|e| e.to_string())
        };
        let ok = rule("{name: app id, pattern: 'id=(?P<id>[0-9]+)', within: 3}")
            .unwrap()
            .remove(0);
        let pair = ok.pair.as_ref().unwrap();
        assert_eq!((pair.name.as_str(), pair.within), ("app id", 3));
        assert!(ok.check_pattern().is_ok());
        assert!(ok.pair_regex().unwrap().is_match(b"id=42"));
        for (pair, msg) in [
            ("{name: '', pattern: x, within: 3}", "needs a `name`"),
            ("{name: a, pattern: x, within: 0}", "1 to 20 lines, not 0"),
            ("{name: a, pattern: x, within: 21}", "1 to 20 lines, not 21"),
            ("{name: a, pattern: x}", "missing field `within`"),
            (
                "{name: a, pattern: x, within: 2, near: 1}",
                "unknown field `near`",
            ),
        ] {
            let err = rule(pair).unwrap_err();
            assert!(err.contains(msg), "{pair}: {err}");
        }
        let bad = rule("{name: a, pattern: '(x', within: 2}")
            .unwrap()
            .remove(0);
        let err = bad.check_pattern().unwrap_err();
        assert!(err.contains("pair pattern does not compile"), "{err}");
        let empty = rule("{name: a, pattern: 'x*', within: 2}")
            .unwrap()
            .remove(0);
        assert!(empty.check_pattern().unwrap_err().contains("empty string"));
        let yaml = "rules:\n  - id: my-env\n    name: x\n    category: env-hygiene\n    confidence: low\n    check: env-tracked\n    remedy: r\n    pair: {name: a, pattern: x, within: 2}\n";
        let err = parse_rule_file("t.yaml", yaml).unwrap_err().to_string();
        assert!(err.contains("no `pair`"), "{err}");
    }
}
