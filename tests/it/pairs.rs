//! Two-part credentials: a finding of a rule with `pair` carries the id
//! part (account SID, client id, access key id) found within the rule's
//! reach, and is reported the same without it. Fakes are generated here.

use serde_json::Value;

use crate::fake::{hex, token, Rng};
use crate::support::Work;

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DIGITS: &[u8] = b"0123456789";

fn uuid(seed: u64) -> String {
    let h = hex(32, seed);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// One provider's two parts: the rule, the id's line and the secret's
/// line as written in a config file, and the id itself.
struct Case {
    rule: &'static str,
    id_line: String,
    secret_line: String,
    id: String,
}

/// Every rule given a pair, with fresh fakes from `seed`.
fn cases(seed: u64) -> Vec<Case> {
    let case = |rule, id: String, id_line: String, secret_line: String| Case {
        rule,
        id_line,
        secret_line,
        id,
    };
    let sid = format!("AC{}", hex(32, seed));
    let aws_id = crate::fake::aws_key_id(seed + 1);
    let algolia = Rng::new(seed + 2).pick(UPPER_DIGITS, 10);
    let pusher = hex(20, seed + 3);
    let google = format!(
        "{}-{}.apps.googleusercontent.com",
        Rng::new(seed + 4).pick(DIGITS, 12),
        crate::fake::lower("", 32, seed + 4)
    );
    let entra = uuid(seed + 5);
    let okta = token("0oa", 17, seed + 6);
    let auth0 = token("", 32, seed + 7);
    let plaid = hex(24, seed + 8);
    vec![
        case(
            "twilio-auth-token",
            sid.clone(),
            format!("TWILIO_ACCOUNT_SID={sid}"),
            format!("TWILIO_AUTH_TOKEN={}", hex(32, seed + 20)),
        ),
        case(
            "aws-secret-access-key",
            aws_id.clone(),
            format!("aws_access_key_id = {aws_id}"),
            format!("aws_secret_access_key = {}", token("", 40, seed + 21)),
        ),
        case(
            "algolia-admin-key",
            algolia.clone(),
            format!("ALGOLIA_APP_ID={algolia}"),
            format!("ALGOLIA_ADMIN_KEY={}", hex(32, seed + 22)),
        ),
        case(
            "pusher-app-secret",
            pusher.clone(),
            format!("PUSHER_APP_KEY={pusher}"),
            format!("PUSHER_APP_SECRET={}", hex(20, seed + 23)),
        ),
        case(
            "gcp-oauth-client-secret",
            google.clone(),
            format!("GOOGLE_CLIENT_ID={google}"),
            format!("GOOGLE_CLIENT_SECRET={}", token("GOCSPX-", 28, seed + 24)),
        ),
        case(
            "azure-entra-client-secret",
            entra.clone(),
            format!("AZURE_CLIENT_ID={entra}"),
            format!(
                "AZURE_CLIENT_SECRET={}8Q~{}",
                token("", 3, seed + 25),
                token("", 34, seed + 26)
            ),
        ),
        case(
            "okta-client-secret",
            okta.clone(),
            format!("OKTA_CLIENT_ID={okta}"),
            format!("OKTA_CLIENT_SECRET={}", token("", 40, seed + 27)),
        ),
        case(
            "auth0-client-secret",
            auth0.clone(),
            format!("AUTH0_CLIENT_ID={auth0}"),
            format!("AUTH0_CLIENT_SECRET={}", token("", 64, seed + 28)),
        ),
        case(
            "plaid-secret",
            plaid.clone(),
            format!("PLAID_CLIENT_ID={plaid}"),
            format!("PLAID_SECRET={}", hex(30, seed + 29)),
        ),
    ]
}

/// The findings of `rule` in a JSON scan of the work space.
fn findings_of(w: &Work, rule: &str) -> Vec<Value> {
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.findings()
        .into_iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

/// `gap` filler lines between the id's line and the secret's.
fn config(case: &Case, gap: usize, id_first: bool) -> String {
    let filler = "LOG_LEVEL=info\n".repeat(gap);
    let (a, b) = if id_first {
        (&case.id_line, &case.secret_line)
    } else {
        (&case.secret_line, &case.id_line)
    };
    format!("# settings\n{a}\n{filler}{b}\n")
}

/// Near the secret (before it or after it, up to five lines away), the id
/// is attached: its name, its value in clear, its line.
#[test]
fn pair_is_attached_when_near() {
    for (i, case) in cases(7100).iter().enumerate() {
        for (gap, id_first) in [(0, true), (4, true), (4, false)] {
            let w = Work::new();
            w.write("app.env", &config(case, gap, id_first));
            let found = findings_of(&w, case.rule);
            assert_eq!(found.len(), 1, "{}: {found:?}", case.rule);
            let id_line = if id_first { 2 } else { 3 + gap };
            let pair = &found[0]["pair"];
            assert_eq!(pair["value"], case.id.as_str(), "{} case {i}", case.rule);
            assert_eq!(pair["line"], id_line, "{}", case.rule);
            assert!(pair["name"].as_str().is_some_and(|n| !n.is_empty()));
        }
    }
}

/// Beyond `within` lines the id is not attached, and the secret is still
/// reported, as it is with no id at all.
#[test]
fn secret_is_reported_without_a_far_or_missing_id() {
    for case in cases(7200) {
        let w = Work::new();
        w.write("far.env", &config(&case, 5, true));
        w.write("alone.env", &format!("{}\n", case.secret_line));
        let found = findings_of(&w, case.rule);
        let paths: Vec<&str> = found.iter().filter_map(|f| f["path"].as_str()).collect();
        assert_eq!(paths, ["alone.env", "far.env"], "{}", case.rule);
        for f in &found {
            assert!(f.get("pair").is_none(), "{}: {f}", case.rule);
        }
    }
}

/// The nearest id wins; an id in another file is never attached.
#[test]
fn nearest_id_in_the_same_file_wins() {
    let sid = |seed| format!("AC{}", hex(32, seed));
    let (far, near, other) = (sid(7301), sid(7302), sid(7303));
    let w = Work::new();
    w.write(
        "twilio.env",
        &format!(
            "TWILIO_ACCOUNT_SID={far}\n\n\nTWILIO_AUTH_TOKEN={}\nTWILIO_ACCOUNT_SID={near}\n",
            hex(32, 7304)
        ),
    );
    w.write("sid.env", &format!("TWILIO_ACCOUNT_SID={other}\n"));
    w.write(
        "token.env",
        &format!("TWILIO_AUTH_TOKEN={}\n", hex(32, 7305)),
    );
    let found = findings_of(&w, "twilio-auth-token");
    let pairs: Vec<(&str, &Value)> = found
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), &f["pair"]))
        .collect();
    assert_eq!(pairs.len(), 2, "{found:?}");
    assert_eq!(pairs[0].0, "token.env");
    assert!(pairs[0].1.is_null());
    assert_eq!(pairs[1].0, "twilio.env");
    assert_eq!(pairs[1].1["value"], near.as_str());
    assert_eq!(pairs[1].1["line"], 5);
}

