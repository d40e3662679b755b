//! The two generations of the service's documents merged into the one input of the composition
//! ([`crate::families::compose`]) and of the sandbox's table ([`crate::documented`]).
//!
//! * **Which operations.** Every operation of either generation (matched by method and path).
//!   One only the 2023 documents have is marked `deprecated: true` (the composition puts it in
//!   its document's deprecated family, behind a feature of its own), unless
//!   `openapi/families.yaml` names it under `still_served`: an endpoint the 2024 SDK reaches by
//!   hand or builds a URL for (OpenID Connect's), which its derived documents cannot show.
//!   One only the 2024 documents have has no controller in its operationId (the SDK's method
//!   name); `since_2024` in `openapi/families.yaml` gives it one, and may rename it
//!   (`sdkName as ourName`), so that the family map and the naming rule take it like any other.
//!   An operation of 2024 that `since_2024` does not name, and a name there that is no such
//!   operation, stop the merge, named.
//! * **Newer where both have it, but merged, not replaced.** The 2024 documents are derived from
//!   TypeScript, which cannot say a format, a length, a range, a pattern, an integer, a status
//!   code or a security requirement. So, where both generations describe the same thing, the
//!   2024 structure wins (the type, a `$ref`, which fields are required, new properties,
//!   parameters and enum values) and the 2023 constraints stay where the two agree on the type;
//!   what only 2023 has (a property, a parameter, an enum value) stays too, since the service
//!   that added the new still takes the old. A 2024 schema that TypeScript typed `any` takes the
//!   2023 one whole, and so does a property typed `any` (required where 2023 requires it). A
//!   2023 `default` is not kept: a generated builder sends a default whether or not its caller
//!   set the field, so an update that has one (update-profile's `gender: "U"`) would overwrite
//!   what the user has; the service applies its own defaults. The answers keep the 2023 status codes (the SDK never sees one), each
//!   answer's schema merged with the 2024 one; the 2023 operationId and security stay.
//! * Each operation says where it comes from: `x-genauth-generation` is `2023 and 2024`,
//!   `2023` or `2024`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::Error;
use crate::spec::METHODS;
use crate::upstream::Upstream;

/// The generation string of the merged documents ([`Upstream::generation`]).
pub const MERGED: &str = "2023+2024";

/// What `openapi/families.yaml` says of the two generations.
#[derive(Debug, Default, Deserialize)]
pub struct GenerationMap {
    /// Per document (`authentication`, `management`), per controller, the 2024 operations it
    /// takes: the SDK's method name, or `sdkName as ourName`.
    #[serde(default)]
    pub since_2024: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// The 2023 operationIds the 2024 documents lack but the service still serves.
    #[serde(default)]
    pub still_served: Vec<String>,
}

impl GenerationMap {
    /// Reads the map from `openapi/families.yaml`.
    pub fn load() -> Result<Self, Error> {
        let path = crate::workspace_root().join("openapi/families.yaml");
        serde_yaml::from_str(&crate::read(&path)?)
            .map_err(|e| Error::Parse(format!("{}: {e}", path.display())))
    }
}

/// The merged documents of this workspace: the two generations with `openapi/families.yaml`.
pub fn load() -> Result<Upstream, Error> {
    merge(
        &Upstream::load()?,
        &Upstream::load_2024()?,
        &GenerationMap::load()?,
    )
}

