//! Compiling a rule as written (`RuleSpec`) into the validated [`Rule`]:
//! ids, keywords, the pattern, or the sink or check that stands for one.
//! Nothing here runs a pattern over content.

use std::sync::OnceLock;

use crate::{Category, Check, Confidence, Pattern, Rule, RuleError, RuleSpec, Sink, SinkSpec};

impl RuleSpec {
    /// Validates what can be checked without running the detector and returns
    /// the rule. Errors name the rule and the problem.
    pub fn compile(self, origin: &str) -> Result<Rule, RuleError> {
        let (rule, mut problems) = self.compile_checked(origin);
        match rule {
            Some(rule) if problems.is_empty() => Ok(rule),
            _ => Err(problems.remove(0)),
        }
    }

    /// Every problem [`compile`](RuleSpec::compile) sees, not only the
    /// first, and the rule when one can still be run against its examples
    /// (its only fault, if any, is its id).
    pub fn compile_checked(self, origin: &str) -> (Option<Rule>, Vec<RuleError>) {
        let err = |msg: String| RuleError::Invalid {
            origin: origin.to_string(),
            id: self.id.clone(),
            msg,
        };
        let mut problems = Vec::new();
        if !is_kebab_id(&self.id) {
            problems.push(err("id must be kebab-case ascii (a-z, 0-9, -)".into()));
        }
        let id_problems = problems.len();
        let mut failed = |msgs: Vec<String>| problems.extend(msgs.into_iter().map(err));
        let check = match &self.check {
            Some(name) => self.compile_check(name).map_err(&mut failed).ok(),
            None => None,
        };
        let sink = match &self.sink {
            Some(spec) => self.compile_sink(spec).map_err(&mut failed).ok(),
            None => None,
        };
        let pattern = match &self.sink {
            // No space before the `(`: code writes calls so, prose does not.
            Some(spec) => format!("(?:{})\\(", spec.call),
            None => self.pattern.clone(),
        };
        let mut others = Vec::new();
        if self.check.is_none() && pattern.is_empty() && self.deferred.is_none() {
            others.push("rule has neither a pattern, a sink nor a check".to_string());
        }
        if self.files.is_empty() {
            if self.check.is_none() && self.keywords.is_empty() {
                others.push("rule has no keyword".into());
            }
        } else {
            others.extend(self.file_problems());
        }
        if let Some(pair) = &self.pair {
            others.extend(pair.problems());
        }
        for k in self.keywords.iter().filter(|k| k.len() < 3) {
            others.push(format!("keyword `{k}` is shorter than 3 bytes"));
        }
        failed(others);
        if problems.len() > id_problems {
            return (None, problems);
        }
        // A sink's arguments may run over several lines. A named token's
        // pattern never does (a test compares each embedded one's
        // `multiline` in the scan set with the checked set's).
        let multiline = sink.is_some() || is_multiline(&pattern);
        let pattern = match self.deferred {
            Some(named) if pattern.is_empty() => Pattern::deferred(named),
            _ => Pattern::written(pattern),
        };
        let rule = Rule {
            multiline,
            id: self.id,
            name: self.name,
            category: self.category,
            confidence: self.confidence,
            check,
            remedy: self.remedy,
            keywords: self.keywords,
            pattern,
            sink,
            files: self.files,
            pair: self.pair,
            min_entropy: self.min_entropy,
            allow_patterns: self.allow,
            allow_match_patterns: self.allow_match,
            verify: self.verify,
            keep_placeholders: self.keep_placeholders,
            examples: self.examples,
            negatives: self.negatives,
            references: self.references,
            gate: self.gate,
            origin: origin.to_string(),
            regex: OnceLock::new(),
            gate_regex: OnceLock::new(),
            allow: OnceLock::new(),
            allow_match: OnceLock::new(),
            pair_regex: OnceLock::new(),
            secret_run: OnceLock::new(),
        };
        (Some(rule), problems)
    }
}

impl RuleSpec {
    /// A pattern rule with every optional field empty, for rules made in
    /// code (named tokens, converted gitleaks rules) to fill in with `..`.
    pub(crate) fn pattern_rule(
        id: String,
        name: String,
        category: Category,
        confidence: Confidence,
        keywords: Vec<String>,
        pattern: String,
    ) -> RuleSpec {
        RuleSpec {
            id,
            name,
            category,
            confidence,
            check: None,
            remedy: None,
            keywords,
            pattern,
            sink: None,
            files: Vec::new(),
            pair: None,
            min_entropy: None,
            allow: Vec::new(),
            allow_match: Vec::new(),
            verify: None,
            keep_placeholders: false,
            examples: Vec::new(),
            negatives: Vec::new(),
            references: Vec::new(),
            gate: None,
            deferred: None,
        }
    }

