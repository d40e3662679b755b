//! The composition of what `genauth-api` generates: the service's own documents, both
//! generations merged ([`crate::merge`]: `openapi/upstream/` and `openapi/upstream/2024/`, every
//! operation of either), with `openapi/genauth.yaml` as the overlay.
//!
//! * **The overlay wins.** An operation our spec defines (same method and path) is generated from
//!   the spec alone, into `generated.rs`; the documents' copy of it is left out here. What differs
//!   between the two is `upstream-check`'s business (`openapi/divergences.yaml`).
//! * **Families.** Every other operation goes to the family of its controller
//!   (`openapi/families.yaml`): one module of `genauth-api` per family, behind a cargo feature.
//!   A controller in no family, or in two, stops the generation with its name. An operation
//!   only the 2023 documents have (marked by the merge) goes to its document's family marked
//!   `deprecated: true`, whose methods are `#[deprecated]` ([`crate::split`]).
//! * **Names.** An operationId `<Controller>_<name>` is called `<name>`; where two operations
//!   (in either document, or one of our spec) share a `<name>`, each keeps its controller, without
//!   the word `Controller`, in front: `TerminalUserController_deleteDevice` →
//!   `terminalUserDeleteDevice`.
//! * **The documents' defects are repaired by rule, each one reported** ([`Composition::defects`],
//!   written to `openapi/upstream/defects.txt` by `cargo xtask generate`, so that a newer
//!   document's new defects show in review): a response without the `description` OpenAPI
//!   requires gets one; a `default` that does not fit its schema (a `null` for a string, `false`
//!   for an object) is dropped; a `required` property that is not described is no longer
//!   required; `statusCode` and `apiCode`, which the documents type `number` everywhere, are
//!   integers (the service sends integers, and the envelope is read as one), and so are the
//!   counts `page`, `limit` and `totalCount` ([`COUNTS`]), properties and query parameters.
//! * **Dates are strings**, as in the spec: `format: date-time` is dropped, so that an answer
//!   whose date the service writes otherwise still decodes.
//! * **What the facade needs of every operation.** Each `/api/v3` operation gets the 429 answer
//!   of our spec (the V3 envelope, read as `crate::types::CommonResponseDto`), so that a throttled
//!   call is the same typed error everywhere; a property whose name says it holds a secret
//!   ([`is_secret`]) is marked `x-genauth-sensitive`, so that `Debug` redacts it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::Error;
use crate::spec::{METHODS, Spec};
use crate::upstream::Upstream;

/// Property names that hold a secret, compared without case, `_` or `-`.
pub const SECRET_NAMES: &[&str] = &[
    "password",
    "newpassword",
    "oldpassword",
    "passcode",
    "secret",
    "appsecret",
    "clientsecret",
    "accesskeysecret",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "token",
    "sessiontoken",
    "ticket",
    "mfatoken",
    "otp",
    "totp",
    "senderpass",
    "emailcode",
];

/// Endings of property names that hold a secret (compared as [`SECRET_NAMES`]), for a value that
/// is not a boolean or a number: any `…Token` (`captchaToken`, `passwordResetToken`,
/// `verification_token`), any `…PassCode`, `…Secret`, a password hash (`encryptedPassword`, of
/// 2024's `batch-get-user-encrypt-password`), keys (`privateKey`, `encodingAESKey`) and MFA
/// recovery codes.
pub const SECRET_ENDINGS: &[&str] = &[
    "token",
    "passcode",
    "secret",
    "encryptedpassword",
    "privatekey",
    "aeskey",
    "encryptkey",
    "recoverycode",
];

/// Whether a property named `name` with `schema` holds a secret ([`SECRET_NAMES`],
/// [`SECRET_ENDINGS`]).
pub fn is_secret(name: &str, schema: &Value) -> bool {
    let key = normal(&name.replace('-', ""));
    if SECRET_NAMES.contains(&key.as_str()) {
        return true;
    }
    let scalar = matches!(
        schema.get("type").and_then(Value::as_str),
        Some("boolean" | "number" | "integer")
    );
    !scalar && SECRET_ENDINGS.iter().any(|e| key.ends_with(e))
}

#[derive(Deserialize)]
struct MapFile {
    families: Vec<Family>,
}

