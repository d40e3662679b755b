//! The operations of the service's own documents that the sandbox answers from their schemas
//! (`crates/genauth-sandbox/src/documented.rs`): every one answers, none with a 5xx; the caller
//! is authenticated as the documents say; a missing or malformed parameter is the 400 envelope
//! naming it; a path no document has stays "no such API".

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::common::Harness;
use crate::v3_management::management_headers;

/// The sandbox's table of documented operations (what `cargo xtask generate` wrote).
pub(crate) fn documented() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/genauth-sandbox/src/documented.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("documented.json")).expect("json")
}

fn resolve<'a>(schemas: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..8 {
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
        {
            schema = &schemas[name];
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            break;
        }
    }
    schema
}

/// Whether `value` fits `schema` as far as a client decoding it cares: the type of every
/// value, every required property present (not `null`), enum values among the documented
/// ones; properties the schema does not name are allowed (the service adds fields).
pub(crate) fn conforms(
    schemas: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
) -> Result<(), String> {
    let schema = resolve(schemas, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {values:?}"));
    }
    let fits = match schema.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("number") => value.is_number(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        Some("array") => {
            let Some(items) = value.as_array() else {
                return Err(format!("{at}: {value} is not an array"));
            };
            for (i, item) in items.iter().enumerate() {
                conforms(schemas, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
            true
        }
        Some("object") | None if schema.get("properties").is_some() => {
            let Some(map) = value.as_object() else {
                return Err(format!("{at}: {value} is not an object"));
            };
            for key in schema["required"].as_array().into_iter().flatten() {
                let key = key.as_str().unwrap_or_default();
                if map.get(key).is_none_or(Value::is_null) {
                    return Err(format!("{at}: required {key} is missing"));
                }
            }
            for (key, property) in schema["properties"].as_object().into_iter().flatten() {
                if let Some(v) = map.get(key).filter(|v| !v.is_null()) {
                    conforms(schemas, property, v, &format!("{at}.{key}"))?;
                }
            }
            true
        }
        Some("object") => value.is_object(),
        _ => true,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("{at}: {value} is not a {}", schema["type"]))
    }
}

/// `answer` checked against the documented answer schema of the operation at `path`.
pub(crate) fn answer_conforms(doc: &Value, path: &str, answer: &Value) {
    let op = doc["operations"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|op| op["path"] == path)
        .unwrap_or_else(|| panic!("{path} is not documented"));
    let schemas = &doc["schemas"][op["family"].as_str().unwrap_or_default()];
    if let Err(why) = conforms(schemas, &op["answer"], answer, "answer") {
        panic!("{path}: {why}\n{answer}");
    }
}

/// The least a caller must send: required properties only, the first enum value, the minimum
/// number of items.
fn minimal(schemas: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(schemas, schema);
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    match schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object")
    {
        "string" => json!("x"),
        "number" | "integer" => schema.get("minimum").cloned().unwrap_or(json!(1)),
        "boolean" => json!(true),
        "array" => {
            let n = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..n).map(|_| minimal(schemas, &item, depth + 1)).collect())
        }
        _ => {
            let mut map = Map::new();
            let mut parts = vec![schema];
            parts.extend(
                schema
                    .get("allOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| resolve(schemas, p)),
            );
            for part in parts {
                for key in part
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let property = part.pointer(&format!("/properties/{key}")).cloned();
                    let value = match property {
                        Some(p) if depth < 8 => minimal(schemas, &p, depth + 1),
                        _ => json!("x"),
                    };
                    map.insert(key.to_string(), value);
                }
            }
            Value::Object(map)
        }
    }
}

struct Call {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
}

fn call_of(schemas: &Value, op: &Value) -> Call {
    let path = op["path"]
        .as_str()
        .unwrap_or_default()
        .split('/')
        .map(|s| if s.starts_with('{') { "x-1" } else { s })
        .collect::<Vec<_>>()
        .join("/");
    let query = op["query"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["required"] == true)
        .map(|p| {
            let value = minimal(schemas, &p["schema"], 0);
            let text = value
                .as_str()
                .map(str::to_string)
                .unwrap_or(value.to_string());
            (p["name"].as_str().unwrap_or_default().to_string(), text)
        })
        .collect();
    let body =
        (!op["body"].is_null() && op["form"] == false).then(|| minimal(schemas, &op["body"], 0));
    Call {
        method: Method::from_bytes(op["method"].as_str().unwrap_or("GET").as_bytes())
            .expect("method"),
        path,
        query,
        body,
    }
}

