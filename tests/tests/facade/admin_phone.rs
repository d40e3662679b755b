//! The administrator's side of a phone's life, end to end through the facade against the
//! sandbox: find a user by phone, create a user with a verified phone, refuse a phone another
//! user owns (with bind-phone's apiCode), free it and move it; both management authentications.

use genauth::api::types::{CreateUserReqDto, UpdateUserReqDto};
use genauth::{
    ApiCode, AuthenticationClient, ManagementAuth, ManagementClient, PhoneNumber, UserRef,
};
use genauth_sandbox::{Sandbox, SandboxHandle};

fn management(s: &SandboxHandle, auth: ManagementAuth) -> ManagementClient {
    let pool = s.seed().user_pool;
    ManagementClient::builder()
        .host(s.url())
        .access_key_id(&pool.access_key_id)
        .access_key_secret(&pool.access_key_secret)
        .auth(auth)
        .build()
        .expect("management client")
}

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).expect("phone")
}

#[tokio::test]
async fn an_administrator_binds_frees_and_moves_a_phone() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    for auth in [ManagementAuth::Signature, ManagementAuth::Token] {
        let m = management(&s, auth);
        let number = if auth == ManagementAuth::Signature {
            "+86 188 0000 7001"
        } else {
            "+86 188 0000 7002"
        };
        let username = format!("carol-{auth:?}").to_lowercase();
        let p = phone(number);
        assert!(m.find_user_by_phone(&p).await.expect("lookup").is_none());
        assert!(!m.is_user_exists(UserRef::Phone(&p)).await.expect("exists"));

        // A user created with a verified phone: bound at once, no SMS code.
        let carol = m
            .create_user(CreateUserReqDto {
                username: Some(username.clone()),
                phone: Some(p.national_number().into()),
                phone_country_code: Some(p.country_code().into()),
                phone_verified: Some(true),
                password: Some("carol-password-1".into()),
                ..Default::default()
            })
            .await
            .expect("created");
        assert!(carol.phone_verified);
        assert!(m.is_user_exists(UserRef::Phone(&p)).await.expect("exists"));
        let found = m
            .find_user_by_phone(&p)
            .await
            .expect("lookup")
            .expect("found");
        assert_eq!(found.user_id, carol.user_id);
        assert!(
            m.is_user_exists(UserRef::Username(&username))
                .await
                .expect("exists")
        );

        // Bob cannot have it while carol does: the same refusal as bind-phone's.
        let refused = m
            .set_user_phone(UserRef::Username("bob"), &p)
            .await
            .expect_err("owned by carol");
        assert_eq!(
            refused.api_code(),
            Some(ApiCode::PhoneAlreadyBound),
            "{refused}"
        );
        assert_eq!(refused.status_code(), Some(409));
        // A second user with the same phone is refused the same way.
        let twin = m
            .create_user(CreateUserReqDto {
                username: Some(format!("{username}-twin")),
                phone: Some(p.national_number().into()),
                ..Default::default()
            })
            .await
            .expect_err("phone taken");
        assert_eq!(twin.api_code(), Some(ApiCode::PhoneAlreadyBound), "{twin}");

        // Freed, then moved to bob.
        let freed = m
            .clear_user_phone(UserRef::Id(&carol.user_id))
            .await
            .expect("freed");
        assert!(freed.phone.is_none() && !freed.phone_verified);
        let bob = m
            .set_user_phone(UserRef::Username("bob"), &p)
            .await
            .expect("moved");
        assert_eq!(bob.phone.as_deref(), Some(p.national_number()));
        assert!(bob.phone_verified);
        assert_eq!(
            m.find_user_by_phone(&p)
                .await
                .expect("lookup")
                .expect("bob")
                .username
                .as_deref(),
            Some("bob")
        );
        m.clear_user_phone(UserRef::Username("bob"))
            .await
            .expect("freed again");
    }
}

