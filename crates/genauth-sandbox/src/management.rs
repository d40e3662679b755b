//! The management calls: get-management-token, the user calls (get-user, is-user-exists,
//! create-user, update-user), link-identity and unlink-identity. Their authentication, in both
//! of the service's ways, is `auth.rs`'s middleware in front of these routes.

use axum::extract::State;
use axum::response::Response;

use crate::dto::user_dto;
use crate::envelope::{ApiError, V3Json, V3Query, ok};
use crate::shared::S;
use crate::state::{Identity, State as Store, normalize_phone};
use genauth_api::types;
use serde_json::json;

pub(crate) async fn get_management_token(
    State(s): S,
    V3Json(body): V3Json<types::GetManagementAccessTokenDto>,
) -> Result<Response, ApiError> {
    let pool = &s.config.user_pool;
    if body.access_key_id != pool.access_key_id || body.access_key_secret != pool.access_key_secret
    {
        return Err(ApiError::plain(401, "the access key id or secret is wrong"));
    }
    let mut claims = s.claims(
        &pool.id,
        &pool.id,
        "management",
        pool.management_token_ttl_secs,
    );
    claims.scoped_userpool_id = Some(pool.id.clone());
    let token = s.signer.sign(claims);
    Ok(ok(Some(
        json!({"access_token": token, "expires_in": pool.management_token_ttl_secs}),
    )))
}

pub(crate) async fn link_identity(
    State(s): S,
    V3Json(body): V3Json<types::LinkIdentityDto>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    store.user(&body.user_id)?;
    let taken = store.users.values().any(|u| {
        u.id != body.user_id
            && u.identities
                .iter()
                .any(|i| i.ext_idp_id == body.ext_idp_id && i.user_id_in_idp == body.user_id_in_idp)
    });
    if taken {
        return Err(ApiError::new(
            409,
            2213,
            "this external account is already linked to another user",
        ));
    }
    if let Some(u) = store.users.get_mut(&body.user_id) {
        let exists = u
            .identities
            .iter()
            .any(|i| i.ext_idp_id == body.ext_idp_id && i.user_id_in_idp == body.user_id_in_idp);
        if !exists {
            u.identities.push(Identity {
                identity_id: crate::state::new_id(),
                ext_idp_id: body.ext_idp_id.clone(),
                // The provider of the identity source, when the sandbox knows it.
                provider: s
                    .config
                    .ext_idps
                    .iter()
                    .find(|e| e.ext_idp_id == body.ext_idp_id)
                    .map_or_else(|| "oidc".into(), |e| e.kind.clone()),
                // The service takes `generic` when the type is left out.
                kind: body.type_.clone().unwrap_or_else(|| "generic".into()),
                user_id_in_idp: body.user_id_in_idp.clone(),
            });
        }
    }
    Ok(ok(Some(json!({"success": true}))))
}

pub(crate) async fn unlink_identity(
    State(s): S,
    V3Json(body): V3Json<types::UnlinkIdentityDto>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    let u = store.user_mut(&body.user_id)?;
    let before = u.identities.len();
    u.identities.retain(|i| {
        i.ext_idp_id != body.ext_idp_id || body.type_.as_ref().is_some_and(|t| *t != i.kind)
    });
    if u.identities.len() == before {
        return Err(ApiError::plain(404, "the user has no such identity"));
    }
    Ok(ok(Some(json!({"success": true}))))
}

/// The query of get-user.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetUserQuery {
    user_id: String,
    #[serde(default)]
    user_id_type: Option<String>,
    #[serde(default)]
    with_identities: bool,
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    with_department_ids: bool,
}

/// The id of the user `id` names, read as `kind` says (user_id, phone, email, username);
/// statusCode 404 (apiCode 2004) when no user matches, 400 for a kind the sandbox does not keep.
fn find_user(store: &Store, id: &str, kind: &str) -> Result<String, ApiError> {
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

pub(crate) async fn get_user(
    State(s): S,
    V3Query(q): V3Query<GetUserQuery>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let id = find_user(
        &store,
        &q.user_id,
        q.user_id_type.as_deref().unwrap_or("user_id"),
    )?;
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(
        u,
        q.with_identities,
        q.with_custom_data,
        q.with_department_ids,
    ))))
}

