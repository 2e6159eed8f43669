//! What a rule says of its findings: their category, how sure a match is,
//! and for config-hygiene rules, which check in code produces them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of credential a rule finds; shown in reports and usable in filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Cloud,
    Vcs,
    Ci,
    Registry,
    Payments,
    Messaging,
    Ai,
    Observability,
    Saas,
    Database,
    Jwt,
    SigningKey,
    PrivateKey,
    Credentials,
    Generic,
    EnvHygiene,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Cloud => "cloud",
            Category::Vcs => "vcs",
            Category::Ci => "ci",
            Category::Registry => "registry",
            Category::Payments => "payments",
            Category::Messaging => "messaging",
            Category::Ai => "ai",
            Category::Observability => "observability",
            Category::Saas => "saas",
            Category::Database => "database",
            Category::Jwt => "jwt",
            Category::SigningKey => "signing-key",
            Category::PrivateKey => "private-key",
            Category::Credentials => "credentials",
            Category::Generic => "generic",
            Category::EnvHygiene => "env-hygiene",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a match is a real secret: `high` for structured, prefixed or
/// checksummed tokens, `medium` for context-dependent ones, `low` for generic
/// or encrypted material. Ordered so `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The checks implemented in code that a rule can name with `check:`;
/// their findings take id, name, confidence and remedy from that rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    EnvNoIgnoreRule,
    EnvTracked,
    EnvNotIgnored,
    EnvWeakSecret,
    EnvTemplateSecret,
    EnvTemplateMissingKey,
    EnvInHistory,
}

impl Check {
    pub const ALL: [Check; 7] = [
        Check::EnvNoIgnoreRule,
        Check::EnvTracked,
        Check::EnvNotIgnored,
        Check::EnvWeakSecret,
        Check::EnvTemplateSecret,
        Check::EnvTemplateMissingKey,
        Check::EnvInHistory,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::EnvNoIgnoreRule => "env-no-ignore-rule",
            Check::EnvTracked => "env-tracked",
            Check::EnvNotIgnored => "env-not-ignored",
            Check::EnvWeakSecret => "env-weak-secret",
            Check::EnvTemplateSecret => "env-template-secret",
            Check::EnvTemplateMissingKey => "env-template-missing-key",
            Check::EnvInHistory => "env-in-history",
        }
    }

    pub fn from_name(name: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
