//! Orchestration of git scans: the full-history audit and the added-lines
//! scans of ranges and of the index.
//!
//! The audit runs two passes at once: the history walk (libgit2) lists each
//! unique blob with the first commit and path that brought it, and the pack
//! pass (gitoxide) decodes every blob of the packs once, in pack order, and
//! scans it, a delta only where it changed its base. Then each blob the
//! walk found takes its findings from the pack pass (or, loose or in a pack
//! that could not be read, is read and scanned on its own), and the
//! findings are grouped by fingerprint with their lifecycle.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use git2::{Oid, Repository};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{findings_from, findings_in, thread_count, Outcome, ScanOptions, Setup, Stats};
use crate::cache::{BlobCache, CachedBlob, CachedMatch};
use crate::content::{is_binary, Content, Skip, SkipReason};
use crate::detect::spans::touches;
use crate::detect::{Detector, Match, Volume};
use crate::envcheck;
use crate::finding::{CommitInfo, Finding, Lifecycle, Occurrence, Source, COMMIT_MESSAGE_PATH};
use crate::rules::{Check, Rule, RuleSet};
use keyward_git::{self as git, Added, BlobSite, Change, Changes, History, RefSelection};
use keyward_git::pack::{self, Pack, PackedBlob, Packs};

/// How many other places a history finding lists before it only counts.
const OCCURRENCE_CAP: usize = 20;

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
/// scanned of those in the packs (and of the loose ones the walk found),
/// the bytes scanned per second since the start (`scanned` counts them)
/// and the commits walked (`commits`), read as it is drawn.
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

/// What scanning one blob produced.
enum BlobResult {
    Scanned {
        site: usize,
        bytes: u64,
        matches: Vec<Match>,
        findings: Vec<Finding>,
        allowed: u64,
        cached: bool,
    },
    Skipped {
        site: usize,
        skip: Skip,
    },
    Excluded,
}

