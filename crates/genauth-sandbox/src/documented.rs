//! Every other operation of the service's own documents (`openapi/upstream/`, the 503 that our
//! spec and the stateful families do not have), answered from the documents' schemas, as
//! stripe-mock answers Stripe's: the caller authenticated as the documents say (management
//! credential; the app; the signed-in user), the query parameters and the JSON body checked
//! against their schemas (a 400 envelope naming the parameter, nothing stored), and a
//! schema-valid answer built from the answer schema, the same every time but for its
//! `requestId`. Nothing here keeps state: what a phone flow needs is in the stateful families.
//! The router puts the families' middleware in front of it too (request counts, the rate limit,
//! fault injection), so a retry path of any operation can be tried offline.
//!
//! The operations come from `documented.json`, which `cargo xtask generate` writes from the
//! documents (every one our spec lacks) and `cargo xtask generate --check` keeps fresh. The
//! router sends every path no family routes here; a path no document has stays "no such API".

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::envelope::{ApiError, Lang, OAuthError, invalid_argument, request_id};
use crate::shared::{Shared, header};

/// The documented operations and their families' schemas.
#[derive(Debug, Deserialize)]
struct Documented {
    operations: Vec<Operation>,
    schemas: Map<String, Value>,
}

/// One documented operation (see `xtask/src/documented.rs`).
#[derive(Debug, Deserialize)]
struct Operation {
    family: String,
    method: String,
    path: String,
    auth: Auth,
    query: Vec<Parameter>,
    body: Value,
    form: bool,
    status: u16,
    answer: Value,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Auth {
    Management,
    App,
    User,
}

#[derive(Debug, Deserialize)]
struct Parameter {
    name: String,
    required: bool,
    schema: Value,
}

fn documented() -> &'static Documented {
    static DOC: OnceLock<Documented> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_str(include_str!("documented.json")).unwrap_or_else(|_| Documented {
            operations: Vec::new(),
            schemas: Map::new(),
        })
    })
}

/// The operations `method path` names (`{x}` segments match any one): none, one, or one of
/// each document where both have it (the service serves them at two hosts, the app's and the
/// management API's; the sandbox at one).
fn find(method: &Method, path: &str) -> Vec<&'static Operation> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    documented()
        .operations
        .iter()
        .filter(|op| {
            op.method == method.as_str() && {
                let template: Vec<&str> = op.path.trim_end_matches('/').split('/').collect();
                template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')))
            }
        })
        .collect()
}

/// The router's fallback: a documented operation is answered, anything else is "no such API".
/// Where both documents have the path, the one whose caller the request authenticates as
/// answers (the first document's refusal when neither does).
pub(crate) async fn answer(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let found = find(req.method(), req.uri().path());
    if found.is_empty() {
        return ApiError::plain(
            404,
            format!("no such API: {} {}", req.method(), req.uri().path()),
        )
        .into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, s.config.limits.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::plain(413, "request body is too large").into_response(),
    };
    // Each check once (a signature's nonce is spent by its check).
    let mut refusal = None;
    for op in &found {
        match authenticate(&s, op, &parts, &bytes) {
            Ok(()) => {
                return match respond(op, &parts, &bytes) {
                    Ok(response) => response,
                    Err(e) => e.into_response(),
                };
            }
            Err(e) => {
                refusal.get_or_insert(e);
            }
        }
    }
    refusal
        .map(IntoResponse::into_response)
        .unwrap_or_else(|| ApiError::plain(401, "unauthenticated").into_response())
}

fn respond(
    op: &Operation,
    parts: &axum::http::request::Parts,
    bytes: &Bytes,
) -> Result<Response, ApiError> {
    let headers = &parts.headers;
    let lang = Lang::of(headers);
    let schemas = documented()
        .schemas
        .get(&op.family)
        .and_then(Value::as_object);
    // The query string.
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    for p in &op.query {
        match pairs.iter().find(|(k, _)| *k == p.name) {
            None if p.required => {
                return Err(invalid_argument(
                    "",
                    &format!("missing field `{}`", p.name),
                    lang,
                ));
            }
            None => {}
            Some((_, value)) => check_query(&p.name, value, resolve(schemas, &p.schema), lang)?,
        }
    }
    // A form body (only the OAuth endpoints, `/oidc` and `/mfa`, take one): each field read as
    // the query's are; a refusal is OAuth's (HTTP 400 `invalid_request`), not the V3 envelope.
    if !op.body.is_null()
        && op.form
        && let Err(refusal) = check_form(schemas, resolve(schemas, &op.body), bytes)
    {
        return Ok(refusal.into_response());
    }
    // The body.
    if !op.body.is_null() && !op.form {
        let value: Value = if bytes.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(bytes)
                .map_err(|e| ApiError::plain(400, format!("invalid request body: {e}")))?
        };
        check(schemas, &op.body, &value, "")
            .map_err(|(path, detail)| invalid_argument(&path, &detail, lang))?;
    }
    let status = StatusCode::from_u16(op.status).unwrap_or(StatusCode::OK);
    if status.is_redirection() {
        return Ok((status, [("location", "/")]).into_response());
    }
    if op.answer.is_null() {
        return Ok(status.into_response());
    }
    let mut answer = instance(schemas, &op.answer, 0);
    if let Some(map) = answer.as_object_mut()
        && map.contains_key("statusCode")
    {
        map.insert("statusCode".into(), json!(200));
        map.insert("message".into(), json!("Operation successful"));
        map.insert("requestId".into(), json!(request_id()));
        map.remove("apiCode");
    }
    Ok((status, axum::Json(answer)).into_response())
}

