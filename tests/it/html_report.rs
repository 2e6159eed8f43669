//! `--format html`: the page keyward writes for a real history audit,
//! rendered by headless Chromium so the assertions see the DOM after the
//! page's own script ran (filters from the URL fragment, hidden rows).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fake;
use crate::support::Work;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM Chromium holds after loading `url`, or `None` (with a note)
/// when Chromium is not installed.
fn dump_dom(url: &str, profile: &Path) -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("{CHROMIUM} is missing: skipping the rendered-page checks");
        return None;
    }
    let out = chromium(profile)
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("the DOM is UTF-8"))
}

fn chromium(profile: &Path) -> Command {
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// The `<tr>` start tags of the findings table's body.
fn body_rows(dom: &str) -> Vec<&str> {
    let start = dom.find("<table id=\"findings\">").expect("findings table");
    let body = &dom[start..];
    start_tags(
        &body[body.find("<tbody>").expect("tbody")..body.find("</tbody>").expect("/tbody")],
        "<tr ",
    )
}

/// The start tags in `html` that open with `open`.
fn start_tags<'a>(html: &'a str, open: &str) -> Vec<&'a str> {
    html.match_indices(open)
        .map(|(i, _)| &html[i..i + html[i..].find('>').expect("tag ends")])
        .collect()
}

fn visible(rows: &[&str]) -> usize {
    rows.iter().filter(|r| !r.contains(" hidden")).count()
}

/// A repository with three secrets in three commits, the first removed
/// later, and a path that tries to inject a script.
fn repo() -> (Work, PathBuf) {
    let mut w = Work::repo();
    w.commit("README.md", "hello\n", "init");
    w.commit(
        "app/config.py",
        &format!("TOKEN = \"{}\"\n", fake::github("ghp_", 41)),
        "add config",
    );
    w.commit(
        "deploy/<script>alert(1)</script>.sh",
        &format!("export AWS_KEY={}\n", fake::aws_key_id(42)),
        "add deploy env",
    );
    w.commit("keys/id_rsa", &fake::rsa_private_key(43), "add a key");
    w.commit(
        "app/config.py",
        "TOKEN = os.environ[\"TOKEN\"]\n",
        "read the token from the environment",
    );
    let report = w.join("report.html");
    (w, report)
}

/// A history audit's page lists three findings, dates each, says which
/// one was removed, escapes the hostile path, and applies a filter read
/// from the URL fragment, hiding the other rows.
#[test]
fn history_audit_page_renders_filters_and_escapes() {
    let (w, report) = repo();
    let run = w.keyward(&["git", "--format", "html", "-o", "report.html"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let html = std::fs::read_to_string(&report).expect("report written");
    let json = w.keyward(&["git", "--format", "json"]).findings();
    assert_eq!(json.len(), 3, "{json:?}");
    let categories: Vec<&str> = json
        .iter()
        .map(|f| f["category"].as_str().expect("category"))
        .collect();
    for secret in [
        fake::github("ghp_", 41),
        fake::aws_key_id(42),
        fake::rsa_private_key(43),
    ] {
        let middle = &secret[secret.len() / 2..secret.len() / 2 + 8];
        assert!(!html.contains(middle), "a secret is shown in clear");
    }
    // Same data, same bytes.
    w.keyward(&["git", "--format", "html", "-o", "again.html"]);
    let again = std::fs::read_to_string(w.join("again.html")).expect("again");
    assert!(html == again, "two runs differ:\n{html}\n---\n{again}");

    let profile = tempfile::tempdir().expect("profile dir");
    let url = format!("file://{}", report.display());
    let Some(dom) = dump_dom(&url, profile.path()) else {
        return;
    };
    let rows = body_rows(&dom);
    assert_eq!(rows.len(), 3, "{dom}");
    assert_eq!(visible(&rows), 3);
    assert!(dom.contains("<span class=\"total\" id=\"total\">3</span> findings"));
    assert!(dom.contains("<output id=\"shown\">3 of 3</output>"));
    assert_eq!(
        dom.matches("<li data-for=").count(),
        3,
        "one timeline bar per finding"
    );
    assert_eq!(dom.matches("still in HEAD</td>").count(), 2);
    assert!(
        dom.contains("removed 2023-11-14T22:"),
        "the removed token's bar"
    );
    // The path is text, not markup: only the page's own script exists.
    assert_eq!(dom.matches("<script").count(), 1);
    assert!(dom.contains("deploy/&lt;script&gt;alert(1)&lt;/script&gt;.sh"));

    let first = categories[0];
    let same = categories.iter().filter(|c| **c == first).count();
    assert!(
        same < 3,
        "the test wants findings of more than one category"
    );
    let filtered = dump_dom(&format!("{url}#category={first}"), profile.path()).expect("chromium");
    let rows = body_rows(&filtered);
    assert_eq!(rows.len(), 3);
    assert_eq!(visible(&rows), same, "{filtered}");
    assert!(filtered.contains(&format!("<output id=\"shown\">{same} of 3</output>")));
    let bars = start_tags(&filtered, "<li data-for=");
    assert_eq!(bars.len(), 3);
    assert_eq!(visible(&bars), same, "timeline bars follow the filter");

    let none = dump_dom(
        &format!("{url}#confidence=high&rule=no-such-rule"),
        profile.path(),
    )
    .expect("chromium");
    assert_eq!(visible(&body_rows(&none)), 0);
    assert!(none.contains("<p class=\"empty\" id=\"none-shown\">No findings match"));

    // Newest first by the commit that brought each secret: the private
    // key, then the AWS key, then the token.
    let sorted = dump_dom(&format!("{url}#sort=-introduced"), profile.path()).expect("chromium");
    let ids: Vec<&str> = body_rows(&sorted)
        .iter()
        .map(|tag| tag.split('"').nth(1).expect("row id"))
        .collect();
    assert_eq!(ids, ["f3", "f2", "f1"]);
    assert!(sorted.contains("data-name=\"introduced\" data-type=\"num\" aria-sort=\"descending\""));

    let shot = w.join("report.png");
    let out = chromium(profile.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1400,1000")
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(out.status.success() && shot.exists(), "screenshot");
}

/// A working-tree scan's page has no timeline and no history columns.
#[test]
fn tree_scan_page_has_no_timeline() {
    let w = Work::new();
    w.write(
        "app/.env.production",
        &format!("KEY={}\n", fake::aws_key_id(44)),
    );
    let run = w.keyward(&["scan", "--format", "html"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.starts_with("<!DOCTYPE html>"));
    assert!(run.stdout.contains("Working-tree scan of"));
    assert!(!run.stdout.contains("id=\"timeline\""));
    assert!(!run.stdout.contains("Introduced</button>"));
    assert!(run.stdout.contains("<tr id=\"f1\""));
}
