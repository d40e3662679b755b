//! The service's documented operations as the sandbox's table holds them
//! (`crates/genauth-sandbox/src/documented.json`): the least request of each, and whether an
//! answer fits its documented schema. Shared by the sandbox's tests and the generated client's.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Harness, management_headers};

/// The sandbox's table of documented operations (what `cargo xtask generate` wrote).
pub fn documented() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/genauth-sandbox/src/documented.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("documented.json")).expect("json")
}

pub fn resolve<'a>(schemas: &'a Value, schema: &'a Value) -> &'a Value {
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
pub fn conforms(schemas: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
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
pub fn answer_conforms(doc: &Value, path: &str, answer: &Value) {
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
pub fn minimal(schemas: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(schemas, schema);
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    // One of several: the first.
    if let Some(first) = ["oneOf", "anyOf"]
        .iter()
        .find_map(|k| schema.get(*k).and_then(|v| v.get(0)))
    {
        return minimal(schemas, first, depth + 1);
    }
    // A schema that says nothing (a required property the documents left without one): the
    // service's own answers and the official SDKs send text there.
    if [
        "type",
        "properties",
        "allOf",
        "oneOf",
        "anyOf",
        "items",
        "required",
    ]
    .iter()
    .all(|k| schema.get(k).is_none())
    {
        return json!("x");
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

pub struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// The body is sent as a form (`application/x-www-form-urlencoded`), each field as text.
    pub form: bool,
}

pub fn call_of(schemas: &Value, op: &Value) -> Call {
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
    let body = (!op["body"].is_null()).then(|| minimal(schemas, &op["body"], 0));
    Call {
        method: Method::from_bytes(op["method"].as_str().unwrap_or("GET").as_bytes())
            .expect("method"),
        path,
        query,
        body,
        form: op["form"] == true,
    }
}

/// `call` with `headers`, on `http` (which must not follow redirects: the documents' 302s are
/// the answer).
pub async fn send(
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
    match &call.body {
        Some(Value::Object(fields)) if call.form => {
            let pairs: Vec<(&String, String)> = fields
                .iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect();
            req = req.form(&pairs);
        }
        Some(body) => req = req.json(body),
        None => {}
    }
    let resp = req.send().await.expect("answers");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Who calls the documented operations: a client that does not follow redirects (the
/// documents' 302s are the answer), and the headers of each caller the documents name.
pub struct Callers {
    /// The client.
    pub http: reqwest::Client,
    management: Vec<(&'static str, String)>,
    app: Vec<(&'static str, String)>,
    user: Vec<(&'static str, String)>,
}

impl Callers {
    /// The harness's management token, its app, and alice signed in to it.
    pub async fn new(h: &Harness) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let management = management_headers(h).await;
        let app = h.app_headers();
        let mut user = h.user_headers(&h.alice_token().await);
        user.extend(app.clone());
        Self {
            http,
            management,
            app,
            user,
        }
    }

    /// The headers of the caller the operation `op` (an entry of [`documented`]) asks for.
    pub fn headers(&self, op: &Value) -> &[(&'static str, String)] {
        match op["auth"].as_str() {
            Some("management") => &self.management,
            Some("user") => &self.user,
            _ => &self.app,
        }
    }
}
