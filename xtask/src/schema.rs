//! Validation of JSON values against the spec's schemas.
//!
//! OpenAPI 3.0 schemas are a dialect of JSON Schema draft 4: this module rewrites them
//! (`nullable: true` becomes a `null` alternative, `#/components/schemas/X` becomes
//! `#/definitions/X`) and hands them to the `jsonschema` crate. The lint checks every example with
//! it, and the tests check every answer the sandbox gives.

use serde_json::{Map, Value, json};

use crate::spec::Spec;

/// The component schemas of a spec, ready to validate against.
#[derive(Debug, Clone)]
pub struct SchemaSet {
    definitions: Value,
}

impl SchemaSet {
    /// Takes the component schemas of `spec`.
    pub fn new(spec: &Spec) -> Self {
        let schemas = spec
            .doc
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or_else(|| json!({}));
        Self {
            definitions: to_json_schema(&schemas),
        }
    }

    /// Checks `instance` against `schema` (an OpenAPI schema object, possibly a `$ref`).
    /// The error lists every violation, one per line, with its JSON pointer.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let root = json!({
            "allOf": [to_json_schema(schema)],
            "definitions": self.definitions,
        });
        let validator = jsonschema::draft4::new(&root)
            .map_err(|e| format!("the schema itself is invalid: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "/".to_string() } else { at };
                format!("at {at}: {e}")
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Checks `instance` against the component schema `name`.
    pub fn validate_named(&self, name: &str, instance: &Value) -> Result<(), String> {
        self.validate(
            &json!({ "$ref": format!("#/components/schemas/{name}") }),
            instance,
        )
    }
}

/// Rewrites an OpenAPI 3.0 schema into JSON Schema draft 4.
fn to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "$ref" => {
                        let target = value
                            .as_str()
                            .unwrap_or_default()
                            .replace("#/components/schemas/", "#/definitions/");
                        out.insert(key.clone(), Value::String(target));
                    }
                    // Annotations only: they are not constraints, and `example` values are
                    // checked separately by the lint.
                    "example" | "nullable" | "discriminator" | "xml" | "externalDocs"
                    | "deprecated" | "readOnly" | "writeOnly" => {}
                    // Maps of sub-schemas keyed by name.
                    "properties" | "definitions" => {
                        let converted = value
                            .as_object()
                            .map(|m| {
                                m.iter()
                                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                                    .collect::<Map<_, _>>()
                            })
                            .map(Value::Object)
                            .unwrap_or_else(|| value.clone());
                        out.insert(key.clone(), converted);
                    }
                    "enum" | "required" => {
                        out.insert(key.clone(), value.clone());
                    }
                    _ => {
                        out.insert(key.clone(), to_json_schema(value));
                    }
                }
            }
            if map.get("nullable").and_then(Value::as_bool) == Some(true) {
                if let Some(Value::String(ty)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([ty, "null"]));
                }
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> SchemaSet {
        let spec = Spec::parse(
            r#"
openapi: 3.0.3
components:
  schemas:
    A:
      type: object
      required: [n]
      properties:
        n: { type: integer }
        s: { type: string, nullable: true }
        b: { $ref: '#/components/schemas/B' }
    B:
      type: string
      enum: [X, Y]
"#,
        )
        .expect("spec");
        SchemaSet::new(&spec)
    }

    #[test]
    fn accepts_valid_and_nullable() {
        let s = set();
        s.validate_named("A", &json!({"n": 1, "s": null, "b": "X"}))
            .expect("valid");
    }

    #[test]
    fn rejects_wrong_type_missing_field_and_bad_enum() {
        let s = set();
        let err = s
            .validate_named("A", &json!({"s": 3, "b": "Z"}))
            .expect_err("invalid");
        assert!(err.contains("\"n\" is a required property"), "{err}");
        assert!(err.contains("at /s"), "{err}");
        assert!(err.contains("at /b"), "{err}");
    }
}
