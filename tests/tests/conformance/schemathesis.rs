//! schemathesis (PyPI) fuzzes the sandbox from the spec: no 5xx, and every answer conforms to
//! the spec's schema for its operation.
//!
//! Three passes, each with the credentials its operations need, so the generated requests get
//! past authentication and exercise the rules behind it:
//! * user calls of `/api/v3` with the app id and a signed-in user's token;
//! * management calls with a management token and the user pool header;
//! * `/oidc/token`, get-management-token and the tenant token with no credentials (they
//!   authenticate in the body);
//! * the `/api/v2/sdk` social calls with a real client id (the other device headers are
//!   generated from the spec);
//! * the `/api/v2/tenant/sso` calls with a tenant access token;
//! * every operation of the service's documents that the spec does not define (503), from the
//!   documents as `cargo xtask generate` composes them (`xtask composed`): the management
//!   document with the management token, the authentication document with the app and a
//!   signed-in user. A V3 refusal is an HTTP 200 envelope without `data` (statusCode 400 and
//!   so on, as the service answers it): each 200 answer schema of theirs also admits that
//!   refusal (`refusals_admitted`), and nothing else is loosened.

use std::process::Command;

use genauth_sandbox::Sandbox;
use serde_json::{Value, json};

const SCHEMATHESIS: &str = "schemathesis==4.32.5";

