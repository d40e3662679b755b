//! The user family beyond the spec, stateful on the store the phone flows use: list-users
//! (keywords, filters, sorting, pagination), get-user-batch, delete-users-batch,
//! create-users-batch, get-user-identities, kick-users.

use serde_json::{Value, json};

use crate::common::Harness;
use crate::v3_management::management_headers;

fn usernames(answer: &Value) -> Vec<String> {
    answer["data"]["list"]
        .as_array()
        .or_else(|| answer["data"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|u| u["username"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn list_users_sees_what_the_phone_flows_do() {
    let h = Harness::new().await;
    let m = management_headers(&h).await;
    let all = h.post("/api/v3/list-users", &m, json!({})).await;
    assert_eq!(all["statusCode"], 200, "{all}");
    assert_eq!(all["data"]["totalCount"], 2, "{all}");
    // alice binds a phone with a code; list-users finds her by it, as keyword and as filter.
    let token = h.alice_token().await;
    let code = h.send_code("18800001111", "CHANNEL_BIND_PHONE").await;
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "18800001111", "phoneCountryCode": "+86", "passCode": code}),
    )
    .await
    .expect_ok();
    let by_keyword = h
        .post("/api/v3/list-users", &m, json!({"keywords": "1880000"}))
        .await;
    assert_eq!(usernames(&by_keyword), ["alice"], "{by_keyword}");
    let by_filter = h.post("/api/v3/list-users",
        &m,
        json!({"advancedFilter": [{"field": "phone", "operator": "EQUAL", "value": "18800001111"}]}),
    )
    .await;
    assert_eq!(usernames(&by_filter), ["alice"], "{by_filter}");
    assert_eq!(by_filter["data"]["list"][0]["phone"], "18800001111");
    let without_phone = h
        .post(
            "/api/v3/list-users",
            &m,
            json!({"advancedFilter": [{"field": "phone", "operator": "IS_NULL"}]}),
        )
        .await;
    assert_eq!(without_phone["data"]["totalCount"], 0, "{without_phone}");
    // Pages are stable; at most 50 a page, worded as the service.
    let first = h
        .post(
            "/api/v3/list-users",
            &m,
            json!({"options": {"pagination": {"page": 1, "limit": 1}}}),
        )
        .await;
    let second = h
        .post(
            "/api/v3/list-users",
            &m,
            json!({"options": {"pagination": {"page": 2, "limit": 1}}}),
        )
        .await;
    let (a, b) = (usernames(&first), usernames(&second));
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_ne!(a, b);
    assert_eq!(first["data"]["totalCount"], 2);
    let too_many = h
        .post(
            "/api/v3/list-users",
            &m,
            json!({"options": {"pagination": {"limit": 51}}}),
        )
        .await;
    assert_eq!(too_many["statusCode"], 400, "{too_many}");
    assert_eq!(too_many["message"], "limit must less than 50");
    let unknown = h
        .post(
            "/api/v3/list-users",
            &m,
            json!({"advancedFilter": [{"field": "phone", "operator": "BETWEEN", "value": [1, 2]}]}),
        )
        .await;
    assert_eq!(unknown["statusCode"], 400, "{unknown}");
}

#[tokio::test]
async fn users_are_read_and_deleted_in_batches() {
    let h = Harness::new().await;
    let m = management_headers(&h).await;
    let batch = h
        .get(
            "/api/v3/get-user-batch?userIds=bob,nobody,alice&userIdType=username",
            &m,
        )
        .await;
    assert_eq!(batch["statusCode"], 200, "{batch}");
    assert_eq!(usernames(&batch), ["bob", "alice"], "{batch}");
    let missing = h.get("/api/v3/get-user-batch", &m).await;
    assert_eq!(
        missing["message"], "parameter userIds is required",
        "{missing}"
    );
    let bob_id = batch["data"][0]["userId"].as_str().expect("id").to_string();
    // One id that names nobody: nothing is deleted.
    let refused = h
        .post(
            "/api/v3/delete-users-batch",
            &m,
            json!({"userIds": [bob_id, "nobody"]}),
        )
        .await;
    assert_eq!(refused["statusCode"], 404, "{refused}");
    h.sign_in_password("bob", "bob-password-1", "openid")
        .await
        .expect_ok();
    let deleted = h
        .post(
            "/api/v3/delete-users-batch",
            &m,
            json!({"userIds": [bob_id]}),
        )
        .await;
    assert_eq!(deleted["statusCode"], 200, "{deleted}");
    // bob is gone: no sign-in, not listed, and his phone is free for bind-phone.
    let refused = h.sign_in_password("bob", "bob-password-1", "openid").await;
    assert_ne!(refused.status_code(), 200);
    let all = h.post("/api/v3/list-users", &m, json!({})).await;
    assert_eq!(usernames(&all), ["alice"], "{all}");
    let token = h.alice_token().await;
    let code = h.send_code("13800138000", "CHANNEL_BIND_PHONE").await;
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "13800138000", "phoneCountryCode": "+86", "passCode": code}),
    )
    .await
    .expect_ok();
}

