//! The service's documented operations that our spec does not have →
//! `crates/genauth-sandbox/src/documented.json`, which the sandbox answers from their schemas
//! (`crates/genauth-sandbox/src/documented.rs`): every operation of `openapi/upstream/` gets an
//! answer, the request checked against the documents and the answer built from them.
//!
//! One entry per operation (family, method, path, operationId as the documents spell it after
//! the controller prefix, who may call it, its query parameters, its JSON body schema, its
//! answer's status and schema), and each family's component schemas, minified, in a fixed order;
//! from the documents with their defects repaired as for the generated client
//! ([`crate::families`]).

use serde_json::{Map, Value, json};

use crate::Error;
use crate::spec::{METHODS, Spec};
use crate::upstream::Upstream;

/// The generated file's text: what [`crate::generate`] writes, from the documents and the spec.
pub fn generate(upstream: &Upstream, spec: &Spec) -> Result<String, Error> {
    let ours: std::collections::BTreeSet<(String, String)> = spec
        .operations()
        .iter()
        .map(|op| (op.method.clone(), op.path.to_string()))
        .collect();
    let mut operations = Vec::new();
    let mut schemas = Map::new();
    // The documents as the client is generated from them: their defects repaired by the same
    // rules (counts and envelope codes are integers, defaults that do not fit are dropped ...),
    // so that the sandbox reads a request as the generated client writes it.
    let mut repaired = [upstream.authentication.clone(), upstream.management.clone()];
    for (name, doc) in ["authentication", "management"].iter().zip(&mut repaired) {
        crate::families::repair_document(name, doc, &mut Vec::new());
    }
    for (family, doc) in [
        ("authentication", &repaired[0]),
        ("management", &repaired[1]),
    ] {
        schemas.insert(
            family.into(),
            doc.pointer("/components/schemas")
                .cloned()
                .unwrap_or_else(|| json!({})),
        );
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::Parse(format!("the {family} document has no paths")))?;
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let method = method.to_ascii_uppercase();
                if ours.contains(&(method.clone(), path.clone())) {
                    continue;
                }
                operations.push(entry(family, &method, path, op));
            }
        }
    }
    operations.sort_by(|a, b| {
        (a["path"].as_str(), a["method"].as_str()).cmp(&(b["path"].as_str(), b["method"].as_str()))
    });
    let doc = json!({ "operations": operations, "schemas": schemas });
    let mut text = serde_json::to_string(&doc).map_err(|e| Error::Parse(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// One operation's entry.
fn entry(family: &str, method: &str, path: &str, op: &Value) -> Value {
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // `UsersManagementController_listUsers` → `listUsers`.
    let id = id.rsplit('_').next().unwrap_or(id);
    let security = op.get("security").and_then(Value::as_array);
    let anonymous_allowed =
        security.is_none_or(|s| s.iter().any(|r| r.as_object().is_some_and(Map::is_empty)));
    let auth = match family {
        "management" => "management",
        _ if anonymous_allowed => "app",
        _ => "user",
    };
    let query: Vec<Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
        .map(|p| {
            json!({
                "name": p.get("name").cloned().unwrap_or(Value::Null),
                "required": p.get("required").and_then(Value::as_bool).unwrap_or(false),
                "schema": p.get("schema").cloned().unwrap_or_else(|| json!({})),
            })
        })
        .collect();
    let content = op.pointer("/requestBody/content");
    // A JSON body's schema, or a form's (`form` says which).
    let body = content
        .and_then(|c| {
            c.pointer("/application~1json/schema")
                .or_else(|| c.pointer("/application~1x-www-form-urlencoded/schema"))
        })
        .cloned()
        .unwrap_or(Value::Null);
    let form = content.is_some_and(|c| c.get("application/x-www-form-urlencoded").is_some());
    // The first success answer, in status order.
    let (status, answer) = op
        .get("responses")
        .and_then(Value::as_object)
        .and_then(|r| {
            let mut codes: Vec<&String> = r.keys().collect();
            codes.sort();
            codes.into_iter().find_map(|code| {
                let status: u16 = code.parse().ok()?;
                let schema = r[code]
                    .pointer("/content/application~1json/schema")
                    .cloned()
                    .unwrap_or(Value::Null);
                Some((status, schema))
            })
        })
        .unwrap_or((200, Value::Null));
    json!({
        "family": family,
        "method": method,
        "path": path,
        "id": id,
        "auth": auth,
        "query": query,
        "body": body,
        "form": form,
        "status": status,
        "answer": answer,
    })
}
