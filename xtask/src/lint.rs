//! The spec lint: what progenitor does not enforce, and the limits where it would panic.
//!
//! Rules:
//! * OpenAPI 3.0.x only (progenitor's limit).
//! * Every operation has a unique camelCase operationId, at least one declared tag and a summary.
//! * At most one distinct success schema (2xx and `default`) and one distinct error schema
//!   (4xx/5xx) per operation; request bodies are JSON or form-encoded; no cookie parameters
//!   (each of these would make progenitor panic or refuse the spec).
//! * Every request body and every response with a body has an example, and every example in the
//!   document (bodies, parameters, schemas, properties) validates against its schema.
//! * Every property has a description (a `$ref` property takes the description of its target).
//! * Every parameter has a description; header names are lower case, as they travel on the wire
//!   (progenitor's generated code builds header names with `HeaderName::from_static`, which
//!   panics on an upper-case name).
//! * Every `$ref` resolves and every security requirement names a declared scheme.
//! * The retry exceptions table (`x-genauth-retry-exceptions`, see `operations.rs`): each entry
//!   names an operation of the spec, says `idempotent` (a boolean) and `why` (the reason), and
//!   differs from what the rule would say (an entry that agrees with the rule is noise).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::schema::SchemaSet;
use crate::spec::Spec;

/// One problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where: "operation bindPhone (POST /api/v3/bind-phone), request body", "schema UserDto" ...
    pub location: String,
    /// What is wrong.
    pub problem: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.problem)
    }
}

/// One finding per line, indented.
pub fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  - {f}"))
        .collect::<Vec<_>>()
        .join("\n")
}

struct Lint<'a> {
    spec: &'a Spec,
    schemas: SchemaSet,
    findings: Vec<Finding>,
}

