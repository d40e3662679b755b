//! What the sandbox is seeded with: apps, the user pool and its access key, users, limits.
//!
//! [`Config::default`] is a ready-made tenant; [`Config::from_file`] reads the same shape from
//! JSON (see the crate README for an example).

use serde::{Deserialize, Serialize};

/// How an app authenticates at the token endpoints (`/api/v3/signin`, `/oidc/token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// client_id and client_secret in the request body.
    #[default]
    ClientSecretPost,
    /// `authorization: Basic base64(client_id:client_secret)`.
    ClientSecretBasic,
    /// client_id only.
    None,
}

/// What a social login of an account linked to no user answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UnlinkedSocial {
    /// SOCIAL_BIND: verify a mobile number and bind the account to its user (social/bind).
    #[default]
    Bind,
    /// USER_REGISTER: register a user with a mobile number (social/register-bind).
    Register,
}

/// A one-time social authorization code and the external account it stands for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SocialCode {
    /// The code a client sends to login/wechat.
    pub code: String,
    /// Provider, e.g. "wechat".
    #[serde(default = "default_provider")]
    pub provider: String,
    /// The account's id at the provider (the WeChat openid).
    #[serde(rename = "userIdInIdp")]
    pub user_id_in_idp: String,
}

fn default_provider() -> String {
    "wechat".into()
}

/// An application.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppConfig {
    /// App id (x-authing-app-id, client_id).
    pub id: String,
    /// App secret.
    pub secret: String,
    /// Token endpoint auth method.
    #[serde(default)]
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// Access and id token lifetime, seconds.
    #[serde(default = "default_access_ttl")]
    pub access_token_ttl_secs: u64,
    /// Refresh token lifetime, seconds.
    #[serde(default = "default_refresh_ttl")]
    pub refresh_token_ttl_secs: u64,
    /// What login/wechat answers for an unlinked account (the app's "unassociated user"
    /// setting): SOCIAL_BIND or USER_REGISTER.
    #[serde(default)]
    pub unlinked_social: UnlinkedSocial,
    /// Digits of the SMS codes sent for this app: 4 by default, as the service; 6 possible.
    #[serde(default = "default_code_length")]
    pub sms_code_length: u8,
    /// How token sets spell the access token's lifetime. `None` (the default) answers as the
    /// service's own models: `expire_in` from `/api/v3/signin`, `expires_in` (OAuth) from
    /// `/oidc/token`. Tests set one spelling for both to prove a client reads either.
    #[serde(default)]
    pub lifetime_field: Option<LifetimeField>,
    /// Calls per window the app may make to `/api/v3` before it is answered HTTP 429 (the
    /// service limits calls per user pool); `None`, the default, for no limit.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// When set, `/api/v2/sdk/sms/send` requires this `captcha_token` (as an app that asks for a
    /// graphic captcha first): missing or different is refused with CAPTCHA.0004.
    #[serde(default)]
    pub captcha_token: Option<String>,
}

/// The name of the lifetime in a token set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LifetimeField {
    /// `expire_in`, the spelling of the service's models.
    #[serde(rename = "expire_in")]
    ExpireIn,
    /// `expires_in`, the OAuth spelling.
    #[serde(rename = "expires_in")]
    ExpiresIn,
}

/// A fixed-window rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Calls allowed per window.
    pub requests: u32,
    /// The window, seconds.
    pub per_secs: u64,
}

fn default_code_length() -> u8 {
    4
}

/// The user pool and its access key pair.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserPoolConfig {
    /// User pool id (the management token's scoped_userpool_id).
    pub id: String,
    /// Access key id.
    pub access_key_id: String,
    /// Access key secret.
    pub access_key_secret: String,
    /// Management token lifetime, seconds.
    #[serde(default = "default_management_ttl")]
    pub management_token_ttl_secs: u64,
}