/// The JSON field's shape; the human report's short note; SARIF's result
/// properties. The secret stays redacted; a finding without a pair has no
/// field at all.
#[test]
fn reports_show_the_pair() {
    let case = &cases(7400)[0];
    let w = Work::new();
    w.write("a.env", &config(case, 1, true));
    let secret = case.secret_line.split('=').nth(1).unwrap().to_string();
    w.write(
        "b.env",
        &format!("GITHUB_TOKEN={}\n", crate::fake::github("ghp_", 7401)),
    );
    let run = w.keyward(&["scan", "--format", "json"]);
    let found = run.findings();
    let twilio = found
        .iter()
        .find(|f| f["rule_id"] == "twilio-auth-token")
        .expect("twilio finding");
    assert_eq!(
        twilio["pair"],
        serde_json::json!({ "name": "account SID", "value": case.id, "line": 2 })
    );
    // Written after the secret, before the source (the report's order).
    let text = &run.stdout;
    let at = |k: &str| text.find(k).unwrap_or_else(|| panic!("{k} in {text}"));
    let start = at("\"twilio-auth-token\"");
    let after = |k: &str| start + text[start..].find(k).unwrap();
    assert!(after("\"secret\":") < after("\"pair\":"));
    assert!(after("\"pair\":") < after("\"source\":"));
    assert!(!run.stdout.contains(&secret));
    let others: Vec<&Value> = found.iter().filter(|f| f["path"] == "b.env").collect();
    assert!(!others.is_empty());
    assert!(others.iter().all(|f| f.get("pair").is_none()));

    let human = w.keyward(&["scan"]).stdout;
    let note = format!("(with account SID {}… on line 2)", &case.id[..8]);
    assert!(human.contains(&note), "{human}");
    assert!(!human.contains(&secret));

    let sarif: Value =
        serde_json::from_str(&w.keyward(&["scan", "--format", "sarif"]).stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let result = results
        .iter()
        .find(|r| r["ruleId"] == "twilio-auth-token")
        .unwrap();
    assert_eq!(result["properties"]["pair"]["value"], case.id.as_str());
    assert_eq!(result["properties"]["pair"]["line"], 2);
    assert!(crate::support::sarif_validator().validate(&sarif).is_ok());
}

/// The history audit attaches the pair too, from the blob that holds the
/// secret.
#[test]
fn history_findings_carry_the_pair() {
    let case = &cases(7500)[1];
    let mut w = Work::repo();
    w.commit("config.ini", &config(case, 2, false), "add config");
    w.commit("config.ini", "# moved to the vault\n", "remove config");
    let run = w.keyward(&["git", "--format", "json"]);
    let found: Vec<Value> = run
        .findings()
        .into_iter()
        .filter(|f| f["rule_id"] == case.rule)
        .collect();
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["pair"]["value"], case.id.as_str());
    assert_eq!(found[0]["pair"]["line"], 5);
}
