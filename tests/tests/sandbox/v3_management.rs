//! The sandbox's management API: the management token, both signature schemes and header
//! families, identity links, the user calls; every answer checked against the spec.

use std::time::Duration;

use crate::common::Harness;
use base64::Engine;
use genauth_api::signature::Scheme;
use genauth_sandbox::Clock;
use serde_json::{Value, json};

#[tokio::test]
async fn management_token_and_identity_links() {
    let h = Harness::new().await;
    let pool = h.sandbox.seed().user_pool;
    h.call(
        "getManagementToken",
        &[],
        json!({"accessKeyId": pool.access_key_id, "accessKeySecret": "wrong"}),
    )
    .await
    .expect_err(401, None);
    let answer = h
        .call(
            "getManagementToken",
            &[],
            json!({"accessKeyId": pool.access_key_id, "accessKeySecret": pool.access_key_secret}),
        )
        .await;
    let data = answer.expect_ok();
    assert_eq!(data["expires_in"], 7200);
    let mt = data["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // The pool id is in the JWT payload (URL-safe base64).
    let payload = mt.split('.').nth(1).unwrap_or_default();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(claims["scoped_userpool_id"], pool.id);

    let alice_id = "6571c3a4e8d4e1b2c3d4a001";
    let link = json!({"userIdInIdp": "oj7Nq05R", "userId": alice_id, "extIdpId": "wechat-idp", "type": "openid"});
    h.call("linkIdentity", &[], link.clone())
        .await
        .expect_err(401, Some(2020));
    let mgmt = vec![
        ("authorization", format!("Bearer {mt}")),
        ("x-authing-userpool-id", pool.id.clone()),
    ];
    h.call("linkIdentity", &mgmt, link.clone())
        .await
        .expect_ok();
    // The same external account cannot go to bob too.
    let mut for_bob = link.clone();
    for_bob["userId"] = json!("6571c3a4e8d4e1b2c3d4a002");
    h.call("linkIdentity", &mgmt, for_bob)
        .await
        .expect_err(409, Some(2213));

    let token = h.alice_token().await;
    let ids = h
        .call("getIdentities", &h.user_headers(&token), json!({}))
        .await;
    assert_eq!(ids.expect_ok()[0]["extIdpId"], "wechat-idp");
    let profile = h
        .call(
            "getProfile",
            &h.user_headers(&token),
            json!({"withIdentities": "true"}),
        )
        .await;
    assert_eq!(
        profile.expect_ok()["identities"][0]["userIdInIdp"],
        "oj7Nq05R"
    );
    h.call(
        "unlinkExtIdp",
        &h.user_headers(&token),
        json!({"extIdpId": "wechat-idp"}),
    )
    .await
    .expect_ok();
    h.call(
        "unlinkExtIdp",
        &h.user_headers(&token),
        json!({"extIdpId": "wechat-idp"}),
    )
    .await
    .expect_err(404, None);
    h.call("linkIdentity", &mgmt, link).await.expect_ok();
    h.call(
        "unlinkIdentity",
        &mgmt,
        json!({"userId": alice_id, "extIdpId": "wechat-idp", "type": "openid"}),
    )
    .await
    .expect_ok();
    // Expired management token.
    h.clock.advance(Duration::from_secs(7201));
    h.call(
        "unlinkIdentity",
        &mgmt,
        json!({"userId": alice_id, "extIdpId": "wechat-idp"}),
    )
    .await
    .expect_err(401, Some(2206));

    // The link URL needs a real id token.
    let set = h
        .sign_in_password("alice", "alice-password-1", "openid")
        .await;
    let id_token = set.expect_ok()["id_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let url = h
        .call(
            "generateLinkExtIdpUrl",
            &h.app_headers(),
            json!({"ext_idp_conn_identifier": "my-wechat", "app_id": h.app_id(), "id_token": id_token}),
        )
        .await;
    assert!(
        url.expect_ok()["url"]
            .as_str()
            .unwrap_or("")
            .contains("ext_idp_conn_identifier=my-wechat")
    );
    h.call(
        "generateLinkExtIdpUrl",
        &h.app_headers(),
        json!({"ext_idp_conn_identifier": "my-wechat", "app_id": h.app_id(), "id_token": "x"}),
    )
    .await
    .expect_err(401, Some(2207));
}

/// Headers of a management call signed in `scheme` as the official SDKs sign it, with the
/// signature headers (nonce, method, version, lang) in the family of `family` (the scheme's own
/// for a good request), at `date`, with `nonce`.
fn signed(
    h: &Harness,
    body: &Value,
    (scheme, family): (Scheme, Scheme),
    date: std::time::SystemTime,
    nonce: &str,
    secret: &str,
) -> Vec<(String, String)> {
    use genauth_api::signature::{sign, signed_params};
    let pool = h.sandbox.seed().user_pool;
    let mut headers = reqwest::header::HeaderMap::new();
    let mut add = |k: &str, v: &str| {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
            reqwest::header::HeaderValue::from_str(v).expect("value"),
        );
    };
    add("date", &httpdate::fmt_http_date(date));
    add(family.nonce_header(), nonce);
    add(family.method_header(), "HMAC-SHA1");
    add(family.version_header(), "1.0");
    add(&format!("{}lang", family.header_prefix()), "zh-CN");
    let bytes = serde_json::to_vec(body).expect("json");
    let params = signed_params("POST", None, &bytes);
    let text = scheme.string_to_sign("POST", "/api/v3/link-identity", &headers, &params);
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    out.push((
        "authorization".into(),
        scheme.authorization(&pool.access_key_id, &sign(secret, &text)),
    ));
    out
}

fn refs(headers: &[(String, String)]) -> Vec<(&str, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect()
}

#[tokio::test]
async fn signed_management_calls_are_verified_and_good_once_in_both_schemes() {
    let h = Harness::new().await;
    let secret = h.sandbox.seed().user_pool.access_key_secret;
    let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(h.clock.now_ms());
    let link = json!({"userIdInIdp": "oj-sig", "userId": "6571c3a4e8d4e1b2c3d4a001", "extIdpId": "wechat-idp", "isSocial": true, "options": {"z": 1, "a": "b"}});
    for scheme in Scheme::ALL {
        let own = (scheme, scheme);
        let n = |i: u32| format!("{}-n-{i}", scheme.word());
        let headers = signed(&h, &link, own, now, &n(1), &secret);
        let ok = h.call("linkIdentity", &refs(&headers), link.clone()).await;
        assert_eq!(ok.expect_ok()["success"], true, "{scheme:?}");
        // The same nonce again: a replay.
        let replay = signed(&h, &link, own, now, &n(1), &secret);
        h.call("linkIdentity", &refs(&replay), link.clone())
            .await
            .expect_err(401, Some(1306));
        // Another body than the one signed.
        let headers = signed(&h, &link, own, now, &n(3), &secret);
        let mut tampered = link.clone();
        tampered["userId"] = json!("6571c3a4e8d4e1b2c3d4a002");
        let a = h.call("linkIdentity", &refs(&headers), tampered).await;
        a.expect_err(401, Some(1302));
        assert!(
            a.body["message"]
                .as_str()
                .is_some_and(|m| m.contains("string to sign") && !m.contains(&secret)),
            "{}",
            a.body
        );
        // A wrong secret, a date outside the window, no nonce, an unknown method.
        let wrong = signed(&h, &link, own, now, &n(4), "not-the-secret");
        h.call("linkIdentity", &refs(&wrong), link.clone())
            .await
            .expect_err(401, Some(1302));
        let stale = signed(
            &h,
            &link,
            own,
            now - Duration::from_secs(16 * 60),
            &n(5),
            &secret,
        );
        h.call("linkIdentity", &refs(&stale), link.clone())
            .await
            .expect_err(401, Some(1303));
        let mut no_nonce = signed(&h, &link, own, now, &n(6), &secret);
        no_nonce.retain(|(k, _)| k != scheme.nonce_header());
        h.call("linkIdentity", &refs(&no_nonce), link.clone())
            .await
            .expect_err(401, Some(1304));
        let mut md5 = signed(&h, &link, own, now, &n(7), &secret);
        for (k, v) in &mut md5 {
            if k == scheme.method_header() {
                *v = "HMAC-MD5".into();
            }
        }
        h.call("linkIdentity", &refs(&md5), link.clone())
            .await
            .expect_err(401, Some(1305));
        // A mix: this scheme's authorization with the signature headers of the other family
        // only. Its canonical string covers none of them, so nothing vouches for the nonce.
        let other = Scheme::ALL.into_iter().find(|o| *o != scheme).unwrap();
        let mixed = signed(&h, &link, (scheme, other), now, &n(8), &secret);
        let a = h.call("linkIdentity", &refs(&mixed), link.clone()).await;
        a.expect_err(401, Some(1305));
        // ... and with the other family's nonce beside this family's method and version.
        let mut mixed = signed(&h, &link, own, now, &n(9), &secret);
        for (k, _) in &mut mixed {
            if k == scheme.nonce_header() {
                *k = other.nonce_header().to_string();
            }
        }
        h.call("linkIdentity", &refs(&mixed), link.clone())
            .await
            .expect_err(401, Some(1304));
        for word in [
            scheme.word().to_string(),
            scheme.word().to_ascii_lowercase(),
        ] {
            h.call(
                "linkIdentity",
                &[("authorization", format!("{word} no-colon"))],
                link.clone(),
            )
            .await
            .expect_err(401, Some(1300));
            h.call(
                "linkIdentity",
                &[("authorization", format!("{word} someone-else:c2ln"))],
                link.clone(),
            )
            .await
            .expect_err(401, Some(1301));
        }
    }
    // The window moves with the sandbox's clock: a date 10 minutes old still passes.
    h.clock.advance(Duration::from_secs(600));
    for scheme in Scheme::ALL {
        let headers = signed(
            &h,
            &link,
            (scheme, scheme),
            now,
            &format!("late-{scheme:?}"),
            &secret,
        );
        h.call("linkIdentity", &refs(&headers), link.clone())
            .await
            .expect_ok();
    }
}

#[tokio::test]
async fn the_genauth_header_family_works_everywhere() {
    let h = Harness::new().await;
    let pool = h.sandbox.seed().user_pool;
    let app = h.sandbox.seed().app;
    let genauth_app = vec![("x-genauth-app-id", app.id.clone())];
    let signin = h
        .call(
            "signInByCredentials",
            &genauth_app,
            json!({"connection": "PASSWORD", "passwordPayload": {"username": "alice", "password": "alice-password-1"},
                   "client_id": app.id, "client_secret": app.secret}),
        )
        .await;
    let token = signin.expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let profile = h
        .call(
            "getProfile",
            &[
                ("x-genauth-app-id", app.id.clone()),
                ("authorization", token),
            ],
            json!({"withDepartmentIds": "true"}),
        )
        .await;
    // The service's required user fields are all there.
    let user = profile.expect_ok();
    for field in [
        "userId",
        "createdAt",
        "updatedAt",
        "status",
        "workStatus",
        "gender",
        "emailVerified",
        "phoneVerified",
        "userSourceType",
    ] {
        assert!(!user[field].is_null(), "{field}: {user}");
    }
    let mt = h
        .call(
            "getManagementToken",
            &[],
            json!({"accessKeyId": pool.access_key_id, "accessKeySecret": pool.access_key_secret}),
        )
        .await
        .expect_ok()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let link = json!({"userIdInIdp": "oj-g", "userId": "6571c3a4e8d4e1b2c3d4a001", "extIdpId": "wechat-idp"});
    let linked = h
        .call(
            "linkIdentity",
            &[
                ("authorization", format!("Bearer {mt}")),
                ("x-genauth-userpool-id", pool.id.clone()),
            ],
            link,
        )
        .await;
    assert_eq!(linked.expect_ok()["success"], true);
    // The type defaults to generic.
    let token = h.alice_token().await;
    let ids = h
        .call("getIdentities", &h.user_headers(&token), json!({}))
        .await;
    let ids = ids.expect_ok();
    assert_eq!(ids[0]["type"], "generic", "{ids}");
    assert!(ids[0]["userInfoInIdp"].is_object() && ids[0]["originConnIds"].is_array());
}

pub(crate) use crate::common::management_headers;

#[tokio::test]
async fn management_user_calls_answer_as_the_spec_says() {
    let h = Harness::new().await;
    let mgmt = management_headers(&h).await;
    // Unauthenticated: refused.
    h.call(
        "getUser",
        &[],
        json!({"userId": "bob", "userIdType": "username"}),
    )
    .await
    .expect_err(401, Some(2020));
    let bob = h
        .call(
            "getUser",
            &mgmt,
            json!({"userId": "bob", "userIdType": "username"}),
        )
        .await;
    let bob_id = bob.expect_ok()["userId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    h.call("getUser", &mgmt, json!({"userId": "nobody-there"}))
        .await
        .expect_err(404, Some(2004));
    h.call(
        "getUser",
        &mgmt,
        json!({"userId": "x", "userIdType": "sync_relation"}),
    )
    .await
    .expect_err(400, None);
    // A parameter it cannot read: the envelope's 400 naming it (InvalidArgumentError, no apiCode),
    // worded as the service words it under zh-CN; never axum's plain-text refusal.
    let missing = h
        .call("getUser", &mgmt, json!({"userIdType": "username"}))
        .await;
    missing.expect_err(400, None);
    assert_eq!(missing.body["message"], "parameter userId is required");
    let mut chinese = mgmt.clone();
    chinese.push(("x-authing-lang", "zh-CN".to_string()));
    let missing = h
        .call("getUser", &chinese, json!({"userIdType": "username"}))
        .await;
    missing.expect_err(400, None);
    assert_eq!(missing.body["message"], "参数 userId 格式错误");
    let mut chinese = mgmt.clone();
    chinese.push(("x-genauth-lang", "zh-CN".to_string()));
    let flags = h
        .call(
            "getUser",
            &chinese,
            json!({"userId": "bob", "withCustomData": "maybe"}),
        )
        .await;
    flags.expect_err(400, None);
    assert_eq!(flags.body["message"], "参数 withCustomData 格式错误");
    // is-user-exists: exactly one identifier.
    let exists = h
        .call("isUserExists", &mgmt, json!({"username": "bob"}))
        .await;
    assert_eq!(exists.expect_ok()["exists"], true);
    h.call("isUserExists", &mgmt, json!({}))
        .await
        .expect_err(400, None);
    h.call(
        "isUserExists",
        &mgmt,
        json!({"phone": "188", "email": "a@b.c"}),
    )
    .await
    .expect_err(400, None);
    // create-user: a verified phone; the phone and the username are unique.
    let carol = h
        .call(
            "createUser",
            &mgmt,
            json!({"username": "carol", "phone": "18800007777", "phoneCountryCode": "+86", "phoneVerified": true}),
        )
        .await;
    let carol_user = carol.expect_ok();
    assert_eq!(carol_user["phoneVerified"], true);
    assert_eq!(carol_user["phone"], "18800007777");
    h.call("createUser", &mgmt, json!({"username": "carol"}))
        .await
        .expect_err(409, None);
    h.call("createUser", &mgmt, json!({"phone": "18800007777"}))
        .await
        .expect_err(409, Some(1_320_004));
    h.call("createUser", &mgmt, json!({"phone": "12ab"}))
        .await
        .expect_err(400, None);
    // update-user: refused for a phone carol owns, then freed and moved.
    h.call(
        "updateUser",
        &mgmt,
        json!({"userId": bob_id, "phone": "18800007777", "phoneVerified": true}),
    )
    .await
    .expect_err(409, Some(1_320_004));
    let freed = h
        .call(
            "updateUser",
            &mgmt,
            json!({"userId": "carol", "phone": "", "options": {"userIdType": "username"}}),
        )
        .await;
    assert_eq!(freed.expect_ok()["phoneVerified"], false);
    let moved = h
        .call(
            "updateUser",
            &mgmt,
            json!({"userId": bob_id, "phone": "18800007777", "phoneVerified": true}),
        )
        .await;
    assert_eq!(moved.expect_ok()["phone"], "18800007777");
    h.call(
        "updateUser",
        &mgmt,
        json!({"userId": bob_id, "username": "alice"}),
    )
    .await
    .expect_err(409, None);
    h.call("updateUser", &mgmt, json!({"userId": "missing-user"}))
        .await
        .expect_err(404, Some(2004));
}
