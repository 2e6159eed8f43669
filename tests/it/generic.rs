//! Generic detection measured on fixtures: assignments of passwords, secrets,
//! tokens and API keys across languages and config formats must be found,
//! look-alike non-secrets must not. Runs the real binary with default
//! settings; the fixtures live in `tests/fixtures/generic/`.

use crate::fixture::{is_found, scan_fixture, Case};

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
