//! Errors in rule files: what a rule author must fix, naming the file and
//! the rule.

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
