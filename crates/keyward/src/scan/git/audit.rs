//! The full-history audit: the history walk and the pack pass side by
//! side, then each unique blob the walk found settles (takes its findings
//! from the pass, or is read and scanned on its own), and the findings are
//! grouped by fingerprint with their lifecycle. Reads nothing it does not
//! scan, prints nothing: progress goes to the scan's [`Observer`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use git2::{Oid, Repository};
use rayon::prelude::*;

use super::super::{findings_from, findings_in, thread_count, Outcome, ScanOptions, Setup, Stats};
use super::env_history::{env_findings, env_held, is_real_env_path};
use super::group::{fingerprint_held, group_by_fingerprint, lifecycles};
use super::lock;
use super::pass::{cached_matches, Found, PackPass, Packed};
use crate::cache::{BlobCache, CachedBlob, CachedMatch};
use crate::content::{is_binary, Content, Skip, SkipReason};
use crate::detect::{Detector, Match};
use crate::finding::{CommitInfo, Finding, Source, COMMIT_MESSAGE_PATH};
use crate::progress::Stage;
use crate::rules::Rule;
use crate::suppress::gitleaksignore::GitleaksIgnore;
use keyward_git::pack::Packs;
use keyward_git::{self as git, BlobSite, History, RefSelection};

/// What scanning one blob produced.
pub(super) enum BlobResult {
    Scanned {
        site: usize,
        bytes: u64,
        matches: Vec<Match>,
        findings: Vec<Finding>,
        allowed: u64,
        cached: bool,
        /// Read by the pass, but not again for the file rules at its path.
        unread: Option<Skip>,
    },
    Skipped {
        site: usize,
        skip: Skip,
    },
    Excluded,
}

