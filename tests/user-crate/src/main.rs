//! The application's own reqwest client, built beside genauth's: it must not panic for want of
//! a TLS crypto provider that genauth's features would have made it need.

#[tokio::main]
async fn main() {
    // The application's client first, before genauth has done anything.
    let own = reqwest::Client::new();
    let genauth = genauth::AuthenticationClient::builder()
        .app_id("app")
        .app_secret("secret")
        .host("https://example.genauth.ai")
        .build()
        .expect("genauth client");
    // And again after genauth built its own.
    let again = reqwest::Client::builder().build().expect("reqwest client");
    drop((own, again, genauth));
    println!("ok: reqwest::Client::new() beside genauth");
}
