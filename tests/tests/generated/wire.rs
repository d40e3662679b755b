//! The wire form of every operation, as the generated client sends it.
//!
//! Each operation is sent through `genauth_api::Client` to a local capture server, which records
//! the request and answers with the spec's example response for that operation (so every call
//! must also decode its documented answer). One insta snapshot per operation holds the method,
//! path and query, the headers sorted by name (less `host`, whose port changes) and the body as
//! sent. Authentication headers are added through the seam exactly as the operation's first
//! security requirement in the spec says; the facade's own headers are tested with the facade.

use std::collections::BTreeSet;

use genauth_api::Client;
use genauth_api::types;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;
use xtask::Spec;

/// The headers each security scheme of the spec puts on the wire, with realistic values.
fn auth_headers(spec: &Spec, op_id: &str) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    let Some(op) = spec.operation(op_id) else {
        return headers;
    };
    let first = op
        .value
        .get("security")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_object);
    for scheme in first.into_iter().flatten().map(|(k, _)| k.as_str()) {
        let (name, value) = match scheme {
            "appId" => ("x-authing-app-id", "62a6e4d3xxxxxxxxa3b3eb1a"),
            "userToken" => (
                "authorization",
                "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhIn0.c2ln",
            ),
            "managementToken" | "tenantAccessToken" => (
                "authorization",
                "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZWQifQ.c2ln",
            ),
            "userPoolId" => ("x-authing-userpool-id", "62a6e4d3xxxxxxxxa3b3eb00"),
            "clientSecretBasic" => (
                "authorization",
                "Basic NjJhNmU0ZDN4eHh4eHh4eGEzYjNlYjFhOjNlMmI3Y3h4eA==",
            ),
            // Sent as header parameters by the generated builders.
            "sdkClientId" | "stateToken" => continue,
            other => panic!("security scheme {other} has no wire form in this test"),
        };
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    headers
}

const APP_ID: &str = "62a6e4d3xxxxxxxxa3b3eb1a";
const CLIENT_ID: &str = "DRrYIqauawN0I8myTMoDTPys6ezGZxnm";
const STATE_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzIjoiMSJ9.c2ln";
const AGENT: &str = "Mozilla/5.0 (Linux; Android 10; Redmi K30 Build/QKQ1.190825.002; wv)";

macro_rules! device {
    ($builder:expr) => {
        $builder
            .x_operating_sys_version("Android 10")
            .x_device_fingerprint("156aysdna213sac")
            .x_device_ip("10.10.10.1")
            .x_agent(AGENT)
            .x_l("zh")
            .x_client_id(CLIENT_ID)
            .x_tenant_id("08f770f51f80d2f40f38c00cb199fd21")
    };
}

/// One arm per operation: `"operationId" => the generated builder with realistic values`. The
/// macro sends it and keeps only whether the call, and the decoding of the documented answer,
/// worked; an operation of the spec with no arm panics.
macro_rules! wire_calls {
    ($op:expr, { $($id:literal => $call:expr),* $(,)? }) => {
        match $op {
            $($id => $call.send().await.map(drop).map_err(|e| e.to_string()),)*
            other => panic!("operation {other} is in the spec but this test does not send it"),
        }
    };
}