/// One family of `openapi/families.yaml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Family {
    /// The cargo feature (`auth-sign-in`, `mgmt-users` ...).
    pub feature: String,
    /// `authentication` or `management`.
    pub document: String,
    /// The module's first doc line.
    pub summary: String,
    /// The crate of its types: `genauth-api-types-<types>` (see [`crate::parts`]).
    pub types: String,
    /// The documents' controllers it takes.
    #[serde(default)]
    pub controllers: Vec<String>,
    /// Whether it is its document's deprecated family: it takes the operations only the 2023
    /// documents have ([`crate::merge`]), whatever their controller, and is left out of the
    /// document's feature (`authentication`, `management`), though not of `full`.
    #[serde(default)]
    pub deprecated: bool,
}

impl Family {
    /// The module's name: the feature without its `auth-` / `mgmt-` prefix, `_` for `-`.
    pub fn module(&self) -> String {
        let bare = self
            .feature
            .split_once('-')
            .map_or(self.feature.as_str(), |(_, rest)| rest);
        bare.replace('-', "_")
    }

    /// The crate its types are compiled in (`genauth-api-types-part1`).
    pub fn types_crate(&self) -> String {
        format!("genauth-api-types-{}", self.types)
    }

    /// The generated file, relative to the workspace.
    pub fn file(&self) -> String {
        format!(
            "crates/genauth-api/src/{}/{}.rs",
            self.document,
            self.module()
        )
    }
}

/// Reads `openapi/families.yaml`.
pub fn load() -> Result<Vec<Family>, Error> {
    let path = crate::workspace_root().join("openapi/families.yaml");
    let text = crate::read(&path)?;
    let map: MapFile = serde_yaml::from_str(&text)
        .map_err(|e| Error::Parse(format!("{}: {e}", path.display())))?;
    for family in &map.families {
        let good = !family.types.is_empty()
            && family
                .types
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !good {
            return Err(Error::Parse(format!(
                "{}: family {}: types {:?} is not a crate suffix (lower-case letters and digits)",
                path.display(),
                family.feature,
                family.types
            )));
        }
    }
    Ok(map.families)
}

/// One operation of the documents that the families generate.
#[derive(Debug, Clone)]
pub struct FamilyOperation {
    /// Index into [`Composition::families`].
    pub family: usize,
    /// The operationId as generated.
    pub id: String,
    /// Upper-case method.
    pub method: String,
    /// The path template.
    pub path: String,
}

/// The composed generation input.
pub struct Composition {
    /// The families, in map order.
    pub families: Vec<Family>,
    /// Each document's composed OpenAPI document (authentication, then management): the
    /// families' operations and the schemas they reach, repaired.
    pub documents: Vec<Value>,
    /// Every operation the families generate, in document order.
    pub operations: Vec<FamilyOperation>,
    /// The defects repaired, one line each.
    pub defects: Vec<String>,
    /// Operations of the documents that the overlay defines (method, path), per document.
    pub overlaid: BTreeMap<String, usize>,
}

