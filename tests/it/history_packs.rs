//! `keyward git` on packed histories: blobs decoded in pack order and
//! searched as deltas of their base report what a whole scan of each
//! version reports; damaged and unusual packs are read or said.

use crate::fake;
use crate::history::{one, one_of};
use crate::support::Work;

/// A long file (scanned against its previous version once it is edited):
/// `lines` numbered filler lines, with `inserts` placed before given lines.
fn long_file(lines: usize, inserts: &[(usize, &str)]) -> String {
    let mut out = String::new();
    for n in 1..=lines {
        for (at, text) in inserts {
            if *at == n {
                out.push_str(text);
                out.push('\n');
            }
        }
        out.push_str(&format!("// filler line {n} of a long source file\n"));
    }
    out
}

/// The audit of the repository's objects as they are (loose, as commits
/// leave them), then once they are packed with deltas: the reports are the
/// same, whether each blob was read and scanned whole or decoded in pack
/// order and searched where its delta changed it. Returns the second.
fn audit_loose_and_packed(w: &Work) -> crate::support::Run {
    let (packed, searched) = audit_both_ways(w);
    assert!(
        searched > 0,
        "no blob was searched as a delta: {}",
        packed.stderr
    );
    packed
}

/// [`audit_loose_and_packed`] without the check that a blob was searched
/// as a delta; with how many were.
fn audit_both_ways(w: &Work) -> (crate::support::Run, usize) {
    let loose = w.keyward(&["git", "--no-cache", "--format", "json"]);
    let (_, deltas) = w.pack();
    assert!(deltas > 0, "git stored no blob as a delta");
    // -v also says how many blobs the pack pass searched where their delta
    // changed them.
    let packed = w.keyward(&["git", "--no-cache", "--format", "json", "-v"]);
    assert!(
        !packed.stderr.contains("cannot read the pack")
            && !packed.stderr.contains("cannot open the pack"),
        "{}",
        packed.stderr
    );
    let searched = delta_searched(&packed);
    assert_eq!(loose.code, packed.code, "{}", packed.stderr);
    assert_eq!(
        loose.findings(),
        packed.findings(),
        "loose and packed audits differ ({deltas} blobs stored as deltas)"
    );
    (packed, searched)
}