/// Merges `older` (2023) and `newer` (2024) as the module's rules say.
pub fn merge(older: &Upstream, newer: &Upstream, map: &GenerationMap) -> Result<Upstream, Error> {
    let mut problems = Vec::new();
    let mut still: BTreeSet<&str> = map.still_served.iter().map(String::as_str).collect();
    let mut docs = Vec::new();
    for (name, old, new) in [
        (
            "authentication",
            &older.authentication,
            &newer.authentication,
        ),
        ("management", &older.management, &newer.management),
    ] {
        // sdkName -> operationId, from since_2024.
        let mut named: BTreeMap<String, String> = BTreeMap::new();
        for (controller, ops) in map.since_2024.get(name).into_iter().flatten() {
            for entry in ops {
                let (sdk, ours) = entry.split_once(" as ").unwrap_or((entry, entry));
                if named
                    .insert(
                        sdk.trim().to_string(),
                        format!("{controller}_{}", ours.trim()),
                    )
                    .is_some()
                {
                    problems.push(format!("since_2024.{name}: {sdk} is named twice"));
                }
            }
        }
        let mut paths = Map::new();
        for (path, method, old_op, new_op) in pairs(old, new) {
            let op = match (old_op, new_op) {
                (Some(o), Some(n)) => {
                    let mut op = merge_operation(o, n);
                    op["x-genauth-generation"] = json!("2023 and 2024");
                    op
                }
                (Some(o), None) => {
                    let mut op = o.clone();
                    let id = o["operationId"].as_str().unwrap_or_default();
                    if !still.remove(id) {
                        op["deprecated"] = json!(true);
                    }
                    op["x-genauth-generation"] = json!("2023");
                    op
                }
                (None, Some(n)) => {
                    let sdk = n["operationId"].as_str().unwrap_or_default();
                    let mut op = n.clone();
                    match named.remove(sdk) {
                        Some(id) => op["operationId"] = json!(id),
                        None => problems.push(format!(
                            "since_2024.{name}: no controller takes {sdk} ({} {path})",
                            method.to_ascii_uppercase()
                        )),
                    }
                    op["x-genauth-generation"] = json!("2024");
                    op
                }
                (None, None) => continue,
            };
            let item = paths.entry(path).or_insert_with(|| json!({}));
            item[method] = op;
        }
        for sdk in named.keys() {
            problems.push(format!(
                "since_2024.{name}: {sdk} is no operation only the 2024 {name} document has"
            ));
        }
        let schemas = merge_components(
            old.pointer("/components/schemas"),
            new.pointer("/components/schemas"),
        );
        let mut doc = old.clone();
        doc["paths"] = Value::Object(paths);
        doc["components"]["schemas"] = Value::Object(schemas);
        docs.push(doc);
    }
    for id in still {
        problems.push(format!(
            "still_served: {id} is no operation only the 2023 documents have"
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Parse(format!(
            "openapi/families.yaml, the two generations: {}",
            problems.join("; ")
        )));
    }
    let management = docs.pop().unwrap_or_default();
    let authentication = docs.pop().unwrap_or_default();
    Ok(Upstream {
        generation: MERGED,
        authentication,
        management,
    })
}

/// Every (path, method) of either document, in path then method order, with each side's copy.
fn pairs<'a>(
    old: &'a Value,
    new: &'a Value,
) -> Vec<(String, &'static str, Option<&'a Value>, Option<&'a Value>)> {
    let mut paths: BTreeSet<&String> = BTreeSet::new();
    for doc in [old, new] {
        paths.extend(doc["paths"].as_object().into_iter().flat_map(Map::keys));
    }
    let mut out = Vec::new();
    for path in paths {
        for method in METHODS {
            let o = old["paths"][path].get(method);
            let n = new["paths"][path].get(method);
            if o.is_some() || n.is_some() {
                out.push((path.clone(), method, o, n));
            }
        }
    }
    out
}

