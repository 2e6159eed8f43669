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
    #[serde(default)]
    pub max_file_size: Option<u64>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            msg: e.message().to_string() + &location(&text, e.span()),
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
