//! Credential files recognised by their name (`files:` rules): a format
//! that says nothing by itself (`host:port:db:user:password`, a bare
//! `key =` under an INI section) is a finding in the file it names, in the
//! working tree, in history (packed and loose) and in a pushed range, and
//! not in a file of another name.

use crate::fake;
use crate::support::{Run, Work};

fn pgpass(seed: u64) -> (String, String) {
    let secret = fake::token("", 18, seed);
    (
        format!("# host:port:db:user:password\ndb.internal:5432:orders:app_user:{secret}\n"),
        secret,
    )
}

/// The rule ids and lines found in `path`.
fn found_in(run: &Run, path: &str) -> Vec<(String, u64)> {
    run.rule_path_line()
        .into_iter()
        .filter(|(_, p, _)| p == path)
        .map(|(rule, _, line)| (rule, line))
        .collect()
}

fn scan(w: &Work) -> Run {
    let run = w.keyward(&["scan", "--no-ignore", "--format", "json", "-v"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    run
}

#[test]
fn credential_files_are_read_by_name_in_the_working_tree() {
    let w = Work::new();
    let (pg, _) = pgpass(1);
    w.write(".pgpass", &pg);
    w.write("deploy/pgpass.conf", &pg);
    // The same lines in a file of another name are data.
    w.write("notes/pgpass-format.txt", &pg);
    // Only the file rule reads the `default` entry; a `machine` entry on
    // one line is the content rule's, and a `password` line alone is also
    // a generic config line (below).
    w.write(
        "home/.netrc",
        &format!("default login deploy password {}\n", fake::token("", 16, 2)),
    );
    w.write(
        "ci/.netrc",
        &format!(
            "machine api.corp.internal\n  login deploy\n  password {}\n",
            fake::token("", 16, 7)
        ),
    );
    w.write(
        "conf/app.ini",
        &format!(
            "[general]\nname = shop\n\n[stripe]\n; from the dashboard\nkey = {}\n",
            fake::token("", 24, 3)
        ),
    );
    w.write(
        "conf/i18n.ini",
        &format!("[translations]\nkey = {}\n", fake::token("", 24, 4)),
    );
    w.write(
        "conf/app.txt",
        &format!("[stripe]\nkey = {}\n", fake::token("", 24, 5)),
    );
    w.write(
        ".my.cnf",
        &format!("[client]\nuser=app\npassword={}\n", fake::token("", 16, 6)),
    );
    let run = scan(&w);
    assert_eq!(found_in(&run, ".pgpass"), [("pgpass-password".into(), 2)]);
    assert_eq!(
        found_in(&run, "deploy/pgpass.conf"),
        [("pgpass-password".into(), 2)]
    );
    assert_eq!(
        found_in(&run, "home/.netrc"),
        [("netrc-file-password".into(), 1)]
    );
    // Found once, under the rule that took it first.
    assert_eq!(found_in(&run, "ci/.netrc").len(), 1);
    assert_eq!(found_in(&run, "ci/.netrc")[0].1, 3);
    assert_eq!(
        found_in(&run, "conf/app.ini"),
        [("ini-section-key".into(), 6)]
    );
    assert_eq!(found_in(&run, ".my.cnf").len(), 1, "{}", run.stdout);
    for quiet in ["notes/pgpass-format.txt", "conf/i18n.ini", "conf/app.txt"] {
        assert_eq!(found_in(&run, quiet), [], "{quiet}");
    }
    // Every file was read: the quiet ones were scanned, not skipped.
    assert!(run.stderr.contains("scanned 9 files"), "{}", run.stderr);
}

/// In history, the pack pass scans a blob before its path is known: a
/// credential file is read again at its path, packed or loose, and a blob
/// of the same bytes under another name stays quiet.
#[test]
fn credential_files_are_found_in_history_packed_and_loose() {
    let mut w = Work::repo();
    let (pg, _) = pgpass(11);
    w.commit(".pgpass", &pg, "pgpass");
    w.commit("docs/pgpass-sample.txt", &pg, "same bytes, another name");
    w.git(&["gc", "-q"]);
    let (pg2, _) = pgpass(12);
    w.commit("ops/.pgpass", &pg2, "loose");
    let run = w.keyward(&["git", "--no-cache", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found: Vec<(String, String)> = run
        .rule_path_line()
        .into_iter()
        .map(|(rule, path, _)| (rule, path))
        .collect();
    assert_eq!(
        found,
        [
            ("pgpass-password".to_string(), ".pgpass".to_string()),
            ("pgpass-password".to_string(), "ops/.pgpass".to_string()),
        ],
        "{}",
        run.stdout
    );
    // The cache holds no path: a second audit through it finds the same.
    let first = w.keyward(&["git", "--format", "json"]);
    let second = w.keyward(&["git", "--format", "json"]);
    assert_eq!(first.rule_path_line(), run.rule_path_line());
    assert_eq!(second.rule_path_line(), run.rule_path_line());
}

/// A pushed range reads a credential file's added lines.
#[test]
fn a_credential_file_in_a_range_is_found_on_its_added_line() {
    let mut w = Work::repo();
    w.commit("README.md", "hello\n", "first");
    let base = w.git(&["rev-parse", "HEAD"]);
    let (pg, _) = pgpass(21);
    w.commit(".pgpass", &pg, "add pgpass");
    let run = w.keyward(&["git", "--since", &base, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.rule_path_line(),
        [("pgpass-password".to_string(), ".pgpass".to_string(), 2)]
    );
}
