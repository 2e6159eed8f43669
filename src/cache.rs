//! The incremental-audit cache: which blobs were already scanned with this
//! rule set, and where their matches were. Stored under the repository's git
//! directory, keyed by a digest of the rules; it holds object ids, rule ids
//! and byte offsets, never a secret.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Oid;

/// A cached match: rule id and the secret's byte span in the blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedMatch {
    pub rule: String,
    pub start: usize,
    pub end: usize,
}

pub struct BlobCache {
    path: PathBuf,
    known: HashMap<Oid, Vec<CachedMatch>>,
}

impl BlobCache {
    /// Loads the cache for `rules_digest` under `git_dir/keyward/`. A missing
    /// file is an empty cache; malformed lines are ignored (they are only
    /// rescanned).
    pub fn load(git_dir: &Path, rules_digest: &str) -> BlobCache {
        let path = git_dir.join("keyward").join(format!(
            "blobs-{}.txt",
            &rules_digest[..16.min(rules_digest.len())]
        ));
        let mut known = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                let mut fields = line.split(' ');
                let Some(oid) = fields.next().and_then(|f| Oid::from_str(f).ok()) else {
                    continue;
                };
                let matches: Option<Vec<CachedMatch>> = fields
                    .map(|m| {
                        let mut p = m.split(':');
                        Some(CachedMatch {
                            rule: p.next()?.to_string(),
                            start: p.next()?.parse().ok()?,
                            end: p.next()?.parse().ok()?,
                        })
                    })
                    .collect();
                if let Some(matches) = matches {
                    known.insert(oid, matches);
                }
            }
        }
        BlobCache { path, known }
    }

    pub fn get(&self, oid: &Oid) -> Option<&[CachedMatch]> {
        self.known.get(oid).map(Vec::as_slice)
    }

    /// Appends newly scanned blobs.
    pub fn append(&self, scanned: &[(Oid, Vec<CachedMatch>)]) -> Result<()> {
        if scanned.is_empty() {
            return Ok(());
        }
        let dir = self.path.parent().expect("cache path has a directory");
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create cache directory", dir.display()))?;
        let mut out = String::new();
        for (oid, matches) in scanned {
            out.push_str(&oid.to_string());
            for m in matches {
                out.push_str(&format!(" {}:{}:{}", m.rule, m.start, m.end));
            }
            out.push('\n');
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("{}: cannot open cache", self.path.display()))?;
        file.write_all(out.as_bytes())
            .with_context(|| format!("{}: cannot write cache", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What is appended is what the next load returns.
    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let m = CachedMatch {
            rule: "aws-access-key-id".into(),
            start: 3,
            end: 23,
        };
        BlobCache::load(dir.path(), "abcdef0123456789ff")
            .append(&[(a, vec![]), (b, vec![m.clone()])])
            .unwrap();
        let cache = BlobCache::load(dir.path(), "abcdef0123456789ff");
        assert_eq!(cache.get(&a), Some(&[][..]));
        assert_eq!(cache.get(&b), Some(&[m][..]));
        assert!(BlobCache::load(dir.path(), "other-rules-digest")
            .get(&a)
            .is_none());
    }
}
