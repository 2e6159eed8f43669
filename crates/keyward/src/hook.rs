//! Git hooks: installing keyward as a pre-push or pre-commit hook (chaining
//! a hook that was already there), removing it again, and git's pre-push
//! protocol: which commits a push sends. Scanning is left to `scan`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::{Oid, Repository};

/// The line that marks a hook file as keyward's.
const MARKER: &str = "# keyward-managed hook";
/// Where a hook that was there before keyward is kept and called from.
const CHAINED: &str = "keyward-chained";
/// Where a hook replaced with `--force` is kept, for uninstall.
const REPLACED: &str = "keyward-replaced";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    PrePush,
    PreCommit,
}

impl HookKind {
    pub fn file_name(self) -> &'static str {
        match self {
            HookKind::PrePush => "pre-push",
            HookKind::PreCommit => "pre-commit",
        }
    }
}

/// What installing or uninstalling did, for the user.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Installed(PathBuf),
    /// Installed; the hook that was there runs after keyward.
    Chained(PathBuf),
    /// Installed over an existing hook (kept aside for uninstall).
    Replaced(PathBuf),
    AlreadyInstalled(PathBuf),
    Removed(PathBuf),
    /// Removed, and the hook that was there before is back.
    Restored(PathBuf),
    /// A hook is there, but not keyward's: left as it is.
    NotInstalled(PathBuf),
    /// No hook of this kind to remove.
    Absent(PathBuf),
}

/// The directory git runs hooks from: `core.hooksPath` when set (relative
/// to the work tree), else `hooks/` in the common git directory, which
/// linked worktrees share. Bare repositories are refused: nobody pushes or
/// commits from them.
pub fn hooks_dir(start: &Path) -> Result<PathBuf> {
    let repo = keyward_git::open(start)?;
    if repo.is_bare() {
        bail!(
            "{}: a bare repository has no work tree to commit or push from; install the hook in a clone",
            repo.path().display()
        );
    }
    let workdir = repo
        .workdir()
        .expect("a non-bare repository has a work tree")
        .to_path_buf();
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => workdir.join(p),
        None => repo.commondir().join("hooks"),
    })
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn script(kind: HookKind, exe: &Path) -> String {
    let keyward = shell_quote(&exe.display().to_string());
    let body = match kind {
        // pre-push reads the refs on stdin; both keyward and a chained hook
        // need them, so they are read once and handed to each.
        HookKind::PrePush => format!(
            "input=$(cat)\n\
             printf '%s\\n' \"$input\" | {keyward} hook pre-push \"$@\" || exit $?\n\
             if [ -x \"$0.{CHAINED}\" ]; then\n    printf '%s\\n' \"$input\" | \"$0.{CHAINED}\" \"$@\" || exit $?\nfi\n"
        ),
        HookKind::PreCommit => format!(
            "{keyward} hook pre-commit || exit $?\n\
             if [ -x \"$0.{CHAINED}\" ]; then\n    \"$0.{CHAINED}\" \"$@\" || exit $?\nfi\n"
        ),
    };
    format!(
        "#!/bin/sh\n{MARKER} ({}). `keyward hook uninstall` restores what was here.\n{body}",
        kind.file_name()
    )
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

fn aside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .expect("hook path has a name")
        .to_os_string();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path)?.permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(path, perms)
        .with_context(|| format!("{}: cannot make executable", path.display()))
}

/// Installs keyward as the `kind` hook. A hook that is already there is kept
/// and chained (it runs after keyward, with the same arguments and input),
/// or with `force` set aside and not run. Installing twice changes nothing.
pub fn install(start: &Path, kind: HookKind, exe: &Path, force: bool) -> Result<Change> {
    let dir = hooks_dir(start)?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create hooks directory", dir.display()))?;
    let path = dir.join(kind.file_name());
    if is_ours(&path) {
        return Ok(Change::AlreadyInstalled(path));
    }
    let change = if path.exists() {
        let (suffix, change) = if force {
            (REPLACED, Change::Replaced(path.clone()))
        } else {
            (CHAINED, Change::Chained(path.clone()))
        };
        std::fs::rename(&path, aside(&path, suffix))
            .with_context(|| format!("{}: cannot move the existing hook aside", path.display()))?;
        change
    } else {
        Change::Installed(path.clone())
    };
    std::fs::write(&path, script(kind, exe))
        .with_context(|| format!("{}: cannot write hook", path.display()))?;
    make_executable(&path)?;
    Ok(change)
}

