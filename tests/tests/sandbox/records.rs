//! What the sandbox keeps about users beyond their profiles (`user_records.rs`, `records.rs`),
//! on the store the phone flows use: sign-ins (login history, logged-in apps and identities),
//! roles and groups with their members. Every answer fits the documents' answer schema.

use serde_json::{Value, json};

use crate::common::Harness;
use crate::common::documents::{answer_conforms, documented};
use crate::v3_management::management_headers;

/// alice's user id, from list-users.
async fn alice_id(h: &Harness, m: &[(&str, String)]) -> String {
    let all = h
        .post("/api/v3/list-users", m, json!({"keywords": "alice"}))
        .await;
    all["data"]["list"][0]["userId"]
        .as_str()
        .expect("alice")
        .to_string()
}

fn codes(answer: &Value) -> Vec<&str> {
    answer["data"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str())
        .collect()
}

#[tokio::test]
async fn sign_ins_show_in_the_login_history_and_the_logged_in_apps() {
    let h = Harness::new().await;
    let doc = documented();
    let m = management_headers(&h).await;
    let id = alice_id(&h, &m).await;
    let path = |op: &str, query: &str| format!("/api/v3/{op}?userId={id}{query}");

    let before = h.get(&path("get-user-login-history", ""), &m).await;
    assert_eq!(before["statusCode"], 200, "{before}");
    assert_eq!(before["data"]["totalCount"], 0, "{before}");
    // Two sign-ins with a password.
    h.alice_token().await;
    h.alice_token().await;
    let history = h.get(&path("get-user-login-history", ""), &m).await;
    answer_conforms(&doc, "/api/v3/get-user-login-history", &history);
    assert_eq!(history["data"]["totalCount"], 2, "{history}");
    assert_eq!(history["data"]["list"][0]["appId"], h.app_id(), "{history}");
    // Filters: another app, a time before them, pagination.
    let other = h
        .get(&path("get-user-login-history", "&appId=nope"), &m)
        .await;
    assert_eq!(other["data"]["totalCount"], 0, "{other}");
    let early = h.get(&path("get-user-login-history", "&end=1"), &m).await;
    assert_eq!(early["data"]["totalCount"], 0, "{early}");
    let one = h
        .get(&path("get-user-login-history", "&page=2&limit=1"), &m)
        .await;
    assert_eq!(
        one["data"]["list"].as_array().map(Vec::len),
        Some(1),
        "{one}"
    );
    assert_eq!(one["data"]["totalCount"], 2, "{one}");
    let too_many = h
        .get(&path("get-user-login-history", "&limit=51"), &m)
        .await;
    assert_eq!(too_many["statusCode"], 400, "{too_many}");

    // The app once, however many sign-ins.
    let apps = h.get(&path("get-user-loggedin-apps", ""), &m).await;
    answer_conforms(&doc, "/api/v3/get-user-loggedin-apps", &apps);
    assert_eq!(
        apps["data"],
        json!([{"appId": h.app_id(), "appName": h.app_id(), "appLogo": "", "appLoginUrl": ""}])
    );
    // No social sign-in: no identity.
    let identities = h.get(&path("get-user-logged-in-identities", ""), &m).await;
    answer_conforms(&doc, "/api/v3/get-user-logged-in-identities", &identities);
    assert_eq!(identities["data"], json!([]), "{identities}");

    // An unknown user is the 404 envelope; without a management credential, 401-ish refusal.
    let unknown = h
        .get("/api/v3/get-user-login-history?userId=nobody", &m)
        .await;
    assert_eq!(unknown["statusCode"], 404, "{unknown}");
    let anonymous = h.get(&path("get-user-loggedin-apps", ""), &[]).await;
    assert_ne!(anonymous["statusCode"], 200, "{anonymous}");
}

