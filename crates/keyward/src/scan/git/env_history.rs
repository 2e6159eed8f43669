//! Env files in history: every real `.env` file ever committed, with the
//! commit that added it, whether the default branch still holds it and the
//! refs it is reachable from.

use std::collections::HashSet;

use anyhow::Result;
use git2::{Oid, Repository};

use super::group::{lifecycles, Held, Lifecycles};
use crate::envcheck;
use crate::finding::{Finding, Lifecycle, Source};
use crate::rules::{Check, RuleSet};
use keyward_git::pack::Packs;
use keyward_git::{self as git, History, RefSelection};

/// Keys of env files in a [`Held`] map, kept apart from fingerprints.
pub(super) fn env_key(path: &str) -> String {
    format!("env:{path}")
}

/// Whether a path names a real env file (`.env`, `.env.local`, not a template).
pub(super) fn is_real_env_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    envcheck::classify(name) == Some(envcheck::EnvFileKind::Real)
}

/// What `keyward env --history` found: the findings, how many commits
/// were walked, and what could not be read (commits, trees, refs).
pub struct EnvHistory {
    pub findings: Vec<Finding>,
    pub commits: u64,
    pub skips: Vec<crate::content::Skip>,
}

/// `keyward env --history`: real env files ever committed, from a walk of
/// every ref that reads no blob.
pub fn env_in_history(repo: &Repository, rules: &RuleSet) -> Result<EnvHistory> {
    let (packs, _) = Packs::open(&repo.commondir().join("objects"));
    let history = git::enumerate(
        repo,
        &packs,
        &RefSelection::All,
        &|| {},
        &|_, _| {},
        &is_real_env_path,
    )?;
    Ok(EnvHistory {
        findings: env_findings(repo, &mut git::CommitBook::new(repo), &history, rules, None),
        commits: history.commits.len() as u64,
        skips: history.skips.clone(),
    })
}

/// One `env-in-history` finding per real env file path ever committed: the
/// commit that added it, the commit that took it off the default branch
/// (if one did), and the refs it is still reachable from.
/// An env file is present while any blob sits at its path.
pub(super) fn env_held(history: &History) -> Held {
    history
        .blobs
        .iter()
        .chain(&history.other_sites)
        .map(|s| history.path(s))
        .filter(|path| is_real_env_path(path))
        .map(|path| (env_key(path), vec![(path.to_string(), None)]))
        .collect()
}

pub(super) fn env_findings(
    repo: &Repository,
    book: &mut git::CommitBook<'_>,
    history: &History,
    rules: &RuleSet,
    presence: Option<&Lifecycles>,
) -> Vec<Finding> {
    // Off when its rule is disabled or below the minimum confidence.
    let Some(rule) = rules.check(Check::EnvInHistory) else {
        return Vec::new();
    };
    let mut by_path: std::collections::BTreeMap<&str, (usize, HashSet<Oid>)> =
        std::collections::BTreeMap::new();
    for site in history.blobs.iter().chain(&history.other_sites) {
        let path = history.path(site);
        if !is_real_env_path(path) {
            continue;
        }
        let entry = by_path.entry(path).or_insert((site.commit, HashSet::new()));
        entry.0 = entry.0.min(site.commit);
        entry.1.insert(site.oid);
    }
    if by_path.is_empty() {
        return Vec::new();
    }
    let own;
    let states = match presence {
        Some(p) => p,
        None => {
            own = lifecycles(repo, book, history, &env_held(history)).unwrap_or_default();
            &own
        }
    };
    let tips: Vec<(String, u64)> = repo
        .references()
        .map(|refs| {
            refs.flatten()
                .filter_map(|r| {
                    let tip = r.peel_to_commit().ok()?.id();
                    Some((r.shorthand()?.to_string(), history.ancestry_of(tip)?))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for (path, (first, _)) in by_path {
        let added = book.get(history.commits[first]);
        let bit = history.tracked.iter().position(|t| t == path);
        let reachable: Vec<&str> = tips
            .iter()
            .filter(|(_, mask)| bit.is_some_and(|b| mask & (1 << b) != 0))
            .map(|(name, _)| name.as_str())
            .take(10)
            .collect();
        let (still, removed) = states.get(&env_key(path)).cloned().unwrap_or((false, None));
        let state = match (&removed, still) {
            (_, true) => "still in HEAD".to_string(),
            (Some(c), false) => format!("removed in {}", &c.id[..c.id.len().min(12)]),
            (None, false) => "not on the default branch".to_string(),
        };
        let added_id = &added.id[..added.id.len().min(12)];
        let refs = if reachable.is_empty() {
            "no ref".to_string()
        } else {
            reachable.join(", ")
        };
        out.push(Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            category: rule.category,
            confidence: rule.confidence,
            path: path.to_string(),
            line: 0,
            column: 0,
            secret: None,
            fingerprint: crate::finding::Fingerprint::of(&rule.id, path.as_bytes()),
            source: Source::History,
            commit: Some(added.clone()),
            lifecycle: Some(Lifecycle {
                occurrences: Vec::new(),
                more_occurrences: 0,
                still_in_head: still,
                removed_in: removed,
            }),
            remedy: rule.remedy_with(&[
                ("added", added_id),
                ("state", &state),
                ("refs", &refs),
                ("path", path),
            ]),
            pair: None,
        });
    }
    out
}
