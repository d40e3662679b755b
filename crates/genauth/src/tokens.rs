//! Token sets and the secret values the clients handle.

use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// The tokens of a signed-in user. Every token is a [`SecretString`]: `Debug` shows
/// `[REDACTED]`, and the memory is zeroed on drop.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub(crate) access_token: SecretString,
    pub(crate) id_token: Option<SecretString>,
    pub(crate) refresh_token: Option<SecretString>,
    pub(crate) token_type: String,
    pub(crate) scope: Option<String>,
    pub(crate) expires_at: SystemTime,
}

impl TokenSet {
    /// A token set from its parts (e.g. restored from your own storage).
    pub fn new(
        access_token: SecretString,
        refresh_token: Option<SecretString>,
        expires_at: SystemTime,
    ) -> Self {
        Self {
            access_token,
            id_token: None,
            refresh_token,
            token_type: "Bearer".into(),
            scope: None,
            expires_at,
        }
    }

    pub(crate) fn from_parts(
        access_token: String,
        id_token: Option<String>,
        refresh_token: Option<String>,
        token_type: String,
        scope: Option<String>,
        expires_in_secs: i64,
    ) -> Self {
        Self {
            access_token: access_token.into(),
            id_token: id_token.map(Into::into),
            refresh_token: refresh_token.map(Into::into),
            token_type,
            scope,
            expires_at: SystemTime::now() + Duration::from_secs(expires_in_secs.max(0) as u64),
        }
    }

    /// The access token (`expose_secret()` to read it).
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// The id token, when the sign-in gave one.
    pub fn id_token(&self) -> Option<&SecretString> {
        self.id_token.as_ref()
    }

    /// The refresh token, when the scope had `offline_access`.
    pub fn refresh_token(&self) -> Option<&SecretString> {
        self.refresh_token.as_ref()
    }

    /// `Bearer`.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The scopes granted.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// When the access token expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Whether the access token expires within `skew` from now.
    pub fn expires_within(&self, skew: Duration) -> bool {
        SystemTime::now() + skew >= self.expires_at
    }
}

/// A one-time SMS code, checked (4 to 8 digits) before it is sent and kept secret.
#[derive(Debug, Clone)]
pub struct PassCode(SecretString);

impl PassCode {
    /// Checks a code.
    pub fn new(code: &str) -> Result<Self> {
        let code = code.trim();
        if !(4..=8).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::input("pass code", "must be 4 to 8 digits"));
        }
        Ok(Self(code.to_string().into()))
    }

    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl TryFrom<&str> for PassCode {
    type Error = Error;

    fn try_from(code: &str) -> Result<Self> {
        Self::new(code)
    }
}

impl TryFrom<&String> for PassCode {
    type Error = Error;

    fn try_from(code: &String) -> Result<Self> {
        Self::new(code)
    }
}

impl TryFrom<String> for PassCode {
    type Error = Error;

    fn try_from(code: String) -> Result<Self> {
        Self::new(&code)
    }
}

/// Reads a required, non-empty secret.
pub(crate) fn non_empty(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::input(field, "is empty"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_codes_are_checked_and_hidden() {
        let code = PassCode::new(" 123456 ").expect("valid");
        assert_eq!(code.expose(), "123456");
        assert!(!format!("{code:?}").contains("123456"));
        for bad in ["", "12a456", "123", "123456789"] {
            assert!(PassCode::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_sets_hide_their_tokens() {
        let t = TokenSet::from_parts(
            "acc-secret".into(),
            Some("id-secret".into()),
            Some("ref-secret".into()),
            "Bearer".into(),
            None,
            60,
        );
        let debug = format!("{t:?}");
        for s in ["acc-secret", "id-secret", "ref-secret"] {
            assert!(!debug.contains(s), "{debug}");
        }
        assert!(!t.expires_within(Duration::from_secs(30)));
        assert!(t.expires_within(Duration::from_secs(61)));
    }
}
