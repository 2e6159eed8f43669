//! JSON and JSON Lines: one object per finding, fields in a fixed order.

use std::io::{self, Write};

use serde::Serialize;

use super::ReportOptions;
use crate::finding::{CommitInfo, Finding};
use crate::outcome::Outcome;

#[derive(Serialize)]
struct JsonCommit<'a> {
    id: &'a str,
    author: &'a str,
    email: &'a str,
    date: &'a str,
}

impl<'a> From<&'a CommitInfo> for JsonCommit<'a> {
    fn from(c: &'a CommitInfo) -> Self {
        JsonCommit {
            id: &c.id,
            author: &c.author,
            email: &c.email,
            date: &c.date,
        }
    }
}

#[derive(Serialize)]
struct JsonOccurrence<'a> {
    path: &'a str,
    commit: &'a str,
}

/// The other part of a two-part credential: not secret, shown in clear.
#[derive(Serialize)]
struct JsonPair<'a> {
    name: &'a str,
    value: &'a str,
    line: usize,
}

#[derive(Serialize)]
pub(crate) struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    category: &'a str,
    confidence: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    fingerprint: &'a str,
    secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pair: Option<JsonPair<'a>>,
    source: &'a str,
    commit: Option<JsonCommit<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    occurrences: Option<Vec<JsonOccurrence<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    more_occurrences: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    still_in_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    removed_in: Option<Option<JsonCommit<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remedy: Option<&'a str>,
}

/// The secret as the report shows it: redacted unless asked for in clear.
pub(crate) fn shown_secret(f: &Finding, show: bool) -> Option<String> {
    f.secret.as_ref().map(|s| {
        if show {
            String::from_utf8_lossy(s.expose()).into_owned()
        } else {
            s.redacted()
        }
    })
}

pub(crate) fn json_finding(f: &Finding, show: bool) -> JsonFinding<'_> {
    let life = f.lifecycle.as_ref();
    JsonFinding {
        rule_id: &f.rule_id,
        rule_name: &f.rule_name,
        category: f.category.as_str(),
        confidence: f.confidence.as_str(),
        path: &f.path,
        line: f.line,
        column: f.column,
        fingerprint: f.fingerprint.as_str(),
        secret: shown_secret(f, show),
        pair: f.pair.as_ref().map(|p| JsonPair {
            name: &p.name,
            value: &p.value,
            line: p.line,
        }),
        source: f.source.as_str(),
        commit: f.commit.as_deref().map(JsonCommit::from),
        occurrences: life.map(|l| {
            l.occurrences
                .iter()
                .map(|o| JsonOccurrence {
                    path: &o.path,
                    commit: &o.commit,
                })
                .collect()
        }),
        more_occurrences: life.map(|l| l.more_occurrences),
        still_in_head: life.map(|l| l.still_in_head),
        removed_in: life.map(|l| l.removed_in.as_deref().map(JsonCommit::from)),
        remedy: f.remedy.as_deref(),
    }
}

pub fn write_array(out: &mut dyn Write, outcome: &Outcome, opts: &ReportOptions) -> io::Result<()> {
    let all: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| json_finding(f, opts.show_secrets))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &all)?;
    writeln!(out)
}

pub fn write_lines(out: &mut dyn Write, outcome: &Outcome, opts: &ReportOptions) -> io::Result<()> {
    for f in &outcome.findings {
        serde_json::to_writer(&mut *out, &json_finding(f, opts.show_secrets))?;
        writeln!(out)?;
    }
    Ok(())
}