pub(crate) async fn is_user_exists(
    State(s): S,
    V3Json(body): V3Json<types::IsUserExistsReqDto>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let exists = match (&body.phone, &body.email, &body.username, &body.external_id) {
        (Some(phone), None, None, None) => {
            let (cc, phone) = normalize_phone(phone, None)?;
            store.user_by_phone(&cc, &phone).is_some()
        }
        (None, Some(email), None, None) => store
            .user_by_login(email)
            .is_some_and(|u| u.email.as_deref() == Some(email.as_str())),
        (None, None, Some(username), None) => store
            .user_by_login(username)
            .is_some_and(|u| u.username.as_deref() == Some(username.as_str())),
        (None, None, None, Some(_)) => false,
        _ => {
            return Err(ApiError::plain(
                400,
                "give exactly one of phone, email, username and externalId",
            ));
        }
    };
    Ok(ok(Some(json!({ "exists": exists }))))
}

pub(crate) async fn create_user(
    State(s): S,
    V3Json(body): V3Json<types::CreateUserReqDto>,
) -> Result<Response, ApiError> {
    let now = s.now_ms();
    let mut store = s.lock();
    let phone = match &body.phone {
        Some(phone) => {
            let (cc, phone) = normalize_phone(phone, body.phone_country_code.as_deref())?;
            // The same refusal as bind-phone's.
            store.ensure_phone_free(&cc, &phone)?;
            Some((cc, phone))
        }
        None => None,
    };
    let config = crate::config::UserConfig {
        username: body.username.clone(),
        email: body.email.clone(),
        password: body.password.clone(),
        phone: phone.as_ref().map(|(_, p)| p.clone()),
        phone_country_code: phone.as_ref().map(|(cc, _)| cc.clone()),
        name: body.name.clone(),
        ..Default::default()
    };
    let id = store
        .create_user(&config, now)
        .map_err(|(status, message)| ApiError::plain(i64::from(status), message))?;
    let user = store.user_mut(&id)?;
    // A phone counts as verified only when the administrator says so.
    user.phone_verified = user.phone.is_some() && body.phone_verified == Some(true);
    user.custom_data = body.custom_data.clone();
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(u, false, true, false))))
}

pub(crate) async fn update_user(
    State(s): S,
    V3Json(body): V3Json<types::UpdateUserReqDto>,
) -> Result<Response, ApiError> {
    let now = s.now_ms();
    let mut store = s.lock();
    let kind = body
        .options
        .as_ref()
        .and_then(|o| o.user_id_type.as_ref())
        .map(|t| t.to_string())
        .unwrap_or_else(|| "user_id".into());
    let id = find_user(&store, &body.user_id, &kind)?;
    // The phone first: an empty one frees the number; another user's is refused as bind-phone
    // refuses it.
    match body.phone.as_deref() {
        Some("") => store.set_phone(&id, None, now),
        Some(phone) => {
            let (cc, phone) = normalize_phone(phone, body.phone_country_code.as_deref())?;
            let owner = store.user_by_phone(&cc, &phone).map(|u| u.id.clone());
            if owner.as_deref().is_some_and(|o| o != id) {
                return Err(crate::state::PhoneTaken.into());
            }
            store.set_phone(&id, Some((cc, phone)), now);
            let verified = body.phone_verified.unwrap_or(false);
            store.user_mut(&id)?.phone_verified = verified;
        }
        None => {
            if let Some(verified) = body.phone_verified {
                let user = store.user_mut(&id)?;
                user.phone_verified = verified && user.phone.is_some();
            }
        }
    }
    for (login, value) in [("username", &body.username), ("email", &body.email)] {
        if let Some(value) = value
            && store.user_by_login(value).is_some_and(|u| u.id != id)
        {
            return Err(ApiError::plain(409, format!("this {login} is taken")));
        }
    }
    store.update_logins(&id, body.username.clone(), body.email.clone());
    let user = store.user_mut(&id)?;
    if let Some(password) = &body.password {
        user.password = Some(password.clone());
    }
    if let Some(name) = &body.name {
        user.name = Some(name.clone());
    }
    user.custom_data.extend(body.custom_data.clone());
    user.updated_at_ms = now;
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(u, false, true, false))))
}

/// The routes of this family: get-management-token open, the others behind the management
/// authentication (`auth::management_auth`: a management token or an access-key signature).
pub(crate) fn routes(
    shared: &std::sync::Arc<crate::shared::Shared>,
) -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::{get, post};
    let authenticated = axum::Router::new()
        .route("/api/v3/link-identity", post(link_identity))
        .route("/api/v3/get-user", get(get_user))
        .route("/api/v3/is-user-exists", post(is_user_exists))
        .route("/api/v3/create-user", post(create_user))
        .route("/api/v3/update-user", post(update_user))
        .route("/api/v3/unlink-identity", post(unlink_identity))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::auth::management_auth,
        ));
    axum::Router::new()
        .route("/api/v3/get-management-token", post(get_management_token))
        .merge(authenticated)
}
