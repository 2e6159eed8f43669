//! `keyward scan`: the working-tree source, detection through the real
//! binary, output formats, skips and exit codes.

use serde_json::Value;

use crate::fake;
use crate::support::Work;

fn triple(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

/// A leaky tree: one secret of each main category, at known lines.
pub(crate) fn leaky_tree() -> Work {
    let w = Work::new();
    let aws = fake::aws_key_id(1);
    let ghp = fake::github("ghp_", 2);
    let pw = fake::password(3);
    w.write(
        "app/settings.py",
        &format!(
            "# settings\nAWS_ACCESS_KEY_ID = \"{aws}\"\nGITHUB_TOKEN = \"{ghp}\"\nDATABASE_URL = \"postgres://app:{pw}@db.internal:5432/app\"\n"
        ),
    );
    w.write(
        "config/stripe.env",
        &format!("STRIPE_SECRET_KEY={}\n", fake::token("sk_live_", 24, 4)),
    );
    w.write("keys/deploy.pem", &fake::rsa_private_key(5));
    w.write(
        "web/auth.js",
        &format!("// demo\n\nconst session = \"{}\";\n", fake::jwt(6)),
    );
    w.write(
        "ops/values.yaml",
        &format!("db:\n  password: \"{}\"\n", fake::password(7)),
    );
    w.write(
        "ai/client.py",
        &format!(
            "client = Anthropic(api_key=\"{}AA\")\n",
            fake::token("sk-ant-api03-", 93, 8)
        ),
    );
    w
}

/// Each category of secret is found at the right path and line, in
/// (path, line, column, rule) order.
#[test]
fn finds_each_category_at_its_line() {
    let w = leaky_tree();
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.rule_path_line(),
        vec![
            triple("anthropic-api-key", "ai/client.py", 1),
            triple("aws-access-key-id", "app/settings.py", 2),
            triple("github-pat-classic", "app/settings.py", 3),
            triple("postgres-url-password", "app/settings.py", 4),
            triple("stripe-secret-key", "config/stripe.env", 1),
            triple("private-key", "keys/deploy.pem", 1),
            triple("generic-password", "ops/values.yaml", 2),
            triple("jwt", "web/auth.js", 3),
        ]
    );
    let categories: std::collections::BTreeSet<String> = run
        .findings()
        .iter()
        .map(|f| f["category"].as_str().unwrap().to_string())
        .collect();
    assert!(categories.len() >= 7, "{categories:?}");
}

/// Every JSON finding carries the documented fields, redacted by default.
#[test]
fn json_fields_are_complete_and_redacted() {
    let w = Work::new();
    let ghp = fake::github("ghp_", 11);
    w.write("a.txt", &format!("x\n  token={ghp}\n"));
    let run = w.keyward(&["scan", "--format", "json"]);
    let f = &run.findings()[0];
    for key in [
        "rule_id",
        "rule_name",
        "category",
        "confidence",
        "path",
        "line",
        "column",
        "fingerprint",
        "secret",
        "source",
        "commit",
    ] {
        assert!(f.get(key).is_some(), "missing {key} in {f}");
    }
    assert_eq!(f["column"], 9);
    assert_eq!(f["source"], "tree");
    assert_eq!(f["commit"], Value::Null);
    assert_eq!(f["secret"], "ghp_…");
    assert!(!run.stdout.contains(&ghp) && !run.stderr.contains(&ghp));
    let fp = format!(
        "{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(format!("github-pat-classic:{ghp}"))
    );
    assert_eq!(f["fingerprint"], fp.as_str());

    let shown = w.keyward(&["scan", "--format", "json", "--show-secrets"]);
    assert_eq!(shown.findings()[0]["secret"], ghp.as_str());
}

/// Placeholders, documented examples and environment references are quiet.
#[test]
fn placeholders_and_env_references_are_not_reported() {
    let w = Work::new();
    w.write(
        "settings.py",
        "AWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\n\
         GITHUB_TOKEN = \"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n\
         DATABASE_URL = \"postgres://app:${DB_PASSWORD}@db:5432/app\"\n\
         REDIS_URL = \"redis://:$REDIS_PASSWORD@cache:6379\"\n\
         SECRET_KEY = os.environ[\"SECRET_KEY\"]\n\
         API_KEY = \"<YOUR_API_KEY>\"\n\
         password = \"{{ vault_password }}\"\n\
         stripe_key = \"sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\"\n",
    );
    w.write(
        ".env.example",
        "DB_PASSWORD=changeme\nJWT_SECRET=your-jwt-secret-here\nAPI_TOKEN=\n",
    );
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(run.findings(), Vec::<Value>::new(), "{}", run.stdout);
    assert_eq!(run.code, 0);
}

