//! Orchestration: the one module that sees every stage. It loads config and
//! rules, runs a source with rayon or the walker's threads, turns matches
//! into findings, applies suppressions, and counts everything it skipped.

mod git;

pub use crate::outcome::{Outcome, Stats};

pub use git::{scan_git, GitTarget};

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::content::{is_binary, Content, LineIndex, Skip, SkipReason};
use crate::detect::{Detector, Match};
use crate::finding::{sort_and_dedup, Finding, Pair, Secret, Source};
use crate::progress::Observer;
use crate::rules::{Confidence, Rule, RuleSet};
use crate::sources::tree::{self, Entry, WalkOptions};
use crate::suppress::gitleaksignore::GitleaksIgnore;
use crate::suppress::{Baseline, Exclusions, InlineAllows};

pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Everything a scan needs; the CLI converts its arguments into this, and
/// tests build it directly.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Roots to walk; `-` reads standard input. Empty means `.`.
    pub paths: Vec<PathBuf>,
    pub no_ignore: bool,
    pub follow_links: bool,
    /// Overrides the config's limit; `None` means config or 10 MiB.
    pub max_file_size: Option<u64>,
    /// `keyward.toml` to use instead of discovering one.
    pub config: Option<PathBuf>,
    /// Extra rule files.
    pub rules: Vec<PathBuf>,
    /// Baseline to use instead of the config's `baseline`, else
    /// `.keyward-baseline.json` at the root when it exists.
    pub baseline: Option<PathBuf>,
    /// Use no baseline at all (`--no-baseline`, or when creating a new one).
    pub no_baseline: bool,
    /// `None` means the config's, else medium.
    pub min_confidence: Option<Confidence>,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
    /// For git scans: the repository (default: the one containing `.`).
    pub repo: Option<PathBuf>,
    /// What a git scan covers; `None` for a working-tree scan.
    pub git: Option<GitTarget>,
    /// Ignore and do not update the incremental-audit cache.
    pub no_cache: bool,
    /// Told how a history audit is going (the binary draws a bar).
    pub progress: Observer,
}

/// The resolved settings of one scan: config merged with options.
pub(crate) struct Setup {
    pub rules: RuleSet,
    pub exclusions: Exclusions,
    pub max_file_size: u64,
    pub baseline: Option<Baseline>,
    /// Which inline allow comments apply.
    pub allows: InlineAllows,
    /// `.gitleaksignore` at the root, when there is one.
    pub gitleaks_ignore: Option<GitleaksIgnore>,
    /// Whether `.gitleaksignore` entries that matched nothing are warned
    /// about: only a scan of everything can tell (a scan of added lines or
    /// of named files finds most entries' places out of its reach).
    pub warn_unused_ignores: bool,
    /// The lowest confidence reported: rules below it are not run, and
    /// findings their place lowers below it are dropped.
    pub min_confidence: Confidence,
    pub warnings: Vec<String>,
}

impl Setup {
    /// Loads the config (explicit, else discovered at `root`), the rules and
    /// the baseline.
    pub fn new(opts: &ScanOptions, root: &Path) -> Result<Setup> {
        Setup::with_default_min(opts, root, Confidence::Medium)
    }

    /// Like [`Setup::new`], with `default_min` as the minimum confidence
    /// when neither the options nor the config set one.
    pub fn with_default_min(
        opts: &ScanOptions,
        root: &Path,
        default_min: Confidence,
    ) -> Result<Setup> {
        let config = match &opts.config {
            Some(path) => Config::load(path)?,
            None => Config::discover(root)?,
        };
        let mut rules = RuleSet::embedded_for_scan().context("embedded rules")?;
        let mut warnings = Vec::new();
        for file in config.rules.iter().chain(&opts.rules) {
            warnings.extend(rules.add_file(file)?);
        }
        for id in rules.disable(&config.disable_rules) {
            warnings.push(format!("config: disable_rules names unknown rule `{id}`"));
        }
        let min_confidence = opts
            .min_confidence
            .or(config.min_confidence)
            .unwrap_or(default_min);
        rules.retain_min_confidence(min_confidence);
        let baseline_path = if opts.no_baseline {
            None
        } else {
            opts.baseline
                .clone()
                .or_else(|| config.baseline.clone())
                .or_else(|| default_baseline(root))
        };
        let baseline = baseline_path.map(|p| Baseline::load(&p)).transpose()?;
        let (gitleaks_ignore, ignore_warnings) = GitleaksIgnore::discover(root);
        warnings.extend(ignore_warnings);
        Ok(Setup {
            rules,
            exclusions: Exclusions::new(&config.exclude)?,
            max_file_size: opts
                .max_file_size
                .or(config.max_file_size)
                .unwrap_or(DEFAULT_MAX_FILE_SIZE),
            baseline,
            allows: InlineAllows {
                foreign: config.foreign_allows.unwrap_or(true),
            },
            gitleaks_ignore,
            warn_unused_ignores: false,
            min_confidence,
            warnings,
        })
    }

