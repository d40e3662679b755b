//! One error type for every call of the crate.

use std::fmt;
use std::sync::Arc;

/// The result of every fallible call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, with what the service said kept intact.
///
/// Secrets never appear in the text of an error: body excerpts have their token fields masked,
/// and inputs that carry secrets are named, not quoted.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = genauth_sandbox::Sandbox::builder().start().await?;
/// # let seed = sandbox.seed();
/// # let client = genauth::AuthenticationClient::builder()
/// #     .app_id(&seed.app.id)
/// #     .app_secret(&seed.app.secret)
/// #     .host(sandbox.url())
/// #     .build()?;
/// use genauth::{ApiCode, Error, PhoneNumber};
///
/// // Bad input is refused before anything is sent.
/// let bad = PhoneNumber::parse("12345").unwrap_err();
/// assert!(matches!(bad, Error::InvalidInput { field: "phone number", .. }));
///
/// // A refusal keeps what the service said: statusCode, apiCode, message and requestId.
/// client.sign_in_by_username_password("alice", "alice-password-1").await?;
/// let phone = PhoneNumber::parse("+86 188 0000 8888")?;
/// client.send_bind_phone_code(&phone).await?;
/// # let sent = sandbox.last_code("18800008888", "CHANNEL_BIND_PHONE").unwrap_or_default();
/// # let wrong = if sent == "000000" { "111111" } else { "000000" };
/// let err = client.bind_phone(&phone, wrong).await.unwrap_err();
/// assert_eq!(err.api_code(), Some(ApiCode::VerificationCodeWrong));
/// assert!(err.request_id().is_some());
/// assert!(!err.is_retryable());
/// match err {
///     Error::Api { status_code, message, .. } => println!("{status_code}: {message}"),
///     other => return Err(other.into()),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `/api/v3` call answered an envelope whose statusCode is not 200 (whatever the HTTP
    /// status).
    #[error("{operation}: GenAuth answered statusCode {status_code}{}: {message}{}",
        api_code.map(|c| format!(" (apiCode {c})")).unwrap_or_default(),
        request_id.as_ref().map(|r| format!(" [requestId {r}]")).unwrap_or_default())]
    Api {
        /// The operation (its operationId).
        operation: &'static str,
        /// The envelope's statusCode (400, 401, 403, 404, 409, 422, 429, 500 ...).
        status_code: i64,
        /// The envelope's apiCode exactly as the service sent it, when it had one
        /// ([`Error::api_code`] gives its typed group).
        api_code: Option<i64>,
        /// The envelope's message.
        message: String,
        /// The envelope's requestId: quote it to GenAuth support.
        request_id: Option<String>,
        /// `Retry-After` in seconds, when the service answered HTTP 429 with one.
        retry_after: Option<u64>,
        /// The HTTP status: 200 for a refusal in the envelope, 429 when throttled.
        http_status: u16,
    },
    /// An `/api/v2` call answered HTTP 400 `{error_code, error_msg}`.
    #[error("{operation}: GenAuth answered {error_code}: {error_msg}")]
    Social {
        /// The operation.
        operation: &'static str,
        /// The dotted error code, e.g. `SDK.COMMON.1007`.
        error_code: String,
        /// The detail.
        error_msg: String,
    },
    /// The OAuth token endpoint refused (invalid_grant, invalid_client ...).
    #[error("{}: OAuth error {}", .0.operation, .0.described())]
    OAuth(OAuthError),
    /// The token endpoint refused to renew the session (`invalid_grant`: the refresh token was
    /// rotated away, revoked or expired; `invalid_client`: the app's credentials): the user
    /// must sign in again. The OAuth error is kept.
    #[error("{}: the refresh was refused: OAuth error {}", .0.operation, .0.described())]
    RefreshRefused(OAuthError),
    /// An HTTP status the API does not document for this call (a gateway's 502 page, say).
    #[error("{operation}: unexpected HTTP {http_status}: {excerpt}")]
    Http {
        /// The operation.
        operation: &'static str,
        /// HTTP status.
        http_status: u16,
        /// `Retry-After` in seconds, when the answer had one.
        retry_after: Option<u64>,
        /// The start of the body (token fields masked).
        excerpt: String,
    },
    /// The answer could not be decoded: empty, truncated, HTML, or the wrong shape.
    #[error("{operation}: could not decode the answer ({reason}); body starts: {excerpt:?}")]
    Decode {
        /// The operation.
        operation: &'static str,
        /// Why.
        reason: String,
        /// The start of the body (token fields masked).
        excerpt: String,
    },
    /// No answer: the connection failed or dropped. `sent` says whether the request may have
    /// reached the server (then a write must not be repeated blindly). The cause is the
    /// error's `source()` (printed by an error chain, e.g. `{:#}` with anyhow), not repeated in
    /// this message.
    ///
    /// A write with `sent: true` (or an [`Error::Timeout`] of a write) may have been applied.
    /// What that means, and what to do:
    ///
    /// | call | if it was applied | what to do |
    /// |---|---|---|
    /// | send a code (`send_bind_phone_code`, `send_code` ...) | a code is on its way; another within a minute is throttled | wait for it, or send again after `retry_after()` |
    /// | `bind_phone`, `update_phone`, `unbind_phone` | the phone changed and the code is spent | read `get_profile()` before trying again |
    /// | sign-in | a session exists but its tokens are lost (a pass code is spent) | sign in again (with a new code) |
    /// | `refresh` | nothing is lost: the refresh runs to its end apart from the caller, and its set is saved | call again: the saved set is used |
    /// | `SocialClient::bind`, `register_bind` | the account is bound, the state token spent, the session lost | log in again: the social login now answers `Success` |
    /// | `TenantClient::sso_ticket` | a ticket exists that nobody holds | ask for a new one (tickets expire) |
    /// | `link_identity`, `unlink_identity` | the link changed | repeat it: a second link changes nothing, a second unlink answers 404 |
    #[error("{operation}: transport error{}", if *sent { " after the request was sent" } else { " (nothing was sent)" })]
    Transport {
        /// The operation.
        operation: &'static str,
        /// Whether the request may have reached the server.
        sent: bool,
        /// The cause (shared: one refresh's outcome goes to every caller waiting for it).
        #[source]
        source: std::sync::Arc<reqwest::Error>,
    },
    /// The call did not finish within the configured timeout.
    #[error("{operation}: timed out")]
    Timeout {
        /// The operation.
        operation: &'static str,
    },
    /// Refused before anything was sent.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The token store failed (its storage unreachable, or what it holds unreadable):
    /// [`StoreError::is_retryable`](crate::StoreError::is_retryable) says whether to try
    /// again. Not "signed out": the token set may well be there.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A client could not be built from its settings.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// No usable token: not signed in, no refresh token, or the refresh was refused.
    #[error("token error: {0}")]
    Token(String),
}