/// `call` with `headers`, on `http` (which must not follow redirects: the documents' 302s are
/// the answer).
async fn send(
    h: &Harness,
    http: &reqwest::Client,
    call: &Call,
    headers: &[(&str, String)],
) -> (u16, Value) {
    let mut req = http
        .request(
            call.method.clone(),
            format!("{}{}", h.sandbox.url(), call.path),
        )
        .query(&call.query);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(body) = &call.body {
        req = req.json(body);
    }
    let resp = req.send().await.expect("answers");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Documented operations the sandbox keeps state for (`management.rs`): their rules come first.
const STATEFUL: [&str; 19] = [
    "/api/v3/list-users",
    "/api/v3/update-user-batch",
    "/api/v3/get-user-login-history",
    "/api/v3/get-user-loggedin-apps",
    "/api/v3/get-user-logged-in-identities",
    "/api/v3/create-role",
    "/api/v3/assign-role",
    "/api/v3/revoke-role",
    "/api/v3/get-user-roles",
    "/api/v3/create-group",
    "/api/v3/add-group-members",
    "/api/v3/remove-group-members",
    "/api/v3/get-user-groups",
    "/api/v3/list-archived-users",
    "/api/v3/create-users-batch",
    "/api/v3/get-user-identities",
    "/api/v3/kick-users",
    "/api/v3/get-user-batch",
    "/api/v3/delete-users-batch",
];

#[tokio::test]
async fn every_documented_operation_answers_as_its_documents_say() {
    let h = Harness::new().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let doc = documented();
    let operations = doc["operations"].as_array().expect("operations");
    assert!(operations.len() > 500, "{}", operations.len());
    let management = management_headers(&h).await;
    let app = h.app_headers();
    let mut user = h.user_headers(&h.alice_token().await);
    user.extend(app.clone());
    let (mut answered, mut refused_missing) = (0, 0);
    for op in operations {
        let schemas = &doc["schemas"][op["family"].as_str().unwrap_or_default()];
        let label = format!("{} {}", op["method"], op["path"]);
        let headers = match op["auth"].as_str() {
            Some("management") => &management,
            Some("user") => &user,
            _ => &app,
        };
        let call = call_of(schemas, op);
        let (status, body) = send(&h, &http, &call, headers).await;
        assert!(status < 500, "{label}: HTTP {status} {body}");
        if STATEFUL.contains(&op["path"].as_str().unwrap_or_default()) {
            // The user family's own rules may refuse the least request (an empty batch, a
            // role that does not exist); what they answer fits the documents.
            assert!(
                body["statusCode"].as_i64().is_some_and(|c| c < 500),
                "{label}: {body}"
            );
            if body["statusCode"] == 200 {
                let path = op["path"].as_str().unwrap_or_default();
                answer_conforms(&doc, path, &body);
            }
            answered += 1;
            continue;
        }
        assert_eq!(
            u64::from(status),
            op["status"].as_u64().unwrap_or(200),
            "{label}: {body}"
        );
        if body.get("statusCode").is_some() {
            assert_eq!(body["statusCode"], 200, "{label}: {body}");
            assert!(body["requestId"].is_string(), "{label}: {body}");
        }
        answered += 1;
        // Without a required query parameter or body field: the 400 envelope naming it.
        let mut without = call_of(schemas, op);
        let missing = if let Some((name, _)) = without.query.pop() {
            Some(name)
        } else if let Some(Value::Object(map)) = &mut without.body {
            let key = map.keys().next().cloned();
            if let Some(key) = &key {
                map.remove(key);
            }
            key
        } else {
            None
        };
        if let Some(name) = missing {
            let (status, body) = send(&h, &http, &without, headers).await;
            assert_eq!(status, 200, "{label} without {name}: {body}");
            assert_eq!(body["statusCode"], 400, "{label} without {name}: {body}");
            assert_eq!(
                body["message"],
                format!("parameter {name} is required"),
                "{label}: {body}"
            );
            refused_missing += 1;
        }
    }
    assert_eq!(answered, operations.len());
    assert!(refused_missing > 200, "{refused_missing}");
}

#[tokio::test]
async fn documented_operations_check_the_caller_and_the_types() {
    let h = Harness::new().await;
    let url = |p: &str| format!("{}{}", h.sandbox.url(), p);
    // A management operation without a credential, then with a wrong one.
    let v: Value = h
        .http
        .post(url("/api/v3/list-users"))
        .json(&json!({}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 401, "{v}");
    let management = management_headers(&h).await;
    let mut req = h.http.post(url("/api/v3/list-users"));
    for (k, v) in &management {
        req = req.header(*k, v);
    }
    let v: Value = req
        .header("x-authing-lang", "zh-CN")
        .json(&json!({"options": {"pagination": {"page": "one"}}}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 400, "{v}");
    assert_eq!(v["message"], "参数 options.pagination.page 格式错误", "{v}");
    // A count is an integer (the documents say number: defects.txt); 2.0 is one, as the service
    // reads JSON, 1.5 is not.
    let page = |p: &'static str| {
        let m = management.clone();
        let path = format!("/api/v3/list-roles?page={p}");
        let h = &h;
        async move { h.get(&path, &m).await }
    };
    assert_eq!(page("2.0").await["statusCode"], 200);
    let v = page("1.5").await;
    assert_eq!(v["statusCode"], 400, "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains("page")),
        "{v}"
    );
    // A user operation without a signed-in user.
    let v: Value = h
        .http
        .get(url("/api/v3/get-my-logged-in-apps"))
        .header("x-authing-app-id", h.app_id())
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 401, "{v}");
    // No document has this path.
    let v: Value = h
        .http
        .post(url("/api/v3/no-such-operation"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 404, "{v}");
}

#[tokio::test]
async fn documented_operations_are_counted_and_take_faults() {
    let h = Harness::new().await;
    let management = management_headers(&h).await;
    let send = || {
        let mut req = h
            .http
            .post(format!("{}/api/v3/list-users", h.sandbox.url()));
        for (k, v) in &management {
            req = req.header(*k, v);
        }
        req.json(&json!({})).send()
    };
    h.sandbox.set_fault(
        "/api/v3/list-users",
        genauth_sandbox::Fault::next(
            1,
            genauth_sandbox::FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    assert_eq!(send().await.expect("answers").status(), 503);
    let v: Value = send().await.expect("answers").json().await.expect("json");
    assert_eq!(v["statusCode"], 200, "{v}");
    assert_eq!(h.sandbox.request_count("/api/v3/list-users"), 2);
}
