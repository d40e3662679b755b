//! How the management calls name a user and a page, shared by the families that read them
//! (`management.rs`, `records.rs`, `organizations.rs`, `factors.rs`): a user by id, phone,
//! email or user name; page and limit as the service reads them; a code or name it accepts.

use crate::envelope::ApiError;
use crate::state::{State as Store, normalize_phone};

/// The id of the user `id` names, read as `kind` says (user_id, phone, email, username);
/// statusCode 404 (apiCode 2004) when no user matches, 400 for a kind the sandbox does not keep.
pub(crate) fn find_user(store: &Store, id: &str, kind: &str) -> Result<String, ApiError> {
    let found = match kind {
        "user_id" => Some(store.user(id)?.id.clone()),
        "phone" => {
            // A number without its country code is a mainland one, as the service reads it.
            let (cc, phone) = normalize_phone(id, None)?;
            store.user_by_phone(&cc, &phone).map(|u| u.id.clone())
        }
        "email" => store
            .user_by_login(id)
            .filter(|u| u.email.as_deref() == Some(id))
            .map(|u| u.id.clone()),
        "username" => store
            .user_by_login(id)
            .filter(|u| u.username.as_deref() == Some(id))
            .map(|u| u.id.clone()),
        "external_id" => None,
        other => {
            return Err(ApiError::plain(
                400,
                format!(
                    "userIdType {other:?} is not kept by the sandbox (user_id, phone, email, username, external_id)"
                ),
            ));
        }
    };
    found.ok_or_else(|| ApiError::from(crate::state::UserNotFound))
}

/// A page's number and size as the service reads them: page 1 and 10 a page by default, at
/// most 50 a page (worded as the service words it).
pub(crate) fn page_and_limit(
    page: Option<f64>,
    limit: Option<f64>,
) -> Result<(usize, usize), ApiError> {
    let (page, limit) = (page.unwrap_or(1.0), limit.unwrap_or(10.0));
    if limit > 50.0 {
        return Err(ApiError::plain(400, "limit must less than 50"));
    }
    if page < 1.0 || limit < 1.0 {
        return Err(ApiError::plain(400, "page and limit must be at least 1"));
    }
    Ok((page as usize, limit as usize))
}

/// Page `page` (from 1) of `items`, `limit` a page, and how many items there are in all.
pub(crate) fn paginate<T>(
    items: Vec<T>,
    page: usize,
    limit: usize,
) -> (usize, impl Iterator<Item = T>) {
    let total = items.len();
    let skip = page.saturating_sub(1).saturating_mul(limit);
    (total, items.into_iter().skip(skip).take(limit))
}

/// A query that names one user: `userId`, read as `userIdType` says (`user_id` unless named).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserRef {
    user_id: String,
    #[serde(default)]
    user_id_type: Option<String>,
}

impl UserRef {
    /// The id of the user named ([`find_user`]).
    pub(crate) fn find(&self, store: &Store) -> Result<String, ApiError> {
        find_user(
            store,
            &self.user_id,
            self.user_id_type.as_deref().unwrap_or("user_id"),
        )
    }
}

/// A body's `options` that say how its `userId` reads (set-user-departments,
/// reset-user-principal-authentication-info).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserIdOptions {
    #[serde(default)]
    user_id_type: Option<String>,
}

impl UserIdOptions {
    /// The id of the user `user_id` names, read as `options` say (`user_id` unless named).
    pub(crate) fn find(
        options: Option<&Self>,
        store: &Store,
        user_id: &str,
    ) -> Result<String, ApiError> {
        let kind = options.and_then(|o| o.user_id_type.as_deref());
        find_user(store, user_id, kind.unwrap_or("user_id"))
    }
}

/// A code or name the service would refuse: empty, or longer than 64 characters.
pub(crate) fn check_code(name: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() || value.chars().count() > 64 {
        return Err(ApiError::plain(
            400,
            format!("parameter {name} must hold 1 to 64 characters"),
        ));
    }
    Ok(())
}
