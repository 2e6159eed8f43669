//! GitLab's secret-detection report (schema version [`VERSION`]), for a CI
//! job's `artifacts:reports:secret_detection`: one vulnerability per
//! finding, with the commit GitLab requires of each. A history finding
//! carries the commit that introduced it; any other finding carries the
//! commit checked out where the scan ran ([`ReportOptions::checkout`]) and
//! its path from the repository's root, and without a checkout the report
//! is refused rather than given a made-up commit.

use std::io::{self, Write};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::ReportOptions;
use crate::finding::{CommitInfo, Finding, Source, COMMIT_MESSAGE_PATH};
use crate::outcome::Outcome;
use crate::rules::Confidence;

/// The report-format version written, which GitLab checks against the
/// versions it accepts.
pub const VERSION: &str = "15.2.4";

/// GitLab bounds: a vulnerability's name and solution lengths.
const NAME_MAX: usize = 255;
const SOLUTION_MAX: usize = 7000;

/// Why a GitLab report cannot be written for this outcome, if it cannot:
/// a finding outside history needs the checked-out commit.
pub fn unfit(outcome: &Outcome, opts: &ReportOptions) -> Option<String> {
    let orphan = outcome.findings.iter().find(|f| f.commit.is_none())?;
    if opts.checkout.is_some() {
        return None;
    }
    Some(format!(
        "--format gitlab: GitLab's report needs a commit for every finding. A finding outside \
         history ({}, the first) takes the commit checked out where the scan ran, and the \
         scanned path is not in a git repository with a commit (outside one, or before its \
         first commit). Use --format sarif or json here",
        orphan.path
    ))
}

