//! The HTML report: one self-contained page (its style and script inline,
//! nothing fetched) with a summary by category and confidence, a timeline
//! of when each secret entered and left history, and the findings table,
//! which the page's script filters and sorts. Every string from a finding
//! is escaped here, and only here; secrets are shown as the other formats
//! show them. The page holds no time but the data's, so two runs on the
//! same repository write the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::json::shown_secret;
use super::{bytes, count, help_text, skip_counts, ReportOptions};
use crate::finding::{CommitInfo, Finding};
use crate::outcome::Outcome;
use crate::rules::Confidence;

const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/script.js");

/// Confidences from the most to the least sure, as columns and options.
const CONFIDENCES: [Confidence; 3] = [Confidence::High, Confidence::Medium, Confidence::Low];

pub fn write(out: &mut dyn Write, outcome: &Outcome, opts: &ReportOptions) -> io::Result<()> {
    out.write_all(page(outcome, opts).as_bytes())
}

/// The whole page as one string.
fn page(outcome: &Outcome, opts: &ReportOptions) -> String {
    let is_history = outcome.stats.commits.is_some();
    let title = if is_history {
        "keyward history audit"
    } else {
        "keyward scan"
    };
    let mut p = String::with_capacity(16 * 1024 + outcome.findings.len() * 1024);
    // The policy forbids every fetch, so a page that somehow carried a
    // foreign tag still could not load anything.
    let _ = write!(
        p,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"keyward {}\">\n<title>{title}</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        p,
        "<p class=\"scope\">{}</p>\n</header>",
        escape(&scope(outcome))
    );
    summary(&mut p, outcome);
    if is_history {
        timeline(&mut p, &outcome.findings);
    }
    table(&mut p, &outcome.findings, opts.show_secrets, is_history);
    let _ = write!(
        p,
        "<footer>Written by keyward {}. Secrets are {}.</footer>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        if opts.show_secrets {
            "shown in clear (--show-secrets): keep this file private"
        } else {
            "redacted to a short prefix"
        }
    );
    p
}

/// Text made safe as HTML content and inside a double- or single-quoted
/// attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What was scanned, in one sentence without what differs between two
/// runs on the same data: the elapsed time, and for history the bytes
/// read (blobs the audit cache vouches for are not read again).
fn scope(outcome: &Outcome) -> String {
    let s = &outcome.stats;
    let mut text = match s.commits {
        Some(commits) => format!(
            "History audit of {}: {}",
            count(commits, "commit"),
            count(s.files, "blob")
        ),
        None => format!(
            "Working-tree scan of {} ({})",
            count(s.files, "file"),
            bytes(s.bytes)
        ),
    };
    if !s.skips.is_empty() {
        let _ = write!(text, "; skipped {} ({})", s.skips.len(), skip_counts(s));
    }
    if s.excluded > 0 {
        let _ = write!(text, "; excluded {} by config", s.excluded);
    }
    let suppressed = s.suppressed_inline + s.suppressed_baseline;
    if suppressed > 0 {
        let _ = write!(
            text,
            "; suppressed {suppressed} ({} inline, {} baseline)",
            s.suppressed_inline, s.suppressed_baseline
        );
    }
    if s.below_confidence > 0 {
        let _ = write!(
            text,
            "; {} in vendored code or documentation below the confidence shown",
            s.below_confidence
        );
    }
    text.push('.');
    text
}

