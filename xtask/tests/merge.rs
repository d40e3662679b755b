//! The two generations merged (`xtask::merge`): the schema rules, the operations' generations,
//! the map's checks, and the deprecated family the composition puts the 2023-only ones in.

use serde_json::{Value, json};
use xtask::Upstream;
use xtask::merge::{GenerationMap, merge, merge_schema};

#[test]
fn a_schema_both_describe_takes_the_2024_structure_and_keeps_the_2023_constraints() {
    let old = json!({
        "type": "object",
        "required": ["a", "gone", "loose"],
        "properties": {
            "a": {"type": "string", "format": "date-time", "maxLength": 30, "enum": ["x", "y"]},
            "n": {"type": "integer", "minimum": 1},
            "changed": {"type": "string", "pattern": "^a"},
            "gone": {"type": "string"},
            "loose": {"type": "string", "maxLength": 5},
            "list": {"type": "array", "items": {"type": "string", "minLength": 2}},
        }
    });
    let new = json!({
        "type": "object",
        "required": ["a", "added"],
        "properties": {
            "a": {"type": "string", "enum": ["y", "z"]},
            "n": {"type": "number"},
            "changed": {"type": "number"},
            "added": {"$ref": "#/components/schemas/New"},
            "loose": {},
            "list": {"type": "array", "items": {"type": "string"}},
        }
    });
    let merged = merge_schema(&old, &new);
    let p = &merged["properties"];
    // 2024's required list wins (`gone` is no longer required; `added` is), but for a
    // property 2024 typed `any` (`loose`), which 2023's says.
    assert_eq!(merged["required"], json!(["a", "added", "loose"]));
    // The 2023 constraints stay where the types agree; enum values of both, 2024's first.
    assert_eq!(
        p["a"],
        json!({"type": "string", "format": "date-time", "maxLength": 30, "enum": ["y", "z", "x"]})
    );
    assert_eq!(p["n"], json!({"type": "integer", "minimum": 1}));
    // A type the two disagree on: 2024's whole, without 2023's pattern.
    assert_eq!(p["changed"], json!({"type": "number"}));
    // What only one side has stays; TypeScript's `any` takes 2023's schema.
    assert_eq!(p["added"], json!({"$ref": "#/components/schemas/New"}));
    assert_eq!(p["gone"], json!({"type": "string"}));
    assert_eq!(p["loose"], json!({"type": "string", "maxLength": 5}));
    assert_eq!(
        p["list"]["items"],
        json!({"type": "string", "minLength": 2})
    );
}

fn doc(paths: Value) -> Value {
    json!({"openapi": "3.0.3", "paths": paths, "components": {"schemas": {}}})
}

fn upstream(generation: &'static str, authentication: Value, management: Value) -> Upstream {
    Upstream {
        generation,
        authentication,
        management,
    }
}

fn fixture() -> (Upstream, Upstream) {
    let older = upstream(
        "2023",
        doc(json!({
            "/both": {"post": {
                "operationId": "AController_both",
                "security": [{"bearer": []}],
                "parameters": [{"in": "query", "name": "q", "maxLength": 9, "schema": {"type": "string"}}],
                "responses": {"201": {"content": {"application/json": {"schema": {"type": "object", "properties": {"old": {"type": "string"}}}}}}}
            }},
            "/old": {"get": {"operationId": "AController_old", "responses": {"200": {}}}},
            "/kept": {"get": {"operationId": "AController_kept", "responses": {"200": {}}}},
        })),
        doc(json!({})),
    );
    let newer = upstream(
        "2024",
        doc(json!({
            "/both": {"post": {
                "operationId": "both",
                "parameters": [
                    {"in": "query", "name": "q", "required": true, "schema": {"type": "string"}},
                    {"in": "query", "name": "added", "required": false, "schema": {"type": "number"}}
                ],
                "responses": {"200": {"content": {"application/json": {"schema": {"type": "object", "properties": {"new": {"type": "string"}}}}}}}
            }},
            "/new": {"get": {"operationId": "getNew", "responses": {"200": {}}}},
        })),
        doc(json!({})),
    );
    (older, newer)
}

fn map(yaml: &str) -> GenerationMap {
    serde_yaml::from_str(yaml).expect("a map")
}

