//! The main job: bind a phone number to a user who signed up without one, then bind a social
//! account to a mobile number.
//!
//! ```sh
//! cargo run --example bind_phone
//! ```
//!
//! With no `GENAUTH_APP_HOST` it starts the embedded GenAuth sandbox, signs in its seeded user
//! who has no phone yet (user name and password), sends the bind code, reads it from the
//! sandbox outbox, binds the phone and prints the profile; then it runs the social bind flow
//! (WeChat login → SOCIAL_BIND → SMS → social/bind) and turns the session into the user through
//! an SSO ticket. Secrets are masked.
//!
//! With `GENAUTH_APP_HOST`, `GENAUTH_APP_ID` and `GENAUTH_APP_SECRET` set it runs against that
//! host instead: it signs in with `GENAUTH_ACCESS_TOKEN`, or asks for a user name and password,
//! asks for the phone number (or `GENAUTH_PHONE`) and for each SMS code on stdin, and runs the
//! social part only when given a WeChat authorization code.

use genauth::{
    AuthenticationClient, DeviceContext, ExposeSecret, LoginOutcome, PhoneNumber, SocialClient,
    TenantClient,
};

/// Shows the last 4 characters of a secret.
fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let tail: String = secret.chars().skip(n.saturating_sub(4)).collect();
    format!("…{tail} ({n} chars)")
}

/// Where SMS codes come from: the sandbox outbox (read over HTTP, as any program can), or a
/// person.
enum Codes {
    Sandbox(genauth_sandbox::SandboxHandle, genauth_sandbox::Outbox),
    Stdin,
}

impl Codes {
    async fn get(
        &self,
        phone: &PhoneNumber,
        channel: &str,
    ) -> Result<String, Box<dyn std::error::Error>> {
        match self {
            Codes::Sandbox(_, outbox) => Ok(outbox
                .last_code(phone.national_number(), channel)
                .await?
                .ok_or("no code in the sandbox outbox")?),
            Codes::Stdin => ask(&format!("SMS code sent to {phone} ({channel}): ")).await,
        }
    }
}

/// One line of standard input after `prompt`. Every question reads through the process's one
/// buffered `Stdin`, so answers piped in at once (`printf 'alice\npassword\n' | ...`) all
/// arrive; a fresh reader per question would drop what the previous one had buffered.
async fn ask(prompt: &str) -> Result<String, Box<dyn std::error::Error>> {
    read_line(prompt.to_string(), false).await
}

/// Like [`ask`], without echoing what is typed on a terminal (a password).
async fn ask_secret(prompt: &str) -> Result<String, Box<dyn std::error::Error>> {
    read_line(prompt.to_string(), true).await
}

