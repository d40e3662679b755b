//! Building genauth's clients installs nothing for the process: an application that installs
//! its own rustls crypto provider afterwards still can. (A test binary of its own: the provider
//! is process-wide state.)

#[cfg(any(feature = "rustls", feature = "rustls-aws-lc"))]
#[test]
fn clients_leave_the_process_wide_crypto_provider_to_the_application() {
    let auth = genauth::AuthenticationClient::builder()
        .app_id("6571c3a4e8d4e1b2c3d4e5f6")
        .app_secret("app-secret")
        .host("https://example.genauth.ai")
        .build()
        .expect("client");
    let management = genauth::ManagementClient::builder()
        .host("https://example.genauth.ai")
        .access_key_id("key-id")
        .access_key_secret("key-secret")
        .build()
        .expect("client");
    let social = genauth::SocialClient::builder()
        .host("https://example.genauth.ai")
        .device(
            genauth::DeviceContext::builder()
                .client_id("client")
                .os_version("Android 10")
                .fingerprint("fp")
                .agent("agent")
                .build()
                .expect("device"),
        )
        .build()
        .expect("client");
    let tenant = genauth::TenantClient::builder()
        .host("https://example.genauth.ai")
        .client_id("client")
        .client_secret("secret")
        .build()
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