/// How many blobs an audit run with `-v` says the pack pass searched where
/// their delta changed them.
fn delta_searched(run: &crate::support::Run) -> usize {
    run.stderr
        .lines()
        .find_map(|l| l.strip_prefix("searched "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no pack pass count: {}", run.stderr))
}

/// Commits three versions of `src/app.py`, `lines` long, each holding
/// `kept` (a line number and its text) and a line at `edited` that changes.
fn edit_three_times(w: &mut Work, lines: usize, kept: (usize, &str), edited: usize) {
    for n in 0..3 {
        let edit = format!("x = {n}");
        w.commit(
            "src/app.py",
            &long_file(lines, &[kept, (edited, &edit)]),
            &format!("edit {n}"),
        );
    }
}

/// A clone that borrows its objects (`git clone --shared`: the original's
/// object directory in `info/alternates`) is audited from the packs it
/// borrows, as the original is: the same findings, blobs searched as
/// deltas.
#[test]
fn a_clone_sharing_objects_reads_the_borrowed_packs() {
    let mut w = Work::repo();
    let line = format!("TOKEN = \"{}\"", fake::github("ghp_", 43));
    edit_three_times(&mut w, 300, (10, &line), 200);
    w.pack();
    let args = ["git", "--no-cache", "--format", "json", "-v"];
    let original = w.keyward(&args);
    let clone = Work::new();
    let from = w.path().to_str().unwrap();
    clone.git(&["clone", "-q", "--shared", from, "."]);
    assert!(clone.join(".git/objects/info/alternates").is_file());
    let borrowed = clone.keyward(&args);
    assert_eq!(borrowed.code, 1, "{}", borrowed.stderr);
    assert_eq!(borrowed.findings(), original.findings());
    assert!(delta_searched(&original) > 0, "{}", original.stderr);
    assert_eq!(delta_searched(&borrowed), delta_searched(&original));
}

/// A commit grafted onto another parent (`info/grafts`) is compared with
/// the parent the revwalk followed, packed or not: a file it shares with
/// its recorded parent but not with its grafted one is new in it.
#[test]
fn a_grafted_commit_is_compared_with_its_grafted_parent() {
    let mut w = Work::repo();
    let key = format!("KEY={}\n", fake::aws_key_id(140));
    w.commit("k.txt", &key, "the key");
    w.git(&["checkout", "-q", "--orphan", "other"]);
    w.git(&["rm", "-rqf", "."]);
    let grafted = w.commit("other.txt", "no secret\n", "elsewhere");
    w.git(&["checkout", "-q", "main"]);
    let child = w.commit("more.txt", "x = 1\n", "child of the key");
    // The other line is reachable through the graft alone.
    w.git(&["branch", "-D", "-q", "other"]);
    std::fs::write(w.join(".git/info/grafts"), format!("{child} {grafted}\n")).unwrap();
    for packed in [false, true] {
        if packed {
            w.git(&["repack", "-adq"]);
        }
        let run = w.keyward(&["git", "--no-cache", "--format", "json"]);
        let f = one(&run);
        assert_eq!(f["path"], "k.txt", "packed: {packed}");
        assert_eq!(f["commit"]["id"], child.as_str(), "packed: {packed}");
    }
}

/// A history in two packs (as an incremental `git repack` leaves it) is
/// reported as it is loose.
#[test]
fn a_history_in_two_packs_is_audited_whole() {
    let mut w = Work::repo();
    let line = format!("TOKEN = \"{}\"", fake::github("ghp_", 44));
    edit_three_times(&mut w, 200, (5, &line), 100);
    w.git(&["repack", "-dq"]);
    let key = format!("KEY={}\n", fake::aws_key_id(141));
    w.commit("later.cfg", &key, "a key");
    w.commit(
        "src/app.py",
        &long_file(200, &[(100, "x = 9")]),
        "token gone",
    );
    let args = ["git", "--no-cache", "--format", "json"];
    let loose = w.keyward(&args);
    w.git(&["repack", "-dq"]);
    let packs = std::fs::read_dir(w.join(".git/objects/pack"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pack")
        })
        .count();
    assert_eq!(packs, 2);
    let packed = w.keyward(&args);
    assert_eq!(loose.findings().len(), 2, "{}", loose.stdout);
    assert_eq!(packed.findings(), loose.findings());
}

/// Edits far from a secret in a long file (versions scanned only where they
/// changed) still hold it: the secret's sightings list every version, and
/// its removal is dated to the commit that took its line out, not to the
/// first edit after it came in.
#[test]
fn edits_elsewhere_in_a_file_keep_its_secret() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 41);
    let line = format!("TOKEN = \"{token}\"");
    let added = w.commit("src/app.py", &long_file(300, &[(10, &line)]), "add");
    let edit1 = w.commit(
        "src/app.py",
        &long_file(300, &[(10, &line), (200, "x = 1")]),
        "edit far below",
    );
    let edit2 = w.commit(
        "src/app.py",
        &long_file(300, &[(10, &line), (200, "x = 2"), (250, "y = 3")]),
        "edit again",
    );
    let run = audit_loose_and_packed(&w);
    let f = one(&run);
    assert_eq!(f["commit"]["id"], added.as_str());
    assert_eq!(f["line"], 10);
    assert_eq!(f["still_in_head"], true, "{f}");
    let sightings: Vec<&str> = f["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["commit"].as_str().unwrap())
        .collect();
    assert_eq!(sightings, vec![edit1.as_str(), edit2.as_str()]);

    let removed = w.commit(
        "src/app.py",
        &long_file(300, &[(200, "x = 2"), (250, "y = 3")]),
        "remove the token",
    );
    w.commit(
        "src/app.py",
        &long_file(300, &[(200, "x = 4"), (250, "y = 3")]),
        "later edit",
    );
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["still_in_head"], false, "{f}");
    assert_eq!(f["removed_in"]["id"], removed.as_str());
}