impl Lint<'_> {
    fn push(&mut self, location: &str, problem: impl Into<String>) {
        self.findings.push(Finding {
            location: location.to_string(),
            problem: problem.into(),
        });
    }

    fn check_example(&mut self, location: &str, schema: Option<&Value>, example: &Value) {
        let Some(schema) = schema else {
            self.push(location, "has an example but no schema");
            return;
        };
        if let Err(e) = self.schemas.validate(schema, example) {
            self.push(
                location,
                format!(
                    "example does not match its schema: {}",
                    e.replace('\n', "; ")
                ),
            );
        }
    }

    fn check_ref(&mut self, location: &str, value: &Value) -> bool {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let found = reference
                    .strip_prefix('#')
                    .and_then(|p| self.spec.doc.pointer(p))
                    .is_some();
                if !found {
                    self.push(location, format!("$ref {reference} does not resolve"));
                }
                true
            }
            None => false,
        }
    }

    /// Walks a schema: property descriptions, nested schemas, examples.
    fn walk_schema(&mut self, location: &str, schema: &Value) {
        if self.check_ref(location, schema) {
            return;
        }
        if let Some(example) = schema.get("example") {
            self.check_example(location, Some(schema), example);
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let at = format!("{location}, property {name}");
                let is_ref = prop.get("$ref").is_some();
                let described = prop
                    .get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.trim().is_empty());
                if !is_ref && !described {
                    self.push(&at, "has no description");
                }
                self.walk_schema(&at, prop);
            }
        }
        if let Some(items) = schema.get("items") {
            self.walk_schema(&format!("{location}, items"), items);
        }
        if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            self.walk_schema(&format!("{location}, additionalProperties"), extra);
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for (i, sub) in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                self.walk_schema(&format!("{location}, {key}[{i}]"), sub);
            }
        }
    }

    /// Checks one `content` map (request body or response): media types, example, schema.
    fn check_content(&mut self, location: &str, content: &Value, request: bool) {
        let Some(map) = content.as_object() else {
            return;
        };
        for (media, body) in map {
            let at = format!("{location} ({media})");
            if request
                && media != "application/json"
                && media != "application/x-www-form-urlencoded"
            {
                self.push(
                    &at,
                    "progenitor only sends JSON or form-encoded bodies from a schema",
                );
            }
            let schema = body.get("schema");
            match schema {
                Some(s) => self.walk_schema(&at, s),
                None => self.push(&at, "has no schema"),
            }
            match body.get("example") {
                Some(example) => self.check_example(&at, schema, example),
                None => {
                    if body.get("examples").is_none() {
                        self.push(&at, "has no example");
                    }
                }
            }
        }
    }

    /// The retry exceptions table: see the module doc.
    fn check_retry_exceptions(&mut self) {
        let key = crate::operations::EXCEPTIONS_KEY;
        let Some(table) = self.spec.doc.get(key) else {
            return;
        };
        if !table.is_object() {
            self.push(key, "is not a mapping of operationId to its entry");
            return;
        }
        let operations = self.spec.operations();
        for (id, entry) in crate::operations::exceptions(self.spec) {
            let at = format!("{key}.{id}");
            let Some(op) = operations.iter().find(|op| op.id == id) else {
                self.push(&at, "names no operation of the spec");
                continue;
            };
            if entry
                .get("why")
                .and_then(Value::as_str)
                .is_none_or(|why| why.trim().is_empty())
            {
                self.push(&at, "has no `why`");
            }
            match entry.get("idempotent").and_then(Value::as_bool) {
                None => self.push(&at, "has no boolean `idempotent`"),
                Some(said)
                    if said == crate::operations::idempotent_by_rule(&op.method, op.path) =>
                {
                    self.push(
                        &at,
                        format!("says idempotent: {said}, which the rule says already; remove it"),
                    )
                }
                Some(_) => {}
            }
        }
    }

    fn run(&mut self) {
        let spec = self.spec;
        self.check_retry_exceptions();
        let version = spec
            .doc
            .get("openapi")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !version.starts_with("3.0.") {
            self.push(
                "document",
                format!("openapi is {version:?}; progenitor reads OpenAPI 3.0.x only"),
            );
        }

        let declared_tags: BTreeSet<&str> = spec
            .doc
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("name").and_then(Value::as_str))
            .collect();
        let schemes: BTreeSet<String> = spec
            .doc
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();

        // Security schemes: header names lower case.
        if let Some(map) = spec
            .doc
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
        {
            for (name, scheme) in map {
                if scheme.get("in").and_then(Value::as_str) == Some("header") {
                    let header = scheme.get("name").and_then(Value::as_str).unwrap_or("");
                    if header != header.to_ascii_lowercase() {
                        self.push(
                            &format!("security scheme {name}"),
                            format!("header name {header:?} is not lower case"),
                        );
                    }
                }
            }
        }

        let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
        for op in spec.operations() {
            let label = op.label();
            // operationId
            if op.id.is_empty() {
                self.push(&label, "has no operationId");
            } else {
                let camel = op.id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && op.id.chars().all(|c| c.is_ascii_alphanumeric());
                if !camel {
                    self.push(
                        &label,
                        "operationId must be camelCase ASCII (it becomes a Rust method name)",
                    );
                }
                if let Some(first) = seen_ids.insert(op.id.to_string(), label.clone()) {
                    self.push(
                        &label,
                        format!("operationId {} is already used by {first}", op.id),
                    );
                }
            }
            // tags and summary
            let tags: Vec<&str> = op
                .value
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if tags.is_empty() {
                self.push(&label, "has no tag");
            }
            for tag in tags {
                if !declared_tags.contains(tag) {
                    self.push(&label, format!("tag {tag:?} is not declared in `tags`"));
                }
            }
            let has_summary = op
                .value
                .get("summary")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty());
            if !has_summary {
                self.push(&label, "has no summary");
            }
            // security
            for requirement in op
                .value
                .get("security")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for name in requirement
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    if !schemes.contains(name) {
                        self.push(&label, format!("security scheme {name:?} is not declared"));
                    }
                }
            }
            // parameters
            for raw in op
                .value
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.check_ref(&label, raw);
            }
            for param in spec.parameters(&op) {
                let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
                let place = param.get("in").and_then(Value::as_str).unwrap_or("?");
                let at = format!("{label}, {place} parameter {name}");
                if param
                    .get("description")
                    .and_then(Value::as_str)
                    .is_none_or(|d| d.trim().is_empty())
                {
                    self.push(&at, "has no description");
                }
                match place {
                    "header" if name != name.to_ascii_lowercase() => self.push(
                        &at,
                        "header name is not lower case (progenitor's generated code would panic)",
                    ),
                    "cookie" => self.push(&at, "progenitor does not support cookie parameters"),
                    _ => {}
                }
                let schema = param.get("schema");
                if let Some(s) = schema {
                    self.walk_schema(&at, s);
                }
                if let Some(example) = param.get("example") {
                    self.check_example(&at, schema, example);
                }
            }
            // request body
            if let Some(body) = op.value.get("requestBody") {
                let at = format!("{label}, request body");
                if !self.check_ref(&at, body) {
                    match body.get("content") {
                        Some(content) => self.check_content(&at, content, true),
                        None => self.push(&at, "has no content"),
                    }
                }
            }
            // responses
            let mut success: BTreeSet<String> = BTreeSet::new();
            let mut errors: BTreeSet<String> = BTreeSet::new();
            let responses = spec.responses(&op);
            if responses.is_empty() {
                self.push(&label, "has no responses");
            }
            for raw in op
                .value
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(_, v)| v)
            {
                self.check_ref(&label, raw);
            }
            for (status, response) in responses {
                let at = format!("{label}, response {status}");
                let kind = match response.get("content") {
                    Some(content) => {
                        self.check_content(&at, content, false);
                        content
                            .as_object()
                            .and_then(|m| m.values().next())
                            .and_then(|b| b.get("schema"))
                            .map(Value::to_string)
                            .unwrap_or_else(|| "(no schema)".into())
                    }
                    None => "(no body)".into(),
                };
                if status == "default" || status.starts_with('2') {
                    success.insert(kind);
                } else {
                    errors.insert(kind);
                }
            }
            if success.len() > 1 {
                self.push(
                    &label,
                    format!(
                        "has {} different success bodies (2xx and default count); progenitor allows one",
                        success.len()
                    ),
                );
            }
            if errors.len() > 1 {
                self.push(
                    &label,
                    format!(
                        "has {} different error bodies; progenitor allows one",
                        errors.len()
                    ),
                );
            }
        }

        // Component schemas.
        if let Some(map) = spec
            .doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for (name, schema) in map {
                let at = format!("schema {name}");
                if schema
                    .get("description")
                    .and_then(Value::as_str)
                    .is_none_or(|d| d.trim().is_empty())
                {
                    self.push(&at, "has no description");
                }
                self.walk_schema(&at, schema);
            }
        }
    }
}