    /// Applies `.gitleaksignore`, the baseline and the confidence of each
    /// finding's place ([`crate::place`]), sorts, and packs the outcome.
    pub fn finish(self, mut findings: Vec<Finding>, mut stats: Stats, started: Instant) -> Outcome {
        sort_and_dedup(&mut findings);
        if let Some(ignore) = &self.gitleaks_ignore {
            // Counted with the baseline: both are lists of findings kept
            // beside the code.
            stats.suppressed_baseline += ignore.retain(&mut findings);
            if self.warn_unused_ignores {
                stats.warnings.extend(ignore.unused_warnings());
            }
        }
        let mut unused_baseline = Vec::new();
        if let Some(baseline) = &self.baseline {
            let (suppressed, unused) = baseline.apply(&mut findings);
            stats.suppressed_baseline += suppressed;
            unused_baseline = unused;
        }
        stats.below_confidence += crate::place::apply(&mut findings, self.min_confidence);
        stats.warnings.splice(0..0, self.warnings);
        stats.elapsed = started.elapsed();
        Outcome {
            findings,
            stats,
            rules: self.rules,
            unused_baseline,
        }
    }
}

/// `.keyward-baseline.json` at `root` (the repository's work tree, or the
/// directory scanned), the file `keyward baseline create` writes, when it
/// exists: so that following a hook's advice is enough to unblock it.
pub fn default_baseline(root: &Path) -> Option<PathBuf> {
    let path = root.join(Baseline::FILE_NAME);
    path.is_file().then_some(path)
}

/// Turns the detector's matches in one piece of content into findings,
/// dropping lines outside `added_lines` and lines an inline allow covers.
/// Returns the findings and how many inline allows applied.
pub(crate) fn findings_in(
    detector: &Detector<'_>,
    content: &Content<'_>,
    allows: InlineAllows,
) -> (Vec<Finding>, u64) {
    let matches = match content.added_lines {
        Some(ranges) => {
            let index = LineIndex::new(content.bytes);
            let focus: Vec<(usize, usize)> = ranges
                .iter()
                .map(|r| index.span(content.bytes, r.first, r.last))
                .collect();
            detector.detect_near(content.bytes, &focus)
        }
        None => detector.detect(content.bytes),
    };
    let matches = with_file_matches(detector, content, matches);
    findings_from(detector.rules(), content, &matches, allows)
}

/// `matches` with those of the file rules that read `content`'s path
/// (see [`Detector::file_matches`]), in position order.
pub(crate) fn with_file_matches(
    detector: &Detector<'_>,
    content: &Content<'_>,
    mut matches: Vec<Match>,
) -> Vec<Match> {
    let more = detector.file_matches(content.bytes, &content.path, &matches);
    if !more.is_empty() {
        matches.extend(more);
        matches.sort_by_key(|m| (m.start, m.end, m.rule));
    }
    matches
}

