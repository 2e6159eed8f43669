//! `.gitleaksignore`: the findings a gitleaks user listed as not worth
//! reporting, honoured so the list keeps working under keyward. An entry
//! names a place (commit, file, line) and a gitleaks rule id; keyward's
//! rule ids are not gitleaks', so an entry suppresses whatever keyward finds
//! at its place. Parses and matches; reads no git objects, prints nothing
//! (problems and unused entries come back as warnings).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::finding::Finding;

pub const FILE_NAME: &str = ".gitleaksignore";

/// One entry: `commit:file:rule:line` or `file:rule:line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line of the entry in `.gitleaksignore`.
    pub number: usize,
    /// Full commit id, lowercase; `None` matches a finding in any commit
    /// (or in the working tree).
    pub commit: Option<String>,
    /// `/`-separated, as keyward reports paths.
    pub file: String,
    /// gitleaks' rule id: shown in warnings, never matched.
    pub rule: String,
    /// 1-based line of the finding.
    pub line: usize,
}

/// The parsed file, and which entries have matched a finding so far.
#[derive(Debug, Default)]
pub struct GitleaksIgnore {
    entries: Vec<Entry>,
    /// Entry indexes by (file, line): findings are few, entries may be many.
    by_place: HashMap<(String, usize), Vec<usize>>,
    used: Vec<AtomicBool>,
}

impl GitleaksIgnore {
    /// Reads `root/.gitleaksignore` when there is one. A file that cannot
    /// be read is a warning: keyward then reports more, never less.
    pub fn discover(root: &Path) -> (Option<GitleaksIgnore>, Vec<String>) {
        let path = root.join(FILE_NAME);
        if !path.is_file() {
            return (None, Vec::new());
        }
        match crate::content::read_setting_file(&path, crate::content::DATA_FILE_LIMIT) {
            Ok(text) => {
                let (ignore, warnings) = GitleaksIgnore::parse(&text);
                (Some(ignore), warnings)
            }
            Err(e) => (None, vec![format!("{FILE_NAME}: cannot read: {e}")]),
        }
    }

    /// Parses the file's text: blank lines and `#` comments are skipped, a
    /// malformed line is a warning naming it and is otherwise ignored.
    pub fn parse(text: &str) -> (GitleaksIgnore, Vec<String>) {
        let mut ignore = GitleaksIgnore::default();
        let mut warnings = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let number = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_entry(number, line) {
                Some(entry) => ignore.push(entry),
                None => warnings.push(format!(
                    "{FILE_NAME}:{number}: not `commit:file:rule:line` or `file:rule:line`: `{line}`"
                )),
            }
        }
        (ignore, warnings)
    }

    fn push(&mut self, entry: Entry) {
        self.by_place
            .entry((entry.file.clone(), entry.line))
            .or_default()
            .push(self.entries.len());
        self.entries.push(entry);
        self.used.push(AtomicBool::new(false));
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// True when an entry names `finding`'s place: its file and line, and
    /// its commit when the entry names one. Every entry that does is
    /// marked used.
    pub fn is_ignored(&self, finding: &Finding) -> bool {
        let Some(candidates) = self.by_place.get(&(finding.path.clone(), finding.line)) else {
            return false;
        };
        let commit = finding.commit.as_ref().map(|c| c.id.as_str());
        let mut ignored = false;
        for &i in candidates {
            let matches = match &self.entries[i].commit {
                None => true,
                Some(c) => commit.is_some_and(|id| id.eq_ignore_ascii_case(c)),
            };
            if matches {
                self.used[i].store(true, Ordering::Relaxed);
                ignored = true;
            }
        }
        ignored
    }

    /// Drops the findings an entry names; returns how many.
    pub fn retain(&self, findings: &mut Vec<Finding>) -> u64 {
        let before = findings.len();
        findings.retain(|f| !self.is_ignored(f));
        (before - findings.len()) as u64
    }

    /// One warning per entry that has matched no finding yet.
    pub fn unused_warnings(&self) -> Vec<String> {
        self.entries
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !used.load(Ordering::Relaxed))
            .map(|(e, _)| {
                let commit = e
                    .commit
                    .as_deref()
                    .map(|c| format!("{c}:"))
                    .unwrap_or_default();
                format!(
                    "{FILE_NAME}:{}: matches no finding ({commit}{}:{}:{})",
                    e.number, e.file, e.rule, e.line
                )
            })
            .collect()
    }
}

