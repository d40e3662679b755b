//! Every family operation (all 503 the spec does not define) makes a round trip through the
//! facade (`trips.rs`, written by `cargo xtask generate`): its required parameters and its body
//! are built from the documents' least request as JSON, converted into the generated types,
//! set on the generated builder and sent by `ManagementClient::send` or
//! `AuthenticationClient::send_as_app` / `send_as_user` (the credential the documents name;
//! their `send_plain` twins when the answer is not a V3 envelope); the sandbox checks the
//! request against the documents and its answer decodes into the operation's type.
//!
//! So for each operation: the builder takes the values the documents allow (a `limit` of 1 is
//! a `NonZeroU64`, an enum's first value is a variant), the wire form the generated client
//! makes is the one the documents describe (the sandbox refuses anything else with 400), and
//! the facade's credentials, envelope check and decoding hold.

use std::future::Future;
use std::pin::Pin;

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
const REFUSED_WITH_400: [(&str, &str); 4] = [
    // The documents type a group's type as any text; the service takes STATIC or DYNAMIC.
    ("/api/v3/create-group", "STATIC or DYNAMIC"),
    // The documents' first factor type is OTP; the sandbox keeps SMS factors only.
    ("/api/v3/send-enroll-factor-request", "factorType OTP"),
    ("/api/v3/enroll-factor", "factorType OTP"),
    // The least list is empty; a batch names 1 to 50 users.
    ("/api/v3/update-user-batch", "1 to 50"),
];

#[tokio::test]
async fn every_family_operation_makes_a_round_trip_through_the_facade() {
    let h = Harness::new().await;
    let seed = h.sandbox.seed();
    let clients = Clients {
        management: genauth::ManagementClient::builder()
            .host(h.sandbox.url())
            .access_key_id(&seed.user_pool.access_key_id)
            .access_key_secret(&seed.user_pool.access_key_secret)
            .build()
            .expect("management client"),
        user: crate::common::app_client(&h.sandbox),
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
        match trip(&clients, via, &Value::Object(query), &body).await {
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
}
