//! `keyward git` on a pack over 4 GiB: a pack index (v2) keeps offsets of
//! 2^31 and more in a separate table of 64-bit offsets, which both of
//! keyward's readers (its own, on gitoxide, and libgit2) must follow. Long:
//! the test writes a 4.4 GiB pack under the temporary directory, so it is
//! ignored unless asked for (see docs/fuzzing.md, "Long tests").

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::fake;
use crate::support::{git_env, Work};

/// How many random blobs, and how large each: 64 × 70 MiB = 4.375 GiB.
const BIG_BLOBS: usize = 64;
const BIG_SIZE: usize = 70 << 20;
/// A file with a secret is committed before the first random blob and
/// after every this many.
const SECRET_EVERY: usize = 16;

/// Incompressible bytes, fast (xorshift64*), the same on every run.
struct Noise(u64);

impl Noise {
    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let word = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// One commit of the fast-import stream, adding `path` with `data`.
fn commit(input: &mut impl Write, n: usize, path: &str, data: &[u8]) {
    let when = 1_700_000_000 + n * 60;
    writeln!(
        input,
        "commit refs/heads/main\n\
         committer Ada Lovelace <ada@example.org> {when} +0000\n\
         data <<EOM\nadd {path}\nEOM"
    )
    .unwrap();
    // (A commit after the first continues the branch from its tip.)
    writeln!(input, "M 100644 inline {path}\ndata {}", data.len()).unwrap();
    input.write_all(data).unwrap();
    input.write_all(b"\n").unwrap();
}

#[test]
#[ignore = "long: writes a 4.4 GiB pack; run with cargo test --release --test it large_pack -- --ignored"]
fn a_pack_over_4_gib_is_audited_whole() {
    let w = Work::repo();
    let secrets: Vec<(String, String)> = (0..=BIG_BLOBS / SECRET_EVERY)
        .map(|k| {
            (
                format!("config/secret-{k}.env"),
                format!("AWS_KEY = \"{}\"\n", fake::aws_key_id(9100 + k as u64)),
            )
        })
        .collect();

    // One pack, written straight by fast-import: the random blobs stored
    // whole (above the big-file threshold, no delta is tried) and without
    // compression (level 0: the pack is as large as the data, and writing
    // it is not zlib's time).
    let started = Instant::now();
    let mut cmd = Command::new("git");
    cmd.args([
        "-c",
        "pack.compression=0",
        "-c",
        "core.compression=0",
        "fast-import",
        "--quiet",
        "--big-file-threshold=1m",
        "--max-pack-size=16g",
    ])
    .current_dir(w.path())
    .stdin(Stdio::piped());
    git_env(&mut cmd, 0);
    let mut child = cmd.spawn().expect("git fast-import runs");
    {
        let mut input = std::io::BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
        let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
        let mut big = vec![0u8; BIG_SIZE];
        let mut n = 0;
        for (k, (path, text)) in secrets.iter().enumerate() {
            commit(&mut input, n, path, text.as_bytes());
            n += 1;
            if k * SECRET_EVERY == BIG_BLOBS {
                break;
            }
            for b in 0..SECRET_EVERY {
                noise.fill(&mut big);
                let path = format!("data/noise-{:02}.bin", k * SECRET_EVERY + b);
                commit(&mut input, n, &path, &big);
                n += 1;
            }
        }
        input.flush().unwrap();
    }
    assert!(child.wait().unwrap().success(), "git fast-import failed");
    let generated = started.elapsed();

    // One pack, over 4 GiB, and the secrets' blobs on both sides of 2^31
    // and of 2^32 in it.
    let packs: Vec<_> = std::fs::read_dir(w.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let idx = packs
        .iter()
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .expect("a pack index");
    assert_eq!(packs.len(), 2, "one pack and its index: {packs:?}");
    let pack_size = std::fs::metadata(idx.with_extension("pack")).unwrap().len();
    assert!(pack_size > 1 << 32, "the pack is {pack_size} bytes");
    let listing = {
        let mut cmd = Command::new("git");
        cmd.arg("show-index")
            .current_dir(w.path())
            .stdin(std::fs::File::open(idx).unwrap());
        git_env(&mut cmd, 0);
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let offset_of = |id: &str| -> u64 {
        listing
            .lines()
            .find_map(|l| {
                let mut f = l.split_whitespace();
                let offset = f.next()?;
                (f.next()? == id).then(|| offset.parse().unwrap())
            })
            .unwrap_or_else(|| panic!("{id} is not in the index"))
    };
    let offsets: Vec<u64> = secrets
        .iter()
        .map(|(path, _)| offset_of(&w.git(&["rev-parse", &format!("main:{path}")])))
        .collect();
    assert!(offsets.iter().any(|&o| o < 1 << 31), "{offsets:?}");
    assert!(
        offsets.iter().any(|&o| (1 << 31..1 << 32).contains(&o)),
        "{offsets:?}"
    );
    let largest = *offsets.iter().max().unwrap();
    assert!(largest >= 1 << 32, "{offsets:?}");

    let started = Instant::now();
    let run = w.keyward(&["git", "--no-cache", "--format", "json", "-v"]);
    let audited = started.elapsed();
    eprintln!(
        "large_pack: pack of {pack_size} bytes written in {:.1} s; audited in {:.1} s; \
         secret blobs at offsets {offsets:?} (largest {largest})\n{}",
        generated.as_secs_f64(),
        audited.as_secs_f64(),
        run.stderr
    );

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        !run.stderr.contains("unreadable")
            && !run.stderr.contains("cannot read the pack")
            && !run.stderr.contains("cannot open the pack"),
        "{}",
        run.stderr
    );
    let mut found: Vec<String> = run
        .findings()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    found.sort();
    found.dedup();
    let want: Vec<String> = secrets.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(found, want, "{}", run.stderr);
    // Every random blob was reached, and skipped (binary, or past the size
    // limit), none silently left out.
    for b in 0..BIG_BLOBS {
        let path = format!("data/noise-{b:02}.bin");
        assert!(
            run.stderr
                .lines()
                .any(|l| l.starts_with(&format!("skipped {path}"))),
            "{path} is not listed as skipped:\n{}",
            run.stderr
        );
    }
    // The summary: every commit walked, the random blobs and only they
    // skipped.
    let commits = BIG_BLOBS + secrets.len();
    assert!(
        run.stderr.contains(&format!("scanned {commits} commits, "))
            && run.stderr.contains(&format!("; skipped {BIG_BLOBS} (")),
        "{}",
        run.stderr
    );
}
