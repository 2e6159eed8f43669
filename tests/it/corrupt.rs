//! A damaged repository never passes as clean. Each case is a real
//! repository with a real defect (an object deleted or its bytes broken, a
//! ref file of garbage, a partial clone): the audit names what it could not
//! read, exits 2, and still reports every finding outside the damage,
//! compared with the audit of the same repository intact.

use std::path::PathBuf;

use crate::fake;
use crate::support::{Run, Work};

/// A repository with a key on `main`, a side branch whose second commit
/// adds another key, and a later key on `main`: the side branch's first
/// commit (`side_first`), its tree and blob are what the cases damage.
pub(crate) struct Repo {
    pub(crate) w: Work,
    pub(crate) side_first: String,
}

pub(crate) fn repo() -> Repo {
    let mut w = Work::repo();
    w.commit(
        "app/config.py",
        &format!("AWS_KEY = \"{}\"\n", fake::aws_key_id(801)),
        "main key",
    );
    w.commit("README.md", "hello\n", "readme");
    w.git(&["checkout", "-q", "-b", "side"]);
    let side_first = w.commit("side/notes.txt", "side notes only\n", "side notes");
    w.commit(
        "side/keys.py",
        &format!("K = \"{}\"\n", fake::aws_key_id(802)),
        "side key",
    );
    w.git(&["checkout", "-q", "main"]);
    w.commit(
        "late.py",
        &format!("LATE = \"{}\"\n", fake::aws_key_id(803)),
        "late key",
    );
    Repo { w, side_first }
}

pub(crate) const AUDIT: &[&str] = &["git", "--no-cache", "--format", "json", "-v"];

/// The paths of the findings, sorted.
pub(crate) fn paths(run: &Run) -> Vec<String> {
    let mut p: Vec<String> = run
        .findings()
        .iter()
        .map(|f| f["path"].as_str().expect("path").to_string())
        .collect();
    p.sort();
    p
}

pub(crate) const ALL: [&str; 3] = ["app/config.py", "late.py", "side/keys.py"];

impl Repo {
    pub(crate) fn loose(&self, oid: &str) -> PathBuf {
        self.w
            .join(&format!(".git/objects/{}/{}", &oid[..2], &oid[2..]))
    }

    pub(crate) fn rev(&self, spec: &str) -> String {
        self.w.git(&["rev-parse", spec])
    }

    /// Packs every object without deltas (so that no other object is made
    /// from `oid`'s) and flips two bytes inside `oid`'s compressed data.
    pub(crate) fn flip_packed(&self, oid: &str) {
        self.w.git(&["repack", "-adq", "--window=0"]);
        let dir = self.w.join(".git/objects/pack");
        let idx = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .unwrap();
        let listing = self.w.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
        let (size, offset) = listing
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.first() == Some(&oid))
            .map(|f| {
                (
                    f[3].parse::<usize>().unwrap(),
                    f[4].parse::<usize>().unwrap(),
                )
            })
            .expect("the object is in the pack");
        let pack = idx.with_extension("pack");
        let mut bytes = std::fs::read(&pack).unwrap();
        // Past the entry's header (a few bytes) and zlib's two, inside the
        // data.
        for b in &mut bytes[offset + size / 2..offset + size / 2 + 2] {
            *b ^= 0xff;
        }
        make_writable(&pack);
        std::fs::write(&pack, bytes).unwrap();
    }

    /// Audits, checks the exit code is 2, that `named` is named on stderr
    /// and that `found` are the findings.
    pub(crate) fn assert_damaged(&self, named: &str, found: &[&str]) -> Run {
        let run = self.w.keyward(AUDIT);
        assert_eq!(run.code, 2, "exit code; stderr:\n{}", run.stderr);
        assert!(
            run.stderr.contains(named),
            "`{named}` not named:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("the scan is incomplete"),
            "{}",
            run.stderr
        );
        assert_eq!(paths(&run), found, "{}", run.stderr);
        run
    }
}

/// The intact repository: every key, exit 1, nothing unreadable.
#[test]
fn intact_repository_reports_every_key() {
    let r = repo();
    let run = r.w.keyward(AUDIT);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(paths(&run), ALL);
    assert!(!run.stderr.contains("unreadable"), "{}", run.stderr);
}