async fn read_line(prompt: String, secret: bool) -> Result<String, Box<dyn std::error::Error>> {
    let line = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        use std::io::{BufRead, IsTerminal, Write};
        print!("{prompt}");
        std::io::stdout().flush()?;
        let stdin = std::io::stdin();
        // On a terminal, turn its echo off while the secret is typed (and back on after).
        let hide = secret && stdin.is_terminal();
        let stty = |arg: &str| {
            std::process::Command::new("stty")
                .arg(arg)
                .stdin(std::process::Stdio::inherit())
                .status()
        };
        if hide {
            stty("-echo")?;
        }
        let mut line = String::new();
        let read = stdin.lock().read_line(&mut line);
        if hide {
            stty("echo")?;
            println!();
        }
        read?;
        Ok(line.trim().to_string())
    })
    .await??;
    Ok(line)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let embedded = std::env::var("GENAUTH_APP_HOST").map_or(true, |h| h.trim().is_empty());
    let (client, codes, host, app_id, app_secret) = if embedded {
        let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
        let seed = sandbox.seed();
        println!(
            "· No GENAUTH_APP_HOST: started the embedded GenAuth sandbox at {}",
            sandbox.url()
        );
        let client = AuthenticationClient::builder()
            .app_id(&seed.app.id)
            .app_secret(&seed.app.secret)
            .host(sandbox.url())
            .build()?;
        let host = sandbox.url().to_string();
        let outbox = genauth_sandbox::Outbox::new(sandbox.url())?;
        (
            client,
            Codes::Sandbox(sandbox, outbox),
            host,
            seed.app.id,
            seed.app.secret,
        )
    } else {
        let client = AuthenticationClient::from_env().build()?;
        let host = std::env::var("GENAUTH_APP_HOST")?;
        println!("· Using GenAuth at {host}");
        let secret = std::env::var("GENAUTH_APP_SECRET").unwrap_or_default();
        (
            client.clone(),
            Codes::Stdin,
            host,
            client.app_id().to_string(),
            secret,
        )
    };

    // 1. Sign in.
    if client.tokens().await?.is_none() {
        let (username, password) = match &codes {
            Codes::Sandbox(s, _) => {
                let u = s.seed().phoneless_user;
                (u.username, u.password)
            }
            Codes::Stdin => (ask("User name: ").await?, ask_secret("Password: ").await?),
        };
        let tokens = client
            .sign_in_by_username_password(&username, &password)
            .await?;
        println!(
            "1. Signed in as {username} (password): access token {}, refresh token {}",
            mask(tokens.access_token().expose_secret()),
            if tokens.refresh_token().is_some() {
                "kept"
            } else {
                "none"
            },
        );
    } else {
        println!("1. Using GENAUTH_ACCESS_TOKEN");
    }
    let before = client.get_profile().await?;
    println!(
        "   profile: {} has phone: {}",
        before.username.as_deref().unwrap_or(&before.user_id),
        before.phone.as_deref().unwrap_or("none")
    );

    // 2. Bind a phone.
    let phone = match &codes {
        Codes::Sandbox(..) => PhoneNumber::parse("+86 188 0000 8888")?,
        Codes::Stdin => match std::env::var("GENAUTH_PHONE") {
            Ok(p) => PhoneNumber::parse(&p)?,
            Err(_) => {
                PhoneNumber::parse(&ask("Phone number to bind (+86 188 0000 8888): ").await?)?
            }
        },
    };
    client.send_bind_phone_code(&phone).await?;
    println!("2. Sent the bind code to {phone}");
    let code = codes.get(&phone, "CHANNEL_BIND_PHONE").await?;
    println!("3. Got the code (******)");
    client.bind_phone(&phone, code.as_str()).await?;
    let user = client.get_profile().await?;
    println!(
        "4. Bound. Profile: userId={} username={} phone={} {} phoneVerified={}",
        user.user_id,
        user.username.as_deref().unwrap_or("-"),
        user.phone_country_code.as_deref().unwrap_or("-"),
        user.phone.as_deref().unwrap_or("-"),
        user.phone_verified
    );

    // 5. Bind a social account to a mobile number.
    let wechat_code = match &codes {
        Codes::Sandbox(s, _) => {
            s.add_social_code("wx-demo-code", "wechat", "openid-of-alice");
            "wx-demo-code".to_string()
        }
        Codes::Stdin => ask("WeChat authorization code (empty to skip the social part): ").await?,
    };
    if wechat_code.is_empty() {
        return Ok(());
    }
    let device = DeviceContext::builder()
        .client_id(&app_id)
        .os_version("Android 10")
        .fingerprint("156aysdna213sac")
        .agent("Mozilla/5.0 (Linux; Android 10)")
        .ip("10.10.10.1")
        .build()?;
    let social = SocialClient::builder()
        .host(&host)
        .device(device.clone())
        .build()?;
    let session = match social.login_by_wechat(&wechat_code).await? {
        LoginOutcome::Success(session) => {
            println!("5. WeChat login: the account is linked already");
            session
        }
        LoginOutcome::SocialBind(state) => {
            println!(
                "5. WeChat login: SOCIAL_BIND (state token {})",
                mask(state.secret().expose_secret())
            );
            social.send_bind_mobile_code(&phone).await?;
            println!("6. Sent BIND_MOBILE_SMS to {phone}");
            let code = codes.get(&phone, "BIND_MOBILE_SMS").await?;
            let session = social.bind(&state, &phone, code.as_str()).await?;
            println!("7. social/bind: SUCCESS");
            session
        }
        other => return Err(format!("the WeChat login answered {other:?}").into()),
    };
    println!(
        "   session token {}, id token {}, expires in {} s",
        mask(session.session_token.expose_secret()),
        session
            .id_token
            .as_ref()
            .map(|t| mask(t.expose_secret()))
            .unwrap_or_else(|| "none".into()),
        session
            .expires_at
            .duration_since(std::time::SystemTime::now())
            .map(|d| d.as_secs())
            .unwrap_or(0)
    );
    let tenant = TenantClient::builder()
        .host(&host)
        .client_id(&app_id)
        .client_secret(&app_secret)
        .build()?;
    let ticket = tenant.sso_ticket(&session, &device).await?;
    let sso_user = tenant.verify_sso_ticket(&ticket, &device).await?;
    println!(
        "8. SSO ticket verified: user {} ({}), mobile {}",
        sso_user.user_name,
        sso_user.id,
        sso_user.mobile.as_deref().unwrap_or("-")
    );
    Ok(())
}