/// Composes the documents with the overlay `spec` and the family map.
pub fn compose(
    upstream: &Upstream,
    spec: &Spec,
    families: Vec<Family>,
) -> Result<Composition, Error> {
    let mut by_controller: BTreeMap<&str, usize> = BTreeMap::new();
    let mut deprecated_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, family) in families.iter().enumerate() {
        if family.deprecated && deprecated_of.insert(family.document.as_str(), i).is_some() {
            return Err(Error::Parse(format!(
                "openapi/families.yaml: the {} document has two deprecated families",
                family.document
            )));
        }
        if !matches!(family.document.as_str(), "authentication" | "management") {
            return Err(Error::Parse(format!(
                "openapi/families.yaml: family {} names document {:?} (authentication or management)",
                family.feature, family.document
            )));
        }
        let prefix = if family.document == "authentication" {
            "auth-"
        } else {
            "mgmt-"
        };
        if !family.feature.starts_with(prefix) {
            return Err(Error::Parse(format!(
                "openapi/families.yaml: the feature of a family of the {} document starts with {prefix}: {}",
                family.document, family.feature
            )));
        }
        for c in &family.controllers {
            if let Some(other) = by_controller.insert(c, i) {
                return Err(Error::Parse(format!(
                    "openapi/families.yaml: controller {c} is in two families ({} and {})",
                    families[other].feature, family.feature
                )));
            }
        }
    }
    let ours: BTreeSet<(String, String)> = spec
        .operations()
        .iter()
        .map(|op| (op.method.clone(), op.path.to_string()))
        .collect();
    let mut defects = Vec::new();
    let mut documents: Vec<(String, Value)> = Vec::new();
    for (name, doc) in [
        ("authentication", &upstream.authentication),
        ("management", &upstream.management),
    ] {
        let mut doc = doc.clone();
        repair_document(name, &mut doc, &mut defects);
        documents.push((name.to_string(), doc));
    }

    // Every operation the families take, with its controller and bare name.
    struct Found {
        document: usize,
        family: usize,
        controller: String,
        bare: String,
        method: String,
        path: String,
    }
    let mut found = Vec::new();
    let mut overlaid = BTreeMap::new();
    let mut unmapped = BTreeSet::new();
    for (d, (name, doc)) in documents.iter().enumerate() {
        for (path, item) in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                if ours.contains(&(method.to_ascii_uppercase(), path.clone())) {
                    *overlaid.entry(name.clone()).or_insert(0) += 1;
                    continue;
                }
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let (controller, bare) = id.split_once('_').ok_or_else(|| {
                    Error::Parse(format!(
                        "{name} document: {method} {path} has operationId {id:?}, not <Controller>_<name>"
                    ))
                })?;
                // Gone since 2023 (`crate::merge`); the 2023 documents' own `deprecated` of an
                // operation 2024 still has does not move it.
                let deprecated = op.get("deprecated") == Some(&Value::Bool(true))
                    && op.get("x-genauth-generation").and_then(Value::as_str) == Some("2023");
                let family = match by_controller.get(controller) {
                    _ if deprecated => match deprecated_of.get(name.as_str()) {
                        Some(&f) => f,
                        None => {
                            return Err(Error::Parse(format!(
                                "openapi/families.yaml: {id} is deprecated (only the 2023 documents have it), but the {name} document has no deprecated family"
                            )));
                        }
                    },
                    Some(&f) if families[f].document == *name => f,
                    Some(&f) => {
                        return Err(Error::Parse(format!(
                            "openapi/families.yaml: controller {controller} is of the {name} document, but family {} is of the {} one",
                            families[f].feature, families[f].document
                        )));
                    }
                    None => {
                        unmapped.insert(format!("{controller} ({name})"));
                        0
                    }
                };
                found.push(Found {
                    document: d,
                    family,
                    controller: controller.to_string(),
                    bare: bare.to_string(),
                    method: method.to_string(),
                    path: path.clone(),
                });
            }
        }
    }
    if !unmapped.is_empty() {
        return Err(Error::Parse(format!(
            "openapi/families.yaml: no family takes controller(s) {}; add each to a family",
            unmapped.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }

    // Names: the bare name, or the controller's in front where two share it.
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for f in &found {
        *count.entry(normal(&f.bare)).or_default() += 1;
    }
    for op in spec.operations() {
        *count.entry(normal(op.id)).or_default() += 1;
    }
    let mut per_family: Vec<Map<String, Value>> = vec![Map::new(); families.len()];
    let mut operations = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &found {
        let id = if count[&normal(&f.bare)] > 1 {
            let stem = f.controller.trim_end_matches("Controller");
            let mut chars = stem.chars();
            let lower: String = chars
                .next()
                .map(|c| c.to_ascii_lowercase())
                .into_iter()
                .chain(chars)
                .collect();
            let mut bare = f.bare.chars();
            let upper: String = bare
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(bare)
                .collect();
            format!("{lower}{upper}")
        } else {
            f.bare.clone()
        };
        if !seen.insert(normal(&id)) {
            return Err(Error::Parse(format!(
                "two operations of the documents are both named {id}, even with their controllers"
            )));
        }
        let family = f.family;
        let doc = &documents[f.document].1;
        let mut op = doc["paths"][&f.path][&f.method].clone();
        op["operationId"] = json!(id);
        if let Some(map) = op.as_object_mut() {
            map.remove("security");
        }
        if f.path.starts_with("/api/v3/")
            && let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut)
        {
            responses.entry("429").or_insert_with(|| {
                    json!({
                        "description": "Throttled: the V3 envelope with statusCode 429.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommonResponseDto"}}}
                    })
                });
        }
        let paths = &mut per_family[family];
        let item = paths.entry(f.path.clone()).or_insert_with(|| json!({}));
        item[&f.method] = op;
        operations.push(FamilyOperation {
            family,
            id,
            method: f.method.to_ascii_uppercase(),
            path: f.path.clone(),
        });
    }

    let mut out_docs = Vec::new();
    for (name, doc) in &documents {
        let mut paths = Map::new();
        for (i, family) in families.iter().enumerate() {
            if family.document != *name {
                continue;
            }
            for (path, item) in std::mem::take(&mut per_family[i]) {
                let entry = paths.entry(path).or_insert_with(|| json!({}));
                for (method, op) in item.as_object().into_iter().flatten() {
                    entry[method] = op.clone();
                }
            }
        }
        let paths = Value::Object(paths);
        let all = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut schemas = Map::new();
        let mut queue: Vec<String> = vec!["CommonResponseDto".into()];
        collect_refs(&paths, &mut queue);
        while let Some(schema_name) = queue.pop() {
            if schemas.contains_key(&schema_name) {
                continue;
            }
            let Some(schema) = all.get(&schema_name) else {
                return Err(Error::Parse(format!(
                    "the {name} document refers to schema {schema_name}, which it does not define"
                )));
            };
            collect_refs(schema, &mut queue);
            schemas.insert(schema_name, schema.clone());
        }
        let schemas: BTreeMap<String, Value> = schemas.into_iter().collect();
        out_docs.push(json!({
            "openapi": "3.0.3",
            "info": {
                "title": format!("GenAuth {name} API"),
                "version": "3.0.0",
            },
            "paths": paths,
            "components": {"schemas": schemas},
        }));
    }
    Ok(Composition {
        families,
        documents: out_docs,
        operations,
        defects,
        overlaid,
    })
}

