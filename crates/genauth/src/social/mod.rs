//! The `/api/v2` families: the social API of a mobile app ([`SocialClient`]) and the
//! server-side SSO calls ([`TenantClient`]), both of which carry a [`DeviceContext`].
//!
//! | file | what it holds |
//! |---|---|
//! | `device.rs` | [`DeviceContext`] and the `device!` macro that sets its headers on a generated builder |
//! | `client.rs` | [`SocialClient`], its SMS types, outcomes and the mobile registration |
//! | `tenant.rs` | [`TenantClient`], its tenant access token and the SSO ticket types |

mod client;
mod device;
mod tenant;

pub use client::{
    LoginOutcome, MobileRegistration, SmsType, SocialClient, SocialClientBuilder, SocialSession,
    StateToken,
};
pub use device::{DeviceContext, DeviceContextBuilder};
pub use tenant::{SsoTicket, SsoUser, TenantClient, TenantClientBuilder};