/// Removes keyward's `kind` hook and puts back the hook it chained or
/// replaced, if any.
pub fn uninstall(start: &Path, kind: HookKind) -> Result<Change> {
    let dir = hooks_dir(start)?;
    let path = dir.join(kind.file_name());
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(Change::Absent(path));
    }
    if !is_ours(&path) {
        return Ok(Change::NotInstalled(path));
    }
    std::fs::remove_file(&path)
        .with_context(|| format!("{}: cannot remove hook", path.display()))?;
    for suffix in [CHAINED, REPLACED] {
        let kept = aside(&path, suffix);
        if kept.exists() {
            std::fs::rename(&kept, &path)
                .with_context(|| format!("{}: cannot restore", kept.display()))?;
            return Ok(Change::Restored(path));
        }
    }
    Ok(Change::Removed(path))
}

/// One line of git's pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    pub local_ref: String,
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

fn is_zero(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

/// Parses `<local ref> <local sha> <remote ref> <remote sha>` lines; blank
/// lines are ignored, anything else malformed is an error.
pub fn parse_pre_push(input: &str) -> Result<Vec<PushUpdate>> {
    let mut updates = Vec::new();
    for (n, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local_sha, remote_ref, remote_sha] = fields[..] else {
            bail!(
                "pre-push input line {}: expected 4 fields, got {:?}",
                n + 1,
                line
            );
        };
        for sha in [local_sha, remote_sha] {
            if sha.len() < 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!("pre-push input line {}: `{sha}` is not an object id", n + 1);
            }
        }
        updates.push(PushUpdate {
            local_ref: local_ref.into(),
            local_sha: local_sha.into(),
            remote_ref: remote_ref.into(),
            remote_sha: remote_sha.into(),
        });
    }
    Ok(updates)
}

/// What a push sends: the commits to scan are those reachable from `push`
/// and from none of `hide`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PushRange {
    pub push: Vec<Oid>,
    pub hide: Vec<Oid>,
    /// Ref updates that send commits (deletions excluded).
    pub updates: usize,
}

/// What the pre-commit framework says of a push: it reads git's pre-push
/// input itself and passes its hooks the first ref update sending commits
/// in environment variables. `to` is unset when every commit of the branch
/// is new to the remote (a branch pushed from its root commit); `from` is
/// the commit before the first new one, or the remote's old value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkPush {
    pub remote: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub local_branch: Option<String>,
}

impl FrameworkPush {
    /// The push the framework describes, when it runs this hook
    /// (`PRE_COMMIT_REMOTE_NAME` set).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Option<FrameworkPush> {
        let set = |k: &str| var(k).filter(|v| !v.is_empty());
        Some(FrameworkPush {
            remote: set("PRE_COMMIT_REMOTE_NAME")?,
            from: set("PRE_COMMIT_FROM_REF"),
            to: set("PRE_COMMIT_TO_REF"),
            local_branch: set("PRE_COMMIT_LOCAL_BRANCH"),
        })
    }

    /// The push as git's pre-push input would give it: one update of the
    /// pushed commit, whose old value on the remote is `from` (all zeros
    /// when every commit is new: what the remote has is then hidden through
    /// its remote-tracking refs).
    pub fn updates(&self) -> Result<Vec<PushUpdate>> {
        let zero = "0".repeat(40);
        let local_sha = match (&self.to, &self.local_branch) {
            (Some(to), _) => to.clone(),
            (None, Some(branch)) => branch.clone(),
            (None, None) => anyhow::bail!(
                "pre-push: the pre-commit framework set neither PRE_COMMIT_TO_REF nor PRE_COMMIT_LOCAL_BRANCH: nothing says what is pushed"
            ),
        };
        Ok(vec![PushUpdate {
            local_ref: self.local_branch.clone().unwrap_or_default(),
            local_sha,
            remote_ref: String::new(),
            remote_sha: self.from.clone().unwrap_or(zero),
        }])
    }
}

/// The push range of `updates` in the repository that contains `start`.
pub fn push_range_at(start: &Path, remote: &str, updates: &[PushUpdate]) -> Result<PushRange> {
    let repo = keyward_git::open(start).context("pre-push")?;
    push_range(&repo, remote, updates)
}

