//! The human report: findings grouped by file, one line each, coloured on a
//! terminal; and the one-paragraph summary that goes to stderr.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::json::shown_secret;
use super::{bytes, count, skip_counts, ReportOptions};
use crate::content::SkipReason;
use crate::outcome::{Outcome, Stats};
use crate::rules::Confidence;

const PATH: Style = Style::new().bold();
const HIGH: Style = AnsiColor::Red.on_default().bold();
const MEDIUM: Style = AnsiColor::Yellow.on_default();
const LOW: Style = AnsiColor::Cyan.on_default();
const DIM: Style = Style::new().dimmed();

struct Paint(bool);

impl Paint {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.0 {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

pub fn write(out: &mut dyn Write, outcome: &Outcome, opts: &ReportOptions) -> io::Result<()> {
    let p = Paint(opts.color);
    let mut current: Option<&str> = None;
    for f in &outcome.findings {
        if current != Some(f.path.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", p.paint(PATH, &f.path))?;
            current = Some(&f.path);
        }
        let style = match f.confidence {
            Confidence::High => HIGH,
            Confidence::Medium => MEDIUM,
            Confidence::Low => LOW,
        };
        let place = if f.line == 0 {
            "file".to_string()
        } else {
            format!("{}:{}", f.line, f.column)
        };
        let secret = shown_secret(f, opts.show_secrets)
            .map(|s| format!("  {s}"))
            .unwrap_or_default();
        let pair = f
            .pair
            .as_ref()
            .map(|pair| {
                let value = short_id(&pair.value, opts.show_secrets);
                let note = format!(" (with {} {value} on line {})", pair.name, pair.line);
                p.paint(DIM, &note)
            })
            .unwrap_or_default();
        writeln!(
            out,
            "  {place:>8}  {} {}  {}{secret}{pair}",
            p.paint(style, &f.rule_id),
            p.paint(DIM, &format!("[{}]", f.confidence)),
            f.rule_name,
        )?;
        if let Some(c) = &f.commit {
            let short = &c.id[..c.id.len().min(12)];
            writeln!(
                out,
                "            {}",
                p.paint(
                    DIM,
                    &format!("commit {short} by {} <{}> on {}", c.author, c.email, c.date)
                )
            )?;
        }
        if let Some(life) = &f.lifecycle {
            let state = match (&life.removed_in, life.still_in_head) {
                (_, true) => "still in HEAD".to_string(),
                (Some(r), false) => format!("removed in {}", &r.id[..r.id.len().min(12)]),
                (None, false) => "not in HEAD".to_string(),
            };
            let more = life.occurrences.len() + life.more_occurrences;
            let seen = if more > 0 {
                format!(", {}", count(more as u64, "more occurrence"))
            } else {
                String::new()
            };
            writeln!(
                out,
                "            {}",
                p.paint(DIM, &format!("{state}{seen}"))
            )?;
        }
        if let Some(remedy) = &f.remedy {
            writeln!(out, "            fix: {remedy}")?;
        }
    }
    Ok(())
}

/// The id part of a pair as the human report shows it: enough to tell
/// which one (eight characters and `…`), whole with `--show-secrets`. It is
/// not a secret; the line is kept short.
fn short_id(value: &str, whole: bool) -> String {
    if whole || value.chars().count() <= 12 {
        return value.to_string();
    }
    let head: String = value.chars().take(8).collect();
    format!("{head}…")
}

/// The summary line(s) for stderr: what was scanned, what was skipped, what
/// was found.
pub fn summary(outcome: &Outcome, verbose: bool) -> String {
    let s: &Stats = &outcome.stats;
    let mut text = String::new();
    // Unreadable paths are warnings, not just counts: the user may have
    // expected them to be scanned. Ten are named unless `-v` asks for all;
    // `-v` lists the other skips, so each skip is printed once.
    let (unreadable, other_skips): (Vec<_>, Vec<_>) = s
        .skips
        .iter()
        .partition(|skip| matches!(skip.reason, SkipReason::Unreadable(_)));
    let named = if verbose {
        unreadable.len()
    } else {
        unreadable.len().min(10)
    };
    let mut warnings: Vec<String> = unreadable[..named]
        .iter()
        .map(|skip| format!("{}: {}", skip.path, skip.reason.detail()))
        .collect();
    if named < unreadable.len() {
        warnings.push(format!(
            "{} more unreadable (-v lists them)",
            count((unreadable.len() - named) as u64, "path")
        ));
    }
    warnings.extend(s.warnings.iter().cloned());
    for w in &warnings {
        text.push_str(&format!("keyward: warning: {w}\n"));
    }
    if verbose {
        for skip in other_skips {
            text.push_str(&format!(
                "skipped {}: {}\n",
                skip.path,
                skip.reason.detail()
            ));
        }
        if let Some(n) = s.searched_as_deltas {
            text.push_str(&format!(
                "searched {} stored as deltas only where their delta changed them\n",
                count(n, "blob")
            ));
        }
    }
    let n = outcome.findings.len();
    let files: std::collections::HashSet<&str> =
        outcome.findings.iter().map(|f| f.path.as_str()).collect();
    let found = match n {
        0 => "no findings".to_string(),
        1 => "1 finding".to_string(),
        _ => format!("{n} findings in {}", count(files.len() as u64, "file")),
    };
    let scanned = match s.commits {
        Some(commits) => {
            let cached = if s.cached > 0 {
                format!(", {} from cache", s.cached)
            } else {
                String::new()
            };
            format!(
                "{}, {} ({}{cached})",
                count(commits, "commit"),
                count(s.files, "blob"),
                bytes(s.bytes)
            )
        }
        None => format!("{} ({})", count(s.files, "file"), bytes(s.bytes)),
    };
    text.push_str(&format!(
        "keyward: {found}; scanned {scanned} in {:.2} s",
        s.elapsed.as_secs_f64()
    ));
    if !s.skips.is_empty() {
        text.push_str(&format!("; skipped {} ({})", s.skips.len(), skip_counts(s)));
        if !verbose {
            text.push_str(", -v lists them");
        }
    }
    if s.excluded > 0 {
        text.push_str(&format!("; excluded {} by config", s.excluded));
    }
    let suppressed = s.suppressed_inline + s.suppressed_baseline;
    if suppressed > 0 {
        text.push_str(&format!(
            "; suppressed {suppressed} ({} inline, {} baseline)",
            s.suppressed_inline, s.suppressed_baseline
        ));
    }
    if s.below_confidence > 0 {
        text.push_str(&format!(
            "; {} in vendored code or documentation below the confidence shown (--min-confidence low shows them)",
            s.below_confidence
        ));
    }
    text.push('\n');
    text
}
