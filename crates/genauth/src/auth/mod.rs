//! [`AuthenticationClient`]: the client for user-level calls of one GenAuth application, in
//! one folder. Each file depends only on those above it in this list:
//!
//! | file | what it holds |
//! |---|---|
//! | `app.rs` | [`App`](app::App): what every client of one app shares (generated client, headers, settings); the client auth method at the token endpoints and the refresh grant |
//! | `refresh.rs` | `Session`: the app, the user's token store and the refresh state; one shared refresh per session (and per fleet, with the store's lease) |
//! | `client.rs` | [`AuthenticationClient`] and its builder; `app_call` and `user_call`, the two ways a call goes out |
//! | `user.rs` | the signed-in user's calls: SMS codes, bind / unbind / update phone, profile, identities |
//! | `sign_in.rs` | sign-in by pass code or password |
//! | `account.rs` | the account calls: register, password reset, security info, country list |
//! | `wechat_mobile.rs` | the WeChat mobile calls: sign in, bind a phone to a WeChat identity |

mod account;
mod app;
mod client;
mod refresh;
mod sign_in;
mod user;
mod wechat_mobile;

pub use account::{Country, ExtIdp, PasswordResetToken, SecurityInfo};
pub use app::TokenEndpointAuthMethod;
pub use client::{AuthenticationClient, AuthenticationClientBuilder};
pub use sign_in::SignInOptions;
pub use user::{Identity, ProfileOptions, SmsChannel, User};
pub use wechat_mobile::{WechatBindRequest, WechatMobileOutcome};