/// One operation both generations have: the 2024 parameters and body merged into the 2023
/// ones, the 2023 status codes with each answer merged, the 2023 operationId and security.
fn merge_operation(old: &Value, new: &Value) -> Value {
    let mut op = old.clone();
    // Parameters by (in, name): the 2024 ones first, in their order, then what only 2023 has.
    let key = |p: &Value| (p["in"].clone(), p["name"].clone());
    let old_params: Vec<&Value> = old["parameters"].as_array().into_iter().flatten().collect();
    let new_params: Vec<&Value> = new["parameters"].as_array().into_iter().flatten().collect();
    let mut params = Vec::new();
    for n in &new_params {
        let mut p = (*n).clone();
        if let Some(o) = old_params.iter().find(|o| key(o) == key(n)) {
            for (k, v) in o.as_object().into_iter().flatten() {
                if p.get(k).is_none() {
                    p[k] = v.clone();
                }
            }
            p["schema"] = merge_schema(&o["schema"], &n["schema"]);
        }
        params.push(p);
    }
    for o in &old_params {
        if !new_params.iter().any(|n| key(n) == key(o)) {
            params.push((*o).clone());
        }
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    // The body: merged where both are JSON, else whichever there is (2023 first).
    let json_schema = "/content/application~1json/schema";
    match (
        old.pointer(&format!("/requestBody{json_schema}")),
        new.pointer(&format!("/requestBody{json_schema}")),
    ) {
        (Some(o), Some(n)) => {
            op["requestBody"]["content"]["application/json"]["schema"] = merge_schema(o, n);
        }
        (None, Some(_)) if old.get("requestBody").is_none() => {
            op["requestBody"] = new["requestBody"].clone();
        }
        _ => {}
    }
    // The answers: the 2023 codes, each JSON schema merged with the 2024 answer.
    let new_answer = new["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .find_map(|(_, r)| r.pointer(json_schema));
    if let (Some(n), Some(responses)) = (new_answer, op["responses"].as_object_mut()) {
        for (code, answer) in responses.iter_mut() {
            if !code.starts_with('2') {
                continue;
            }
            if let Some(o) = answer.pointer_mut(json_schema) {
                *o = merge_schema(o, n);
            }
        }
    }
    op
}

/// The component schemas of both: each name of both merged, the rest as they are.
fn merge_components(old: Option<&Value>, new: Option<&Value>) -> Map<String, Value> {
    let empty = Map::new();
    let old = old.and_then(Value::as_object).unwrap_or(&empty);
    let new = new.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Map::new();
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for name in names {
        let schema = match (old.get(name), new.get(name)) {
            (Some(o), Some(n)) => merge_schema(o, n),
            (Some(s), None) | (None, Some(s)) => s.clone(),
            (None, None) => continue,
        };
        out.insert(name.clone(), schema);
    }
    out
}

/// What the 2023 documents say and TypeScript cannot: kept where the types agree.
const CONSTRAINTS: &[&str] = &[
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
];

/// Whether a schema says nothing of its shape (TypeScript's `any`).
fn is_any(schema: &Value) -> bool {
    const SHAPE: &[&str] = &[
        "type",
        "$ref",
        "properties",
        "items",
        "enum",
        "oneOf",
        "anyOf",
        "allOf",
        "additionalProperties",
    ];
    !SHAPE.iter().any(|k| schema.get(k).is_some())
}

/// One schema both generations describe, merged by the module's rules.
pub fn merge_schema(old: &Value, new: &Value) -> Value {
    if is_any(new) {
        return old.clone();
    }
    if is_any(old) {
        return new.clone();
    }
    let number = |t: &Value| matches!(t.as_str(), Some("number" | "integer"));
    let same_type = old.get("$ref").is_none()
        && new.get("$ref").is_none()
        && (old.get("type") == new.get("type") || (number(&old["type"]) && number(&new["type"])));
    if !same_type {
        return new.clone();
    }
    let mut out = new.clone();
    if old["type"] == "integer" {
        out["type"] = json!("integer");
    }
    for k in CONSTRAINTS {
        if let Some(v) = old.get(*k)
            && out.get(*k).is_none()
        {
            out[*k] = v.clone();
        }
    }
    if old["nullable"] == json!(true) {
        out["nullable"] = json!(true);
    }
    if let (Some(o), Some(n)) = (
        old.get("enum").and_then(Value::as_array),
        out.get_mut("enum").and_then(Value::as_array_mut),
    ) {
        for v in o {
            if !n.contains(v) {
                n.push(v.clone());
            }
        }
    }
    if let (Some(o), Some(n)) = (old.get("items"), new.get("items")) {
        out["items"] = merge_schema(o, n);
    }
    if let (Some(o), Some(n)) = (
        old.get("additionalProperties").filter(|v| v.is_object()),
        new.get("additionalProperties").filter(|v| v.is_object()),
    ) {
        out["additionalProperties"] = merge_schema(o, n);
    }
    // A property TypeScript typed `any` is one the 2024 documents do not know: 2023's whole,
    // its being required too.
    let untyped: Vec<Value> = old["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| {
            k.as_str()
                .and_then(|k| new["properties"].get(k))
                .is_some_and(is_any)
        })
        .cloned()
        .collect();
    if !untyped.is_empty() {
        let mut required = out["required"].as_array().cloned().unwrap_or_default();
        for k in untyped {
            if !required.contains(&k) {
                required.push(k);
            }
        }
        out["required"] = Value::Array(required);
    }
    if let Some(old_props) = old["properties"].as_object() {
        let mut props = out["properties"].as_object().cloned().unwrap_or_default();
        for (k, o) in old_props {
            let merged = match props.get(k) {
                Some(n) => merge_schema(o, n),
                None => o.clone(),
            };
            props.insert(k.clone(), merged);
        }
        out["properties"] = Value::Object(props);
    }
    out
}
