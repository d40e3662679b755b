//! The hand-written seam between the generated client and the `genauth` facade.
//!
//! The facade cannot implement `progenitor_client::ClientHooks` for [`Client`](crate::Client)
//! (the orphan rule), so the implementation lives here and delegates to what the facade puts in
//! the client's [`Inner`]:
//!
//! * request-scoped headers (authentication: app id, user or management token), inserted into
//!   every request the client sends, replacing any header of the same name;
//! * an [`ExecHook`] that sends the request: the facade's transport times it, traces it and
//!   applies the request timeout there (retries are decided a layer up, by the facade's
//!   executor around the whole generated call).
//!
//! ```
//! use genauth_api::Client;
//! use reqwest::header::{HeaderMap, HeaderValue};
//!
//! let http = genauth_api::http_client_builder().build()?;
//! let base = Client::new_with_client("http://127.0.0.1:8787", http, Default::default());
//! let mut headers = HeaderMap::new();
//! let mut token = HeaderValue::from_static("secret-access-token");
//! token.set_sensitive(true);
//! headers.insert("authorization", token);
//! // Shares the connection pool of `base`; only this copy sends the token.
//! let user = base.with_headers(headers);
//! assert!(!format!("{user:?}").contains("secret-access-token"));
//! # Ok::<(), reqwest::Error>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::HeaderMap;

use crate::Client;

/// The future an [`ExecHook`] returns.
pub type HookFuture<'a> =
    Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>>;

/// Sends a request on behalf of the generated client.
///
/// An implementation must eventually call `client.execute(request)` (possibly more than once,
/// on a `try_clone` of the request, to retry); it receives the operationId of the call.
pub trait ExecHook: Send + Sync + 'static {
    /// Sends `request` for operation `operation_id` with `client`.
    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> HookFuture<'a>;
}

/// Signs a request after its headers are set and before it is sent (the access-key signature
/// of management calls, see [`crate::signature`]).
pub trait RequestSigner: Send + Sync + 'static {
    /// Adds the signature headers to `request`; `Err` (a reason) refuses the call before it is
    /// sent.
    fn sign(&self, request: &mut reqwest::Request) -> Result<(), String>;
}

/// What the facade keeps in each [`Client`]: headers to add, an optional signer and an
/// optional exec hook.
///
/// Cheap to clone (three `Arc`s).
#[derive(Clone, Default)]
pub struct Inner {
    headers: Arc<HeaderMap>,
    signer: Option<Arc<dyn RequestSigner>>,
    hook: Option<Arc<dyn ExecHook>>,
    /// The operation a caller declared for the calls of this copy, checked before sending.
    expected: Option<&'static str>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values marked sensitive print as "Sensitive"; names are safe to show.
        f.debug_struct("Inner")
            .field("headers", &self.headers)
            .field("signer", &self.signer.as_ref().map(|_| "RequestSigner"))
            .field("hook", &self.hook.as_ref().map(|_| "ExecHook"))
            .field("expected", &self.expected)
            .finish()
    }
}

impl Inner {
    /// Headers added to every request; values that carry secrets should be marked sensitive.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl Client {
    /// A client for `baseurl` on a fresh connection pool, with this crate's TLS set-up.
    ///
    /// Prefer it to the generated `Client::new`, which builds its reqwest client with
    /// `unwrap()`: with the `rustls` (ring) feature that panics unless a process-wide crypto
    /// provider is installed (see [`crate::install_crypto_provider`]). This one uses
    /// [`crate::http_client_builder`] and returns reqwest's error instead of panicking.
    ///
    /// ```
    /// use genauth_api::ClientInfo;
    ///
    /// let client = genauth_api::Client::try_new("https://example.genauth.ai")?;
    /// assert_eq!(client.baseurl(), "https://example.genauth.ai");
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn try_new(baseurl: &str) -> reqwest::Result<Self> {
        let http = crate::http_client_builder()
            .connect_timeout(std::time::Duration::from_secs(15))
            .timeout(std::time::Duration::from_secs(15))
            .build()?;
        Ok(Self::new_with_client(baseurl, http, Inner::default()))
    }

