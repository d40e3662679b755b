//! The management API ([`ManagementClient`]).
//!
//! | file | what it holds |
//! |---|---|
//! | `client.rs` | [`ManagementClient`] and its builder, [`ManagementAuth`], the request signer, the management token, `call` |
//! | `users.rs` | the user calls and phone conveniences, [`UserRef`], [`NewUser`], [`UserExt`], [`PhoneMove`] |

mod client;
mod users;

pub use client::{
    DEFAULT_MANAGEMENT_HOST, ManagementAuth, ManagementClient, ManagementClientBuilder,
    SignatureScheme, default_signature_scheme,
};
pub use users::{ExternalIdentity, NewUser, PhoneMove, UserExt, UserRef};
