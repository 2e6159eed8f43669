//! Hard negatives: strings that look random, encoded or key-like but are not
//! secrets (identifiers, digests, lockfile hashes, encrypted values, public
//! keys and ids). Each is scanned through the real binary with default
//! settings and must produce no finding.

use base64::Engine;

use crate::fake;
use crate::support::Work;

/// Writes `files` into a fresh work space and asserts a default scan finds
/// nothing, listing what it did find otherwise.
fn assert_quiet(files: &[(&str, String)]) {
    let w = Work::new();
    for (path, text) in files {
        w.write(path, text);
    }
    let run = w.keyward(&["scan", "--format", "json"]);
    assert_eq!(run.rule_path_line(), vec![], "{}", run.stdout);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.scanned_files(),
        Some(files.len() as u64),
        "{}",
        run.stderr
    );
}

fn uuid(seed: u64) -> String {
    let h = fake::hex(32, seed);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..]
    )
}

/// UUIDs, even under names that say token or secret.
#[test]
fn uuids() {
    assert_quiet(&[(
        "config/app.yaml",
        format!(
            "request_id: {}\nsession_token: \"{}\"\napi_key_id = \"{}\"\ntenant: {}\nclient_secret_id: {}\n",
            uuid(1),
            uuid(2),
            uuid(3),
            uuid(4),
            uuid(5)
        ),
    )]);
}

/// Commit ids, including pinned actions.
#[test]
fn git_shas_and_pinned_actions() {
    assert_quiet(&[
        (
            ".github/workflows/ci.yml",
            format!(
                "jobs:\n  build:\n    steps:\n      - uses: actions/checkout@{} # v4.1.7\n      - uses: actions/setup-node@{}\n        with:\n          token: ${{{{ secrets.GITHUB_TOKEN }}}}\n",
                fake::hex(40, 11),
                fake::hex(40, 12)
            ),
        ),
        (
            ".pre-commit-config.yaml",
            format!(
                "repos:\n  - repo: https://github.com/gitleaks/gitleaks\n    rev: {}\n",
                fake::hex(40, 13)
            ),
        ),
        (
            "build.json",
            format!(
                "{{\"commit\": \"{}\", \"GIT_SHA\": \"{}\"}}\n",
                fake::hex(40, 14),
                fake::hex(40, 15)
            ),
        ),
    ]);
}

/// Hex digests of files and images.
#[test]
fn hex_digests() {
    assert_quiet(&[
        (
            "SHA256SUMS",
            format!(
                "{}  keyward-x86_64-linux.tar.gz\n{}  keyward-aarch64-darwin.tar.gz\n",
                fake::hex(64, 21),
                fake::hex(64, 22)
            ),
        ),
        (
            "deploy.yaml",
            format!(
                "image: nginx@sha256:{}\ndigest: \"sha256:{}\"\nmd5: {}\nsecret_sha256: {}\n",
                fake::hex(64, 23),
                fake::hex(64, 24),
                fake::hex(32, 25),
                fake::hex(64, 26)
            ),
        ),
    ]);
}

/// npm, yarn and pnpm lockfile integrity hashes, with package names that
/// contain secret words.
#[test]
fn js_lockfile_integrity() {
    let sri = |seed| format!("sha512-{}", fake::base64_bytes(64, seed));
    assert_quiet(&[
        (
            "package-lock.json",
            format!(
                "{{\n  \"packages\": {{\n    \"node_modules/js-tokens\": {{\n      \"version\": \"4.0.0\",\n      \"resolved\": \"https://registry.npmjs.org/js-tokens/-/js-tokens-4.0.0.tgz\",\n      \"integrity\": \"{}\"\n    }},\n    \"node_modules/@octokit/auth-token\": {{\n      \"version\": \"2.5.0\",\n      \"integrity\": \"{}\"\n    }}\n  }}\n}}\n",
                sri(31),
                sri(32)
            ),
        ),
        (
            "yarn.lock",
            format!(
                "\"@octokit/auth-token@^2.4.4\":\n  version \"2.5.0\"\n  resolved \"https://registry.yarnpkg.com/@octokit/auth-token/-/auth-token-2.5.0.tgz#{}\"\n  integrity {}\n",
                fake::hex(40, 33),
                sri(34)
            ),
        ),
        (
            "pnpm-lock.yaml",
            format!(
                "packages:\n  /secretlint@8.2.4:\n    resolution: {{integrity: {}}}\n  /js-tokens@4.0.0:\n    resolution: {{integrity: {}}}\n",
                sri(35),
                sri(36)
            ),
        ),
    ]);
}