impl Error {
    pub(crate) fn input(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// The envelope's statusCode, for [`Error::Api`].
    pub fn status_code(&self) -> Option<i64> {
        match self {
            Self::Api { status_code, .. } => Some(*status_code),
            _ => None,
        }
    }

    /// The envelope's apiCode as a typed group, for [`Error::Api`] (1302 and 1306 are both
    /// [`ApiCode::AccessKeySignature`]); [`api_code_number`](Self::api_code_number) is the
    /// exact number.
    pub fn api_code(&self) -> Option<ApiCode> {
        self.api_code_number().map(ApiCode::from)
    }

    /// The envelope's apiCode exactly as the service sent it, for [`Error::Api`]: the number
    /// to quote, and the one the error's text shows.
    pub fn api_code_number(&self) -> Option<i64> {
        match self {
            Self::Api { api_code, .. } => *api_code,
            _ => None,
        }
    }

    /// The service's request id, when it gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// How long the service asked to wait before the next call (`Retry-After` of an HTTP 429
    /// or 503), when it said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Api { retry_after, .. } | Self::Http { retry_after, .. } => {
                retry_after.map(std::time::Duration::from_secs)
            }
            _ => None,
        }
    }

    /// The HTTP status of the answer the error came from (200 for most V3 refusals, which
    /// travel in the envelope; 429 when throttled; a gateway's 5xx; an OAuth 4xx); `None` when
    /// there was no answer, or for a social API error.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Api { http_status, .. }
            | Self::Http { http_status, .. }
            | Self::OAuth(OAuthError { http_status, .. })
            | Self::RefreshRefused(OAuthError { http_status, .. }) => Some(*http_status),
            _ => None,
        }
    }

    /// The OAuth error code (`invalid_grant`, `invalid_client` ...), for [`Error::OAuth`] and
    /// [`Error::RefreshRefused`].
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Self::OAuth(e) | Self::RefreshRefused(e) => Some(&e.error),
            _ => None,
        }
    }

    /// The social API's error code, for [`Error::Social`].
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Social { error_code, .. } => Some(error_code),
            _ => None,
        }
    }

    /// Whether the service refused the call's credential: statusCode 401, an HTTP 401, or
    /// the `/api/v2` family's PARAM.0030 ("signature invalid or expired", what its tenant
    /// calls answer to an expired access token). The call path renews the credential once and
    /// tries again.
    pub(crate) fn is_unauthorized(&self) -> bool {
        self.status_code() == Some(401)
            || self.http_status() == Some(401)
            || self.error_code() == Some("PARAM.0030")
    }

    /// Whether trying the same call again later may succeed: the request never left, or the
    /// failure is transient on the service's side (throttling, HTTP or statusCode 502/503/504,
    /// HTTP 408, a timeout, a connection lost after sending). A retryable error of a write may
    /// still have been applied (see [`Error::Transport`]'s `sent`). This is the same rule the
    /// clients' own retries follow ([`RetryPolicy`](crate::RetryPolicy)): they repeat any call
    /// that was not sent, and reads on a transient failure.
    pub fn is_retryable(&self) -> bool {
        !matches!(self.transience(), Transience::Permanent)
    }

    /// The one classification of a failure, for [`is_retryable`](Self::is_retryable) and the
    /// retry loop.
    pub(crate) fn transience(&self) -> Transience {
        match self {
            Self::Transport { sent: false, .. } => Transience::NotSent,
            Self::Transport { sent: true, .. } | Self::Timeout { .. } => {
                Transience::Transient { retry_after: None }
            }
            Self::Http {
                http_status: 408 | 429 | 502 | 503 | 504,
                retry_after,
                ..
            }
            | Self::Api {
                status_code: 429 | 502 | 503 | 504,
                retry_after,
                ..
            } => Transience::Transient {
                retry_after: *retry_after,
            },
            Self::Store(e) if e.is_retryable() => Transience::Transient { retry_after: None },
            // A refusal (4xx), a server error the service answered for this very request
            // (500: trying again repeats it in practice), a decode or configuration problem.
            _ => Transience::Permanent,
        }
    }
}

