//! The main job: bind a phone number to a user who signed up without one.
//!
//! Starts the embedded GenAuth sandbox, signs in its seeded user `alice` (user name and
//! password, no phone yet), sends the bind code, reads it from the sandbox outbox, binds the
//! phone and prints the profile, all through the generated client. (The facade stage replaces
//! the hand-built headers below with `genauth::AuthenticationClient`.)
//!
//! Run: `cargo run --example bind_phone`

use genauth::api::{Client, types};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

const PHONE: &str = "18800008888";

fn mask(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail} ({} chars)", secret.chars().count())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
    let seed = sandbox.seed();
    println!("1. GenAuth sandbox started at {}", sandbox.url());

    let http = genauth::api::http_client_builder().build()?;
    let mut app_headers = HeaderMap::new();
    app_headers.insert(
        HeaderName::from_static("x-authing-app-id"),
        HeaderValue::from_str(&seed.app.id)?,
    );
    let app = Client::new_with_client(sandbox.url(), http, Default::default())
        .with_headers(app_headers.clone());

    // 2. Password sign-in (client_secret_post: the app's credentials travel in the body).
    let user = &seed.phoneless_user;
    let signin = app
        .sign_in_by_credentials()
        .body_map(|b| {
            b.connection(types::SigninByCredentialsDtoConnection::Password)
                .password_payload(Some(types::SignInByPasswordPayloadDto {
                    password: user.password.clone(),
                    username: Some(user.username.clone()),
                    account: None,
                    email: None,
                    phone: None,
                }))
                .client_id(Some(seed.app.id.clone()))
                .client_secret(Some(seed.app.secret.clone()))
        })
        .send()
        .await?
        .into_inner();
    let tokens = signin
        .data
        .ok_or_else(|| format!("sign-in failed: {} ({:?})", signin.message, signin.api_code))?;
    println!(
        "2. signed in as {} (password); access token {}",
        user.username,
        mask(&tokens.access_token)
    );

    let mut user_headers = app_headers;
    let mut token = HeaderValue::from_str(&tokens.access_token)?;
    token.set_sensitive(true);
    user_headers.insert(HeaderName::from_static("authorization"), token);
    let me = app.with_headers(user_headers);

    // 3. Send the bind code.
    let sent = app
        .send_sms()
        .body_map(|b| {
            b.channel(types::SmsChannel::ChannelBindPhone)
                .phone_number(PHONE)
                .phone_country_code(Some("+86".to_string()))
        })
        .send()
        .await?
        .into_inner();
    println!(
        "3. send-sms CHANNEL_BIND_PHONE to +86 {PHONE}: statusCode {}",
        sent.status_code
    );

    // 4. Read it where the sandbox delivers SMS.
    let code = sandbox
        .last_code(PHONE, "CHANNEL_BIND_PHONE")
        .ok_or("no code in the sandbox outbox")?;
    println!("4. code read from the sandbox outbox: ******");

    // 5. Bind.
    let bound = me
        .bind_phone()
        .body(types::BindPhoneDto {
            phone_number: PHONE.into(),
            pass_code: code,
            phone_country_code: Some("+86".into()),
        })
        .send()
        .await?
        .into_inner();
    if bound.status_code != 200 {
        return Err(format!(
            "bind-phone failed: {} ({:?})",
            bound.message, bound.api_code
        )
        .into());
    }
    println!(
        "5. bind-phone: statusCode {} {:?}",
        bound.status_code, bound.message
    );

    // 6. The profile shows it.
    let profile = me.get_profile().send().await?.into_inner();
    let user = profile.data.ok_or("get-profile returned no user")?;
    println!(
        "6. profile: userId={} username={} phone={} {} phoneVerified={}",
        user.user_id,
        user.username.as_deref().unwrap_or("-"),
        user.phone_country_code.as_deref().unwrap_or("-"),
        user.phone.as_deref().unwrap_or("-"),
        user.phone_verified.unwrap_or(false),
    );
    sandbox.shutdown().await;
    Ok(())
}
