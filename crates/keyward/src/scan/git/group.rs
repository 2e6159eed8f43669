//! Grouping: one finding per fingerprint with its other occurrences, and
//! each secret's (or env file's) lifecycle on the default branch: still in
//! HEAD, or the commit that removed it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Result;
use git2::{Oid, Repository};

use crate::finding::{CommitInfo, Finding, Lifecycle, Occurrence, COMMIT_MESSAGE_PATH};
use keyward_git::{self as git, BlobSite, History};

/// How many other places a history finding lists before it only counts.
const OCCURRENCE_CAP: usize = 20;

/// One finding per fingerprint: the earliest sighting in history order,
/// with every other path and commit as occurrences, and whether the secret
/// is still on the default branch or which commit removed it.
pub(super) fn group_by_fingerprint(
    history: &History,
    located: Vec<(usize, Finding)>,
    blob_of: &HashMap<usize, Oid>,
    presence: Option<&Lifecycles>,
) -> Vec<Finding> {
    if located.is_empty() {
        return Vec::new();
    }
    let mut other_sites: HashMap<Oid, Vec<&BlobSite>> = HashMap::new();
    for site in &history.other_sites {
        other_sites.entry(site.oid).or_default().push(site);
    }
    // Each finding keeps its blob through the sort; ties are broken fully so
    // the workers' finishing order never shows in the output.
    let mut located: Vec<(usize, Option<Oid>, Finding)> = located
        .into_iter()
        .enumerate()
        .map(|(i, (c, f))| (c, blob_of.get(&i).copied(), f))
        .collect();
    located.sort_by(|(ca, _, a), (cb, _, b)| (ca, a.sort_key()).cmp(&(cb, b.sort_key())));
    let mut groups: Vec<Finding> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    // Each occurrence with its commit's index, the order they are listed in.
    let mut places: Vec<Vec<(usize, Occurrence)>> = Vec::new();
    for (commit, oid, f) in located {
        let key = f.fingerprint.to_string();
        let here = (
            commit,
            Occurrence {
                path: f.path.clone(),
                commit: f.commit.as_ref().map(|c| c.id.clone()).unwrap_or_default(),
            },
        );
        let g = match group_of.get(&key) {
            Some(&g) => {
                places[g].push(here);
                g
            }
            None => {
                group_of.insert(key.clone(), groups.len());
                groups.push(f);
                places.push(Vec::new());
                groups.len() - 1
            }
        };
        for site in oid.and_then(|o| other_sites.get(&o)).into_iter().flatten() {
            places[g].push((
                site.commit,
                Occurrence {
                    path: history.path(site).to_string(),
                    commit: history.commits[site.commit].to_string(),
                },
            ));
        }
    }
    for (g, finding) in groups.iter_mut().enumerate() {
        let own = (
            finding.path.clone(),
            finding
                .commit
                .as_ref()
                .map(|c| c.id.clone())
                .unwrap_or_default(),
        );
        let mut seen = HashSet::new();
        seen.insert(own);
        let mut list: Vec<(usize, Occurrence)> = places[g]
            .drain(..)
            .filter(|(_, o)| seen.insert((o.path.clone(), o.commit.clone())))
            .collect();
        list.sort_by(|(a, x), (b, y)| (a, &x.path).cmp(&(b, &y.path)));
        let mut list: Vec<Occurrence> = list.into_iter().map(|(_, o)| o).collect();
        let more = list.len().saturating_sub(OCCURRENCE_CAP);
        list.truncate(OCCURRENCE_CAP);
        let (still_in_head, removed_in) = presence
            .as_ref()
            .and_then(|p| p.get(finding.fingerprint.as_str()).cloned())
            .unwrap_or((false, None));
        finding.lifecycle = Some(Lifecycle {
            occurrences: list,
            more_occurrences: more,
            still_in_head: still_in_head && finding.path != COMMIT_MESSAGE_PATH,
            removed_in,
        });
    }
    groups
}