/// What the workers counted.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) files: AtomicU64,
    pub(super) bytes: AtomicU64,
    pub(super) allowed: AtomicU64,
    pub(super) cached: AtomicU64,
    pub(super) excluded: AtomicU64,
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
                unread,
            } => {
                self.files.fetch_add(1, Ordering::Relaxed);
                self.bytes.fetch_add(bytes, Ordering::Relaxed);
                self.allowed.fetch_add(allowed, Ordering::Relaxed);
                if cached {
                    self.cached.fetch_add(1, Ordering::Relaxed);
                }
                let entry = caching && !cached;
                (entry || !findings.is_empty() || unread.is_some()).then(|| BlobResult::Scanned {
                    site,
                    bytes,
                    matches: if entry { matches } else { Vec::new() },
                    findings,
                    allowed,
                    cached,
                    unread,
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

pub(super) fn audit(
    opts: &ScanOptions,
    repo: &Repository,
    mut setup: Setup,
    selection: &RefSelection,
    started: Instant,
) -> Result<Outcome> {
    setup.warn_unused_ignores = true;
    let mut stats = Stats::default();
    let boundary = git::shallow_boundary(repo);
    if !boundary.is_empty() {
        let shown: Vec<&str> = boundary
            .iter()
            .take(3)
            .map(|s| &s[..s.len().min(12)])
            .collect();
        // `report::count` is a layer above; one plural is spelt out here.
        let commits = match boundary.len() {
            1 => "1 boundary commit".to_string(),
            n => format!("{n} boundary commits"),
        };
        stats.warnings.push(format!(
            "shallow clone: the history behind {commits} ({}) is not in this repository and was not scanned",
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

    let detector = Detector::new(&setup.rules);
    let cache = (!opts.no_cache).then(|| BlobCache::load(repo.path(), &setup.rules.digest()));
    let tally = Tally::default();
    let progress = &opts.progress;
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
        progress,
        deltas: AtomicU64::new(0),
    };
    let in_messages: Mutex<Vec<(usize, Vec<Finding>)>> = Mutex::default();
    let (packs, unopened) = Packs::open(&repo.commondir().join("objects"));
    stats.warnings.extend(unopened);
    let (walked, packed) = std::thread::scope(|scope| {
        let walker = scope.spawn(|| {
            let own = Repository::open(&git_dir).context("opening the repository")?;
            let tick = || progress.commit_walked();
            // The commit is named once the findings are known (see
            // `CommitBook`).
            let on_message = |i: usize, message: String| {
                let content = message_content(None, &message);
                let (findings, allowed) = findings_in(&detector, &content, setup.allows);
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
            progress.stage_done(Stage::Walk, started.elapsed());
            walked
        });
        let (pass, packs) = (&pass, &packs);
        let packed = scope.spawn(move || {
            // The largest pack is decoded on every core, beside the walk:
            // the system shares the cores (see docs/decisions/010).
            let packed = pass.run(packs, threads);
            progress.stage_done(Stage::PackPass, started.elapsed());
            packed
        });
        (walker.join(), packed.join())
    });
    let history = walked.map_err(|_| anyhow::anyhow!("the history walk panicked"))??;
    let (learned, unread) = packed.map_err(|_| anyhow::anyhow!("the pack pass panicked"))?;
    stats.warnings.extend(unread);
    let packed = pool.install(|| learned.of(&packs, &history.blobs));
    // A packed blob the pass did not reach (its pack could not be read to
    // the end) is read with keyward's own reader, which bounds what a
    // damaged entry can make it do; libgit2 reads only loose objects.
    let unreached_packed = history
        .blobs
        .iter()
        .enumerate()
        .any(|(i, site)| packed.get(i).is_none() && packs.holds(site.oid));
    // Otherwise the pack mappings go before the blobs settle and the report
    // is built: their pages counted in the audit's peak as it ended
    // (trufflehog's peak came there: the report, and libgit2 reading the
    // commits the findings name).
    // File rules (`files:`) read the blobs at the paths they name again,
    // the pass having scanned them without a path.
    let file_rules_read = history
        .blobs
        .iter()
        .any(|site| detector.reads_file(history.path(site)));
    let packs = (unreached_packed || file_rules_read).then_some(packs);
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
                || {
                    (
                        Repository::open(&git_dir).ok(),
                        git::pack::Reading::default(),
                    )
                },
                |(worker, reading), (i, site)| {
                    let reader = BlobReader {
                        repo: worker.as_ref(),
                        packs: packs.as_ref(),
                        reading,
                    };
                    let result = settle(reader, &pass, &history, i, site, packed.get(i));
                    tally.count(result, cache.is_some())
                },
            )
            .flatten()
            .collect()
    });
    drop(packed);
    progress.stage_done(Stage::Settle, started.elapsed());
    progress.finished();
    stats.searched_as_deltas = Some(pass.deltas.load(Ordering::Relaxed));
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
                unread,
                ..
            } => {
                stats.skips.extend(unread);
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
        mut blob_of,
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
    if let Some(ignore) = &setup.gitleaks_ignore {
        stats.suppressed_baseline += drop_ignored(ignore, &mut located, &mut blob_of);
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
    progress.stage_done(Stage::Lifecycles, started.elapsed());
    findings.extend(env_findings(
        repo,
        &mut book,
        &history,
        &setup.rules,
        presence.as_ref(),
    ));
    progress.stage_done(Stage::EnvHistory, started.elapsed());
    stats.skips.sort_by(|a, b| a.path.cmp(&b.path));
    let unreadable = stats.unreadable();
    if unreadable > 0 {
        let advice = git::partial_clone_advice(&git::promisor_remotes(repo), unreadable);
        stats.warnings.extend(advice);
    }
    Ok(setup.finish(findings, stats, started))
}

/// Where each finding was seen: the findings of every blob (with the
/// commit that introduced the blob), and each one's blob.
#[derive(Default)]
pub(super) struct Sightings {
    located: Vec<(usize, Finding)>,
    blob_of: HashMap<usize, Oid>,
}

impl Sightings {
    fn add(&mut self, site: &BlobSite, finding: Finding) {
        self.blob_of.insert(self.located.len(), site.oid);
        self.located.push((site.commit, finding));
    }
}

/// Drops the sightings `.gitleaksignore` names before they are grouped: an
/// entry names one commit's finding, and the same secret in another commit
/// stays reported. `blob_of` is re-keyed to the sightings kept.
fn drop_ignored(
    ignore: &GitleaksIgnore,
    located: &mut Vec<(usize, Finding)>,
    blob_of: &mut HashMap<usize, Oid>,
) -> u64 {
    let before = located.len();
    let mut kept = Vec::with_capacity(before);
    let mut kept_blobs = HashMap::with_capacity(blob_of.len());
    for (i, (commit, f)) in located.drain(..).enumerate() {
        if ignore.is_ignored(&f) {
            continue;
        }
        if let Some(oid) = blob_of.get(&i) {
            kept_blobs.insert(kept.len(), *oid);
        }
        kept.push((commit, f));
    }
    *located = kept;
    *blob_of = kept_blobs;
    (before - located.len()) as u64
}

/// The content of a blob at its first sighting (its findings are given
/// their commit once they are all known).
pub(super) fn blob_content<'a>(history: &History, site: &BlobSite, data: &'a [u8]) -> Content<'a> {
    Content {
        bytes: data,
        path: history.path(site).to_string(),
        source: Source::History,
        commit: None,
        added_lines: None,
    }
}

/// A cache entry for a blob's matches.
pub(super) fn cache_entry(rules: &[Rule], matches: &[Match]) -> CachedBlob {
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

/// A commit message as content to scan, at path `@commit-message`.
pub(super) fn message_content(commit: Option<Arc<CommitInfo>>, message: &str) -> Content<'_> {
    Content {
        bytes: message.as_bytes(),
        path: COMMIT_MESSAGE_PATH.into(),
        source: Source::History,
        commit,
        added_lines: None,
    }
}

/// Where a worker reads a blob the pack pass did not see: the packs (when
/// one the pass could not read to its end is still mapped), else libgit2.
pub(super) struct BlobReader<'w> {
    pub(super) repo: Option<&'w Repository>,
    pub(super) packs: Option<&'w Packs>,
    pub(super) reading: &'w mut git::pack::Reading,
}

/// Reads one blob whole: from the packs when they are mapped and hold it,
/// else through libgit2 (a loose object, or a pack the pass read to its
/// end).
fn read_data(
    reader: BlobReader<'_>,
    pass: &PackPass<'_, '_>,
    site: &BlobSite,
) -> Result<Vec<u8>, SkipReason> {
    let limit = pass.setup.max_file_size;
    if let Some(read) = reader
        .packs
        .and_then(|p| p.read_blob(site.oid, reader.reading, limit))
    {
        return read.map(|data| data.to_vec());
    }
    let repo = reader
        .repo
        .ok_or_else(|| SkipReason::Unreadable("cannot open the repository in a worker".into()))?;
    git::read_blob(repo, site.oid, limit).map(|blob| blob.content().to_vec())
}

/// Scans one blob the pack pass did not see, whole.
pub(super) fn scan_blob(
    reader: BlobReader<'_>,
    pass: &PackPass<'_, '_>,
    history: &History,
    index: usize,
    site: &BlobSite,
) -> BlobResult {
    let skip = |reason| skipped(history, index, site, reason);
    let packed = reader
        .packs
        .and_then(|p| p.read_blob(site.oid, reader.reading, pass.setup.max_file_size));
    if let Some(read) = packed {
        return match read {
            Ok(data) => scan_data(pass, history, index, site, &data),
            Err(reason) => skip(reason),
        };
    }
    let Some(repo) = reader.repo else {
        return skip(SkipReason::Unreadable(
            "cannot open the repository in a worker".into(),
        ));
    };
    let cached = pass.cache.and_then(|c| c.get(&site.oid));
    // (A file rule reads the blob at its path whatever the cache holds.)
    if cached.is_some_and(|c| c.matches.is_empty()) && !pass.detector.reads_file(history.path(site))
    {
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
            unread: None,
        };
    }
    let blob = match git::read_blob(repo, site.oid, pass.setup.max_file_size) {
        Ok(b) => b,
        Err(reason) => return skip(reason),
    };
    scan_data(pass, history, index, site, blob.content())
}

