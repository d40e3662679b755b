//! [`TenantClient`]: the server-side SSO calls of `/api/v2/tenant` (session token → SSO
//! ticket → user), with the tenant access token they are made with (`TenantToken`).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use genauth_api::types;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use super::client::SocialSession;
use super::device::{DeviceContext, device_ip};
use crate::cache::{TokenCache, expires_after, lifetime};
use crate::config::{ClientConfig, Connection, env};
use crate::error::{Error, Result};
use crate::exec::{Credential, send};
use crate::transport::{insert, plain_header, secret_header};
use genauth_api::operations as op;
use genauth_api::operations::Operation;

/// Sets `x-tenant-id` on a generated `/api/v2/tenant` builder when the client has one.
macro_rules! tenant {
    ($builder:expr, $tenant:expr) => {{
        match $tenant {
            Some(t) => $builder.x_tenant_id(t),
            None => $builder,
        }
    }};
}

/// A one-time SSO ticket.
#[derive(Debug, Clone)]
pub struct SsoTicket {
    /// The ticket (secret).
    pub ticket: SecretString,
    /// When it expires.
    pub expires_at: SystemTime,
}

/// The user an SSO ticket was issued for.
pub use genauth_api::types::SsoUser;

/// Server-side SSO calls (`/api/v2/tenant`): session token → SSO ticket → user.
///
/// The tenant access token (client credentials) is fetched on first use, cached, and renewed a
/// minute before it expires (at half its life when it lives less than two minutes), or once when
/// a call is refused for it (PARAM.0030); concurrent callers share one fetch. Cheap to clone: a
/// clone is one reference count.
///
/// The server side of a social login: the app's back end turns the session it was handed into
/// the user, through a one-time ticket bound to the device.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use genauth::{DeviceContext, LoginOutcome, SocialClient};
/// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
/// # let app = sandbox.seed().app;
/// # sandbox.add_social_code("wechat-code", "wechat", "openid-of-bob");
/// # let device = DeviceContext::builder()
/// #     .client_id(&app.id)
/// #     .os_version("Android 10")
/// #     .fingerprint("156aysdna213sac")
/// #     .agent("Mozilla/5.0")
/// #     .build()?
/// #     .with_ip("10.10.10.1");
/// # let social = SocialClient::builder().host(sandbox.url()).device(device.clone()).build()?;
/// # let LoginOutcome::SocialBind(state) = social.login_by_wechat("wechat-code").await? else {
/// #     return Err("expected SOCIAL_BIND".into());
/// # };
/// # let mobile = genauth::PhoneNumber::parse("13800138000")?;
/// # social.send_bind_mobile_code(&mobile).await?;
/// # let code = sandbox.last_code("13800138000", "BIND_MOBILE_SMS").unwrap_or_default();
/// # let session = social.bind(&state, &mobile, code.as_str()).await?;
/// use genauth::TenantClient;
///
/// let tenant = TenantClient::builder()
///     .host(sandbox.url())
///     .client_id(&app.id)
///     .client_secret(&app.secret)
///     .build()?;
/// let ticket = tenant.sso_ticket(&session, &device).await?;
/// let user = tenant.verify_sso_ticket(&ticket, &device).await?;
/// assert_eq!(user.mobile.as_deref(), Some("13800138000"));
/// // A ticket is good once.
/// assert!(tenant.verify_sso_ticket(&ticket, &device).await.is_err());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TenantClient {
    inner: Arc<TenantInner>,
}

struct TenantInner {
    /// The shared connection settings.
    conn: Connection,
    client_id: String,
    client_secret: SecretString,
    /// The generated client carrying the tenant access token.
    token: TokenCache<Arc<genauth_api::Client>>,
    tenant_id: Option<String>,
}