/// Works out what a push to `remote` sends. Deletions send nothing. What
/// the remote already has is hidden: the old value of each updated ref when
/// this repository has it, and every `refs/remotes/<remote>/*` ref, so a
/// new branch scans only the commits the remote lacks (all of them when the
/// remote has no refs yet). An object that cannot be read is an error: the
/// hook fails closed rather than pass after scanning nothing.
pub fn push_range(repo: &Repository, remote: &str, updates: &[PushUpdate]) -> Result<PushRange> {
    let mut range = PushRange::default();
    for u in updates {
        if is_zero(&u.local_sha) {
            continue;
        }
        // A commit id, as git gives it, or a ref (the pre-commit
        // framework's local branch).
        let commit = repo
            .revparse_single(&u.local_sha)
            .and_then(|o| o.peel_to_commit())
            .with_context(|| {
                format!(
                    "{} {}: cannot read the commit being pushed",
                    u.local_ref, u.local_sha
                )
            })?;
        range.push.push(commit.id());
        range.updates += 1;
        if !is_zero(&u.remote_sha) {
            if let Ok(old) = Oid::from_str(&u.remote_sha)
                .map_err(anyhow::Error::from)
                .and_then(|o| Ok(repo.find_object(o, None)?.peel_to_commit()?))
            {
                range.hide.push(old.id());
            }
        }
    }
    let glob = format!("refs/remotes/{remote}/*");
    if let Ok(refs) = repo.references_glob(&glob) {
        for r in refs.flatten() {
            if let Ok(c) = r.peel_to_commit() {
                range.hide.push(c.id());
            }
        }
    }
    range.hide.sort();
    range.hide.dedup();
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pre-commit framework's variables: a push with a base, a branch
    /// whose every commit is new (no `TO_REF`), and no framework at all.
    #[test]
    fn reads_the_frameworks_push() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        let push = FrameworkPush::from_env(env(&[
            ("PRE_COMMIT_REMOTE_NAME", "origin"),
            ("PRE_COMMIT_FROM_REF", "aaaa"),
            ("PRE_COMMIT_TO_REF", "cccc"),
        ]))
        .unwrap();
        let u = &push.updates().unwrap()[0];
        assert_eq!(
            (u.local_sha.as_str(), u.remote_sha.as_str()),
            ("cccc", "aaaa")
        );
        let push = FrameworkPush::from_env(env(&[
            ("PRE_COMMIT_REMOTE_NAME", "origin"),
            ("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/new"),
        ]))
        .unwrap();
        let u = &push.updates().unwrap()[0];
        assert_eq!(u.local_sha, "refs/heads/new");
        assert!(is_zero(&u.remote_sha));
        assert!(FrameworkPush::from_env(env(&[("PRE_COMMIT_TO_REF", "x")])).is_none());
        let nothing = FrameworkPush::from_env(env(&[("PRE_COMMIT_REMOTE_NAME", "o")])).unwrap();
        assert!(nothing.updates().is_err());
    }

    /// Well-formed lines parse, blank lines are skipped, and anything else is
    /// an error rather than an empty push.
    #[test]
    fn parses_pre_push_input() {
        let sha = "a".repeat(40);
        let zero = "0".repeat(40);
        let input = format!("refs/heads/main {sha} refs/heads/main {zero}\n\n");
        let updates = parse_pre_push(&input).unwrap();
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].remote_ref, "refs/heads/main");
        assert!(parse_pre_push("refs/heads/main abc refs/heads/main").is_err());
        assert!(parse_pre_push(&format!("a {sha} b nothex{}", "0".repeat(34))).is_err());
    }

    /// The hook script quotes the binary path and chains the old hook.
    #[test]
    fn script_quotes_and_chains() {
        let s = script(HookKind::PrePush, Path::new("/opt/it's/keyward"));
        assert!(s.contains(r"'/opt/it'\''s/keyward' hook pre-push"), "{s}");
        assert!(s.contains("\"$0.keyward-chained\" \"$@\""), "{s}");
        assert!(s.starts_with("#!/bin/sh\n# keyward-managed hook"));
    }
}

#[cfg(test)]
pub(crate) mod fuzz;