/// One entry, split from the right so a path may hold colons: the line,
/// then the rule, then a commit (40 or 64 hex digits) and the file, or
/// only the file.
fn parse_entry(number: usize, text: &str) -> Option<Entry> {
    let (rest, line) = text.rsplit_once(':')?;
    let line: usize = line.trim().parse().ok().filter(|&n| n > 0)?;
    let (rest, rule) = rest.rsplit_once(':')?;
    if rule.is_empty() {
        return None;
    }
    let (commit, file) = match rest.split_once(':') {
        Some((c, file)) if is_commit_id(c) => (Some(c.to_ascii_lowercase()), file),
        _ => (None, rest),
    };
    let file = file.replace('\\', "/");
    let file = file.strip_prefix("./").unwrap_or(&file);
    if file.is_empty() {
        return None;
    }
    Some(Entry {
        number,
        commit,
        file: file.to_string(),
        rule: rule.to_string(),
        line,
    })
}

fn is_commit_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    /// Both entry shapes parse; comments and blank lines are skipped.
    #[test]
    fn parses_both_shapes() {
        let text = format!(
            "# reviewed\n\n{COMMIT}:src/a.py:generic-api-key:3\n  ./b.env:aws-access-token:12  \r\n"
        );
        let (ignore, warnings) = GitleaksIgnore::parse(&text);
        assert!(warnings.is_empty(), "{warnings:?}");
        let e = ignore.entries();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].number, 3);
        assert_eq!(e[0].commit.as_deref(), Some(COMMIT));
        assert_eq!(
            (e[0].file.as_str(), e[0].rule.as_str(), e[0].line),
            ("src/a.py", "generic-api-key", 3)
        );
        assert_eq!(e[1].number, 4);
        assert_eq!(e[1].commit, None);
        assert_eq!((e[1].file.as_str(), e[1].line), ("b.env", 12));
    }

    /// Paths may hold colons and backslashes: the split is from the right,
    /// and only 40 or 64 hex digits before the first colon are a commit.
    #[test]
    fn paths_with_colons_split_from_the_right() {
        let text = format!("C:\\work\\a.txt:r:1\n{COMMIT}:dir/x:y.txt:r:2\nabc:def.txt:r:5\n");
        let (ignore, warnings) = GitleaksIgnore::parse(&text);
        assert!(warnings.is_empty(), "{warnings:?}");
        let e = ignore.entries();
        assert_eq!(
            (e[0].commit.as_deref(), e[0].file.as_str()),
            (None, "C:/work/a.txt")
        );
        assert_eq!(
            (e[1].commit.as_deref(), e[1].file.as_str()),
            (Some(COMMIT), "dir/x:y.txt")
        );
        assert_eq!(
            (e[2].commit.as_deref(), e[2].file.as_str()),
            (None, "abc:def.txt")
        );
    }

    /// Malformed lines are warnings naming their line; the rest still parse.
    #[test]
    fn malformed_lines_are_warnings() {
        let text = "just-a-path\na.py:rule:zero\na.py:rule:0\n:rule:4\na.py::4\na.py:rule:-1\nok.py:rule:7\n";
        let (ignore, warnings) = GitleaksIgnore::parse(text);
        assert_eq!(ignore.entries().len(), 1);
        assert_eq!(ignore.entries()[0].number, 7);
        let lines: Vec<&str> = warnings
            .iter()
            .map(|w| w.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                ".gitleaksignore:1",
                ".gitleaksignore:2",
                ".gitleaksignore:3",
                ".gitleaksignore:4",
                ".gitleaksignore:5",
                ".gitleaksignore:6"
            ]
        );
    }
}