#[tokio::test]
async fn users_are_created_in_batches_all_or_nothing() {
    let h = Harness::new().await;
    let m = management_headers(&h).await;
    let created = h
        .post(
            "/api/v3/create-users-batch",
            &m,
            json!({"list": [
                {"username": "carol", "phone": "18800002001", "phoneCountryCode": "+86"},
                {"username": "dave", "email": "dave@example.com"},
            ]}),
        )
        .await;
    assert_eq!(created["statusCode"], 200, "{created}");
    assert_eq!(usernames(&created), ["carol", "dave"], "{created}");
    // The second one's phone is bob's: nothing of the batch stays.
    let refused = h
        .post(
            "/api/v3/create-users-batch",
            &m,
            json!({"list": [
                {"username": "erin"},
                {"username": "frank", "phone": "13800138000"},
            ]}),
        )
        .await;
    assert_eq!(refused["statusCode"], 409, "{refused}");
    let all = h.post("/api/v3/list-users", &m, json!({})).await;
    assert_eq!(all["data"]["totalCount"], 4, "{all}");
    let malformed = h
        .post(
            "/api/v3/create-users-batch",
            &m,
            json!({"list": [{"username": "gina"}, {"username": 7}]}),
        )
        .await;
    assert_eq!(
        malformed["message"],
        "parameter list[1].username is malformed: invalid type: integer `7`, expected a string",
        "{malformed}"
    );
}

#[tokio::test]
async fn identities_are_listed_and_kicked_sessions_cannot_refresh() {
    let h = Harness::new().await;
    let m = management_headers(&h).await;
    let alice = h
        .sign_in_password("alice", "alice-password-1", "openid offline_access")
        .await;
    let refresh_token = alice.expect_ok()["refresh_token"].clone();
    let id = h
        .get(
            "/api/v3/get-user-batch?userIds=alice&userIdType=username",
            &m,
        )
        .await["data"][0]["userId"]
        .as_str()
        .expect("id")
        .to_string();
    let linked = h
        .post(
            "/api/v3/link-identity",
            &m,
            json!({"userId": id, "extIdpId": "idp-1", "userIdInIdp": "openid-1", "type": "openid"}),
        )
        .await;
    assert_eq!(linked["statusCode"], 200, "{linked}");
    let identities = h
        .get(&format!("/api/v3/get-user-identities?userId={id}"), &m)
        .await;
    assert_eq!(
        identities["data"][0]["userIdInIdp"], "openid-1",
        "{identities}"
    );
    let app = h.sandbox.seed().app;
    let kicked = h
        .post(
            "/api/v3/kick-users",
            &m,
            json!({"userId": id, "appIds": [app.id]}),
        )
        .await;
    assert_eq!(kicked["statusCode"], 200, "{kicked}");
    let refreshed = h
        .call(
            "getNewAccessTokenByRefreshToken",
            &[],
            json!({"grant_type": "refresh_token", "refresh_token": refresh_token,
                   "client_id": app.id, "client_secret": app.secret}),
        )
        .await;
    assert_eq!(refreshed.status, 400, "{}", refreshed.body);
    assert_eq!(
        refreshed.body["error"], "invalid_grant",
        "{}",
        refreshed.body
    );
}

