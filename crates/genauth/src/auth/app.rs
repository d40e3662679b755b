//! What every client of one app shares, whichever its user ([`App`]): its generated client
//! and headers, its settings, and its authentication at the token endpoints (the client auth
//! method, and the refresh grant).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use genauth_api::types;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Connection;
use crate::error::{Error, Result};
use crate::exec::send;
use crate::tokens::TokenSet;
use crate::transport::{insert, secret_header};
use genauth_api::operations as op;

/// How the app authenticates at the token endpoints (`/api/v3/signin`, `/oidc/token`).
///
/// Set it to what the application's console says; it parses from the console's names too:
///
/// ```
/// use genauth::TokenEndpointAuthMethod;
///
/// let method: TokenEndpointAuthMethod = "client_secret_basic".parse()?;
/// assert_eq!(method, TokenEndpointAuthMethod::ClientSecretBasic);
/// assert!("client_secret_jwt".parse::<TokenEndpointAuthMethod>().is_err());
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenEndpointAuthMethod {
    /// `client_id` and `client_secret` in the request body (the official SDKs' default).
    #[default]
    ClientSecretPost,
    /// `authorization: Basic base64(app_id:app_secret)`.
    ClientSecretBasic,
    /// `client_id` only (public clients).
    None,
}

impl std::str::FromStr for TokenEndpointAuthMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "none" => Ok(Self::None),
            other => Err(Error::Config(format!(
                "token endpoint auth method {other:?} is not client_secret_post, client_secret_basic or none"
            ))),
        }
    }
}

/// What every client of one app shares, whichever its user.
pub(crate) struct App {
    /// The shared connection settings: the generated client, host, retries, clock.
    pub(crate) conn: Connection,
    /// `conn.api` with the app headers, made once.
    /// Shared, so that a call takes a reference count rather than a copy of the client.
    pub(crate) app_api: Arc<genauth_api::Client>,
    pub(crate) app_id: String,
    pub(crate) app_secret: Option<SecretString>,
    pub(crate) method: TokenEndpointAuthMethod,
    pub(crate) app_headers: HeaderMap,
    pub(crate) refresh_skew: Duration,
    /// How long callers get a failed refresh's error at once.
    pub(crate) refresh_backoff: Duration,
    /// How long a fleet's refresh lease lasts: a refresh request's timeout and a margin.
    pub(crate) lease_ttl: Duration,
}

impl App {
    /// The app's authentication at a token endpoint: a Basic header added to `headers`, or the
    /// `(client_id, client_secret)` to put in the body.
    pub(crate) fn client_auth(
        &self,
        headers: &mut HeaderMap,
    ) -> Result<(Option<String>, Option<String>)> {
        let secret = || {
            self.app_secret
                .as_ref()
                .map(|s| s.expose_secret().to_string())
                .unwrap_or_default()
        };
        let id = self.app_id.clone();
        Ok(match self.method {
            TokenEndpointAuthMethod::ClientSecretPost => (Some(id), Some(secret())),
            TokenEndpointAuthMethod::ClientSecretBasic => {
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{}", secret()));
                insert(
                    headers,
                    "authorization",
                    secret_header(&format!("Basic {basic}"))?,
                );
                (None, None)
            }
            TokenEndpointAuthMethod::None => (Some(id), None),
        })
    }

    /// `/oidc/token` with the refresh token of `current` and the app's client auth method
    /// (one flight at a time: see `refresh.rs`, which saves the answer). Refresh tokens
    /// rotate: the answer's replaces it.
    pub(crate) async fn refresh_grant(&self, current: &TokenSet) -> Result<TokenSet> {
        let refresh = current.refresh_token().ok_or_else(|| {
            Error::Token("no refresh token (sign in with scope offline_access)".into())
        })?;
        let mut headers = HeaderMap::new();
        let (client_id, client_secret) = self.client_auth(&mut headers)?;
        let body = types::OidcTokenRequest {
            grant_type: types::OidcTokenRequestGrantType::RefreshToken,
            refresh_token: Some(refresh.expose_secret().to_string()),
            client_id,
            client_secret,
            code: None,
            code_verifier: None,
            redirect_uri: None,
        };
        let api = Arc::new(self.conn.api.with_headers(headers));
        let answer = send(
            &self.conn.retry,
            &api,
            &op::GET_NEW_ACCESS_TOKEN_BY_REFRESH_TOKEN,
            |api| {
                let body = body.clone();
                async move {
                    api.get_new_access_token_by_refresh_token()
                        .body(body)
                        .send()
                        .await
                }
            },
        )
        .await
        .map_err(|e| match e {
            Error::OAuth(refused) => Error::RefreshRefused(refused),
            other => other,
        })?;
        let previous_id_token = current.id_token().map(|t| t.expose_secret().to_string());
        TokenSet::from_answer(
            op::GET_NEW_ACCESS_TOKEN_BY_REFRESH_TOKEN.id,
            *answer,
            previous_id_token,
            self.conn.now(),
        )
    }
}
