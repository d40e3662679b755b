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

/// The host of the official SDKs' management clients, used when none is given.
pub const DEFAULT_MANAGEMENT_HOST: &str = "https://api.genauth.ai";

/// How a [`ManagementClient`] authenticates its calls. The service accepts both.
///
/// The default is [`Signature`](Self::Signature): no extra round trip for a token, no token to
/// cache, renew or lose to a 401, the access key secret never travels, and each request is good
/// once (its nonce) within a short window of its `date`. It needs the host's clock within
/// 15 minutes of the service's. [`Token`](Self::Token) is what the Python, Java and Go SDKs do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ManagementAuth {
    /// Every request signed with the access key pair (HMAC-SHA1), as the Node and C# SDKs do:
    /// `authorization: authing <accessKeyId>:<signature>` with `date` and
    /// `x-authing-signature-*` headers (see [`genauth_api::signature`]).
    #[default]
    Signature,
    /// A management token from get-management-token (fetched on first use, cached, renewed a
    /// minute before it expires) as `authorization: Bearer`, with the user pool id in
    /// `x-authing-userpool-id` and `x-genauth-userpool-id`.
    Token,
}

/// Signs management requests with the access key pair.
struct AccessKeySigner {
    key_id: String,
    secret: SecretString,
}

impl genauth_api::RequestSigner for AccessKeySigner {
    fn sign(&self, request: &mut reqwest::Request) -> std::result::Result<(), String> {
        use genauth_api::signature::{METHOD, VERSION, sign, signed_params, string_to_sign};
        use reqwest::header::{HeaderName, HeaderValue};
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)
            .map_err(|e| format!("no randomness for the signature nonce: {e}"))?;
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let headers = request.headers_mut();
        for (name, value) in [
            ("date", date.as_str()),
            ("x-authing-signature-nonce", nonce.as_str()),
            ("x-authing-signature-method", METHOD),
            ("x-authing-signature-version", VERSION),
        ] {
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            headers.insert(HeaderName::from_static(name), value);
        }
        let method = request.method().as_str().to_string();
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or_default();
        let params = signed_params(&method, request.url().query(), body);
        let text = string_to_sign(&method, request.url().path(), request.headers(), &params);
        let signature = sign(self.secret.expose_secret(), &text);
        let mut value = HeaderValue::from_str(&format!("authing {}:{signature}", self.key_id))
            .map_err(|_| "the access key id cannot travel in a header".to_string())?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Ok(())
    }
}

#[derive(Clone)]
struct ManagementToken {
    token: SecretString,
    user_pool_id: String,
}

/// The client of user-pool management calls.
///
/// By default every call is signed with the access key pair ([`ManagementAuth::Signature`]).
/// With [`ManagementAuth::Token`] a management token is fetched with the access key pair on
/// first use, cached, and renewed a minute before it expires; concurrent callers share one
/// fetch, and the user pool id sent with it is read from the token's `scoped_userpool_id` claim.
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
/// // Signed requests by default; a management token instead:
/// let with_token = management.clone().with_auth(genauth::ManagementAuth::Token);
/// // Link alice's WeChat account, so that her WeChat login signs her in.
/// management
///     .link_identity("6571c3a4e8d4e1b2c3d4a001", "wechat-idp", "openid-of-alice", Some("openid"))
///     .await?;
/// with_token.unlink_identity("6571c3a4e8d4e1b2c3d4a001", "wechat-idp", None).await?;
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
    auth: ManagementAuth,
}

impl fmt::Debug for ManagementClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClient")
            .field("access_key_id", &self.access_key_id)
            .field("auth", &self.auth)
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
            auth: ManagementAuth::default(),
        })
    }

    /// The language of the service's messages (`zh-CN`, `en-US`), sent as `x-authing-lang`
    /// (and `x-genauth-lang` with a management token).
    pub fn with_lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// The same client authenticating the other way (see [`ManagementAuth`]).
    pub fn with_auth(mut self, auth: ManagementAuth) -> Self {
        self.auth = auth;
        self
    }

    /// The same client with another retry policy.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// From `GENAUTH_ACCESS_KEY_ID`, `GENAUTH_ACCESS_KEY_SECRET` and `GENAUTH_HOST` (or
    /// `GENAUTH_APP_HOST`; [`DEFAULT_MANAGEMENT_HOST`] when neither is set).
    pub fn from_env() -> Result<Self> {
        let host = ["GENAUTH_HOST", "GENAUTH_APP_HOST"]
            .into_iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| DEFAULT_MANAGEMENT_HOST.to_string());
        Self::new(
            &host,
            &required_env("GENAUTH_ACCESS_KEY_ID")?,
            &required_env("GENAUTH_ACCESS_KEY_SECRET")?,
        )
    }

    /// The user pool id, from a management token's `scoped_userpool_id` claim (fetching one
    /// with the access key pair if needed, whichever the [`ManagementAuth`]).
    pub async fn user_pool_id(&self) -> Result<String> {
        self.token_client().await.map(|(_, pool)| pool)
    }

    /// The generated client that authenticates a management call as configured.
    async fn authorized(&self) -> Result<genauth_api::Client> {
        match self.auth {
            ManagementAuth::Token => self.token_client().await.map(|(api, _)| api),
            ManagementAuth::Signature => self.signing_client(),
        }
    }

    /// Signed requests: only the x-authing- family, so that the headers the service
    /// canonicalises are exactly the ones signed (as the Node SDK sends them).
    fn signing_client(&self) -> Result<genauth_api::Client> {
        let mut headers = HeaderMap::new();
        insert(
            &mut headers,
            "x-authing-sdk-version",
            reqwest::header::HeaderValue::from_static(concat!("rust:", env!("CARGO_PKG_VERSION"))),
        );
        if let Some(lang) = &self.lang {
            insert(&mut headers, "x-authing-lang", plain_header("lang", lang)?);
        }
        let signer = AccessKeySigner {
            key_id: self.access_key_id.clone(),
            secret: self.access_key_secret.clone(),
        };
        Ok(self.api.with_headers(headers).with_signer(Arc::new(signer)))
    }

    async fn token_client(&self) -> Result<(genauth_api::Client, String)> {
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
        // Both header families: the service reads either (see the README's "Headers").
        let pool = plain_header("user pool id", &t.user_pool_id)?;
        insert(&mut headers, "x-authing-userpool-id", pool.clone());
        insert(&mut headers, "x-genauth-userpool-id", pool);
        if let Some(lang) = &self.lang {
            let lang = plain_header("lang", lang)?;
            insert(&mut headers, "x-authing-lang", lang.clone());
            insert(&mut headers, "x-genauth-lang", lang);
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
        let api = self.authorized().await?;
        let body = types::LinkIdentityDto {
            user_id: user_id.into(),
            ext_idp_id: ext_idp_id.into(),
            user_id_in_idp: user_id_in_idp.into(),
            type_: kind.map(Into::into),
            is_social: None,
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
        let api = self.authorized().await?;
        let body = types::UnlinkIdentityDto {
            user_id: user_id.into(),
            ext_idp_id: ext_idp_id.into(),
            type_: kind.map(Into::into),
            is_social: None,
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
