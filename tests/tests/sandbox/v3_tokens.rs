//! The sandbox's tokens: refresh tokens rotating under each client authentication method,
//! token lifetimes, refresh statistics; every answer checked against the spec.

use std::time::Duration;

use crate::common::Harness;
use base64::Engine;
use genauth_sandbox::Config;
use serde_json::{Value, json};

async fn refresh(
    h: &Harness,
    app_index: usize,
    refresh_token: &str,
    basic: bool,
    post: bool,
) -> crate::common::Answer {
    let app = h.sandbox.seed().apps[app_index].clone();
    let mut headers = vec![];
    if basic {
        let creds =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", app.id, app.secret));
        headers.push(("authorization", format!("Basic {creds}")));
    }
    let mut form = json!({"grant_type": "refresh_token", "refresh_token": refresh_token});
    if post {
        form["client_id"] = json!(app.id);
        form["client_secret"] = json!(app.secret);
    } else if !basic {
        form["client_id"] = json!(app.id);
    }
    h.call("getNewAccessTokenByRefreshToken", &headers, form)
        .await
}

async fn sign_in_with_app(h: &Harness, app_index: usize) -> Value {
    let app = h.sandbox.seed().apps[app_index].clone();
    let mut headers = vec![("x-authing-app-id", app.id.clone())];
    let mut body = json!({
        "connection": "PASSWORD",
        "passwordPayload": {"username": "alice", "password": "alice-password-1"},
        "options": {"scope": "openid profile offline_access"},
    });
    match app_index {
        0 => {
            body["client_id"] = json!(app.id);
            body["client_secret"] = json!(app.secret);
        }
        1 => {
            let creds = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", app.id, app.secret));
            headers.push(("authorization", format!("Basic {creds}")));
        }
        _ => {}
    }
    h.call("signInByCredentials", &headers, body)
        .await
        .expect_ok()
        .clone()
}

#[tokio::test]
async fn refresh_tokens_rotate_and_honour_the_client_auth_method() {
    let h = Harness::new().await;
    // client_secret_post (app 0), client_secret_basic (app 1), none (app 2).
    for (index, basic, post) in [(0, false, true), (1, true, false), (2, false, false)] {
        let set = sign_in_with_app(&h, index).await;
        let rt = set["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let answer = refresh(&h, index, &rt, basic, post).await;
        assert_eq!(answer.status, 200, "app {index}: {}", answer.body);
        let new_rt = answer.body["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_ne!(new_rt, rt, "rotated");
        // The old one is spent.
        let reused = refresh(&h, index, &rt, basic, post).await;
        assert_eq!(reused.status, 400);
        assert_eq!(reused.body["error"], "invalid_grant");
        // The new access token works.
        let access = answer.body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let app_id = h.sandbox.seed().apps[index].id.clone();
        let profile = h
            .call(
                "getProfile",
                &[("x-authing-app-id", app_id), ("authorization", access)],
                json!({}),
            )
            .await;
        assert_eq!(profile.expect_ok()["username"], "alice");
    }
    // Wrong method for the app: basic credentials to a post app, post to a basic app.
    let set = sign_in_with_app(&h, 0).await;
    let rt = set["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let wrong = refresh(&h, 0, &rt, true, false).await;
    assert_eq!(
        (wrong.status, wrong.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let set = sign_in_with_app(&h, 1).await;
    let rt = set["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let wrong = refresh(&h, 1, &rt, false, true).await;
    assert_eq!(
        (wrong.status, wrong.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // Expired refresh token.
    h.clock.advance(Duration::from_secs(2_592_001));
    let expired = refresh(&h, 1, &rt, true, false).await;
    assert_eq!(expired.body["error"], "invalid_grant");
}

#[tokio::test]
async fn token_sets_spell_the_lifetime_as_configured() {
    for (field, signin_key, refresh_key) in [
        (None, "expire_in", "expires_in"),
        (
            Some(genauth_sandbox::LifetimeField::ExpireIn),
            "expire_in",
            "expire_in",
        ),
        (
            Some(genauth_sandbox::LifetimeField::ExpiresIn),
            "expires_in",
            "expires_in",
        ),
    ] {
        let mut config = Config::default();
        config.apps[0].lifetime_field = field;
        let h = Harness::with_config(config).await;
        let signin = h
            .sign_in_password("alice", "alice-password-1", "openid offline_access")
            .await;
        let data = signin.expect_ok();
        assert!(data[signin_key].is_i64(), "{field:?}: {data}");
        let other = if signin_key == "expire_in" {
            "expires_in"
        } else {
            "expire_in"
        };
        assert!(data[other].is_null(), "{field:?}: {data}");
        let app = h.sandbox.seed().app;
        let refreshed = h
            .call(
                "getNewAccessTokenByRefreshToken",
                &[],
                json!({"grant_type": "refresh_token", "refresh_token": data["refresh_token"],
                       "client_id": app.id, "client_secret": app.secret}),
            )
            .await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.body);
        assert!(refreshed.body[refresh_key].is_i64(), "{}", refreshed.body);
    }
}

#[tokio::test]
async fn stats_count_refreshes_per_session_and_spent_tokens_presented_again() {
    let s = genauth_sandbox::Sandbox::builder()
        .start()
        .await
        .expect("sandbox");
    let c = crate::common::app_client(&s);
    let first = c
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    c.refresh().await.expect("refresh 1");
    c.refresh().await.expect("refresh 2");
    // A second session, never refreshed.
    crate::common::app_client(&s)
        .sign_in_by_username_password("bob", "bob-password-1")
        .await
        .expect("sign in");
    // The first set's refresh token was spent by refresh 1: presenting it again is a reuse.
    let reused = c.with_tokens(Some(crate::common::expired(&first)));
    assert!(reused.get_profile().await.is_err());
    let stats: Value = reqwest::get(format!("{}/__sandbox/stats", s.url()))
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["sessions_started"], 2, "{stats}");
    assert_eq!(stats["sessions_refreshed"], 1, "{stats}");
    assert_eq!(stats["refreshes"], 2, "{stats}");
    assert_eq!(stats["max_refreshes_per_session"], 2, "{stats}");
    assert_eq!(stats["refresh_tokens_reused"], 1, "{stats}");
    assert_eq!(stats["requests"]["/oidc/token"], 3, "{stats}");
}