/// A side branch's commit deleted: the audit names it and walks on through
/// its child and the other refs.
#[test]
fn a_deleted_commit_is_named_and_the_walk_goes_past_it() {
    let r = repo();
    std::fs::remove_file(r.loose(&r.side_first)).unwrap();
    r.assert_damaged(&r.side_first, &ALL);
    // Accepted, it is a counted skip and the exit code is the findings'.
    let run = r.w.keyward(&[AUDIT, &["--allow-unreadable"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(paths(&run), ALL);
}

/// A commit whose zlib stream is broken, loose.
#[test]
fn a_commit_with_a_corrupt_stream_is_named() {
    let r = repo();
    let path = r.loose(&r.side_first);
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().skip(4).take(8) {
        *b ^= 0x5a;
    }
    make_writable(&path);
    std::fs::write(&path, bytes).unwrap();
    r.assert_damaged(&r.side_first, &ALL);
}

/// Packed: bytes flipped inside the side commit's compressed data (packed
/// without deltas, so that no other object is made from it).
#[test]
fn a_packed_commit_with_flipped_bytes_is_named() {
    let r = repo();
    r.flip_packed(&r.side_first);
    r.assert_damaged(&r.side_first, &ALL);
}

/// A ref file of garbage: libgit2 passes over it in silence; keyward names it.
#[test]
fn a_garbage_ref_is_named() {
    let r = repo();
    r.w.write(".git/refs/heads/broken", "this is not an object id\n");
    r.assert_damaged("refs/heads/broken", &ALL);
}

/// A ref to a commit that is not there.
#[test]
fn a_ref_to_a_missing_commit_is_named() {
    let r = repo();
    r.w.write(".git/refs/heads/ghost", &format!("{}\n", "3".repeat(40)));
    r.assert_damaged("refs/heads/ghost", &ALL);
}

/// A blob deleted: its path is named; the keys elsewhere are reported.
#[test]
fn a_missing_blob_is_named() {
    let r = repo();
    let blob = r.rev("side:side/notes.txt");
    std::fs::remove_file(r.loose(&blob)).unwrap();
    r.assert_damaged("side/notes.txt", &ALL);
}

/// The tree of a directory deleted: the secret in it cannot be found and
/// that is said; the others are reported.
#[test]
fn a_missing_tree_is_named() {
    let r = repo();
    let tree = r.rev("side:side");
    std::fs::remove_file(r.loose(&tree)).unwrap();
    r.assert_damaged(&tree, &["app/config.py", "late.py"]);
}

/// A truncated pack is not a clean repository.
#[test]
fn a_truncated_pack_is_not_clean() {
    let r = repo();
    let (idx, _) = r.w.pack();
    let pack = idx.with_extension("pack");
    let bytes = std::fs::read(&pack).unwrap();
    make_writable(&pack);
    std::fs::write(&pack, &bytes[..bytes.len() / 2]).unwrap();
    let run = r.w.keyward(AUDIT);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// A blobless clone lacks the blobs its remote promised: the audit says it
/// is a partial clone and how to make its objects local.
#[test]
fn a_partial_clone_is_named_as_such() {
    let r = repo();
    r.w.git(&["config", "uploadpack.allowfilter", "true"]);
    let clone = Work::new();
    let url = format!("file://{}", r.w.path().display());
    clone.git(&[
        "clone",
        "-q",
        "--filter=blob:none",
        "--no-checkout",
        &url,
        "c",
    ]);
    let run = crate::support::keyward_in(&clone.join("c"), AUDIT);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("partial clone"), "{}", run.stderr);
}

/// A shallow clone's boundary is not damage: it is said, and the exit code
/// is the findings'.
#[test]
fn a_shallow_clone_is_not_an_error() {
    let r = repo();
    let clone = Work::new();
    let url = format!("file://{}", r.w.path().display());
    clone.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        &url,
        "c",
    ]);
    let run = crate::support::keyward_in(&clone.join("c"), AUDIT);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

pub(crate) fn make_writable(path: &std::path::Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

/// `env --history` walks the same way: an env file committed on `main` is
/// still reported when a side branch's commit is gone, and the missing
/// commit is named.
#[test]
fn env_history_goes_past_a_deleted_commit() {
    let r = repo();
    let mut w = r.w;
    w.commit(".env", "DB_PASSWORD=correct-horse-battery\n", "env file");
    std::fs::remove_file(w.join(&format!(
        ".git/objects/{}/{}",
        &r.side_first[..2],
        &r.side_first[2..]
    )))
    .unwrap();
    let run = w.keyward(&["env", "--history", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&r.side_first), "{}", run.stderr);
    assert!(
        run.findings()
            .iter()
            .any(|f| f["rule_id"] == "env-in-history" && f["path"] == ".env"),
        "{}",
        run.stdout
    );
}

/// An index entry whose offset lies past the end of its pack: libgit2
/// trusts it and reads outside the mapping (a segmentation fault). keyward
/// names the index and exits 2, for the audit, the range scan and a
/// working-tree scan whose report names the checked-out commit.
#[test]
fn an_index_offset_past_the_pack_is_an_error_not_a_crash() {
    let r = repo();
    let (idx, _) = r.w.pack();
    let mut bytes = std::fs::read(&idx).unwrap();
    // Version 2: an 8-byte header, 256 fan-out words (the last is the
    // object count), the ids, the CRCs, then 4-byte offsets.
    let count = u32::from_be_bytes(bytes[8 + 255 * 4..8 + 256 * 4].try_into().unwrap()) as usize;
    let offsets = 8 + 256 * 4 + count * 24;
    bytes[offsets..offsets + 4].copy_from_slice(&10_000_000u32.to_be_bytes());
    make_writable(&idx);
    std::fs::write(&idx, bytes).unwrap();
    for args in [
        AUDIT,
        &["git", "--range", "main~1..main"][..],
        &["scan", ".", "--format", "sarif"][..],
    ] {
        let run = r.w.keyward(args);
        let name = idx.file_name().unwrap().to_str().unwrap();
        if args[0] == "scan" {
            // The files are read from the work tree: no object is needed.
            assert!(run.code == 1, "{args:?}: {}", run.stderr);
            continue;
        }
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(name) && run.stderr.contains("outside its pack"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

/// A pack of damaged blob entries, written into a real repository whose
/// tree names them beside an intact file with a key: two blobs each a delta
/// of the other, a delta by offset naming itself, and a blob whose header
/// declares 1 GiB for one byte of data, one that declares fewer bytes
/// than its data holds (a key after them was missed) and one that declares
/// more (zero-padded, it passed as binary). libgit2's one-by-one reading of
/// such a chain grew without end (15 GB in two minutes); keyward's reader
/// stops, names each blob and exits 2, and the key is still found. The run
/// is held to 2 GiB of address space, so a runaway fails the test rather
/// than the machine.
#[test]
fn damaged_delta_chains_are_named_not_followed() {
    use keyward_git::pack::craft::{header, pack_and_index, zlib};
    let hex = |id: &[u8; 20]| id.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let id = |n: u8| [0xa0 + n; 20];
    let (blob, ofs_delta, ref_delta) = (3, 6, 7);
    // Base size 1, result size 1, copy one byte from offset 0.
    let delta = zlib(&[1, 1, 0x90, 1]);
    let entries: Vec<([u8; 20], Vec<u8>)> = vec![
        // An intact blob first: the pack pass traverses from the first entry.
        (id(6), [header(blob, 6), zlib(b"hello\n")].concat()),
        (id(1), [header(blob, 1 << 30), zlib(b"x")].concat()),
        (
            id(2),
            [header(ref_delta, 4), id(3).to_vec(), delta.clone()].concat(),
        ),
        (
            id(3),
            [header(ref_delta, 4), id(2).to_vec(), delta.clone()].concat(),
        ),
        (id(4), [header(ofs_delta, 4), vec![0], delta].concat()),
        // Declares 40 bytes; its data holds 10 (it was zero-padded and
        // passed as binary).
        (id(7), [header(blob, 40), zlib(b"0123456789")].concat()),
        // Declares 5 bytes; its data holds a key after them.
        (
            id(5),
            [
                header(blob, 5),
                zlib(format!("hello KEY={}", fake::aws_key_id(805)).as_bytes()),
            ]
            .concat(),
        ),
    ];
    let (pack, idx) = pack_and_index(&entries);

    let mut w = Work::repo();
    w.write_bytes(".git/objects/pack/pack-damaged.pack", &pack);
    w.write_bytes(".git/objects/pack/pack-damaged.idx", &idx);
    let key = w.store(
        "blob",
        format!("AWS_KEY = \"{}\"\n", fake::aws_key_id(804)).as_bytes(),
    );
    let mut files = vec![("config.py", key.as_str())];
    let names = [
        "big.txt",
        "loop-a.txt",
        "loop-b.txt",
        "self.txt",
        "short.txt",
        "hello.txt",
        "padded.txt",
    ];
    let ids: Vec<String> = (1..=7).map(|n| hex(&id(n))).collect();
    for (name, oid) in names.iter().zip(&ids) {
        files.push((name, oid));
    }
    files.sort();
    let tree = w.store_tree(&files);
    let commit = w.git(&["commit-tree", &tree, "-m", "damaged blobs"]);
    w.git(&["update-ref", "refs/heads/main", &commit]);
    w.commit_staged("after");

    let run = crate::support::keyward_limited(w.path(), AUDIT, 2 << 30);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(paths(&run), ["config.py"], "{}", run.stderr);
    assert!(!run.stderr.contains("hello.txt"), "{}", run.stderr);
    for name in names.iter().filter(|n| **n != "hello.txt") {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(&format!("{name} (blob")))
            .unwrap_or_else(|| panic!("{name} not named:\n{}", run.stderr));
        // Read by keyward's reader, not libgit2's.
        assert!(line.contains("cannot be decoded"), "{line}");
    }
}