/// The totals, then a category × confidence table whose counts link to
/// the table filtered to them.
fn summary(p: &mut String, outcome: &Outcome) {
    let findings = &outcome.findings;
    let mut by_category: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    let mut totals = [0usize; 3];
    for f in findings {
        let i = confidence_index(f.confidence);
        by_category.entry(f.category.as_str()).or_default()[i] += 1;
        totals[i] += 1;
    }
    let _ = writeln!(
        p,
        "<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"totals\"><span class=\"total\" id=\"total\">{}</span> {}",
        findings.len(),
        if findings.len() == 1 { "finding" } else { "findings" }
    );
    for (c, n) in CONFIDENCES.iter().zip(totals) {
        let _ = write!(
            p,
            "<a class=\"badge {c}\" href=\"#confidence={c}\">{n} {c}</a>",
            c = c.as_str()
        );
    }
    p.push_str("</p>\n");
    if findings.is_empty() {
        p.push_str("<p class=\"empty\">No findings.</p>\n</section>\n");
        return;
    }
    p.push_str("<table class=\"matrix\">\n<thead><tr><th>Category</th>");
    for c in CONFIDENCES {
        let _ = write!(p, "<th>{}</th>", c.as_str());
    }
    p.push_str("<th>Total</th></tr></thead>\n<tbody>\n");
    for (category, counts) in &by_category {
        let cat = escape(category);
        let _ = write!(
            p,
            "<tr data-category=\"{cat}\"><th><a href=\"#category={cat}\">{cat}</a></th>"
        );
        for (c, n) in CONFIDENCES.iter().zip(counts) {
            if *n == 0 {
                p.push_str("<td class=\"zero\">0</td>");
            } else {
                let _ = write!(
                    p,
                    "<td><a href=\"#category={cat}&amp;confidence={c}\">{n}</a></td>",
                    c = c.as_str()
                );
            }
        }
        let _ = writeln!(
            p,
            "<td class=\"sum\">{}</td></tr>",
            counts.iter().sum::<usize>()
        );
    }
    p.push_str("</tbody>\n</table>\n</section>\n");
}

fn confidence_index(c: Confidence) -> usize {
    match c {
        Confidence::High => 0,
        Confidence::Medium => 1,
        Confidence::Low => 2,
    }
}

/// One bar per history finding, from the commit that brought it to the
/// one that removed it (or to the last date in the report while HEAD
/// still holds it), on a common time axis.
fn timeline(p: &mut String, findings: &[Finding]) {
    p.push_str("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
    let mut dated: Vec<(usize, &Finding, i64, Option<i64>)> = findings
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let start = epoch(&f.commit.as_ref()?.date)?;
            let end = removal(f).and_then(|c| epoch(&c.date));
            Some((i, f, start, end))
        })
        .collect();
    if dated.is_empty() {
        p.push_str("<p class=\"empty\">No finding carries a commit.</p>\n</section>\n");
        return;
    }
    dated.sort_by_key(|&(i, _, start, _)| (start, i));
    let first = dated.iter().map(|d| d.2).min().unwrap_or(0);
    let last = dated
        .iter()
        .flat_map(|d| [Some(d.2), d.3])
        .flatten()
        .max()
        .unwrap_or(first);
    let span = (last - first).max(1) as f64;
    let at = |t: i64| (t - first) as f64 * 100.0 / span;
    let first_date = dated.iter().find(|d| d.2 == first).map(|d| commit_of(d.1));
    let last_date = dated
        .iter()
        .find_map(|d| match d.3 {
            Some(t) if t == last => removal(d.1),
            _ => None,
        })
        .or_else(|| {
            dated
                .iter()
                .find(|d| d.2 == last)
                .and_then(|d| d.1.commit.as_deref())
        });
    let _ = writeln!(
        p,
        "<div class=\"axis\"><span>{}</span><span>{}</span></div>\n<ol class=\"bars\">",
        escape(first_date.map_or("", |c| &c.date)),
        escape(last_date.map_or("", |c| &c.date))
    );
    for (i, f, start, end) in &dated {
        let left = at(*start);
        let width = (at(end.unwrap_or(last)) - left).max(0.6);
        let introduced = commit_of(f);
        let (class, until) = match (removal(f), is_in_head(f)) {
            (_, true) => ("open", "still in HEAD".to_string()),
            (Some(r), false) => ("closed", format!("removed {} in {}", r.date, short(&r.id))),
            (None, false) => ("closed", "not in HEAD".to_string()),
        };
        let what = format!("{} in {}", f.rule_id, f.path);
        let when = format!(
            "introduced {} in {}; {until}",
            introduced.date,
            short(&introduced.id)
        );
        let _ = writeln!(
            p,
            "<li data-for=\"f{n}\"><span class=\"label\" title=\"{what}\"><a href=\"#f{n}\">{what}</a></span>\
             <span class=\"track\"><span class=\"bar {class} {conf}\" style=\"left:{left:.2}%;width:{width:.2}%\" \
             title=\"{what_when}\"></span></span><span class=\"when\">{when}</span></li>",
            n = i + 1,
            what = escape(&what),
            conf = f.confidence.as_str(),
            what_when = escape(&format!("{what}: {when}")),
            when = escape(&when),
        );
    }
    p.push_str("</ol>\n</section>\n");
}