/// The findings of matches already made in `content` (by the detector, or
/// read back from the cache).
pub(crate) fn findings_from(
    rules: &[Rule],
    content: &Content<'_>,
    matches: &[Match],
    allows: InlineAllows,
) -> (Vec<Finding>, u64) {
    if matches.is_empty() {
        return (Vec::new(), 0);
    }
    let index = LineIndex::new(content.bytes);
    let mut out = Vec::with_capacity(matches.len());
    let mut allowed = 0;
    // Matches come in order: a column counts on from the last match's on
    // the same line, and a line's allow comment is read once per rule, so
    // that many matches on one long line cost time linear in the line.
    let mut at = Cursor::default();
    let mut allowed_on: (usize, Vec<(usize, bool)>) = (0, Vec::new());
    let mut paired = Vec::new();
    for m in matches {
        let rule = &rules[m.rule];
        let (line, column) = at.locate(&index, content.bytes, m.start);
        if let Some(ranges) = content.added_lines {
            // Any added line of a match makes it new: a second key whose
            // header line repeats the first's, or a key whose body changed.
            let (last, _) = index.locate(content.bytes, m.end.max(m.start + 1) - 1);
            if !ranges.iter().any(|r| r.first <= last && line <= r.last) {
                continue;
            }
        }
        if allowed_on.0 != line {
            allowed_on = (line, Vec::new());
        }
        let is_allowed = match allowed_on.1.iter().find(|(r, _)| *r == m.rule) {
            Some(&(_, a)) => a,
            None => {
                let text = index.line_text(content.bytes, line);
                let previous = (line > 1).then(|| index.line_text(content.bytes, line - 1));
                let a = allows.is_allowed(text, previous, &rule.id);
                allowed_on.1.push((m.rule, a));
                a
            }
        };
        if is_allowed {
            allowed += 1;
            continue;
        }
        let secret = Secret::new(&content.bytes[m.start..m.end]);
        let mut finding = Finding::of_secret(
            rule,
            content.path.clone(),
            line,
            column,
            secret,
            content.source,
        );
        finding.commit.clone_from(&content.commit);
        if rule.pair.is_some() {
            paired.push((out.len(), *m));
        }
        out.push(finding);
    }
    attach_pairs(rules, content.bytes, &index, &paired, &mut out);
    (out, allowed)
}

/// Attaches to each finding of a rule with a `pair` the nearest id part
/// within the rule's reach. `paired` lists those findings (by index in
/// `findings`) with their matches, in content order. Each rule's windows
/// (the lines around its findings) are merged and searched once, so the
/// cost is linear in the lines around findings, however many there are.
fn attach_pairs(
    rules: &[Rule],
    bytes: &[u8],
    index: &LineIndex,
    paired: &[(usize, Match)],
    findings: &mut [Finding],
) {
    let mut by_rule: Vec<usize> = paired.iter().map(|(_, m)| m.rule).collect();
    by_rule.sort_unstable();
    by_rule.dedup();
    for r in by_rule {
        let rule = &rules[r];
        let Some(pair) = &rule.pair else { continue };
        let mine = || paired.iter().filter(move |(_, m)| m.rule == r);
        let mut spans: Vec<(usize, usize)> = mine()
            .map(|(_, m)| {
                let first = index.line_of(m.start).saturating_sub(pair.within);
                let last = index.line_of(m.end.max(m.start + 1) - 1) + pair.within;
                index.span(bytes, first.max(1), last)
            })
            .collect();
        spans.sort_unstable();
        let mut windows: Vec<(usize, usize)> = Vec::new();
        for (s, e) in spans {
            match windows.last_mut() {
                Some(w) if s <= w.1 + 1 => w.1 = w.1.max(e),
                _ => windows.push((s, e)),
            }
        }
        let ids = crate::detect::pair_spans(rule, bytes, &windows);
        if ids.is_empty() {
            continue;
        }
        for (i, m) in mine() {
            let near = crate::detect::nearest_pair(&ids, (m.start, m.end), pair.within, |at| {
                index.line_of(at)
            });
            if let Some((s, e)) = near {
                findings[*i].pair = Some(Pair {
                    name: pair.name.clone(),
                    value: String::from_utf8_lossy(&bytes[s..e]).into_owned(),
                    line: index.line_of(s),
                });
            }
        }
    }
}

/// Whether `roots` are files only (no directory, not standard input) of at
/// most a megabyte in all.
fn few_bytes(roots: &[PathBuf]) -> bool {
    let mut total = 0u64;
    for root in roots {
        match std::fs::metadata(root) {
            Ok(m) if m.is_file() && root.as_os_str() != "-" => total += m.len(),
            _ => return false,
        }
    }
    total <= 1 << 20
}

/// The line and column of offsets met in increasing order, each counted
/// on from the last rather than from its line's start.
#[derive(Default)]
struct Cursor {
    /// The last offset located, its line and its column.
    last: Option<(usize, usize, usize)>,
}

impl Cursor {
    fn locate(&mut self, index: &LineIndex, bytes: &[u8], offset: usize) -> (usize, usize) {
        let located = match self.last {
            Some((from, line, column)) if from <= offset && index.line_of(offset) == line => {
                let chars = bytes[from..offset]
                    .iter()
                    .filter(|&&b| (b & 0xC0) != 0x80)
                    .count();
                (line, column + chars)
            }
            _ => index.locate(bytes, offset),
        };
        self.last = Some((offset, located.0, located.1));
        located
    }
}