/// A name compared without case or `_` (progenitor's method names are snake case).
pub fn normal(id: &str) -> String {
    id.chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Every `$ref` name under `value`, pushed to `out`.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        out.push(name.to_string());
                    }
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Repairs one document in place, reporting each defect (also what the sandbox's table of the
/// documents is made from: [`crate::documented`]).
pub(crate) fn repair_document(name: &str, doc: &mut Value, defects: &mut Vec<String>) {
    let components = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let (mut integers, mut counts) = (0, 0);
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (schema_name, schema) in schemas.iter_mut() {
            let location = format!("{name}: components/schemas/{schema_name}");
            repair_schema(schema, &location, &components, defects);
            for key in ["statusCode", "apiCode"] {
                if let Some(t) = schema.pointer_mut(&format!("/properties/{key}/type"))
                    && t == "number"
                {
                    *t = json!("integer");
                    integers += 1;
                }
            }
            for key in COUNTS {
                if let Some(t) = schema.pointer_mut(&format!("/properties/{key}/type"))
                    && t == "number"
                {
                    *t = json!("integer");
                    counts += 1;
                }
            }
            mark_secrets(schema);
        }
    }
    if integers > 0 {
        defects.push(format!(
            "{name}: {integers} statusCode / apiCode properties are typed number; the service sends integers: read as integer"
        ));
    }
    let mut undescribed = 0;
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                let Some(op) = item.get_mut(method) else {
                    continue;
                };
                for (i, p) in op
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let counted = p
                        .get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| COUNTS.contains(&n));
                    if let Some(schema) = p.get_mut("schema") {
                        let location = format!(
                            "{name}: {} {path} parameter {i}",
                            method.to_ascii_uppercase()
                        );
                        repair_schema(schema, &location, &components, defects);
                        if counted && schema.get("type").is_some_and(|t| t == "number") {
                            schema["type"] = json!("integer");
                            counts += 1;
                        }
                    }
                }
                for (status, response) in op
                    .get_mut("responses")
                    .and_then(Value::as_object_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(r) = response.as_object_mut()
                        && !r.contains_key("description")
                        && !r.contains_key("$ref")
                    {
                        r.insert(
                            "description".into(),
                            json!(format!(
                                "HTTP {status} (the documents give no description)."
                            )),
                        );
                        undescribed += 1;
                    }
                }
            }
        }
    }
    if undescribed > 0 {
        defects.push(format!(
            "{name}: {undescribed} responses have no description, which OpenAPI requires: given one"
        ));
    }
    if counts > 0 {
        defects.push(format!(
            "{name}: {counts} page / limit / totalCount properties and parameters are typed number; they count, and the service sends and takes integers: read as integer"
        ));
    }
}

/// The names of the properties and query parameters that count things (a page's number and
/// size, a list's total): integers, which the documents type `number`.
const COUNTS: [&str; 3] = ["page", "limit", "totalCount"];

/// Marks the properties whose names say they hold a secret.
fn mark_secrets(schema: &mut Value) {
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (prop, value) in props.iter_mut() {
            if is_secret(prop, value)
                && let Some(v) = value.as_object_mut()
            {
                v.insert("x-genauth-sensitive".into(), json!(true));
            }
        }
    }
}

