//! The refs read by hand, for when libgit2 will not list them: one bad
//! line in `packed-refs` fails its whole listing (and `HEAD` with it when
//! the branch HEAD names is packed), which lost every ref, and every
//! finding, for one line. Here each ref is read on its own: a bad line or
//! file is named, and the others are walked.
//!
//! It only finds the commits a walk starts from; it never walks.

use git2::{ObjectType, Oid, Repository};
use keyward_content::{Skip, SkipReason};

/// Adds to `tips` the commit of each ref (loose refs, `packed-refs` and
/// HEAD) that names one; a line or file that is not a ref, or whose
/// object cannot be read, is a skip in `skips` that names it, and a ref of
/// a tree or blob is counted in `non_commit_refs`.
pub(crate) fn tips_by_hand(
    repo: &Repository,
    tips: &mut Vec<Oid>,
    skips: &mut Vec<Skip>,
    non_commit_refs: &mut usize,
) {
    let common = repo.commondir();
    let loose = loose_ref_names(&common.join("refs"), "refs");
    let is_loose: std::collections::HashSet<&str> = loose.iter().map(String::as_str).collect();
    // Each ref's name and what it holds.
    let mut refs: Vec<(String, String)> = Vec::new();
    for name in &loose {
        match std::fs::read_to_string(common.join(name)) {
            Ok(text) => refs.push((name.clone(), text.trim().to_string())),
            Err(e) => skips.push(unreadable(&format!("@ref {name}"), &e.to_string())),
        }
    }
    if let Ok(text) = std::fs::read_to_string(common.join("packed-refs")) {
        for (n, line) in text.lines().enumerate() {
            // A comment (the header), a peeled tag's line, or nothing.
            if line.is_empty() || line.starts_with('#') || line.starts_with('^') {
                continue;
            }
            match line.split_once(' ') {
                Some((id, name)) if is_id(id) && name.starts_with("refs/") => {
                    // A loose ref overrides its packed line.
                    if !is_loose.contains(name) {
                        refs.push((name.to_string(), id.to_string()));
                    }
                }
                _ => skips.push(unreadable(
                    "@ref packed-refs",
                    &format!("line {} is not an object id and a ref name", n + 1),
                )),
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(repo.path().join("HEAD")) {
        refs.push(("HEAD".into(), text.trim().to_string()));
    }
    for (name, held) in refs {
        // A symbolic ref names another ref, which is read on its own (or,
        // an unborn branch, is not there to read).
        if held.starts_with("ref: ") {
            continue;
        }
        let at = format!("@ref {name}");
        let Some(id) = Some(held.as_str()).filter(|h| is_id(h)) else {
            skips.push(unreadable(
                &at,
                "the ref file does not hold an object id or a symbolic ref",
            ));
            continue;
        };
        let id = Oid::from_str(id).expect("checked as 40 hex digits");
        let why = match repo.find_object(id, None) {
            Ok(object) => match object.peel_to_commit() {
                Ok(commit) => {
                    tips.push(commit.id());
                    continue;
                }
                Err(e) => match object.peel(ObjectType::Any) {
                    Ok(o) if o.kind() != Some(ObjectType::Commit) => {
                        *non_commit_refs += 1;
                        continue;
                    }
                    _ => e,
                },
            },
            Err(e) => e,
        };
        skips.push(unreadable(
            &at,
            &format!("{} (it points at {id})", why.message()),
        ));
    }
}

/// Whether `text` is a full object id: libgit2 takes a shorter one too.
fn is_id(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn unreadable(path: &str, why: &str) -> Skip {
    Skip {
        path: path.to_string(),
        reason: SkipReason::Unreadable(why.to_string()),
    }
}

/// The names of the loose ref files under `dir` (whose name is `prefix`),
/// lock files left out.
pub(crate) fn loose_ref_names(dir: &std::path::Path, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return names;
    };
    for entry in entries.flatten() {
        let Some(file) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let name = format!("{prefix}/{file}");
        match entry.file_type() {
            Ok(t) if t.is_dir() => names.extend(loose_ref_names(&entry.path(), &name)),
            Ok(t) if t.is_file() && !file.ends_with(".lock") => names.push(name),
            _ => {}
        }
    }
    names
}
