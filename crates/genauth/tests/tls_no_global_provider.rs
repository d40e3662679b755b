//! Building genauth's clients installs nothing for the process: an application that installs
//! its own rustls crypto provider afterwards still can. (A test binary of its own: the provider
//! is process-wide state.)

#[cfg(feature = "rustls")]
#[test]
fn clients_leave_the_process_wide_crypto_provider_to_the_application() {
    let auth = genauth::AuthenticationClient::builder()
        .app_id("6571c3a4e8d4e1b2c3d4e5f6")
        .app_secret("app-secret")
        .host("https://example.genauth.ai")
        .build()
        .expect("client");
    let management =
        genauth::ManagementClient::new("https://example.genauth.ai", "key-id", "key-secret")
            .expect("client");
    let social = genauth::SocialClient::new(
        "https://example.genauth.ai",
        genauth::DeviceContext::new("client", "Android 10", "fp", "agent"),
    )
    .expect("client");
    let tenant = genauth::TenantClient::new("https://example.genauth.ai", "client", "secret")
        .expect("client");
    drop((auth, management, social, tenant));
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "a client installed a provider for the process"
    );
    rustls::crypto::ring::default_provider()
        .install_default()
        .expect("the application installs its own provider after genauth's clients exist");
}
