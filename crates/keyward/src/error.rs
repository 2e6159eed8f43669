//! Error types for inputs a user must fix: config files and baselines.
//! Rule-file errors are `keyward_rules::RuleError`. Orchestration wraps
//! everything else in `anyhow` with context.

use thiserror::Error;

pub use keyward_rules::RuleError;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}: cannot read")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {msg}")]
    Parse { path: String, msg: String },
}
