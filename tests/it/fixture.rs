//! Fixture files of cases for the detection measurements (generic.rs,
//! sinks.rs): blocks of lines separated by blank lines, `##` lines being
//! headings; a case is found when a finding lies on one of its lines.

use std::collections::BTreeSet;

use crate::support::Work;

/// One fixture case: a block of lines, with its 1-based first and last line.
pub(crate) struct Case {
    pub(crate) first: u64,
    pub(crate) last: u64,
    pub(crate) text: String,
}

/// Splits a fixture into cases: blocks separated by blank lines, skipping
/// `##` heading lines.
pub(crate) fn cases(fixture: &str) -> Vec<Case> {
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
pub(crate) fn scan_fixture(name: &str, fixture: &str) -> (Vec<Case>, BTreeSet<u64>) {
    let w = Work::new();
    w.write(name, fixture);
    let run = w.keyward(&["scan", "--format", "json"]);
    assert!(run.code <= 1, "{}", run.stderr);
    assert_eq!(run.scanned_files(), Some(1), "{}", run.stderr);
    let lines = run
        .rule_path_line()
        .into_iter()
        .map(|(_, _, l)| l)
        .collect();
    (cases(fixture), lines)
}

/// A case is found when a finding lies on one of its lines.
pub(crate) fn is_found(case: &Case, lines: &BTreeSet<u64>) -> bool {
    lines.range(case.first..=case.last).next().is_some()
}