/// Who may call `op`: the management credential (a signature or a management token), the app
/// (its id header), or the signed-in user (and the app).
fn authenticate(
    s: &Shared,
    op: &Operation,
    parts: &axum::http::request::Parts,
    bytes: &Bytes,
) -> Result<(), ApiError> {
    let headers: &HeaderMap = &parts.headers;
    match op.auth {
        Auth::Management => {
            let signed = header(headers, "authorization")
                .and_then(genauth_api::signature::Scheme::of_authorization)
                .is_some();
            if signed {
                s.check_signature(parts, bytes)
            } else {
                s.check_management_token(headers)
            }
        }
        Auth::App => s.app(headers).map(|_| ()),
        Auth::User => {
            let app = s.app(headers)?;
            s.user_id(headers, app).map(|_| ())
        }
    }
}

/// `schema` with its `$ref` (and a lone `allOf`) followed, in the family's schemas.
fn resolve<'a>(schemas: Option<&'a Map<String, Value>>, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..8 {
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
        {
            match schemas.and_then(|m| m.get(name)) {
                Some(target) => schema = target,
                None => return schema,
            }
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            return schema;
        }
    }
    schema
}

fn kind(schema: &Value) -> &str {
    schema.get("type").and_then(Value::as_str).unwrap_or("")
}

/// A form body (`application/x-www-form-urlencoded`) against its object `schema`: every required
/// field present, each known field's text of its type. A refusal is what an OAuth 2.0 server
/// answers (RFC 6749 5.2): `invalid_request`, naming the parameter.
fn check_form(
    schemas: Option<&Map<String, Value>>,
    schema: &Value,
    bytes: &Bytes,
) -> Result<(), OAuthError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(bytes).into_owned().collect();
    let required = schema.get("required").and_then(Value::as_array);
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        if !pairs.iter().any(|(k, _)| k == name) {
            return Err(OAuthError::bad(
                "invalid_request",
                format!("missing required parameter '{name}'"),
            ));
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, value) in &pairs {
        if let Some(property) = properties.and_then(|p| p.get(name)) {
            check_query(name, value, resolve(schemas, property), Lang::English)
                .map_err(|e| OAuthError::bad("invalid_request", e.message))?;
        }
    }
    Ok(())
}

/// A query parameter's text against its schema.
fn check_query(name: &str, value: &str, schema: &Value, lang: Lang) -> Result<(), ApiError> {
    let bad = |detail: String| Err(invalid_argument(name, &detail, lang));
    match kind(schema) {
        "number" if value.parse::<f64>().is_err() => bad(format!("invalid number {value:?}")),
        // The service reads JSON as JavaScript does: 2.0 is the integer 2.
        "integer" if !value.parse::<f64>().is_ok_and(|n| n.fract() == 0.0) => {
            bad(format!("invalid integer {value:?}"))
        }
        "boolean" if value != "true" && value != "false" => {
            bad(format!("invalid boolean {value:?}"))
        }
        _ => match schema.get("enum").and_then(Value::as_array) {
            Some(values) if !values.iter().any(|v| v.as_str() == Some(value)) => {
                bad(format!("unknown variant `{value}`"))
            }
            _ => Ok(()),
        },
    }
}

