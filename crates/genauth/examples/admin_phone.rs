//! The administrator's side of a phone number: find a user by phone, create a user with a
//! verified phone, try to give that phone to another user (refused while it is owned), free it
//! and move it, and print each user as the pool sees it and each user's security info (signed
//! in as that user: what a client checks before unbinding a phone).
//!
//! ```sh
//! cargo run --example admin_phone
//! ```
//!
//! With no `GENAUTH_ACCESS_KEY_ID` it starts the embedded GenAuth sandbox and uses its seeded
//! pool. With `GENAUTH_ACCESS_KEY_ID`, `GENAUTH_ACCESS_KEY_SECRET` and `GENAUTH_HOST` (or
//! `GENAUTH_APP_HOST`) set it runs against that user pool: it creates two users named
//! `genauth-demo-<n>-a` and `-b`, and takes the phone from `GENAUTH_PHONE` (a number no user of
//! the pool owns; it ends up bound to the second demo user, and is freed at the end); with
//! `GENAUTH_APP_ID`, `GENAUTH_APP_SECRET` and `GENAUTH_APP_HOST` too it prints their security
//! info.

use genauth::api::types::CreateUserReqDto;
use genauth::{ApiCode, AuthenticationClient, ManagementClient, PhoneNumber, User, UserRef};

/// One line for a user: who, and the phone the pool has for them.
fn show(label: &str, user: &User) {
    println!(
        "   {label}: {} ({}), phone {}{}",
        user.username.as_deref().unwrap_or("-"),
        user.user_id,
        user.phone
            .as_deref()
            .map(|p| format!("{} {p}", user.phone_country_code.as_deref().unwrap_or("")))
            .unwrap_or_else(|| "none".into()),
        if user.phone_verified {
            ", verified"
        } else {
            ""
        }
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real_pool = std::env::var("GENAUTH_ACCESS_KEY_ID").is_ok_and(|v| !v.trim().is_empty());
    // The embedded sandbox unless a real pool is configured; it lives until the end of main.
    let (sandbox, management, phone) = if real_pool {
        let phone = std::env::var("GENAUTH_PHONE")
            .map_err(|_| "set GENAUTH_PHONE to a number no user of the pool owns")?;
        println!("Using the user pool at GENAUTH_HOST / GENAUTH_APP_HOST");
        (
            None,
            ManagementClient::from_env().build()?,
            PhoneNumber::parse(&phone)?,
        )
    } else {
        let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
        let pool = sandbox.seed().user_pool;
        println!("Using the embedded GenAuth sandbox at {}", sandbox.url());
        let management = ManagementClient::builder()
            .host(sandbox.url())
            .access_key_id(&pool.access_key_id)
            .access_key_secret(&pool.access_key_secret)
            .build()?;
        (
            Some(sandbox),
            management,
            PhoneNumber::parse("+86 188 0000 5555")?,
        )
    };
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);

    println!("1. Who owns {phone}?");
    match management.find_user_by_phone(&phone).await? {
        Some(owner) => {
            return Err(
                format!("{phone} is owned by {}: pick a free number", owner.user_id).into(),
            );
        }
        None => println!("   nobody"),
    }

    println!("2. Create a user with {phone}, verified (no SMS code: an administrator sets it)");
    let a = management
        .create_user(CreateUserReqDto {
            username: Some(format!("genauth-demo-{run}-a")),
            password: Some(format!("genauth-demo-{run}-password")),
            phone: Some(phone.national_number().into()),
            phone_country_code: Some(phone.country_code().into()),
            phone_verified: Some(true),
            ..Default::default()
        })
        .await?;
    show("created", &a);
    let b = management
        .create_user(CreateUserReqDto {
            username: Some(format!("genauth-demo-{run}-b")),
            password: Some(format!("genauth-demo-{run}-password")),
            ..Default::default()
        })
        .await?;
    show("created", &b);

    println!("3. Give {phone} to the second user while the first owns it");
    match management
        .set_user_phone(UserRef::Id(&b.user_id), &phone)
        .await
    {
        Err(e) if e.api_code() == Some(ApiCode::PhoneAlreadyBound) => {
            println!("   refused: {e}")
        }
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("the pool gave one phone to two users".into()),
    }

    println!("4. Free it from the first user, then move it to the second");
    let a = management.clear_user_phone(UserRef::Id(&a.user_id)).await?;
    show("freed", &a);
    let b = management
        .set_user_phone(UserRef::Id(&b.user_id), &phone)
        .await?;
    show("moved", &b);

    println!("5. Each user, as the pool has them now");
    let owner = management
        .find_user_by_phone(&phone)
        .await?
        .ok_or("the phone has no owner")?;
    show("owner of the phone", &owner);
    for id in [&a.user_id, &b.user_id] {
        show("user", &management.get_user(UserRef::Id(id)).await?);
    }
    // The app the users sign in to: the sandbox's, or GENAUTH_APP_* when set.
    let app = match &sandbox {
        Some(sandbox) => {
            let app = sandbox.seed().app;
            Some(
                AuthenticationClient::builder()
                    .app_id(&app.id)
                    .app_secret(&app.secret)
                    .host(sandbox.url())
                    .build()?,
            )
        }
        None if std::env::var("GENAUTH_APP_ID").is_ok() => {
            Some(AuthenticationClient::from_env().build()?)
        }
        None => None,
    };
    if let Some(app) = app {
        println!("6. Each user's security info, signed in as them");
        for user in [&a, &b] {
            let name = user.username.as_deref().unwrap_or_default();
            let session = app.with_tokens(None);
            session
                .sign_in_by_username_password(name, &format!("genauth-demo-{run}-password"))
                .await?;
            let info = session.get_security_info().await?;
            println!(
                "   {name}: phone bound {}, password set {}, email bound {}, MFA {}, score {}",
                info.phone_binded,
                info.password_set,
                info.email_binded,
                info.mfa_enrolled,
                info.security_score
            );
        }
    }
    if real_pool {
        management.clear_user_phone(UserRef::Id(&b.user_id)).await?;
        println!("   (the phone is freed again; the two demo users stay in the pool)");
    }
    Ok(())
}
