//! The keyward binary: parse arguments, call the library, write the report,
//! and map the outcome to an exit code. The only place that exits.

#![forbid(unsafe_code)]

mod cli;
mod progress;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use cli::{BaselineCommand, Cli, Command, HookCommand, OutputArgs, RulesCommand, RulesFormatArg};
use keyward::hook::{self, HookKind};
use keyward::progress::Observer;
use keyward::report;
use keyward::Outcome;

const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_CLEAN),
        Err(e) => {
            eprintln!("keyward: error: {}", chain(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => {
            let outcome = keyward::scan_tree(&args.scan_options())?;
            // Paths are relative to the one directory scanned, else to
            // where keyward runs (several paths, a file, standard input).
            let root = match args.paths.as_slice() {
                [one] if one.is_dir() => one.as_path(),
                _ => Path::new("."),
            };
            let code = emit(&outcome, &args.output, root);
            // The process ends next: freeing the rules and their compiled
            // patterns one by one takes longer than scanning a small file.
            std::mem::forget(outcome);
            code
        }
        Command::Git(args) => {
            let show = io::stderr().is_terminal() && std::env::var_os("CI").is_none();
            // KEYWARD_TIMINGS=1 prints when each stage of an audit ended.
            let timings = std::env::var_os("KEYWARD_TIMINGS").is_some();
            let progress = Observer::new(progress::Bar::new(show, timings));
            let outcome = keyward::scan_git(&args.scan_options(progress))?;
            emit(
                &outcome,
                &args.output,
                args.repo.as_deref().unwrap_or(Path::new(".")),
            )
        }
        Command::Env(args) => {
            let mut opts = keyward::ScanOptions {
                paths: args.path.clone().into_iter().collect(),
                ..keyward::ScanOptions::default()
            };
            args.common.apply(&mut opts);
            let outcome = keyward::scan::scan_env(&opts, args.history)?;
            emit(
                &outcome,
                &args.output,
                args.path.as_deref().unwrap_or(Path::new(".")),
            )
        }
        Command::Hook(HookCommand::Install {
            pre_push,
            pre_commit,
            force,
            repo,
        }) => {
            let exe = std::env::current_exe()
                .map_err(|e| anyhow::anyhow!("cannot locate the keyward binary: {e}"))?;
            let start = repo.unwrap_or_else(|| ".".into());
            for kind in hook_kinds(pre_push, pre_commit) {
                let change = hook::install(&start, kind, &exe, force)?;
                eprintln!("keyward: {}", describe(&change));
            }
            Ok(EXIT_CLEAN)
        }
        Command::Hook(HookCommand::Uninstall {
            pre_push,
            pre_commit,
            repo,
        }) => {
            let start = repo.unwrap_or_else(|| ".".into());
            let kinds = if pre_push || pre_commit {
                hook_kinds(pre_push, pre_commit)
            } else {
                vec![HookKind::PrePush, HookKind::PreCommit]
            };
            for kind in kinds {
                eprintln!("keyward: {}", describe(&hook::uninstall(&start, kind)?));
            }
            Ok(EXIT_CLEAN)
        }
        Command::Hook(HookCommand::PrePush {
            remote,
            url: _,
            common,
            output,
        }) => {
            let framework = hook::FrameworkPush::from_env(|k| std::env::var(k).ok());
            let (remote, updates) = match framework {
                Some(push) => (push.remote.clone(), push.updates()?),
                None => {
                    use std::io::Read;
                    let mut input = String::new();
                    io::stdin()
                        .read_to_string(&mut input)
                        .context("pre-push: reading the refs git sends on standard input")?;
                    let remote = remote.context(
                        "pre-push: no remote named (git passes it; the pre-commit framework sets PRE_COMMIT_REMOTE_NAME)",
                    )?;
                    (remote, hook::parse_pre_push(&input)?)
                }
            };
            let range = hook::push_range_at(Path::new("."), &remote, &updates)?;
            let target = keyward::GitTarget::Tips {
                push: range.push.iter().map(ToString::to_string).collect(),
                hide: range.hide.iter().map(ToString::to_string).collect(),
            };
            run_hook(target, &common, &output, "push")
        }
        Command::Hook(HookCommand::PreCommit { common, output }) => {
            run_hook(keyward::GitTarget::Staged, &common, &output, "commit")
        }
        Command::Baseline(BaselineCommand::Create {
            path,
            history,
            output,
            common,
        }) => {
            let mut opts = keyward::ScanOptions::default();
            common.apply(&mut opts);
            // A baseline is of everything found now, so no old one applies.
            opts.baseline = None;
            opts.no_baseline = true;
            let output = output.unwrap_or_else(|| default_baseline_file(path.as_deref()));
            let outcome = if history {
                opts.repo = path;
                opts.git = Some(keyward::GitTarget::History(keyward::git::RefSelection::All));
                keyward::scan_git(&opts)?
            } else {
                opts.paths = path.into_iter().collect();
                keyward::scan_tree(&opts)?
            };
            let old = output
                .exists()
                .then(|| keyward::suppress::Baseline::load(&output))
                .transpose()?;
            let baseline =
                keyward::suppress::Baseline::from_findings(&outcome.findings, old.as_ref());
            std::fs::write(&output, baseline.to_json())
                .with_context(|| format!("{}: cannot write baseline", output.display()))?;
            let entries = match baseline.findings.len() {
                1 => "1 entry".to_string(),
                n => format!("{n} entries"),
            };
            eprintln!(
                "keyward: wrote {entries} to {} (fingerprints only; no secrets)",
                output.display()
            );
            Ok(EXIT_CLEAN)
        }
        Command::Baseline(BaselineCommand::Import { from, file, output }) => {
            use keyward::suppress::Baseline;
            let imported = keyward::import::import(from.into(), &file)?;
            let output = output.unwrap_or_else(|| default_baseline_file(None));
            let mut baseline = if output.exists() {
                Baseline::load(&output)?
            } else {
                Baseline {
                    version: 1,
                    findings: Vec::new(),
                }
            };
            let read = imported.entries.len() as u64;
            let added = baseline.extend(imported.entries) as u64;
            std::fs::write(&output, baseline.to_json())
                .with_context(|| format!("{}: cannot write baseline", output.display()))?;
            for skip in &imported.skipped {
                eprintln!("keyward: {}: {skip}", file.display());
            }
            let entries = match read {
                1 => "1 entry".to_string(),
                n => format!("{n} entries"),
            };
            eprintln!(
                "keyward: imported {entries} from {} ({} new, {} skipped) into {} (hashes only; no secrets)",
                file.display(),
                added,
                imported.skipped.len(),
                output.display()
            );
            Ok(EXIT_CLEAN)
        }
        Command::Rules(RulesCommand::List { format, rules }) => {
            let mut set = keyward::rules::RuleSet::embedded()?;
            for file in &rules {
                for warning in set.add_file(file)? {
                    eprintln!("keyward: warning: {warning}");
                }
            }
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            keyward::report::write_rules(&mut out, &set, matches!(format, RulesFormatArg::Json))?;
            out.flush()?;
            Ok(EXIT_CLEAN)
        }
        Command::Completions { shell } => {
            io::stdout().lock().write_all(&cli::completions(shell))?;
            Ok(EXIT_CLEAN)
        }
        Command::Man => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            cli::write_man(&mut out)?;
            out.flush()?;
            Ok(EXIT_CLEAN)
        }
        Command::Rules(RulesCommand::Check { files }) => {
            let problems = keyward::detect::check::check_files(&files);
            for p in &problems {
                eprintln!("{p}");
            }
            if problems.is_empty() {
                eprintln!(
                    "keyward: {} checked, no problems",
                    report::count(files.len() as u64, "file")
                );
                Ok(EXIT_CLEAN)
            } else {
                eprintln!(
                    "keyward: {}",
                    report::count(problems.len() as u64, "problem")
                );
                Ok(EXIT_FINDINGS)
            }
        }
    }
}