/// `value` against `schema`: types, required properties, enums, array sizes, string lengths.
/// `Err` is where (a dotted path) and what.
fn check(
    schemas: Option<&Map<String, Value>>,
    schema: &Value,
    value: &Value,
    at: &str,
) -> Result<(), (String, String)> {
    let schema = resolve(schemas, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            check(schemas, part, value, at)?;
        }
    }
    // The official SDKs send unset optional fields as null; the service treats them as absent.
    if value.is_null() {
        return Ok(());
    }
    let wrong =
        |expected: &str| Err((at.to_string(), format!("invalid type: expected {expected}")));
    match kind(schema) {
        // The documents write "any value" as an object with no properties (a filter's value,
        // searchQuery, customData): the official SDKs send strings and arrays there.
        "object" if schema.get("properties").is_none() && schema.get("required").is_none() => {
            Ok(())
        }
        "object" => {
            let Some(map) = value.as_object() else {
                return wrong("an object");
            };
            for key in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if map.get(key).is_none_or(Value::is_null) {
                    return Err((at.to_string(), format!("missing field `{key}`")));
                }
            }
            for (key, property) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(inner) = map.get(key) {
                    let path = if at.is_empty() {
                        key.clone()
                    } else {
                        format!("{at}.{key}")
                    };
                    check(schemas, property, inner, &path)?;
                }
            }
            Ok(())
        }
        "array" => {
            let Some(items) = value.as_array() else {
                return wrong("an array");
            };
            let bound = |key: &str| schema.get(key).and_then(Value::as_u64);
            if bound("minItems").is_some_and(|min| (items.len() as u64) < min)
                || bound("maxItems").is_some_and(|max| (items.len() as u64) > max)
            {
                return Err((
                    at.to_string(),
                    format!("{} items is out of bounds", items.len()),
                ));
            }
            if let Some(item) = schema.get("items") {
                for (i, value) in items.iter().enumerate() {
                    check(schemas, item, value, &format!("{at}[{i}]"))?;
                }
            }
            Ok(())
        }
        "string" => {
            let Some(text) = value.as_str() else {
                return wrong("a string");
            };
            if let Some(values) = schema.get("enum").and_then(Value::as_array)
                && !values.iter().any(|v| v.as_str() == Some(text))
            {
                return Err((at.to_string(), format!("unknown variant `{text}`")));
            }
            if schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|max| text.chars().count() as u64 > max)
            {
                return Err((at.to_string(), "is too long".into()));
            }
            Ok(())
        }
        "number" if !value.is_number() => wrong("a number"),
        "integer" if !value.as_f64().is_some_and(|n| n.fract() == 0.0) => wrong("an integer"),
        "boolean" if !value.is_boolean() => wrong("a boolean"),
        _ => Ok(()),
    }
}

/// A schema-valid value of `schema`, the same every time: every property, one item per array
/// (none past a few levels), the documented default or first enum value, else a placeholder of
/// the type.
fn instance(schemas: Option<&Map<String, Value>>, schema: &Value, depth: usize) -> Value {
    let schema = resolve(schemas, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(map) = instance(schemas, part, depth) {
                merged.extend(map);
            }
        }
        return Value::Object(merged);
    }
    // One of several shapes: the first (an answer that fits it fits the whole).
    if let Some(first) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return instance(schemas, first, depth);
    }
    if let Some(default) = schema.get("default").filter(|d| !d.is_null()) {
        return default.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first.clone();
    }
    match kind(schema) {
        "string" => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2026-01-01T00:00:00.000Z"),
            Some("email") => json!("user@example.com"),
            _ => json!("string"),
        },
        "number" | "integer" => json!(schema.get("minimum").cloned().unwrap_or(json!(0))),
        "boolean" => json!(false),
        "array" => match schema.get("items") {
            Some(item) if depth < 4 => json!([instance(schemas, item, depth + 1)]),
            _ => json!([]),
        },
        _ => {
            let mut map = Map::new();
            // Every property near the top, only the required ones deeper down.
            if depth < 12 {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for (key, property) in schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    if depth < 6 || required.contains(&key.as_str()) {
                        map.insert(key.clone(), instance(schemas, property, depth + 1));
                    }
                }
                // The documents require a few properties they do not describe
                // (GroupDto.description): a placeholder, so the answer has what they require.
                for key in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    map.entry(key).or_insert_with(|| json!("string"));
                }
            }
            Value::Object(map)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documents_are_read_and_every_operation_has_an_answer_or_a_status() {
        let count = documented().operations.len();
        assert!(count > 500, "{count}");
        for op in &documented().operations {
            assert!(op.path.starts_with('/'), "{op:?}");
            let schemas = documented()
                .schemas
                .get(&op.family)
                .and_then(Value::as_object);
            if !op.answer.is_null() {
                let answer = instance(schemas, &op.answer, 0);
                let refused = check(schemas, &op.answer, &answer, "");
                assert!(
                    refused.is_ok(),
                    "{} {} answers what its own schema refuses ({refused:?}): {answer}",
                    op.method,
                    op.path
                );
            }
        }
    }

    #[test]
    fn templates_match_one_segment() {
        let templated = documented()
            .operations
            .iter()
            .find(|op| op.path.contains('{'))
            .expect("a templated path");
        let method = Method::from_bytes(templated.method.as_bytes()).expect("method");
        let path = templated
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { "x-1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        assert!(!find(&method, &path).is_empty(), "{path}");
        assert!(find(&method, &format!("{path}/more")).is_empty());
        assert!(find(&Method::PATCH, "/api/v3/nope").is_empty());
    }
}
