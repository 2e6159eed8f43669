//! `keyward completions` and `keyward man`: the scripts and the page that
//! clap's generators write from the command definitions, checked by the
//! shells and formatters that read them when the machine has them.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::Work;

const SUBCOMMANDS: [&str; 6] = ["scan", "git", "env", "hook", "baseline", "rules"];

/// Runs `program args` with `input` on standard input; `None` when the
/// program is not installed, else (success, stderr).
fn feed(program: &str, args: &[&str], input: &str) -> Option<(bool, String)> {
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("{program} does not start: {e}"),
    };
    child
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(input.as_bytes())
        .expect("write to the checker");
    let out = child.wait_with_output().expect("checker finishes");
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn script(shell: &str) -> String {
    let run = Work::new().keyward(&["completions", shell]);
    assert_eq!(run.code, 0, "completions {shell}: {}", run.stderr);
    for sub in SUBCOMMANDS {
        assert!(
            run.stdout.contains(sub),
            "the {shell} script does not mention `{sub}`"
        );
    }
    run.stdout
}

/// The bash script parses (`bash -n`) and completes every subcommand.
#[test]
fn bash_script_parses() {
    let text = script("bash");
    let (ok, err) = feed("bash", &["-n"], &text).expect("bash is installed");
    assert!(ok, "bash -n rejects the script: {err}");
}

/// The zsh and fish scripts parse when those shells are installed; else
/// they are at least written and name every subcommand.
#[test]
fn zsh_and_fish_scripts_parse_where_the_shell_exists() {
    for shell in ["zsh", "fish"] {
        let text = script(shell);
        // zsh and fish check syntax from a file, not from standard input.
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), &text).expect("write script");
        let path = file.path().to_str().expect("utf-8 temp path");
        match feed(shell, &["-n", path], "") {
            Some((ok, err)) => assert!(ok, "{shell} -n rejects the script: {err}"),
            None => eprintln!("{shell} is not installed: its script is only checked for content"),
        }
    }
}

/// The PowerShell script is written and names every subcommand.
#[test]
fn powershell_script_names_subcommands() {
    assert!(script("powershell").contains("Register-ArgumentCompleter"));
}

/// An unknown shell is a usage error (exit 2) naming the choices.
#[test]
fn unknown_shell_is_a_usage_error() {
    let run = Work::new().keyward(&["completions", "tcsh"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bash"), "{}", run.stderr);
}

/// `keyward man` is a roff page headed `.TH keyward 1` (after the string
/// definitions clap_mangen puts first) that lists the subcommands and
/// renders without complaint where groff or man is installed.
#[test]
fn man_page_is_roff_that_renders() {
    let run = Work::new().keyward(&["man"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = run.stdout;
    let first_section = page.find("\n.SH ").expect("a .SH section");
    let header = page.find("\n.TH keyward 1").expect("a .TH header");
    assert!(
        page.starts_with('.'),
        "not roff: {:?}",
        &page[..40.min(page.len())]
    );
    assert!(
        header < first_section,
        "the .TH header comes after a section"
    );
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("keyward\\-{sub}")),
            "the page does not list `{sub}`"
        );
    }
    let rendered = feed("groff", &["-man", "-Tutf8", "-z"], &page)
        .map(|r| ("groff", r))
        .or_else(|| feed("man", &["-l", "-"], &page).map(|r| ("man", r)));
    match rendered {
        Some((tool, (ok, err))) => {
            assert!(ok, "{tool} fails on the page: {err}");
            assert!(
                !err.contains("warning") && !err.contains("error"),
                "{tool} complains about the page: {err}"
            );
        }
        None => eprintln!("neither groff nor man is installed: the page is not rendered"),
    }
}