/// The (path, blob) pairs that hold each fingerprint, for the walk of the
/// default branch.
pub(super) fn fingerprint_held(
    history: &History,
    located: &[(usize, Finding)],
    blob_of: &HashMap<usize, Oid>,
) -> Held {
    let mut other_sites: HashMap<Oid, Vec<&BlobSite>> = HashMap::new();
    for site in &history.other_sites {
        other_sites.entry(site.oid).or_default().push(site);
    }
    let mut held: Held = HashMap::new();
    for (i, (_, f)) in located.iter().enumerate() {
        let Some(oid) = blob_of.get(&i) else { continue };
        let pairs = held.entry(f.fingerprint.to_string()).or_default();
        pairs.push((f.path.clone(), Some(*oid)));
        for site in other_sites.get(oid).into_iter().flatten() {
            pairs.push((history.path(site).to_string(), Some(*oid)));
        }
    }
    held
}

/// Per key: still on the default branch at HEAD, and the commit that last
/// took it off.
pub(super) type Lifecycles = HashMap<String, (bool, Option<Arc<CommitInfo>>)>;

/// For each key, the `(path, blob)` pairs that hold it (`None`: any blob).
pub(super) type Held = HashMap<String, Vec<(String, Option<Oid>)>>;

/// For each key (a fingerprint, or an env file's path), whether it is still
/// on the default branch at HEAD and the commit that last took it off. A
/// key is present while one of its `(path, blob)` pairs holds: that blob
/// at that path, or with `None` any blob at that path.
pub(super) fn lifecycles(
    repo: &Repository,
    book: &mut git::CommitBook<'_>,
    history: &History,
    held: &Held,
) -> Result<Lifecycles> {
    let mut paths: Vec<String> = held.values().flatten().map(|(p, _)| p.clone()).collect();
    paths.sort();
    paths.dedup();
    let index = |p: &str| {
        paths
            .binary_search_by(|x| x.as_str().cmp(p))
            .expect("every held path is listed")
    };
    // The history walk logged HEAD's line when it walked all of it.
    let changes = match &history.chain {
        Some(log) => log.changes(&paths, &history.paths, &history.commits),
        None => git::first_parent_path_changes(repo, &paths)?,
    };
    let mut current: Vec<Option<Oid>> = vec![None; paths.len()];
    let is_present = |current: &[Option<Oid>], pairs: &[(String, Option<Oid>)]| {
        pairs
            .iter()
            .any(|(p, want)| match (current[index(p)], want) {
                (Some(_), None) => true,
                (Some(have), Some(w)) => have == *w,
                (None, _) => false,
            })
    };
    // The keys each watched path bears on, so a commit re-evaluates only
    // the keys whose paths it changed.
    let mut keys_of: Vec<Vec<&String>> = vec![Vec::new(); paths.len()];
    for (key, pairs) in held {
        for (p, _) in pairs {
            keys_of[index(p)].push(key);
        }
    }
    let mut state: HashMap<&String, (bool, Option<Oid>)> =
        held.keys().map(|k| (k, (false, None))).collect();
    for batch in changes.chunk_by(|a, b| a.0 == b.0) {
        for (_, i, id) in batch {
            current[*i] = *id;
        }
        let commit = &batch[0].0;
        let mut touched: Vec<&String> = batch
            .iter()
            .flat_map(|(_, i, _)| keys_of[*i].iter().copied())
            .collect();
        touched.sort();
        touched.dedup();
        for key in touched {
            let present = is_present(&current, &held[key]);
            let entry = state.get_mut(key).expect("every key has a state");
            match (entry.0, present) {
                (true, false) => *entry = (false, Some(*commit)),
                (false, true) => *entry = (true, None),
                _ => {}
            }
        }
    }
    Ok(state
        .into_iter()
        .map(|(key, (present, removed))| (key.clone(), (present, removed.map(|c| book.get(c)))))
        .collect())
}
