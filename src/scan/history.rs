//! Orchestration of git scans: the full-history audit (unique blobs scanned
//! once in parallel, one repository handle per worker, findings grouped by
//! fingerprint with their lifecycle), and the added-lines scans of ranges and
//! of the index.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use git2::{Oid, Repository};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use rayon::prelude::*;

use super::{findings_from, findings_in, thread_count, Outcome, ScanOptions, Setup, Stats};
use crate::cache::{BlobCache, CachedBlob, CachedMatch};
use crate::content::{is_binary, merge_spans, touches, Content, Skip, SkipReason};
use crate::detect::{Detector, Match, Volume};
use crate::envcheck;
use crate::finding::{CommitInfo, Finding, Lifecycle, Occurrence, Source, COMMIT_MESSAGE_PATH};
use crate::rules::{Category, Confidence, Rule};
use crate::sources::git::{self, Added, BlobSite, Change, Changes, History, RefSelection};

/// How many other places a history finding lists before it only counts.
const OCCURRENCE_CAP: usize = 20;

/// Blobs at least this large are scanned only where they changed from their
/// base. Reading the base of a smaller one costs about what scanning it
/// whole does (a 10k-commit history of 2 KiB files took 1.21 s that way,
/// 1.05 s with this limit and 1.12 s scanning every blob whole).
const DELTA_MIN: usize = 4 << 10;

/// What a git scan covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitTarget {
    /// Every blob reachable from the selected refs.
    History(RefSelection),
    /// The lines added by the commits of `A..B`.
    Range(String),
    /// The lines the index adds to HEAD.
    Staged,
    /// The lines added by commits reachable from `push` and from none of
    /// `hide` (object ids): what a push sends.
    Tips {
        push: Vec<String>,
        hide: Vec<String>,
    },
}

/// Scans a git repository as `opts.git` says.
pub fn scan_git(opts: &ScanOptions) -> Result<Outcome> {
    let started = Instant::now();
    let path = opts.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    let repo = git::open(&path)?;
    let root = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    let setup = Setup::new(opts, &root)?;
    match opts
        .git
        .clone()
        .unwrap_or(GitTarget::History(RefSelection::All))
    {
        GitTarget::History(selection) => audit(opts, &repo, setup, &selection, started),
        GitTarget::Range(spec) => scan_changes(
            opts,
            &repo,
            setup,
            || git::range_changes(&repo, &spec),
            Source::History,
            started,
        ),
        GitTarget::Tips { push, hide } => {
            let ids = |v: &[String]| {
                v.iter()
                    .map(|s| Oid::from_str(s))
                    .collect::<Result<Vec<_>, _>>()
            };
            let (push, hide) = (ids(&push)?, ids(&hide)?);
            scan_changes(
                opts,
                &repo,
                setup,
                || git::tips_changes(&repo, &push, &hide),
                Source::History,
                started,
            )
        }
        GitTarget::Staged => scan_changes(
            opts,
            &repo,
            setup,
            || git::staged_changes(&repo),
            Source::Staged,
            started,
        ),
    }
}

/// The audit's progress bar on stderr (hidden unless `show`): blobs
/// scanned of those found so far, the bytes scanned per second since the
/// start (`scanned` counts them) and the commits walked (`commits`), read
/// as it is drawn.
fn progress_bar(show: bool, scanned: Arc<AtomicU64>, commits: Arc<AtomicU64>) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let rate = move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(
            w,
            "{}/s",
            HumanBytes(per_second(scanned.load(Ordering::Relaxed), state.elapsed()))
        );
    };
    let walked = move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{}", commits.load(Ordering::Relaxed));
    };
    let style = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} blobs, {rate}, {commits} commits {elapsed}",
    )
    .expect("progress template is valid")
    .with_key("rate", rate)
    .with_key("commits", walked);
    bar.set_style(style);
    // Redrawn on a timer too: a run of commits that bring no new blob
    // would otherwise leave the commit count standing.
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    bar
}

/// `bytes` over `elapsed`, per second (0 before any time has passed).
fn per_second(bytes: u64, elapsed: std::time::Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (bytes as f64 / secs) as u64
    } else {
        0
    }
}

/// What the history walk hands the workers.
enum Work {
    Blob(usize, BlobSite, Arc<CommitInfo>),
    /// A commit message, with its commit's index.
    Message(usize, Arc<CommitInfo>, String),
}

/// Work items per batch handed to the workers, and batches queued at most.
const BATCH: usize = 64;
const QUEUED_BATCHES: usize = 128;

/// Gathers the walk's work into batches for the workers.
struct Batcher {
    tx: std::sync::mpsc::SyncSender<Vec<Work>>,
    /// Only the walk's thread pushes: the lock is never contended.
    items: std::sync::Mutex<Vec<Work>>,
}

impl Batcher {
    fn new(tx: std::sync::mpsc::SyncSender<Vec<Work>>) -> Batcher {
        Batcher {
            tx,
            items: std::sync::Mutex::new(Vec::with_capacity(BATCH)),
        }
    }

    fn push(&self, work: Work, bar: &ProgressBar) {
        let mut items = self
            .items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        items.push(work);
        if items.len() == BATCH {
            let full = std::mem::replace(&mut *items, Vec::with_capacity(BATCH));
            drop(items);
            self.send(full, bar);
        }
    }

