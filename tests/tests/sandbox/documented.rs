//! The operations of the service's own documents that the sandbox answers from their schemas
//! (`crates/genauth-sandbox/src/documented.rs`): every one answers, none with a 5xx; the caller
//! is authenticated as the documents say; a missing or malformed parameter is the 400 envelope
//! naming it; a path no document has stays "no such API".

use serde_json::{Value, json};

use crate::common::Harness;
use crate::common::documents::{Callers, answer_conforms, call_of, documented, send};
use crate::v3_management::management_headers;

/// Documented operations the sandbox keeps state for (`management.rs`): their rules come first.
const STATEFUL: [&str; 35] = [
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
    "/api/v3/create-organization",
    "/api/v3/create-department",
    "/api/v3/set-user-departments",
    "/api/v3/add-department-members",
    "/api/v3/remove-department-members",
    "/api/v3/get-user-departments",
    "/api/v3/is-user-in-department",
    "/api/v3/send-enroll-factor-request",
    "/api/v3/enroll-factor",
    "/api/v3/list-enrolled-factors",
    "/api/v3/get-factor",
    "/api/v3/reset-factor",
    "/api/v3/get-user-mfa-info",
    "/api/v3/get-user-principal-authentication-info",
    "/api/v3/reset-user-principal-authentication-info",
    "/api/v3/validate-password",
];

#[tokio::test]
async fn every_documented_operation_answers_as_its_documents_say() {
    let h = Harness::new().await;
    let callers = Callers::new(&h).await;
    let http = &callers.http;
    let doc = documented();
    let operations = doc["operations"].as_array().expect("operations");
    assert!(operations.len() > 500, "{}", operations.len());
    let (mut answered, mut refused_missing) = (0, 0);
    for op in operations {
        let schemas = &doc["schemas"][op["family"].as_str().unwrap_or_default()];
        let label = format!("{} {}", op["method"], op["path"]);
        let headers = callers.headers(op);
        let call = call_of(schemas, op);
        let (status, body) = send(&h, http, &call, headers).await;
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
            let (status, body) = send(&h, http, &without, headers).await;
            if without.form {
                // The OAuth endpoints refuse as OAuth 2.0 does (RFC 6749 5.2).
                assert_eq!(status, 400, "{label} without {name}: {body}");
                assert_eq!(body["error"], "invalid_request", "{label}: {body}");
                assert_eq!(
                    body["error_description"],
                    format!("missing required parameter '{name}'"),
                    "{label}: {body}"
                );
                refused_missing += 1;
                continue;
            }
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
    // A path both documents have (GET /api/v3/approval, of 2024): the service serves it at
    // the app's host and at the management API's; the sandbox answers whichever the caller
    // authenticates as, and refuses a caller who is neither.
    let v = h.get("/api/v3/approval?number=1", &management).await;
    assert_eq!(v["statusCode"], 200, "{v}");
    let v: Value = h
        .http
        .get(url("/api/v3/approval?number=1"))
        .header("x-authing-app-id", h.app_id())
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 200, "{v}");
    let v: Value = h
        .http
        .get(url("/api/v3/approval?number=1"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_ne!(v["statusCode"], 200, "{v}");
    // A form body is read as a form: a required field left out is refused as OAuth refuses
    // (HTTP 400, invalid_request), naming it.
    let introspect = |body: &'static str| {
        h.http
            .post(url("/mfa/token/introspection"))
            .header("x-authing-app-id", h.app_id())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let refused = introspect("other=1").await.expect("answers");
    assert_eq!(refused.status(), 400);
    let v: Value = refused.json().await.expect("json");
    assert_eq!(v["error"], "invalid_request", "{v}");
    assert!(
        v["error_description"]
            .as_str()
            .is_some_and(|m| m.contains("'token'")),
        "{v}"
    );
    let answered = introspect("token=abc").await.expect("answers");
    assert_eq!(answered.status(), 200);
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