#[tokio::test]
async fn users_are_updated_in_batches_all_or_nothing() {
    let h = Harness::new().await;
    let doc = crate::common::documents::documented();
    let m = management_headers(&h).await;
    let batch = h
        .get(
            "/api/v3/get-user-batch?userIds=alice,bob&userIdType=username",
            &m,
        )
        .await;
    let ids: Vec<String> = batch["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["userId"].as_str().map(str::to_string))
        .collect();
    let [alice, bob] = [ids[0].clone(), ids[1].clone()];
    let phone_of = |phone: &str| json!({"advancedFilter": [{"field": "phone", "operator": "EQUAL", "value": phone}]});

    // The same phone for two users of one batch: refused, and nothing changes.
    let clash = h
        .post(
            "/api/v3/update-user-batch",
            &m,
            json!({"list": [
                {"userId": alice, "phone": "18800002222", "name": "Alice A."},
                {"userId": bob, "phone": "18800002222"}]}),
        )
        .await;
    assert_eq!(clash["statusCode"], 409, "{clash}");
    assert_eq!(clash["apiCode"], 1_320_004, "{clash}");
    // A user who does not exist: refused, and nothing changes.
    let unknown = h
        .post(
            "/api/v3/update-user-batch",
            &m,
            json!({"list": [
                {"userId": alice, "name": "Alice A."},
                {"userId": "nobody", "name": "x"}]}),
        )
        .await;
    assert_eq!(unknown["statusCode"], 404, "{unknown}");
    // bob's user name for alice: 409.
    let taken = h
        .post(
            "/api/v3/update-user-batch",
            &m,
            json!({"list": [{"userId": alice, "username": "bob"}]}),
        )
        .await;
    assert_eq!(taken["statusCode"], 409, "{taken}");
    let empty = h
        .post("/api/v3/update-user-batch", &m, json!({"list": []}))
        .await;
    assert_eq!(empty["statusCode"], 400, "{empty}");
    let found = h
        .post("/api/v3/list-users", &m, phone_of("18800002222"))
        .await;
    assert_eq!(found["data"]["totalCount"], 0, "nothing changed: {found}");
    let alice_now = h.get(&format!("/api/v3/get-user?userId={alice}"), &m).await;
    assert_ne!(alice_now["data"]["name"], "Alice A.", "{alice_now}");

    // Both at once: alice a new name, bob the phone and a new email.
    let updated = h
        .post(
            "/api/v3/update-user-batch",
            &m,
            json!({"list": [
                {"userId": alice, "name": "Alice A."},
                {"userId": bob, "phone": "18800002222", "email": "bob@new.example"}]}),
        )
        .await;
    crate::common::documents::answer_conforms(&doc, "/api/v3/update-user-batch", &updated);
    assert_eq!(updated["data"][0]["name"], "Alice A.", "{updated}");
    assert_eq!(updated["data"][1]["phone"], "18800002222", "{updated}");
    assert_eq!(updated["data"][1]["email"], "bob@new.example", "{updated}");
    let found = h
        .post("/api/v3/list-users", &m, phone_of("18800002222"))
        .await;
    assert_eq!(usernames(&found), ["bob"], "{found}");
    // The phone an administrator set blocks bind-phone for alice (who has none).
    let token = h.alice_token().await;
    let code = h.send_code("18800002222", "CHANNEL_BIND_PHONE").await;
    h.call(
        "bindPhone",
        &h.user_headers(&token),
        json!({"phoneNumber": "18800002222", "phoneCountryCode": "+86", "passCode": code}),
    )
    .await
    .expect_err(409, Some(1_320_004));
}
