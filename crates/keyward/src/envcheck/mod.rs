//! Config hygiene: every real env file (`.env`, `.env.*`, `*.env`) stays on
//! the developer's machine (ignored by git, not tracked, never committed),
//! every template (`.env.example` and friends) holds only placeholders,
//! signing keys are strong, and templates document every key. Findings are
//! ordinary findings of category `env-hygiene`. Git questions go through
//! `repo`; secret questions through the detector.

pub mod dotenv;
#[cfg(test)]
mod fuzz;

use std::path::{Path, PathBuf};

use crate::content::Skip;
use crate::detect::Detector;
use crate::finding::{Finding, Fingerprint, Secret, Source};
use crate::rules::placeholder;
use crate::rules::{Check, RuleSet};
use crate::suppress::{Exclusions, InlineAllows};

/// Real env files and templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvFileKind {
    Real,
    Template,
}

const TEMPLATE_WORDS: &[&str] = &[
    "example", "sample", "template", "dist", "default", "tmpl", "tpl", "schema",
];

/// Whether a file name is a real env file, a template, or neither.
pub fn classify(name: &str) -> Option<EnvFileKind> {
    let lower = name.to_ascii_lowercase();
    let is_env = lower == ".env"
        || lower.starts_with(".env.")
        || lower.ends_with(".env")
        || lower.contains(".env.");
    if !is_env || lower == ".envrc" {
        return None;
    }
    if TEMPLATE_WORDS.iter().any(|w| lower.contains(w)) {
        Some(EnvFileKind::Template)
    } else {
        Some(EnvFileKind::Real)
    }
}

/// Signing keys: must be long and random.
const SIGNING_KEYS: &[&str] = &[
    "SECRET_KEY",
    "JWT_SECRET",
    "JWT_SECRET_KEY",
    "APP_KEY",
    "SECRET_KEY_BASE",
    "NEXTAUTH_SECRET",
    "SESSION_SECRET",
];

/// Values people leave in place of a real secret.
const WEAK_VALUES: &[&str] = &[
    "secret",
    "password",
    "changeme",
    "change_me",
    "admin",
    "123456",
    "12345678",
    "root",
    "test",
    "qwerty",
    "letmein",
    "default",
    "pass",
    "passw0rd",
    "password1",
];

fn is_secret_named(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
    ]
    .iter()
    .any(|w| k.ends_with(w) || k.contains(&format!("{w}_")))
        || SIGNING_KEYS.contains(&k.as_str())
}

/// Whether a signing key's value is too weak: a known default, a
/// `django-insecure-` key, shorter than 32 bytes, or low in entropy.
fn is_weak_signing_key(value: &str) -> bool {
    let v = value.strip_prefix("base64:").unwrap_or(value);
    let bytes = if value.starts_with("base64:") {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(v)
            .map(|d| d.len())
            .unwrap_or(v.len())
    } else {
        v.len()
    };
    value.starts_with("django-insecure-")
        || WEAK_VALUES.contains(&value.to_ascii_lowercase().as_str())
        || bytes < 32
        || entropy::shannon_entropy(v.as_bytes()) < 3.0
}

/// What the checks found and what they could not check.
#[derive(Debug, Default)]
pub struct EnvReport {
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
    pub skips: Vec<Skip>,
    /// Env files and templates read, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// Findings dropped by a `keyward:allow` on their line.
    pub suppressed_inline: u64,
}

/// Where a finding is: a file as a whole (line 0), or one line of a file
/// whose text is given (an inline allow on that line, or a nextline one on
/// the line before, can suppress it).
#[derive(Clone, Copy)]
enum At<'a> {
    File(&'a str),
    Line(&'a str, usize, &'a str),
}

struct Ctx<'a> {
    rules: &'a RuleSet,
    allows: InlineAllows,
    report: &'a mut EnvReport,
}

impl Ctx<'_> {
    /// Whether a check's rule is enabled; a disabled check does not run.
    fn runs(&self, check: Check) -> bool {
        self.rules.check(check).is_some()
    }

    /// Reports a finding of `check`'s rule, its remedy filled from `vars`.
    fn push(
        &mut self,
        check: Check,
        at: At<'_>,
        key: &[u8],
        secret: Option<&str>,
        vars: &[(&str, &str)],
    ) {
        let Some(rule) = self.rules.check(check) else {
            return;
        };
        let (path, line) = match at {
            At::File(path) => (path, 0),
            At::Line(path, line, text) => {
                let previous = (line > 1).then(|| line_of(text, line - 1).as_bytes());
                if self
                    .allows
                    .is_allowed(line_of(text, line).as_bytes(), previous, &rule.id)
                {
                    self.report.suppressed_inline += 1;
                    return;
                }
                (path, line)
            }
        };
        self.report.findings.push(Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            category: rule.category,
            confidence: rule.confidence,
            path: path.into(),
            line,
            column: if line == 0 { 0 } else { 1 },
            secret: secret.map(Secret::new),
            fingerprint: Fingerprint::of(&rule.id, key),
            source: Source::Tree,
            commit: None,
            lifecycle: None,
            remedy: rule.remedy_with(vars),
            pair: None,
        });
    }
}

