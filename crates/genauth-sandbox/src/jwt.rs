//! JWTs the sandbox issues (HS256 with a key made at start-up) and checks against its clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

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
///
/// Every token it signs is also kept with its claims, so that checking a token this sandbox
/// issued is a map lookup instead of a base64 decode, an HMAC and two JSON parses (the JWT
/// checks were the largest cost of the sandbox's own code under load; docs/benchmarks.md). A
/// token that verifies can only have come from this signer, so the tokens accepted are the
/// same; one that is not in the map (pruned) is still verified the JWT way.
pub struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Keyed by the token's signature (short to hash), with the whole token to compare.
    issued: Mutex<HashMap<String, Issued>>,
}

struct Issued {
    token: String,
    claims: Arc<Claims>,
}

/// The signature part of a JWT (after the last dot).
fn signature(token: &str) -> &str {
    token.rsplit('.').next().unwrap_or(token)
}

/// At this many issued tokens, signing prunes the expired ones (and forgets them all if at
/// least half are still live, so that the scan stays rare).
const PRUNE_ABOVE: usize = 100_000;

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
            issued: Mutex::new(HashMap::new()),
        }
    }

    fn issued(&self) -> MutexGuard<'_, HashMap<String, Issued>> {
        // A panic elsewhere while holding the lock leaves the map usable.
        self.issued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many issued tokens are kept (tests).
    #[cfg(test)]
    pub(crate) fn issued_len(&self) -> usize {
        self.issued().len()
    }

    /// Signs `claims`.
    pub fn sign(&self, claims: Claims) -> String {
        // HS256 over serialisable claims cannot fail; an empty token would be refused later.
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default();
        if !token.is_empty() {
            let mut issued = self.issued();
            if issued.len() >= PRUNE_ABOVE {
                issued.retain(|_, i| i.claims.exp > claims.iat);
                // Still full of live tokens: start again rather than scan on every signing;
                // the dropped ones are verified as JWTs.
                if issued.len() >= PRUNE_ABOVE / 2 {
                    issued.clear();
                }
            }
            issued.insert(
                signature(&token).to_string(),
                Issued {
                    token: token.clone(),
                    claims: Arc::new(claims),
                },
            );
        }
        token
    }

    /// Checks a token's signature and expiry (`now_secs`).
    pub fn check(&self, token: &str, now_secs: u64) -> Result<Arc<Claims>, TokenProblem> {
        let known = self
            .issued()
            .get(signature(token))
            .filter(|i| i.token == token)
            .map(|i| Arc::clone(&i.claims));
        let claims = match known {
            Some(claims) => claims,
            None => Arc::new(
                jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
                    .map_err(|_| TokenProblem::Invalid)?
                    .claims,
            ),
        };
        if claims.exp <= now_secs {
            return Err(TokenProblem::Expired);
        }
        Ok(claims)
    }
}

impl Default for Signer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "user".into(),
            aud: "app".into(),
            iss: "http://sandbox".into(),
            iat: 100,
            exp,
            jti: "jti".into(),
            token_use: "access".into(),
            scope: None,
            phone_number: None,
            scoped_userpool_id: None,
        }
    }

    #[test]
    fn issued_tokens_check_out_until_they_expire() {
        let signer = Signer::new();
        let token = signer.sign(claims(200));
        assert_eq!(
            signer.check(&token, 150).map(|c| c.sub.clone()),
            Ok("user".into())
        );
        assert_eq!(signer.check(&token, 200).err(), Some(TokenProblem::Expired));
    }

    #[test]
    fn a_token_not_in_the_map_is_verified_as_a_jwt() {
        let signer = Signer::new();
        let token = signer.sign(claims(200));
        signer.issued().clear();
        assert_eq!(
            signer.check(&token, 150).map(|c| c.aud.clone()),
            Ok("app".into())
        );
        assert_eq!(signer.check(&token, 250).err(), Some(TokenProblem::Expired));
    }

    #[test]
    fn forged_and_foreign_tokens_are_invalid() {
        let signer = Signer::new();
        let token = signer.sign(claims(200));
        // Another sandbox's token (another key), and this one with its signature changed.
        let foreign = Signer::new().sign(claims(200));
        assert_eq!(
            signer.check(&foreign, 150).err(),
            Some(TokenProblem::Invalid)
        );
        // One signature character changed (not the last, whose low bits are padding).
        let at = token.len() - 5;
        let swap = if &token[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{swap}{}", &token[..at], &token[at + 1..]);
        assert_eq!(
            signer.check(&forged, 150).err(),
            Some(TokenProblem::Invalid)
        );
        assert_eq!(
            signer.check("not a jwt", 150).err(),
            Some(TokenProblem::Invalid)
        );
        // Other claims under this token's signature: the lookup by signature does not take it
        // for the token it copied.
        let copied = format!("eyJhbGciOiJIUzI1NiJ9.e30.{}", signature(&token));
        assert_eq!(
            signer.check(&copied, 150).err(),
            Some(TokenProblem::Invalid)
        );
    }

    #[test]
    fn signing_prunes_expired_tokens_when_the_map_is_full() {
        let signer = Signer::new();
        {
            let mut issued = signer.issued();
            for i in 0..PRUNE_ABOVE {
                let claims = Arc::new(claims(50));
                let token = format!("old{i}");
                issued.insert(token.clone(), Issued { token, claims });
            }
        }
        let token = signer.sign(claims(200));
        assert_eq!(signer.issued().len(), 1);
        assert!(signer.check(&token, 150).is_ok());
    }

    #[test]
    fn a_map_full_of_live_tokens_is_forgotten_and_they_still_check_out() {
        let signer = Signer::new();
        let live: Vec<String> = (0..PRUNE_ABOVE)
            .map(|i| {
                let mut c = claims(200);
                c.jti = format!("jti{i}");
                signer.sign(c)
            })
            .collect();
        assert_eq!(signer.issued().len(), PRUNE_ABOVE);
        let newest = signer.sign(claims(300));
        assert_eq!(signer.issued().len(), 1);
        assert!(signer.check(&live[0], 150).is_ok(), "verified as a JWT");
        assert!(signer.check(&newest, 150).is_ok());
    }
}
