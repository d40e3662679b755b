//! The user's side of a phone's life through the facade: sign up by phone code, read the
//! security info before unbinding, reset the password by phone, and the lists a client needs.

use genauth::{Error, PhoneNumber, SmsChannel};
use genauth_sandbox::Sandbox;

use crate::common::app_client as client;

#[tokio::test]
async fn sign_up_by_phone_then_what_guards_the_unbind() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let c = client(&s);
    let phone = PhoneNumber::parse("+86 188 0000 4141").expect("phone");
    c.send_register_code(&phone).await.expect("sent");
    let code = s
        .last_code("18800004141", "CHANNEL_REGISTER")
        .expect("code");
    assert!(
        c.pre_check_code(&phone, SmsChannel::ChannelRegister, code.as_str())
            .await
            .expect("checked")
    );
    let wrong = if code == "0000" { "1111" } else { "0000" };
    assert!(
        !c.pre_check_code(&phone, SmsChannel::ChannelRegister, wrong)
            .await
            .expect("checked")
    );
    let user = c
        .sign_up_by_phone_pass_code(&phone, code.as_str())
        .await
        .expect("signed up");
    assert_eq!(user.phone.as_deref(), Some("18800004141"));
    // The code is spent: a second sign-up is refused (the phone is now owned, too).
    let again = c
        .sign_up_by_phone_pass_code(&phone, code.as_str())
        .await
        .expect_err("spent");
    assert_eq!(again.status_code(), Some(409), "{again}");

    // Signed in by the phone, the user has nothing but the phone: the security info says so,
    // and the service refuses to unbind it.
    c.send_sms(SmsChannel::ChannelLogin, &phone)
        .await
        .expect("sent");
    let login = s.last_code("18800004141", "CHANNEL_LOGIN").expect("code");
    c.sign_in_by_phone_pass_code(&phone, login.as_str(), Default::default())
        .await
        .expect("signed in");
    let info = c.get_security_info().await.expect("info");
    assert!(info.phone_binded && !info.password_set && !info.email_binded);
    c.send_unbind_phone_code(&phone).await.expect("sent");
    let unbind = s
        .last_code("18800004141", "CHANNEL_UNBIND_PHONE")
        .expect("code");
    let refused = c
        .unbind_phone(unbind.as_str())
        .await
        .expect_err("only way in");
    assert_eq!(refused.status_code(), Some(422), "{refused}");
}

#[tokio::test]
async fn a_password_reset_token_is_good_once_and_secret() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let c = client(&s);
    let phone = PhoneNumber::parse("13800138000").expect("bob's phone");
    c.send_reset_password_code(&phone).await.expect("sent");
    let code = s
        .last_code("13800138000", "CHANNEL_RESET_PASSWORD")
        .expect("code");
    let token = c
        .verify_reset_password_by_phone(&phone, code.as_str())
        .await
        .expect("verified");
    let shown = format!("{token:?}");
    assert!(
        !shown.contains(genauth::ExposeSecret::expose_secret(token.secret())),
        "{shown}"
    );
    assert!(token.expires_at() > std::time::SystemTime::now());
    c.reset_password(&token, "bob-new-password-2")
        .await
        .expect("reset");
    let reused = c
        .reset_password(&token, "bob-new-password-3")
        .await
        .expect_err("good once");
    assert!(
        matches!(
            reused,
            Error::Api {
                status_code: 400,
                ..
            }
        ),
        "{reused}"
    );
    c.sign_in_by_username_password("bob", "bob-new-password-2")
        .await
        .expect("the new password");
    // Refused before anything is sent.
    assert!(matches!(
        c.reset_password(&token, " ").await,
        Err(Error::InvalidInput { .. })
    ));
}

#[tokio::test]
async fn countries_and_identity_sources() {
    let s = Sandbox::builder().start().await.expect("sandbox");
    let c = client(&s);
    let countries = c.get_country_list().await.expect("countries");
    // The whole world, as the service answers it, in its four languages.
    assert!(countries.len() >= 240, "{}", countries.len());
    assert_eq!(countries.len(), genauth_api::countries::COUNTRIES.len());
    let china = countries
        .iter()
        .find(|c| c.alpha2 == "CN")
        .expect("China is listed");
    assert_eq!(china.phone_country_code, "+86");
    // A country's code is what PhoneNumber takes as the default.
    let hk = countries
        .iter()
        .find(|c| c.alpha2 == "HK")
        .expect("Hong Kong is listed");
    let number = PhoneNumber::parse_with_default("6123 4567", &hk.phone_country_code)
        .expect("a Hong Kong number");
    assert_eq!(number.country_code(), "+852");
    let idps = c
        .get_application_enabled_ext_idps()
        .await
        .expect("identity sources");
    assert!(idps.iter().any(|i| i.ext_idp_id == "wechat-idp"));
}
