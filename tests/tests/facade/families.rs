//! The operations generated from the service's documents (the families of
//! `openapi/families.yaml`, features `auth-*` / `mgmt-*`) through the facade: the same `send`,
//! credentials, retry classes and typed errors as the spec's operations, their answers decoded
//! into the documents' types from what the sandbox sends (stateful for the user family,
//! schema-built for the rest).

use genauth::api::management::types::{GetUserBatchUserIdType, ListUsersRequestDto};
use genauth::api::operations as op;
use genauth::{Error, ManagementClient};

use crate::any_operation::management;
use crate::{client, sandbox};

#[tokio::test]
async fn the_user_family_answers_decode_into_the_documents_types() {
    let s = sandbox().await;
    let m = management(&s);
    let page = m
        .send(&op::LIST_USERS, |api| async move {
            api.list_users()
                .body(ListUsersRequestDto {
                    keywords: Some("bob".into()),
                    ..Default::default()
                })
                .send()
                .await
        })
        .await
        .expect("list-users");
    let names: Vec<_> = page
        .data
        .list
        .iter()
        .filter_map(|u| u.username.clone())
        .collect();
    assert_eq!(names, ["bob"], "{page:?}");
    assert_eq!(page.data.total_count, 1);

    let batch = m
        .send(&op::GET_USER_BATCH, |api| async move {
            api.get_user_batch()
                .user_ids(vec!["alice".to_string(), "bob".to_string()])
                .user_id_type(GetUserBatchUserIdType::Username)
                .send()
                .await
        })
        .await
        .expect("get-user-batch");
    assert_eq!(batch.data.len(), 2);

    // An unknown user is left out; more than 50 is refused, as the service words it, with
    // the same typed error as the spec's operations.
    let ids = |n: usize| (0..n).map(|i| format!("nobody-{i}")).collect::<Vec<_>>();
    let none = m
        .send(&op::GET_USER_BATCH, |api| async move {
            api.get_user_batch()
                .user_ids(ids(1))
                .user_id_type(GetUserBatchUserIdType::Username)
                .send()
                .await
        })
        .await
        .expect("unknown ids");
    assert!(none.data.is_empty());
    let e = m
        .send(&op::GET_USER_BATCH, |api| async move {
            api.get_user_batch()
                .user_ids(ids(51))
                .user_id_type(GetUserBatchUserIdType::Username)
                .send()
                .await
        })
        .await
        .expect_err("too many");
    assert!(
        matches!(
            &e,
            Error::Api {
                operation: "getUserBatch",
                status_code: 400,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn an_operation_the_sandbox_answers_from_the_schema_decodes_and_is_signed() {
    let s = sandbox().await;
    let m = management(&s);
    let roles = m
        .send(&op::LIST_ROLES, |api| async move {
            api.list_roles().send().await
        })
        .await
        .expect("list-roles");
    assert_eq!(roles.status_code, 200);
    assert_eq!(s.request_count("/api/v3/list-roles"), 1);
    // Unsigned, the sandbox refuses it as the service does: typed, with the operation's name.
    let e = ManagementClient::builder()
        .host(s.url())
        .access_key_id(&s.seed().user_pool.access_key_id)
        .access_key_secret("not-the-secret")
        .build()
        .expect("client")
        .send(&op::LIST_ROLES, |api| async move {
            api.list_roles().send().await
        })
        .await
        .expect_err("refused");
    assert!(
        matches!(
            &e,
            Error::Api {
                operation: "listRoles",
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_user_operation_of_the_documents_goes_with_the_users_token() {
    let s = sandbox().await;
    let c = client(&s, 0);
    let e = c
        .send_as_user(&op::GET_ROLE_LIST, |api| async move {
            api.get_role_list().send().await
        })
        .await
        .expect_err("no user");
    assert!(matches!(e, Error::Token(_)), "{e:?}");
    assert_eq!(s.request_count("/api/v3/get-my-role-list"), 0);
    c.sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    let roles = c
        .send_as_user(&op::GET_ROLE_LIST, |api| async move {
            api.get_role_list().send().await
        })
        .await
        .expect("my roles");
    assert_eq!(roles.status_code, 200);
}

#[test]
fn every_operation_of_both_documents_has_a_constant_and_a_retry_class() {
    // Both generations merged: the 2023 documents' 532 operations and the 121 of 2024.
    let upstream = xtask::merge::load().expect("the documents of both generations");
    let mut documented = 0;
    for doc in [&upstream.authentication, &upstream.management] {
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                documented += 1;
                let method = method.to_ascii_uppercase();
                assert!(
                    op::ALL.iter().any(|o| o.method == method && o.path == path),
                    "{method} {path} has no operation constant"
                );
            }
        }
    }
    assert_eq!(documented, 653);
    // The retry class comes from the rule (or the spec's exceptions): reads and writes both.
    let class = |id: &str| op::ALL.iter().find(|o| o.id == id).map(|o| o.idempotent);
    assert_eq!(class("listUsers"), Some(true));
    assert_eq!(class("getUserBatch"), Some(true));
    assert_eq!(class("createUser"), Some(false));
    assert_eq!(class("deleteUsersBatch"), Some(false));
}

#[tokio::test]
async fn a_2024_operation_validates_the_accounts_password_on_the_sandboxs_store() {
    use genauth::api::authentication::types::ValidatePasswordDto;
    let s = sandbox().await;
    let c = client(&s, 0);
    let validate = |body: ValidatePasswordDto| {
        let c = c.clone();
        async move {
            c.send_as_app(&op::VALIDATE_PASSWORD, |api| {
                let body = body.clone();
                async move { api.validate_password().body(body).send().await }
            })
            .await
        }
    };
    let with = |email: Option<&str>, phone: Option<&str>, password: &str| ValidatePasswordDto {
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        password: Some(password.into()),
        ..Default::default()
    };
    // Alice's password by her e-mail, Bob's by his phone; a wrong one and an unknown account
    // are `valid: false`.
    let valid = |a: genauth::api::authentication::types::ValidatePasswordRespDto| a.data.valid;
    let right = validate(with(Some("alice@example.com"), None, "alice-password-1")).await;
    assert!(valid(right.expect("validates")));
    let bob = validate(with(None, Some("13800138000"), "bob-password-1")).await;
    assert!(valid(bob.expect("validates")));
    let wrong = validate(with(Some("alice@example.com"), None, "bob-password-1")).await;
    assert!(!valid(wrong.expect("validates")));
    let nobody = validate(with(Some("nobody@example.com"), None, "x")).await;
    assert!(!valid(nobody.expect("validates")));
    // The e-mail comes before the phone (the official SDK's order).
    let both = validate(with(
        Some("alice@example.com"),
        Some("13800138000"),
        "alice-password-1",
    ))
    .await;
    assert!(valid(both.expect("validates")));
    // No account named: refused, with the typed error of every operation.
    let e = validate(ValidatePasswordDto {
        password: Some("x".into()),
        ..Default::default()
    })
    .await
    .expect_err("no account");
    assert_eq!(e.status_code(), Some(400), "{e}");
    assert!(e.to_string().contains("email, phone or username"), "{e}");
}
