//! A harness for talking to the sandbox with plain reqwest, checking every answer against the
//! spec's schema for its operation.

#![allow(dead_code)]

pub mod capture;
pub mod documents;

use std::path::PathBuf;
use std::sync::Arc;

use genauth_sandbox::{Config, ManualClock, Sandbox, SandboxHandle};
use reqwest::Method;
use serde_json::{Value, json};
use xtask::{SchemaSet, Spec};

pub struct Harness {
    pub sandbox: SandboxHandle,
    pub http: reqwest::Client,
    pub clock: ManualClock,
    pub spec: Arc<Spec>,
    pub schemas: Arc<SchemaSet>,
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
    /// The `Retry-After` header, when the answer had one.
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn status_code(&self) -> i64 {
        self.body["statusCode"].as_i64().unwrap_or(-1)
    }
    pub fn api_code(&self) -> Option<i64> {
        self.body["apiCode"].as_i64()
    }
    #[track_caller]
    pub fn expect_ok(&self) -> &Value {
        assert_eq!(
            self.status_code(),
            200,
            "expected success, got {}",
            self.body
        );
        &self.body["data"]
    }
    /// A V3 failure: HTTP 200 with the envelope, but a throttled call (statusCode 429), which
    /// is HTTP 429 with the envelope and a `Retry-After`.
    #[track_caller]
    pub fn expect_err(&self, status_code: i64, api_code: Option<i64>) {
        if status_code == 429 {
            assert_eq!(self.status, 429, "throttling is HTTP 429: {}", self.body);
            assert!(
                self.retry_after
                    .as_deref()
                    .is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s > 0)),
                "a throttled answer says when to come back: {:?}",
                self.retry_after
            );
        } else {
            assert_eq!(self.status, 200, "V3 failures are HTTP 200: {}", self.body);
        }
        assert_eq!(self.status_code(), status_code, "{}", self.body);
        assert_eq!(self.api_code(), api_code, "{}", self.body);
        assert!(
            self.body["requestId"]
                .as_str()
                .is_some_and(|r| !r.is_empty()),
            "failures carry a requestId: {}",
            self.body
        );
    }
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let clock = ManualClock::new();
        let sandbox = Sandbox::builder()
            .config(config)
            .clock(clock.clone())
            .start()
            .await
            .expect("sandbox starts");
        let spec = Spec::load().expect("spec");
        let schemas = SchemaSet::new(&spec);
        Self {
            sandbox,
            http: genauth_api::http_client_builder().build().expect("client"),
            clock,
            spec: Arc::new(spec),
            schemas: Arc::new(schemas),
        }
    }

    pub fn app_id(&self) -> String {
        self.sandbox.seed().app.id
    }

    /// Sends `op` (method and path from the spec) with `headers`, a JSON body (POST) or query
    /// (GET), and checks the answer against the spec's schema for the status it came with.
    /// `POST path` with a JSON body and these headers; the answer's JSON, whatever its status.
    pub async fn post(&self, path: &str, headers: &[(&str, String)], body: Value) -> Value {
        let mut req = self.http.post(format!("{}{path}", self.sandbox.url()));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let answer = req.json(&body).send().await.expect("answers");
        answer.json().await.expect("json")
    }

    /// `GET path` (with its query) and these headers; the answer's JSON, whatever its status.
    pub async fn get(&self, path: &str, headers: &[(&str, String)]) -> Value {
        let mut req = self.http.get(format!("{}{path}", self.sandbox.url()));
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let answer = req.send().await.expect("answers");
        answer.json().await.expect("json")
    }

    pub async fn call(&self, op: &str, headers: &[(&str, String)], body: Value) -> Answer {
        let o = self
            .spec
            .operation(op)
            .unwrap_or_else(|| panic!("no op {op}"));
        let method = Method::from_bytes(o.method.as_bytes()).expect("method");
        let url = format!("{}{}", self.sandbox.url(), o.path);
        let mut req = self.http.request(method.clone(), url);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req = if method == Method::GET {
            let pairs: Vec<(String, String)> = body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map(String::from).unwrap_or(v.to_string()),
                    )
                })
                .collect();
            req.query(&pairs)
        } else if o.path == "/oidc/token" || o.path == "/api/v2/tenant/token" {
            let pairs: Vec<(String, String)> = body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            req.form(&pairs)
        } else {
            req.json(&body)
        };
        let resp = req.send().await.expect("sandbox answers");
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await.expect("body");
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{op}: not JSON ({e}): {text}"))
        };
        self.check_schema(op, status, &body);
        Answer {
            status,
            body,
            retry_after,
        }
    }

    /// The answer must match the spec: the schema of its exact status, or of its class (4XX).
    pub fn check_schema(&self, op: &str, status: u16, body: &Value) {
        let exact = status.to_string();
        let class = format!("{}XX", status / 100);
        let schema = self
            .spec
            .response_schema(op, &exact)
            .or_else(|| self.spec.response_schema(op, &class));
        match schema {
            Some(schema) => {
                if let Err(e) = self.schemas.validate(schema, body) {
                    panic!("{op}: HTTP {status} answer violates the spec:\n{e}\n{body}");
                }
            }
            None => {
                let documented = self
                    .spec
                    .operation(op)
                    .map(|o| self.spec.responses(&o).iter().any(|(s, _)| *s == exact))
                    .unwrap_or(false);
                assert!(
                    documented,
                    "{op}: HTTP {status} is not a documented answer: {body}"
                );
                assert!(
                    body.is_null(),
                    "{op}: HTTP {status} should have no body: {body}"
                );
            }
        }
    }

    pub fn app_headers(&self) -> Vec<(&'static str, String)> {
        vec![("x-authing-app-id", self.app_id())]
    }

    pub fn user_headers(&self, token: &str) -> Vec<(&'static str, String)> {
        vec![
            ("x-authing-app-id", self.app_id()),
            ("authorization", token.to_string()),
        ]
    }

    /// Password sign-in with the first app (client_secret_post).
    pub async fn sign_in_password(&self, username: &str, password: &str, scope: &str) -> Answer {
        let app = self.sandbox.seed().app;
        self.call(
            "signInByCredentials",
            &self.app_headers(),
            json!({
                "connection": "PASSWORD",
                "passwordPayload": {"username": username, "password": password},
                "options": {"scope": scope},
                "client_id": app.id,
                "client_secret": app.secret,
            }),
        )
        .await
    }

    pub async fn alice_token(&self) -> String {
        let a = self
            .sign_in_password("alice", "alice-password-1", "openid profile")
            .await;
        a.expect_ok()["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    pub async fn send_code(&self, phone: &str, channel: &str) -> String {
        self.call(
            "sendSms",
            &self.app_headers(),
            json!({"channel": channel, "phoneNumber": phone, "phoneCountryCode": "+86"}),
        )
        .await
        .expect_ok();
        self.sandbox
            .last_code(phone, channel)
            .expect("code in the outbox")
    }
}