/// Repairs one schema (and what it nests) in place.
fn repair_schema(
    schema: &mut Value,
    location: &str,
    components: &Value,
    defects: &mut Vec<String>,
) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    // A date is read as the string the service sends (as the spec does): a format the service
    // does not keep to would fail the whole answer, and no date crate is pulled in for it.
    if map.get("format").and_then(Value::as_str) == Some("date-time") {
        map.remove("format");
    }
    if let Some(default) = map.get("default").cloned()
        && !fits(&default, &Value::Object(map.clone()), components, 0)
    {
        map.remove("default");
        defects.push(format!(
            "{location}: default {default} does not fit its schema: dropped"
        ));
    }
    // A required property the documents do not describe (the documents' `description` and
    // `title` properties lost to their prose stripping, GroupDto.description): described as
    // any JSON value, still required.
    let required: Vec<String> = map
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
        for name in required {
            if !props.contains_key(&name) {
                props.insert(name.clone(), json!({}));
                defects.push(format!(
                    "{location}: property {name} is required but not described: taken as any JSON value"
                ));
            }
        }
    }
    if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, value) in props.iter_mut() {
            repair_schema(
                value,
                &format!("{location}/properties/{name}"),
                components,
                defects,
            );
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(v) = map.get_mut(key) {
            repair_schema(v, &format!("{location}/{key}"), components, defects);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(items) = map.get_mut(key).and_then(Value::as_array_mut) {
            for (i, v) in items.iter_mut().enumerate() {
                repair_schema(v, &format!("{location}/{key}/{i}"), components, defects);
            }
        }
    }
}

/// Whether `value` fits `schema` as far as a default needs: its type and enum, through `$ref`
/// and `allOf`.
fn fits(value: &Value, schema: &Value, components: &Value, depth: usize) -> bool {
    if depth > 8 {
        return true;
    }
    if value.is_null() {
        return schema.get("nullable").and_then(Value::as_bool) == Some(true);
    }
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return components
            .get(name)
            .is_none_or(|s| fits(value, s, components, depth + 1));
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array)
        && !all.iter().all(|s| fits(value, s, components, depth + 1))
    {
        return false;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        return false;
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    }
}