/// Lints a spec; an empty list means it is clean.
pub fn lint(spec: &Spec) -> Vec<Finding> {
    let mut lint = Lint {
        spec,
        schemas: SchemaSet::new(spec),
        findings: Vec::new(),
    };
    lint.run();
    lint.findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(yaml: &str) -> Vec<String> {
        let spec = Spec::parse(yaml).expect("parses");
        lint(&spec).iter().map(ToString::to_string).collect()
    }

    const GOOD: &str = r#"
openapi: 3.0.3
info: { title: t, version: '1' }
tags: [{ name: phone }]
paths:
  /x:
    post:
      operationId: bindPhone
      tags: [phone]
      summary: Bind
      parameters:
        - { name: x-l, in: header, description: lang, schema: { type: string }, example: en }
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Body' }
            example: { passCode: '123456' }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Body' }
              example: { passCode: '1' }
components:
  schemas:
    Body:
      type: object
      description: body
      required: [passCode]
      properties:
        passCode: { type: string, description: code, example: '123456' }
"#;

    #[test]
    fn a_clean_spec_has_no_findings() {
        assert_eq!(findings(GOOD), Vec::<String>::new());
    }

    #[test]
    fn the_real_spec_is_clean() {
        let spec = Spec::load().expect("loads");
        let found = lint(&spec);
        assert!(found.is_empty(), "{}", render(&found));
    }

    #[test]
    fn upper_case_header_is_named() {
        let f = findings(&GOOD.replace("name: x-l", "name: X-L"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].contains("operation bindPhone (POST /x), header parameter X-L"));
        assert!(f[0].contains("not lower case"));
    }

    #[test]
    fn bad_example_and_missing_description_are_named() {
        let yaml = GOOD
            .replace(
                "example: { passCode: '123456' }",
                "example: { passCode: 7 }",
            )
            .replace("description: code, ", "");
        let f = findings(&yaml);
        assert!(
            f.iter()
                .any(|l| l.contains("request body (application/json)")
                    && l.contains("does not match")),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|l| l == "schema Body, property passCode: has no description"),
            "{f:?}"
        );
    }

    #[test]
    fn progenitor_limits_are_findings_not_panics() {
        let yaml = GOOD.replace(
            "components:",
            "  /y:\n    get:\n      operationId: bindPhone\n      tags: [phone]\n      summary: s\n      responses:\n        '200': { description: a, content: { application/json: { schema: { type: string }, example: a } } }\n        default: { description: b, content: { application/json: { schema: { type: integer }, example: 1 } } }\ncomponents:",
        );
        let f = findings(&yaml);
        assert!(f.iter().any(|l| l.contains("already used by")), "{f:?}");
        assert!(
            f.iter().any(|l| l.contains("2 different success bodies")),
            "{f:?}"
        );
    }

    #[test]
    fn missing_summary_tag_and_example() {
        let yaml = GOOD
            .replace("      tags: [phone]\n      summary: Bind\n", "")
            .replace("              example: { passCode: '1' }\n", "");
        let f = findings(&yaml);
        assert!(f.iter().any(|l| l.ends_with("has no tag")), "{f:?}");
        assert!(f.iter().any(|l| l.ends_with("has no summary")), "{f:?}");
        assert!(
            f.iter()
                .any(|l| l.contains("response 200 (application/json): has no example")),
            "{f:?}"
        );
    }

    #[test]
    fn retry_exceptions_name_an_operation_say_why_and_differ_from_the_rule() {
        let table = |entries: &str| {
            GOOD.replace(
                "paths:",
                &format!("x-genauth-retry-exceptions:\n{entries}paths:"),
            )
        };
        // bindPhone is a POST /x: a write by the rule, so an exception makes it idempotent.
        let ok = table("  bindPhone: { idempotent: true, why: it reads }\n");
        assert_eq!(findings(&ok), Vec::<String>::new());
        let f = findings(&table(
            "  bindPhone: { idempotent: false, why: '' }\n  nothing: { idempotent: true, why: w }\n",
        ));
        assert!(
            f.iter().any(|l| l.contains("bindPhone: has no `why`")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|l| l.contains("which the rule says already")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|l| l.contains("nothing: names no operation")),
            "{f:?}"
        );
        let f = findings(&table("  bindPhone: { why: w }\n"));
        assert!(
            f.iter().any(|l| l.contains("has no boolean `idempotent`")),
            "{f:?}"
        );
        let f = findings(&GOOD.replace("paths:", "x-genauth-retry-exceptions: [a]\npaths:"));
        assert!(f.iter().any(|l| l.contains("is not a mapping")), "{f:?}");
    }
}