impl fmt::Debug for TenantClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantClient")
            .field("host", &self.inner.conn.host)
            .field("client_id", &self.inner.client_id)
            .field("tenant_id", &self.inner.tenant_id)
            .field("retry", &self.inner.conn.retry)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TenantClient`]: the host and the application's client credentials are
/// required. (The tenant SSO API has no language header: `lang` changes nothing here.)
#[derive(Default)]
pub struct TenantClientBuilder {
    config: ClientConfig,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    tenant_id: Option<String>,
}

impl fmt::Debug for TenantClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantClientBuilder")
            .field("config", &self.config)
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

impl TenantClientBuilder {
    crate::config::config_setters!();

    /// The application's client id (required).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The application's client secret (required).
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into().into());
        self
    }

    /// Sends `x-tenant-id` on the SSO calls (required for ISV applications only).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<TenantClient> {
        let client_id = self
            .client_id
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| {
                Error::Config("client_id is required (GENAUTH_APP_ID for from_env)".into())
            })?;
        let client_secret = self
            .client_secret
            .filter(|s| !s.expose_secret().trim().is_empty())
            .ok_or_else(|| {
                Error::Config("client_secret is required (GENAUTH_APP_SECRET for from_env)".into())
            })?;
        if let Some(tenant_id) = &self.tenant_id {
            plain_header("tenant_id", tenant_id).map_err(|e| Error::Config(e.to_string()))?;
        }
        let connection = self.config.connect(None)?;
        Ok(TenantClient {
            inner: Arc::new(TenantInner {
                token: TokenCache::new(connection.time.clone()),
                conn: connection,
                client_id,
                client_secret,
                tenant_id: self.tenant_id,
            }),
        })
    }
}

/// The tenant access token as the SSO calls' credential: a 401 drops it and fetches one new
/// token.
struct TenantToken<'a>(&'a TenantInner);

impl Credential for TenantToken<'_> {
    type Grant = u64;

    async fn authorize(&self) -> Result<(Arc<genauth_api::Client>, u64)> {
        let inner = self.0;
        inner
            .token
            .get(|| async {
                let body = types::TenantTokenRequest {
                    grant_type: types::TenantTokenRequestGrantType::ClientCredentials,
                    client_id: inner.client_id.clone(),
                    client_secret: inner.client_secret.expose_secret().to_string(),
                };
                let answer = send(
                    &inner.conn.retry,
                    &inner.conn.api,
                    &op::GET_TENANT_TOKEN,
                    |api| {
                        let body = body.clone();
                        async move { api.get_tenant_token().body(body).send().await }
                    },
                )
                .await?;
                // The client that sends the token, made once per token.
                let mut headers = HeaderMap::new();
                insert(
                    &mut headers,
                    "authorization",
                    secret_header(&format!("Bearer {}", answer.access_token))?,
                );
                Ok((
                    Arc::new(inner.conn.api.with_headers(headers)),
                    lifetime(answer.expires_in),
                ))
            })
            .await
    }

    async fn renew(&self, generation: u64) -> Result<Option<Arc<genauth_api::Client>>> {
        self.0.token.invalidate(generation).await;
        self.authorize().await.map(|(api, _)| Some(api))
    }
}

impl TenantClient {
    /// A builder.
    pub fn builder() -> TenantClientBuilder {
        TenantClientBuilder::default()
    }

    /// A builder set from `GENAUTH_APP_HOST`, `GENAUTH_APP_ID` and `GENAUTH_APP_SECRET`, to
    /// adjust further before [`build`](TenantClientBuilder::build).
    pub fn from_env() -> TenantClientBuilder {
        let mut b = Self::builder();
        if let Some(v) = env("GENAUTH_APP_HOST") {
            b = b.host(v);
        }
        if let Some(v) = env("GENAUTH_APP_ID") {
            b = b.client_id(v);
        }
        if let Some(v) = env("GENAUTH_APP_SECRET") {
            b = b.client_secret(v);
        }
        b
    }

    /// One SSO call (they differ only by their body and generated call): the tenant access
    /// token as the credential (renewed once after a 401), the tenant header when there is one,
    /// never retried (each spends a session token or a ticket).
    fn sso_call<B, T, E, F, Fut>(
        &self,
        operation: &'static Operation,
        body: &B,
        call: F,
    ) -> impl std::future::Future<Output = Result<Box<T>>>
    where
        B: Clone,
        F: Fn(Arc<genauth_api::Client>, Option<String>, B) -> Fut,
        E: crate::exec::ServiceError,
        Fut: std::future::Future<Output = crate::exec::Generated<T, E>>,
    {
        let inner = &*self.inner;
        send(
            &inner.conn.retry,
            TenantToken(inner),
            operation,
            move |api| call(api, inner.tenant_id.clone(), body.clone()),
        )
    }

    /// Turns a session into a one-time SSO ticket; `device` must be the session's device.
    pub async fn sso_ticket(
        &self,
        session: &SocialSession,
        device: &DeviceContext,
    ) -> Result<SsoTicket> {
        let ip = device_ip(device)?;
        let body = types::SsoTicketRequest {
            session_token: session.session_token.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
            client_id: Some(device.client_id.clone()),
        };
        let answer = self
            .sso_call(
                &op::CREATE_SSO_TICKET,
                &body,
                |api, tenant, body| async move {
                    tenant!(api.create_sso_ticket(), tenant)
                        .body(body)
                        .send()
                        .await
                },
            )
            .await?;
        Ok(SsoTicket {
            ticket: answer.sso_ticket.into(),
            expires_at: expires_after(self.inner.conn.now(), answer.expire),
        })
    }

    /// Verifies a ticket (once) and answers its user. `device` is the device the ticket was
    /// issued for (the service checks its fingerprint).
    pub async fn verify_sso_ticket(
        &self,
        ticket: &SsoTicket,
        device: &DeviceContext,
    ) -> Result<SsoUser> {
        let ip = device_ip(device)?;
        let body = types::SsoTicketVerifyRequest {
            sso_ticket: ticket.ticket.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
        };
        let answer = self
            .sso_call(
                &op::VERIFY_SSO_TICKET,
                &body,
                |api, tenant, body| async move {
                    tenant!(api.verify_sso_ticket(), tenant)
                        .body(body)
                        .send()
                        .await
                },
            )
            .await?;
        Ok(answer.data.user)
    }

    /// Renews a session; the old session token stops working. `device` is the session's device.
    pub async fn refresh_session(
        &self,
        session: &SocialSession,
        device: &DeviceContext,
    ) -> Result<SocialSession> {
        let ip = device_ip(device)?;
        let body = types::SessionTokenRefreshRequest {
            session_token: session.session_token.expose_secret().to_string(),
            operating_sys_version: device.os_version.clone(),
            device_ip: ip,
            device_fingerprint: device.fingerprint.clone(),
            agent: Some(device.agent.clone()),
        };
        let answer = self
            .sso_call(
                &op::REFRESH_SESSION_TOKEN,
                &body,
                |api, tenant, body| async move {
                    tenant!(api.refresh_session_token(), tenant)
                        .body(body)
                        .send()
                        .await
                },
            )
            .await?;
        SocialSession::from_parts(
            op::REFRESH_SESSION_TOKEN.id,
            Some(answer.session_token),
            answer.id_token,
            Some(answer.expire),
            self.inner.conn.now(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lifetime_too_large_for_the_clock_does_not_panic() {
        for expire in [i64::MAX, i64::MAX - 1, -5, i64::MIN] {
            let session = SocialSession::from_parts(
                op::REFRESH_SESSION_TOKEN.id,
                Some("st".into()),
                None,
                Some(expire),
                SystemTime::now(),
            )
            .expect("a session");
            if expire > 0 {
                assert!(session.expires_at > SystemTime::now(), "{expire}");
            }
        }
    }
}
