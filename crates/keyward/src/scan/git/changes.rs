//! Added-line scans: the lines a range of commits, a push or the index
//! adds, and the messages of those commits.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use git2::Repository;
use rayon::prelude::*;

use super::super::{findings_in, thread_count, Outcome, ScanOptions, Setup, Stats};
use super::audit::message_content;
use crate::content::{is_binary, Content, Skip, SkipReason};
use crate::detect::{Detector, Volume};
use crate::finding::{CommitInfo, Finding, Source};
use crate::suppress::InlineAllows;
use keyward_git::{self as git, Added, Change, Changes};

/// What scanning one changed file produced.
pub(super) struct ChangeResult {
    bytes: u64,
    findings: Vec<Finding>,
    allowed: u64,
}

/// Scans the added lines of each change (a range's commits, or the index)
/// that `list` finds. A detector for small input is built on another
/// thread meanwhile (in a hook, every millisecond is the user's); a long
/// range gets the faster-searching one.
pub(super) fn scan_changes(
    opts: &ScanOptions,
    repo: &Repository,
    setup: Setup,
    list: impl FnOnce() -> Result<Changes>,
    source: Source,
    started: Instant,
) -> Result<Outcome> {
    let (detector, changes) = std::thread::scope(|s| {
        let detector = s.spawn(|| Detector::for_volume(&setup.rules, Volume::Small));
        let changes = list();
        let detector = detector
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (detector, changes)
    });
    let Changes {
        commits,
        messages,
        changes,
        skips,
    } = changes?;
    const MANY_CHANGES: usize = 256;
    let detector = if changes.len() > MANY_CHANGES {
        Detector::new(&setup.rules)
    } else {
        detector
    };
    let mut stats = Stats {
        commits: (source == Source::History).then_some(commits.len() as u64),
        skips,
        ..Stats::default()
    };
    let git_dir: &Path = repo.path();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(thread_count(opts.threads))
        .build()
        .context("starting worker threads")?;
    let results: Vec<Result<ChangeResult, Skip>> = pool.install(|| {
        changes
            .par_iter()
            .map_init(
                || Repository::open(git_dir).ok(),
                |worker, change| {
                    scan_change(worker.as_ref(), &detector, &setup, &commits, change, source)
                },
            )
            .collect()
    });
    // What cannot be read is not known to be clean: fail closed.
    let unreadable: Vec<String> = stats
        .skips
        .iter()
        .chain(results.iter().filter_map(|r| r.as_ref().err()))
        .filter_map(|s| match &s.reason {
            SkipReason::Unreadable(why) => Some(format!("{} ({why})", s.path)),
            _ => None,
        })
        .collect();
    if !unreadable.is_empty() {
        // `report::count` is a layer above; one plural is spelt out here.
        let files = match unreadable.len() {
            1 => "1 changed file".to_string(),
            n => format!("{n} changed files"),
        };
        bail!(
            "could not read {files}, so the scan would be incomplete: {}",
            unreadable.join("; ")
        );
    }
    let mut findings = Vec::new();
    for r in results {
        match r {
            Ok(r) if r.bytes > 0 || !r.findings.is_empty() => {
                stats.files += 1;
                stats.bytes += r.bytes;
                stats.suppressed_inline += r.allowed;
                findings.extend(r.findings);
            }
            Ok(_) => {}
            Err(skip) => stats.skips.push(skip),
        }
    }
    let (in_messages, allowed) = message_findings(&detector, setup.allows, &messages, &commits);
    stats.suppressed_inline += allowed;
    findings.extend(in_messages.into_iter().map(|(_, f)| f));
    stats.skips.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(setup.finish(findings, stats, started))
}

pub(super) fn scan_change(
    repo: Option<&Repository>,
    detector: &Detector<'_>,
    setup: &Setup,
    commits: &[Arc<CommitInfo>],
    change: &Change,
    source: Source,
) -> Result<ChangeResult, Skip> {
    if setup.exclusions.is_excluded(&change.path) {
        return Ok(ChangeResult {
            bytes: 0,
            findings: Vec::new(),
            allowed: 0,
        });
    }
    let skip = |reason| Skip {
        path: change.path.clone(),
        reason,
    };
    let repo = repo.ok_or_else(|| {
        skip(SkipReason::Unreadable(
            "cannot open the repository in a worker".into(),
        ))
    })?;
    let blob = git::read_blob(repo, change.oid, setup.max_file_size).map_err(skip)?;
    let data = blob.content();
    if is_binary(data) {
        return Err(skip(SkipReason::Binary));
    }
    let since;
    let added = match &change.added {
        Added::Lines(lines) => lines,
        Added::Since(old) => {
            since = git::added_since(repo, *old, data).map_err(skip)?;
            &since
        }
    };
    if added.is_empty() {
        return Ok(ChangeResult {
            bytes: 0,
            findings: Vec::new(),
            allowed: 0,
        });
    }
    let content = Content {
        bytes: data,
        path: change.path.clone(),
        source,
        commit: change.commit.map(|c| commits[c].clone()),
        added_lines: Some(added),
    };
    let (findings, allowed) = findings_in(detector, &content, setup.allows);
    Ok(ChangeResult {
        bytes: data.len() as u64,
        findings,
        allowed,
    })
}

/// Findings in commit messages (path `@commit-message`), each with its
/// commit index, and how many inline allows applied.
pub(super) fn message_findings(
    detector: &Detector<'_>,
    allows: InlineAllows,
    messages: &[(usize, String)],
    commits: &[Arc<CommitInfo>],
) -> (Vec<(usize, Finding)>, u64) {
    let mut found = Vec::new();
    let mut allowed = 0;
    for (commit, message) in messages {
        let content = message_content(Some(commits[*commit].clone()), message);
        let (f, a) = findings_in(detector, &content, allows);
        allowed += a;
        found.extend(f.into_iter().map(|f| (*commit, f)));
    }
    (found, allowed)
}
