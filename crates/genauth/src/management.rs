//! [`ManagementClient`]: user-pool administration with an access key pair.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use genauth_api::types;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use crate::auth::required_env;
use crate::cache::TokenCache;
use crate::error::{Error, Result};
use crate::retry::{Kind, RetryPolicy};
use crate::transport::{HttpSettings, call_v3, insert, missing_data, plain_header, secret_header};

#[derive(Clone)]
struct ManagementToken {
    token: SecretString,
    user_pool_id: String,
}

/// The client of user-pool management calls.
///
/// The management token is fetched with the access key pair on first use, cached, and renewed
/// a minute before it expires; concurrent callers share one fetch. The user pool id sent in
/// `x-authing-userpool-id` is read from the token's `scoped_userpool_id` claim.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
/// # let pool = sandbox.seed().user_pool;
/// use genauth::ManagementClient;
///
/// let management = ManagementClient::new(sandbox.url(), &pool.access_key_id, &pool.access_key_secret)?;
/// assert_eq!(management.user_pool_id().await?, pool.id);
/// // Link alice's WeChat account, so that her WeChat login signs her in.
/// management
///     .link_identity("6571c3a4e8d4e1b2c3d4a001", "wechat-idp", "openid-of-alice", Some("openid"))
///     .await?;
/// management.unlink_identity("6571c3a4e8d4e1b2c3d4a001", "wechat-idp", None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ManagementClient {
    api: genauth_api::Client,
    access_key_id: String,
    access_key_secret: SecretString,
    token: Arc<TokenCache<ManagementToken>>,
    retry: RetryPolicy,
    lang: Option<String>,
}

impl fmt::Debug for ManagementClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClient")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The user pool id in a management token (the JWT payload is URL-safe base64).
pub(crate) fn scoped_user_pool_id(token: &str) -> Result<String> {
    let bad = |why: &str| Error::Token(format!("the management token is not a usable JWT: {why}"));
    let payload = token.split('.').nth(1).ok_or_else(|| bad("no payload"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("the payload is not base64url"))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| bad("the payload is not JSON"))?;
    claims["scoped_userpool_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| bad("no scoped_userpool_id claim"))
}

impl ManagementClient {
    /// A client for `host` with an access key pair.
    pub fn new(host: &str, access_key_id: &str, access_key_secret: &str) -> Result<Self> {
        if access_key_id.trim().is_empty() || access_key_secret.trim().is_empty() {
            return Err(Error::Config(
                "access_key_id and access_key_secret are required".into(),
            ));
        }
        Ok(Self {
            api: HttpSettings::new(host)?.client()?,
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.to_string().into(),
            token: Arc::default(),
            retry: RetryPolicy::default(),
            lang: None,
        })
    }

    /// The language of the service's messages (`zh-CN`, `en-US`), sent as `x-authing-lang`.
    pub fn with_lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// The same client with another retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// From `GENAUTH_APP_HOST`, `GENAUTH_ACCESS_KEY_ID` and `GENAUTH_ACCESS_KEY_SECRET`.
    pub fn from_env() -> Result<Self> {
        Self::new(
            &required_env("GENAUTH_APP_HOST")?,
            &required_env("GENAUTH_ACCESS_KEY_ID")?,
            &required_env("GENAUTH_ACCESS_KEY_SECRET")?,
        )
    }

    /// The user pool id, from the management token (fetching one if needed).
    pub async fn user_pool_id(&self) -> Result<String> {
        self.authorized().await.map(|(_, pool)| pool)
    }

    async fn authorized(&self) -> Result<(genauth_api::Client, String)> {
        let t = self
            .token
            .get(|| async {
                let body = types::GetManagementAccessTokenDto {
                    access_key_id: self.access_key_id.clone(),
                    access_key_secret: self.access_key_secret.expose_secret().to_string(),
                };
                let answer = call_v3(&self.retry, Kind::Write, "getManagementToken", || {
                    let (api, body) = (self.api.clone(), body.clone());
                    async move { api.get_management_token().body(body).send().await }
                })
                .await?;
                let data = answer
                    .data
                    .ok_or_else(|| missing_data("getManagementToken"))?;
                let token = ManagementToken {
                    user_pool_id: scoped_user_pool_id(&data.access_token)?,
                    token: data.access_token.into(),
                };
                Ok((token, Duration::from_secs(data.expires_in.max(0) as u64)))
            })
            .await?;
        let mut headers = HeaderMap::new();
        insert(
            &mut headers,
            "authorization",
            secret_header(&format!("Bearer {}", t.token.expose_secret()))?,
        );
        insert(
            &mut headers,
            "x-authing-userpool-id",
            plain_header("user pool id", &t.user_pool_id)?,
        );
        if let Some(lang) = &self.lang {
            insert(&mut headers, "x-authing-lang", plain_header("lang", lang)?);
        }
        Ok((self.api.with_headers(headers), t.user_pool_id.clone()))
    }

    /// Links an external account (`user_id_in_idp` at identity source `ext_idp_id`) to a user.
    pub async fn link_identity(
        &self,
        user_id: &str,
        ext_idp_id: &str,
        user_id_in_idp: &str,
        kind: Option<&str>,
    ) -> Result<()> {
        let (api, _) = self.authorized().await?;
        let body = types::LinkIdentityDto {
            user_id: user_id.into(),
            ext_idp_id: ext_idp_id.into(),
            user_id_in_idp: user_id_in_idp.into(),
            type_: kind.map(Into::into),
        };
        call_v3(&self.retry, Kind::Write, "linkIdentity", || {
            let (api, body) = (api.clone(), body.clone());
            async move { api.link_identity().body(body).send().await }
        })
        .await
        .map(drop)
    }

    /// Unlinks a user's identities of identity source `ext_idp_id` (of `kind`, when given).
    pub async fn unlink_identity(
        &self,
        user_id: &str,
        ext_idp_id: &str,
        kind: Option<&str>,
    ) -> Result<()> {
        let (api, _) = self.authorized().await?;
        let body = types::UnlinkIdentityDto {
            user_id: user_id.into(),
            ext_idp_id: ext_idp_id.into(),
            type_: kind.map(Into::into),
        };
        call_v3(&self.retry, Kind::Write, "unlinkIdentity", || {
            let (api, body) = (api.clone(), body.clone());
            async move { api.unlink_identity().body(body).send().await }
        })
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::scoped_user_pool_id;
    use base64::Engine;

    #[test]
    fn the_pool_id_is_read_with_url_safe_base64() {
        // A payload whose base64 has '-' and '_' (the official Python SDK fails on these).
        let claims = r#"{"scoped_userpool_id":"pool-1","x":"??>>"}"#;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
        assert!(payload.contains('-') || payload.contains('_'), "{payload}");
        let token = format!("h.{payload}.s");
        assert_eq!(scoped_user_pool_id(&token).expect("pool"), "pool-1");
        assert!(scoped_user_pool_id("not-a-jwt").is_err());
    }
}
