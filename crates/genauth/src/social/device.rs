//! [`DeviceContext`]: the calling device, sent as headers on every `/api/v2/sdk` call and in
//! the tenant SSO calls' bodies.

use crate::error::{Error, Result};
use crate::transport::plain_header;

/// Sets the device headers of a generated `/api/v2/sdk` builder: the required ones, and the
/// optional ones the context has.
macro_rules! device {
    ($builder:expr, $d:expr) => {{
        let d: &DeviceContext = $d;
        let mut b = $builder
            .x_operating_sys_version(d.os_version.clone())
            .x_device_fingerprint(d.fingerprint.clone())
            .x_agent(d.agent.clone())
            .x_client_id(d.client_id.clone());
        if let Some(ip) = &d.ip {
            b = b.x_device_ip(ip.clone());
        }
        if let Some(language) = &d.language {
            b = b.x_l(language.clone());
        }
        if let Some(tenant) = &d.tenant_id {
            b = b.x_tenant_id(tenant.clone());
        }
        b
    }};
}
pub(crate) use device;

/// The calling device, sent as the "std headers" on every `/api/v2/sdk` call. Built with
/// [`DeviceContext::builder`], which checks every value (each is an HTTP header).
///
/// ```
/// use genauth::DeviceContext;
///
/// let device = DeviceContext::builder()
///     .client_id("6571c3a4e8d4e1b2c3d4e5f6")
///     .os_version("Android 10")
///     .fingerprint("156aysdna213sac")
///     .agent("Mozilla/5.0")
///     .ip("10.10.10.1")
///     .build()?;
/// assert_eq!(device.fingerprint, "156aysdna213sac");
/// // A missing part, or one a header cannot carry, is refused naming the field.
/// let err = DeviceContext::builder().client_id("app").os_version("Android 10").build();
/// assert!(err.unwrap_err().to_string().contains("device fingerprint"));
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceContext {
    /// The application's client id (required).
    pub client_id: String,
    /// Operating system, e.g. `Android 10` (required).
    pub os_version: String,
    /// Device fingerprint (required); SSO tickets are bound to it.
    pub fingerprint: String,
    /// User agent (required).
    pub agent: String,
    /// The device's IP.
    pub ip: Option<String>,
    /// Language, e.g. `en` or `zh`.
    pub language: Option<String>,
    /// Tenant id (ISV applications).
    pub tenant_id: Option<String>,
}

/// Builds a [`DeviceContext`]; [`build`](Self::build) checks it.
#[derive(Debug, Clone, Default)]
pub struct DeviceContextBuilder {
    client_id: String,
    os_version: String,
    fingerprint: String,
    agent: String,
    ip: Option<String>,
    language: Option<String>,
    tenant_id: Option<String>,
}

impl DeviceContextBuilder {
    /// The application's client id (required).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Operating system, e.g. `Android 10` (required).
    pub fn os_version(mut self, os_version: impl Into<String>) -> Self {
        self.os_version = os_version.into();
        self
    }

    /// Device fingerprint (required).
    pub fn fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = fingerprint.into();
        self
    }

    /// User agent (required).
    pub fn agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = agent.into();
        self
    }

    /// The device's IP (`x-device-ip`; the tenant SSO calls require it).
    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    /// Language, e.g. `en` or `zh` (`x-l`).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Tenant id (ISV applications).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// The context, every part checked: required parts present, each one a valid header
    /// value (visible ASCII); the error names the field.
    pub fn build(self) -> Result<DeviceContext> {
        let device = DeviceContext {
            client_id: self.client_id,
            os_version: self.os_version,
            fingerprint: self.fingerprint,
            agent: self.agent,
            ip: self.ip,
            language: self.language,
            tenant_id: self.tenant_id,
        };
        device.check()?;
        Ok(device)
    }
}

impl DeviceContext {
    /// A builder.
    pub fn builder() -> DeviceContextBuilder {
        DeviceContextBuilder::default()
    }

    /// The same context with the device's IP address (`x-device-ip`; the tenant SSO calls
    /// require it).
    pub fn with_ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        for (field, value) in [
            ("client id", &self.client_id),
            ("device os_version", &self.os_version),
            ("device fingerprint", &self.fingerprint),
            ("device agent", &self.agent),
        ] {
            if value.trim().is_empty() {
                return Err(Error::input(field, "is required by the social API"));
            }
            plain_header(field, value)?;
        }
        // The optional ones, checked now too, not at the first call.
        for (field, value) in [
            ("device ip", &self.ip),
            ("device language", &self.language),
            ("device tenant id", &self.tenant_id),
        ] {
            if let Some(value) = value {
                plain_header(field, value)?;
            }
        }
        Ok(())
    }
}

/// The device's IP, which the tenant SSO calls require in their bodies.
pub(crate) fn device_ip(device: &DeviceContext) -> Result<String> {
    device
        .ip
        .as_deref()
        .map(str::trim)
        .filter(|ip| !ip.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::input(
                "device ip",
                "the tenant SSO calls need the device's IP (DeviceContextBuilder::ip)",
            )
        })
}