#[tokio::test]
async fn roles_hold_their_members_until_revoked_or_deleted() {
    let h = Harness::new().await;
    let doc = documented();
    let m = management_headers(&h).await;
    let id = alice_id(&h, &m).await;
    let roles = format!("/api/v3/get-user-roles?userId={id}");

    let created = h
        .post(
            "/api/v3/create-role",
            &m,
            json!({"code": "admin", "name": "Admins"}),
        )
        .await;
    answer_conforms(&doc, "/api/v3/create-role", &created);
    assert_eq!(created["data"]["namespace"], "default", "{created}");
    let again = h
        .post("/api/v3/create-role", &m, json!({"code": "admin"}))
        .await;
    assert_eq!(again["statusCode"], 409, "{again}");
    // The same code in another namespace is another role.
    let other = h
        .post(
            "/api/v3/create-role",
            &m,
            json!({"code": "admin", "namespace": "crm"}),
        )
        .await;
    assert_eq!(other["statusCode"], 200, "{other}");
    let empty = h
        .post("/api/v3/create-role", &m, json!({"code": " "}))
        .await;
    assert_eq!(empty["statusCode"], 400, "{empty}");

    let target = json!([{"targetType": "USER", "targetIdentifier": id}]);
    let assigned = h
        .post(
            "/api/v3/assign-role",
            &m,
            json!({"code": "admin", "targets": target}),
        )
        .await;
    answer_conforms(&doc, "/api/v3/assign-role", &assigned);
    let mine = h.get(&roles, &m).await;
    answer_conforms(&doc, "/api/v3/get-user-roles", &mine);
    assert_eq!(codes(&mine), ["admin"], "{mine}");
    assert_eq!(mine["data"]["list"][0]["namespace"], "default", "{mine}");
    let in_crm = h.get(&format!("{roles}&namespace=crm"), &m).await;
    assert_eq!(in_crm["data"]["totalCount"], 0, "{in_crm}");

    // Refusals: a role that does not exist, a user who does not, a target the sandbox does not
    // keep; none changes anything.
    let no_role = h
        .post(
            "/api/v3/assign-role",
            &m,
            json!({"code": "ghost", "targets": target}),
        )
        .await;
    assert_eq!(no_role["statusCode"], 404, "{no_role}");
    let no_user = h
        .post(
            "/api/v3/assign-role",
            &m,
            json!({"code": "admin", "namespace": "crm", "targets": [
                {"targetType": "USER", "targetIdentifier": id},
                {"targetType": "USER", "targetIdentifier": "nobody"}]}),
        )
        .await;
    assert_eq!(no_user["statusCode"], 404, "{no_user}");
    assert_eq!(no_user["apiCode"], 2004, "{no_user}");
    let in_crm = h.get(&format!("{roles}&namespace=crm"), &m).await;
    assert_eq!(in_crm["data"]["totalCount"], 0, "all or nothing: {in_crm}");
    let department = h
        .post(
            "/api/v3/assign-role",
            &m,
            json!({"code": "admin", "targets": [{"targetType": "DEPARTMENT", "targetIdentifier": "d"}]}),
        )
        .await;
    assert_eq!(department["statusCode"], 400, "{department}");
    let none = h
        .post(
            "/api/v3/assign-role",
            &m,
            json!({"code": "admin", "targets": []}),
        )
        .await;
    assert_eq!(none["statusCode"], 400, "{none}");

    let revoked = h
        .post(
            "/api/v3/revoke-role",
            &m,
            json!({"code": "admin", "targets": target}),
        )
        .await;
    assert_eq!(revoked["statusCode"], 200, "{revoked}");
    assert_eq!(h.get(&roles, &m).await["data"]["totalCount"], 0);

    // A deleted user leaves the role: a new user of the same id would not inherit it.
    h.post(
        "/api/v3/assign-role",
        &m,
        json!({"code": "admin", "targets": target}),
    )
    .await;
    let deleted = h
        .post("/api/v3/delete-users-batch", &m, json!({"userIds": [id]}))
        .await;
    assert_eq!(deleted["statusCode"], 200, "{deleted}");
    let gone = h.get(&roles, &m).await;
    assert_eq!(gone["statusCode"], 404, "{gone}");
    let refused = h
        .post(
            "/api/v3/assign-role",
            &m,
            json!({"code": "admin", "targets": target}),
        )
        .await;
    assert_eq!(refused["statusCode"], 404, "{refused}");
}

#[tokio::test]
async fn groups_hold_their_members_until_removed() {
    let h = Harness::new().await;
    let doc = documented();
    let m = management_headers(&h).await;
    let id = alice_id(&h, &m).await;
    let groups = format!("/api/v3/get-user-groups?userId={id}");

    let body = json!({"code": "ops", "name": "Ops", "description": "on call", "type": "STATIC"});
    let created = h.post("/api/v3/create-group", &m, body.clone()).await;
    answer_conforms(&doc, "/api/v3/create-group", &created);
    assert_eq!(created["data"]["members"], json!([]), "{created}");
    assert_eq!(
        h.post("/api/v3/create-group", &m, body).await["statusCode"],
        409
    );
    let bad_type = h
        .post(
            "/api/v3/create-group",
            &m,
            json!({"code": "x", "name": "X", "description": "", "type": "SOMETIMES"}),
        )
        .await;
    assert_eq!(bad_type["statusCode"], 400, "{bad_type}");

    let added = h
        .post(
            "/api/v3/add-group-members",
            &m,
            json!({"code": "ops", "userIds": [id]}),
        )
        .await;
    answer_conforms(&doc, "/api/v3/add-group-members", &added);
    let mine = h.get(&groups, &m).await;
    answer_conforms(&doc, "/api/v3/get-user-groups", &mine);
    assert_eq!(codes(&mine), ["ops"], "{mine}");
    assert_eq!(
        mine["data"]["list"][0]["members"][0]["userId"],
        id.as_str(),
        "{mine}"
    );

    let no_group = h
        .post(
            "/api/v3/add-group-members",
            &m,
            json!({"code": "ghost", "userIds": [id]}),
        )
        .await;
    assert_eq!(no_group["statusCode"], 404, "{no_group}");
    let no_user = h
        .post(
            "/api/v3/add-group-members",
            &m,
            json!({"code": "ops", "userIds": ["nobody"]}),
        )
        .await;
    assert_eq!(no_user["statusCode"], 404, "{no_user}");

    let removed = h
        .post(
            "/api/v3/remove-group-members",
            &m,
            json!({"code": "ops", "userIds": [id]}),
        )
        .await;
    assert_eq!(removed["statusCode"], 200, "{removed}");
    assert_eq!(h.get(&groups, &m).await["data"]["totalCount"], 0);
}