    /// What is wrong with a file rule: an entry that is not a file name,
    /// a path suffix or `*.ext`, or a field a file rule does not have.
    fn file_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for f in &self.files {
            let ext = f.strip_prefix("*.");
            let bad = f.is_empty()
                || f.starts_with('/')
                || f.ends_with('/')
                || f.contains("//")
                || match ext {
                    Some(ext) => ext.is_empty() || ext.contains(['*', '/']),
                    None => f.contains('*'),
                };
            if bad {
                problems.push(format!(
                    "`files` entry `{f}` is not a file name, a path suffix (`.aws/credentials`) or `*.ext`"
                ));
            }
        }
        let faults = [
            (
                !self.keywords.is_empty(),
                "a file rule has no `keywords` (it reads every file it names)",
            ),
            (
                self.sink.is_some(),
                "a rule is a sink or a file rule, not both",
            ),
            (
                self.check.is_some(),
                "a rule is a check or a file rule, not both",
            ),
        ];
        problems.extend(
            faults
                .iter()
                .filter(|(f, _)| *f)
                .map(|(_, m)| m.to_string()),
        );
        problems
    }

    /// Validates a sink: a call, an argument named or placed, and no
    /// pattern of its own (the call is its pattern).
    fn compile_sink(&self, spec: &SinkSpec) -> Result<Sink, Vec<String>> {
        let faults = [
            (
                !self.pattern.is_empty(),
                "a sink rule has no `pattern` (its `call` is the pattern)",
            ),
            (
                self.check.is_some(),
                "a rule is a sink or a check, not both",
            ),
            (spec.call.trim().is_empty(), "a sink needs a `call`"),
            (spec.arg == Some(0), "a sink's `arg` counts from 1"),
            (
                spec.arg.is_none() && spec.named.is_empty(),
                "a sink needs an `arg` position or `named` arguments",
            ),
        ];
        let problems: Vec<String> = faults
            .iter()
            .filter(|(is_fault, _)| *is_fault)
            .map(|(_, msg)| msg.to_string())
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Sink {
            arg: spec.arg,
            named: spec.named.clone(),
        })
    }

    /// Validates a check rule: a known check, a remedy, and none of the
    /// fields that only a pattern rule uses.
    fn compile_check(&self, name: &str) -> Result<Check, Vec<String>> {
        let mut problems = Vec::new();
        let check = Check::from_name(name);
        if check.is_none() {
            let known: Vec<&str> = Check::ALL.iter().map(|c| c.as_str()).collect();
            problems.push(format!(
                "unknown check `{name}` (known: {})",
                known.join(", ")
            ));
        }
        let pattern_fields = [
            ("pattern", !self.pattern.is_empty()),
            ("sink", self.sink.is_some()),
            ("pair", self.pair.is_some()),
            ("keywords", !self.keywords.is_empty()),
            ("min_entropy", self.min_entropy.is_some()),
            ("allow", !self.allow.is_empty()),
            ("allow_match", !self.allow_match.is_empty()),
            ("verify", self.verify.is_some()),
            ("keep_placeholders", self.keep_placeholders),
            ("examples", !self.examples.is_empty()),
            ("negatives", !self.negatives.is_empty()),
        ];
        for (field, _) in pattern_fields.iter().filter(|(_, set)| *set) {
            problems.push(format!("a check rule has no `{field}` (its check is code)"));
        }
        if self.remedy.as_deref().is_none_or(str::is_empty) {
            problems.push("a check rule needs a remedy".into());
        }
        match check {
            Some(check) if problems.is_empty() => Ok(check),
            _ => Err(problems),
        }
    }
}

/// True when a match can span lines: the pattern turns on `(?s)`, or
/// names a newline (`\n`, `[\s\S]`) outside a negated class, so the
/// detector looks further around a keyword hit. (A bare `\r`, as in
/// `\r?$`, does not cross a line.)
pub(crate) fn is_multiline(pattern: &str) -> bool {
    const MARKS: [&str; 6] = ["(?s", "(?ms", "(?is", "(?ims", "\\s\\S", "\\n"];
    // What lies outside negated classes is part of the pattern: a pattern
    // without any mark (most) needs no closer look.
    if !MARKS.iter().any(|m| pattern.contains(m)) {
        return false;
    }
    let mut outside = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    let mut negated_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next().unwrap_or(' ');
                if !negated_class {
                    outside.push(c);
                    outside.push(next);
                }
            }
            '[' if !negated_class => {
                let rest = chars.as_str();
                if rest.starts_with('^') {
                    negated_class = true;
                } else {
                    outside.push(c);
                }
            }
            ']' if negated_class => negated_class = false,
            _ if !negated_class => outside.push(c),
            _ => {}
        }
    }
    MARKS.iter().any(|m| outside.contains(m))
}

fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