/// Sends operation `op` with realistic values; every call must decode the spec's example.
async fn send(c: &Client, op: &str) {
    let outcome: Result<(), String> = wire_calls!(op, {
        "sendSms" => c
            .send_sms()
            .body_map(|b| {
                b.channel(types::SmsChannel::ChannelBindPhone)
                    .phone_number("18800008888")
                    .phone_country_code("+86".to_string())
            }),
        "bindPhone" => c
            .bind_phone()
            .body_map(|b| {
                b.phone_number("18800008888")
                    .pass_code("123456")
                    .phone_country_code("+86".to_string())
            }),
        "unbindPhone" => c
            .unbind_phone()
            .body_map(|b| b.pass_code("123456")),
        "verifyUpdatePhoneRequest" => c
            .verify_update_phone_request()
            .body_map(|b| {
                b.verify_method(types::VerifyUpdatePhoneRequestDtoVerifyMethod::PhonePasscode)
                    .phone_pass_code_payload(types::UpdatePhoneByPhonePassCodeDto {
                        new_phone_number: "18800006666".into(),
                        new_phone_pass_code: "123456".into(),
                        new_phone_country_code: Some("+86".into()),
                        old_phone_number: Some("18800008888".into()),
                        old_phone_pass_code: Some("654321".into()),
                        old_phone_country_code: Some("+86".into()),
                    })
            }),
        "updatePhone" => c
            .update_phone()
            .body_map(|b| b.update_phone_token("upt_x2ZdQn7Vb1")),
        "getProfile" => c
            .get_profile()
            .with_custom_data(true)
            .with_identities(false),
        "signInByCredentials" => c
            .sign_in_by_credentials()
            .body_map(|b| {
                b.connection(types::SigninByCredentialsDtoConnection::Password)
                    .password_payload(Some(types::SignInByPasswordPayloadDto {
                        password: "passw0rd".into(),
                        username: Some("bob".into()),
                        account: None,
                        email: None,
                        phone: None,
                    }))
                    .options(Some(
                        types::SignInOptionsDto::builder()
                            .scope(Some("openid profile phone offline_access".into()))
                            .try_into()
                            .expect("options"),
                    ))
                    .client_id(Some(APP_ID.into()))
                    .client_secret(Some("3e2b7cxxxxxxxxxxxxxxxxxxxxxxxxx".into()))
            }),
        "getNewAccessTokenByRefreshToken" => c
            .get_new_access_token_by_refresh_token()
            .body_map(|b| {
                // client_secret_basic (the first requirement): credentials in the header only.
                b.grant_type(types::OidcTokenRequestGrantType::RefreshToken)
                    .refresh_token(Some("WPsGJbvpBjqXz6IJIr1UHKyrdVF5ioTPCUc7AlbL5aM".into()))
            }),
        "getManagementToken" => c
            .get_management_token()
            .body_map(|b| {
                b.access_key_id("60e043f8cxxxxxxxxxxxxxxxx")
                    .access_key_secret("4fb2a2fxxxxxxxxxxxxxxxxxxxxxxxxx")
            }),
        "getIdentities" => c
            .get_identities(),
        "unlinkExtIdp" => c
            .unlink_ext_idp()
            .body_map(|b| b.ext_idp_id("6076bacxxxxxxxxd80d993b5")),
        "generateLinkExtIdpUrl" => c
            .generate_link_ext_idp_url()
            .ext_idp_conn_identifier("my-wechat")
            .app_id(APP_ID)
            .id_token("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiIn0.c2ln"),
        "linkIdentity" => c
            .link_identity()
            .body_map(|b| {
                b.user_id_in_idp("oj7Nq05R-RRaqak0_YlMLnnIwsvg")
                    .user_id("6229ffaxxxxxxxxcade3e3d9")
                    .ext_idp_id("6076bacxxxxxxxxd80d993b5")
                    .type_(Some("openid".into()))
            }),
        "unlinkIdentity" => c
            .unlink_identity()
            .body_map(|b| {
                b.user_id("6229ffaxxxxxxxxcade3e3d9")
                    .ext_idp_id("6076bacxxxxxxxxd80d993b5")
                    .type_(Some("openid".into()))
            }),
        "signUp" => c
            .sign_up()
            .body_map(|b| {
                b.connection(types::SignUpDtoConnection::Passcode)
                    .pass_code_payload(Some(types::SignUpByPassCodeDto {
                        pass_code: "1234".into(),
                        phone: Some("18800005555".into()),
                        phone_country_code: Some("+86".into()),
                        email: None,
                    }))
            }),
        "preCheckCode" => c
            .pre_check_code()
            .body_map(|b| {
                b.code_type(types::PreCheckCodeDtoCodeType::Sms)
                    .sms_code_payload(Some(types::PreCheckSmsCodeDto {
                        channel: types::PreCheckSmsCodeDtoChannel::ChannelRegister,
                        pass_code: "1234".into(),
                        phone: "18800005555".into(),
                        phone_country_code: Some("+86".into()),
                    }))
            }),
        "getSecurityInfo" => c
            .get_security_info(),
        "verifyResetPasswordRequest" => c
            .verify_reset_password_request()
            .body_map(|b| {
                b.verify_method(types::VerifyResetPasswordRequestDtoVerifyMethod::PhonePasscode)
                    .phone_pass_code_payload(Some(types::ResetPasswordByPhonePassCodeDto {
                        pass_code: "1234".into(),
                        phone_number: "18800005555".into(),
                        phone_country_code: Some("+86".into()),
                    }))
            }),
        "resetPassword" => c
            .reset_password()
            .body_map(|b| {
                b.password("new-passw0rd")
                    .password_reset_token("prt_9w3Vb6tQ2s")
            }),
        "getCountryList" => c
            .get_country_list(),
        "getApplicationEnabledExtIdps" => c
            .get_application_enabled_ext_idps(),
        "signInByMobile" => c
            .sign_in_by_mobile()
            .body_map(|b| {
                b.connection(types::SigninByMobileDtoConnection::Wechat)
                    .ext_idp_connidentifier("wechat-mobile")
                    .wechat_payload(Some(types::SignInByWechatPayloadDto {
                        code: Some("061Ysd000hNvzT1ze0400gQrXx1Ysd0Z".into()),
                    }))
                    .client_id(Some(APP_ID.into()))
                    .client_secret(Some("3e2b7cxxxxxxxxxxxxxxxxxxxxxxxxx".into()))
            }),
        "wechatMobileAuthByCodeIdentity" => c
            .wechat_mobile_auth_by_code_identity()
            .body_map(|b| {
                b.code("061Ysd000hNvzT1ze0400gQrXx1Ysd0Z")
                    .app_id(Some(APP_ID.into()))
                    .conn_id(Some("6076bacxxxxxxxxd80d993b5".into()))
            }),
        "wechatMobileBindByPhoneCode" => c
            .wechat_mobile_bind_by_phone_code()
            .body_map(|b| {
                b.key("ecb_7Nb2xq0WvR4s")
                    .action("bind-identity-by-phone-code")
                    .code("1234")
                    .phone("13800138000")
                    .phone_country_code(Some("+86".into()))
            }),
        "wechatMobileRegister" => c
            .wechat_mobile_register()
            .body_map(|b| {
                b.key("ecb_7Nb2xq0WvR4s")
                    .action("create-federation-account")
            }),
        "registerByMobileVerifyCode" => device!(c.register_by_mobile_verify_code())
            .body_map(|b| {
                b.mobile("13800138000")
                    .verify_code("123456")
                    .user_name(Some("bob".to_string()))
                    .pwd(Some("P@ssw0rd".to_string()))
            }),
        "mobileByStateToken" => device!(c.mobile_by_state_token())
            .x_state_token(STATE_TOKEN),
        "updatePasswordByMobile" => device!(c.update_password_by_mobile())
            .body_map(|b| {
                b.mobile("13800138000")
                    .verify_code("123456")
                    .password("new-passw0rd")
            }),
        "getUser" => c
            .get_user()
            .user_id("18800008888")
            .user_id_type(types::GetUserUserIdType::Phone)
            .with_identities(true),
        "isUserExists" => c
            .is_user_exists()
            .body_map(|b| b.phone(Some("18800008888".into()))),
        "createUser" => c
            .create_user()
            .body_map(|b| {
                b.username(Some("carol".into()))
                    .phone(Some("18800007777".into()))
                    .phone_country_code(Some("+86".into()))
                    .phone_verified(Some(true))
                    .password(Some("carol-password-1".into()))
            }),
        "updateUser" => c
            .update_user()
            .body_map(|b| {
                b.user_id("6229ffaxxxxxxxxcade3e3d9")
                    .phone(Some("18800008888".into()))
                    .phone_country_code(Some("+86".into()))
                    .phone_verified(Some(true))
                    .options(Some(types::UpdateUserOptionsDto {
                        user_id_type: Some(types::UpdateUserOptionsDtoUserIdType::UserId),
                        ..Default::default()
                    }))
            }),
        "loginByWechat" => device!(c.login_by_wechat())
            .body_map(|b| b.code("061Ysd000hNvzT1ze0400gQrXx1Ysd0Z")),
        "sendSdkSms" => device!(c.send_sdk_sms())
            .body_map(|b| b.mobile("12345678901").type_("BIND_MOBILE_SMS")),
        "socialBind" => device!(c.social_bind())
            .x_state_token(STATE_TOKEN)
            .body_map(|b| b.mobile("12345678901").verify_code("123456")),
        "socialRegisterBind" => device!(c.social_register_bind())
            .x_state_token(STATE_TOKEN)
            .body_map(|b| b.mobile("12345678901").verify_code("123456")),
        "loginByMobileVerifyCode" => device!(c.login_by_mobile_verify_code())
            .body_map(|b| b.mobile("12345678901").verify_code("123456")),
        "getTenantToken" => c
            .get_tenant_token()
            .body_map(|b| {
                b.grant_type(types::TenantTokenRequestGrantType::ClientCredentials)
                    .client_id(CLIENT_ID)
                    .client_secret("4fb2a2fxxxxxxxxxxxxxxxxxxxxxxxxx")
            }),
        "createSsoTicket" => c
            .create_sso_ticket()
            .body_map(|b| {
                b.session_token("bts******2VO")
                    .operating_sys_version("Android 10")
                    .device_ip("10.10.10.1")
                    .device_fingerprint("156aysdna213sac")
                    .agent(Some(AGENT.into()))
                    .client_id(Some(CLIENT_ID.into()))
            }),
        "verifySsoTicket" => c
            .verify_sso_ticket()
            .body_map(|b| {
                b.sso_ticket("ST-1-6h3v******Xk2Q")
                    .operating_sys_version("Android 10")
                    .device_ip("10.10.10.1")
                    .device_fingerprint("156aysdna213sac")
                    .agent(Some(AGENT.into()))
            }),
        "refreshSessionToken" => c
            .refresh_session_token()
            .body_map(|b| {
                b.session_token("bts******2VO")
                    .operating_sys_version("Android 10")
                    .device_ip("10.10.10.1")
                    .device_fingerprint("156aysdna213sac")
            }),
    });
    if let Err(e) = outcome {
        panic!("{op}: the call or the decoding of its documented answer failed: {e}");
    }
}

#[tokio::test]
async fn every_operation_has_a_wire_snapshot() {
    let (url, capture) = crate::common::capture::Capture::start().await;
    let spec = capture.spec().clone();

    let base = Client::new_with_client(
        &url,
        genauth_api::http_client_builder().build().expect("client"),
        Default::default(),
    );
    let ids: Vec<String> = spec.operations().iter().map(|o| o.id.to_string()).collect();
    for id in &ids {
        let client = base.with_headers(auth_headers(&spec, id));
        send(&client, id).await;
    }
    let seen = capture.take();
    let captured: BTreeSet<&str> = seen.iter().map(|(op, _)| op.as_str()).collect();
    let expected: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(
        captured, expected,
        "every operation was sent exactly as routed"
    );
    assert_eq!(seen.len(), ids.len(), "one request per operation");

    insta::with_settings!({
        snapshot_path => "../snapshots/wire",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        for (op, text) in &seen {
            insta::assert_snapshot!(op.as_str(), text);
        }
    });
}