fn commit_of(f: &Finding) -> &CommitInfo {
    f.commit
        .as_deref()
        .expect("timeline findings carry a commit")
}

fn removal(f: &Finding) -> Option<&CommitInfo> {
    f.lifecycle.as_ref().and_then(|l| l.removed_in.as_deref())
}

fn is_in_head(f: &Finding) -> bool {
    f.lifecycle.as_ref().is_some_and(|l| l.still_in_head)
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Seconds since the epoch of an RFC 3339 date as history reports write
/// them (`2023-11-14T22:13:20+01:00` or `...Z`); `None` for anything else.
fn epoch(date: &str) -> Option<i64> {
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = date.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let zone = date.get(19..)?;
    let offset = match zone.as_bytes().first()? {
        b'Z' | b'z' => 0,
        sign @ (b'+' | b'-') => {
            let minutes = num(20..22)? * 60 + num(23..25)?;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss - offset * 60)
}

/// The filters, then one row per finding; each row's data attributes are
/// what the script filters on, and each cell's `data-key` what it sorts by.
fn table(p: &mut String, findings: &[Finding], show_secrets: bool, is_history: bool) {
    let options = |values: Vec<&str>| {
        let mut values = values;
        values.sort_unstable();
        values.dedup();
        values
            .iter()
            .map(|v| format!("<option value=\"{v}\">{v}</option>", v = escape(v)))
            .collect::<String>()
    };
    let _ = write!(
        p,
        "<section id=\"findings-section\">\n<h2>Findings</h2>\n<form id=\"filters\" autocomplete=\"off\">\
         <label>Category <select name=\"category\"><option value=\"\">all</option>{}</select></label>\
         <label>Confidence <select name=\"confidence\"><option value=\"\">all</option>{}</select></label>\
         <label>Rule <select name=\"rule\"><option value=\"\">all</option>{}</select></label>\
         <label>Search <input type=\"search\" name=\"q\" placeholder=\"path, commit, author…\"></label>\
         <button type=\"reset\">Clear</button>\
         <output id=\"shown\">{n} of {n}</output></form>\n",
        options(findings.iter().map(|f| f.category.as_str()).collect()),
        CONFIDENCES
            .iter()
            .map(|c| format!("<option value=\"{c}\">{c}</option>", c = c.as_str()))
            .collect::<String>(),
        options(findings.iter().map(|f| f.rule_id.as_str()).collect()),
        n = findings.len(),
    );
    p.push_str("<table id=\"findings\">\n<thead><tr>");
    // (heading, name in `#sort=`, how its keys compare)
    let mut columns = vec![
        ("#", "number", "num"),
        ("Confidence", "confidence", "num"),
        ("Category", "category", "text"),
        ("Rule", "rule", "text"),
        ("Location", "location", "text"),
        ("Secret", "secret", "text"),
    ];
    if is_history {
        columns.extend([
            ("Introduced", "introduced", "num"),
            ("Removed", "removed", "num"),
        ]);
    }
    for (heading, name, kind) in &columns {
        let _ = write!(
            p,
            "<th data-name=\"{name}\" data-type=\"{kind}\" aria-sort=\"none\"><button type=\"button\">{heading}</button></th>"
        );
    }
    p.push_str("<th>Details</th></tr></thead>\n<tbody>\n");
    for (i, f) in findings.iter().enumerate() {
        row(p, i + 1, f, show_secrets, is_history);
    }
    let _ = write!(
        p,
        "</tbody>\n</table>\n<p class=\"empty\" id=\"none-shown\"{}>No findings match these filters.</p>\n</section>\n",
        if findings.is_empty() { "" } else { " hidden" }
    );
}

fn row(p: &mut String, n: usize, f: &Finding, show_secrets: bool, is_history: bool) {
    let conf = f.confidence.as_str();
    let place = if f.line == 0 {
        escape(&f.path)
    } else {
        format!("{}:{}:{}", escape(&f.path), f.line, f.column)
    };
    let secret = shown_secret(f, show_secrets).unwrap_or_default();
    let _ = write!(
        p,
        "<tr id=\"f{n}\" data-category=\"{cat}\" data-confidence=\"{conf}\" data-rule=\"{rule}\">\
         <td data-key=\"{n}\">{n}</td>\
         <td data-key=\"{rank}\"><span class=\"badge {conf}\">{conf}</span></td>\
         <td>{cat}</td>\
         <td title=\"{name}\">{rule}</td>\
         <td class=\"path\" data-key=\"{key}\">{place}</td>\
         <td><code>{secret}</code></td>",
        cat = escape(f.category.as_str()),
        rank = 3 - confidence_index(f.confidence),
        rule = escape(&f.rule_id),
        name = escape(&f.rule_name),
        key = escape(&format!("{} {:010}", f.path, f.line)),
        secret = escape(&secret),
    );
    if is_history {
        commit_cell(p, f.commit.as_deref());
        match (removal(f), is_in_head(f)) {
            (_, true) => {
                p.push_str("<td data-key=\"99999999999\" class=\"open\">still in HEAD</td>")
            }
            (Some(r), false) => commit_cell(p, Some(r)),
            (None, false) if f.lifecycle.is_some() => {
                p.push_str("<td data-key=\"99999999998\">not in HEAD</td>")
            }
            (None, false) => p.push_str("<td data-key=\"0\">—</td>"),
        }
    }
    p.push_str("<td><details><summary>more</summary><dl>");
    let _ = write!(
        p,
        "<dt>Rule</dt><dd>{} (<code>{}</code>)</dd><dt>Source</dt><dd>{}</dd><dt>Fingerprint</dt><dd><code>{}</code></dd>",
        escape(&f.rule_name),
        escape(&f.rule_id),
        escape(f.source.as_str()),
        escape(f.fingerprint.as_str())
    );
    if let Some(c) = &f.commit {
        let _ = write!(p, "<dt>Introduced</dt><dd>{}</dd>", commit_text(c));
    }
    if let Some(life) = &f.lifecycle {
        let _ = write!(
            p,
            "<dt>In HEAD</dt><dd>{}</dd>",
            if life.still_in_head { "yes" } else { "no" }
        );
        if let Some(r) = &life.removed_in {
            let _ = write!(p, "<dt>Removed</dt><dd>{}</dd>", commit_text(r));
        }
        if !life.occurrences.is_empty() {
            p.push_str("<dt>Also seen</dt><dd><ul>");
            for o in &life.occurrences {
                let _ = write!(
                    p,
                    "<li>{} in <code>{}</code></li>",
                    escape(&o.path),
                    escape(short(&o.commit))
                );
            }
            if life.more_occurrences > 0 {
                let _ = write!(p, "<li>and {} more</li>", life.more_occurrences);
            }
            p.push_str("</ul></dd>");
        }
    }
    let _ = writeln!(
        p,
        "</dl><p class=\"fix\"><strong>Fix:</strong> {}</p></details></td></tr>",
        escape(&help_text(f))
    );
}

/// A commit as a table cell: its short id and date, sorted by its time.
fn commit_cell(p: &mut String, commit: Option<&CommitInfo>) {
    match commit {
        Some(c) => {
            let _ = write!(
                p,
                "<td data-key=\"{}\" title=\"{}\"><code>{}</code><br><small>{}</small></td>",
                epoch(&c.date).unwrap_or(0),
                escape(&format!("{} <{}>", c.author, c.email)),
                escape(short(&c.id)),
                escape(&c.date)
            );
        }
        None => p.push_str("<td data-key=\"0\">—</td>"),
    }
}

/// A commit in full: id, author, email and date.
fn commit_text(c: &CommitInfo) -> String {
    format!(
        "<code>{}</code> by {} &lt;{}&gt; on {}",
        escape(&c.id),
        escape(&c.author),
        escape(&c.email),
        escape(&c.date)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::finding::{Fingerprint, Lifecycle, Secret, Source};
    use crate::outcome::Stats;
    use crate::rules::{Category, RuleSet};

    fn outcome(findings: Vec<Finding>, history: bool) -> Outcome {
        Outcome {
            findings,
            stats: Stats {
                commits: history.then_some(3),
                ..Stats::default()
            },
            rules: RuleSet::default(),
            unused_baseline: Vec::new(),
        }
    }

    fn finding(path: &str, secret: &str) -> Finding {
        Finding {
            rule_id: "test-rule".into(),
            rule_name: "Test <rule>".into(),
            category: Category::Cloud,
            confidence: Confidence::High,
            path: path.into(),
            line: 2,
            column: 5,
            secret: Some(Secret::new(secret)),
            fingerprint: Fingerprint::of("test-rule", secret.as_bytes()),
            source: Source::History,
            commit: Some(Arc::new(CommitInfo {
                id: "0123456789abcdef0123456789abcdef01234567".into(),
                author: "Eve \"<img src=x onerror=alert(1)>\"".into(),
                email: "eve@example.org".into(),
                date: "2023-11-14T22:13:20+00:00".into(),
            })),
            lifecycle: Some(Lifecycle {
                still_in_head: true,
                ..Lifecycle::default()
            }),
            remedy: Some("rotate </script><script>alert(2)</script>".into()),
            pair: None,
        }
    }

    fn render(findings: Vec<Finding>, history: bool, show_secrets: bool) -> String {
        let opts = ReportOptions {
            show_secrets,
            ..ReportOptions::default()
        };
        page(&outcome(findings, history), &opts)
    }

    /// Every string from a finding is escaped: a path, an author or a
    /// remedy with markup adds no element to the page.
    #[test]
    fn finding_strings_are_escaped() {
        let page = render(
            vec![finding(
                "<script>alert(1)</script>.env",
                "s3cr3t-value-here",
            )],
            true,
            false,
        );
        assert_eq!(
            page.matches("<script").count(),
            1,
            "only the page's own script"
        );
        assert!(!page.contains("<img"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.env"));
        assert!(page.contains("Eve &quot;&lt;img src=x onerror=alert(1)&gt;&quot;"));
        assert!(page.contains("rotate &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
        assert_eq!(escape("a&'b"), "a&amp;&#39;b");
    }

    /// Secrets are redacted as in the other formats unless asked for.
    #[test]
    fn secrets_are_redacted_unless_shown() {
        let secret = "hunter2-is-my-password";
        let redacted = render(vec![finding("a.env", secret)], true, false);
        assert!(!redacted.contains(secret));
        assert!(redacted.contains("<code>hunt…</code>"));
        let shown = render(vec![finding("a.env", secret)], true, true);
        assert!(shown.contains(&format!("<code>{secret}</code>")));
    }

    /// An empty report is a whole page that says there is nothing, with
    /// an empty table.
    #[test]
    fn empty_report_is_a_page() {
        let page = render(Vec::new(), false, false);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.ends_with("</html>\n"));
        assert!(page.contains("<span class=\"total\" id=\"total\">0</span> findings"));
        assert!(page.contains("No findings."));
        assert!(page.contains("<tbody>\n</tbody>"));
        assert!(!page.contains("id=\"timeline\""));
    }

    /// The page loads nothing: no source, link or URL outside itself.
    #[test]
    fn page_is_self_contained() {
        let page = render(vec![finding("a.env", "s3cr3t-value-here")], true, false);
        for needle in [
            " src=\"",
            "href=\"http",
            "<link",
            "@import",
            "url(",
            "fetch(",
        ] {
            assert!(!page.contains(needle), "{needle}");
        }
    }

    /// Dates with any offset become the same instant.
    #[test]
    fn rfc3339_dates_become_epoch_seconds() {
        assert_eq!(epoch("2023-11-14T22:13:20+00:00"), Some(1_700_000_000));
        assert_eq!(epoch("2023-11-14T23:13:20+01:00"), Some(1_700_000_000));
        assert_eq!(epoch("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(epoch("1970-01-01T00:00:00-00:30"), Some(1800));
        assert_eq!(epoch("yesterday"), None);
    }
}
