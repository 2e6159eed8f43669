//! The keyward binary: parse arguments, call the library, write the report,
//! and map the outcome to an exit code. The only place that exits.

#![forbid(unsafe_code)]

mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, FormatArg, OutputArgs, RulesCommand};
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
            emit(&outcome, &args.output)
        }
        Command::Git(args) => {
            let progress = io::stderr().is_terminal() && std::env::var_os("CI").is_none();
            let outcome = keyward::scan_git(&args.scan_options(progress))?;
            emit(&outcome, &args.output)
        }
        Command::Rules(RulesCommand::List { format, rules }) => {
            let mut set = keyward::rules::RuleSet::embedded()?;
            for file in &rules {
                set.add_file(file)?;
            }
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            keyward::report::write_rules(
                &mut out,
                &set,
                matches!(format, FormatArg::Json | FormatArg::Jsonl),
            )?;
            out.flush()?;
            Ok(EXIT_CLEAN)
        }
        Command::Rules(RulesCommand::Check { files }) => {
            let problems = keyward::rules::check_files(&files);
            for p in &problems {
                eprintln!("{p}");
            }
            if problems.is_empty() {
                eprintln!("keyward: {} file(s) checked, no problems", files.len());
                Ok(EXIT_CLEAN)
            } else {
                eprintln!("keyward: {} problem(s)", problems.len());
                Ok(EXIT_FINDINGS)
            }
        }
    }
}

fn color_for_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
}

/// Writes the report and the summary, and decides the exit code.
fn emit(outcome: &Outcome, output: &OutputArgs) -> anyhow::Result<u8> {
    use anyhow::Context;
    match &output.output {
        Some(path) => {
            let opts = output.report_options(false);
            let mut file = io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("{}: cannot create report file", path.display()))?,
            );
            report::write(&mut file, outcome, &opts)
                .with_context(|| format!("{}: writing report", path.display()))?;
            file.flush()
                .with_context(|| format!("{}: writing report", path.display()))?;
        }
        None => {
            let opts = output.report_options(color_for_stdout());
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            report::write(&mut lock, outcome, &opts)?;
            lock.flush()?;
        }
    }
    eprint!("{}", report::summary(outcome, output.verbose));
    if outcome.findings.is_empty() || output.exit_zero {
        Ok(EXIT_CLEAN)
    } else {
        Ok(EXIT_FINDINGS)
    }
}