    fn flush(&self, bar: &ProgressBar) {
        let rest = std::mem::take(
            &mut *self
                .items
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if !rest.is_empty() {
            self.send(rest, bar);
        }
    }

    fn send(&self, batch: Vec<Work>, bar: &ProgressBar) {
        let blobs = batch.iter().filter(|w| matches!(w, Work::Blob(..))).count();
        bar.inc_length(blobs as u64);
        // A closed channel means the workers stopped; the walk ends anyway.
        let _ = self.tx.send(batch);
    }
}

/// What scanning one blob (or commit message) produced.
enum BlobResult {
    Scanned {
        site: usize,
        bytes: u64,
        matches: Vec<Match>,
        findings: Vec<Finding>,
        allowed: u64,
        cached: bool,
        /// Only the lines changed from the site's base were scanned: the
        /// rest holds what the base held.
        delta: bool,
    },
    Skipped {
        site: usize,
        skip: Skip,
    },
    Excluded,
    /// A commit message's findings.
    Message {
        commit: usize,
        findings: Vec<Finding>,
        allowed: u64,
    },
}

/// What the workers counted, and which blobs they scanned against a base.
#[derive(Default)]
struct Tally {
    files: AtomicU64,
    /// Shared with the progress bar, which shows the rate.
    bytes: Arc<AtomicU64>,
    allowed: AtomicU64,
    cached: AtomicU64,
    excluded: AtomicU64,
    /// Per blob (by index), [`DELTA`], [`CACHED`] and [`SKIPPED`] marks.
    marks: std::sync::Mutex<Vec<u8>>,
}

/// Scanned only where it changed from its base.
const DELTA: u8 = 1;
/// Read back from the cache.
const CACHED: u8 = 2;
/// Not scanned: binary, too large, unreadable.
const SKIPPED: u8 = 4;

impl Tally {
    /// Counts one blob's result, and returns the part still needed.
    fn count(&self, result: BlobResult, caching: bool) -> Option<BlobResult> {
        match result {
            BlobResult::Scanned {
                site,
                bytes,
                matches,
                findings,
                allowed,
                cached,
                delta,
            } => {
                self.files.fetch_add(1, Ordering::Relaxed);
                self.bytes.fetch_add(bytes, Ordering::Relaxed);
                self.allowed.fetch_add(allowed, Ordering::Relaxed);
                if cached {
                    self.cached.fetch_add(1, Ordering::Relaxed);
                }
                self.mark(
                    site,
                    if delta { DELTA } else { 0 } | if cached { CACHED } else { 0 },
                );
                let entry = caching && !cached;
                (entry || !findings.is_empty()).then(|| BlobResult::Scanned {
                    site,
                    bytes,
                    matches: if entry { matches } else { Vec::new() },
                    findings,
                    allowed,
                    cached,
                    delta,
                })
            }
            BlobResult::Excluded => {
                self.excluded.fetch_add(1, Ordering::Relaxed);
                None
            }
            BlobResult::Skipped { site, skip } => {
                self.mark(site, SKIPPED);
                Some(BlobResult::Skipped { site, skip })
            }
            BlobResult::Message {
                commit,
                findings,
                allowed,
            } => {
                self.allowed.fetch_add(allowed, Ordering::Relaxed);
                (!findings.is_empty()).then_some(BlobResult::Message {
                    commit,
                    findings,
                    allowed,
                })
            }
        }
    }