/// A value that becomes a secret because the line before it changed (a key
/// renamed above a YAML value) is found in the version that renamed it,
/// though the value's own line did not change.
#[test]
fn a_changed_neighbour_line_is_searched() {
    let mut w = Work::repo();
    let value = fake::token("", 40, 42);
    let before = format!("aws_note:\n  {value}");
    w.commit(
        "deploy/config.yaml",
        &long_file(300, &[(150, &before)]),
        "a note",
    );
    let quiet = w.keyward(&["git", "--format", "json"]);
    assert!(quiet.findings().is_empty(), "{}", quiet.stdout);
    let after = format!("aws_secret_access_key:\n  {value}");
    let renamed = w.commit(
        "deploy/config.yaml",
        &long_file(300, &[(150, &after)]),
        "rename the key",
    );
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["rule_id"], "aws-secret-access-key");
    assert_eq!(f["commit"]["id"], renamed.as_str());
    assert_eq!(f["line"], 151);
}

/// A version whose previous version was not scanned (binary: it held a NUL
/// byte) is scanned whole, though most of its lines did not change.
#[test]
fn a_version_after_a_binary_one_is_scanned_whole() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 43);
    let text = long_file(300, &[(100, &format!("TOKEN = \"{token}\""))]);
    w.commit("data/blob.txt", &format!("\0\n{text}"), "binary");
    let text_commit = w.commit("data/blob.txt", &format!("header\n{text}"), "text");
    let (packed, searched) = audit_both_ways(&w);
    // Whichever of the two git made the delta, the text is scanned whole.
    assert_eq!(searched, 0, "{}", packed.stderr);
    let f = one(&packed);
    assert_eq!(f["commit"]["id"], text_commit.as_str());
    assert_eq!(f["line"], 101);
}

/// The cache records every match each version holds, however it was
/// scanned (here, packed, one version is a delta of the other and takes the
/// token from it), and a second audit reads every version back from it
/// with the same findings and lifecycle.
#[test]
fn cache_keeps_every_match_of_each_version() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 44);
    let line = format!("TOKEN = \"{token}\"");
    w.commit("src/app.py", &long_file(300, &[(10, &line)]), "add");
    w.commit(
        "src/app.py",
        &long_file(300, &[(10, &line), (200, "x = 1")]),
        "edit",
    );
    let (_, deltas) = w.pack();
    assert_eq!(deltas, 1);
    let first = w.keyward(&["git", "--format", "json"]);
    let cache_dir = w.join(".git/keyward");
    let entries: String = std::fs::read_dir(&cache_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for version in ["HEAD:src/app.py", "HEAD~1:src/app.py"] {
        let id = w.git(&["rev-parse", version]);
        let entry = entries
            .lines()
            .find(|l| l.starts_with(&id))
            .unwrap_or_else(|| panic!("no entry for {version}: {entries}"));
        let fields: Vec<&str> = entry.split(' ').collect();
        assert_eq!(fields.len(), 2, "{entry}");
        let parts: Vec<&str> = fields[1].split(':').collect();
        assert_eq!(parts.len(), 5, "{entry}");
        let (start, end): (usize, usize) = (parts[1].parse().unwrap(), parts[2].parse().unwrap());
        let text = w.git(&["cat-file", "blob", version]);
        assert_eq!(&text[start..end], token, "{entry}");
    }
    let second = w.keyward(&["git", "--format", "json"]);
    assert!(
        second.stderr.contains("2 blobs (0 B, 2 from cache)"),
        "{}",
        second.stderr
    );
    assert_eq!(first.findings(), second.findings());
    assert_eq!(one(&second)["still_in_head"], true);
}

