//! Command-line definitions (clap derive) and their conversion into the
//! library's options. Nothing outside this module and `main.rs` sees clap.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use keyward::repo::Checkout;
use keyward::report::{Format, ReportOptions};
use keyward::rules::Confidence;
use keyward::ScanOptions;

#[derive(Debug, Parser)]
#[command(
    name = "keyward",
    version,
    about = "Find leaked credentials in working trees, git history and .env files",
    long_about = "keyward finds leaked credentials (API keys, tokens, JWTs and signing secrets, database URLs \
with passwords, private keys, generic high-entropy secrets) before they leave a developer's machine and after \
they already have.\n\nExit codes: 0 nothing found, 1 findings, 2 usage or runtime error.",
    after_help = "Examples:\n  keyward scan                     scan the working tree (honours .gitignore)\n  keyward scan --format sarif -o keyward.sarif\n  keyward rules list               list every rule"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories in the working tree (`-` reads standard input)
    Scan(ScanArgs),
    /// Audit git history: every blob ever committed (default), a range's
    /// added lines (--range, --since), or the staged changes (--staged)
    Git(GitArgs),
    /// Check config hygiene only: real .env files ignored and untracked,
    /// templates holding placeholders, strong signing keys, template drift
    Env(EnvArgs),
    /// Install or remove git hooks, and the hook entry points git calls
    #[command(subcommand)]
    Hook(HookCommand),
    /// Create a baseline: fingerprints of today's findings, to suppress
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// List the built-in rules, or check a rule file of your own
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script to standard output, e.g.
    /// `keyward completions bash > /etc/bash_completion.d/keyward`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print keyward's man page (roff) to standard output, e.g.
    /// `keyward man > /usr/local/share/man/man1/keyward.1`
    Man,
}

/// `shell`'s completion script for every command and flag above. Built in
/// memory because clap_complete panics on a failed write (a closed pipe),
/// which the caller instead reports or, for a broken pipe, ignores.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "keyward", &mut script);
    script
}