    fn mark(&self, site: usize, mark: u8) {
        if mark == 0 {
            return;
        }
        let mut marks = self
            .marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if marks.len() <= site {
            marks.resize(site + 1, 0);
        }
        marks[site] |= mark;
    }
}

fn audit(
    opts: &ScanOptions,
    repo: &Repository,
    setup: Setup,
    selection: &RefSelection,
    started: Instant,
) -> Result<Outcome> {
    let mut stats = Stats::default();
    let boundary = git::shallow_boundary(repo);
    if !boundary.is_empty() {
        let shown: Vec<&str> = boundary
            .iter()
            .take(3)
            .map(|s| &s[..s.len().min(12)])
            .collect();
        stats.warnings.push(format!(
            "shallow clone: the history behind {} boundary commit(s) ({}) is not in this repository and was not scanned",
            boundary.len(),
            shown.join(", ")
        ));
    }
    if repo.is_empty().unwrap_or(false) {
        stats
            .warnings
            .push("the repository has no commits: nothing to scan".into());
        stats.commits = Some(0);
        return Ok(setup.finish(Vec::new(), stats, started));
    }

    // KEYWARD_TIMINGS=1 prints phase timings on stderr, for benchmarking.
    let timings = std::env::var_os("KEYWARD_TIMINGS").is_some();
    let detector = Detector::new(&setup.rules);
    let cache = (!opts.no_cache).then(|| BlobCache::load(repo.path(), &setup.rules.digest()));
    let tally = Tally::default();
    let commits_seen = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(opts.progress, tally.bytes.clone(), commits_seen.clone());
    let git_dir = repo.path().to_path_buf();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(thread_count(opts.threads))
        .build()
        .context("starting worker threads")?;
    // The walk runs on its own thread and hands the new blobs to the workers
    // in batches, so reading and detecting overlap with enumerating. One
    // send per blob woke a sleeping worker each time: batches cut
    // trufflehog's futex calls from 35k to 27k (most of the rest are
    // libgit2's pack locks).
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Work>>(QUEUED_BATCHES);
    let (walked, results) = std::thread::scope(|scope| {
        let walker = scope.spawn(|| {
            let batch = Batcher::new(tx);
            let own = Repository::open(&git_dir).context("opening the repository")?;
            let tick = || {
                commits_seen.fetch_add(1, Ordering::Relaxed);
            };
            let on_blob = |i: usize, site: &BlobSite, commit: &Arc<CommitInfo>| {
                batch.push(Work::Blob(i, site.clone(), commit.clone()), &bar);
            };
            let on_message = |i: usize, commit: &Arc<CommitInfo>, message: String| {
                batch.push(Work::Message(i, commit.clone(), message), &bar);
            };
            let walked = git::enumerate(
                &own,
                selection,
                &tick,
                &on_blob,
                &on_message,
                &is_real_env_path,
            );
            batch.flush(&bar);
            walked
        });
        // Only what is still needed is kept of each blob's result (its
        // findings, a skip, a cache entry); the rest is counted as it comes.
        let results: Vec<BlobResult> = pool.install(|| {
            rx.into_iter()
                .par_bridge()
                .flat_map_iter(|batch| batch)
                .map_init(
                    || Repository::open(&git_dir).ok(),
                    |worker, work| {
                        let result = match work {
                            Work::Blob(i, site, commit) => {
                                let result = scan_blob(
                                    worker.as_ref(),
                                    &detector,
                                    &setup,
                                    cache.as_ref(),
                                    i,
                                    &site,
                                    commit,
                                );
                                bar.inc(1);
                                result
                            }
                            Work::Message(i, commit, message) => {
                                let content = message_content(commit, &message);
                                let (findings, allowed) = findings_in(&detector, &content);
                                BlobResult::Message {
                                    commit: i,
                                    findings,
                                    allowed,
                                }
                            }
                        };
                        tally.count(result, cache.is_some())
                    },
                )
                .flatten()
                .collect()
        });
        (walker.join(), results)
    });
    bar.finish_and_clear();
    let history = walked.map_err(|_| anyhow::anyhow!("the history walk panicked"))??;
    if timings {
        eprintln!(
            "timing: walk and blobs done {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    stats.commits = Some(history.commits.len() as u64);
    if history.commits.is_empty() {
        stats.warnings.push(
            "the repository has no commits reachable from the selected refs: nothing to scan"
                .into(),
        );
    }
    if history.submodules > 0 {
        stats.warnings.push(format!(
            "{} submodule entries were not followed: scan each submodule's repository on its own",
            history.submodules
        ));
    }
    if history.non_commit_refs > 0 {
        stats.warnings.push(format!(
            "{} refs point at something other than a commit and were not walked",
            history.non_commit_refs
        ));
    }
    stats.skips.extend(history.skips.iter().cloned());

    let mut seen = Sightings::default();
    let mut new_cache: Vec<(Oid, CachedBlob)> = Vec::new();
    let mut in_messages: Vec<(usize, Vec<Finding>)> = Vec::new();
    stats.files += tally.files.into_inner();
    stats.bytes += tally.bytes.load(Ordering::Relaxed);
    stats.suppressed_inline += tally.allowed.into_inner();
    stats.cached += tally.cached.into_inner();
    stats.excluded += tally.excluded.into_inner();
    // Per blob (by index): how it was scanned, and the findings it holds.
    let mut marks = tally
        .marks
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    marks.resize(history.blobs.len(), 0);
    for result in results {
        match result {
            BlobResult::Scanned {
                site,
                matches,
                findings,
                cached,
                delta: against_base,
                ..
            } => {
                let s = &history.blobs[site];
                if !cached && cache.is_some() {
                    let base = if against_base { s.base } else { None };
                    new_cache.push((s.oid, cache_entry(detector.rules(), base, &matches)));
                }
                for f in findings {
                    seen.add(site, s, f);
                }
            }
            BlobResult::Skipped { skip, .. } => stats.skips.push(skip),
            BlobResult::Excluded => {}
            BlobResult::Message {
                commit, findings, ..
            } => in_messages.push((commit, findings)),
        }
    }
    // In history order, whichever worker finished first.
    in_messages.sort_by_key(|(commit, _)| *commit);
    // A blob read back from the cache as scanned against its base is
    // covered only if that base was scanned in this audit too (a lower size
    // limit may skip it now): otherwise it is scanned whole.
    for (i, site) in history.blobs.iter().enumerate() {
        let base = site
            .base
            .and_then(|b| history.blob_index.get(&b))
            .map(|&b| b as usize);
        if marks[i] & (DELTA | CACHED) != DELTA | CACHED
            || base.is_none_or(|b| marks[b] & SKIPPED == 0)
        {
            continue;
        }
        marks[i] &= !DELTA;
        let Ok(blob) = git::read_blob(repo, site.oid, setup.max_file_size) else {
            continue;
        };
        let data = blob.content();
        let matches = detector.detect(data);
        let content = blob_content(&history, site, data);
        let (findings, allowed) = findings_from(detector.rules(), &content, &matches);
        stats.cached -= 1;
        stats.bytes += data.len() as u64;
        stats.suppressed_inline += allowed;
        if cache.is_some() {
            new_cache.push((site.oid, cache_entry(detector.rules(), None, &matches)));
        }
        seen.add_new(i, site, findings);
    }
    // On the worker threads, whose regex caches are already built (on this
    // thread they were a third set: 30 MB more at peak on trufflehog).
    let failed = pool.install(|| inherit(&git_dir, &detector, &history, &marks, &mut seen));
    if failed > 0 {
        stats.warnings.push(format!(
            "could not reopen the repository: findings were not carried to the later versions of {failed} file(s) or line(s) of versions"
        ));
    }
    if timings {
        eprintln!(
            "timing: inherited findings done {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    let Sightings {
        mut located,
        blob_of,
        ..
    } = seen;
    located.extend(
        in_messages
            .into_iter()
            .flat_map(|(commit, found)| found.into_iter().map(move |f| (commit, f))),
    );
    if let Some(cache) = &cache {
        if let Err(e) = cache.append(&new_cache) {
            stats.warnings.push(format!("{e:#}"));
        }
    }
    // One walk of the default branch dates both the secrets and env files.
    let mut held = fingerprint_held(&history, &located, &blob_of);
    held.extend(env_held(&history));
    let presence = if held.is_empty() {
        None
    } else {
        match lifecycles(repo, &history, &held) {
            Ok(p) => Some(p),
            Err(e) => {
                stats.warnings.push(format!(
                    "could not walk the default branch to date removals: {e}"
                ));
                None
            }
        }
    };
    let mut findings = group_by_fingerprint(&history, located, &blob_of, presence.as_ref());
    if timings {
        eprintln!(
            "timing: lifecycles done {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    findings.extend(env_findings(
        repo,
        &history,
        setup.min_confidence,
        presence.as_ref(),
    ));
    if timings {
        eprintln!(
            "timing: env history done {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    stats.skips.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(setup.finish(findings, stats, started))
}

/// Carries findings from a base blob to the blobs scanned against it. Such
/// a blob was searched only where it changed, so a secret on the lines it
/// kept was found in its base, not in it; it still holds that secret, which
/// matters for where the secret appeared and whether it is still at HEAD.
/// A blob that holds one of its base's secrets is read again, and the lines
/// where the secret's bytes stand are scanned as a whole scan would scan
/// them: only what that scan finds there is carried (a secret whose key
/// name, section or document changed is not). Each line of versions (a
/// blob, the blobs scanned against it, and so on) is carried down in
/// history order on one worker; lines of versions run in parallel. Returns
/// how many lines of versions could not be carried (the repository could
/// not be reopened).
fn inherit(
    git_dir: &Path,
    detector: &Detector<'_>,
    history: &History,
    marks: &[u8],
    seen: &mut Sightings,
) -> usize {
    // The blobs scanned against a base, grouped by the first blob of their
    // line of versions; a base always comes before the blobs that use it.
    let mut line_of: HashMap<usize, usize> = HashMap::new();
    let mut lines: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for (i, site) in history.blobs.iter().enumerate() {
        if marks[i] & DELTA == 0 {
            continue;
        }
        let Some(base) = site
            .base
            .and_then(|b| history.blob_index.get(&b))
            .map(|&b| b as usize)
        else {
            continue;
        };
        let first = line_of.get(&base).copied().unwrap_or(base);
        line_of.insert(i, first);
        lines.entry(first).or_default().push((i, base));
    }
    let lines: Vec<Vec<(usize, usize)>> = lines.into_values().collect();
    let shared = &*seen;
    let carried: Vec<Option<Carried>> = lines
        .par_iter()
        .map_init(
            || Repository::open(git_dir).ok(),
            |repo, versions| {
                let repo = repo.as_ref()?;
                Some(carry_down(repo, detector, history, shared, versions))
            },
        )
        .collect();
    let failed = carried.iter().filter(|c| c.is_none()).count();
    let mut carried: Vec<(usize, Vec<Finding>)> = carried.into_iter().flatten().flatten().collect();
    carried.sort_by_key(|(i, _)| *i);
    for (i, found) in carried {
        seen.add_new(i, &history.blobs[i], found);
    }
    failed
}

/// Per blob index, the findings it holds that its own scan did not give it.
type Carried = Vec<(usize, Vec<Finding>)>;

/// Carries findings down one line of versions, `(blob, base)` in history
/// order.
fn carry_down(
    repo: &Repository,
    detector: &Detector<'_>,
    history: &History,
    seen: &Sightings,
    versions: &[(usize, usize)],
) -> Carried {
    let own = |i: usize| {
        seen.holds
            .get(&i)
            .into_iter()
            .flatten()
            .map(|&f| &seen.located[f].1)
    };
    let mut carried: HashMap<usize, Vec<Finding>> = HashMap::new();
    let mut out = Vec::new();
    for &(i, base) in versions {
        let mut fingerprints: HashSet<String> = HashSet::new();
        let mut secrets: Vec<Vec<u8>> = Vec::new();
        let mut take = |finding: &Finding| {
            if let Some(secret) = finding.secret.as_ref().filter(|s| !s.expose().is_empty()) {
                if fingerprints.insert(finding.fingerprint.to_string()) {
                    secrets.push(secret.expose().to_vec());
                }
            }
        };
        own(base).for_each(&mut take);
        carried.get(&base).into_iter().flatten().for_each(&mut take);
        if secrets.is_empty() {
            continue;
        }
        let site = &history.blobs[i];
        // It was read once already; if it cannot be read now, its own
        // findings stand and nothing is carried.
        let Ok(blob) = repo.find_blob(site.oid) else {
            continue;
        };
        let data = blob.content();
        // A handful of patterns searched once: an NFA builds in a fraction
        // of the time the default DFA takes, which was most of this step.
        let Ok(finder) = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&secrets)
        else {
            continue;
        };
        // The whole lines each of the secrets stands on.
        let spans = merge_spans(
            finder
                .find_overlapping_iter(data)
                .map(|m| {
                    let start = memchr::memrchr(b'\n', &data[..m.start()]).map_or(0, |p| p + 1);
                    let end = memchr::memchr(b'\n', &data[m.end()..])
                        .map_or(data.len(), |p| m.end() + p + 1);
                    (start, end)
                })
                .collect(),
        );
        let mut matches = detector.detect_near(data, &spans);
        matches.retain(|m| touches(&spans, (m.start, m.end)));
        let content = blob_content(history, site, data);
        let (found, _) = findings_from(detector.rules(), &content, &matches);
        // Everything a whole scan finds on those lines, not only the base's
        // own secrets: a match the base's stronger match hid (a password
        // under a `[pypi]` header) shows once that match is gone. What the
        // blob's own scan found is not carried again.
        let mut had: HashSet<(String, usize)> = own(i)
            .map(|f| (f.fingerprint.to_string(), f.line))
            .collect();
        let new: Vec<Finding> = found
            .into_iter()
            .filter(|f| had.insert((f.fingerprint.to_string(), f.line)))
            .collect();
        if !new.is_empty() {
            carried.insert(i, new.clone());
            out.push((i, new));
        }
    }
    out
}

/// Where each finding was seen: the findings of every blob (with the
/// commit that introduced the blob), each one's blob, and each blob's
/// findings.
#[derive(Default)]
struct Sightings {
    located: Vec<(usize, Finding)>,
    blob_of: HashMap<usize, Oid>,
    /// Per blob index, indices into `located`.
    holds: HashMap<usize, Vec<usize>>,
}

impl Sightings {
    fn add(&mut self, index: usize, site: &BlobSite, finding: Finding) {
        self.blob_of.insert(self.located.len(), site.oid);
        self.holds
            .entry(index)
            .or_default()
            .push(self.located.len());
        self.located.push((site.commit, finding));
    }

    /// Adds the findings the blob does not hold yet at the same line.
    fn add_new(
        &mut self,
        index: usize,
        site: &BlobSite,
        findings: impl IntoIterator<Item = Finding>,
    ) {
        let mut had: HashSet<(String, usize)> = self
            .holds
            .get(&index)
            .into_iter()
            .flatten()
            .map(|&f| {
                let f = &self.located[f].1;
                (f.fingerprint.to_string(), f.line)
            })
            .collect();
        for finding in findings {
            if had.insert((finding.fingerprint.to_string(), finding.line)) {
                self.add(index, site, finding);
            }
        }
    }
}

/// The content of a blob at its first sighting.
fn blob_content<'a>(history: &History, site: &BlobSite, data: &'a [u8]) -> Content<'a> {
    Content {
        bytes: data,
        path: site.path.clone(),
        source: Source::History,
        commit: Some(history.commits[site.commit].clone()),
        added_lines: None,
    }
}

/// A cache entry for matches made against `base` (or in the whole blob).
fn cache_entry(rules: &[Rule], base: Option<Oid>, matches: &[Match]) -> CachedBlob {
    CachedBlob {
        base,
        matches: matches
            .iter()
            .map(|m| CachedMatch {
                rule: rules[m.rule].id.clone(),
                start: m.start,
                end: m.end,
            })
            .collect(),
    }
}

/// Findings in commit messages (path `@commit-message`), each with its
/// commit index, and how many inline allows applied.
fn message_findings(
    detector: &Detector<'_>,
    messages: &[(usize, String)],
    commits: &[Arc<CommitInfo>],
) -> (Vec<(usize, Finding)>, u64) {
    let mut found = Vec::new();
    let mut allowed = 0;
    for (commit, message) in messages {
        let content = message_content(commits[*commit].clone(), message);
        let (f, a) = findings_in(detector, &content);
        allowed += a;
        found.extend(f.into_iter().map(|f| (*commit, f)));
    }
    (found, allowed)
}

/// A commit message as content to scan, at path `@commit-message`.
fn message_content(commit: Arc<CommitInfo>, message: &str) -> Content<'_> {
    Content {
        bytes: message.as_bytes(),
        path: COMMIT_MESSAGE_PATH.into(),
        source: Source::History,
        commit: Some(commit),
        added_lines: None,
    }
}

fn scan_blob(
    repo: Option<&Repository>,
    detector: &Detector<'_>,
    setup: &Setup,
    cache: Option<&BlobCache>,
    index: usize,
    site: &BlobSite,
    commit: Arc<CommitInfo>,
) -> BlobResult {
    if setup.exclusions.is_excluded(&site.path) {
        return BlobResult::Excluded;
    }
    let skip = |reason| BlobResult::Skipped {
        site: index,
        skip: Skip {
            path: format!("{} (blob {})", site.path, &site.oid.to_string()[..12]),
            reason,
        },
    };
    let Some(repo) = repo else {
        return skip(SkipReason::Unreadable(
            "cannot open the repository in a worker".into(),
        ));
    };
    let cached = cache.and_then(|c| c.get(&site.oid, site.base));
    if cached.is_some_and(|c| c.matches.is_empty()) {
        return BlobResult::Scanned {
            site: index,
            bytes: 0,
            matches: Vec::new(),
            findings: Vec::new(),
            allowed: 0,
            cached: true,
            delta: cached.is_some_and(|c| c.base.is_some()),
        };
    }
    let blob = match git::read_blob(repo, site.oid, setup.max_file_size) {
        Ok(b) => b,
        Err(reason) => return skip(reason),
    };
    let data = blob.content();
    if is_binary(data) {
        return skip(SkipReason::Binary);
    }
    let (matches, delta) = match cached {
        Some(entry) => (
            entry
                .matches
                .iter()
                .filter_map(|e| {
                    let rule = detector.rules().iter().position(|r| r.id == e.rule)?;
                    (e.end <= data.len()).then_some(Match {
                        rule,
                        start: e.start,
                        end: e.end,
                        context: (e.start, e.end),
                    })
                })
                .collect(),
            entry.base.is_some(),
        ),
        // The base is dropped once compared: a worker holds one blob while
        // it detects.
        None => match site
            .base
            .filter(|_| data.len() >= DELTA_MIN)
            .and_then(|b| scanned_text(repo, b, setup.max_file_size))
            .map(|base| git::changed_spans(base.content(), data))
        {
            // The base was scanned (whole, or against its own base): what
            // this blob kept of it is covered, so only the changed lines
            // are searched, and a match counts if what it depends on (its
            // whole match, a Secret's document) touches one of them.
            Some(spans) => {
                let mut matches = detector.detect_near(data, &spans);
                matches.retain(|m| touches(&spans, m.context));
                (matches, true)
            }
            None => (detector.detect(data), false),
        },
    };
    let content = Content {
        bytes: data,
        path: site.path.clone(),
        source: Source::History,
        commit: Some(commit),
        added_lines: None,
    };
    let (findings, allowed) = findings_from(detector.rules(), &content, &matches);
    BlobResult::Scanned {
        site: index,
        bytes: if cached.is_some() {
            0
        } else {
            data.len() as u64
        },
        matches,
        findings,
        allowed,
        cached: cached.is_some(),
        delta,
    }
}

/// The base blob of a change, when its text was scanned: readable, within
/// the size limit and not binary (a skipped base covers nothing).
fn scanned_text(repo: &Repository, base: Oid, limit: u64) -> Option<git2::Blob<'_>> {
    git::read_blob(repo, base, limit)
        .ok()
        .filter(|b| !is_binary(b.content()))
}

/// One finding per fingerprint: the earliest sighting in history order,
/// with every other path and commit as occurrences, and whether the secret
/// is still on the default branch or which commit removed it.
fn group_by_fingerprint(
    history: &History,
    located: Vec<(usize, Finding)>,
    blob_of: &HashMap<usize, Oid>,
    presence: Option<&Lifecycles>,
) -> Vec<Finding> {
    if located.is_empty() {
        return Vec::new();
    }
    let mut other_sites: HashMap<Oid, Vec<&BlobSite>> = HashMap::new();
    for site in &history.other_sites {
        other_sites.entry(site.oid).or_default().push(site);
    }
    // Each finding keeps its blob through the sort; ties are broken fully so
    // the workers' finishing order never shows in the output.
    let mut located: Vec<(usize, Option<Oid>, Finding)> = located
        .into_iter()
        .enumerate()
        .map(|(i, (c, f))| (c, blob_of.get(&i).copied(), f))
        .collect();
    located.sort_by(|(ca, _, a), (cb, _, b)| {
        (ca, &a.path, a.line, &a.rule_id, a.column)
            .cmp(&(cb, &b.path, b.line, &b.rule_id, b.column))
    });
    let mut groups: Vec<Finding> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let mut places: Vec<Vec<Occurrence>> = Vec::new();
    for (_, oid, f) in located {
        let key = f.fingerprint.to_string();
        let here = Occurrence {
            path: f.path.clone(),
            commit: f.commit.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
        };
        let g = match group_of.get(&key) {
            Some(&g) => {
                places[g].push(here);
                g
            }
            None => {
                group_of.insert(key.clone(), groups.len());
                groups.push(f);
                places.push(Vec::new());
                groups.len() - 1
            }
        };
        for site in oid.and_then(|o| other_sites.get(&o)).into_iter().flatten() {
            places[g].push(Occurrence {
                path: site.path.clone(),
                commit: history.commits[site.commit].id.clone(),
            });
        }
    }
    let position: HashMap<&str, usize> = history
        .commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    for (g, finding) in groups.iter_mut().enumerate() {
        let own = (
            finding.path.clone(),
            finding
                .commit
                .as_ref()
                .map(|c| c.id.clone())
                .unwrap_or_default(),
        );
        let mut seen = HashSet::new();
        seen.insert(own);
        let mut list: Vec<Occurrence> = places[g]
            .drain(..)
            .filter(|o| seen.insert((o.path.clone(), o.commit.clone())))
            .collect();
        list.sort_by_key(|o| (position.get(o.commit.as_str()).copied(), o.path.clone()));
        let more = list.len().saturating_sub(OCCURRENCE_CAP);
        list.truncate(OCCURRENCE_CAP);
        let (still_in_head, removed_in) = presence
            .as_ref()
            .and_then(|p| p.get(finding.fingerprint.as_str()).cloned())
            .unwrap_or((false, None));
        finding.lifecycle = Some(Lifecycle {
            occurrences: list,
            more_occurrences: more,
            still_in_head: still_in_head && finding.path != COMMIT_MESSAGE_PATH,
            removed_in,
        });
    }
    groups
}

/// The (path, blob) pairs that hold each fingerprint, for the walk of the
/// default branch.
fn fingerprint_held(
    history: &History,
    located: &[(usize, Finding)],
    blob_of: &HashMap<usize, Oid>,
) -> Held {
    let mut other_sites: HashMap<Oid, Vec<&BlobSite>> = HashMap::new();
    for site in &history.other_sites {
        other_sites.entry(site.oid).or_default().push(site);
    }
    let mut held: Held = HashMap::new();
    for (i, (_, f)) in located.iter().enumerate() {
        let Some(oid) = blob_of.get(&i) else { continue };
        let pairs = held.entry(f.fingerprint.to_string()).or_default();
        pairs.push((f.path.clone(), Some(*oid)));
        for site in other_sites.get(oid).into_iter().flatten() {
            pairs.push((site.path.clone(), Some(*oid)));
        }
    }
    held
}

/// Keys of env files in a [`Held`] map, kept apart from fingerprints.
fn env_key(path: &str) -> String {
    format!("env:{path}")
}

/// Whether a path names a real env file (`.env`, `.env.local`, not a template).
fn is_real_env_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    envcheck::classify(name) == Some(envcheck::EnvFileKind::Real)
}

