//! One integration-test binary: every module runs the real keyward binary on
//! directories and git repositories made in temporary folders.

mod action;
mod baseline_import;
mod blind;
mod blind_later;
mod completions;
mod corrupt;
mod corrupt_more;
mod credential_files;
mod decode;
mod env;
mod fake;
mod fixture;
mod foreign_allows;
mod generic;
mod gitleaks_rules;
mod history;
mod history_packs;
mod history_walk;
mod hook;
mod html_report;
mod large_pack;
mod negatives;
mod pairs;
mod places;
mod pre_commit_framework;
mod rules;
mod scan;
mod scan_reports;
mod sinks;
mod snapshots;
mod support;