pub fn write(out: &mut dyn Write, outcome: &Outcome, opts: &ReportOptions) -> io::Result<()> {
    if let Some(why) = unfit(outcome, opts) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
    }
    let vulnerabilities: Vec<Value> = outcome
        .findings
        .iter()
        .map(|f| {
            let commit = f
                .commit
                .as_deref()
                .or(opts.checkout.as_ref().map(|c| &*c.commit))
                .expect("checked by unfit");
            vulnerability(f, commit, opts, outcome)
        })
        .collect();
    let end = time::OffsetDateTime::now_utc();
    let start = end - outcome.stats.elapsed;
    let tool = json!({
        "id": "keyward",
        "name": "keyward",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "keyward" },
    });
    let doc = json!({
        "version": VERSION,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "status": "success",
            "start_time": timestamp(start),
            "end_time": timestamp(end),
            "messages": messages(outcome),
        },
        "vulnerabilities": vulnerabilities,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn vulnerability(
    f: &Finding,
    commit: &CommitInfo,
    opts: &ReportOptions,
    outcome: &Outcome,
) -> Value {
    let mut identifier = json!({
        "type": "keyward_rule_id",
        "name": format!("keyward rule {}", f.rule_id),
        "value": f.rule_id,
    });
    let reference = outcome
        .rules
        .get(&f.rule_id)
        .and_then(|r| r.references.first())
        .filter(|u| {
            u.split_once("://").is_some_and(|(scheme, rest)| {
                matches!(scheme, "https" | "http") && !rest.is_empty()
            })
        });
    if let Some(url) = reference {
        identifier["url"] = json!(url);
    }
    let mut location = json!({
        "commit": {
            "sha": commit.id,
            "author": format!("{} <{}>", commit.author, commit.email),
            "date": commit.date,
        },
    });
    // A commit message or standard input is no file in the repository.
    let file = file(f, opts);
    if let Some(file) = &file {
        location["file"] = json!(file);
        if f.line > 0 {
            location["start_line"] = json!(f.line);
            location["end_line"] = json!(f.line);
        }
    }
    json!({
        "id": id(f),
        "name": cut(&f.rule_name, NAME_MAX),
        "description": description(f, file.as_deref(), opts),
        "severity": severity(f),
        "solution": cut(&super::help_text(f), SOLUTION_MAX),
        "identifiers": [identifier],
        "location": location,
    })
}

/// The finding's file from the repository's root: history and the index
/// name it so already, a working-tree path is resolved through the
/// checkout; `None` for a commit message or standard input.
fn file(f: &Finding, opts: &ReportOptions) -> Option<String> {
    match f.source {
        _ if f.path == COMMIT_MESSAGE_PATH => None,
        Source::Stdin => None,
        Source::Tree => Some(
            opts.checkout
                .as_ref()
                .map_or_else(|| f.path.clone(), |c| c.repo_path(&f.path)),
        ),
        Source::History | Source::Staged => Some(f.path.clone()),
    }
}

/// What was found where (`file`, from [`file`]) and, for a history
/// finding, its story: who introduced it, whether HEAD still holds it,
/// which commit removed it.
fn description(f: &Finding, file: Option<&str>, opts: &ReportOptions) -> String {
    let mut text = super::headline(f);
    if let Some(secret) = super::json::shown_secret(f, opts.show_secrets) {
        text.push_str(&format!(": `{secret}`"));
    }
    match (&f.commit, file) {
        (Some(c), None) => text.push_str(&format!(" in the message of commit {}", c.id)),
        (None, None) => text.push_str(" in standard input"),
        (_, Some(file)) if f.line > 0 => text.push_str(&format!(" in `{file}` line {}", f.line)),
        (_, Some(file)) => text.push_str(&format!(" in `{file}`")),
    }
    text.push('.');
    if let (Some(c), Some(life)) = (&f.commit, &f.lifecycle) {
        text.push_str(&format!(
            " Introduced in commit {} by {} on {}.",
            c.id, c.author, c.date
        ));
        let elsewhere = life.occurrences.len() + life.more_occurrences;
        if elsewhere > 0 {
            let places = super::count(elsewhere as u64, "other place");
            text.push_str(&format!(" Seen at {places} in history."));
        }
        match (&life.removed_in, life.still_in_head) {
            (_, true) => text.push_str(" Still present at HEAD."),
            (Some(r), false) => text.push_str(&format!(
                " Removed from the default branch in commit {}; it stays in history, so rotate it.",
                r.id
            )),
            (None, false) => {
                text.push_str(" Not present at HEAD; it stays in history, so rotate it.")
            }
        }
    }
    text
}

/// A leaked credential is critical when it is real; the rule's confidence
/// says how likely that is. A finding about a file rather than a value in
/// it (an env file tracked or not ignored, a template missing a key) is
/// low: any secret in the file is a finding of its own.
fn severity(f: &Finding) -> &'static str {
    match (&f.secret, f.confidence) {
        (None, _) => "Low",
        (_, Confidence::High) => "Critical",
        (_, Confidence::Medium) => "High",
        (_, Confidence::Low) => "Medium",
    }
}

/// A stable id in UUID form (version 8, RFC 9562's vendor-defined layout)
/// from the finding's fingerprint, place and, in history, commit: the same
/// finding gets the same id in every run (a working-tree finding whatever
/// commit is checked out), and two findings never share one.
fn id(f: &Finding) -> String {
    let commit = f.commit.as_ref().map_or("", |c| c.id.as_str());
    let mut h = Sha256::new();
    for part in [
        f.fingerprint.as_str(),
        &f.path,
        &f.line.to_string(),
        &f.column.to_string(),
        commit,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("32 bytes");
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = crate::rules::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Warnings and skips, for the scan's messages.
fn messages(outcome: &Outcome) -> Vec<Value> {
    let mut list: Vec<Value> = outcome
        .stats
        .warnings
        .iter()
        .filter(|w| !w.is_empty())
        .map(|w| json!({ "level": "warn", "value": w }))
        .collect();
    if !outcome.stats.skips.is_empty() {
        list.push(json!({
            "level": "info",
            "value": format!("skipped: {}", super::skip_counts(&outcome.stats)),
        }));
    }
    list
}

/// `yyyy-mm-ddThh:mm:ss` in UTC, the form GitLab's schema asks for.
fn timestamp(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// At most `max` bytes, cut at a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_no_zone_or_fraction() {
        let t = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid");
        assert_eq!(timestamp(t), "2023-11-14T22:13:20");
    }

    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("aé", 2), "a");
        assert_eq!(cut("aéb", 3), "aé");
    }
}