    /// A copy of this client that adds `headers` to every request (replacing headers of the
    /// same name). The copy shares the connection pool and the exec hook.
    pub fn with_headers(&self, headers: HeaderMap) -> Self {
        let mut inner = self.inner.clone();
        inner.headers = Arc::new(headers);
        Self::new_with_client(&self.baseurl, self.client.clone(), inner)
    }

    /// A copy of this client that signs every request with `signer`, after the headers are
    /// added. The copy shares the connection pool and the exec hook.
    pub fn with_signer(&self, signer: Arc<dyn RequestSigner>) -> Self {
        let mut inner = self.inner.clone();
        inner.signer = Some(signer);
        Self::new_with_client(&self.baseurl, self.client.clone(), inner)
    }

    /// A copy of this client that makes only operation `operation_id`: a call of any other
    /// operation is refused before it is sent ([`Error::InvalidRequest`](crate::Error)). The
    /// facade gives it to a caller who declared the operation of the call they make, so that a
    /// call cannot run under another operation's name and retry class.
    ///
    /// ```
    /// let client = genauth_api::Client::try_new("http://127.0.0.1:9")?;
    /// let profile_only = client.expecting(genauth_api::operations::GET_PROFILE.id);
    /// // `profile_only.get_profile()` is sent; `profile_only.get_security_info()` is refused.
    /// assert!(format!("{profile_only:?}").contains("getProfile"));
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn expecting(&self, operation_id: &'static str) -> Self {
        let mut inner = self.inner.clone();
        inner.expected = Some(operation_id);
        Self::new_with_client(&self.baseurl, self.client.clone(), inner)
    }

    /// A copy of this client whose requests are sent through `hook`.
    pub fn with_exec_hook(&self, hook: Arc<dyn ExecHook>) -> Self {
        let mut inner = self.inner.clone();
        inner.hook = Some(hook);
        Self::new_with_client(&self.baseurl, self.client.clone(), inner)
    }
}

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Some(expected) = self.inner.expected
            && !same_operation(expected, info.operation_id)
        {
            return Err(progenitor_client::Error::InvalidRequest(format!(
                "the call was declared as operation {expected} but makes {}: pass the constant \
                 of the operation it makes",
                info.operation_id
            )));
        }
        let headers = request.headers_mut();
        for (name, value) in self.inner.headers.iter() {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(signer) = &self.inner.signer {
            signer
                .sign(request)
                .map_err(progenitor_client::Error::InvalidRequest)?;
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner.hook {
            Some(hook) => hook.exec(&self.client, request, info.operation_id).await,
            None => self.client().execute(request).await,
        }
    }
}

/// Whether an operationId (`getUser`) and the generated method's name progenitor reports
/// (`get_user`) are the same operation: equal but for case and underscores.
fn same_operation(operation_id: &str, method: &str) -> bool {
    let letters = |s: &str| {
        s.chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    letters(operation_id) == letters(method)
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    /// Polls a future that completes without I/O.
    fn ready<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("the refusal needs no I/O"),
        }
    }

    #[test]
    fn every_operation_matches_its_generated_method_and_no_other() {
        assert!(super::same_operation("getUser", "get_user"));
        assert!(super::same_operation(
            "getApplicationEnabledExtIdps",
            "get_application_enabled_ext_idps"
        ));
        assert!(!super::same_operation("getUser", "get_users"));
        assert!(!super::same_operation("getUser", "update_user"));
    }

    #[test]
    fn a_client_expecting_one_operation_refuses_another_before_sending() {
        let client = crate::Client::try_new("http://127.0.0.1:9").expect("client");
        let profile_only = client.expecting(crate::operations::GET_PROFILE.id);
        let refused = ready(profile_only.get_security_info().send()).expect_err("refused");
        match refused {
            crate::Error::InvalidRequest(reason) => {
                assert!(
                    reason.contains("getProfile") && reason.contains("get_security_info"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
