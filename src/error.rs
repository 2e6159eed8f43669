//! Error types for inputs a user must fix: rule files, config files,
//! baselines. Orchestration wraps everything else in `anyhow` with context.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RuleError {
    #[error("{origin}: {msg}")]
    Parse { origin: String, msg: String },
    #[error("{origin}: cannot read: {msg}")]
    Read { origin: String, msg: String },
    #[error("{origin}: rule `{id}`: {msg}")]
    Invalid {
        origin: String,
        id: String,
        msg: String,
    },
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {msg}")]
    Parse { path: String, msg: String },
}