/// A pack that cannot be read to its end (a blob's compressed bytes
/// damaged) is said so; the blobs the pack pass did not reach are read one
/// by one, the damaged one is named as unreadable (exit 2), and the secrets
/// in the others are all reported.
#[test]
fn a_damaged_pack_is_said_and_its_other_blobs_still_scanned() {
    let mut w = Work::repo();
    let tokens: Vec<String> = (0..3).map(|i| fake::github("ghp_", 60 + i)).collect();
    for (i, token) in tokens.iter().enumerate() {
        let line = format!("TOKEN = \"{token}\"");
        w.commit(
            &format!("src/app{i}.py"),
            &long_file(100, &[(5, &line)]),
            "add",
        );
    }
    // Incompressible text, so its bytes in the pack are its own.
    let noise = fake::base64_bytes(30_000, 61);
    let noise_commit = w.commit("data/noise.txt", &noise, "noise");
    let (idx, _) = w.pack();
    let id = w.git(&["rev-parse", &format!("{noise_commit}:data/noise.txt")]);
    let listing = w.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
    let offset: usize = listing
        .lines()
        .find(|l| l.starts_with(&id))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|o| o.parse().ok())
        .expect("the noise blob's offset");
    let pack = idx.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    for b in &mut bytes[offset + 1000..offset + 1100] {
        *b = !*b;
    }
    // Packs are written read-only.
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();

    let run = w.keyward(&["git", "--no-cache", "--format", "json", "-v"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read the pack to its end"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("data/noise.txt") && run.stderr.contains("unreadable"),
        "{}",
        run.stderr
    );
    let found: Vec<String> = run
        .findings()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, vec!["src/app0.py", "src/app1.py", "src/app2.py"]);
}

/// A pack completed from a thin one (as a fetch leaves it before `git gc`)
/// holds deltas made on bases appended after them: the pack pass still
/// decodes them in order and searches them as deltas.
#[test]
fn a_pack_with_forward_delta_bases_is_read() {
    let mut w = Work::repo();
    let tokens: Vec<String> = (0..2).map(|i| fake::github("ghp_", 70 + i)).collect();
    let line = |i: usize| format!("TOKEN_{i} = \"{}\"", tokens[i]);
    w.commit("src/app.py", &long_file(300, &[]), "base");
    w.git(&["tag", "base"]);
    w.commit("src/app.py", &long_file(300, &[(100, &line(0))]), "one");
    w.commit(
        "src/app.py",
        &long_file(300, &[(100, &line(0)), (200, &line(1))]),
        "two",
    );
    let run = |dir: &std::path::Path, args: &[&str], stdin: &[u8]| -> Vec<u8> {
        use std::io::Write;
        let mut cmd = std::process::Command::new("git");
        cmd.args(args)
            .current_dir(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        crate::support::git_env(&mut cmd, 3);
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        out.stdout
    };
    // A thin pack of what `base` lacks, its deltas made on objects outside it.
    let thin = run(
        w.path(),
        &["pack-objects", "--thin", "--stdout", "--revs", "-q"],
        b"main\n^base\n",
    );
    // A second repository holding `base`, completed from the thin pack.
    let other = Work::repo();
    other.git(&[
        "fetch",
        "-q",
        w.path().to_str().unwrap(),
        "refs/tags/base:refs/tags/base",
    ]);
    run(
        other.path(),
        &["index-pack", "--fix-thin", "--stdin"],
        &thin,
    );
    let head = w.git(&["rev-parse", "main"]);
    other.git(&["update-ref", "refs/heads/main", &head]);
    // The completed pack: a blob delta whose base comes after it.
    let dir = other.join(".git/objects/pack");
    let listing: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .map(|idx| other.git(&["verify-pack", "-v", idx.to_str().unwrap()]))
        .collect::<Vec<_>>()
        .join("\n");
    let rows: Vec<Vec<&str>> = listing
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|f: &Vec<&str>| f.len() >= 5 && f[0].len() == 40)
        .collect();
    let offset = |id: &str| -> Option<u64> {
        rows.iter()
            .find(|f| f[0] == id)
            .and_then(|f| f[4].parse().ok())
    };
    let forward = rows.iter().any(|f| {
        f.len() >= 7
            && f[1] == "blob"
            && offset(f[6]).is_some_and(|base| base > f[4].parse().unwrap())
    });
    assert!(forward, "no blob delta on a later base:\n{listing}");
    let audit = other.keyward(&["git", "--no-cache", "--format", "json", "-v"]);
    assert!(
        !audit.stderr.contains("cannot read the pack"),
        "{}",
        audit.stderr
    );
    assert!(delta_searched(&audit) > 0, "{}", audit.stderr);
    let mut found: Vec<u64> = audit
        .findings()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    found.sort_unstable();
    assert_eq!(found, vec![100, 201], "{}", audit.stdout);
}