/// A builder of a facade client of the sandbox's default app.
pub fn app_builder(s: &SandboxHandle) -> genauth::AuthenticationClientBuilder {
    let app = s.seed().app;
    genauth::AuthenticationClient::builder()
        .app_id(&app.id)
        .app_secret(&app.secret)
        .host(s.url())
}

/// A facade client of the sandbox's default app.
pub fn app_client(s: &SandboxHandle) -> genauth::AuthenticationClient {
    app_builder(s).build().expect("client")
}

/// `t`, made to look expired to the client (the sandbox still takes its tokens).
pub fn expired(t: &genauth::TokenSet) -> genauth::TokenSet {
    use genauth::{ExposeSecret, SecretString};
    genauth::TokenSet::new(
        SecretString::from(t.access_token().expose_secret().to_string()),
        t.refresh_token()
            .map(|r| SecretString::from(r.expose_secret().to_string())),
        std::time::SystemTime::now() - std::time::Duration::from_secs(1),
    )
}

/// Where the tests' tools (the official SDKs, a redis-server) are fetched to: `target/tmp`.
pub fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// The sandbox's [`ManualClock`] as the facade's clock: a client and the sandbox that read the
/// same clock see the same time move when the test advances it (a token's expiry, a cached
/// token's renewal, a signature's `date`), with no real wait.
pub struct SharedClock(pub ManualClock);

impl genauth::TimeSource for SharedClock {
    fn now(&self) -> std::time::SystemTime {
        use genauth_sandbox::Clock;
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(self.0.now_ms())
    }
}

/// A sandbox on `config` with a manual clock, and that clock as a client's time source.
pub async fn sandbox_with_clock(config: Config) -> (SandboxHandle, ManualClock, Arc<SharedClock>) {
    let clock = ManualClock::new();
    let s = Sandbox::builder()
        .config(config)
        .clock(clock.clone())
        .start()
        .await
        .expect("sandbox");
    (s, clock.clone(), Arc::new(SharedClock(clock)))
}

/// The management token headers of the harness's pool.
pub async fn management_headers(h: &Harness) -> Vec<(&'static str, String)> {
    let pool = h.sandbox.seed().user_pool;
    let answer = h
        .call(
            "getManagementToken",
            &[],
            json!({"accessKeyId": pool.access_key_id, "accessKeySecret": pool.access_key_secret}),
        )
        .await;
    let token = answer.expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    vec![
        ("authorization", format!("Bearer {token}")),
        ("x-authing-userpool-id", pool.id),
    ]
}