/// Writes the man page (roff) generated from the definitions above.
pub fn write_man(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Directory to check (default .)
    pub path: Option<PathBuf>,
    /// Also report real env files that were ever committed
    #[arg(long)]
    pub history: bool,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install keyward as a pre-push hook (default) and/or pre-commit hook.
    /// An existing hook is kept and runs after keyward, unless --force.
    Install {
        /// Install the pre-push hook (the default when neither is given)
        #[arg(long)]
        pre_push: bool,
        /// Install the pre-commit hook (scans staged changes)
        #[arg(long)]
        pre_commit: bool,
        /// Set an existing hook aside instead of chaining it
        #[arg(long)]
        force: bool,
        /// Repository (default: the one containing the current directory)
        repo: Option<PathBuf>,
    },
    /// Remove keyward's hooks and restore the hooks they chained or replaced
    Uninstall {
        #[arg(long)]
        pre_push: bool,
        #[arg(long)]
        pre_commit: bool,
        repo: Option<PathBuf>,
    },
    /// Called by git before a push: scans the lines the pushed commits add
    /// (refs on standard input, as git gives them); exit 1 blocks the push
    PrePush {
        /// The remote's name (or URL). Under the pre-commit framework
        /// (PRE_COMMIT_REMOTE_NAME set), the refs come from its
        /// PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF (or, for a branch whose
        /// every commit is new, PRE_COMMIT_LOCAL_BRANCH) instead of standard
        /// input
        remote: Option<String>,
        /// The remote's URL
        url: Option<String>,
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Called by git before a commit: scans the lines the index adds
    PreCommit {
        #[command(flatten)]
        common: CommonArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Write the fingerprints of every current finding (no secrets, no line
    /// numbers) to .keyward-baseline.json at the repository root (which
    /// scans and hooks then read), keeping reasons already written
    Create {
        /// Working tree or repository to scan (default .)
        path: Option<PathBuf>,
        /// Baseline the full git history instead of the working tree
        #[arg(long)]
        history: bool,
        /// File to write [default: .keyward-baseline.json at the root of the
        /// repository holding PATH, else in PATH]
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Turn another scanner's baseline into keyward baseline entries (hashes
    /// only; no secrets), added to .keyward-baseline.json: each covers its
    /// secret in its own file, whichever keyward rule finds it
    Import {
        /// The scanner that wrote FILE
        #[arg(long, value_enum, value_name = "SCANNER")]
        from: ImportFormatArg,
        /// A gitleaks JSON report, or a detect-secrets .secrets.baseline
        file: PathBuf,
        /// File to write (entries already in it are kept) [default:
        /// .keyward-baseline.json at the root of the repository holding .,
        /// else in .]
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Scanners whose baselines `baseline import` reads.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportFormatArg {
    /// A gitleaks report written with --report-format json
    Gitleaks,
    /// detect-secrets' .secrets.baseline
    DetectSecrets,
}

impl From<ImportFormatArg> for keyward::import::Format {
    fn from(arg: ImportFormatArg) -> Self {
        match arg {
            ImportFormatArg::Gitleaks => keyward::import::Format::Gitleaks,
            ImportFormatArg::DetectSecrets => keyward::import::Format::DetectSecrets,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, name, category, confidence, keywords
    List {
        #[arg(long, short = 'f', value_enum, default_value_t = RulesFormatArg::Human)]
        format: RulesFormatArg,
        /// Include rules from this file too; repeatable
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
    /// Check rule files: schema, patterns compile, examples detected,
    /// negatives not (every problem listed; exit 1 on any)
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Scan files that .gitignore and .ignore would skip
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links (loops are reported and skipped)
    #[arg(long)]
    pub follow: bool,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").args(["branch", "range", "since", "staged"])))]
pub struct GitArgs {
    /// Repository to audit (default: the one containing the current directory); bare repositories work too
    pub repo: Option<PathBuf>,
    /// Only this ref's history instead of every ref (branches, tags, remotes, stash)
    #[arg(long, value_name = "REF")]
    pub branch: Option<String>,
    /// Only the lines added by the commits in A..B
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,
    /// Only the lines added since REF: the same as --range REF..HEAD
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,
    /// Only the lines the index (staged changes) adds to HEAD
    #[arg(long)]
    pub staged: bool,
    /// Do not use or update the cache of already-scanned blobs (.git/keyward/)
    #[arg(long)]
    pub no_cache: bool,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

impl GitArgs {
    pub fn scan_options(&self, progress: keyward::progress::Observer) -> ScanOptions {
        use keyward::git::RefSelection;
        use keyward::scan::GitTarget;
        let target = if self.staged {
            GitTarget::Staged
        } else if let Some(range) = &self.range {
            GitTarget::Range(range.clone())
        } else if let Some(since) = &self.since {
            GitTarget::Range(format!("{since}..HEAD"))
        } else if let Some(branch) = &self.branch {
            GitTarget::History(RefSelection::Branch(branch.clone()))
        } else {
            GitTarget::History(RefSelection::All)
        };
        let mut opts = ScanOptions {
            repo: self.repo.clone(),
            git: Some(target),
            no_cache: self.no_cache,
            progress,
            ..ScanOptions::default()
        };
        self.common.apply(&mut opts);
        opts
    }
}

/// Settings every scanning command shares.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Config file to use instead of keyward.toml at the repository root
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Extra rule file (YAML, same schema as the built-in rules, or a gitleaks
    /// config named *.toml); repeatable
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Suppress findings whose fingerprints are in this baseline file
    /// [default: keyward.toml's `baseline`, else .keyward-baseline.json at
    /// the repository root when it exists]
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Use no baseline, not even .keyward-baseline.json or the config's
    #[arg(long, conflicts_with = "baseline")]
    pub no_baseline: bool,
    /// Report only rules at or above this confidence [default: medium; env: low]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_confidence: Option<ConfidenceArg>,
    /// Skip files larger than this (bytes, or with K, M, G suffix) [default: 10M]
    #[arg(long, value_name = "SIZE", value_parser = keyward::config::parse_size)]
    pub max_file_size: Option<u64>,
    /// Worker threads (0: one per core)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// Output settings every scanning command shares.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Write the report to this file instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets in clear instead of a short redacted prefix
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit 0 even when there are findings
    #[arg(long)]
    pub exit_zero: bool,
    /// Accept what could not be read (a file, a git object, a ref): count it
    /// as skipped instead of exiting 2 [by default an incomplete scan is an
    /// error, whatever it found]
    #[arg(long)]
    pub allow_unreadable: bool,
    /// List skipped files and other details on stderr
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// List baseline entries that matched nothing (fixed, or moved out of scope)
    #[arg(long)]
    pub report_unused: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Readable text, grouped by file
    Human,
    /// One JSON array of findings
    Json,
    /// One JSON object per line
    Jsonl,
    /// SARIF 2.1.0, for code-scanning uploads
    Sarif,
    /// GitLab's secret-detection report, for `artifacts:reports:secret_detection`
    Gitlab,
    /// One self-contained HTML page: summary, timeline, filterable table
    Html,
}

/// What `rules list` writes: the rule set is not a report of findings, so
/// the report formats do not apply.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RulesFormatArg {
    /// A table: id, category, confidence, name, keywords
    Human,
    /// One JSON array of rules
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConfidenceArg {
    Low,
    Medium,
    High,
}

impl From<ConfidenceArg> for Confidence {
    fn from(c: ConfidenceArg) -> Confidence {
        match c {
            ConfidenceArg::Low => Confidence::Low,
            ConfidenceArg::Medium => Confidence::Medium,
            ConfidenceArg::High => Confidence::High,
        }
    }
}

impl CommonArgs {
    pub fn apply(&self, opts: &mut ScanOptions) {
        opts.config.clone_from(&self.config);
        opts.rules.clone_from(&self.rules);
        opts.baseline.clone_from(&self.baseline);
        opts.no_baseline = self.no_baseline;
        opts.min_confidence = self.min_confidence.map(Confidence::from);
        opts.max_file_size = self.max_file_size;
        opts.threads = self.threads;
    }
}

impl OutputArgs {
    /// The report settings; `checkout` is where the scan ran, which only the
    /// GitLab format uses.
    pub fn report_options(&self, color: bool, checkout: Option<Checkout>) -> ReportOptions {
        ReportOptions {
            format: match self.format {
                FormatArg::Human => Format::Human,
                FormatArg::Json => Format::Json,
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Sarif => Format::Sarif,
                FormatArg::Gitlab => Format::Gitlab,
                FormatArg::Html => Format::Html,
            },
            show_secrets: self.show_secrets,
            color,
            checkout,
        }
    }

    /// Whether the report needs the checkout the scan ran in.
    pub fn needs_checkout(&self) -> bool {
        matches!(self.format, FormatArg::Gitlab)
    }
}

impl ScanArgs {
    pub fn scan_options(&self) -> ScanOptions {
        let mut opts = ScanOptions {
            paths: self.paths.clone(),
            no_ignore: self.no_ignore,
            follow_links: self.follow,
            ..ScanOptions::default()
        };
        self.common.apply(&mut opts);
        opts
    }
}