/// The version before and after a commit, scanned against each other, as
/// a whole scan of each would see them: a multi-line rule's match counts
/// when any line it spans changed (here a section header between the
/// `[pypi]` line and the password, removed).
#[test]
fn a_multiline_match_counts_when_its_context_changed() {
    let mut w = Work::repo();
    let password = fake::password(51);
    let section = |extra: &str| {
        format!(
            "[pypi]\n{extra}username = __token__\nrepository = https://upload.pypi.org/legacy/\npassword = {password}\n"
        )
    };
    w.commit(
        ".pypirc",
        &long_file(200, &[(1, &section("[x]\n"))]),
        "two sections",
    );
    let joined = w.commit(
        ".pypirc",
        &long_file(200, &[(1, &section(""))]),
        "one section",
    );
    let pypirc = one_of(&audit_loose_and_packed(&w), "pypirc-password");
    assert_eq!(pypirc["commit"]["id"], joined.as_str());
    assert_eq!(pypirc["still_in_head"], true);
}

/// Kubernetes Secret data is secret because of its document's `kind:`: a
/// ConfigMap turned into a Secret far above a value that did not change
/// makes that value a finding.
#[test]
fn a_kind_change_makes_secret_data() {
    use base64::Engine;
    let mut w = Work::repo();
    let value = base64::engine::general_purpose::STANDARD.encode(fake::aws_key_id(52));
    let manifest = |kind: &str| {
        let filler: String = (0..150)
            .map(|n| format!("# note {n} about this deployment\n"))
            .collect();
        format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: app\n{filler}data:\n  KEY_ID: {value}\n")
    };
    w.commit("k8s/app.yaml", &manifest("ConfigMap"), "a config map");
    let secret = w.commit("k8s/app.yaml", &manifest("Secret"), "a secret");
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["rule_id"], "aws-access-key-id");
    assert_eq!(f["commit"]["id"], secret.as_str());
}

/// A file whose line endings changed has every line changed: a private key
/// converted to CRLF is a new secret (its bytes differ) and is found.
#[test]
fn line_ending_changes_are_changes() {
    let mut w = Work::repo();
    w.git(&["config", "core.autocrlf", "false"]);
    let text = long_file(120, &[(60, fake::rsa_private_key(53).trim_end())]);
    let lf = w.commit("keys/id.pem.txt", &text, "lf");
    let crlf = w.commit("keys/id.pem.txt", &text.replace('\n', "\r\n"), "crlf");
    let run = w.keyward(&["git", "--format", "json"]);
    let mut firsts: Vec<(String, bool)> = run
        .findings()
        .iter()
        .map(|f| {
            (
                f["commit"]["id"].as_str().unwrap().to_string(),
                f["still_in_head"].as_bool().unwrap(),
            )
        })
        .collect();
    firsts.sort();
    let mut expected = vec![(lf, false), (crlf, true)];
    expected.sort();
    assert_eq!(firsts, expected, "{}", run.stdout);
}

