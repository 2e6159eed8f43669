//! The incremental-audit cache: which blobs were already scanned with this
//! rule set, and where their matches were. Stored under the repository's git
//! directory, keyed by a digest of the rules; it holds object ids, rule ids
//! and byte offsets, never a secret.
//!
//! A blob scanned only where it differs from its base (the blob it replaced
//! at its path) records that base: its entry holds for a later audit only if
//! the blob has the same base there, whose own scan then covers the rest.
//! One line per blob: `<id>[@<base id>] <rule>:<start>:<end>…`.

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

/// What the cache knows of one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBlob {
    /// Set when only the lines the blob changed from this base were scanned.
    pub base: Option<Oid>,
    pub matches: Vec<CachedMatch>,
}

pub struct BlobCache {
    path: PathBuf,
    known: HashMap<Oid, CachedBlob>,
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
                let Some(id) = fields.next() else { continue };
                let (id, base) = match id.split_once('@') {
                    Some((id, base)) => match Oid::from_str(base) {
                        Ok(base) => (id, Some(base)),
                        Err(_) => continue,
                    },
                    None => (id, None),
                };
                let Ok(oid) = Oid::from_str(id) else { continue };
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
                    known.insert(oid, CachedBlob { base, matches });
                }
            }
        }
        BlobCache { path, known }
    }

    /// The entry for blob `oid` whose base is `base` in this audit: one
    /// scanned whole, or one scanned against that same base.
    pub fn get(&self, oid: &Oid, base: Option<Oid>) -> Option<&CachedBlob> {
        self.known
            .get(oid)
            .filter(|c| c.base.is_none() || c.base == base)
    }

    /// Appends newly scanned blobs.
    pub fn append(&self, scanned: &[(Oid, CachedBlob)]) -> Result<()> {
        if scanned.is_empty() {
            return Ok(());
        }
        let dir = self.path.parent().expect("cache path has a directory");
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create cache directory", dir.display()))?;
        let mut out = String::new();
        for (oid, blob) in scanned {
            out.push_str(&oid.to_string());
            if let Some(base) = blob.base {
                out.push('@');
                out.push_str(&base.to_string());
            }
            for m in &blob.matches {
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

    /// What is appended is what the next load returns; an entry scanned
    /// against a base holds only for that base, a whole scan for any.
    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let id = |c: &str| Oid::from_str(&c.repeat(40)).unwrap();
        let (a, b, c, d) = (id("1"), id("2"), id("3"), id("4"));
        let m = CachedMatch {
            rule: "aws-access-key-id".into(),
            start: 3,
            end: 23,
        };
        let whole = CachedBlob {
            base: None,
            matches: vec![],
        };
        let against_c = CachedBlob {
            base: Some(c),
            matches: vec![m.clone()],
        };
        BlobCache::load(dir.path(), "abcdef0123456789ff")
            .append(&[(a, whole.clone()), (b, against_c.clone())])
            .unwrap();
        let cache = BlobCache::load(dir.path(), "abcdef0123456789ff");
        assert_eq!(cache.get(&a, None), Some(&whole));
        assert_eq!(cache.get(&a, Some(d)), Some(&whole));
        assert_eq!(cache.get(&b, Some(c)), Some(&against_c));
        assert_eq!(cache.get(&b, Some(d)), None);
        assert_eq!(cache.get(&b, None), None);
        assert!(BlobCache::load(dir.path(), "other-rules-digest")
            .get(&a, None)
            .is_none());
    }
}