/// Exit codes: 0 clean, 1 findings, 2 for a missing path or a bad flag,
/// and `--exit-zero` reports but exits 0.
#[test]
fn exit_codes() {
    let w = Work::new();
    let (inside, _) = w.git_try(&["rev-parse", "--git-dir"]);
    assert!(
        !inside,
        "the temporary directory must not be in a repository"
    );
    w.write("clean.txt", "nothing here\n");
    assert_eq!(w.keyward(&["scan"]).code, 0);
    w.write("leak.txt", &format!("t={}\n", fake::github("ghp_", 21)));
    assert_eq!(w.keyward(&["scan"]).code, 1);
    let zero = w.keyward(&["scan", "--exit-zero", "--format", "json"]);
    assert_eq!((zero.code, zero.findings().len()), (0, 1));
    let missing = w.keyward(&["scan", "does/not/exist"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("does/not/exist: no such file or directory"),
        "{}",
        missing.stderr
    );
    assert_eq!(w.keyward(&["scan", "--no-such-flag"]).code, 2);
}

/// `.gitignore`d files are skipped by default and scanned with `--no-ignore`.
#[test]
fn no_ignore_includes_ignored_files() {
    let w = Work::repo();
    w.write(".gitignore", "generated/\n");
    w.write(
        "generated/keys.txt",
        &format!("k={}\n", fake::github("ghp_", 31)),
    );
    assert_eq!(w.keyward(&["scan", "--format", "json"]).findings().len(), 0);
    let all = w.keyward(&["scan", "--format", "json", "--no-ignore"]);
    assert_eq!(
        all.rule_path_line(),
        vec![triple("github-pat-classic", "generated/keys.txt", 1)]
    );
}

/// Binary files, files over the size limit and symlinks are skipped, counted
/// in the summary, and listed with `-v`.
#[test]
fn skips_are_counted_and_listed() {
    let w = Work::new();
    let token = fake::github("ghp_", 41);
    w.write_bytes("blob.bin", format!("\0\0{token}").as_bytes());
    w.write("big.txt", &format!("{}\n{token}\n", "a".repeat(4096)));
    w.write("small.txt", "fine\n");
    std::os::unix::fs::symlink(w.join("small.txt"), w.join("link.txt")).unwrap();
    let run = w.keyward(&["scan", "--max-file-size", "1K", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("skipped 3 (1 binary, 1 symlink, 1 too large)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("scanned 1 file ("), "{}", run.stderr);
    let verbose = w.keyward(&["scan", "--max-file-size", "1K", "-v"]);
    assert!(
        verbose
            .stderr
            .contains("skipped big.txt: too large (4138 bytes, limit 1024)"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("skipped blob.bin: binary"),
        "{}",
        verbose.stderr
    );
}

/// A symlink loop with `--follow` is a counted skip, not damage: what it
/// leads back to is scanned at its own path, so the exit code is the
/// findings'.
#[test]
fn symlink_loop_is_skipped_not_fatal() {
    let w = Work::new();
    std::fs::create_dir(w.join("d")).unwrap();
    std::os::unix::fs::symlink(w.join("d"), w.join("d/loop")).unwrap();
    w.write("d/leak.txt", &format!("{}\n", fake::github("ghp_", 51)));
    let run = w.keyward(&["scan", "--follow", "--format", "json", "-v"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings().len(), 1);
    assert!(
        run.stderr.contains("skipped d/loop: symlink"),
        "{}",
        run.stderr
    );
}

/// Invalid UTF-8 around a secret does not stop detection.
#[test]
fn invalid_utf8_is_scanned() {
    let w = Work::new();
    let mut bytes = vec![0xff, 0xfe, b'\n'];
    bytes.extend(format!("key = {}\n", fake::aws_key_id(61)).as_bytes());
    w.write_bytes("latin1.cfg", &bytes);
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![triple("aws-access-key-id", "latin1.cfg", 2)]
    );
}

/// Two runs print the same bytes: output is sorted, not in walk order.
#[test]
fn output_is_deterministic() {
    let w = leaky_tree();
    let a = w.keyward(&["scan", "--format", "jsonl", "--threads", "4"]);
    let b = w.keyward(&["scan", "--format", "jsonl", "--threads", "1"]);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout.lines().count(), 8);
}

/// `keyward:allow` on the line suppresses that line only, and is counted.
#[test]
fn inline_allow_suppresses_one_line() {
    let w = Work::new();
    w.write(
        "a.py",
        &format!(
            "a = \"{}\"  # keyward:allow\nb = \"{}\"\nc = \"{}\"  # keyward:allow aws-access-key-id\n",
            fake::github("ghp_", 71),
            fake::github("ghp_", 72),
            fake::github("ghp_", 73),
        ),
    );
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![
            triple("github-pat-classic", "a.py", 2),
            triple("github-pat-classic", "a.py", 3)
        ]
    );
    assert!(
        run.stderr.contains("suppressed 1 (1 inline, 0 baseline)"),
        "{}",
        run.stderr
    );
}

/// keyward.toml excludes paths; an unknown key is an error naming it.
#[test]
fn config_excludes_and_rejects_unknown_keys() {
    let w = Work::repo();
    w.write(
        "fixtures/leak.txt",
        &format!("{}\n", fake::github("ghp_", 81)),
    );
    w.write("src/leak.txt", &format!("{}\n", fake::github("ghp_", 82)));
    w.write("keyward.toml", "exclude = [\"fixtures/**\"]\n");
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![triple("github-pat-classic", "src/leak.txt", 1)]
    );
    assert!(
        run.stderr.contains("excluded 1 by config"),
        "{}",
        run.stderr
    );
    w.write("keyward.toml", "exclude = []\nexclude_paths = [\"x\"]\n");
    let bad = w.keyward(&["scan"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("exclude_paths"), "{}", bad.stderr);
}

/// `-` scans standard input.
#[test]
fn scans_stdin() {
    let w = Work::new();
    let run = w.keyward_stdin(
        &["scan", "-", "--format", "json"],
        &format!("x\n{}\n", fake::aws_key_id(91)),
    );
    assert_eq!(
        run.rule_path_line(),
        vec![triple("aws-access-key-id", "<stdin>", 2)]
    );
    assert_eq!(run.findings()[0]["source"], "stdin");
}

/// `--output` writes the report to a file and leaves stdout empty.
#[test]
fn output_flag_writes_file() {
    let w = leaky_tree();
    let run = w.keyward(&["scan", "--format", "json", "--output", "report.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let report: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(w.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.len(), 8);
}

/// The human report groups by file, redacts, and says what was scanned.
#[test]
fn human_report_snapshot() {
    let w = Work::new();
    w.write(
        "a/settings.py",
        &format!("X = 1\nKEY = \"{}\"\n", fake::aws_key_id(101)),
    );
    let run = w.keyward(&["scan"]);
    insta::assert_snapshot!(run.stdout, @r"
    a/settings.py
           2:8  aws-access-key-id [high]  AWS access key ID  AKIA…
    ");
    assert!(
        run.stderr
            .starts_with("keyward: 1 finding; scanned 1 file (35 B) in "),
        "{}",
        run.stderr
    );
}

/// Scanning a subdirectory still uses keyward.toml from the repository
/// root, with excludes relative to the scan root.
#[test]
fn config_is_found_at_repository_root() {
    let mut w = Work::repo();
    w.commit(
        "keyward.toml",
        "disable_rules = [\"aws-access-key-id\"]\n",
        "config",
    );
    w.write(
        "svc/a.txt",
        &format!("{}\n{}\n", fake::aws_key_id(111), fake::github("ghp_", 112)),
    );
    let run = w.keyward(&["scan", "svc", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![triple("github-pat-classic", "a.txt", 2)]
    );
}

/// A path named on the command line that cannot be opened (a dangling
/// symbolic link) is an error naming it, not a clean scan of 0 files
/// (issue 24).
#[test]
fn named_path_that_cannot_be_read_is_an_error() {
    let w = Work::new();
    w.write("ok.txt", "nothing here\n");
    std::os::unix::fs::symlink(w.join("gone.txt"), w.join("broken")).unwrap();
    let run = w.keyward(&["scan", "broken", "ok.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with("keyward: error: broken: cannot read"),
        "{}",
        run.stderr
    );
}

/// A scan that skipped every file it met says that nothing was scanned
/// (issue 24).
#[test]
fn scan_that_skipped_everything_says_so() {
    let w = Work::new();
    w.write_bytes("blob.bin", b"\0\x01\x02 binary\n");
    let run = w.keyward(&["scan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("keyward: warning: nothing was scanned: the only file was skipped"),
        "{}",
        run.stderr
    );
    w.write("text.txt", "hello\n");
    let run = w.keyward(&["scan"]);
    assert!(
        !run.stderr.contains("nothing was scanned"),
        "{}",
        run.stderr
    );
}

/// `scan -` applies `--max-file-size` to standard input: past the limit it
/// is a counted too-large skip, not scanned (issue 24).
#[test]
fn stdin_honours_max_file_size() {
    let w = Work::new();
    let input = format!("key = \"{}\"\n{}\n", fake::aws_key_id(91), "x".repeat(4000));
    let run = w.keyward_stdin(
        &["scan", "-", "--max-file-size", "1K", "--format", "json"],
        &input,
    );
    assert_eq!((run.code, run.findings().len()), (0, 0), "{}", run.stderr);
    assert!(
        run.stderr.contains("skipped 1 (1 too large"),
        "{}",
        run.stderr
    );
    let small = w.keyward_stdin(
        &["scan", "-", "--max-file-size", "10K", "--format", "json"],
        &input,
    );
    assert_eq!(small.findings().len(), 1, "{}", small.stderr);
}

/// Two findings on one line are listed by column, whatever their rule ids
/// (issue 24).
#[test]
fn findings_on_one_line_are_ordered_by_column() {
    let w = Work::new();
    w.write(
        "pair.txt",
        &format!(
            "tokens = [\"{}\", \"{}\"]\n",
            fake::github("ghp_", 94),
            fake::aws_key_id(95)
        ),
    );
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found: Vec<(String, u64, u64)> = run
        .findings()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().expect("rule_id").to_string(),
                f["line"].as_u64().expect("line"),
                f["column"].as_u64().expect("column"),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "github-pat-classic", "{found:?}");
    assert_eq!(found[1].0, "aws-access-key-id", "{found:?}");
    assert!(found[0].2 < found[1].2, "{found:?}");
}

/// Counts of one read in the singular (`1 file`, `1 commit`, `1 blob`,
/// `1 more occurrence`) in the summary and the human report (issue 24).
#[test]
fn counts_of_one_are_singular() {
    let w = Work::new();
    w.write("a.txt", "nothing here\n");
    let run = w.keyward(&["scan"]);
    assert!(run.stderr.contains("scanned 1 file ("), "{}", run.stderr);
    let mut r = Work::repo();
    let token = fake::github("ghp_", 96);
    r.commit("a.txt", &format!("{token}\n"), "add");
    let run = r.keyward(&["git"]);
    assert!(
        run.stderr.contains("scanned 1 commit, 1 blob ("),
        "{}",
        run.stderr
    );
    r.commit("b.txt", &format!("{token}\n"), "copy");
    let run = r.keyward(&["git"]);
    assert!(
        run.stdout.contains(", 1 more occurrence\n"),
        "{}",
        run.stdout
    );
    r.commit(
        "b.txt",
        &format!("{token}\n{}\n", fake::aws_key_id(97)),
        "more",
    );
    let run = r.keyward(&["git"]);
    assert!(
        run.stderr.contains("findings in 2 files;"),
        "{}",
        run.stderr
    );
    let run = r.keyward(&["scan", "b.txt"]);
    assert!(
        run.stderr.contains("keyward: 2 findings in 1 file;"),
        "{}",
        run.stderr
    );
}

/// A config file that cannot be read is one error line naming the OS
/// error once (issue 24).
#[test]
fn missing_config_names_the_os_error_once() {
    let w = Work::new();
    let run = w.keyward(&["scan", "--config", "nope.toml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim_end(),
        "keyward: error: nope.toml: cannot read: No such file or directory (os error 2)"
    );
}

/// A path the walk cannot read is one warning, `keyward: warning: PATH:
/// why`, naming the path once; with `-v` it is still printed once
/// (issue 24).
#[test]
fn unreadable_path_is_warned_once() {
    let w = Work::new();
    std::fs::create_dir(w.join("d")).unwrap();
    std::os::unix::fs::symlink("/proc/self/mem", w.join("d/mem")).unwrap();
    w.write("d/a.txt", "nothing here\n");
    for args in [&["scan", "--follow"][..], &["scan", "--follow", "-v"]] {
        let run = w.keyward(args);
        let lines: Vec<&str> = run.stderr.lines().filter(|l| l.contains("d/mem")).collect();
        assert_eq!(lines.len(), 1, "{args:?}: {}", run.stderr);
        assert!(
            lines[0].starts_with("keyward: warning: d/mem: unreadable: "),
            "{}",
            run.stderr
        );
        assert_eq!(lines[0].matches("d/mem").count(), 1, "{}", run.stderr);
    }
}

/// `max_file_size` in keyward.toml takes the flag's syntax (`1K`, `10M`)
/// as well as a number of bytes (issue 24).
#[test]
fn config_max_file_size_takes_units() {
    let w = Work::new();
    w.write(
        "big.txt",
        &format!("{}\n{}\n", "a".repeat(2000), fake::github("ghp_", 98)),
    );
    for setting in ["\"1K\"", "1024", "\"1k\""] {
        w.write("keyward.toml", &format!("max_file_size = {setting}\n"));
        let run = w.keyward(&["scan", "--format", "json"]);
        assert_eq!(run.code, 0, "{setting}: {}", run.stderr);
        assert!(
            run.stderr.contains("skipped 1 (1 too large)"),
            "{setting}: {}",
            run.stderr
        );
    }
    w.write("keyward.toml", "max_file_size = \"10M\"\n");
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(run.findings().len(), 1, "{}", run.stderr);
    w.write("keyward.toml", "max_file_size = \"10Q\"\n");
    let run = w.keyward(&["scan"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("keyward.toml: `10Q` has an unknown unit"),
        "{}",
        run.stderr
    );
}

/// A reader that closes the pipe before the report is written
/// (`keyward scan | head -c1`) changes nothing about what was found: the
/// exit code is still 1.
#[test]
fn findings_exit_1_when_stdout_closes_early() {
    let w = Work::new();
    w.write("leak.txt", &format!("{}\n", fake::github("ghp_", 77)));
    let mut cmd = std::process::Command::new(crate::support::BIN);
    cmd.args(["scan", "."]).current_dir(w.path());
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

/// An unreadable file found while walking is named and makes the exit
/// code 2, while the readable files are still scanned; accepted with
/// `--allow-unreadable`, it is a counted skip. (`/proc/self/mem` fails to
/// read with an I/O error even for root, who reads any file a mode denies.)
#[test]
fn an_unreadable_file_fails_the_scan_unless_accepted() {
    let w = Work::new();
    w.write("leak.txt", &format!("{}\n", fake::github("ghp_", 78)));
    std::os::unix::fs::symlink("/proc/self/mem", w.join("mem")).unwrap();
    let run = w.keyward(&["scan", "--follow", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.findings().len(), 1);
    assert!(
        run.stderr.contains("keyward: warning: mem: unreadable: "),
        "{}",
        run.stderr
    );
    let run = w.keyward(&["scan", "--follow", "--format", "json", "--allow-unreadable"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

/// Files a repository's `keyward.toml` names must be regular files of
/// bounded size: `/dev/zero` as the baseline is refused at once (it was read
/// until memory ran out), a FIFO as a rule file too (it was waited on
/// forever), each in one line naming it.
#[test]
fn settings_files_must_be_regular_files() {
    let w = Work::new();
    w.write("a.txt", "nothing\n");
    w.write("keyward.toml", "baseline = \"/dev/zero\"\n");
    let run = w.keyward(&["scan", "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("/dev/zero") && run.stderr.contains("not a regular file"),
        "{}",
        run.stderr
    );
    let fifo = w.join("rules.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    w.write("keyward.toml", "rules = [\"rules.fifo\"]\n");
    let run = w.keyward(&["scan", "a.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("rules.fifo") && run.stderr.contains("not a regular file"),
        "{}",
        run.stderr
    );
}

/// `scan -` applies the binary check a file gets: input with a NUL in its
/// first 8 KiB is a counted binary skip (issue 22).
#[test]
fn stdin_binary_is_skipped() {
    let w = Work::new();
    let input = format!("\0bin key = \"{}\"\n", fake::aws_key_id(95));
    let run = w.keyward_stdin(&["scan", "-", "--format", "json"], &input);
    assert_eq!((run.code, run.findings().len()), (0, 0), "{}", run.stderr);
    assert!(run.stderr.contains("1 binary"), "{}", run.stderr);
}