/// `openapi/upstream/defects.txt`: what the composition repaired in the documents, one line each.
pub fn defects_text(composition: &Composition) -> String {
    let mut out = String::from(
        "# @generated by `cargo xtask generate`: the defects of the documents in openapi/upstream/\n\
         # and how the generation repairs each (xtask/src/families.rs). Review a change here as a\n\
         # change of the service's documents.\n",
    );
    for line in &composition.defects {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `crates/genauth-api/src/<document>/mod.rs`: the document's families, each module behind its
/// feature.
pub fn module_index(composition: &Composition, document: &str) -> String {
    let ops = |i: usize| {
        composition
            .operations
            .iter()
            .filter(|o| o.family == i)
            .count()
    };
    let total: usize = (0..composition.families.len())
        .filter(|&i| composition.families[i].document == document)
        .map(ops)
        .sum();
    let overlaid = composition.overlaid.get(document).copied().unwrap_or(0);
    let mut out = format!(
        "// @generated by `cargo xtask generate` from openapi/families.yaml.\n\
         // Do not edit by hand: change the family map and run `cargo xtask generate`.\n\
         \n\
         //! The operations of the service's {document} document that openapi/genauth.yaml does\n\
         //! not define ({total}; the other {overlaid} are generated from the spec, at the crate's root),\n\
         //! one module per family of `openapi/families.yaml`, each behind the cargo feature of\n\
         //! its name. Their methods are on the crate's one [`Client`](crate::Client)\n\
         //! (`client.list_users()`), their request and answer types in `types`, shared.\n"
    );
    out.push_str(&crate::parts::types_reexport(composition, document));
    for (i, family) in composition.families.iter().enumerate() {
        if family.document != document {
            continue;
        }
        out.push_str(&format!(
            "\n/// {}\n///\n/// Feature `{}`: {} operations.\n#[cfg(feature = \"{}\")]\n#[rustfmt::skip]\n#[allow(missing_docs, unused_imports, dead_code, clippy::all, clippy::pedantic, rustdoc::all)]\npub mod {};\n",
            family.summary,
            family.feature,
            ops(i),
            family.feature,
            family.module()
        ));
    }
    out
}

/// `feature = "<name>"` of each family of `document`, in the map's order.
pub(crate) fn features_of(composition: &Composition, document: &str) -> Vec<String> {
    composition
        .families
        .iter()
        .filter(|f| f.document == document)
        .map(|f| format!("feature = \"{}\"", f.feature))
        .collect()
}

/// `crates/genauth-api-types/src/<document>/mod.rs`: the document's types that families of two
/// parts share, compiled when one of its families is on.
pub fn types_index(composition: &Composition, document: &str) -> String {
    format!(
        "// @generated by `cargo xtask generate` from openapi/families.yaml.\n\
         // Do not edit by hand: change the family map and run `cargo xtask generate`.\n\
         \n\
         //! The request and answer types of the service's {document} document that families of\n\
         //! two parts use (the others are in `genauth-api-types-<part>`, `types:` in\n\
         //! openapi/families.yaml), and the document's `error`: each type compiled when a family\n\
         //! whose operations use it is on.\n\
         \n\
         /// The {document} document's types.\n\
         #[cfg(any({}))]\n\
         #[rustfmt::skip]\n\
         #[allow(missing_docs, unused_imports, dead_code, clippy::all, clippy::pedantic, rustdoc::all)]\n\
         pub mod types;\n",
        features_of(composition, document).join(", ")
    )
}

/// The first and last lines of the generated feature block in a crate's Cargo.toml.
const BEGIN: &str = "# BEGIN the families' features: generated by `cargo xtask generate` from openapi/families.yaml.";
const END: &str = "# END the families' features.";

/// `manifest` with its block of family features written anew: each family's feature with
/// what `values` says it turns on (for `genauth-api-types` nothing: it turns on its types; for
/// `genauth-api` the same names in `genauth-api-types` and the family's types crate; for
/// `genauth` in `genauth-api`), and in all three `authentication`, `management`
/// (every family of the document) and `full` (both).
/// The block sits at the end of `[features]`; a manifest without one gets it there.
pub fn manifest_features(
    manifest: &str,
    composition: &Composition,
    values: &dyn Fn(&Family) -> Vec<String>,
) -> Result<String, Error> {
    let mut block = format!("{BEGIN}\n");
    for family in &composition.families {
        let value: Vec<String> = values(family).iter().map(|v| format!("\"{v}\"")).collect();
        block.push_str(&format!("{} = [{}]\n", family.feature, value.join(", ")));
    }
    for document in ["authentication", "management"] {
        let names: Vec<String> = composition
            .families
            .iter()
            .filter(|f| f.document == document && !f.deprecated)
            .map(|f| format!("\"{}\"", f.feature))
            .collect();
        block.push_str(&format!("{document} = [{}]\n", names.join(", ")));
    }
    let mut full = vec![
        "\"authentication\"".to_string(),
        "\"management\"".to_string(),
    ];
    full.extend(
        composition
            .families
            .iter()
            .filter(|f| f.deprecated)
            .map(|f| format!("\"{}\"", f.feature)),
    );
    block.push_str(&format!("full = [{}]\n", full.join(", ")));
    block.push_str(END);
    block.push('\n');
    if let (Some(start), Some(end)) = (manifest.find(BEGIN), manifest.find(END)) {
        let end = end + END.len() + usize::from(manifest[end + END.len()..].starts_with('\n'));
        return Ok(format!("{}{block}{}", &manifest[..start], &manifest[end..]));
    }
    // No block yet: at the end of [features], before the next table.
    let features = manifest
        .find("\n[features]\n")
        .ok_or_else(|| Error::Parse("a manifest without [features]".into()))?;
    let next = manifest[features + 1..]
        .find("\n[")
        .map_or(manifest.len(), |i| features + 2 + i);
    let head = manifest[..next].trim_end_matches('\n');
    Ok(format!("{head}\n{block}\n{}", &manifest[next..]))
}

/// Writes the composed documents (authentication, then management: the families' operations
/// and the schemas they reach, repaired) into `dir` as `<document>.json`; answers the paths.
pub fn write_composed(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, Error> {
    let spec = Spec::parse(&crate::read(&crate::spec_path())?)?;
    let composition = compose(&crate::merge::load()?, &spec, load()?)?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (name, doc) in ["authentication", "management"]
        .into_iter()
        .zip(&composition.documents)
    {
        let path = dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(doc)
            .map_err(|e| Error::Parse(format!("the composed {name} document: {e}")))?;
        std::fs::write(&path, text).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        out.push(path);
    }
    Ok(out)
}