/// Scans the bytes of a blob the pack pass did not see (or the cache's
/// matches for them).
fn scan_data(
    pass: &PackPass<'_, '_>,
    history: &History,
    index: usize,
    site: &BlobSite,
    data: &[u8],
) -> BlobResult {
    let skip = |reason| skipped(history, index, site, reason);
    let cached = pass.cache.and_then(|c| c.get(&site.oid));
    if is_binary(data) {
        return skip(SkipReason::Binary);
    }
    if cached.is_none() {
        pass.progress.bytes_searched(data.len() as u64);
    }
    let rules = pass.detector.rules();
    let matches = match cached {
        Some(entry) => cached_matches(rules, entry, data.len()),
        None => pass.detector.detect(data),
    };
    let (mut findings, mut allowed) = findings_from(
        rules,
        &blob_content(history, site, data),
        &matches,
        pass.setup.allows,
    );
    if pass.detector.reads_file(history.path(site)) {
        let (more, more_allowed) = file_findings(pass, history, site, data, &matches);
        findings.extend(more);
        allowed += more_allowed;
    }
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
        unread: None,
    }
}

/// A blob not scanned, listed with its path and id.
pub(super) fn skipped(
    history: &History,
    index: usize,
    site: &BlobSite,
    reason: SkipReason,
) -> BlobResult {
    BlobResult::Skipped {
        site: index,
        skip: skip_at(history, site, reason),
    }
}

