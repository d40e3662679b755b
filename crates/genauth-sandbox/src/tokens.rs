//! JWTs the sandbox issues (HS256 with a key made at start-up) and checks against its clock.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of every sandbox token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id, or the user pool id for management tokens.
    pub sub: String,
    /// App id, or the user pool id.
    pub aud: String,
    /// The sandbox URL.
    pub iss: String,
    /// Issued at, seconds.
    pub iat: u64,
    /// Expiry, seconds.
    pub exp: u64,
    /// Unique id.
    pub jti: String,
    /// "access", "id" or "management".
    pub token_use: String,
    /// Scopes (access tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Phone, with its country code (id tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// User pool id (management tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoped_userpool_id: Option<String>,
}

/// Signs and checks tokens.
pub struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not a token of ours (bad signature, garbage).
    Invalid,
    /// Ours, but past its exp on the sandbox clock.
    Expired,
}

impl Signer {
    /// A signer with a fresh random key.
    pub fn new() -> Self {
        use rand::Rng;
        let key: [u8; 32] = rand::rng().random();
        let mut validation = Validation::new(Algorithm::HS256);
        // exp is checked against the sandbox clock, not the system one.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
        }
    }

    /// Signs `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        // HS256 over serialisable claims cannot fail; an empty token would be refused later.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .unwrap_or_default()
    }

    /// Checks a token's signature and expiry (`now_secs`).
    pub fn check(&self, token: &str, now_secs: u64) -> Result<Claims, TokenProblem> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenProblem::Invalid)?;
        if data.claims.exp <= now_secs {
            return Err(TokenProblem::Expired);
        }
        Ok(data.claims)
    }
}

impl Default for Signer {
    fn default() -> Self {
        Self::new()
    }
}
