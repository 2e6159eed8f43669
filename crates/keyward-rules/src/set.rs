//! The rule set of one scan: the embedded pack, user files, disabled ids
//! and the minimum confidence; and its digest, which keys caches.

use std::path::Path;

use crate::PATTERN_SEMANTICS;
use crate::{
    embedded, gitleaks, hex, parse_rule_file, Check, Confidence, Rule, RuleError, RuleFileSpec,
};

/// Every rule keyward knows for one scan: the embedded pack plus user files,
/// minus disabled ids.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules compiled into the binary from `patterns/*.yaml`. The rules
    /// test guarantees these parse; a failure here is a build defect.
    pub fn embedded() -> Result<RuleSet, RuleError> {
        RuleSet::embedded_with(true)
    }

    /// The embedded rules as a scan needs them: without the examples and
    /// negatives, written or generated for named tokens, which only
    /// checking the rules runs (parsing and generating them is start-up
    /// work of every scan).
    pub fn embedded_for_scan() -> Result<RuleSet, RuleError> {
        RuleSet::embedded_with(false)
    }

    fn embedded_with(with_cases: bool) -> Result<RuleSet, RuleError> {
        let mut rules = Vec::new();
        for (name, full, without_cases) in embedded::FILES {
            let json = if with_cases { full } else { without_cases };
            let origin = format!("patterns/{name}");
            let spec: RuleFileSpec = serde_json::from_str(json).map_err(|e| RuleError::Parse {
                origin: origin.clone(),
                msg: e.to_string(),
            })?;
            rules.extend(spec.compile_with(&origin, with_cases)?);
        }
        RuleSet::from_rules(rules)
    }

    /// Builds a set, refusing duplicate ids.
    pub fn from_rules(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        match RuleSet::conflicts(&rules).into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(RuleSet { rules }),
        }
    }

    /// Every id that repeats an earlier rule's, and every check that an
    /// earlier rule already stands for.
    pub fn conflicts(rules: &[Rule]) -> Vec<RuleError> {
        let mut problems = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for rule in rules {
            if let Some(first) = seen.insert(rule.id.as_str(), rule.origin.as_str()) {
                problems.push(RuleError::Invalid {
                    origin: rule.origin.clone(),
                    id: rule.id.clone(),
                    msg: format!("id repeats a rule from {first}"),
                });
            }
        }
        let mut checks = std::collections::HashMap::new();
        for rule in rules {
            let Some(check) = rule.check else { continue };
            if let Some(first) = checks.insert(check, rule.id.as_str()) {
                problems.push(RuleError::Invalid {
                    origin: rule.origin.clone(),
                    id: rule.id.clone(),
                    msg: format!("check `{check}` is already rule `{first}`"),
                });
            }
        }
        problems
    }

    /// Adds the rules of a user's file; their patterns compile now so a typo
    /// is an error at start-up, not a silently dead rule. A file named
    /// `*.toml` is a gitleaks config, converted; the warnings returned name
    /// each of its fields keyward does not honour.
    pub fn add_file(&mut self, path: &Path) -> Result<Vec<String>, RuleError> {
        let origin = path.display().to_string();
        let text = keyward_content::read_setting_file(path, keyward_content::DATA_FILE_LIMIT)
            .map_err(|e| RuleError::Read {
                origin: origin.clone(),
                msg: e.to_string(),
            })?;
        let is_gitleaks = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        let (extra, warnings) = if is_gitleaks {
            let (specs, warnings) = gitleaks::convert(&origin, &text)?;
            let rules = specs
                .into_iter()
                .map(|s| s.compile(&origin))
                .collect::<Result<Vec<_>, _>>()?;
            (rules, warnings)
        } else {
            (parse_rule_file(&origin, &text)?, Vec::new())
        };
        for rule in &extra {
            rule.check_pattern().map_err(|msg| RuleError::Invalid {
                origin: origin.clone(),
                id: rule.id.clone(),
                msg,
            })?;
        }
        let mut all = std::mem::take(&mut self.rules);
        all.extend(extra);
        *self = RuleSet::from_rules(all)?;
        Ok(warnings)
    }

    /// Drops rules by id; unknown ids are returned so the caller can warn.
    pub fn disable(&mut self, ids: &[String]) -> Vec<String> {
        let unknown = ids
            .iter()
            .filter(|id| !self.rules.iter().any(|r| &r.id == *id))
            .cloned()
            .collect();
        self.rules.retain(|r| !ids.contains(&r.id));
        unknown
    }

    /// Keeps only rules at or above a confidence.
    pub fn retain_min_confidence(&mut self, min: Confidence) {
        self.rules.retain(|r| r.confidence >= min);
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rule standing for a built-in check, if it is in the set (not
    /// disabled, not below the minimum confidence).
    pub fn check(&self, check: Check) -> Option<&Rule> {
        self.rules.iter().find(|r| r.check == Some(check))
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// A stable hash of every rule's definition, used to key caches of
    /// already-scanned content: all that decides what a rule matches
    /// (its keywords, which find its windows; its confidence and
    /// category, which decide overlaps; its pattern and filters) and the
    /// published example keys that are never findings.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION"));
        h.update(crate::placeholder::DOCUMENTED_EXAMPLES);
        // How patterns compile (ASCII classes since this tag): a cached
        // "no match" from another compilation must not be reused.
        h.update(PATTERN_SEMANTICS);
        // Check rules match no content: toggling one must not void the cache.
        // Nor do file rules' matches go into the cache (they depend on the
        // path, which a blob does not have).
        for r in self
            .rules
            .iter()
            .filter(|r| r.check.is_none() && r.files.is_empty())
        {
            for part in [
                r.id.as_str(),
                r.pattern(),
                &format!("{:?}{:?}{}", r.min_entropy, r.verify, r.keep_placeholders),
                &format!("{:?}{:?}{}", r.confidence, r.category, r.multiline),
                &r.keywords.join("\u{1f}"),
            ] {
                h.update(part.as_bytes());
                h.update([0]);
            }
            if let Some(sink) = &r.sink {
                h.update(format!("{sink:?}").as_bytes());
                h.update([0]);
            }
            for a in r.allow_patterns.iter().chain(&r.allow_match_patterns) {
                h.update(a.as_str());
                h.update([0]);
            }
        }
        hex(&h.finalize())
    }
}
