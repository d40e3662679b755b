//! Any generated V3 operation through the facade (`ManagementClient::send`,
//! `AuthenticationClient::send_as_app` / `send_as_user`): the client's credential, the
//! operation's retry class, its span name in errors, the envelope checked.

use genauth::api::operations as op;
use genauth::api::types::{GetUserUserIdType, IsUserExistsReqDto};
use genauth::{Error, ManagementClient};
use genauth_sandbox::{Fault, FaultKind};

use crate::{client, sandbox};

/// A management client of the sandbox's pool, with a 1 ms retry back-off.
pub(crate) fn management(s: &genauth_sandbox::SandboxHandle) -> ManagementClient {
    let pool = s.seed().user_pool;
    ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret(&pool.access_key_secret)
        .retry_policy(genauth::RetryPolicy {
            base_delay: std::time::Duration::from_millis(1),
            ..Default::default()
        })
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_management_operation_is_sent_signed_and_its_refusal_is_typed() {
    let s = sandbox().await;
    let m = management(&s);
    let get = |name: &'static str| {
        m.send(&op::GET_USER, move |api| async move {
            api.get_user()
                .user_id(name)
                .user_id_type(GetUserUserIdType::Username)
                .send()
                .await
        })
    };
    let bob = get("bob").await.expect("bob");
    assert_eq!(bob.status_code, 200);
    assert_eq!(bob.data.and_then(|u| u.username).as_deref(), Some("bob"));
    let e = get("nobody-there").await.expect_err("404");
    assert!(
        matches!(
            &e,
            Error::Api {
                operation: "getUser",
                status_code: 404,
                api_code: Some(2004),
                ..
            }
        ),
        "{e:?}"
    );
    // A wrong key: the service refuses the signature, typed.
    let pool = s.seed().user_pool;
    let wrong = ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret("not-the-secret")
        .build()
        .expect("client");
    let e = wrong
        .send(&op::GET_USER, |api| async move {
            api.get_user().user_id("bob").send().await
        })
        .await
        .expect_err("refused");
    assert_eq!(e.status_code(), Some(401), "{e:?}");
}

#[tokio::test]
async fn the_operation_gives_the_retry_class() {
    let s = sandbox().await;
    let m = management(&s);
    let unavailable = |n| {
        Fault::next(
            n,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        )
    };
    // is-user-exists is a read (a POST named is-): tried again.
    s.set_fault("/api/v3/is-user-exists", unavailable(1));
    let exists = m
        .send(&op::IS_USER_EXISTS, |api| async move {
            api.is_user_exists()
                .body(IsUserExistsReqDto {
                    username: Some("bob".into()),
                    ..Default::default()
                })
                .send()
                .await
        })
        .await
        .expect("tried again");
    assert_eq!(exists.data.map(|d| d.exists), Some(true));
    assert_eq!(s.request_count("/api/v3/is-user-exists"), 2);
    // update-user is a write: its 503 comes back at once.
    s.set_fault("/api/v3/update-user", unavailable(1));
    let e = m
        .send(&op::UPDATE_USER, |api| async move {
            api.update_user()
                .body_map(|body| body.user_id("nobody"))
                .send()
                .await
        })
        .await
        .expect_err("not tried again");
    assert!(
        matches!(
            e,
            Error::Http {
                http_status: 503,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(s.request_count("/api/v3/update-user"), 1);
}

#[tokio::test]
async fn app_and_user_operations_carry_their_credentials() {
    let s = sandbox().await;
    let c = client(&s, 0);
    let countries = c
        .send_as_app(&op::GET_COUNTRY_LIST, |api| async move {
            api.get_country_list().send().await
        })
        .await
        .expect("countries");
    assert!(countries.data.len() > 200);
    // No user signed in: refused before anything is sent.
    let e = c
        .send_as_user(&op::GET_SECURITY_INFO, |api| async move {
            api.get_security_info().send().await
        })
        .await
        .expect_err("no user");
    assert!(matches!(e, Error::Token(_)), "{e:?}");
    assert_eq!(s.request_count("/api/v3/get-security-info"), 0);
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    let info = c
        .send_as_user(&op::GET_SECURITY_INFO, |api| async move {
            api.get_security_info().send().await
        })
        .await
        .expect("security info");
    assert!(info.data.is_some());
}

#[tokio::test]
async fn a_call_of_another_operation_than_declared_is_refused_before_sending() {
    let s = sandbox().await;
    let m = management(&s);
    // update-user (a write) declared as get-user (a read) would be retried: refused instead.
    let e = m
        .send(&op::GET_USER, |api| async move {
            api.update_user()
                .body_map(|body| body.user_id("nobody"))
                .send()
                .await
        })
        .await
        .expect_err("refused");
    assert!(
        matches!(&e, Error::InvalidInput { reason, .. } if reason.contains("update_user")),
        "{e:?}"
    );
    assert_eq!(s.request_count("/api/v3/update-user"), 0);
    let c = client(&s, 0);
    let e = c
        .send_as_app(&op::GET_COUNTRY_LIST, |api| async move {
            api.get_application_enabled_ext_idps().send().await
        })
        .await
        .expect_err("refused");
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert_eq!(
        s.request_count("/api/v3/get-application-enabled-extidps"),
        0
    );
}

#[tokio::test]
async fn an_answer_that_is_no_envelope_is_sent_plain_and_its_failures_are_typed() {
    let s = sandbox().await;
    let c = client(&s, 0);
    // The OIDC discovery document: no statusCode, decoded as it is.
    let discovery = c
        .send_plain_as_app(&op::OPEN_ID_CONFIGURATION, |api| async move {
            api.open_id_configuration().send().await
        })
        .await
        .expect("discovery");
    assert!(!discovery.issuer.is_empty(), "{discovery:?}");
    // A read answered 503 once is tried again; a 500 after that comes back as Error::Http.
    s.set_fault(
        "/oidc/.well-known/openid-configuration",
        Fault::next(
            1,
            FaultKind::HttpError {
                status: 503,
                retry_after_secs: None,
            },
        ),
    );
    c.send_plain_as_app(&op::OPEN_ID_CONFIGURATION, |api| async move {
        api.open_id_configuration().send().await
    })
    .await
    .expect("tried again");
    assert_eq!(s.request_count("/oidc/.well-known/openid-configuration"), 3);
    // No user signed in: refused before sending, as send_as_user is.
    let e = c
        .send_plain_as_user(&op::OIDC_USER_INFO_GET, |api| async move {
            api.oidc_user_info_get().send().await
        })
        .await
        .expect_err("no user");
    assert!(matches!(e, Error::Token(_)), "{e:?}");
    assert_eq!(s.request_count("/oidc/me"), 0);
    // Management: a 500 is typed, and another operation than declared is refused.
    let m = management(&s);
    s.set_fault(
        "/api/v3/get-post",
        Fault::next(
            1,
            FaultKind::HttpError {
                status: 500,
                retry_after_secs: None,
            },
        ),
    );
    let e = m
        .send_plain(&op::GET_POST, |api| async move {
            api.get_post().code("engineer").send().await
        })
        .await
        .expect_err("500");
    assert!(
        matches!(
            e,
            Error::Http {
                http_status: 500,
                ..
            }
        ),
        "{e:?}"
    );
    let e = m
        .send_plain(&op::GET_POST, |api| async move {
            api.get_user_post().user_id("nobody").send().await
        })
        .await
        .expect_err("refused");
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
}
