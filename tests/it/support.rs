//! The test harness: temporary work spaces, hermetic git (no user config,
//! fixed identity and dates), and running the real keyward binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_keyward");

/// A temporary directory, optionally a git repository.
pub struct Work {
    pub dir: tempfile::TempDir,
    commits: u32,
}

/// The result of running keyward.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The stdout parsed as a JSON array of findings.
    pub fn findings(&self) -> Vec<Value> {
        match serde_json::from_str(&self.stdout) {
            Ok(Value::Array(a)) => a,
            _ => panic!(
                "stdout is not a JSON array:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            ),
        }
    }

    /// How many files the scan says it read (`scanned N files` on stderr):
    /// a test that expects no finding checks that what it wrote was read.
    pub fn scanned_files(&self) -> Option<u64> {
        let at = self.stderr.find("scanned ")? + "scanned ".len();
        let rest = &self.stderr[at..];
        let (n, rest) = rest.split_once(' ')?;
        rest.starts_with("file").then(|| n.parse().ok()).flatten()
    }

    /// (rule_id, path, line) of every finding, in report order.
    pub fn rule_path_line(&self) -> Vec<(String, String, u64)> {
        self.findings()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().expect("rule_id").to_string(),
                    f["path"].as_str().expect("path").to_string(),
                    f["line"].as_u64().expect("line"),
                )
            })
            .collect()
    }

    /// (the string field `key`, the commit id) of every finding, in report
    /// order.
    pub fn with_commit(&self, key: &str) -> Vec<(String, String)> {
        self.findings()
            .iter()
            .map(|f| {
                (
                    f[key].as_str().expect(key).to_string(),
                    f["commit"]["id"].as_str().expect("commit id").to_string(),
                )
            })
            .collect()
    }
}

/// Environment that shuts out the user's and system's git config and fixes
/// identity, so commit ids are stable.
/// A raw tree entry for a file: mode, name and the blob's binary id.
pub fn tree_entry(name: &str, blob: &str) -> Vec<u8> {
    let mut entry = format!("100644 {name}\0").into_bytes();
    entry.extend((0..20).map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).expect("hex id")));
    entry
}

pub fn git_env(cmd: &mut Command, when: u32) {
    let date = format!("{} +0000", 1_700_000_000 + u64::from(when) * 60);
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.org")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.org")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
}

impl Work {
    pub fn new() -> Work {
        Work {
            dir: tempfile::tempdir().expect("temp dir"),
            commits: 0,
        }
    }

