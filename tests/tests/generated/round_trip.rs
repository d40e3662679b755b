//! Every family operation (all 503 the spec does not define) makes a round trip through the
//! facade (`trips.rs`, written by `cargo xtask generate`): its required parameters and its body
//! are built from the documents' least request as JSON, converted into the generated types,
//! set on the generated builder and sent by `ManagementClient::send` or
//! `AuthenticationClient::send_as_app` / `send_as_user` (the credential the documents name;
//! their `send_plain` twins when the answer is not a V3 envelope); the sandbox checks the
//! request against the documents and its answer decodes into the operation's type.
//!
//! The requests go through a recording relay in front of the sandbox: the wire form of each
//! (method, path and query, content type, body; not the credentials, which the facade's own
//! wire tests cover) is one entry of a reviewed snapshot per document
//! (`snapshots/families_wire/`).
//!
//! So for each operation: the builder takes the values the documents allow (a `limit` of 1 is
//! a `NonZeroU64`, an enum's first value is a variant), the wire form the generated client
//! makes is the one the documents describe (the sandbox refuses anything else with 400), and
//! the facade's credentials, envelope check and decoding hold.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::common::Harness;
use crate::common::documents::{documented, minimal};

/// The clients a trip is made with: a management client of the pool, and an authentication
/// client of the app signed in as alice.
pub struct Clients {
    pub management: genauth::ManagementClient,
    pub user: genauth::AuthenticationClient,
}

/// The credential the documents name for an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Management,
    App,
    User,
}

/// A trip's outcome: `Err` when the request could not be built from the JSON, else what the
/// facade answered.
pub type Trip<'a> = Pin<Box<dyn Future<Output = Result<genauth::Result<()>, String>> + 'a>>;

/// A function of `trips.rs`: the clients, the credential, the required parameters (by JSON
/// name) and the body.
pub type MakeTrip = for<'a> fn(&'a Clients, Via, &'a Value, &'a Value) -> Trip<'a>;

fn normal(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The value of the parameter `setter` (a builder's setter: `user_id` for `userId`) in `from`,
/// or all of `from` for an empty name (the body), converted into `T`.
pub fn arg<T: DeserializeOwned>(from: &Value, setter: &str) -> Result<T, String> {
    let value = if setter.is_empty() {
        from.clone()
    } else {
        from.as_object()
            .and_then(|map| map.iter().find(|(k, _)| normal(k) == normal(setter)))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("no parameter {setter} in {from}"))?
    };
    serde_json::from_value(value.clone()).map_err(|e| format!("{setter} {value}: {e}"))
}

/// The operations the sandbox answers by its own rules refuse the least request where it names
/// nothing that exists (404: user, department, factor "x") or breaks their rules; a refusal
/// with 400 is allowed only here, each for its reason (any other 400 is the documents' check of
/// the request: a wire form they do not describe).
const REFUSED_WITH_400: [(&str, &str); 5] = [
    // The documents type a group's type as any text; the service takes STATIC or DYNAMIC.
    ("/api/v3/create-group", "STATIC or DYNAMIC"),
    // The documents' first factor type is OTP; the sandbox keeps SMS factors only.
    ("/api/v3/send-enroll-factor-request", "factorType OTP"),
    ("/api/v3/enroll-factor", "factorType OTP"),
    // The least list is empty; a batch names 1 to 50 users.
    ("/api/v3/update-user-batch", "1 to 50"),
    // The 2024 documents require no field (TypeScript's `?` on each); checking a password
    // needs one, and an account.
    ("/api/v3/validate-password", "password is required"),
];

/// A relay in front of the sandbox that records each request's wire form.
#[derive(Clone)]
struct Relay {
    upstream: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

/// The paths of the credentials' own calls, left out of the record.
const CREDENTIAL_PATHS: [&str; 3] = [
    "/api/v3/get-management-token",
    "/oidc/token",
    "/api/v3/signin",
];

async fn relay(
    axum::extract::State(r): axum::extract::State<Relay>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let shown = match serde_json::from_slice::<Value>(&body) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(&body).into_owned(),
    };
    if !CREDENTIAL_PATHS.contains(&uri.path()) {
        r.seen.lock().expect("lock").push((
            uri.path().to_string(),
            format!("{method} {target}\ncontent-type: {content_type}\n{shown}"),
        ));
    }
    let mut req = r.http.request(method, format!("{}{target}", r.upstream));
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    let answer = req.body(body).send().await.expect("the sandbox answers");
    let status = answer.status();
    let mut out = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            out.append(name, value.clone());
        }
    }
    let bytes = answer.bytes().await.expect("body");
    (status, out, bytes).into_response()
}

