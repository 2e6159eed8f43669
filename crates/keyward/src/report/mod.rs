//! Reports: findings rendered as human text, JSON, JSON Lines, SARIF,
//! GitLab's secret-detection report or a self-contained HTML page on a
//! writer, and the summary for
//! stderr. Secrets are redacted unless the user asked for them; nothing
//! here decides what counts as a finding.

mod gitlab;
mod html;
mod human;
mod json;
mod sarif;

use std::io::{self, Write};

use crate::finding::Finding;
use crate::outcome::{Outcome, Stats};
use crate::repo::Checkout;

pub use gitlab::VERSION as GITLAB_VERSION;

pub use human::summary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Jsonl,
    Sarif,
    Gitlab,
    Html,
}

#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub format: Format,
    pub show_secrets: bool,
    pub color: bool,
    /// The checkout where the scan ran, for the GitLab report's findings
    /// outside history.
    pub checkout: Option<Checkout>,
}

/// Why this outcome cannot be reported in the chosen format, if it cannot;
/// checked before a report file is created.
pub fn unfit(outcome: &Outcome, opts: &ReportOptions) -> Option<String> {
    match opts.format {
        Format::Gitlab => gitlab::unfit(outcome, opts),
        _ => None,
    }
}

/// Writes the report of an outcome.
pub fn write(out: &mut dyn Write, outcome: &Outcome, opts: &ReportOptions) -> io::Result<()> {
    match opts.format {
        Format::Human => human::write(out, outcome, opts),
        Format::Json => json::write_array(out, outcome, opts),
        Format::Jsonl => json::write_lines(out, outcome, opts),
        Format::Sarif => sarif::write(out, outcome, opts),
        Format::Gitlab => gitlab::write(out, outcome, opts),
        Format::Html => html::write(out, outcome, opts),
    }
}

/// What a finding is: its rule, category and confidence.
pub(crate) fn headline(f: &Finding) -> String {
    format!(
        "{} ({} credential, {} confidence)",
        f.rule_name, f.category, f.confidence
    )
}

/// What to do about a finding: its rule's remedy, or remove and rotate.
pub(crate) fn help_text(f: &Finding) -> String {
    match &f.remedy {
        Some(remedy) => format!("{}: {remedy}", f.rule_name),
        None => format!(
            "{} found. Remove it from the code, rotate it with its provider, and load it from the environment or a secret manager. \
             If it is not a secret, add `keyward:allow {}` on the line or add it to the baseline.",
            f.rule_name, f.rule_id
        ),
    }
}

/// Writes the rule list: a table (id, category, confidence, name, keywords,
/// or `files:` and the files a file rule reads; `-` for a check), or a
/// JSON array (`files` only for a file rule).
pub fn write_rules(out: &mut dyn Write, set: &crate::rules::RuleSet, json: bool) -> io::Result<()> {
    if json {
        let rules: Vec<_> = set
            .rules()
            .iter()
            .map(|r| {
                let mut rule = serde_json::json!({
                    "id": r.id,
                    "name": r.name,
                    "category": r.category.as_str(),
                    "confidence": r.confidence.as_str(),
                    "keywords": r.keywords,
                    "check": r.check.map(|c| c.as_str()),
                });
                if !r.files.is_empty() {
                    rule["files"] = serde_json::json!(r.files);
                }
                rule
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rules)?;
        return writeln!(out);
    }
    // Names align up to a width most fit in; a longer one pushes only its
    // own row's keywords along.
    let name_width = set
        .rules()
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    for r in set.rules() {
        let keywords = if !r.files.is_empty() {
            format!("files:{}", r.files.join(","))
        } else if r.keywords.is_empty() {
            "-".to_string()
        } else {
            r.keywords.join(",")
        };
        writeln!(
            out,
            "{:<40} {:<13} {:<7} {:<width$} {keywords}",
            r.id,
            r.category.as_str(),
            r.confidence.as_str(),
            r.name,
            width = name_width,
        )?;
    }
    Ok(())
}

/// `n noun` with the noun in the plural unless `n` is 1: `1 file`,
/// `2 files`. For nouns whose plural adds an `s`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Human-readable byte count.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Skips grouped by reason, e.g. `2 binary, 1 too large`.
pub fn skip_counts(stats: &Stats) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for s in &stats.skips {
        match counts.iter_mut().find(|(l, _)| *l == s.reason.label()) {
            Some((_, n)) => *n += 1,
            None => counts.push((s.reason.label(), 1)),
        }
    }
    counts.sort();
    counts
        .iter()
        .map(|(l, n)| format!("{n} {l}"))
        .collect::<Vec<_>>()
        .join(", ")
}