pub(crate) fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

/// Scans files and directories in the working tree (or standard input for `-`).
pub fn scan_tree(opts: &ScanOptions) -> Result<Outcome> {
    let started = Instant::now();
    let roots: Vec<PathBuf> = if opts.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        opts.paths.clone()
    };
    for root in roots.iter().filter(|r| r.as_os_str() != "-") {
        check_readable(root)?;
    }
    let config_root = roots
        .iter()
        .find(|r| r.as_os_str() != "-")
        .map(|r| crate::repo::config_root(r))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut setup = Setup::new(opts, &config_root)?;
    // Only a directory's scan covers the places `.gitleaksignore` names;
    // named files (a pre-commit framework's hook) leave most out.
    setup.warn_unused_ignores = roots.iter().any(|r| r.is_dir());
    // A few named files (an editor's or a pre-commit framework's scan) are
    // searched faster than a keyword DFA is built.
    let volume = if few_bytes(&roots) {
        crate::detect::Volume::Small
    } else {
        crate::detect::Volume::Large
    };
    let detector = Detector::for_volume(&setup.rules, volume);

    let findings = Mutex::new(Vec::new());
    let skips = Mutex::new(Vec::new());
    let files = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let allowed = AtomicU64::new(0);
    let excluded = AtomicU64::new(0);
    let scan_bytes = |data: &[u8], rel: String, source: Source| {
        files.fetch_add(1, Ordering::Relaxed);
        bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        let content = Content {
            bytes: data,
            path: rel,
            source,
            commit: None,
            added_lines: None,
        };
        let (found, n) = findings_in(&detector, &content, setup.allows);
        allowed.fetch_add(n, Ordering::Relaxed);
        if !found.is_empty() {
            findings
                .lock()
                .expect("no panics while holding the lock")
                .extend(found);
        }
    };
    let skip = |s: Skip| {
        skips
            .lock()
            .expect("no panics while holding the lock")
            .push(s)
    };

    let (stdin, walked): (Vec<PathBuf>, Vec<PathBuf>) =
        roots.into_iter().partition(|r| r.as_os_str() == "-");
    if !stdin.is_empty() {
        // One byte past the limit tells a stream that is too large; reading
        // stops there rather than holding all of it in memory.
        let limit = setup.max_file_size;
        let mut data = Vec::new();
        std::io::stdin()
            .take(limit.saturating_add(1))
            .read_to_end(&mut data)
            .context("reading standard input")?;
        if data.len() as u64 > limit {
            skip(Skip {
                path: "<stdin>".into(),
                reason: SkipReason::StreamTooLarge { limit },
            });
        } else if is_binary(&data) {
            // As a file with a NUL in its first 8 KiB is.
            skip(Skip {
                path: "<stdin>".into(),
                reason: SkipReason::Binary,
            });
        } else {
            scan_bytes(&data, "<stdin>".into(), Source::Stdin);
        }
    }
    let walk_opts = WalkOptions {
        no_ignore: opts.no_ignore,
        follow_links: opts.follow_links,
        threads: thread_count(opts.threads),
    };
    tree::walk(&walked, &walk_opts, &|entry| match entry {
        Entry::File { path, rel, size } => {
            if setup.exclusions.is_excluded(&rel) {
                excluded.fetch_add(1, Ordering::Relaxed);
                return;
            }
            if size > setup.max_file_size {
                return skip(Skip {
                    path: rel,
                    reason: SkipReason::TooLarge {
                        size,
                        limit: setup.max_file_size,
                    },
                });
            }
            match std::fs::read(&path) {
                Ok(data) if is_binary(&data) => skip(Skip {
                    path: rel,
                    reason: SkipReason::Binary,
                }),
                Ok(data) => scan_bytes(&data, rel, Source::Tree),
                Err(e) => skip(Skip {
                    path: rel,
                    reason: SkipReason::Unreadable(e.to_string()),
                }),
            }
        }
        Entry::Skipped(s) => skip(s),
    });

    let mut skips = skips.into_inner().expect("walk finished");
    skips.sort_by(|a, b| a.path.cmp(&b.path));
    let mut stats = Stats {
        files: files.into_inner(),
        bytes: bytes.into_inner(),
        skips,
        suppressed_inline: allowed.into_inner(),
        excluded: excluded.into_inner(),
        ..Stats::default()
    };
    let mut findings = findings.into_inner().expect("walk finished");
    for root in walked.iter().filter(|r| r.is_dir()) {
        // The walk already counted (or skipped) the env files it saw.
        let env = crate::envcheck::check(
            root,
            &setup.rules,
            &detector,
            &setup.exclusions,
            setup.max_file_size,
            setup.allows,
        );
        stats.suppressed_inline += env.suppressed_inline;
        // A template's value that a secret rule found is that rule's one
        // finding (as a history audit reports it); the hygiene check
        // speaks only for values no rule recognises.
        let found: std::collections::HashSet<(String, usize)> =
            findings.iter().map(|f| (f.path.clone(), f.line)).collect();
        findings.extend(env.findings.into_iter().filter(|f| {
            f.rule_id != crate::rules::Check::EnvTemplateSecret.as_str()
                || !found.contains(&(f.path.clone(), f.line))
        }));
        stats.warnings.extend(env.warnings);
        stats.skips.extend(env.skips);
    }
    if stats.files == 0 && !stats.skips.is_empty() {
        // A gate that read nothing must not look like a clean pass.
        stats.warnings.push(match stats.skips.len() {
            1 => "nothing was scanned: the only file was skipped".to_string(),
            n => format!("nothing was scanned: all {n} files were skipped"),
        });
    }
    Ok(setup.finish(findings, stats, started))
}