async fn post_json(
    http: &reqwest::Client,
    url: String,
    headers: &[(&str, &str)],
    body: Value,
) -> Value {
    let mut req = http.post(url).json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    let python = genauth_devtools::sdks::venv(
        &crate::common::tools(),
        "schemathesis-4.32.5",
        &[SCHEMATHESIS],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sandbox = Sandbox::builder().start().await.expect("sandbox");
    let seed = sandbox.seed();
    let http = genauth_api::http_client_builder().build().expect("client");

    let signin = post_json(
        &http,
        format!("{}/api/v3/signin", sandbox.url()),
        &[("x-authing-app-id", &seed.app.id)],
        json!({
            "connection": "PASSWORD",
            "passwordPayload": {"username": "alice", "password": "alice-password-1"},
            "client_id": seed.app.id, "client_secret": seed.app.secret,
        }),
    )
    .await;
    let user_token = signin["data"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let mgmt = post_json(
        &http,
        format!("{}/api/v3/get-management-token", sandbox.url()),
        &[],
        json!({"accessKeyId": seed.user_pool.access_key_id, "accessKeySecret": seed.user_pool.access_key_secret}),
    )
    .await;
    let mgmt_token = mgmt["data"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let tenant: Value = http
        .post(format!("{}/api/v2/tenant/token", sandbox.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", seed.app.id.as_str()),
            ("client_secret", seed.app.secret.as_str()),
        ])
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let tenant_token = tenant["access_token"].as_str().expect("token").to_string();

    // schemathesis keeps a cache (and replays past failures) in `.schemathesis/` under its
    // working directory: a fresh one under the target directory, never the source tree.
    let workdir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schemathesis-run");
    let _ = std::fs::remove_dir_all(&workdir);
    std::fs::create_dir_all(&workdir).expect("schemathesis working directory");
    let composed = xtask::families::write_composed(&workdir.join("documents")).expect("composed");
    for path in &composed {
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        std::fs::write(path, refusals_admitted(doc).to_string()).expect("write");
    }
    let [authentication, management] = [&composed[0], &composed[1]].map(|p| p.to_path_buf());

    let spec = xtask::spec_path();
    let url = sandbox.url().to_string();
    let documents = |doc: &std::path::Path| {
        vec![
            "--spec".to_string(),
            doc.display().to_string(),
            // Fuzzing only: the coverage phase's edge cases (25,000 requests over these
            // documents) found nothing fuzzing did not, at three times the time.
            "--phases".into(),
            "fuzzing".into(),
            "-n".into(),
            "3".into(),
        ]
    };
    let mut documented_management = documents(&management);
    documented_management.extend([
        "-H".into(),
        format!("authorization: Bearer {mgmt_token}"),
        "-H".into(),
        format!("x-authing-userpool-id: {}", seed.user_pool.id),
    ]);
    let mut documented_authentication = documents(&authentication);
    documented_authentication.extend([
        "-H".into(),
        format!("x-authing-app-id: {}", seed.app.id),
        "-H".into(),
        format!("authorization: {user_token}"),
    ]);
    let passes: Vec<(&str, Vec<String>)> = vec![
        ("documented management operations", documented_management),
        (
            "documented authentication operations",
            documented_authentication,
        ),
        (
            "user calls",
            vec![
                "--include-path-regex".into(),
                "^/api/v3/(send-sms|bind-phone|unbind-phone|verify-update-phone-request|update-phone|get-profile|signin|get-identities|unlink-extidp|generate-link-extidp-url)$".into(),
                "-H".into(),
                format!("x-authing-app-id: {}", seed.app.id),
                "-H".into(),
                format!("authorization: {user_token}"),
            ],
        ),
        (
            "management calls",
            vec![
                "--include-path-regex".into(),
                "^/api/v3/(link-identity|unlink-identity)$".into(),
                "-H".into(),
                format!("authorization: Bearer {mgmt_token}"),
                "-H".into(),
                format!("x-authing-userpool-id: {}", seed.user_pool.id),
            ],
        ),
        (
            "token endpoints",
            vec![
                "--include-path-regex".into(),
                "^/(oidc/token|api/v3/get-management-token|api/v2/tenant/token)$".into(),
            ],
        ),
        (
            "social calls",
            vec![
                "--include-path-regex".into(),
                "^/api/v2/sdk/".into(),
                "-H".into(),
                format!("x-client-id: {}", seed.app.id),
            ],
        ),
        (
            "tenant SSO calls",
            vec![
                "--include-path-regex".into(),
                "^/api/v2/tenant/sso/".into(),
                "-H".into(),
                format!("authorization: Bearer {tenant_token}"),
            ],
        ),
    ];
    for (name, args) in passes {
        // A pass names its own document (`--spec`) and examples, or takes the spec's and 40.
        let (document, args) = match args.iter().position(|a| a == "--spec") {
            Some(at) => {
                let mut args = args.clone();
                let document = args.remove(at + 1);
                args.remove(at);
                (std::path::PathBuf::from(document), args)
            }
            None => {
                let mut args = args.clone();
                args.extend(["-n".into(), "40".into()]);
                (spec.clone(), args)
            }
        };
        let mut cmd = Command::new(&python);
        cmd.current_dir(&workdir);
        cmd.args(["-m", "schemathesis.cli", "run"])
            .arg(&document)
            .args(["-u", &url])
            .args(["--checks", "not_a_server_error,response_schema_conformance"])
            .args(["--generation-deterministic", "--request-timeout", "5"])
            .args(&args)
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .env("NO_COLOR", "1");
        let output = tokio::task::spawn_blocking(move || cmd.output().expect("schemathesis runs"))
            .await
            .expect("join");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let summary: Vec<&str> = stdout
            .lines()
            .filter(|l| l.contains("generated") || l.contains("Tested:"))
            .collect();
        println!("schemathesis, {name}: {}", summary.join(" | "));
        assert!(
            output.status.success(),
            "schemathesis found problems in the {name} pass:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains(" passed"),
            "{name}: nothing was tested:\n{stdout}"
        );
    }
}

/// The composed document `doc` with each 200 answer of its V3 operations (every path but the
/// OAuth ones, `/oidc` and `/mfa`) admitting the V3 refusal as well: an envelope whose
/// statusCode is not 200, without `data`, which the service answers with HTTP 200.
fn refusals_admitted(mut doc: Value) -> Value {
    doc["components"]["schemas"]["V3Refusal"] = json!({
        "type": "object",
        "required": ["statusCode", "message"],
        "properties": {
            "statusCode": {"type": "integer", "not": {"enum": [200]}},
            "message": {"type": "string"},
            "apiCode": {"type": "integer"},
            "requestId": {"type": "string"},
        },
    });
    let paths = doc["paths"].as_object_mut().expect("paths");
    for (path, item) in paths.iter_mut() {
        if path.starts_with("/oidc") || path.starts_with("/mfa") {
            continue;
        }
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            for code in ["200", "201"] {
                if let Some(schema) = op.pointer_mut(&format!(
                    "/responses/{code}/content/application~1json/schema"
                )) {
                    let documented = schema.take();
                    *schema =
                        json!({"anyOf": [documented, {"$ref": "#/components/schemas/V3Refusal"}]});
                }
            }
        }
    }
    doc
}
