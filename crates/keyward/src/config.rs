//! `keyward.toml`: the repository's own settings. Found at the root of the
//! scanned repository (or given with `--config`); unknown keys are errors
//! that name the key, so a typo never silently disables a setting.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::ConfigError;
use crate::rules::Confidence;

pub const FILE_NAME: &str = "keyward.toml";

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Globs over paths relative to the scan root; matching files are not scanned.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Rule ids to turn off.
    #[serde(default)]
    pub disable_rules: Vec<String>,
    /// Extra rule files, relative to the config file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    #[serde(default)]
    pub min_confidence: Option<Confidence>,
    /// Baseline file, relative to the config file.
    #[serde(default)]
    pub baseline: Option<PathBuf>,
    /// Bytes, or a number with K, M or G, as `--max-file-size` takes.
    #[serde(default, deserialize_with = "size")]
    pub max_file_size: Option<u64>,
    /// Honour other tools' inline allow comments as `keyward:allow`:
    /// gitleaks' `gitleaks:allow` and detect-secrets' `pragma: allowlist
    /// secret` (and `pragma: allowlist nextline secret` on the line before).
    /// `None` means on.
    #[serde(default)]
    pub foreign_allows: Option<bool>,
}

/// A size as `--max-file-size` and `max_file_size` take it: bytes, or a
/// number with a K, M or G suffix (binary multiples; `KB`, `KiB` too).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 500K, 10M)"))?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{s}` has an unknown unit (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// `max_file_size`: a number of bytes or a string [`parse_size`] reads.
fn size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct Size;
    impl serde::de::Visitor<'_> for Size {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a size: bytes, or a number with K, M or G (10M)")
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u64, E> {
            Ok(n)
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<u64, E> {
            u64::try_from(n).map_err(|_| E::custom(format!("`{n}` is not a size")))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<u64, E> {
            parse_size(s).map_err(E::custom)
        }
    }
    d.deserialize_any(Size).map(Some)
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = crate::content::read_setting_file(path, crate::content::CONFIG_FILE_LIMIT)
            .map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
        Config::from_text(&text, path)
    }

    /// The settings in `text`, read from the file at `path` (named in
    /// errors; relative rule and baseline paths are resolved against its
    /// directory).
    pub fn from_text(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            msg: e.message().to_string() + &location(text, e.span()),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for rule_file in &mut config.rules {
            *rule_file = base.join(&*rule_file);
        }
        if let Some(b) = &mut config.baseline {
            *b = base.join(&*b);
        }
        Ok(config)
    }

    /// The config at `root/keyward.toml`, or the default when there is none.
    pub fn discover(root: &Path) -> Result<Config, ConfigError> {
        let path = root.join(FILE_NAME);
        if path.is_file() {
            Config::load(&path)
        } else {
            Ok(Config::default())
        }
    }
}

fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| {
        format!(
            " (line {})",
            text[..s.start.min(text.len())].matches('\n').count() + 1
        )
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes accept plain bytes and K/M/G suffixes, and reject nonsense.
    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5T").is_err());
    }

    /// An unknown key is an error that names it.
    #[test]
    fn unknown_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "exclude = []\nexlude = [\"x\"]\n").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("exlude"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }
}

#[cfg(test)]
mod fuzz;