    /// A new git repository with `main` as its first branch.
    pub fn repo() -> Work {
        let w = Work::new();
        w.git(&["init", "-q", "-b", "main"]);
        w
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> &Work {
        self.write_bytes(rel, text.as_bytes())
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) -> &Work {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write file");
        self
    }

    /// Runs git in the work space and returns its stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(self.path(), args)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        git_env(&mut cmd, self.commits);
        let out = cmd.output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs git and returns whether it succeeded, with its stderr (for
    /// commands a hook may refuse).
    pub fn git_try(&self, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(self.path());
        git_env(&mut cmd, self.commits);
        let out = cmd.output().expect("git runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Writes an object of any kind as given, even one git would refuse to
    /// make (an unsorted or malformed tree); returns its id.
    pub fn store(&self, kind: &str, bytes: &[u8]) -> String {
        let mut cmd = Command::new("git");
        cmd.args(["hash-object", "-w", "--literally", "-t", kind, "--stdin"])
            .current_dir(self.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        git_env(&mut cmd, self.commits);
        let mut child = cmd.spawn().expect("git runs");
        {
            use std::io::Write;
            let mut input = child.stdin.take().expect("stdin piped");
            input.write_all(bytes).expect("write object");
        }
        let out = child.wait_with_output().expect("git finishes");
        assert!(out.status.success(), "git hash-object failed");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Writes a tree of files as given, in the order given.
    pub fn store_tree(&self, files: &[(&str, &str)]) -> String {
        let bytes: Vec<u8> = files
            .iter()
            .flat_map(|(name, blob)| tree_entry(name, blob))
            .collect();
        self.store("tree", &bytes)
    }

    /// Writes a file, stages it and commits; returns the commit id.
    pub fn commit(&mut self, rel: &str, text: &str, message: &str) -> String {
        self.write(rel, text);
        self.git(&["add", "--", rel]);
        self.commit_staged(message)
    }

    pub fn commit_staged(&mut self, message: &str) -> String {
        self.commits += 1;
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Packs every object with deltas, as `git gc` leaves a repository
    /// (loose objects removed), and returns the pack's index and how many
    /// of its blobs are stored as deltas.
    pub fn pack(&self) -> (PathBuf, usize) {
        self.git(&["repack", "-adfq", "--window=250", "--depth=50"]);
        let dir = self.join(".git/objects/pack");
        let idx = std::fs::read_dir(&dir)
            .expect("pack directory")
            .map(|e| e.expect("pack entry").path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .expect("a pack index");
        let listing = self.git(&["verify-pack", "-v", idx.to_str().expect("utf-8 path")]);
        let deltas = listing
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.len() >= 7 && f[1] == "blob")
            .count();
        (idx, deltas)
    }

    /// Runs keyward with `args` in the work space.
    pub fn keyward(&self, args: &[&str]) -> Run {
        self.keyward_stdin(args, "")
    }

    pub fn keyward_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.keyward_with(args, stdin, &[])
    }

    /// Runs keyward with `args`, `stdin` and the environment variables
    /// `env` set.
    pub fn keyward_with(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(self.path()).env("NO_COLOR", "1");
        cmd.envs(env.iter().copied());
        git_env(&mut cmd, self.commits);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("keyward runs");
        {
            use std::io::Write;
            let mut input = child.stdin.take().expect("stdin piped");
            let _ = input.write_all(stdin.as_bytes());
        }
        Run::from(child.wait_with_output().expect("keyward finishes"))
    }
}

/// Runs keyward with `args` in `dir` (a clone made inside a work space).
pub fn keyward_in(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    git_env(&mut cmd, 0);
    Run::from(cmd.stdin(Stdio::null()).output().expect("keyward runs"))
}

/// Runs keyward with `args` in `dir`, its address space held to `bytes`
/// (with util-linux's `prlimit`): an allocation past it fails the run
/// instead of exhausting the machine.
pub fn keyward_limited(dir: &Path, args: &[&str], bytes: u64) -> Run {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={bytes}")).arg("--").arg(BIN);
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    git_env(&mut cmd, 0);
    Run::from(
        cmd.stdin(Stdio::null())
            .output()
            .expect("prlimit runs keyward"),
    )
}

/// A validator for the official SARIF 2.1.0 schema (tests/fixtures). The
/// schema's `language` pattern ends in a bare `]`, a literal in ECMAScript
/// regexes but an error in Rust's; escaping it keeps its meaning and lets
/// the schema compile with every check on.
pub fn sarif_validator() -> jsonschema::Validator {
    let text = include_str!("../fixtures/sarif-schema-2.1.0.json").replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#,
    );
    let schema: Value = serde_json::from_str(&text).expect("schema is json");
    jsonschema::validator_for(&schema).expect("SARIF schema compiles")
}

/// A validator for what GitLab's secret-detection report format (version
/// 15.2.4 of its published schema) requires of a document: written here
/// from the schema's required fields, enums, patterns and bounds, for
/// every field keyward emits.
pub fn gitlab_validator() -> jsonschema::Validator {
    let text = |min: u64| serde_json::json!({ "type": "string", "minLength": min });
    let url = |scheme: &str| serde_json::json!({ "type": "string", "pattern": format!("^{scheme}://.+") });
    let time = serde_json::json!({ "type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$" });
    let tool = serde_json::json!({
        "type": "object",
        "required": ["id", "name", "version", "vendor"],
        "properties": {
            "id": text(1), "name": text(1), "version": text(1), "url": url("https?"),
            "vendor": { "type": "object", "required": ["name"], "properties": { "name": text(1) } },
        },
    });
    let schema = serde_json::json!({
        "type": "object",
        "required": ["scan", "version", "vulnerabilities"],
        "properties": {
            "version": { "type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$" },
            "schema": url("https?"),
            "scan": {
                "type": "object",
                "required": ["analyzer", "end_time", "scanner", "start_time", "status", "type"],
                "properties": {
                    "analyzer": tool, "scanner": tool,
                    "start_time": time, "end_time": time,
                    "status": { "enum": ["success", "failure"] },
                    "type": { "enum": ["secret_detection"] },
                    "messages": { "type": "array", "items": {
                        "type": "object",
                        "required": ["level", "value"],
                        "properties": { "level": { "enum": ["info", "warn", "fatal"] }, "value": text(1) },
                    }},
                },
            },
            "vulnerabilities": { "type": "array", "items": {
                "type": "object",
                "required": ["id", "identifiers", "location"],
                "properties": {
                    "id": text(1),
                    "name": { "type": "string", "maxLength": 255 },
                    "description": { "type": "string", "maxLength": 1_048_576 },
                    "severity": { "enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"] },
                    "solution": { "type": "string", "maxLength": 7000 },
                    "identifiers": { "type": "array", "minItems": 1, "items": {
                        "type": "object",
                        "required": ["type", "name", "value"],
                        "properties": { "type": text(1), "name": text(1), "value": text(1), "url": url("(https?|ftp)") },
                    }},
                    "location": {
                        "type": "object",
                        "required": ["commit"],
                        "properties": {
                            "file": { "type": "string" },
                            "start_line": { "type": "number" },
                            "end_line": { "type": "number" },
                            "commit": {
                                "type": "object",
                                "required": ["sha"],
                                "properties": {
                                    "sha": text(1), "author": { "type": "string" },
                                    "date": { "type": "string" }, "message": { "type": "string" },
                                },
                            },
                        },
                    },
                },
            }},
        },
    });
    jsonschema::validator_for(&schema).expect("the GitLab constraints compile")
}

/// Every way `doc` breaks the GitLab constraints, with where.
pub fn gitlab_errors(doc: &Value) -> Vec<String> {
    gitlab_validator()
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}