/// Env files under `root`, found whether or not git ignores them (build and
/// dependency directories are skipped), as (absolute path, path relative
/// to `root`, kind).
fn env_files(root: &Path, exclusions: &Exclusions) -> Vec<(PathBuf, String, EnvFileKind)> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .filter_entry(|e| {
            let n = e.file_name();
            !(n == ".git" || n == "node_modules" || n == "target" || n == ".venv" || n == "vendor")
        })
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        let Some(kind) = classify(&name) else {
            continue;
        };
        let rel = crate::sources::tree::relative(root, entry.path(), false);
        if exclusions.is_excluded(&rel) {
            continue;
        }
        out.push((entry.path().to_path_buf(), rel, kind));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// Runs every check whose rule is in `rules` (the `env-hygiene` rules
/// left after `disable_rules` and the minimum confidence) on the env files
/// under `root`. Checks that need git are skipped with a warning outside a
/// repository.
pub fn check(
    root: &Path,
    rules: &RuleSet,
    detector: &Detector<'_>,
    exclusions: &Exclusions,
    max_file_size: u64,
    allows: InlineAllows,
) -> EnvReport {
    let mut report = EnvReport::default();
    let files = env_files(root, exclusions);
    let repo = git2::Repository::discover(root)
        .ok()
        .filter(|r| !r.is_bare());
    let mut ctx = Ctx {
        rules,
        allows,
        report: &mut report,
    };
    match &repo {
        Some(repo)
            if ctx.runs(Check::EnvNoIgnoreRule)
                && !crate::repo::is_ignored(repo, root, Path::new(".env")) =>
        {
            ctx.push(
                Check::EnvNoIgnoreRule,
                At::File(".gitignore"),
                b".gitignore",
                None,
                &[],
            );
        }
        Some(_) => {}
        None if files.iter().any(|f| f.2 == EnvFileKind::Real) => {
            ctx.report.warnings.push(format!(
                "{}: not a git repository: .env ignore and tracking checks were skipped",
                root.display()
            ))
        }
        None => {}
    }
    let mut parsed: Vec<(String, EnvFileKind, String, dotenv::Parsed)> = Vec::new();
    for (abs, rel, kind) in &files {
        let text = match crate::content::read_bounded(abs, max_file_size) {
            Ok(b) => {
                ctx.report.files += 1;
                ctx.report.bytes += b.len() as u64;
                String::from_utf8_lossy(&b).into_owned()
            }
            Err(reason) => {
                ctx.report.skips.push(Skip {
                    path: rel.clone(),
                    reason,
                });
                continue;
            }
        };
        let env = dotenv::parse(&text);
        for (line, why) in &env.warnings {
            ctx.report.warnings.push(format!("{rel}:{line}: {why}"));
        }
        let vars = [("path", rel.as_str())];
        if *kind == EnvFileKind::Real {
            if let Some(repo) = &repo {
                let rel_path = Path::new(rel.as_str());
                // A tracked file is reported as tracked only, even when
                // that check is off: it is not "not ignored".
                if crate::repo::is_tracked(repo, root, rel_path) {
                    ctx.push(
                        Check::EnvTracked,
                        At::File(rel),
                        rel.as_bytes(),
                        None,
                        &vars,
                    );
                } else if ctx.runs(Check::EnvNotIgnored)
                    && !crate::repo::is_ignored(repo, root, rel_path)
                {
                    ctx.push(
                        Check::EnvNotIgnored,
                        At::File(rel),
                        rel.as_bytes(),
                        None,
                        &vars,
                    );
                }
            }
            if ctx.runs(Check::EnvWeakSecret) {
                weak_secrets(&mut ctx, rel, &text, &env);
            }
        } else if ctx.runs(Check::EnvTemplateSecret) {
            template_secrets(&mut ctx, detector, rel, &text, &env);
        }
        parsed.push((rel.clone(), *kind, text, env));
    }
    if ctx.runs(Check::EnvTemplateMissingKey) {
        drift(&mut ctx, &parsed);
    }
    report
}