/// Cargo.lock checksums and git sources.
#[test]
fn cargo_lock_checksums() {
    assert_quiet(&[(
        "Cargo.lock",
        format!(
            "[[package]]\nname = \"secrecy\"\nversion = \"0.8.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n\n[[package]]\nname = \"tokenizers\"\nversion = \"0.19.1\"\nsource = \"git+https://github.com/huggingface/tokenizers?rev=v0.19.1#{}\"\n",
            fake::hex(64, 41),
            fake::hex(40, 42)
        ),
    )]);
}

/// go.sum lines, with a module named after secrets.
#[test]
fn go_sum() {
    let h1 = |seed| format!("h1:{}", fake::base64_bytes(32, seed));
    assert_quiet(&[(
        "go.sum",
        format!(
            "github.com/aws/aws-sdk-go-v2/service/secretsmanager v1.28.6 {}\ngithub.com/aws/aws-sdk-go-v2/service/secretsmanager v1.28.6/go.mod {}\ngolang.org/x/oauth2 v0.21.0 {}\ngithub.com/golang-jwt/jwt/v5 v5.2.1 {}\n",
            h1(51),
            h1(52),
            h1(53),
            h1(54)
        ),
    )]);
}

/// pip requirement hashes.
#[test]
fn pip_hashes() {
    assert_quiet(&[(
        "requirements.txt",
        format!(
            "python-dotenv==1.0.1 \\\n    --hash=sha256:{} \\\n    --hash=sha256:{}\nkeyring==25.2.1 --hash=sha256:{}\n",
            fake::hex(64, 61),
            fake::hex(64, 62),
            fake::hex(64, 63)
        ),
    )]);
}

/// Subresource-integrity attributes.
#[test]
fn sri_integrity_attributes() {
    assert_quiet(&[(
        "public/index.html",
        format!(
            "<script src=\"https://cdn.example.org/lib.min.js\" integrity=\"sha384-{}\" crossorigin=\"anonymous\"></script>\n<link rel=\"stylesheet\" href=\"app.css\" integrity=\"sha256-{}\">\n",
            fake::base64_bytes(48, 71),
            fake::base64_bytes(32, 72)
        ),
    )]);
}

/// Base64 data: URIs for images and fonts, including an SVG that decodes
/// to text.
#[test]
fn data_uris() {
    let svg = base64::engine::general_purpose::STANDARD.encode(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><path d=\"M8 0L16 16H0z\"/></svg>",
    );
    assert_quiet(&[
        (
            "web/styles.css",
            format!(
                ".icon-token {{ background: url(data:image/png;base64,{}); }}\n@font-face {{ font-family: Inter; src: url(\"data:font/woff2;base64,{}\") format(\"woff2\"); }}\n.logo {{ background-image: url('data:image/svg+xml;base64,{svg}'); }}\n",
                fake::base64_bytes(300, 81),
                fake::base64_bytes(600, 82)
            ),
        ),
        (
            "web/icons.json",
            format!(
                "{{\"secret\": \"data:image/png;base64,{}\", \"token\": \"data:image/svg+xml;base64,{svg}\"}}\n",
                fake::base64_bytes(120, 83)
            ),
        ),
    ]);
}

/// Minified JavaScript: mangled identifiers, property copies and the base64
/// alphabet.
#[test]
fn minified_js() {
    assert_quiet(&[(
        "dist/app.min.js",
        "!function(e,t){\"use strict\";var n={apiKey:t.apiKey,authToken:e.token,secret:t.s,accessToken:e.accessToken||t.accessToken};\
         function r(e){return e.password=e.password||\"\",e.tokenType=\"Bearer\",e}var o=\"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\",\
         a0_0x4f2a=[\"getItem\",\"refreshToken\",\"setItem\"];e.exports={token:n.authToken,apiKey:n.apiKey,secretKey:r.secretKey};\
         var i=function(e){return e.apiToken?e.apiToken:e.privateKey}}(this,window);\n"
            .to_string(),
    )]);
}

/// Locale files: labels and messages about passwords, secrets and tokens.
#[test]
fn i18n_strings() {
    assert_quiet(&[
        (
            "locales/en.json",
            "{\n  \"password\": \"Password\",\n  \"passwordHint\": \"At least 12 characters, one digit\",\n  \"password_placeholder\": \"Enter your password\",\n  \"apiKey\": \"API key\",\n  \"token\": \"Personal access token\",\n  \"secret_key\": \"Secret key used to sign sessions\"\n}\n"
                .to_string(),
        ),
        (
            "locales/de.yml",
            "de:\n  password: Passwort\n  new_password: Neues Passwort eingeben\n  secret: Geheimnis\n  api_token: API-Token erstellen\n"
                .to_string(),
        ),
        (
            "locales/fr.properties",
            "login.password=Mot de passe\nlogin.password.forgot=Mot de passe oublié ?\napi.key=Clé d'API\n"
                .to_string(),
        ),
    ]);
}

