//! Decoding through the real binary: base64 values in Kubernetes Secrets and
//! long inline base64 strings are decoded and scanned, and findings point at
//! the encoded line.

use base64::Engine;

use crate::fake;
use crate::support::Work;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn triple(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

/// A Postgres URL and a GitHub token base64-encoded under a Secret's `data:`
/// are found by their own rules on the encoded lines; an encoded placeholder
/// and a ConfigMap's data are not reported.
#[test]
fn kubernetes_secret_data_is_decoded() {
    let w = Work::new();
    let url = format!(
        "postgres://app:{}@db.internal:5432/app",
        fake::password(101)
    );
    let ghp = fake::github("ghp_", 102);
    w.write(
        "k8s/app.yaml",
        &format!(
            "apiVersion: v1\n\
             kind: ConfigMap\n\
             metadata:\n  name: app\n\
             data:\n  LOG_LEVEL: {}\n\
             ---\n\
             apiVersion: v1\n\
             kind: Secret\n\
             metadata:\n  name: app\n\
             type: Opaque\n\
             data:\n  DATABASE_URL: {}\n  GITHUB_TOKEN: \"{}\"\n  password: {}\n",
            b64("debug"),
            b64(&url),
            b64(&ghp),
            b64("changeme"),
        ),
    );
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.rule_path_line(),
        vec![
            triple("postgres-url-password", "k8s/app.yaml", 14),
            triple("github-pat-classic", "k8s/app.yaml", 15),
        ]
    );
    let column = |i: usize| run.findings()[i]["column"].as_u64().expect("column");
    assert_eq!((column(0), column(1)), (17, 18));
    assert!(!run.stdout.contains(&ghp) && !run.stdout.contains(&url));
}

/// A long base64 string in a config value is decoded one level deep; a
/// secret encoded twice is not looked for.
#[test]
fn inline_base64_is_decoded_once() {
    let w = Work::new();
    let ghp = fake::github("ghp_", 103);
    let once = b64(&format!("{{\"auth\": \"{ghp}\"}}"));
    w.write(
        "deploy/config.json",
        &format!(
            "{{\n  \"blob\": \"{once}\",\n  \"nested\": \"{}\"\n}}\n",
            b64(&once)
        ),
    );
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(
        run.rule_path_line(),
        vec![triple("github-pat-classic", "deploy/config.json", 2)]
    );
}