/// A seeded user.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct UserConfig {
    /// User id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// User name.
    #[serde(default)]
    pub username: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Password (the sandbox keeps it in memory only).
    #[serde(default)]
    pub password: Option<String>,
    /// Mobile number without the country code.
    #[serde(default)]
    pub phone: Option<String>,
    /// Country calling code, "+86" when absent.
    #[serde(default)]
    pub phone_country_code: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Lifetimes and limits; the defaults are the documented ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    /// How long an SMS code stays valid, seconds (300).
    pub code_ttl_secs: u64,
    /// Minimum time between two codes to one phone on one channel, seconds (60).
    pub resend_interval_secs: u64,
    /// Wrong tries that burn a code (5).
    pub max_code_attempts: u32,
    /// Lifetime of an updatePhoneToken, seconds (60).
    pub update_phone_token_ttl_secs: u64,
    /// Lifetime of a password reset token, seconds (300).
    #[serde(default = "default_reset_ttl")]
    pub password_reset_token_ttl_secs: u64,
    /// Largest accepted request body, bytes (64 KiB).
    pub max_body_bytes: usize,
    /// Lifetime of a social login's state_token, seconds (600).
    #[serde(default = "default_state_ttl")]
    pub state_token_ttl_secs: u64,
    /// Lifetime of a session_token, seconds (604800).
    #[serde(default = "default_session_ttl")]
    pub session_ttl_secs: u64,
    /// Lifetime of a social id_token, seconds (7200).
    #[serde(default = "default_management_ttl")]
    pub social_id_token_ttl_secs: u64,
    /// Lifetime of an SSO ticket, seconds (300).
    #[serde(default = "default_ticket_ttl")]
    pub sso_ticket_ttl_secs: u64,
    /// Lifetime of a tenant access token, seconds (1800).
    #[serde(default = "default_tenant_ttl")]
    pub tenant_token_ttl_secs: u64,
    /// A connection that has not sent a whole request head this long after the server started
    /// waiting for one is closed, seconds (10). hyper runs one timer for both cases, so this
    /// is also how long a kept-alive connection may sit idle between two requests.
    #[serde(default = "default_header_read_timeout")]
    pub header_read_timeout_secs: u64,
    /// The whole request body must arrive within this, seconds (10); a slower one is refused.
    #[serde(default = "default_body_read_timeout")]
    pub body_read_timeout_secs: u64,
    /// Connections open at once (20,000); one more is closed as soon as it is accepted.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
}

fn default_header_read_timeout() -> u64 {
    10
}
fn default_body_read_timeout() -> u64 {
    10
}
fn default_max_connections() -> usize {
    20_000
}

fn default_state_ttl() -> u64 {
    600
}
fn default_session_ttl() -> u64 {
    604_800
}
fn default_reset_ttl() -> u64 {
    300
}
fn default_ticket_ttl() -> u64 {
    300
}
fn default_tenant_ttl() -> u64 {
    1800
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            code_ttl_secs: 300,
            resend_interval_secs: 60,
            max_code_attempts: 5,
            update_phone_token_ttl_secs: 60,
            password_reset_token_ttl_secs: default_reset_ttl(),
            max_body_bytes: 64 * 1024,
            state_token_ttl_secs: default_state_ttl(),
            session_ttl_secs: default_session_ttl(),
            social_id_token_ttl_secs: default_management_ttl(),
            sso_ticket_ttl_secs: default_ticket_ttl(),
            tenant_token_ttl_secs: default_tenant_ttl(),
            header_read_timeout_secs: default_header_read_timeout(),
            body_read_timeout_secs: default_body_read_timeout(),
            max_connections: default_max_connections(),
        }
    }
}

/// The whole seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Applications; the first is the default one.
    pub apps: Vec<AppConfig>,
    /// The user pool.
    pub user_pool: UserPoolConfig,
    /// Users.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// Social authorization codes known from the start (more through
    /// `SandboxHandle::add_social_code` or `POST /__sandbox/social-codes`).
    #[serde(default)]
    pub social_codes: Vec<SocialCode>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// The identity sources the applications enable (get-application-enabled-extidps).
    #[serde(default = "default_ext_idps")]
    pub ext_idps: Vec<ExtIdpConfig>,
}

/// An identity source the applications enable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtIdpConfig {
    /// The connection identifier (`ext_idp_conn_identifier`).
    pub identifier: String,
    /// The identity source id (`extIdpId`).
    pub ext_idp_id: String,
    /// The provider type: `wechat`, `github`, `oidc` ...
    pub kind: String,
    /// `social` or `enterprise`.
    pub ext_idp_type: String,
    /// Its name.
    pub name: String,
}

fn default_ext_idps() -> Vec<ExtIdpConfig> {
    vec![ExtIdpConfig {
        identifier: "wechat-mobile".into(),
        ext_idp_id: "wechat-idp".into(),
        kind: "wechat".into(),
        ext_idp_type: "social".into(),
        name: "WeChat".into(),
    }]
}

fn default_access_ttl() -> u64 {
    1_209_600
}
fn default_refresh_ttl() -> u64 {
    2_592_000
}
fn default_management_ttl() -> u64 {
    7_200
}