/// A skip naming blob `site` by its path and id.
fn skip_at(history: &History, site: &BlobSite, reason: SkipReason) -> Skip {
    Skip {
        path: format!(
            "{} (blob {})",
            history.path(site),
            &site.oid.to_string()[..12]
        ),
        reason,
    }
}

/// The findings of blob `site` (index `index`), from what the pack pass
/// learned of it (`packed`), or from a scan of its own.
pub(super) fn settle(
    reader: BlobReader<'_>,
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
            pass.progress.blobs_found(1);
            let result = scan_blob(reader, pass, history, index, site);
            pass.progress.blob_done();
            return result;
        }
        Some(Found::Aside(Packed::Skipped(reason))) => {
            return skipped(history, index, site, (**reason).clone())
        }
        Some(Found::Clean { bytes, cached }) => (bytes, cached, None),
        Some(Found::Aside(Packed::Clean { bytes, cached })) => (*bytes, *cached, None),
        Some(Found::Aside(Packed::Holds(h))) => (h.bytes, h.cached, Some(h)),
    };
    let mut findings: Vec<Finding> = holding
        .iter()
        .flat_map(|h| &h.findings)
        .map(|f| {
            let mut f = f.clone();
            path.clone_into(&mut f.path);
            f
        })
        .collect();
    let matches = holding.map(|h| h.matches.to_vec()).unwrap_or_default();
    let mut allowed = holding.map_or(0, |h| h.allowed);
    let mut unread = None;
    if pass.detector.reads_file(path) {
        // What the pass found stays found if the blob cannot be read again.
        match read_data(reader, pass, site) {
            Ok(data) => {
                let (more, more_allowed) = file_findings(pass, history, site, &data, &matches);
                findings.extend(more);
                allowed += more_allowed;
            }
            Err(reason) => unread = Some(skip_at(history, site, reason)),
        }
    }
    BlobResult::Scanned {
        site: index,
        bytes: if cached { 0 } else { bytes },
        matches,
        findings,
        allowed,
        cached,
        unread,
    }
}

/// The findings of the file rules that read `site`'s path in `data`
/// (its blob), beyond the matches `found` of the other rules. They are
/// not cached: the cache keys a blob's matches by its id alone.
fn file_findings(
    pass: &PackPass<'_, '_>,
    history: &History,
    site: &BlobSite,
    data: &[u8],
    found: &[Match],
) -> (Vec<Finding>, u64) {
    let content = blob_content(history, site, data);
    let matches = pass.detector.file_matches(data, &content.path, found);
    findings_from(pass.detector.rules(), &content, &matches, pass.setup.allows)
}