/// A secret is carried to a later version only where that version's own
/// scan would find it: a value line kept, whose key line was deleted, is
/// no longer a secret, though an identical line stands elsewhere.
#[test]
fn a_kept_line_is_carried_only_if_it_still_matches() {
    let mut w = Work::repo();
    let value = fake::token("", 40, 54);
    let keyed = format!("aws_secret_access_key:\n  {value}\nx");
    let bare = format!("y\n  {value}\nx");
    w.commit(
        "deploy/app.yaml",
        &long_file(200, &[(1, &keyed), (150, &bare)]),
        "a key and a copy",
    );
    let removed = w.commit(
        "deploy/app.yaml",
        &long_file(200, &[(1, "x"), (150, &bare)]),
        "drop the key",
    );
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["still_in_head"], false, "{f}");
    assert_eq!(f["removed_in"]["id"], removed.as_str());
}

/// A cached version holds its own matches, whatever becomes of the version
/// it was scanned against: with a size limit that now skips that one, the
/// cached version's secret is still reported, as an audit without the
/// cache reports it.
#[test]
fn cached_versions_keep_their_secrets_when_their_base_is_skipped() {
    let mut w = Work::repo();
    let token = fake::github("ghp_", 55);
    let line = format!("TOKEN = \"{token}\"");
    let long = long_file(180, &[(1, &line)]);
    let short = long_file(120, &[(1, &line)]);
    assert!(long.len() > 6 * 1024 && short.len() < 6 * 1024 && short.len() > 4096);
    w.commit("src/app.py", &long, "long");
    let shortened = w.commit("src/app.py", &short, "short");
    w.pack();
    let first = w.keyward(&["git", "--format", "json"]);
    assert_eq!(first.findings().len(), 1, "{}", first.stdout);
    let limited = w.keyward(&["git", "--max-file-size", "6K", "--format", "json"]);
    let f = one(&limited);
    assert_eq!(f["commit"]["id"], shortened.as_str(), "{}", limited.stderr);
    let uncached = w.keyward(&[
        "git",
        "--no-cache",
        "--max-file-size",
        "6K",
        "--format",
        "json",
    ]);
    assert_eq!(limited.findings(), uncached.findings());
}

/// A match that a stronger one hid in the version before (a password under
/// a `[pypi]` header is the pypirc rule's, not also a generic one) is found
/// once the stronger one is gone, though its own line did not change.
#[test]
fn a_match_hidden_by_a_stronger_one_shows_when_it_goes() {
    let mut w = Work::repo();
    let password = fake::password(56);
    let section = |header: &str| format!("{header}\nusername = __token__\npassword = {password}");
    w.commit(
        ".pypirc",
        &long_file(200, &[(80, &section("[pypi]"))]),
        "pypi",
    );
    let renamed = w.commit(
        ".pypirc",
        &long_file(200, &[(80, &section("[other]"))]),
        "other",
    );
    let generic = one_of(&audit_loose_and_packed(&w), "generic-password");
    assert_eq!(generic["commit"]["id"], renamed.as_str());
    assert_eq!(generic["still_in_head"], true);
}

/// A multi-line rule's window reaches past its hit by its reach and two
/// cut lines: a keyword on a 6 KiB line still holds its secret when the
/// file is edited far below, and the secret stays in HEAD.
#[test]
fn a_long_keyword_line_keeps_its_multiline_secret() {
    let mut w = Work::repo();
    let token = fake::token("", 26, 57);
    let head = format!(
        "credentials \"{}\" {{\n  token = \"{token}\"\n}}",
        "a".repeat(6134)
    );
    w.commit("main.tf", &long_file(100, &[(1, &head)]), "credentials");
    w.commit(
        "main.tf",
        &long_file(100, &[(1, &head), (90, "# edited")]),
        "edit below",
    );
    let f = one(&audit_loose_and_packed(&w));
    assert_eq!(f["rule_id"], "terraformrc-token");
    assert_eq!(f["still_in_head"], true, "{f}");
}