/// Fails unless `root`, a path named on the command line, can be read: a
/// named path that cannot be opened is the user's mistake, not a skip.
fn check_readable(root: &Path) -> Result<()> {
    let shown = root.display();
    let link = std::fs::symlink_metadata(root)
        .map_err(|_| anyhow::anyhow!("{shown}: no such file or directory"))?;
    let meta = match std::fs::metadata(root) {
        Ok(meta) => meta,
        Err(e) if link.is_symlink() => {
            let target = std::fs::read_link(root)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            bail!("{shown}: cannot read: it is a symbolic link to `{target}`, which cannot be opened ({e})")
        }
        Err(e) => bail!("{shown}: cannot read: {e}"),
    };
    // Only directories and regular files are opened: opening a FIFO waits
    // for a writer; the walk counts anything else as a skip.
    let opened = if meta.is_dir() {
        std::fs::read_dir(root).map(drop)
    } else if meta.is_file() {
        std::fs::File::open(root).map(drop)
    } else {
        Ok(())
    };
    opened.map_err(|e| anyhow::anyhow!("{shown}: cannot read: {e}"))
}

/// `keyward env`: only the config-hygiene checks, on the tree at the first
/// path, and with `history` the env files ever committed.
pub fn scan_env(opts: &ScanOptions, history: bool) -> Result<Outcome> {
    let started = Instant::now();
    let root = opts
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    if !root.is_dir() {
        bail!("{}: not a directory", root.display());
    }
    // Every hygiene check reports by default, low-confidence ones too.
    let setup = Setup::with_default_min(opts, &crate::repo::config_root(&root), Confidence::Low)?;
    let detector = Detector::new(&setup.rules);
    let env = crate::envcheck::check(
        &root,
        &setup.rules,
        &detector,
        &setup.exclusions,
        setup.max_file_size,
        setup.allows,
    );
    let mut stats = Stats {
        files: env.files,
        bytes: env.bytes,
        warnings: env.warnings,
        skips: env.skips,
        suppressed_inline: env.suppressed_inline,
        ..Stats::default()
    };
    let mut findings = env.findings;
    if history {
        match keyward_git::open(&root) {
            Ok(repo) => {
                let found = git::env_in_history(&repo, &setup.rules)?;
                findings.extend(found.findings);
                stats.commits = Some(found.commits);
                stats.skips.extend(found.skips);
            }
            Err(_) => stats
                .warnings
                .push("not a git repository: --history was skipped".into()),
        }
    }
    Ok(setup.finish(findings, stats, started))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counting on from the last match gives the columns counting from the
    /// line's start gives, across lines and multi-byte characters, and for
    /// an offset met out of order.
    #[test]
    fn cursor_locates_as_the_index_does() {
        let text = "ab é x é y\nzé é w\n\nq".as_bytes();
        let index = LineIndex::new(text);
        let mut cursor = Cursor::default();
        let mut offsets: Vec<usize> = (0..text.len())
            .filter(|&i| (text[i] & 0xC0) != 0x80)
            .collect();
        offsets.push(3);
        for offset in offsets {
            assert_eq!(
                cursor.locate(&index, text, offset),
                index.locate(text, offset),
                "offset {offset}"
            );
        }
    }
}
