//! The spec as a JSON value, with the look-ups the lint, the generator and the tests need.

use serde_json::Value;

use crate::Error;

/// HTTP methods an OpenAPI path item may hold, in the order progenitor walks them.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The parsed spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The whole document as JSON.
    pub doc: Value,
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    /// Its operationId (empty when missing; the lint reports that).
    pub id: &'a str,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template.
    pub path: &'a str,
    /// The operation object.
    pub value: &'a Value,
}

impl Operation<'_> {
    /// "operation bindPhone (POST /api/v3/bind-phone)", for messages.
    pub fn label(&self) -> String {
        if self.id.is_empty() {
            format!("operation {} {}", self.method, self.path)
        } else {
            format!("operation {} ({} {})", self.id, self.method, self.path)
        }
    }
}

impl Spec {
    /// Parses YAML text.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let doc: Value = serde_yaml::from_str(text).map_err(|e| Error::Parse(e.to_string()))?;
        if !doc.is_object() {
            return Err(Error::Parse("the document is not a mapping".into()));
        }
        Ok(Self { doc })
    }

    /// Reads and parses `openapi/genauth.yaml`.
    pub fn load() -> Result<Self, Error> {
        Self::parse(&crate::read(&crate::spec_path())?)
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> Vec<Operation<'_>> {
        let mut out = Vec::new();
        if let Some(paths) = self.doc.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                for method in METHODS {
                    if let Some(op) = item.get(method) {
                        out.push(Operation {
                            id: op.get("operationId").and_then(Value::as_str).unwrap_or(""),
                            method: method.to_uppercase(),
                            path,
                            value: op,
                        });
                    }
                }
            }
        }
        out
    }

    /// The operation with this operationId.
    pub fn operation(&self, id: &str) -> Option<Operation<'_>> {
        self.operations().into_iter().find(|op| op.id == id)
    }

    /// Follows a local `$ref` ("#/components/...") once; other values come back as they are.
    pub fn resolve<'a>(&'a self, value: &'a Value) -> Option<&'a Value> {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.strip_prefix('#')?;
                self.doc.pointer(pointer)
            }
            None => Some(value),
        }
    }

    /// The parameters of an operation (path-level and operation-level), resolved.
    pub fn parameters<'a>(&'a self, op: &Operation<'a>) -> Vec<&'a Value> {
        let mut out = Vec::new();
        let item = self.doc.get("paths").and_then(|p| p.get(op.path));
        for list in [
            item.and_then(|i| i.get("parameters")),
            op.value.get("parameters"),
        ]
        .into_iter()
        .flatten()
        {
            for p in list.as_array().into_iter().flatten() {
                if let Some(p) = self.resolve(p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// The responses of an operation, resolved, as (status key, response object).
    pub fn responses<'a>(&'a self, op: &Operation<'a>) -> Vec<(&'a str, &'a Value)> {
        let mut out = Vec::new();
        if let Some(responses) = op.value.get("responses").and_then(Value::as_object) {
            for (status, response) in responses {
                if let Some(r) = self.resolve(response) {
                    out.push((status.as_str(), r));
                }
            }
        }
        out
    }

    /// The JSON schema of the response `status` of operation `id`, if it has a body.
    pub fn response_schema(&self, id: &str, status: &str) -> Option<&Value> {
        let op = self.operation(id)?;
        let (_, response) = self
            .responses(&op)
            .into_iter()
            .find(|(s, _)| *s == status)?;
        response
            .get("content")?
            .as_object()?
            .values()
            .next()?
            .get("schema")
    }

    /// The example of the response `status` of operation `id`, if it has one.
    pub fn response_example(&self, id: &str, status: &str) -> Option<&Value> {
        let op = self.operation(id)?;
        let (_, response) = self
            .responses(&op)
            .into_iter()
            .find(|(s, _)| *s == status)?;
        response
            .get("content")?
            .as_object()?
            .values()
            .next()?
            .get("example")
    }
}
