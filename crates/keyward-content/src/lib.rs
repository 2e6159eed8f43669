//! Content: bytes plus where they came from, the checks that decide whether
//! bytes are scanned at all (binary, size), and the line index that turns a
//! byte offset into a line and column. Knows nothing of rules or git.

#![forbid(unsafe_code)]

use std::sync::Arc;

/// How many leading bytes are inspected for a NUL to call content binary.
const BINARY_PROBE: usize = 8 * 1024;

/// Where scanned content came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Tree,
    History,
    Staged,
    Stdin,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Tree => "tree",
            Source::History => "history",
            Source::Staged => "staged",
            Source::Stdin => "stdin",
        }
    }
}

/// The commit that introduced a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// RFC 3339, in the author's time zone.
    pub date: String,
}

/// Bytes to scan and their origin.
pub struct Content<'a> {
    pub bytes: &'a [u8],
    /// Relative to the scan root, `/`-separated.
    pub path: String,
    pub source: Source,
    pub commit: Option<Arc<CommitInfo>>,
    /// When set, only matches starting on these 1-based lines count: the
    /// added lines of a diff.
    pub added_lines: Option<&'a [LineRange]>,
}

/// An inclusive range of 1-based line numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRange {
    pub first: usize,
    pub last: usize,
}

/// Why content was not scanned. Every skip is counted and can be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    Binary,
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// A stream (standard input) that went on past the limit; reading
    /// stopped there, so its full size is unknown.
    StreamTooLarge {
        limit: u64,
    },
    Unreadable(String),
    Symlink,
}

impl SkipReason {
    pub fn label(&self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge { .. } | SkipReason::StreamTooLarge { .. } => "too large",
            SkipReason::Unreadable(_) => "unreadable",
            SkipReason::Symlink => "symlink",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            SkipReason::TooLarge { size, limit } => {
                format!("too large ({size} bytes, limit {limit})")
            }
            SkipReason::StreamTooLarge { limit } => {
                format!("too large (more than {limit} bytes, the limit; not read further)")
            }
            SkipReason::Unreadable(why) => format!("unreadable: {why}"),
            other => other.label().to_string(),
        }
    }
}

/// A skipped input and why.
#[derive(Debug, Clone)]
pub struct Skip {
    pub path: String,
    pub reason: SkipReason,
}

/// True when the first 8 KiB hold a NUL byte.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some()
}

/// Byte offsets of line starts, built only for content that has matches.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn locate(&self, bytes: &[u8], offset: usize) -> (usize, usize) {
        let line = self.line_of(offset);
        let start = self.starts[line - 1];
        let column = bytes[start..offset]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count()
            + 1;
        (line, column)
    }

    /// The byte span of 1-based lines `first..=last`: from the first's start
    /// to the last's end (its newline's offset, or the end of `bytes`).
    pub fn span(&self, bytes: &[u8], first: usize, last: usize) -> (usize, usize) {
        let lines = self.starts.len();
        let start = self.starts[first.clamp(1, lines) - 1];
        let end = self
            .starts
            .get(last.max(first).min(lines))
            .map_or(bytes.len(), |&next| next - 1);
        (start, end.max(start))
    }

    /// The bytes of a 1-based line, without its line ending.
    pub fn line_text<'b>(&self, bytes: &'b [u8], line: usize) -> &'b [u8] {
        let start = self.starts[line - 1];
        let end = self.starts.get(line).map_or(bytes.len(), |&next| next - 1);
        let text = &bytes[start..end.max(start)];
        text.strip_suffix(b"\r").unwrap_or(text)
    }
}

/// Reads a file that a user or a repository named as a setting (a config,
/// a baseline, a rule file) as text: it must be a regular file of at most
/// `limit` bytes, so `/dev/zero` is refused instead of read until memory
/// runs out, and a FIFO instead of waited on forever. The error says which
/// of these it was, or the OS's reason.
pub fn read_setting_file(path: &std::path::Path, limit: u64) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind};
    let bytes = read_bounded(path, limit).map_err(|reason| match reason {
        SkipReason::TooLarge { .. } | SkipReason::StreamTooLarge { .. } => Error::new(
            ErrorKind::InvalidData,
            format!("larger than {limit} bytes, the most keyward reads of such a file"),
        ),
        SkipReason::Unreadable(why) => Error::new(ErrorKind::InvalidInput, why),
        other => Error::new(ErrorKind::InvalidInput, other.detail()),
    })?;
    String::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidData, "not UTF-8 text"))
}

/// A regular file's bytes, at most `limit` of them, or why it is not read:
/// not a regular file (a FIFO is not waited on, a device not read), larger
/// than the limit (by its size, or by what it held when read), or the OS's
/// reason. Memory never grows past the limit.
pub fn read_bounded(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, SkipReason> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| SkipReason::Unreadable(e.to_string());
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(SkipReason::Unreadable("not a regular file".into()));
    }
    if meta.len() > limit {
        return Err(SkipReason::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(SkipReason::StreamTooLarge { limit });
    }
    Ok(bytes)
}

/// The most bytes of a config file (`keyward.toml`, a gitleaks config).
pub const CONFIG_FILE_LIMIT: u64 = 1 << 20;
/// The most bytes of a rule file or a baseline.
pub const DATA_FILE_LIMIT: u64 = 64 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    /// Offsets map to 1-based lines and character columns, CRLF included.
    #[test]
    fn locates_lines_and_columns() {
        let text = "a=1\r\nπ key=2\nlast".as_bytes();
        let idx = LineIndex::new(text);
        assert_eq!(idx.locate(text, 0), (1, 1));
        let key = text.windows(3).position(|w| w == b"key").unwrap();
        assert_eq!(idx.locate(text, key), (2, 3));
        assert_eq!(idx.line_text(text, 1), b"a=1");
        assert_eq!(idx.line_text(text, 3), b"last");
    }

    /// A NUL early in the content marks it binary; later ones do not.
    #[test]
    fn binary_probe_looks_at_first_8k() {
        assert!(is_binary(b"abc\0def"));
        let mut late = vec![b'a'; 9000];
        late.push(0);
        assert!(!is_binary(&late));
    }
}
