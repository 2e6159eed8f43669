//! Generic detection measured on fixtures: assignments of passwords, secrets,
//! tokens and API keys across languages and config formats must be found,
//! look-alike non-secrets must not. Runs the real binary with default
//! settings; the fixtures live in `tests/fixtures/generic/`.

use std::collections::BTreeSet;

use crate::support::Work;

/// One fixture case: a block of lines, with its 1-based first and last line.
struct Case {
    first: u64,
    last: u64,
    text: String,
}

/// Splits a fixture into cases: blocks separated by blank lines, skipping
/// `##` heading lines.
fn cases(fixture: &str) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    let mut open = false;
    for (i, line) in fixture.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() || line.starts_with("##") {
            open = false;
            continue;
        }
        match out.last_mut() {
            Some(case) if open => {
                case.last = n;
                case.text.push('\n');
                case.text.push_str(line);
            }
            _ => out.push(Case {
                first: n,
                last: n,
                text: line.to_string(),
            }),
        }
        open = true;
    }
    out
}

/// Scans one fixture through the binary and returns its cases and the lines
/// that have findings.
fn scan_fixture(name: &str, fixture: &str) -> (Vec<Case>, BTreeSet<u64>) {
    let w = Work::new();
    w.write(name, fixture);
    let run = w.keyward(&["scan", "--format", "json"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let lines = run
        .rule_path_line()
        .into_iter()
        .map(|(_, _, l)| l)
        .collect();
    (cases(fixture), lines)
}

fn is_found(case: &Case, lines: &BTreeSet<u64>) -> bool {
    lines.range(case.first..=case.last).next().is_some()
}

/// At least 95% of the realistic secret assignments in the positives fixture
/// are reported.
#[test]
fn generic_positives_are_found() {
    let (cases, lines) = scan_fixture(
        "positives.txt",
        include_str!("../fixtures/generic/positives.txt"),
    );
    assert!(cases.len() >= 50, "only {} positive cases", cases.len());
    let missed: Vec<&Case> = cases.iter().filter(|c| !is_found(c, &lines)).collect();
    for case in &missed {
        eprintln!("missed line {}: {}", case.first, case.text);
    }
    let found = cases.len() - missed.len();
    eprintln!("recall: {found}/{}", cases.len());
    assert!(
        found * 100 >= cases.len() * 95,
        "recall {found}/{} is under 95%",
        cases.len()
    );
}

/// No look-alike in the negatives fixture is reported.
#[test]
fn generic_negatives_are_quiet() {
    let (cases, lines) = scan_fixture(
        "negatives.txt",
        include_str!("../fixtures/generic/negatives.txt"),
    );
    assert!(cases.len() >= 50, "only {} negative cases", cases.len());
    let reported: Vec<String> = cases
        .iter()
        .filter(|c| is_found(c, &lines))
        .map(|c| format!("line {}: {}", c.first, c.text))
        .collect();
    assert!(
        reported.is_empty(),
        "{} of {} negatives reported:\n{}",
        reported.len(),
        cases.len(),
        reported.join("\n")
    );
}