impl Relay {
    async fn start(upstream: &str) -> (String, Relay) {
        let relay_state = Relay {
            upstream: upstream.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            seen: Arc::default(),
        };
        let app = axum::Router::new()
            .fallback(relay)
            .with_state(relay_state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), relay_state)
    }

    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.seen.lock().expect("lock"))
    }
}

#[tokio::test]
async fn every_family_operation_makes_a_round_trip_through_the_facade() {
    let h = Harness::new().await;
    let seed = h.sandbox.seed();
    let (url, relay) = Relay::start(h.sandbox.url()).await;
    let clients = Clients {
        management: genauth::ManagementClient::builder()
            .host(&url)
            .access_key_id(&seed.user_pool.access_key_id)
            .access_key_secret(&seed.user_pool.access_key_secret)
            .build()
            .expect("management client"),
        user: genauth::AuthenticationClient::builder()
            .app_id(&seed.app.id)
            .app_secret(&seed.app.secret)
            .host(&url)
            .build()
            .expect("client"),
    };
    clients
        .user
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("alice signs in");
    let doc = documented();
    let operations = doc["operations"].as_array().expect("operations");
    let (mut answered, mut refused) = (0, Vec::new());
    let mut failures = Vec::new();
    let mut wire: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    relay.take();
    for (method, path, trip) in super::trips::TRIPS {
        let label = format!("{method} {path}");
        let Some(op) = operations
            .iter()
            .find(|op| op["method"] == *method && op["path"] == *path)
        else {
            failures.push(format!(
                "{label}: not in the sandbox's table of the documents"
            ));
            continue;
        };
        let schemas = &doc["schemas"][op["family"].as_str().unwrap_or_default()];
        let mut query = Map::new();
        // A path parameter's least value is any text.
        for segment in path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                query.insert(name.to_string(), Value::from("x"));
            }
        }
        for p in op["query"].as_array().into_iter().flatten() {
            if p["required"] == true {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                // A required list holds one item (an empty one is not sent at all).
                let value = match minimal(schemas, &p["schema"], 0) {
                    Value::Array(items) if items.is_empty() => {
                        let item = p["schema"].get("items").cloned().unwrap_or_default();
                        Value::Array(vec![minimal(schemas, &item, 1)])
                    }
                    value => value,
                };
                query.insert(name, value);
            }
        }
        let body = if op["body"].is_null() {
            Value::Null
        } else {
            minimal(schemas, &op["body"], 0)
        };
        let via = match op["auth"].as_str() {
            Some("management") => Via::Management,
            Some("user") => Via::User,
            _ => Via::App,
        };
        let outcome = trip(&clients, via, &Value::Object(query), &body).await;
        let sent: Vec<String> = relay
            .take()
            .into_iter()
            .filter(|(_, text)| !text.is_empty())
            .map(|(_, text)| text)
            .collect();
        let document = op["family"].as_str().unwrap_or_default().to_string();
        // The operation's own request; after it, only a redirect followed (named by its
        // request line), never a second try: the least request is answered at once.
        match sent.split_first() {
            Some((first, followed)) => {
                let mut entry = format!("## {}\n{first}\n", op["id"].as_str().unwrap_or_default());
                for next in followed {
                    let line = next.lines().next().unwrap_or_default();
                    entry.push_str(&format!("(redirect followed: {line})\n"));
                }
                wire.entry(document).or_default().push(entry);
            }
            None if outcome.is_err() => {}
            None => failures.push(format!("{label}: nothing was sent")),
        }
        match outcome {
            Err(why) => failures.push(format!("{label}: the request: {why}")),
            Ok(Ok(())) => answered += 1,
            Ok(Err(genauth::Error::Api {
                status_code,
                ref message,
                ..
            })) if matches!(status_code, 404 | 409)
                || (status_code == 400
                    && REFUSED_WITH_400
                        .iter()
                        .any(|(p, why)| p == path && message.contains(why))) =>
            {
                refused.push(format!("{label}: {status_code} {message}"));
            }
            Ok(Err(e)) => failures.push(format!("{label}: {e:?}")),
        }
    }
    println!(
        "{answered} answered, {} refused by the sandbox's rules:\n{}",
        refused.len(),
        refused.join("\n")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every documented operation the spec does not define has its trip.
    let documented = operations.len();
    assert_eq!(
        super::trips::TRIPS.len(),
        documented,
        "trips for every operation"
    );
    assert!(refused.len() < 40, "{}", refused.join("\n"));
    insta::with_settings!({
        snapshot_path => "../snapshots/families_wire",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        for (document, entries) in &wire {
            insta::assert_snapshot!(document.as_str(), entries.join("\n"));
        }
    });
}
