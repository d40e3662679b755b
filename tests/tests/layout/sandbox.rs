//! The sandbox's layout stays walkable: its modules import each other without a circle, the
//! store (`state.rs`) knows nothing of HTTP, and every operation of the spec has a route.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn sources() -> BTreeMap<String, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("crates")
        .join("genauth-sandbox")
        .join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("sandbox sources") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        if path.extension().is_some_and(|e| e == "rs") && name != "lib" && name != "main" {
            let text = std::fs::read_to_string(&path).expect("source");
            // The code outside the unit tests and comments.
            let code: String = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or("")
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(name, code);
        }
    }
    out
}

/// Module → the modules of the crate it names (`crate::x`).
fn graph(sources: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    sources
        .iter()
        .map(|(name, code)| {
            let deps = code
                .split("crate::")
                .skip(1)
                .filter_map(|rest| {
                    let m: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    (sources.contains_key(&m) && m != *name).then_some(m)
                })
                .collect();
            (name.clone(), deps)
        })
        .collect()
}

#[test]
fn the_sandbox_modules_import_each_other_without_a_circle() {
    let sources = sources();
    assert!(sources.len() >= 10, "{:?}", sources.keys());
    let graph = graph(&sources);
    crate::assert_no_circle(&graph);
    // One module per API family, and the store below them all.
    for family in [
        "v3",
        "oidc",
        "management",
        "social",
        "tenant",
        "control",
        "router",
    ] {
        assert!(sources.contains_key(family), "no {family}.rs");
        assert!(!graph["state"].contains(family), "state imports {family}");
    }
}

/// The API families: each has its handlers and its `routes()`, and none imports another (what
/// two share lives in `dto`, `lookup`, `auth`, `v2`, `envelope`, `tokens` or `state`).
const FAMILIES: [&str; 10] = [
    "v3",
    "oidc",
    "account",
    "wechat_mobile",
    "management",
    "records",
    "organizations",
    "factors",
    "social",
    "tenant",
];

#[test]
fn no_family_imports_another_and_each_exports_its_routes() {
    let sources = sources();
    let graph = graph(&sources);
    for family in FAMILIES {
        let code = sources
            .get(family)
            .unwrap_or_else(|| panic!("no {family}.rs"));
        assert!(
            code.contains("pub(crate) fn routes("),
            "{family}.rs exports no routes()"
        );
        for other in FAMILIES {
            assert!(
                !graph[family].contains(other),
                "{family} imports the family {other}"
            );
        }
        assert!(
            sources["router"].contains(&format!("crate::{family}::routes(")),
            "router.rs does not merge {family}'s routes"
        );
    }
    // The router only merges: it names no handler.
    assert!(
        !sources["router"].contains(".route("),
        "router.rs routes a path itself"
    );
}

#[test]
fn the_store_knows_nothing_of_http() {
    let sources = sources();
    let state = &sources["state"];
    for http in [
        "axum",
        "ApiError",
        "SdkError",
        "StatusCode",
        "HeaderMap",
        "envelope",
    ] {
        assert!(!state.contains(http), "state.rs uses {http}");
    }
}

/// Every operation of the spec has a route: a request with its method and path gets an answer
/// of its own (a refusal of the empty request is fine), never the router's "no such API".
/// (The schemathesis run would notice a missing route too, but needs Python.)
#[tokio::test]
async fn every_operation_of_the_spec_gets_a_route() {
    let sandbox = genauth_sandbox::Sandbox::builder()
        .start()
        .await
        .expect("sandbox");
    let http = reqwest::Client::new();
    assert!(genauth_api::operations::ALL.len() >= 40);
    let mut missing = Vec::new();
    for op in genauth_api::operations::ALL {
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("method");
        let answer = http
            .request(method, format!("{}{}", sandbox.url(), op.path))
            .send()
            .await
            .expect("the sandbox answers");
        let body = answer.text().await.unwrap_or_default();
        if body.contains("no such API") {
            missing.push(format!("{} ({} {})", op.id, op.method, op.path));
        }
    }
    assert!(
        missing.is_empty(),
        "operations without a route: {missing:?}"
    );
    // And the check can fail: a path the spec does not have is "no such API".
    let body = http
        .post(format!("{}/api/v3/no-such-operation", sandbox.url()))
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .unwrap_or_default();
    assert!(body.contains("no such API"), "{body}");
}