/// The text of 1-based line `n`, for inline allows.
fn line_of(text: &str, n: usize) -> &str {
    text.lines().nth(n.saturating_sub(1)).unwrap_or_default()
}

fn weak_secrets(ctx: &mut Ctx<'_>, rel: &str, text: &str, env: &dotenv::Parsed) {
    for e in &env.entries {
        if e.value.is_empty() || !is_secret_named(&e.key) {
            continue;
        }
        let signing = SIGNING_KEYS.contains(&e.key.to_ascii_uppercase().as_str());
        let weak = if signing {
            is_weak_signing_key(&e.value)
        } else {
            WEAK_VALUES.contains(&e.value.to_ascii_lowercase().as_str())
                || e.value.starts_with("django-insecure-")
        };
        if weak {
            let what = if signing {
                "a signing key needs 32+ random bytes"
            } else {
                "a well-known default"
            };
            ctx.push(
                Check::EnvWeakSecret,
                At::Line(rel, e.line, text),
                format!("{}={}", e.key, e.value).as_bytes(),
                Some(&e.value),
                &[("key", &e.key), ("what", what), ("path", rel)],
            );
        }
    }
}

fn template_secrets(
    ctx: &mut Ctx<'_>,
    detector: &Detector<'_>,
    rel: &str,
    text: &str,
    env: &dotenv::Parsed,
) {
    let lines: Vec<&str> = text.lines().collect();
    for e in &env.entries {
        if e.value.is_empty() {
            continue;
        }
        let line_text = lines.get(e.line - 1).copied().unwrap_or_default();
        let matched = !detector.detect(line_text.as_bytes()).is_empty();
        let random = is_secret_named(&e.key)
            && !placeholder::is_placeholder(e.value.as_bytes())
            && !placeholder::is_human_placeholder(e.value.as_bytes())
            && e.value.len() >= 12
            && entropy::shannon_entropy(e.value.as_bytes()) >= 3.3;
        if matched || random {
            ctx.push(
                Check::EnvTemplateSecret,
                At::Line(rel, e.line, text),
                format!("{}={}", e.key, e.value).as_bytes(),
                Some(&e.value),
                &[("key", &e.key), ("path", rel)],
            );
        }
    }
}

/// Keys set in a real env file but missing from the template beside it.
fn drift(ctx: &mut Ctx<'_>, parsed: &[(String, EnvFileKind, String, dotenv::Parsed)]) {
    let dir = |p: &str| {
        p.rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_string())
    };
    for (rel, kind, text, env) in parsed {
        if *kind != EnvFileKind::Real {
            continue;
        }
        let Some((template, tenv)) = parsed
            .iter()
            .find(|(t, k, _, _)| *k == EnvFileKind::Template && dir(t) == dir(rel))
            .map(|(t, _, _, e)| (t, e))
        else {
            continue;
        };
        for e in &env.entries {
            if tenv.get(&e.key).is_none() {
                ctx.push(
                    Check::EnvTemplateMissingKey,
                    At::Line(rel, e.line, text),
                    format!("{rel}:{}", e.key).as_bytes(),
                    None,
                    &[("key", &e.key), ("template", template), ("path", rel)],
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real env files and templates are told apart by name.
    #[test]
    fn classifies_names() {
        for real in [
            ".env",
            ".env.local",
            ".env.production",
            "prod.env",
            "docker.env",
        ] {
            assert_eq!(classify(real), Some(EnvFileKind::Real), "{real}");
        }
        for t in [
            ".env.example",
            ".env.sample",
            ".env.template",
            ".env.dist",
            ".env.defaults",
            "example.env",
            "app.env.example",
        ] {
            assert_eq!(classify(t), Some(EnvFileKind::Template), "{t}");
        }
        for n in [".envrc", "environment.py", "env.rs", "README"] {
            assert_eq!(classify(n), None, "{n}");
        }
    }

    /// Signing keys must be long and random; known defaults are weak.
    #[test]
    fn weak_signing_keys() {
        assert!(is_weak_signing_key("changeme"));
        assert!(is_weak_signing_key(
            "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789"
        ));
        assert!(is_weak_signing_key("short-but-random-9f8e"));
        assert!(!is_weak_signing_key("q8Fz2LpW7vXk4NcRt6YhJ3mB9sD1wE5uA0zC"));
        // Built here, so the tree holds no Laravel key for a scan to find.
        let laravel_key = ["base64:", "K4tYnzNLeK6kjcbhgN7kwjSbbciSPOcSeVce2LWxq8E="].concat();
        assert!(!is_weak_signing_key(&laravel_key));
    }
}
