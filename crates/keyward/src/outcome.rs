//! What a scan produced: its findings after suppression, and how it went
//! (what was read, skipped, excluded, suppressed). Scans make an
//! [`Outcome`]; reports read it.

use std::time::Duration;

use crate::content::{Skip, SkipReason};
use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::suppress::BaselineEntry;

/// Counts that tell a reader how much was scanned, so "clean" is never
/// confused with "scanned nothing".
#[derive(Debug, Default)]
pub struct Stats {
    /// Files, or for git scans blobs, whose bytes were scanned.
    pub files: u64,
    pub bytes: u64,
    /// Commits walked, for git scans.
    pub commits: Option<u64>,
    /// Blobs whose results came from the incremental-audit cache.
    pub cached: u64,
    pub skips: Vec<Skip>,
    /// Files (or blobs) left out by the config's exclude globs.
    pub excluded: u64,
    pub suppressed_inline: u64,
    pub suppressed_baseline: u64,
    /// Findings whose place (a vendored dependency, documentation) lowered
    /// them below the minimum confidence: not reported, only counted.
    pub below_confidence: u64,
    pub elapsed: Duration,
    pub warnings: Vec<String>,
    /// For a history audit: how many blobs stored as deltas were searched
    /// only where their delta changed their base.
    pub searched_as_deltas: Option<u64>,
}

impl Stats {
    /// How many inputs could not be read (files, objects, refs): skips that
    /// make a scan incomplete, unlike those by policy (binary, too large).
    pub fn unreadable(&self) -> u64 {
        self.skips
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::Unreadable(_)))
            .count() as u64
    }
}

/// What a scan produced: findings after suppression, and how it went.
#[derive(Debug)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    pub rules: RuleSet,
    /// Baseline entries that matched nothing in this scan.
    pub unused_baseline: Vec<BaselineEntry>,
}