/// `keyward env --history`: real env files ever committed, from a walk of
/// every ref that reads no blob. Returns the findings and the commits walked.
pub fn env_in_history(repo: &Repository, min: Confidence) -> Result<(Vec<Finding>, u64)> {
    let history = git::enumerate(
        repo,
        &RefSelection::All,
        &|| {},
        &|_, _, _| {},
        &|_, _, _| {},
        &is_real_env_path,
    )?;
    Ok((
        env_findings(repo, &history, min, None),
        history.commits.len() as u64,
    ))
}

/// One `env-in-history` finding per real env file path ever committed: the
/// commit that added it, the commit that took it off the default branch
/// (if one did), and the refs it is still reachable from.
/// An env file is present while any blob sits at its path.
fn env_held(history: &History) -> Held {
    history
        .blobs
        .iter()
        .chain(&history.other_sites)
        .filter(|s| is_real_env_path(&s.path))
        .map(|s| (env_key(&s.path), vec![(s.path.clone(), None)]))
        .collect()
}

fn env_findings(
    repo: &Repository,
    history: &History,
    min: Confidence,
    presence: Option<&Lifecycles>,
) -> Vec<Finding> {
    if Confidence::High < min {
        return Vec::new();
    }
    let mut by_path: std::collections::BTreeMap<&str, (usize, HashSet<Oid>)> =
        std::collections::BTreeMap::new();
    for site in history.blobs.iter().chain(&history.other_sites) {
        let name = site.path.rsplit('/').next().unwrap_or(&site.path);
        if envcheck::classify(name) != Some(envcheck::EnvFileKind::Real) {
            continue;
        }
        let entry = by_path
            .entry(&site.path)
            .or_insert((site.commit, HashSet::new()));
        entry.0 = entry.0.min(site.commit);
        entry.1.insert(site.oid);
    }
    if by_path.is_empty() {
        return Vec::new();
    }
    let own;
    let states = match presence {
        Some(p) => p,
        None => {
            own = lifecycles(repo, history, &env_held(history)).unwrap_or_default();
            &own
        }
    };
    let tips: Vec<(String, u64)> = repo
        .references()
        .map(|refs| {
            refs.flatten()
                .filter_map(|r| {
                    let tip = r.peel_to_commit().ok()?.id();
                    Some((
                        r.shorthand()?.to_string(),
                        history.ancestry.get(&tip).copied()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for (path, (first, _)) in by_path {
        let added = &history.commits[first];
        let bit = history.tracked.iter().position(|t| t == path);
        let reachable: Vec<&str> = tips
            .iter()
            .filter(|(_, mask)| bit.is_some_and(|b| mask & (1 << b) != 0))
            .map(|(name, _)| name.as_str())
            .take(10)
            .collect();
        let (still, removed) = states.get(&env_key(path)).cloned().unwrap_or((false, None));
        let state = match (&removed, still) {
            (_, true) => "still in HEAD".to_string(),
            (Some(c), false) => format!("removed in {}", &c.id[..c.id.len().min(12)]),
            (None, false) => "not on the default branch".to_string(),
        };
        out.push(Finding {
            rule_id: "env-in-history".into(),
            rule_name: "Env file committed to history".into(),
            category: Category::EnvHygiene,
            confidence: Confidence::High,
            path: path.to_string(),
            line: 0,
            column: 0,
            secret: None,
            fingerprint: crate::finding::Fingerprint::of("env-in-history", path.as_bytes()),
            source: Source::History,
            commit: Some(added.clone()),
            lifecycle: Some(Lifecycle {
                occurrences: Vec::new(),
                more_occurrences: 0,
                still_in_head: still,
                removed_in: removed,
            }),
            remedy: Some(format!(
                "added in {}, {state}, reachable from {}: rotate every secret in it, then rewrite history \
                 (git filter-repo --invert-paths --path {path}) and force-push",
                &added.id[..added.id.len().min(12)],
                if reachable.is_empty() { "no ref".to_string() } else { reachable.join(", ") },
            )),
        });
    }
    out
}

/// Per key: still on the default branch at HEAD, and the commit that last
/// took it off.
type Lifecycles = HashMap<String, (bool, Option<Arc<CommitInfo>>)>;

/// For each key, the `(path, blob)` pairs that hold it (`None`: any blob).
type Held = HashMap<String, Vec<(String, Option<Oid>)>>;

/// For each key (a fingerprint, or an env file's path), whether it is still
/// on the default branch at HEAD and the commit that last took it off. A
/// key is present while one of its `(path, blob)` pairs holds: that blob
/// at that path, or with `None` any blob at that path.
fn lifecycles(repo: &Repository, history: &History, held: &Held) -> Result<Lifecycles> {
    let mut paths: Vec<String> = held.values().flatten().map(|(p, _)| p.clone()).collect();
    paths.sort();
    paths.dedup();
    let index = |p: &str| {
        paths
            .binary_search_by(|x| x.as_str().cmp(p))
            .expect("every held path is listed")
    };
    // The history walk logged HEAD's line when it walked all of it.
    let changes = match &history.chain {
        Some(log) => log.changes(&paths, &history.commits),
        None => git::first_parent_path_changes(repo, &paths)?,
    };
    let mut current: Vec<Option<Oid>> = vec![None; paths.len()];
    let mut state: Lifecycles = held.keys().map(|k| (k.clone(), (false, None))).collect();
    let is_present = |current: &[Option<Oid>], pairs: &[(String, Option<Oid>)]| {
        pairs
            .iter()
            .any(|(p, want)| match (current[index(p)], want) {
                (Some(_), None) => true,
                (Some(have), Some(w)) => have == *w,
                (None, _) => false,
            })
    };
    // The keys each watched path bears on, so a commit re-evaluates only
    // the keys whose paths it changed.
    let mut keys_of: Vec<Vec<&String>> = vec![Vec::new(); paths.len()];
    for (key, pairs) in held {
        for (p, _) in pairs {
            keys_of[index(p)].push(key);
        }
    }
    for batch in changes.chunk_by(|a, b| Arc::ptr_eq(&a.0, &b.0)) {
        for (_, i, id) in batch {
            current[*i] = *id;
        }
        let commit = &batch[0].0;
        let mut touched: Vec<&String> = batch
            .iter()
            .flat_map(|(_, i, _)| keys_of[*i].iter().copied())
            .collect();
        touched.sort();
        touched.dedup();
        for key in touched {
            let present = is_present(&current, &held[key]);
            let entry = state.get_mut(key).expect("every key has a state");
            match (entry.0, present) {
                (true, false) => *entry = (false, Some(commit.clone())),
                (false, true) => *entry = (true, None),
                _ => {}
            }
        }
    }
    Ok(state)
}

/// What scanning one changed file produced.
struct ChangeResult {
    bytes: u64,
    findings: Vec<Finding>,
    allowed: u64,
}

/// Scans the added lines of each change (a range's commits, or the index)
/// that `list` finds. A detector for small input is built on another
/// thread meanwhile (in a hook, every millisecond is the user's); a long
/// range gets the faster-searching one.
fn scan_changes(
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
        bail!(
            "could not read {} changed file(s), so the scan would be incomplete: {}",
            unreadable.len(),
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
    let (in_messages, allowed) = message_findings(&detector, &messages, &commits);
    stats.suppressed_inline += allowed;
    findings.extend(in_messages.into_iter().map(|(_, f)| f));
    stats.skips.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(setup.finish(findings, stats, started))
}

fn scan_change(
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
    let (findings, allowed) = findings_in(detector, &content);
    Ok(ChangeResult {
        bytes: data.len() as u64,
        findings,
        allowed,
    })
}