#[tokio::test]
async fn update_user_refuses_a_phone_with_the_same_api_code_as_bind_phone() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let seed = s.seed();
    let m = management(&s, ManagementAuth::Signature);
    let p = phone("+86 188 0000 7100");
    m.set_user_phone(UserRef::Username("bob"), &p)
        .await
        .expect("bob has it");
    // The user's own call, bind-phone, for the same number.
    let alice = AuthenticationClient::builder()
        .app_id(&seed.app.id)
        .app_secret(&seed.app.secret)
        .host(s.url())
        .build()
        .expect("client");
    alice
        .sign_in_by_username_password("alice", "alice-password-1")
        .await
        .expect("sign in");
    alice.send_bind_phone_code(&p).await.expect("code sent");
    let code = s
        .last_code(p.national_number(), "CHANNEL_BIND_PHONE")
        .expect("code");
    let by_user = alice
        .bind_phone(&p, code.as_str())
        .await
        .expect_err("owned by bob");
    let by_admin = m
        .update_user(
            UpdateUserReqDto::builder()
                .user_id("alice")
                .phone(Some(p.national_number().into()))
                .phone_verified(Some(true))
                .options(Some(genauth::api::types::UpdateUserOptionsDto {
                    user_id_type: Some(
                        genauth::api::types::UpdateUserOptionsDtoUserIdType::Username,
                    ),
                    ..Default::default()
                }))
                .try_into()
                .expect("body"),
        )
        .await
        .expect_err("owned by bob");
    assert_eq!(by_admin.api_code(), by_user.api_code());
    assert_eq!(by_admin.status_code(), by_user.status_code());
    // Only the fields given change: a name, and the phone stays bob's.
    let renamed = m
        .update_user(
            UpdateUserReqDto::builder()
                .user_id("bob")
                .name(Some("Bob B.".into()))
                .options(Some(genauth::api::types::UpdateUserOptionsDto {
                    user_id_type: Some(
                        genauth::api::types::UpdateUserOptionsDtoUserIdType::Username,
                    ),
                    ..Default::default()
                }))
                .try_into()
                .expect("body"),
        )
        .await
        .expect("renamed");
    assert_eq!(renamed.name.as_deref(), Some("Bob B."));
    assert_eq!(renamed.phone.as_deref(), Some(p.national_number()));
}

#[tokio::test]
async fn lookups_by_every_identifier_and_their_refusals() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let m = management(&s, ManagementAuth::Signature);
    let bob = m.get_user(UserRef::Username("bob")).await.expect("bob");
    assert_eq!(
        m.get_user(UserRef::Id(&bob.user_id))
            .await
            .expect("by id")
            .user_id,
        bob.user_id
    );
    let missing = m
        .get_user(UserRef::Id("6571c3a4e8d4e1b2c3d4ffff"))
        .await
        .expect_err("no such user");
    assert_eq!(missing.api_code(), Some(ApiCode::UserNotFound));
    assert!(!missing.is_retryable());
    assert!(
        !m.is_user_exists(UserRef::Email("nobody@example.com"))
            .await
            .expect("exists")
    );
    // Refused before anything is sent.
    assert!(m.is_user_exists(UserRef::Id(&bob.user_id)).await.is_err());
    assert!(m.get_user(UserRef::Username(" ")).await.is_err());
    let bad_phone = m
        .create_user(CreateUserReqDto {
            phone: Some("12ab".into()),
            ..Default::default()
        })
        .await
        .expect_err("bad phone");
    assert!(
        matches!(bad_phone, genauth::Error::InvalidInput { .. }),
        "{bad_phone}"
    );
    assert_eq!(s.request_count("/api/v3/create-user"), 0);
}

#[tokio::test]
async fn both_signature_schemes_pass_the_sandbox_and_a_wrong_secret_is_refused_in_each() {
    use genauth::SignatureScheme;
    let s = Sandbox::builder().start().await.expect("sandbox");
    let pool = s.seed().user_pool;
    for scheme in SignatureScheme::ALL {
        let builder = || {
            ManagementClient::builder()
                .host(s.url())
                .access_key_id(&pool.access_key_id)
                .signature_scheme(scheme)
        };
        let m = builder()
            .access_key_secret(&pool.access_key_secret)
            .build()
            .expect("management client");
        assert_eq!(m.signature_scheme(), scheme);
        let alice = m
            .get_user(UserRef::Username("alice"))
            .await
            .unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
        assert_eq!(alice.username.as_deref(), Some("alice"));
        let wrong = builder()
            .access_key_secret("not-the-secret")
            .build()
            .expect("management client");
        let err = wrong
            .get_user(UserRef::Username("alice"))
            .await
            .expect_err("a wrong secret is refused");
        assert_eq!(err.status_code(), Some(401), "{scheme:?}: {err}");
        assert_eq!(err.api_code(), Some(ApiCode::AccessKeySignature), "{err}");
        // The exact number the sandbox sent (1302: the signature does not match), not the group's.
        assert_eq!(err.api_code_number(), Some(1302), "{err}");
        assert!(err.to_string().contains("(apiCode 1302)"), "{err}");
    }
}

