//! Every answer of the families' operations decodes into its generated type
//! (`answers.rs`, written by `cargo xtask generate`): the sandbox's answer to the least
//! request of each operation, and that answer as the service may send it tomorrow: a field we
//! do not know, a required field of `data` left out or `null`, an enum value added later.

use serde_json::{Value, json};

use crate::common::Harness;
use crate::common::documents::{Callers, call_of, documented, resolve, send};

/// A decoder of an answer's body into one generated type.
pub type Decode = fn(&[u8]) -> Result<(), String>;

/// Decodes `body` as `T`.
pub fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<T>(body)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The answers the service may send tomorrow, from one it sends today: each with what changed.
fn tomorrow(schemas: &Value, answer_schema: &Value, answer: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut unknown = answer.clone();
    if let Some(map) = unknown.as_object_mut() {
        map.insert("addedTomorrow".into(), json!({"any": [1, "thing"]}));
    }
    if let Some(Value::Object(data)) = unknown.get_mut("data") {
        data.insert("addedTomorrow".into(), json!(true));
    }
    out.push(("unknown fields".into(), unknown));
    // The data object's schema, through the envelope.
    let envelope = resolve(schemas, answer_schema);
    let data_schema = envelope
        .pointer("/properties/data")
        .map(|d| resolve(schemas, d));
    let Some(data_schema) = data_schema else {
        return out;
    };
    if !answer.get("data").is_some_and(Value::is_object) {
        return out;
    }
    for key in data_schema["required"].as_array().into_iter().flatten() {
        let Some(key) = key.as_str() else { continue };
        let mut left_out = answer.clone();
        if let Some(Value::Object(data)) = left_out.get_mut("data") {
            data.remove(key);
        }
        out.push((format!("data.{key} left out"), left_out));
        let mut null = answer.clone();
        null["data"][key] = Value::Null;
        out.push((format!("data.{key} null"), null));
    }
    for (key, property) in data_schema["properties"].as_object().into_iter().flatten() {
        if resolve(schemas, property).get("enum").is_some()
            && property.get("type") != Some(&json!("array"))
        {
            let mut added = answer.clone();
            added["data"][key] = json!("A_VALUE_ADDED_TOMORROW");
            out.push((format!("data.{key} a new enum value"), added));
        }
    }
    out
}

#[tokio::test]
async fn every_family_answer_decodes_today_and_tomorrow() {
    let h = Harness::new().await;
    let callers = Callers::new(&h).await;
    let doc = documented();
    let operations = doc["operations"].as_array().expect("operations");
    let (mut decoded, mut variants) = (0, 0);
    let mut failures = Vec::new();
    for (method, path, decode) in super::answers::ANSWERS {
        let Some(op) = operations
            .iter()
            .find(|op| op["method"] == *method && op["path"] == *path)
        else {
            // Not in the sandbox's table: an operation our spec defines (answered statefully,
            // and decoded by the spec's own tests).
            continue;
        };
        let schemas = &doc["schemas"][op["family"].as_str().unwrap_or_default()];
        let call = call_of(schemas, op);
        let (status, answer) = send(&h, &callers.http, &call, callers.headers(op)).await;
        if status != 200 || answer.is_null() {
            continue; // a redirect or a stateful refusal: nothing to decode
        }
        let body = serde_json::to_vec(&answer).expect("json");
        if let Err(e) = decode(&body) {
            failures.push(format!("{method} {path}: {e}\n{answer}"));
            continue;
        }
        decoded += 1;
        for (what, changed) in tomorrow(schemas, &op["answer"], &answer) {
            let body = serde_json::to_vec(&changed).expect("json");
            if let Err(e) = decode(&body) {
                failures.push(format!("{method} {path}, {what}: {e}"));
            }
            variants += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every family operation with a typed answer (the ones our spec does not answer itself).
    assert!(decoded > 400, "{decoded}");
    assert!(variants > 2000, "{variants}");
}