impl Default for Config {
    /// One app of each token endpoint auth method, a user pool, and two users: `alice`, who
    /// signed up with a user name and password and has no phone yet (the seeds' scenario), and
    /// `bob`, who has the phone 13800138000.
    fn default() -> Self {
        let app = |id: &str, secret: &str, method| AppConfig {
            id: id.into(),
            secret: secret.into(),
            token_endpoint_auth_method: method,
            access_token_ttl_secs: default_access_ttl(),
            refresh_token_ttl_secs: default_refresh_ttl(),
            unlinked_social: UnlinkedSocial::Bind,
            sms_code_length: default_code_length(),
            lifetime_field: None,
            rate_limit: None,
            captcha_token: None,
        };
        Self {
            apps: vec![
                app(
                    "6571c3a4e8d4e1b2c3d4e5f6",
                    "sandbox-secret-post-0f3c9a7e",
                    TokenEndpointAuthMethod::ClientSecretPost,
                ),
                app(
                    "6571c3a4e8d4e1b2c3d4e5f7",
                    "sandbox-secret-basic-5b1d2e8f",
                    TokenEndpointAuthMethod::ClientSecretBasic,
                ),
                app(
                    "6571c3a4e8d4e1b2c3d4e5f8",
                    "sandbox-secret-none-9a4c6d1b",
                    TokenEndpointAuthMethod::None,
                ),
            ],
            user_pool: UserPoolConfig {
                id: "6571c3a4e8d4e1b2c3d4e500".into(),
                access_key_id: "6571c3a4e8d4e1b2c3d4e500".into(),
                access_key_secret: "sandbox-access-key-secret-7e2f4a9c".into(),
                management_token_ttl_secs: default_management_ttl(),
            },
            users: vec![
                UserConfig {
                    id: Some("6571c3a4e8d4e1b2c3d4a001".into()),
                    username: Some("alice".into()),
                    email: Some("alice@example.com".into()),
                    password: Some("alice-password-1".into()),
                    name: Some("Alice".into()),
                    ..Default::default()
                },
                UserConfig {
                    id: Some("6571c3a4e8d4e1b2c3d4a002".into()),
                    username: Some("bob".into()),
                    password: Some("bob-password-1".into()),
                    phone: Some("13800138000".into()),
                    phone_country_code: Some("+86".into()),
                    name: Some("Bob".into()),
                    ..Default::default()
                },
            ],
            social_codes: Vec::new(),
            limits: Limits::default(),
            ext_idps: default_ext_idps(),
        }
    }
}

impl Config {
    /// Reads a config from a JSON file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, crate::Error> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::Config {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let config: Self = serde_json::from_str(&text).map_err(|e| crate::Error::Config {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        config.check().map_err(|reason| crate::Error::Config {
            path: path.display().to_string(),
            reason,
        })?;
        Ok(config)
    }

    /// Checks the config makes sense (at least one app, unique ids).
    pub fn check(&self) -> Result<(), String> {
        if self.apps.is_empty() {
            return Err("at least one app is needed".into());
        }
        let mut ids: Vec<&str> = self.apps.iter().map(|a| a.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != self.apps.len() {
            return Err("app ids must be unique".into());
        }
        if self.limits.max_connections == 0
            || self.limits.header_read_timeout_secs == 0
            || self.limits.body_read_timeout_secs == 0
        {
            return Err("limits: max_connections and the read timeouts must be above 0".into());
        }
        for app in &self.apps {
            if !(4..=8).contains(&app.sms_code_length) {
                return Err(format!(
                    "app {}: sms_code_length must be 4 to 8 digits, not {}",
                    app.id, app.sms_code_length
                ));
            }
            if let Some(limit) = app.rate_limit
                && (limit.requests == 0 || limit.per_secs == 0)
            {
                return Err(format!(
                    "app {}: rate_limit needs requests and per_secs above 0",
                    app.id
                ));
            }
        }
        Ok(())
    }
}

/// Settings that `PUT /__sandbox/settings` changes for every app, over the seed's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// Digits of the SMS codes (4 to 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_code_length: Option<u8>,
    /// Lifetime of access and id tokens, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl_secs: Option<u64>,
    /// The apps' rate limit; `null` removes every app's.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub rate_limit: Option<Option<RateLimit>>,
    /// How token sets spell their lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_field: Option<LifetimeField>,
}

/// A field that may be `null`: absent is `None`, `null` is `Some(None)`.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_config_example_loads() {
        let readme = include_str!("../README.md");
        let start = readme.find("```json\n").expect("json block") + 8;
        let end = start + readme[start..].find("```").expect("end of block");
        let path = std::env::temp_dir().join(format!("sandbox-{}.json", std::process::id()));
        std::fs::write(&path, &readme[start..end]).expect("write");
        let config = Config::from_file(&path).expect("loads");
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            config.apps[0].token_endpoint_auth_method,
            TokenEndpointAuthMethod::ClientSecretBasic
        );
        assert_eq!(config.users[0].username.as_deref(), Some("carol"));
        assert_eq!(config.apps[0].access_token_ttl_secs, 1_209_600);
        assert_eq!(config.ext_idps[0].ext_idp_id, "wechat-idp");
        assert_eq!(config.limits.password_reset_token_ttl_secs, 300);
    }

    #[test]
    fn a_bad_config_names_the_file_and_the_problem() {
        let path = std::env::temp_dir().join(format!("sandbox-bad-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"apps": [], "user_pool": {"id": "p", "access_key_id": "p", "access_key_secret": "s"}}"#)
            .expect("write");
        let err = Config::from_file(&path).expect_err("no apps").to_string();
        let _ = std::fs::remove_file(&path);
        assert!(
            err.contains("sandbox-bad-") && err.contains("at least one app"),
            "{err}"
        );
    }
}