/// Where `baseline create` writes by default: `.keyward-baseline.json` at
/// the root of the repository holding `path` (else in `path`), where scans
/// and hooks look for it; shown relative when that is where keyward runs.
fn default_baseline_file(path: Option<&Path>) -> PathBuf {
    let root = keyward::repo::config_root(path.unwrap_or(Path::new(".")));
    let here = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
    let is_here = root.canonicalize().ok() == here;
    if is_here {
        PathBuf::from(keyward::suppress::Baseline::FILE_NAME)
    } else {
        root.join(keyward::suppress::Baseline::FILE_NAME)
    }
}

fn hook_kinds(pre_push: bool, pre_commit: bool) -> Vec<HookKind> {
    let mut kinds = Vec::new();
    if pre_push || !pre_commit {
        kinds.push(HookKind::PrePush);
    }
    if pre_commit {
        kinds.push(HookKind::PreCommit);
    }
    kinds
}

fn describe(change: &hook::Change) -> String {
    use hook::Change::*;
    match change {
        Installed(p) => format!("installed {}", p.display()),
        Chained(p) => format!(
            "installed {}; the hook that was there runs after keyward",
            p.display()
        ),
        Replaced(p) => format!(
            "installed {}; the hook that was there is set aside (uninstall restores it)",
            p.display()
        ),
        AlreadyInstalled(p) => format!("{} is already keyward's; nothing to do", p.display()),
        Removed(p) => format!("removed {}", p.display()),
        Restored(p) => format!(
            "removed keyward from {}; the previous hook is back",
            p.display()
        ),
        NotInstalled(p) => format!("{} is not keyward's; left alone", p.display()),
        Absent(p) => format!("{}: no such hook; nothing to remove", p.display()),
    }
}

/// A hook's scan: report on stderr (which git clients show), and under
/// findings, what to do.
fn run_hook(
    target: keyward::GitTarget,
    common: &cli::CommonArgs,
    output: &OutputArgs,
    action: &str,
) -> anyhow::Result<u8> {
    let mut opts = keyward::ScanOptions {
        git: Some(target),
        ..keyward::ScanOptions::default()
    };
    common.apply(&mut opts);
    let outcome = keyward::scan_git(&opts)?;
    let code = emit_to(&outcome, output, Stream::Stderr, Path::new("."))?;
    if code == EXIT_FINDINGS {
        eprint!("{}", block_message(action, &outcome));
    }
    Ok(code)
}