/// PEM public keys and certificates, bare and base64-encoded in a Secret.
#[test]
fn pem_public_keys_and_certificates() {
    let cert = fake::pem("CERTIFICATE", 700, 91);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&cert);
    assert_quiet(&[
        ("keys/signing.pub", fake::pem("PUBLIC KEY", 294, 92)),
        ("certs/ca.crt", cert),
        (
            "k8s/tls.yaml",
            format!("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  ca.crt: {encoded}\n"),
        ),
    ]);
}

/// PEM header constants in source code.
#[test]
fn pem_headers_in_code() {
    assert_quiet(&[
        (
            "src/pem.rs",
            "const PRIVATE_KEY_HEADER: &str = \"-----BEGIN PRIVATE KEY-----\";\nconst PRIVATE_KEY_FOOTER: &str = \"-----END PRIVATE KEY-----\";\n"
                .to_string(),
        ),
        (
            "keys.go",
            "const (\n\tpemHeader = \"-----BEGIN RSA PRIVATE KEY-----\"\n\tpemFooter = \"-----END RSA PRIVATE KEY-----\"\n)\n"
                .to_string(),
        ),
        (
            "ssh.py",
            "if line.startswith(\"-----BEGIN OPENSSH PRIVATE KEY-----\"):\n    private_key = \"-----BEGIN OPENSSH PRIVATE KEY-----\\n\" + body\n"
                .to_string(),
        ),
        (
            "Pem.java",
            "private static final String BEGIN = \"-----BEGIN PRIVATE KEY-----\\n\";\nprivate static final String END = \"\\n-----END PRIVATE KEY-----\";\n"
                .to_string(),
        ),
    ]);
}

/// Ansible Vault: a vaulted variable and a whole vaulted file.
#[test]
fn ansible_vault() {
    let body: Vec<String> = (0..6).map(|i| fake::hex(80, 100 + i)).collect();
    let indented = body
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_quiet(&[
        (
            "group_vars/prod.yml",
            format!(
                "db_user: app\ndb_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n{indented}\n"
            ),
        ),
        (
            "group_vars/secrets.yml",
            format!("$ANSIBLE_VAULT;1.1;AES256\n{}\n", body.join("\n")),
        ),
    ]);
}

/// SOPS-encrypted YAML and dotenv values with their metadata.
#[test]
fn sops_encrypted_values() {
    let enc = |n, seed| {
        format!(
            "ENC[AES256_GCM,data:{},iv:{},tag:{},type:str]",
            fake::base64_bytes(n, seed),
            fake::base64_bytes(32, seed + 1),
            fake::base64_bytes(16, seed + 2)
        )
    };
    assert_quiet(&[
        (
            "secrets.enc.yaml",
            format!(
                "db:\n  password: {}\n  api_token: {}\nsops:\n  age:\n    - recipient: {}\n      enc: |\n{}  lastmodified: \"2024-05-01T10:00:00Z\"\n  mac: {}\n  version: 3.8.1\n",
                enc(18, 111),
                enc(40, 114),
                fake::lower("age1", 58, 117),
                fake::pem("AGE ENCRYPTED FILE", 200, 118)
                    .lines()
                    .map(|l| format!("        {l}\n"))
                    .collect::<String>(),
                enc(32, 119)
            ),
        ),
        (
            "prod.enc.env",
            format!(
                "DB_PASSWORD={}\nSTRIPE_SECRET_KEY={}\nsops_version=3.8.1\n",
                enc(16, 121),
                enc(32, 124)
            ),
        ),
    ]);
}

/// SealedSecret ciphertext under `encryptedData:`.
#[test]
fn sealed_secret() {
    assert_quiet(&[(
        "k8s/sealed.yaml",
        format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\nspec:\n  encryptedData:\n    password: {}\n    DATABASE_URL: {}\n  template:\n    type: Opaque\n",
            fake::base64_bytes(540, 131),
            fake::base64_bytes(600, 132)
        ),
    )]);
}

/// jwt.io's public sample token (the debugger's default), in code and a
/// header.
#[test]
fn jwt_io_sample_token() {
    // Public sample from jwt.io, not a secret: signed with "your-256-bit-secret".
    let sample = [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ]
    .join(".");
    assert_quiet(&[
        ("docs/auth.md", format!("Authorization: Bearer {sample}\n")),
        ("tests/auth_test.py", format!("token = \"{sample}\"\n")),
    ]);
}