/// How a failed call may be tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transience {
    /// Not again: the service refused, or the answer or the input is wrong.
    Permanent,
    /// The request never left: any call may be sent again.
    NotSent,
    /// Transient on the service's side: a read may be sent again (after `retry_after`
    /// seconds, when the service said); a write may have been applied.
    Transient {
        /// The service's `Retry-After`, seconds.
        retry_after: Option<u64>,
    },
}

/// Each code once: the first number is the code's own (`ApiCode::code`), the others also map
/// to it.
macro_rules! api_codes {
    ($( $(#[$doc:meta])* $name:ident = $first:literal $(| $more:pat_param)* ),* $(,)?) => {
        /// The service's fine-grained error codes (`apiCode`) that this SDK knows; any other is
        /// kept as `Unknown`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ApiCode {
            $( $(#[$doc])* $name, )*
            /// A code this version does not name.
            Unknown(i64),
        }

        impl From<i64> for ApiCode {
            // `1300 | 1301..=1306` keeps 1300 the group's own code; clippy would fold it.
            #[allow(clippy::manual_range_patterns)]
            fn from(code: i64) -> Self {
                match code {
                    $( $first $(| $more)* => Self::$name, )*
                    other => Self::Unknown(other),
                }
            }
        }

        impl ApiCode {
            /// The numeric code (the first of a group).
            pub fn code(self) -> i64 {
                match self {
                    $( Self::$name => $first, )*
                    Self::Unknown(c) => c,
                }
            }
        }
    };
}

api_codes! {
    /// Access-key signature errors (1300–1306).
    AccessKeySignature = 1300 | 1301..=1306,
    /// MFA is required.
    MfaRequired = 1635 | 1636,
    /// The password must be reset.
    PasswordResetRequired = 1639 | 2058,
    /// The external account is linked to no user: it must be bound first (identity binding).
    IdentityBindingRequired = 1640 | 1641,
    /// The user must complete their profile.
    CompleteProfileRequired = 1642,
    /// The verification code is wrong.
    VerificationCodeWrong = 2001,
    /// No valid verification code: expired, spent, or never sent.
    VerificationCodeExpired = 2300,
    /// Too many requests (e.g. a second SMS within a minute).
    TooFrequent = 2100,
    /// The user was not found.
    UserNotFound = 2004,
    /// The account is locked.
    UserLocked = 2005,
    /// The password is wrong.
    WrongPassword = 2006,
    /// The account or the password is wrong.
    BadAccountOrPassword = 2333,
    /// Not signed in.
    NotSignedIn = 2020,
    /// The sign-in has expired.
    LoginExpired = 2206,
    /// The token is invalid.
    TokenInvalid = 2207,
    /// The phone number is bound to another user.
    PhoneAlreadyBound = 1_320_004,
    /// The user already has a phone number (use update-phone).
    UserAlreadyHasPhone = 2035,
    /// The old phone number does not match.
    OldPhoneMismatch = 2038,
    /// The new phone number is the same as the current one.
    NewPhoneSameAsOld = 2230,
    /// The social account is bound already.
    SocialAccountAlreadyBound = 2213 | 2215,
    /// The phone is the only way to sign in and cannot be unbound.
    CannotUnbindOnlyLoginMethod = 2217,
}

impl fmt::Display for ApiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// An OAuth token endpoint's refusal (`{error, error_description}`), as [`Error::OAuth`] and
/// [`Error::RefreshRefused`] carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The operation.
    pub operation: &'static str,
    /// HTTP status.
    pub http_status: u16,
    /// The OAuth error code (`invalid_grant`, `invalid_client` ...).
    pub error: String,
    /// `error_description`.
    pub description: Option<String>,
}

impl OAuthError {
    /// `error` and, when there is one, `: description`.
    fn described(&self) -> String {
        match &self.description {
            Some(d) => format!("{}: {d}", self.error),
            None => self.error.clone(),
        }
    }
}

/// A [`TokenStore`](crate::TokenStore) that could not do what was asked: its storage is unreachable, refused,
/// or holds something that is not a token set. [`is_retryable`](Self::is_retryable) says
/// whether trying again later may succeed (an outage) or not (a refusal, bad data).
#[derive(Debug, Clone, thiserror::Error)]
#[error("token store: {message}")]
pub struct StoreError {
    message: String,
    retryable: bool,
    #[source]
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A failure that may pass (the storage is down, a timeout).
    pub fn retryable(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            retryable: true,
            source: source.map(Arc::from),
        }
    }

    /// A failure that will not pass by itself (refused, unreadable data).
    pub fn permanent(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            retryable: false,
            source: source.map(Arc::from),
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genauth_api::operations as op;

    #[test]
    fn api_codes_round_trip_and_unknown_is_kept() {
        assert_eq!(ApiCode::from(2001), ApiCode::VerificationCodeWrong);
        assert_eq!(ApiCode::from(1_320_004), ApiCode::PhoneAlreadyBound);
        assert_eq!(ApiCode::from(2215), ApiCode::SocialAccountAlreadyBound);
        assert_eq!(ApiCode::from(424242), ApiCode::Unknown(424242));
        assert_eq!(ApiCode::from(424242).code(), 424242);
    }

    #[test]
    fn api_error_text_keeps_codes_and_request_id() {
        let e = Error::Api {
            operation: op::BIND_PHONE.id,
            status_code: 400,
            api_code: Some(2001),
            message: "wrong code".into(),
            request_id: Some("r-1".into()),
            retry_after: None,
            http_status: 200,
        };
        assert_eq!(
            e.to_string(),
            "bindPhone: GenAuth answered statusCode 400 (apiCode 2001): wrong code [requestId r-1]"
        );
        assert!(!e.is_retryable());
        assert_eq!(e.request_id(), Some("r-1"));
        assert_eq!(e.api_code(), Some(ApiCode::VerificationCodeWrong));
    }

    #[test]
    fn the_exact_api_code_is_kept_and_shown_beside_its_group() {
        let e = Error::Api {
            operation: op::GET_USER.id,
            status_code: 401,
            api_code: Some(1302),
            message: "the signature does not match".into(),
            request_id: None,
            retry_after: None,
            http_status: 200,
        };
        assert_eq!(e.api_code(), Some(ApiCode::AccessKeySignature));
        assert_eq!(e.api_code_number(), Some(1302));
        assert!(e.to_string().contains("(apiCode 1302)"), "{e}");
        assert!(!e.to_string().contains("1300"), "{e}");
    }
}
