//! Sink detection measured on fixtures: secrets written where real libraries
//! take them (JWT and HMAC keys, basic auth, database and broker
//! connections, logins, SDK clients, command lines, SQL) must be found in
//! Python, JavaScript/TypeScript, Go, Java/Kotlin, C#, Ruby, PHP, shell,
//! PowerShell and SQL; look-alikes (lookups, references, calls,
//! placeholders, generated keys, digests, interpolations) must not. Runs the
//! real binary with default settings; the fixtures live in
//! `tests/fixtures/sinks/`.

use crate::fixture::{is_found, scan_fixture, Case};

fn describe(case: &Case) -> String {
    format!(
        "  line {}: {}",
        case.first,
        case.text.replace('\n', "\n    ")
    )
}

/// At least 97% of the positive cases are reported and none of the negative
/// cases is; on failure every missed positive and every reported negative is
/// listed.
#[test]
fn sink_fixtures_recall_and_false_positives() {
    let (positives, found_lines) = scan_fixture(
        "positives.txt",
        include_str!("../fixtures/sinks/positives.txt"),
    );
    let (negatives, reported_lines) = scan_fixture(
        "negatives.txt",
        include_str!("../fixtures/sinks/negatives.txt"),
    );
    assert!(
        positives.len() >= 250,
        "only {} positive cases",
        positives.len()
    );
    assert!(
        negatives.len() >= 250,
        "only {} negative cases",
        negatives.len()
    );

    let missed: Vec<&Case> = positives
        .iter()
        .filter(|c| !is_found(c, &found_lines))
        .collect();
    let reported: Vec<&Case> = negatives
        .iter()
        .filter(|c| is_found(c, &reported_lines))
        .collect();
    let found = positives.len() - missed.len();
    let recall_ok = found * 100 >= positives.len() * 97;

    let mut report = format!(
        "recall {found}/{} ({:.1}%, needs 97%); {} of {} negatives reported",
        positives.len(),
        found as f64 * 100.0 / positives.len() as f64,
        reported.len(),
        negatives.len(),
    );
    if !missed.is_empty() {
        report.push_str(&format!("\nmissed positives ({}):", missed.len()));
        for case in &missed {
            report.push('\n');
            report.push_str(&describe(case));
        }
    }
    if !reported.is_empty() {
        report.push_str(&format!("\nreported negatives ({}):", reported.len()));
        for case in &reported {
            report.push('\n');
            report.push_str(&describe(case));
        }
    }
    eprintln!("{}", report.lines().next().unwrap_or_default());
    assert!(recall_ok && reported.is_empty(), "{report}");
}