/// What to do when a hook blocks: shown under the findings. A push sends
/// commits already made (and maybe shared); a commit is not made yet, so
/// its remedies are to unstage or edit, and to rotate only what was pushed.
fn block_message(action: &str, outcome: &Outcome) -> String {
    let n = report::count(outcome.findings.len() as u64, "secret");
    let mut lines = vec![String::new()];
    if action == "commit" {
        let mut files: Vec<String> = outcome
            .findings
            .iter()
            .map(|f| shell_word(&f.path))
            .collect();
        files.dedup();
        lines.extend([
            format!("keyward: commit blocked: {n} in the staged changes."),
            "  - take each one out of the commit: edit the file and `git add` it again,".into(),
            format!(
                "    or unstage the file (git restore --staged -- {});",
                files.join(" ")
            ),
            "  - rotate a secret only if it was ever pushed or shared: this commit is not made;"
                .into(),
        ]);
    } else {
        lines.extend([
            format!("keyward: push blocked: {n} in the commits being pushed."),
            "  - remove each one from the commit that adds it (git commit --amend, git rebase -i)"
                .into(),
            "    and rotate it: treat it as leaked;".into(),
        ]);
    }
    // `baseline create` writes .keyward-baseline.json at the repository
    // root, which every scan and both hooks read; commits being pushed are
    // history, staged changes are still in the working tree.
    let create = if action == "commit" {
        "keyward baseline create"
    } else {
        "keyward baseline create --history"
    };
    lines.extend([
        "  - if one is not a secret, put `keyward:allow <rule-id>` in a comment on its line,"
            .into(),
        format!("    or baseline every finding: run `{create}` at the repository root;"),
        format!("  - to skip the check once: git {action} --no-verify"),
        String::new(),
    ]);
    lines.join("\n")
}

/// `s` as one shell word: quoted unless it is plainly safe.
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+@:=,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Colour on a terminal, unless `NO_COLOR` is set or the terminal says it
/// has none (`TERM=dumb`), as the progress bar decides.
fn color_for_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        && io::stdout().is_terminal()
}

/// Where a report goes when no `--output` file is given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    /// Hooks: git clients show a hook's stderr, not always its stdout.
    Stderr,
}

/// Writes the report to stdout and the summary, and decides the exit code.
/// `root` is where the scan ran: its checked-out commit is the GitLab
/// report's commit for findings outside history.
fn emit(outcome: &Outcome, output: &OutputArgs, root: &Path) -> anyhow::Result<u8> {
    emit_to(outcome, output, Stream::Stdout, root)
}

fn emit_to(
    outcome: &Outcome,
    output: &OutputArgs,
    stream: Stream,
    root: &Path,
) -> anyhow::Result<u8> {
    let checkout = output
        .needs_checkout()
        .then(|| keyward::repo::Checkout::at(root))
        .flatten();
    // Refused before a report file is created.
    if let Some(why) = report::unfit(outcome, &output.report_options(false, checkout.clone())) {
        anyhow::bail!(why);
    }
    match &output.output {
        Some(path) => {
            let opts = output.report_options(false, checkout);
            let mut file = io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("{}: cannot create report file", path.display()))?,
            );
            report::write(&mut file, outcome, &opts)
                .with_context(|| format!("{}: writing report", path.display()))?;
            file.flush()
                .with_context(|| format!("{}: writing report", path.display()))?;
        }
        None if stream == Stream::Stderr => {
            let opts = output.report_options(false, checkout);
            let mut err = io::stderr().lock();
            report::write(&mut err, outcome, &opts)?;
        }
        None => {
            let opts = output.report_options(color_for_stdout(), checkout);
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            // A reader that stops early (`keyward scan | head -1`) changes
            // nothing about what was found: the exit code still says it.
            match report::write(&mut lock, outcome, &opts).and_then(|()| lock.flush()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
        }
    }
    eprint!("{}", report::summary(outcome, output.verbose));
    if output.report_unused {
        for e in &outcome.unused_baseline {
            eprintln!(
                "keyward: unused baseline entry: {} {} {}",
                e.path,
                e.rule_id,
                match (&e.fingerprint, &e.sha1) {
                    (Some(fp), _) => fp.clone(),
                    (None, Some(sha1)) => format!("sha1 {sha1}"),
                    (None, None) => String::new(),
                }
            );
        }
    }
    let unreadable = outcome.stats.unreadable();
    if unreadable > 0 && !output.allow_unreadable {
        eprintln!(
            "keyward: error: the scan is incomplete: {} could not be read (named above); \
             repair it, or accept it with --allow-unreadable",
            report::count(unreadable, "input")
        );
        return Ok(EXIT_ERROR);
    }
    if outcome.findings.is_empty() || output.exit_zero {
        Ok(EXIT_CLEAN)
    } else {
        Ok(EXIT_FINDINGS)
    }
}