#[tokio::test]
async fn phone_types_compose_in_management_calls() {
    use genauth::{NewUser, UserExt};
    let s = Sandbox::builder().start().await.expect("sandbox");
    let m = management(&s, ManagementAuth::Signature);
    let p = phone("+44 7700 900123");
    let erin = m
        .create_user(
            NewUser::new()
                .username("erin")
                .phone(&p)
                .password("erin-password-1"),
        )
        .await
        .expect("created");
    // The answer's phone reads back as the PhoneNumber it was made from, whatever its country.
    assert_eq!(erin.phone_number(), Some(p.clone()));
    assert!(erin.phone_verified);
    let cn = phone("+86 188 0000 7303");
    let gina = m
        .create_user(NewUser::new().username("gina").phone(&cn))
        .await
        .expect("created");
    let found = m
        .find_user_by_phone(&cn)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found.user_id, gina.user_id);
    assert_eq!(found.phone_number(), Some(cn));
    // A user without a phone has none.
    let frank = m
        .create_user(NewUser::new().username("frank"))
        .await
        .expect("created");
    assert_eq!(frank.phone_number(), None);
}

#[tokio::test]
async fn bind_user_phone_refuses_a_user_who_has_another_phone_and_set_replaces_it() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let m = management(&s, ManagementAuth::Signature);
    let first = phone("+86 188 0000 7101");
    let second = phone("+86 188 0000 7102");
    let alice = m
        .bind_user_phone(UserRef::Username("alice"), &first)
        .await
        .expect("alice had no phone");
    assert_eq!(alice.phone.as_deref(), Some("18800007101"));
    // Again with the same phone: nothing to do.
    m.bind_user_phone(UserRef::Username("alice"), &first)
        .await
        .expect("the same phone");
    let writes = s.request_count("/api/v3/update-user");
    let refused = m
        .bind_user_phone(UserRef::Username("alice"), &second)
        .await
        .expect_err("alice has a phone");
    assert!(
        matches!(refused, genauth::Error::InvalidInput { field: "user", .. }),
        "{refused}"
    );
    // Refused before anything was written, and the number is masked in the text.
    assert_eq!(s.request_count("/api/v3/update-user"), writes);
    assert!(!refused.to_string().contains("18800007101"), "{refused}");
    // set_user_phone replaces, as documented.
    let replaced = m
        .set_user_phone(UserRef::Username("alice"), &second)
        .await
        .expect("replaced");
    assert_eq!(replaced.phone.as_deref(), Some("18800007102"));
}

#[tokio::test]
async fn move_user_phone_moves_and_gives_the_phone_back_when_the_set_fails() {
    use genauth::UserExt;
    use genauth_sandbox::{Fault, FaultKind};
    let s = std::sync::Arc::new(Sandbox::builder().start().await.expect("sandbox"));
    let m = management(&s, ManagementAuth::Signature);
    let p = phone("+86 188 0000 7201");
    // Nobody has it: it is simply set.
    let moved = m
        .move_user_phone(&p, UserRef::Username("alice"))
        .await
        .expect("set");
    assert!(moved.from.is_none());
    assert_eq!(moved.to.phone_number(), Some(p.clone()));
    // From alice to bob.
    let moved = m
        .move_user_phone(&p, UserRef::Username("bob"))
        .await
        .expect("moved");
    assert_eq!(
        moved.from.and_then(|u| u.username).as_deref(),
        Some("alice")
    );
    assert_eq!(moved.to.username.as_deref(), Some("bob"));
    let alice = m.get_user(UserRef::Username("alice")).await.expect("alice");
    assert_eq!(alice.phone_number(), None);
    // To its owner: nothing moves.
    let same = m
        .move_user_phone(&p, UserRef::Username("bob"))
        .await
        .expect("no-op");
    assert!(same.from.is_none());

    // The set on the target fails after the phone was freed: it goes back to bob. The clear is
    // applied at once and its answer held for a second; meanwhile the next update-user (the
    // set on alice) is made to fail.
    const UPDATE: &str = "/api/v3/update-user";
    s.set_fault(
        UPDATE,
        Fault::next(1, FaultKind::ApplyThenDelay { ms: 1000 }),
    );
    let before = s.request_count(UPDATE);
    let watcher = {
        let s2 = std::sync::Arc::clone(&s);
        tokio::spawn(async move {
            while s2.request_count(UPDATE) == before {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            s2.set_fault(
                UPDATE,
                Fault::next(
                    1,
                    FaultKind::Envelope {
                        status_code: 500,
                        api_code: None,
                        message: Some("injected".into()),
                        error_code: None,
                    },
                ),
            );
        })
    };
    let err = m
        .move_user_phone(&p, UserRef::Username("alice"))
        .await
        .expect_err("the set fails");
    watcher.await.expect("watcher");
    assert_eq!(err.status_code(), Some(500), "{err}");
    let bob = m.get_user(UserRef::Username("bob")).await.expect("bob");
    assert_eq!(bob.phone_number(), Some(p.clone()), "given back to bob");
    let alice = m.get_user(UserRef::Username("alice")).await.expect("alice");
    assert_eq!(alice.phone_number(), None);
}
