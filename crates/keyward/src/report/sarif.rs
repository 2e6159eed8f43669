//! SARIF 2.1.0 for code-scanning UIs: every rule that produced a result in
//! `tool.driver.rules`, the fingerprint in `partialFingerprints`, and the
//! level taken from the rule's confidence.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::ReportOptions;
use crate::outcome::Outcome;
use crate::rules::Confidence;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "error",
        Confidence::Medium => "warning",
        Confidence::Low => "note",
    }
}

pub fn write(out: &mut dyn Write, outcome: &Outcome, opts: &ReportOptions) -> io::Result<()> {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: Vec<Value> = Vec::new();
    for f in &outcome.findings {
        if rule_index.contains_key(f.rule_id.as_str()) {
            continue;
        }
        rule_index.insert(&f.rule_id, rules.len());
        let known = outcome.rules.get(&f.rule_id);
        let help = super::help_text(f);
        let mut rule = json!({
            "id": f.rule_id,
            "name": f.rule_name,
            "shortDescription": { "text": f.rule_name },
            "fullDescription": { "text": super::headline(f) },
            "help": { "text": help },
            "defaultConfiguration": { "level": level(f.confidence) },
            "properties": {
                "tags": ["security", "secret", f.category.as_str()],
                "precision": if f.confidence == Confidence::High { "high" } else if f.confidence == Confidence::Medium { "medium" } else { "low" },
                "security-severity": if f.confidence == Confidence::High { "8.0" } else { "5.0" },
            },
        });
        if let Some(uri) = known.and_then(|r| r.references.first()) {
            rule["helpUri"] = json!(uri);
        }
        rules.push(rule);
    }
    let results: Vec<Value> = outcome
        .findings
        .iter()
        .map(|f| {
            let secret = super::json::shown_secret(f, opts.show_secrets).unwrap_or_default();
            let mut message = format!("{} {secret}", f.rule_name).trim_end().to_string();
            if let Some(c) = &f.commit {
                message.push_str(&format!(" (introduced in commit {} by {})", c.id, c.author));
            }
            let mut region = json!({ "startLine": f.line.max(1) });
            if f.column > 0 {
                region["startColumn"] = json!(f.column);
            }
            let mut result = json!({
                "ruleId": f.rule_id,
                "ruleIndex": rule_index[f.rule_id.as_str()],
                "level": level(f.confidence),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path, "uriBaseId": "%SRCROOT%" },
                        "region": region,
                    }
                }],
                "partialFingerprints": { "keyward/v1": f.fingerprint.as_str() },
            });
            if let Some(c) = &f.commit {
                result["properties"] =
                    json!({ "commit": c.id, "author": c.author, "date": c.date });
            }
            if let Some(p) = &f.pair {
                result["properties"]["pair"] =
                    json!({ "name": p.name, "value": p.value, "line": p.line });
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "keyward",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
