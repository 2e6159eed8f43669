//! The incremental-audit cache: which blobs were already scanned with this
//! rule set, and where their matches were. Stored under the repository's git
//! directory, keyed by a digest of the rules; it holds object ids, rule ids
//! and byte offsets, never a secret.
//!
//! Each entry holds every match a whole scan of the blob finds, however it
//! was scanned: one line per blob, `<id> <rule>:<start>:<end>:<context
//! start>:<context end>…`. Lines of the earlier format (an `@<base>` after
//! the id: matches against a base only) are ignored, so those blobs are
//! scanned again.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use git2::Oid;

/// A cached match: rule id, the secret's byte span in the blob and the
/// span it depends on (see [`crate::detect::Match::context`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedMatch {
    pub rule: String,
    pub start: usize,
    pub end: usize,
    pub context: (usize, usize),
}

/// What the cache knows of one blob: every match in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBlob {
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
            // A last line without its newline was cut short (an audit
            // stopped while appending): a bare id would pass for clean.
            let whole = text
                .split_inclusive('\n')
                .filter_map(|l| l.strip_suffix('\n'));
            for line in whole {
                let mut fields = line.split(' ');
                let Some(id) = fields.next() else { continue };
                let Ok(oid) = Oid::from_str(id) else { continue };
                let matches: Option<Vec<CachedMatch>> = fields
                    .map(|m| {
                        let mut p = m.split(':');
                        let rule = p.next()?.to_string();
                        let mut number = || p.next()?.parse().ok();
                        let (start, end) = (number()?, number()?);
                        let context = (number()?, number()?);
                        Some(CachedMatch {
                            rule,
                            start,
                            end,
                            context,
                        })
                    })
                    .collect();
                if let Some(matches) = matches {
                    known.insert(oid, CachedBlob { matches });
                }
            }
        }
        BlobCache { path, known }
    }

    /// The entry for blob `oid`.
    pub fn get(&self, oid: &Oid) -> Option<&CachedBlob> {
        self.known.get(oid)
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
            for m in &blob.matches {
                let (from, to) = m.context;
                out.push_str(&format!(" {}:{}:{}:{from}:{to}", m.rule, m.start, m.end));
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

    /// What is appended is what the next load returns; a line of the
    /// earlier format (matches against a base) and a last line without its
    /// newline are not entries.
    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let id = |c: &str| Oid::from_str(&c.repeat(40)).unwrap();
        let (a, b, c) = (id("1"), id("2"), id("3"));
        let m = CachedMatch {
            rule: "aws-access-key-id".into(),
            start: 3,
            end: 23,
            context: (0, 24),
        };
        let clean = CachedBlob { matches: vec![] };
        let holding = CachedBlob {
            matches: vec![m.clone(), m.clone()],
        };
        let cache = BlobCache::load(dir.path(), "abcdef0123456789ff");
        cache
            .append(&[(a, clean.clone()), (b, holding.clone())])
            .unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&cache.path)
            .unwrap();
        writeln!(file, "{c}@{a} aws-access-key-id:3:23").unwrap();
        let d = id("4");
        write!(file, "{d}").unwrap();
        let cache = BlobCache::load(dir.path(), "abcdef0123456789ff");
        assert_eq!(cache.get(&a), Some(&clean));
        assert_eq!(cache.get(&b), Some(&holding));
        assert_eq!(cache.get(&c), None);
        assert_eq!(cache.get(&d), None, "a line cut short is not an entry");
        assert!(BlobCache::load(dir.path(), "other-rules-digest")
            .get(&a)
            .is_none());
    }
}