/// What the workers counted.
#[derive(Default)]
struct Tally {
    files: AtomicU64,
    bytes: AtomicU64,
    allowed: AtomicU64,
    cached: AtomicU64,
    excluded: AtomicU64,
}

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
            } => {
                self.files.fetch_add(1, Ordering::Relaxed);
                self.bytes.fetch_add(bytes, Ordering::Relaxed);
                self.allowed.fetch_add(allowed, Ordering::Relaxed);
                if cached {
                    self.cached.fetch_add(1, Ordering::Relaxed);
                }
                let entry = caching && !cached;
                (entry || !findings.is_empty()).then(|| BlobResult::Scanned {
                    site,
                    bytes,
                    matches: if entry { matches } else { Vec::new() },
                    findings,
                    allowed,
                    cached,
                })
            }
            BlobResult::Excluded => {
                self.excluded.fetch_add(1, Ordering::Relaxed);
                None
            }
            BlobResult::Skipped { site, skip } => Some(BlobResult::Skipped { site, skip }),
        }
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
    let scanned_bytes = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(opts.progress, scanned_bytes.clone(), commits_seen.clone());
    let git_dir = repo.path().to_path_buf();
    let threads = thread_count(opts.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    // The history walk (which also scans each commit message as it goes)
    // runs on its own thread, beside the pack pass: every blob of the packs
    // decoded once, in pack order, and scanned, on its threads. The rayon
    // workers wait meanwhile, so the rule regexes build their search caches
    // for the walk and the pass alone.
    let pass = PackPass {
        detector: &detector,
        setup: &setup,
        cache: cache.as_ref(),
        bar: &bar,
        bytes: &scanned_bytes,
        deltas: AtomicU64::new(0),
    };
    let in_messages: Mutex<Vec<(usize, Vec<Finding>)>> = Mutex::default();
    let (packs, unopened) = Packs::open(&repo.commondir().join("objects"));
    stats.warnings.extend(unopened);
    let gate = ScanGate::new(threads.saturating_sub(1).max(1));
    let (walked, packed) = std::thread::scope(|scope| {
        let walker = scope.spawn(|| {
            // However the walk ends, the pass may then scan on every core.
            let _open = gate.opens_when_dropped();
            let own = Repository::open(&git_dir).context("opening the repository")?;
            let tick = || {
                commits_seen.fetch_add(1, Ordering::Relaxed);
            };
            // The commit is named once the findings are known (see
            // `CommitBook`).
            let on_message = |i: usize, message: String| {
                let content = message_content(None, &message);
                let (findings, allowed) = findings_in(&detector, &content);
                tally.allowed.fetch_add(allowed, Ordering::Relaxed);
                if !findings.is_empty() {
                    lock(&in_messages).push((i, findings));
                }
            };
            let walked = git::enumerate(
                &own,
                &packs,
                selection,
                &tick,
                &on_message,
                &is_real_env_path,
            );
            if timings {
                eprintln!("timing: walk done {:.2} s", started.elapsed().as_secs_f64());
            }
            walked
        });
        let (pass, packs, gate) = (&pass, &packs, &gate);
        let packed = scope.spawn(move || {
            // The pass decodes on every core, but one core is the walk's
            // until it is done: only the others' threads scan meanwhile.
            let packed = pass.run(packs, threads, gate);
            if timings {
                eprintln!(
                    "timing: pack pass done {:.2} s",
                    started.elapsed().as_secs_f64()
                );
                eprintln!(
                    "timing: pack pass searched {} blobs where their delta changed them",
                    pass.deltas.load(Ordering::Relaxed)
                );
            }
            packed
        });
        (walker.join(), packed.join())
    });
    let history = walked.map_err(|_| anyhow::anyhow!("the history walk panicked"))??;
    let (learned, unread) = packed.map_err(|_| anyhow::anyhow!("the pack pass panicked"))?;
    stats.warnings.extend(unread);
    let packed = pool.install(|| learned.of(&packs, &history.blobs));
    // The pack mappings go before the blobs settle and the report is built:
    // their pages counted in the audit's peak as it ended (trufflehog's
    // peak came there: the report, and libgit2 reading the commits the
    // findings name).
    drop(packs);
    if timings {
        eprintln!(
            "timing: walk and pack pass done {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    // Each blob the walk found settles on a worker: the findings the pack
    // pass placed in it, given the walk's path and commit, or a scan of its
    // own where the pass did not see it (a loose object, or one in a pack
    // that could not be read).
    let results: Vec<BlobResult> = pool.install(|| {
        history
            .blobs
            .par_iter()
            .enumerate()
            .map_init(
                || Repository::open(&git_dir).ok(),
                |worker, (i, site)| {
                    let result = settle(worker.as_ref(), &pass, &history, i, site, packed.get(i));
                    tally.count(result, cache.is_some())
                },
            )
            .flatten()
            .collect()
    });
    drop(packed);
    bar.finish_and_clear();
    if timings {
        eprintln!(
            "timing: blobs settled {:.2} s",
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
    let mut in_messages = in_messages
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    stats.files += tally.files.into_inner();
    stats.bytes += tally.bytes.into_inner();
    stats.suppressed_inline += tally.allowed.into_inner();
    stats.cached += tally.cached.into_inner();
    stats.excluded += tally.excluded.into_inner();
    for result in results {
        match result {
            BlobResult::Scanned {
                site,
                matches,
                findings,
                cached,
                ..
            } => {
                let s = &history.blobs[site];
                if !cached && cache.is_some() {
                    new_cache.push((s.oid, cache_entry(detector.rules(), &matches)));
                }
                for f in findings {
                    seen.add(s, f);
                }
            }
            BlobResult::Skipped { skip, .. } => stats.skips.push(skip),
            BlobResult::Excluded => {}
        }
    }
    // In history order (the walk scans messages in that order; the sort
    // keeps it so should that change).
    in_messages.sort_by_key(|(commit, _)| *commit);
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
    let mut book = git::CommitBook::new(repo);
    for (commit, f) in &mut located {
        f.commit = Some(book.get(history.commits[*commit]));
    }
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
        match lifecycles(repo, &mut book, &history, &held) {
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
        &mut book,
        &history,
        &setup.rules,
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

/// Where each finding was seen: the findings of every blob (with the
/// commit that introduced the blob), and each one's blob.
#[derive(Default)]
struct Sightings {
    located: Vec<(usize, Finding)>,
    blob_of: HashMap<usize, Oid>,
}

impl Sightings {
    fn add(&mut self, site: &BlobSite, finding: Finding) {
        self.blob_of.insert(self.located.len(), site.oid);
        self.located.push((site.commit, finding));
    }
}

/// The content of a blob at its first sighting (its findings are given
/// their commit once they are all known).
fn blob_content<'a>(history: &History, site: &BlobSite, data: &'a [u8]) -> Content<'a> {
    Content {
        bytes: data,
        path: history.path(site).to_string(),
        source: Source::History,
        commit: None,
        added_lines: None,
    }
}

/// A cache entry for a blob's matches.
fn cache_entry(rules: &[Rule], matches: &[Match]) -> CachedBlob {
    CachedBlob {
        matches: matches
            .iter()
            .map(|m| CachedMatch {
                rule: rules[m.rule].id.clone(),
                start: m.start,
                end: m.end,
                context: m.context,
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
        let content = message_content(Some(commits[*commit].clone()), message);
        let (f, a) = findings_in(detector, &content);
        allowed += a;
        found.extend(f.into_iter().map(|f| (*commit, f)));
    }
    (found, allowed)
}

/// A commit message as content to scan, at path `@commit-message`.
fn message_content(commit: Option<Arc<CommitInfo>>, message: &str) -> Content<'_> {
    Content {
        bytes: message.as_bytes(),
        path: COMMIT_MESSAGE_PATH.into(),
        source: Source::History,
        commit,
        added_lines: None,
    }
}

/// Scans one blob the pack pass did not see, whole.
fn scan_blob(
    repo: Option<&Repository>,
    pass: &PackPass<'_, '_>,
    history: &History,
    index: usize,
    site: &BlobSite,
) -> BlobResult {
    let skip = |reason| skipped(history, index, site, reason);
    let Some(repo) = repo else {
        return skip(SkipReason::Unreadable(
            "cannot open the repository in a worker".into(),
        ));
    };
    let cached = pass.cache.and_then(|c| c.get(&site.oid));
    if cached.is_some_and(|c| c.matches.is_empty()) {
        // Not read, but the size limit holds as it does for a blob read (a
        // loose object's header is cheap to read).
        let limit = pass.setup.max_file_size;
        if let Ok((size, _)) = repo.odb().and_then(|odb| odb.read_header(site.oid)) {
            if size as u64 > limit {
                return skip(SkipReason::TooLarge {
                    size: size as u64,
                    limit,
                });
            }
        }
        return BlobResult::Scanned {
            site: index,
            bytes: 0,
            matches: Vec::new(),
            findings: Vec::new(),
            allowed: 0,
            cached: true,
        };
    }
    let blob = match git::read_blob(repo, site.oid, pass.setup.max_file_size) {
        Ok(b) => b,
        Err(reason) => return skip(reason),
    };
    let data = blob.content();
    if is_binary(data) {
        return skip(SkipReason::Binary);
    }
    if cached.is_none() {
        pass.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
    }
    let rules = pass.detector.rules();
    let matches = match cached {
        Some(entry) => cached_matches(rules, entry, data.len()),
        None => pass.detector.detect(data),
    };
    let (findings, allowed) = findings_from(rules, &blob_content(history, site, data), &matches);
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
    }
}

/// A blob not scanned, listed with its path and id.
fn skipped(history: &History, index: usize, site: &BlobSite, reason: SkipReason) -> BlobResult {
    BlobResult::Skipped {
        site: index,
        skip: Skip {
            path: format!(
                "{} (blob {})",
                history.path(site),
                &site.oid.to_string()[..12]
            ),
            reason,
        },
    }
}

/// The findings of blob `site` (index `index`), from what the pack pass
/// learned of it (`packed`), or from a scan of its own.
fn settle(
    repo: Option<&Repository>,
    pass: &PackPass<'_, '_>,
    history: &History,
    index: usize,
    site: &BlobSite,
    packed: Option<Found<'_>>,
) -> BlobResult {
    let path = history.path(site);
    if pass.setup.exclusions.is_excluded(path) {
        return BlobResult::Excluded;
    }
    let (bytes, cached, holding) = match packed {
        None => {
            pass.bar.inc_length(1);
            let result = scan_blob(repo, pass, history, index, site);
            pass.bar.inc(1);
            return result;
        }
        Some(Found::Aside(Packed::Skipped(reason))) => {
            return skipped(history, index, site, (**reason).clone())
        }
        Some(Found::Clean { bytes, cached }) => (bytes, cached, None),
        Some(Found::Aside(Packed::Clean { bytes, cached })) => (*bytes, *cached, None),
        Some(Found::Aside(Packed::Holds(h))) => (h.bytes, h.cached, Some(h)),
    };
    let findings = holding
        .iter()
        .flat_map(|h| &h.findings)
        .map(|f| {
            let mut f = f.clone();
            path.clone_into(&mut f.path);
            f
        })
        .collect();
    BlobResult::Scanned {
        site: index,
        bytes: if cached { 0 } else { bytes },
        matches: holding.map(|h| h.matches.to_vec()).unwrap_or_default(),
        findings,
        allowed: holding.map_or(0, |h| h.allowed),
        cached,
    }
}

/// What the pack pass learned of one blob (kept small: most are clean).
enum Packed {
    /// Scanned, or read back from the cache (`cached`), and clean.
    Clean {
        bytes: u64,
        cached: bool,
    },
    Holds(Box<Holding>),
    Skipped(Box<SkipReason>),
}

/// A blob with matches: its size, where it was read from, every match a
/// whole scan finds in it, and their findings (with no path or commit yet:
/// the walk says where the blob was first seen) and inline allows.
struct Holding {
    bytes: u64,
    cached: bool,
    matches: Arc<Vec<Match>>,
    findings: Vec<Finding>,
    allowed: u64,
}

impl Packed {
    /// What the blob lends the deltas made from it (see [`Lent`]); `None`
    /// when it is clean.
    fn lends(&self) -> Option<Option<Arc<Vec<Match>>>> {
        match self {
            Packed::Clean { .. } => None,
            Packed::Holds(h) => Some(Some(h.matches.clone())),
            Packed::Skipped(_) => Some(None),
        }
    }
}

/// What the pack pass learned of each blob it scanned, by pack and by the
/// blob's position in that pack's index. Most blobs are clean: each takes
/// 4 bytes (a map by object id took 40, plus its slack: 10.7 MB on the
/// 100k-commit history, the pass's largest part), and only the few with
/// matches or not scanned are kept aside in full.
struct Learned {
    /// Per pack (in [`Packs`] order), per index position: a note (see
    /// [`Learned::note`]).
    notes: Vec<Vec<AtomicU32>>,
    /// The blobs noted [`ASIDE`], by pack and position.
    aside: Mutex<FxHashMap<(usize, u32), Packed>>,
}

/// Notes: the object was not reached as a blob (a tree, a commit, a blob
/// the traversal did not reach, or one scanned in another pack), ...
const UNSEEN: u32 = 0;
/// ... what was learned is kept aside, ...
const ASIDE: u32 = 1;
/// ... it was clean in the cache, ...
const CACHED_CLEAN: u32 = 2;
/// ... or it was scanned and clean, and its size is the note less this.
const CLEAN: u32 = 3;

impl Learned {
    fn new(packs: &Packs) -> Self {
        Learned {
            notes: packs
                .iter()
                .map(|p| (0..p.objects()).map(|_| AtomicU32::new(UNSEEN)).collect())
                .collect(),
            aside: Mutex::default(),
        }
    }

    /// Notes what was learned of the blob at position `at` of pack `pack`.
    fn note(&self, pack: usize, at: u32, packed: Packed) {
        let note = match packed {
            Packed::Clean { cached: true, .. } => Some(CACHED_CLEAN),
            Packed::Clean { bytes, .. } => {
                u32::try_from(bytes).ok().and_then(|b| b.checked_add(CLEAN))
            }
            _ => None,
        };
        let note = note.unwrap_or_else(|| {
            lock(&self.aside).insert((pack, at), packed);
            ASIDE
        });
        self.notes[pack][at as usize].store(note, Ordering::Relaxed);
    }

    /// Where blob `oid` was noted: its pack and position, and the note.
    fn find(&self, packs: &[(usize, &Pack)], oid: Oid) -> Option<(usize, u32, u32)> {
        packs.iter().find_map(|&(which, pack)| {
            let at = pack.position(oid)?;
            let note = self.notes[which][at as usize].load(Ordering::Relaxed);
            (note != UNSEEN).then_some((which, at, note))
        })
    }

    /// What blob `oid` lends its deltas (see [`Packed::lends`]), if it was
    /// scanned in one of `packs` (traversed before).
    fn lends(&self, packs: &[(usize, &Pack)], oid: Oid) -> Option<Option<Option<Arc<Vec<Match>>>>> {
        let (which, at, note) = self.find(packs, oid)?;
        Some(match note {
            ASIDE => lock(&self.aside).get(&(which, at)).and_then(Packed::lends),
            _ => None,
        })
    }

    /// What was learned of each of `blobs` (the walk's), by its index: a
    /// note, and what was kept aside. The packs can be closed then.
    fn of(self, packs: &Packs, blobs: &[BlobSite]) -> Seen {
        let all: Vec<(usize, &Pack)> = packs.iter().enumerate().collect();
        let found: Vec<Option<(usize, u32, u32)>> = blobs
            .par_iter()
            .map(|site| self.find(&all, site.oid))
            .collect();
        drop(self.notes);
        let mut aside = self
            .aside
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut kept = FxHashMap::default();
        let notes = found
            .into_iter()
            .enumerate()
            .map(|(i, found)| match found {
                None => UNSEEN,
                Some((which, at, ASIDE)) => {
                    if let Some(packed) = aside.remove(&(which, at)) {
                        kept.insert(i, packed);
                    }
                    ASIDE
                }
                Some((_, _, note)) => note,
            })
            .collect();
        Seen { notes, aside: kept }
    }
}

/// What the pack pass learned of each of the walk's blobs, by its index in
/// [`History::blobs`].
struct Seen {
    notes: Vec<u32>,
    aside: FxHashMap<usize, Packed>,
}

impl Seen {
    /// What was learned of blob `index`: `None` when the pass did not scan it.
    fn get(&self, index: usize) -> Option<Found<'_>> {
        match self.notes[index] {
            UNSEEN => None,
            ASIDE => self.aside.get(&index).map(Found::Aside),
            CACHED_CLEAN => Some(Found::Clean {
                bytes: 0,
                cached: true,
            }),
            note => Some(Found::Clean {
                bytes: u64::from(note - CLEAN),
                cached: false,
            }),
        }
    }
}

/// What the pack pass learned of one of the walk's blobs.
enum Found<'a> {
    Clean { bytes: u64, cached: bool },
    Aside(&'a Packed),
}

/// What a blob lends the deltas made from it, by its offset in its pack:
/// `None` when it was not scanned (binary, too large), else its matches.
/// A blob scanned and clean is not listed.
type Lent = Mutex<FxHashMap<u64, Option<Arc<Vec<Match>>>>>;

/// The pack pass: every blob in the repository's packs decoded once, in
/// pack order, and scanned. A blob stored as a delta is searched only
/// where the delta inserted bytes or joined two copies, and inherits the
/// matches of its base that it copied whole with all they depend on.
struct PackPass<'a, 'd> {
    detector: &'a Detector<'d>,
    setup: &'a Setup,
    cache: Option<&'a BlobCache>,
    bar: &'a ProgressBar,
    /// Bytes scanned, for the progress bar's rate.
    bytes: &'a AtomicU64,
    /// Blobs searched only where their delta changed them.
    deltas: AtomicU64,
}

impl PackPass<'_, '_> {
    /// Runs over `packs` on `threads` threads: what it
    /// learned per blob, and a warning per pack it could not read to the
    /// end (the blobs it did not reach are read one by one afterwards).
    fn run(&self, packs: &Packs, threads: usize, gate: &ScanGate) -> (Learned, Vec<String>) {
        let learned = Learned::new(packs);
        let mut warnings = Vec::new();
        // The largest pack last, and only it with the gate: a thread kept
        // waiting holds its traversal until the walk is done, which would
        // hold every pack after it too. The others are decoded on the
        // cores the walk leaves free.
        let mut order: Vec<(usize, &Pack)> = packs.iter().enumerate().collect();
        order.sort_by_key(|(_, p)| p.objects());
        let last = order.len().saturating_sub(1);
        for (i, &(which, pack)) in order.iter().enumerate() {
            let (threads, gate) = if i == last {
                gate.let_in_anew();
                (threads, Some(gate))
            } else {
                (threads.saturating_sub(1).max(1), None)
            };
            let lent = Lent::default();
            let reserve = |blobs: usize| self.bar.inc_length(blobs as u64);
            let before = &order[..i];
            let visit = |blob: PackedBlob<'_>| {
                if let Some(gate) = gate {
                    gate.enter();
                }
                // A blob in two packs is scanned once.
                let known = learned.lends(before, blob.oid);
                let (packed, lends) = match known {
                    Some(lends) => (None, lends),
                    None => {
                        let packed = self.scan(&blob, &lent);
                        let lends = packed.lends();
                        (Some(packed), lends)
                    }
                };
                if let Some(lends) = lends {
                    lock(&lent).insert(blob.offset, lends);
                }
                self.bar.inc(1);
                if let Some(packed) = packed {
                    learned.note(which, blob.at, packed);
                }
            };
            if let Err(e) = pack::traverse(pack, threads, &reserve, &visit) {
                warnings.push(format!(
                    "{e:#}; the blobs in it not scanned yet were read one by one"
                ));
            }
        }
        (learned, warnings)
    }

    /// Scans one decoded blob; a delta's base was scanned before it.
    fn scan(&self, blob: &PackedBlob<'_>, lent: &Lent) -> Packed {
        let data = blob.data;
        let size = data.len() as u64;
        let limit = self.setup.max_file_size;
        if size > limit {
            return Packed::Skipped(Box::new(SkipReason::TooLarge { size, limit }));
        }
        if is_binary(data) {
            return Packed::Skipped(Box::new(SkipReason::Binary));
        }
        let rules = self.detector.rules();
        let cached = self.cache.and_then(|c| c.get(&blob.oid));
        let matches = match cached {
            Some(entry) => cached_matches(rules, entry, data.len()),
            None => {
                self.bytes.fetch_add(size, Ordering::Relaxed);
                self.matches(blob, lent)
            }
        };
        let cached = cached.is_some();
        if matches.is_empty() {
            return Packed::Clean {
                bytes: size,
                cached,
            };
        }
        // Placed now, while the bytes are at hand; the path comes later.
        let content = Content {
            bytes: data,
            path: String::new(),
            source: Source::History,
            commit: None,
            added_lines: None,
        };
        let (findings, allowed) = findings_from(rules, &content, &matches);
        Packed::Holds(Box::new(Holding {
            bytes: size,
            cached,
            matches: Arc::new(matches),
            findings,
            allowed,
        }))
    }

    /// The matches of a blob not in the cache.
    fn matches(&self, blob: &PackedBlob<'_>, lent: &Lent) -> Vec<Match> {
        let data = blob.data;
        // The base's matches: none listed means it was scanned and clean.
        let base = blob
            .delta
            .as_ref()
            .and_then(|d| match lock(lent).get(&d.base) {
                None => Some((d, None)),
                Some(Some(held)) => Some((d, Some(held.clone()))),
                Some(None) => None,
            });
        match base {
            Some((delta, held)) => {
                self.deltas.fetch_add(1, Ordering::Relaxed);
                delta_matches(
                    self.detector,
                    data,
                    &delta.copied,
                    held.as_deref().map_or(&[], Vec::as_slice),
                )
            }
            None => self.detector.detect(data),
        }
    }
}

/// Which threads of the pack pass may scan: while the history walk runs,
/// those of the cores it leaves free (the first threads to ask); once it is
/// done, all. A thread kept waiting holds its part of the delta tree until
/// then, and the others go on with theirs. When they have nothing left
/// (no thread let in has asked for [`GATE_IDLE`]), it is let in too:
/// gitoxide's threads with nothing left to do yield in a loop until the
/// others finish (on the 100k-commit synthetic history, whose walk is the
/// longer, 6.8 s of system time). A held thread also holds the packs after
/// its own, so only the largest pack is traversed with the gate.
///
/// On trufflehog and cargo the walk ends well before the pass, and the
/// pass ran on one thread beside it: the second core then idled. With
/// the gate trufflehog's audit took 1.32 s against 1.61 s, cargo's 1.97 s
/// against 2.64 s (three runs each). Its cost is the second thread's
/// memory (trufflehog's peak 139 against 130 MiB), which the walk's
/// tree cache now pays for (see `TREE_BASE_CACHE_MIN`).
struct ScanGate {
    /// Threads that may scan during the walk.
    free: usize,
    state: Mutex<GateState>,
    opened: std::sync::Condvar,
}

#[derive(Default)]
struct GateState {
    /// Whether the walk is done.
    open: bool,
    /// The threads let in.
    admitted: Vec<std::thread::ThreadId>,
    /// When a thread let in last asked.
    last: Option<std::time::Instant>,
}

/// How long the threads let in may go without asking before a held thread
/// is let in too: they have run out of work (one blob's scan takes far
/// less).
const GATE_IDLE: std::time::Duration = std::time::Duration::from_millis(250);

impl ScanGate {
    fn new(free: usize) -> Self {
        ScanGate {
            free,
            state: Mutex::default(),
            opened: std::sync::Condvar::new(),
        }
    }

    /// Returns when the calling thread may scan.
    fn enter(&self) {
        let me = std::thread::current().id();
        let mut state = lock(&self.state);
        loop {
            let now = std::time::Instant::now();
            if state.open {
                return;
            }
            if state.admitted.contains(&me) {
                state.last = Some(now);
                return;
            }
            let idle = state
                .last
                .is_some_and(|t| now.saturating_duration_since(t) >= GATE_IDLE);
            if state.admitted.len() < self.free || idle {
                state.admitted.push(me);
                state.last = Some(now);
                return;
            }
            state = self
                .opened
                .wait_timeout(state, GATE_IDLE)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Forgets the threads let in (those of a traversal that is over).
    fn let_in_anew(&self) {
        let mut state = lock(&self.state);
        state.admitted.clear();
        state.last = None;
    }

    /// Lets every thread scan once the returned guard is dropped.
    fn opens_when_dropped(&self) -> impl Drop + '_ {
        struct Opens<'g>(&'g ScanGate);
        impl Drop for Opens<'_> {
            fn drop(&mut self) {
                lock(&self.0.state).open = true;
                self.0.opened.notify_all();
            }
        }
        Opens(self)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Every match a whole scan of `data` finds, for a blob a delta made from
/// a base whose matches are `base`. What the delta copied holds what the
/// base held there: a base match is carried over where its context (all
/// it depends on) was copied in one piece, onto lines not searched. The
/// rest is searched: the lines the delta inserted bytes into, where one
/// copy meets the next (a match across them is new), where part of a base
/// match was copied without the rest of its context (a match it hid in the
/// base may show), and Kubernetes manifests whose kind may have changed.
fn delta_matches(
    detector: &Detector<'_>,
    data: &[u8],
    copied: &[pack::Copied],
    base: &[Match],
) -> Vec<Match> {
    let mut marks = Vec::with_capacity(copied.len() * 2 + 1);
    let mut at = 0;
    for c in copied {
        if c.to > at {
            marks.push((at, c.to));
        }
        marks.push((c.to, c.to + 1));
        at = c.to + c.len;
    }
    if at < data.len() {
        marks.push((at, data.len()));
    }
    let mut carried = Vec::new();
    for m in base {
        let end = m.end.max(m.start + 1);
        let (from, to) = (m.context.0.min(m.start), m.context.1.max(end));
        for c in copied {
            let (source, source_end) = (c.from, c.from + c.len);
            if source <= from && to <= source_end {
                let moved = |x: usize| x - source + c.to;
                carried.push(Match {
                    rule: m.rule,
                    start: moved(m.start),
                    end: moved(m.end),
                    context: (moved(m.context.0), moved(m.context.1)),
                });
            } else if source < end && m.start < source_end {
                let part = (m.start.max(source), end.min(source_end));
                marks.push((part.0 - source + c.to, part.1 - source + c.to));
            }
        }
    }
    let mut spans = whole_lines(data, marks);
    // A manifest whose kind changed is searched whole: whether its values
    // are Secret data (and generic matches on them noise) depends on it.
    let documents = crate::detect::decode::documents_whose_kind_changed(data, &spans);
    if !documents.is_empty() {
        spans.extend(documents);
        spans = whole_lines(data, spans);
    }
    let mut found = detector.detect_near(data, &spans);
    found.retain(|m| touches(&spans, m.context));
    // A carried match on a searched line is dropped: what decides it may
    // lie just outside its context (a word boundary, the end of its line),
    // and the search found it again if it still holds.
    carried.retain(|m| !touches(&spans, m.context));
    if carried.is_empty() {
        return found;
    }
    found.extend(carried);
    detector.resolve_overlaps(found)
}

/// The whole lines that `marks` (byte spans, not empty) touch, sorted and
/// merged.
fn whole_lines(data: &[u8], mut marks: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    marks.sort_unstable();
    let mut lines: Vec<(usize, usize)> = Vec::new();
    for (start, end) in marks {
        if lines.last().is_some_and(|&(_, e)| end <= e) {
            continue;
        }
        let start = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
        let last = end - 1;
        let end = memchr::memchr(b'\n', &data[last..]).map_or(data.len(), |i| last + i + 1);
        match lines.last_mut() {
            Some(l) if start <= l.1 => l.1 = l.1.max(end),
            _ => lines.push((start, end)),
        }
    }
    lines
}

/// A cache entry's matches, as matches of `rules` in a blob of `len` bytes
/// (one whose offsets do not fit, from a damaged cache, is dropped).
fn cached_matches(rules: &[Rule], entry: &CachedBlob, len: usize) -> Vec<Match> {
    entry
        .matches
        .iter()
        .filter_map(|e| {
            let rule = rules.iter().position(|r| r.id == e.rule)?;
            let fits = e.start <= e.end
                && e.context.0 <= e.start
                && e.end <= e.context.1
                && e.context.1 <= len;
            fits.then_some(Match {
                rule,
                start: e.start,
                end: e.end,
                context: e.context,
            })
        })
        .collect()
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
    // Each occurrence with its commit's index, the order they are listed in.
    let mut places: Vec<Vec<(usize, Occurrence)>> = Vec::new();
    for (commit, oid, f) in located {
        let key = f.fingerprint.to_string();
        let here = (
            commit,
            Occurrence {
                path: f.path.clone(),
                commit: f.commit.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
            },
        );
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
            places[g].push((
                site.commit,
                Occurrence {
                    path: history.path(site).to_string(),
                    commit: history.commits[site.commit].to_string(),
                },
            ));
        }
    }
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
        let mut list: Vec<(usize, Occurrence)> = places[g]
            .drain(..)
            .filter(|(_, o)| seen.insert((o.path.clone(), o.commit.clone())))
            .collect();
        list.sort_by(|(a, x), (b, y)| (a, &x.path).cmp(&(b, &y.path)));
        let mut list: Vec<Occurrence> = list.into_iter().map(|(_, o)| o).collect();
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
            pairs.push((history.path(site).to_string(), Some(*oid)));
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
pub fn env_in_history(repo: &Repository, rules: &RuleSet) -> Result<(Vec<Finding>, u64)> {
    let (packs, _) = Packs::open(&repo.commondir().join("objects"));
    let history = git::enumerate(
        repo,
        &packs,
        &RefSelection::All,
        &|| {},
        &|_, _| {},
        &is_real_env_path,
    )?;
    Ok((
        env_findings(repo, &mut git::CommitBook::new(repo), &history, rules, None),
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
        .map(|s| history.path(s))
        .filter(|path| is_real_env_path(path))
        .map(|path| (env_key(path), vec![(path.to_string(), None)]))
        .collect()
}

fn env_findings(
    repo: &Repository,
    book: &mut git::CommitBook<'_>,
    history: &History,
    rules: &RuleSet,
    presence: Option<&Lifecycles>,
) -> Vec<Finding> {
    // Off when its rule is disabled or below the minimum confidence.
    let Some(rule) = rules.check(Check::EnvInHistory) else {
        return Vec::new();
    };
    let mut by_path: std::collections::BTreeMap<&str, (usize, HashSet<Oid>)> =
        std::collections::BTreeMap::new();
    for site in history.blobs.iter().chain(&history.other_sites) {
        let path = history.path(site);
        if !is_real_env_path(path) {
            continue;
        }
        let entry = by_path.entry(path).or_insert((site.commit, HashSet::new()));
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
            own = lifecycles(repo, book, history, &env_held(history)).unwrap_or_default();
            &own
        }
    };
    let tips: Vec<(String, u64)> = repo
        .references()
        .map(|refs| {
            refs.flatten()
                .filter_map(|r| {
                    let tip = r.peel_to_commit().ok()?.id();
                    Some((r.shorthand()?.to_string(), history.ancestry_of(tip)?))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for (path, (first, _)) in by_path {
        let added = book.get(history.commits[first]);
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
        let added_id = &added.id[..added.id.len().min(12)];
        let refs = if reachable.is_empty() {
            "no ref".to_string()
        } else {
            reachable.join(", ")
        };
        out.push(Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            category: rule.category,
            confidence: rule.confidence,
            path: path.to_string(),
            line: 0,
            column: 0,
            secret: None,
            fingerprint: crate::finding::Fingerprint::of(&rule.id, path.as_bytes()),
            source: Source::History,
            commit: Some(added.clone()),
            lifecycle: Some(Lifecycle {
                occurrences: Vec::new(),
                more_occurrences: 0,
                still_in_head: still,
                removed_in: removed,
            }),
            remedy: rule.remedy_with(&[
                ("added", added_id),
                ("state", &state),
                ("refs", &refs),
                ("path", path),
            ]),
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
fn lifecycles(
    repo: &Repository,
    book: &mut git::CommitBook<'_>,
    history: &History,
    held: &Held,
) -> Result<Lifecycles> {
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
        Some(log) => log.changes(&paths, &history.paths, &history.commits),
        None => git::first_parent_path_changes(repo, &paths)?,
    };
    let mut current: Vec<Option<Oid>> = vec![None; paths.len()];
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
    let mut state: HashMap<&String, (bool, Option<Oid>)> =
        held.keys().map(|k| (k, (false, None))).collect();
    for batch in changes.chunk_by(|a, b| a.0 == b.0) {
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
                (true, false) => *entry = (false, Some(*commit)),
                (false, true) => *entry = (true, None),
                _ => {}
            }
        }
    }
    Ok(state
        .into_iter()
        .map(|(key, (present, removed))| (key.clone(), (present, removed.map(|c| book.get(c)))))
        .collect())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{parse_rule_file, RuleSet};

    const TOKEN_RULE: &str = "rules:\n  - id: demo-token\n    name: Demo\n    category: vcs\n    confidence: high\n    keywords: [dmo_]\n    pattern: '\\b(?P<secret>dmo_[A-Za-z0-9]{12})\\b'\n    min_entropy: 2.5\n";

    fn demo() -> RuleSet {
        RuleSet::from_rules(parse_rule_file("t.yaml", TOKEN_RULE).unwrap()).unwrap()
    }

    /// `n` characters from `alphabet`, the same for the same seed.
    fn random(alphabet: &[u8], n: usize, mut seed: u64) -> String {
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[(seed >> 33) as usize % alphabet.len()] as char
            })
            .collect()
    }

    fn copy(to: usize, from: usize, len: usize) -> pack::Copied {
        pack::Copied { to, from, len }
    }

    /// Each case's delta result against what a whole scan of it finds.
    fn same_as_whole(detector: &Detector<'_>, base: &str, copied: &[pack::Copied], data: &str) {
        let held = detector.detect(base.as_bytes());
        let by_delta = delta_matches(detector, data.as_bytes(), copied, &held);
        let whole = detector.detect(data.as_bytes());
        let span = |m: &Vec<Match>| -> Vec<(usize, usize, usize)> {
            m.iter().map(|m| (m.rule, m.start, m.end)).collect()
        };
        assert_eq!(span(&by_delta), span(&whole), "{data:?}");
    }

    /// A base's match whose context the delta copied whole is carried to
    /// its new place, though nothing near it was searched.
    #[test]
    fn copied_matches_are_carried() {
        let rules = demo();
        let detector = Detector::new(&rules);
        let token = format!("dmo_{}", random(b"abcdefghXYZ0123456789", 12, 1));
        let base = format!("x\n{token}\ny\n");
        let data = format!("new\n{base}");
        let copied = [copy(4, 0, base.len())];
        let held = detector.detect(base.as_bytes());
        assert_eq!(held.len(), 1);
        let found = delta_matches(&detector, data.as_bytes(), &copied, &held);
        assert_eq!(found.len(), 1);
        assert_eq!(&data[found[0].start..found[0].end], token);
        // Without the base's match it is not found: nothing near it was
        // searched.
        assert!(delta_matches(&detector, data.as_bytes(), &copied, &[]).is_empty());
        same_as_whole(&detector, &base, &copied, &data);
    }

    /// A token made by joining two copies from different places in the
    /// base, with nothing inserted, is found where the copies meet.
    #[test]
    fn a_match_across_two_copies_is_searched() {
        let rules = demo();
        let detector = Detector::new(&rules);
        let tail = random(b"abcdefghXYZ0123456789", 8, 2);
        let base = format!("A: dmo_Qw3r\nB: {tail}\n");
        assert!(detector.detect(base.as_bytes()).is_empty());
        let data = format!("dmo_Qw3r{tail}\n");
        let copied = [copy(0, 3, 8), copy(8, 15, tail.len() + 1)];
        let found = delta_matches(&detector, data.as_bytes(), &copied, &[]);
        assert_eq!(found.len(), 1, "{data:?}");
        same_as_whole(&detector, &base, &copied, &data);
    }

    /// A match its base's stronger match hid (a password under a `[pypi]`
    /// header is the pypirc rule's) shows once a delta replaced the header,
    /// though its own line was copied.
    #[test]
    fn a_hidden_match_shows_when_the_stronger_one_is_cut() {
        let rules = RuleSet::embedded().unwrap();
        let detector = Detector::new(&rules);
        let password = random(b"abcdefghijkLMNOPQRS0123456789#!", 20, 3);
        let body = format!("username = __token__\npassword = {password}\n");
        let base = format!("[pypi]\n{body}");
        let held = detector.detect(base.as_bytes());
        let id = |m: &Match| rules.rules()[m.rule].id.as_str();
        assert_eq!(held.iter().map(id).collect::<Vec<_>>(), ["pypirc-password"]);
        let data = format!("[other]\n{body}");
        let copied = [copy(8, 7, body.len())];
        let found = delta_matches(&detector, data.as_bytes(), &copied, &held);
        assert_eq!(
            found.iter().map(id).collect::<Vec<_>>(),
            ["generic-password"]
        );
        same_as_whole(&detector, &base, &copied, &data);
    }

    /// A carried match is checked again where its line changed: a token
    /// whose line gained a suffix is no longer the token (no word boundary
    /// after it), and what a whole scan finds there instead is found.
    #[test]
    fn a_carried_match_on_a_changed_line_is_checked_again() {
        let rules = RuleSet::embedded().unwrap();
        let detector = Detector::new(&rules);
        let random = random(b"abcdefghijkLMNOPQRS0123456789", 30, 4);
        let check = crate::rules::verify::base62_crc32(random.as_bytes());
        let token = format!("ghp_{random}{check}");
        let base = format!("x = 1\nTOKEN = \"{token}\"\ny = 2\n");
        let id = |m: &Match| rules.rules()[m.rule].id.as_str();
        let held = detector.detect(base.as_bytes());
        assert_eq!(
            held.iter().map(id).collect::<Vec<_>>(),
            ["github-pat-classic"]
        );
        // The delta copies up to the token's end and inserts the rest.
        let cut = base.find(&token).unwrap() + token.len();
        let data = format!("{}_REVOKED{}", &base[..cut], &base[cut..]);
        let copied = [copy(0, 0, cut), copy(cut + 8, cut, base.len() - cut)];
        let found = delta_matches(&detector, data.as_bytes(), &copied, &held);
        assert!(
            !found.iter().any(|m| id(m) == "github-pat-classic"),
            "{found:?}"
        );
        same_as_whole(&detector, &base, &copied, &data);
    }

    /// A manifest whose kind flips between ConfigMap and Secret is searched
    /// whole, either way the delta goes: generic matches on its values are
    /// noise in a Secret (its data is decoded instead) and findings in a
    /// ConfigMap.
    #[test]
    fn a_manifest_whose_kind_changed_is_searched_whole() {
        use base64::Engine;
        let rules = RuleSet::embedded().unwrap();
        let detector = Detector::new(&rules);
        // Plain words, encoded: a generic match on the encoded bytes in a
        // ConfigMap; in a Secret, decoded, nothing.
        let value = base64::engine::general_purpose::STANDARD
            .encode("just some plain words kept in this setting");
        let filler: String = (0..40).map(|n| format!("# note {n}\n")).collect();
        let manifest = |kind: &str| {
            format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: app\n{filler}data:\n  API_TOKEN: {value}\n")
        };
        let (config, secret) = (manifest("ConfigMap"), manifest("Secret"));
        assert!(!detector.detect(config.as_bytes()).is_empty());
        assert!(detector.detect(secret.as_bytes()).is_empty());
        // The kind line replaced, everything else copied.
        let at = config.find("kind: ").unwrap() + 6;
        let delta = |from: &str, to: &str| {
            let (old, new) = (from[at..].find('\n').unwrap(), to[at..].find('\n').unwrap());
            vec![
                copy(0, 0, at),
                copy(at + new, at + old, from.len() - at - old),
            ]
        };
        same_as_whole(&detector, &config, &delta(&config, &secret), &secret);
        same_as_whole(&detector, &secret, &delta(&secret, &config), &config);
    }

    /// Marks become the whole lines they touch, merged.
    #[test]
    fn marks_become_whole_lines() {
        let data = b"ab\ncd\nef\ngh";
        assert_eq!(whole_lines(data, vec![(4, 5), (0, 1)]), vec![(0, 6)]);
        assert_eq!(whole_lines(data, vec![(9, 11)]), vec![(9, 11)]);
        assert_eq!(
            whole_lines(data, vec![(2, 3), (6, 7)]),
            vec![(0, 3), (6, 9)]
        );
    }

    /// While the walk runs, only the first threads to ask may scan (as
    /// many as it leaves cores free); the others wait until it is done,
    /// however it ends, or until those let in stop asking.
    #[test]
    fn the_scan_gate_holds_threads_beyond_the_free_cores_until_the_walk_ends() {
        use std::sync::atomic::AtomicBool;
        use std::time::Duration;
        let gate = ScanGate::new(1);
        let open = gate.opens_when_dropped();
        let busy = AtomicBool::new(true);
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel();
            let (gate, busy) = (&gate, &busy);
            let (entered_tx, entered) = std::sync::mpsc::channel();
            // The thread let in keeps asking, as a thread with blobs to
            // scan does.
            s.spawn(move || {
                gate.enter();
                entered_tx.send(()).unwrap();
                while busy.load(Ordering::Relaxed) {
                    gate.enter();
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
            entered.recv().unwrap();
            s.spawn(move || {
                gate.enter();
                tx.send(()).unwrap();
            });
            // Held: the one free place is taken, and its thread is busy.
            assert!(rx.recv_timeout(GATE_IDLE * 3).is_err());
            drop(open);
            assert!(rx.recv_timeout(Duration::from_secs(30)).is_ok());
            busy.store(false, Ordering::Relaxed);
        });

        // A thread let in once is let in again; when it stops asking, a
        // held thread is let in too, the walk still running.
        // (`open` is dropped once the answer is in, so a thread still held
        // then is let go and the test fails rather than hangs.)
        fn lets_in<Open>(gate: &ScanGate, open: Open) -> bool {
            std::thread::scope(|s| {
                let (tx, rx) = std::sync::mpsc::channel();
                s.spawn(move || {
                    gate.enter();
                    let _ = tx.send(());
                });
                let let_in = rx.recv_timeout(Duration::from_secs(30)).is_ok();
                drop(open);
                let_in
            })
        }
        let gate = ScanGate::new(1);
        gate.enter();
        gate.enter();
        assert!(
            lets_in(&gate, gate.opens_when_dropped()),
            "held though the thread let in stopped asking"
        );
        // After `let_in_anew`, another takes the free place.
        let gate = ScanGate::new(1);
        gate.enter();
        gate.let_in_anew();
        assert!(lets_in(&gate, gate.opens_when_dropped()));
    }

    /// What the pack pass notes of a blob in 32 bits reads back as what it
    /// learned; what does not fit, or is not clean, is kept aside whole.
    #[test]
    fn the_pass_notes_read_back_per_blob() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let ids: Vec<Oid> = (0..6)
            .map(|i| repo.blob(format!("blob {i}\n").as_bytes()).unwrap())
            .collect();
        for (n, id) in ids.iter().enumerate() {
            repo.reference(&format!("refs/keep/{n}"), *id, true, "test")
                .unwrap();
        }
        crate::sources::testing::git(dir.path(), &["repack", "-a", "-d", "-q"]);
        let (packs, unopened) = Packs::open(&dir.path().join(".git/objects"));
        assert!(unopened.is_empty());
        let pack = packs.iter().next().unwrap();
        let learned = Learned::new(&packs);
        let clean = |bytes, cached| Packed::Clean { bytes, cached };
        let matches = Arc::new(vec![Match {
            rule: 0,
            start: 1,
            end: 4,
            context: (0, 5),
        }]);
        let holds = Packed::Holds(Box::new(Holding {
            bytes: 9,
            cached: false,
            matches: matches.clone(),
            findings: Vec::new(),
            allowed: 2,
        }));
        let learnt = [
            Some(clean(0, false)),
            Some(clean(12, false)),
            Some(clean(7, true)),
            Some(clean(5 << 30, false)),
            Some(holds),
            None,
        ];
        let all = [(0, pack)];
        for (id, packed) in ids.iter().zip(learnt) {
            if let Some(packed) = packed {
                learned.note(0, pack.position(*id).unwrap(), packed);
            }
        }
        assert_eq!(learned.lends(&all, ids[1]).map(|l| l.is_none()), Some(true));
        let lent = learned.lends(&all, ids[4]).flatten().flatten().unwrap();
        assert!(Arc::ptr_eq(&lent, &matches));
        assert!(learned.lends(&all, ids[5]).is_none());
        assert!(learned.lends(&[], ids[1]).is_none(), "no pack before");
        let mut paths = keyward_git::paths::Paths::default();
        let path = paths.intern("a");
        let sites: Vec<BlobSite> = ids
            .iter()
            .map(|&oid| BlobSite {
                oid,
                path,
                commit: 0,
            })
            .collect();
        let seen = learned.of(&packs, &sites);
        let clean_of = |i: usize| match seen.get(i) {
            Some(Found::Clean { bytes, cached }) => Some((bytes, cached)),
            Some(Found::Aside(Packed::Clean { bytes, cached })) => Some((*bytes, *cached)),
            _ => None,
        };
        assert_eq!(clean_of(0), Some((0, false)));
        assert_eq!(clean_of(1), Some((12, false)));
        assert_eq!(
            clean_of(2),
            Some((0, true)),
            "a cached blob counts no bytes"
        );
        assert_eq!(clean_of(3), Some((5 << 30, false)));
        assert!(matches!(seen.notes[3], ASIDE), "too large for a note");
        match seen.get(4) {
            Some(Found::Aside(Packed::Holds(h))) => assert_eq!((h.bytes, h.allowed), (9, 2)),
            _ => panic!("the blob with matches was kept aside"),
        }
        assert!(seen.get(5).is_none());
    }
}