/// Stripe publishable keys are public by design.
#[test]
fn stripe_publishable_keys() {
    let pk = fake::token("pk_live_", 99, 141);
    assert_quiet(&[
        (".env.production", format!("STRIPE_PUBLISHABLE_KEY={pk}\n")),
        (
            "web/checkout.ts",
            format!("const stripe = Stripe(\"{pk}\");\nconst config = {{ publishableKey: \"{pk}\", apiKey: \"{pk}\" }};\n"),
        ),
        ("app/payments.py", format!("stripe_api_key = \"{pk}\"\n")),
    ]);
}

/// A Sentry DSN carries only the public key.
#[test]
fn sentry_dsn_without_secret() {
    let dsn = format!(
        "https://{}@o450123.ingest.sentry.io/5512345",
        fake::hex(32, 151)
    );
    assert_quiet(&[
        (".env", format!("SENTRY_DSN={dsn}\n")),
        (
            "sentry.client.config.js",
            format!("Sentry.init({{ dsn: \"{dsn}\" }});\n"),
        ),
    ]);
}

/// Mapbox public tokens (`pk.eyJ…`).
#[test]
fn mapbox_public_tokens() {
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{{\"u\":\"mapuser\",\"a\":\"{}\"}}",
        fake::lower("cl", 23, 161)
    ));
    let pk = format!("pk.{payload}.{}", fake::token("", 22, 162));
    assert_quiet(&[
        (
            ".env",
            format!("MAPBOX_ACCESS_TOKEN={pk}\nNEXT_PUBLIC_MAPBOX_TOKEN=\"{pk}\"\n"),
        ),
        ("map.js", format!("mapboxgl.accessToken = '{pk}';\n")),
    ]);
}

/// Google OAuth client ids are public identifiers.
#[test]
fn google_oauth_client_ids() {
    let id = format!(
        "{}-{}.apps.googleusercontent.com",
        fake::hex(12, 171).replace(|c: char| c.is_ascii_alphabetic(), "7"),
        fake::lower("", 32, 172)
    );
    assert_quiet(&[
        (".env", format!("GOOGLE_CLIENT_ID={id}\n")),
        (
            "client_secret.json",
            format!("{{\"web\": {{\"client_id\": \"{id}\", \"project_id\": \"shop-prod\"}}}}\n"),
        ),
        ("auth.ts", format!("const googleAuthKey = \"{id}\";\nconst oauth = {{ clientId: '{id}', api_key: '{id}' }};\n")),
    ]);
}

/// A key that the provider's documentation publishes (Stripe's API
/// reference shows its examples with one test key) is not a finding in a
/// docs page, while a test key of the same shape that is not on the list
/// is (the file was scanned). A test key in documentation is low
/// confidence (its place lowers it), so the scan asks for low.
#[test]
fn documented_example_keys() {
    let w = Work::new();
    let documented = ["sk_test_", "4eC39HqLyjWDarjtT1zdp7dc"].concat();
    let other = fake::token("sk_test_", 24, 93);
    w.write(
        "docs/payments.md",
        &format!("```sh\ncurl https://api.stripe.com/v1/charges -u {documented}:\n```\n\nSTRIPE_KEY={other}\n"),
    );
    let run = w.keyward(&["scan", "--format", "json", "--min-confidence", "low"]);
    let found = run.rule_path_line();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].2, 5, "{found:?}");
}

/// A value under an `example` key of an OpenAPI document (YAML or JSON)
/// documents a field: no generic finding. The same value under the
/// schema's own key is one (the file was scanned).
#[test]
fn openapi_example_values() {
    let w = Work::new();
    let token = fake::token("", 40, 94);
    let other = fake::token("", 40, 95);
    w.write(
        "api/swagger.yaml",
        &format!(
            "definitions:\n  JoinTokens:\n    type: object\n    properties:\n      Worker:\n        type: string\n    example:\n      Worker: \"x\"\n      JoinToken: \"{token}\"\n  Defaults:\n    JoinToken: \"{other}\"\n"
        ),
    );
    w.write(
        "api/openapi.json",
        &format!("{{\n  \"components\": {{\n    \"examples\": {{\n      \"login\": {{\n        \"api_token\": \"{token}\"\n      }}\n    }}\n  }}\n}}\n"),
    );
    let run = w.keyward(&["scan", "--format", "json"]);
    let found = run.rule_path_line();
    assert_eq!(
        found,
        [(
            "generic-secret".to_string(),
            "api/swagger.yaml".to_string(),
            11
        )],
        "{}",
        run.stdout
    );
}