#[test]
fn each_operation_says_its_generation_and_the_2023_only_ones_are_deprecated() {
    let (older, newer) = fixture();
    let merged = merge(
        &older,
        &newer,
        &map("since_2024:\n  authentication:\n    BController:\n      - getNew as fetchNew\nstill_served:\n  - AController_kept\n"),
    )
    .expect("merges");
    let paths = &merged.authentication["paths"];
    let both = &paths["/both"]["post"];
    assert_eq!(both["x-genauth-generation"], "2023 and 2024");
    // 2023's name, security and status code; 2024's parameters merged into 2023's.
    assert_eq!(both["operationId"], "AController_both");
    assert_eq!(both["security"], json!([{"bearer": []}]));
    assert_eq!(
        both["parameters"],
        json!([
            {"in": "query", "name": "q", "required": true, "maxLength": 9, "schema": {"type": "string"}},
            {"in": "query", "name": "added", "required": false, "schema": {"type": "number"}}
        ])
    );
    let answer = &both["responses"]["201"]["content"]["application/json"]["schema"];
    assert!(both["responses"].get("200").is_none(), "{both}");
    assert_eq!(
        answer["properties"],
        json!({"new": {"type": "string"}, "old": {"type": "string"}})
    );
    // Only 2023: deprecated, unless still served.
    assert_eq!(paths["/old"]["get"]["deprecated"], true);
    assert_eq!(paths["/old"]["get"]["x-genauth-generation"], "2023");
    assert!(paths["/kept"]["get"].get("deprecated").is_none());
    // Only 2024: the controller (and name) the map gives it.
    assert_eq!(paths["/new"]["get"]["operationId"], "BController_fetchNew");
    assert_eq!(paths["/new"]["get"]["x-genauth-generation"], "2024");
}

#[test]
fn the_map_must_name_every_2024_operation_and_nothing_else() {
    let (older, newer) = fixture();
    let err = merge(&older, &newer, &map("{}")).expect_err("getNew is named nowhere");
    assert!(
        err.to_string()
            .contains("no controller takes getNew (GET /new)"),
        "{err}"
    );
    let stale = "since_2024:\n  authentication:\n    BController:\n      - getNew\n      - gone\nstill_served:\n  - AController_both\n";
    let err = merge(&older, &newer, &map(stale)).expect_err("stale entries");
    let text = err.to_string();
    assert!(
        text.contains("gone is no operation only the 2024 authentication document has"),
        "{text}"
    );
    assert!(
        text.contains("AController_both is no operation only the 2023 documents have"),
        "{text}"
    );
}

#[test]
fn the_workspace_documents_merge_and_the_deprecated_operations_have_their_own_family() {
    let merged = xtask::merge::load().expect("both generations merged");
    let spec = xtask::Spec::load().expect("spec");
    let families = xtask::families::load().expect("family map");
    let composition = xtask::families::compose(&merged, &spec, families.clone()).expect("composes");
    let family_of = |id: &str| {
        composition
            .operations
            .iter()
            .find(|op| op.id == id)
            .map(|op| composition.families[op.family].feature.as_str())
    };
    // A 2023-only operation: in the deprecated family whatever its controller.
    assert_eq!(
        family_of("terminalManagementSuspendDevice"),
        Some("mgmt-deprecated")
    );
    // A still-served one stays in its family; a 2024 one is in its controller's.
    assert_eq!(family_of("jwks"), Some("auth-oidc"));
    assert_eq!(
        family_of("webAuthnRegisterInitialize"),
        Some("auth-webauthn")
    );
    assert_eq!(family_of("listWhitelistsOfApp"), Some("mgmt-security"));
    // Without a deprecated family for the document, the composition names what it cannot place.
    let without: Vec<_> = families
        .into_iter()
        .filter(|f| f.feature != "mgmt-deprecated")
        .collect();
    let err = xtask::families::compose(&merged, &spec, without)
        .err()
        .expect("refused");
    assert!(
        err.to_string()
            .contains("but the management document has no deprecated family"),
        "{err}"
    );
}

#[test]
fn the_2024_operations_rename_none_of_2023() {
    // A 2024 name equal to a 2023 one would put both controllers in front of both (the naming
    // rule), renaming a method users already call: the map renames the 2024 one instead.
    let spec = xtask::Spec::load().expect("spec");
    let families = xtask::families::load().expect("family map");
    let older = xtask::families::compose(
        &Upstream::load().expect("2023 documents"),
        &spec,
        families.clone(),
    )
    .expect("composes");
    let merged = xtask::families::compose(&xtask::merge::load().expect("merged"), &spec, families)
        .expect("composes");
    for op in &older.operations {
        let now = merged
            .operations
            .iter()
            .find(|m| m.method == op.method && m.path == op.path)
            .expect("every 2023 operation is still generated");
        assert_eq!(now.id, op.id, "{} {}", op.method, op.path);
    }
}

#[test]
fn the_deprecated_families_methods_are_marked_and_no_others() {
    // What `cargo xtask generate` wrote (its freshness is `generate --check`'s): a
    // `#[deprecated]` on each method of the deprecated families, none elsewhere.
    let root = xtask::workspace_root().join("crates/genauth-api/src");
    let merged = xtask::merge::load().expect("merged");
    let spec = xtask::Spec::load().expect("spec");
    let composition =
        xtask::families::compose(&merged, &spec, xtask::families::load().expect("families"))
            .expect("composes");
    for (i, family) in composition.families.iter().enumerate() {
        let text = std::fs::read_to_string(xtask::workspace_root().join(family.file()))
            .expect("the family's module");
        let marked = text.matches("#[deprecated(").count();
        let operations = composition
            .operations
            .iter()
            .filter(|op| op.family == i)
            .count();
        let expected = if family.deprecated { operations } else { 0 };
        assert_eq!(marked, expected, "{}", family.feature);
    }
    assert!(root.join("management/deprecated.rs").exists());
}
