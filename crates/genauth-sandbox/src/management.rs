//! The management calls: get-management-token, the user calls (get-user, is-user-exists,
//! create-user, update-user), link-identity and unlink-identity. Their authentication, in both
//! of the service's ways, is `auth.rs`'s middleware in front of these routes.

use axum::extract::State;
use axum::response::Response;

use crate::dto::user_dto;
use crate::envelope::{ApiError, V3Json, V3Query, ok, success};
use crate::lookup::{UserRef, find_user, page_and_limit, paginate};
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
    Ok(crate::envelope::success())
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
    Ok(crate::envelope::success())
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
    let id = create_one(&mut store, &body, now)?;
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(u, false, true, false))))
}

/// Creates the user `body` describes: its phone refused when another user owns it (as
/// bind-phone refuses it), verified only when the administrator says so.
fn create_one(
    store: &mut Store,
    body: &types::CreateUserReqDto,
    now: u64,
) -> Result<String, ApiError> {
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
    Ok(id)
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
    let phone = check_update(&store, &id, &body, &mut Claims::default())?;
    apply_update(&mut store, &id, &body, phone, now)?;
    let u = store.user(&id)?;
    Ok(ok(Some(user_dto(u, false, true, false))))
}

/// The phones, user names and emails a batch of updates gives out, and to whom: a later
/// update of the same batch cannot take them for another user.
#[derive(Default)]
struct Claims(std::collections::HashMap<String, String>);

impl Claims {
    fn claim(
        &mut self,
        key: String,
        id: &str,
        taken: impl FnOnce() -> ApiError,
    ) -> Result<(), ApiError> {
        match self.0.get(&key) {
            Some(owner) if owner != id => Err(taken()),
            _ => {
                self.0.insert(key, id.to_string());
                Ok(())
            }
        }
    }
}

/// What update-user and update-user-batch refuse before anything changes: a malformed phone,
/// another user's phone (as bind-phone refuses it), another user's user name or email (409).
/// Answers the normalised phone to set (`Some(None)`: free the user's phone).
fn check_update(
    store: &Store,
    id: &str,
    body: &types::UpdateUserReqDto,
    claims: &mut Claims,
) -> Result<Option<Option<(String, String)>>, ApiError> {
    let phone = match body.phone.as_deref() {
        Some("") => Some(None),
        Some(phone) => {
            let (cc, phone) = normalize_phone(phone, body.phone_country_code.as_deref())?;
            let owner = store.user_by_phone(&cc, &phone).map(|u| u.id.clone());
            if owner.as_deref().is_some_and(|o| o != id) {
                return Err(crate::state::PhoneTaken.into());
            }
            claims.claim(format!("phone {cc} {phone}"), id, || {
                crate::state::PhoneTaken.into()
            })?;
            Some(Some((cc, phone)))
        }
        None => None,
    };
    for (login, value) in [("username", &body.username), ("email", &body.email)] {
        if let Some(value) = value {
            let taken = || ApiError::plain(409, format!("this {login} is taken"));
            if store.user_by_login(value).is_some_and(|u| u.id != id) {
                return Err(taken());
            }
            claims.claim(format!("login {value}"), id, taken)?;
        }
    }
    Ok(phone)
}

/// Applies an update [`check_update`] passed: the phone first (an empty one frees the number),
/// then user name, email, password, name and custom data.
fn apply_update(
    store: &mut Store,
    id: &str,
    body: &types::UpdateUserReqDto,
    phone: Option<Option<(String, String)>>,
    now: u64,
) -> Result<(), ApiError> {
    match phone {
        Some(None) => store.set_phone(id, None, now),
        Some(Some(phone)) => {
            store.set_phone(id, Some(phone), now);
            store.user_mut(id)?.phone_verified = body.phone_verified.unwrap_or(false);
        }
        None => {
            if let Some(verified) = body.phone_verified {
                let user = store.user_mut(id)?;
                user.phone_verified = verified && user.phone.is_some();
            }
        }
    }
    store.update_logins(id, body.username.clone(), body.email.clone());
    let user = store.user_mut(id)?;
    if let Some(password) = &body.password {
        user.password = Some(password.clone());
    }
    if let Some(name) = &body.name {
        user.name = Some(name.clone());
    }
    user.custom_data.extend(body.custom_data.clone());
    user.updated_at_ms = now;
    Ok(())
}

/// update-user-batch's body: the updates (each as update-user's, by user id).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct UpdateUsersBody {
    list: Vec<types::UpdateUserReqDto>,
}

/// update-user-batch: 1 to 50 updates, all or nothing: every user must exist (404), and no
/// update may take a phone, user name or email another user has, or another update of the
/// batch gives out (409). Answers the updated users.
pub(crate) async fn update_user_batch(
    State(s): S,
    V3Json(body): V3Json<UpdateUsersBody>,
) -> Result<Response, ApiError> {
    batch_size("list", body.list.len(), "users")?;
    let now = s.now_ms();
    let mut store = s.lock();
    let mut claims = Claims::default();
    let mut checked = Vec::with_capacity(body.list.len());
    for update in &body.list {
        let id = store.user(&update.user_id)?.id.clone();
        let phone = check_update(&store, &id, update, &mut claims)?;
        checked.push((id, phone));
    }
    let mut list = Vec::with_capacity(checked.len());
    for ((id, phone), update) in checked.into_iter().zip(&body.list) {
        apply_update(&mut store, &id, update, phone, now)?;
        list.push(user_dto(store.user(&id)?, false, true, false));
    }
    Ok(ok(Some(list)))
}

// ---------------------------------------------------------------------------------------------
// The user family beyond the spec (list, batch get, batch delete, archived), stateful on the one store
// the phone flows use, with the shapes of the service's documents (UserPaginatedRespDto,
// UserListRespDto, IsSuccessRespDto). The spec does not have them yet, so their bodies are
// read here; what the documents refuse is refused the same way as by `documented.rs`.

/// list-users' body (ListUsersRequestDto), as far as the sandbox reads it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ListUsersBody {
    keywords: Option<String>,
    advanced_filter: Option<Vec<Filter>>,
    options: Option<ListOptions>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ListOptions {
    pagination: Option<Pagination>,
    fuzzy_search_on: Option<Vec<String>>,
    sort: Option<Vec<Sorting>>,
    with_identities: bool,
    with_custom_data: bool,
    with_department_ids: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Pagination {
    page: Option<f64>,
    limit: Option<f64>,
}

#[derive(Debug, serde::Deserialize)]
struct Sorting {
    key: String,
    #[serde(default)]
    order: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Filter {
    field: String,
    operator: String,
    #[serde(default)]
    value: serde_json::Value,
}

/// A user's field as text, for keywords and filters (`None` when it has none).
fn field_of(u: &crate::state::User, field: &str) -> Result<Option<String>, ApiError> {
    Ok(match field {
        "id" | "userId" => Some(u.id.clone()),
        "phone" => u.phone.clone(),
        "phoneCountryCode" => u.phone_country_code.clone(),
        "email" => u.email.clone(),
        "username" => u.username.clone(),
        "name" => u.name.clone(),
        // Every user the sandbox keeps is active.
        "status" => Some("Activated".into()),
        "loginsCount" => Some(u.logins_count.to_string()),
        // What the sandbox does not keep matches nothing.
        "nickname" | "identityNumber" | "externalId" | "company" | "givenName" | "familyName"
        | "middleName" | "profile" | "preferredUsername" | "website" | "address" | "formatted"
        | "streetAddress" | "postalCode" => None,
        other => {
            return Err(ApiError::plain(
                400,
                format!("field {other:?} is not kept by the sandbox"),
            ));
        }
    })
}

/// Whether `u` passes `filter`.
fn passes(u: &crate::state::User, filter: &Filter) -> Result<bool, ApiError> {
    let have = field_of(u, &filter.field)?;
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or(v.to_string());
    let want = text(&filter.value);
    Ok(match filter.operator.as_str() {
        "EQUAL" => have.as_deref() == Some(want.as_str()),
        "NOT_EQUAL" => have.as_deref() != Some(want.as_str()),
        "CONTAINS" => have.is_some_and(|h| h.contains(&want)),
        "NOT_CONTAINS" => !have.is_some_and(|h| h.contains(&want)),
        "IS_NULL" => have.is_none(),
        "NOT_NULL" => have.is_some(),
        "IN" => filter.value.as_array().is_some_and(|values| {
            values
                .iter()
                .any(|v| have.as_deref() == Some(text(v).as_str()))
        }),
        other => {
            return Err(ApiError::plain(
                400,
                format!(
                    "operator {other:?} is not supported by the sandbox (EQUAL, NOT_EQUAL, CONTAINS, NOT_CONTAINS, IS_NULL, NOT_NULL, IN)"
                ),
            ));
        }
    })
}

/// A batch of `len` items of parameter `name` must hold 1 to 50 of them, as the documents say.
fn batch_size(name: &str, len: usize, what: &str) -> Result<(), ApiError> {
    if (1..=50).contains(&len) {
        Ok(())
    } else {
        Err(ApiError::plain(
            400,
            format!("parameter {name} must name 1 to 50 {what}"),
        ))
    }
}

/// The paginated answer `{totalCount, list}` in the envelope.
fn page_of(list: Vec<types::UserDto>, total: usize) -> Response {
    ok(Some(json!({ "totalCount": total, "list": list })))
}

/// list-users: keywords (over `fuzzySearchOn`, by default phone, email, name, user name),
/// `advancedFilter`, sorting by createdAt / updatedAt, pagination (at most 50 a page, as the
/// service).
pub(crate) async fn list_users(
    State(s): S,
    V3Json(body): V3Json<ListUsersBody>,
) -> Result<Response, ApiError> {
    let options = body.options.unwrap_or_default();
    let pagination = options.pagination.unwrap_or_default();
    let (page, limit) = page_and_limit(pagination.page, pagination.limit)?;
    let fuzzy = options.fuzzy_search_on.unwrap_or_else(|| {
        ["phone", "email", "name", "username"]
            .map(String::from)
            .to_vec()
    });
    let store = s.lock();
    let mut users = Vec::new();
    for u in store.users() {
        if let Some(keywords) = body.keywords.as_deref().filter(|k| !k.is_empty()) {
            let mut hit = false;
            for field in &fuzzy {
                hit |= field_of(u, field)?.is_some_and(|v| v.contains(keywords));
            }
            if !hit {
                continue;
            }
        }
        let mut keep = true;
        for filter in body.advanced_filter.iter().flatten() {
            keep &= passes(u, filter)?;
        }
        if keep {
            users.push(u);
        }
    }
    // Oldest first unless a sort says otherwise; the id breaks ties, so pages are stable.
    users.sort_by(|a, b| (a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)));
    for sort in options.sort.iter().flatten().rev() {
        let descending = sort.order.as_deref() == Some("desc");
        let key = |u: &crate::state::User| match sort.key.as_str() {
            "updatedAt" => u.updated_at_ms,
            _ => u.created_at_ms,
        };
        users.sort_by(|a, b| {
            let order = key(a).cmp(&key(b));
            if descending { order.reverse() } else { order }
        });
    }
    let (total, users) = paginate(users, page, limit);
    let list = users
        .map(|u| {
            user_dto(
                u,
                options.with_identities,
                options.with_custom_data,
                options.with_department_ids,
            )
        })
        .collect();
    Ok(page_of(list, total))
}

/// get-user-batch: the users the ids name (`userIds` repeated or comma-separated, 1 to 50), in
/// the order asked; ids that name no user are left out.
pub(crate) async fn get_user_batch(
    State(s): S,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let flag = |key: &str| value(key) == Some("true");
    let ids: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "userIds")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    if value("userIds").is_none() {
        let lang = crate::envelope::Lang::of(&headers);
        return Err(crate::envelope::invalid_argument(
            "",
            "missing field `userIds`",
            lang,
        ));
    }
    batch_size("userIds", ids.len(), "users")?;
    let kind = value("userIdType").unwrap_or("user_id");
    let store = s.lock();
    let mut list = Vec::new();
    for id in ids {
        match find_user(&store, id, kind) {
            Ok(found) => list.push(user_dto(
                store.user(&found)?,
                flag("withIdentities"),
                flag("withCustomData"),
                flag("withDepartmentIds"),
            )),
            Err(e) if e.status_code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ok(Some(list)))
}

/// create-users-batch's body: each item as create-user's.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct CreateUsersBody {
    list: Vec<serde_json::Value>,
}

/// create-users-batch: 1 to 50 users, all or nothing (a refused one, a taken phone, user name
/// or email, undoes those created before it); answers them in the order given.
pub(crate) async fn create_users_batch(
    State(s): S,
    headers: axum::http::HeaderMap,
    V3Json(body): V3Json<CreateUsersBody>,
) -> Result<Response, ApiError> {
    batch_size("list", body.list.len(), "users")?;
    let lang = crate::envelope::Lang::of(&headers);
    let mut items = Vec::with_capacity(body.list.len());
    for (i, item) in body.list.into_iter().enumerate() {
        let item: types::CreateUserReqDto =
            serde_path_to_error::deserialize(item).map_err(|e| {
                let inner = e.path().to_string();
                let path = if inner == "." {
                    format!("list[{i}]")
                } else {
                    format!("list[{i}].{inner}")
                };
                crate::envelope::invalid_argument(&path, &e.inner().to_string(), lang)
            })?;
        items.push(item);
    }
    let now = s.now_ms();
    let mut store = s.lock();
    let mut created = Vec::new();
    for item in &items {
        match create_one(&mut store, item, now) {
            Ok(id) => created.push(id),
            Err(e) => {
                for id in &created {
                    let _ = store.delete_user(id);
                }
                return Err(e);
            }
        }
    }
    let mut list = Vec::with_capacity(created.len());
    for id in &created {
        list.push(user_dto(store.user(id)?, false, true, false));
    }
    Ok(ok(Some(list)))
}

/// get-user-identities: the identities linked to the user `userId` names.
pub(crate) async fn get_user_identities(
    State(s): S,
    V3Query(q): V3Query<UserRef>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let id = q.find(&store)?;
    Ok(ok(Some(crate::dto::identities(
        &store.user(&id)?.identities,
    ))))
}

/// kick-users' body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KickUsersBody {
    user_id: String,
    app_ids: Vec<String>,
}

/// kick-users: ends the user's sessions in the apps named: their refresh tokens stop working at
/// once (an access token already issued runs to its expiry: the sandbox does not revoke JWTs).
pub(crate) async fn kick_users(
    State(s): S,
    V3Json(body): V3Json<KickUsersBody>,
) -> Result<Response, ApiError> {
    batch_size("appIds", body.app_ids.len(), "apps")?;
    let mut store = s.lock();
    store.user(&body.user_id)?;
    store.refresh_tokens.retain(|_, grant| {
        !(grant.user_id == body.user_id && body.app_ids.contains(&grant.app_id))
    });
    Ok(success())
}

/// list-archived-users: the sandbox archives nobody (no call of it archives a user), so the
/// list is empty, paginated as the service's (page and limit checked).
pub(crate) async fn list_archived_users(
    V3Query(q): V3Query<ArchivedQuery>,
) -> Result<Response, ApiError> {
    page_and_limit(q.page, q.limit)?;
    Ok(page_of(Vec::new(), 0))
}

/// list-archived-users' query, as far as the sandbox reads it.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArchivedQuery {
    #[serde(default)]
    limit: Option<f64>,
    #[serde(default)]
    page: Option<f64>,
}

/// delete-users-batch's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeleteUsersBody {
    user_ids: Vec<String>,
}

/// delete-users-batch: every named user must exist (404 naming none is deleted otherwise); the
/// users, their phones, user names and emails are freed at once.
pub(crate) async fn delete_users_batch(
    State(s): S,
    V3Json(body): V3Json<DeleteUsersBody>,
) -> Result<Response, ApiError> {
    batch_size("userIds", body.user_ids.len(), "users")?;
    let mut store = s.lock();
    if let Some(missing) = body.user_ids.iter().find(|id| store.user(id).is_err()) {
        return Err(ApiError::new(
            404,
            2004,
            format!("user {missing:?} not found"),
        ));
    }
    for id in &body.user_ids {
        store.delete_user(id)?;
    }
    Ok(success())
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
        .route("/api/v3/update-user-batch", post(update_user_batch))
        .route("/api/v3/unlink-identity", post(unlink_identity))
        .route("/api/v3/list-users", post(list_users))
        .route("/api/v3/get-user-batch", get(get_user_batch))
        .route("/api/v3/delete-users-batch", post(delete_users_batch))
        .route("/api/v3/list-archived-users", get(list_archived_users))
        .route("/api/v3/create-users-batch", post(create_users_batch))
        .route("/api/v3/get-user-identities", get(get_user_identities))
        .route("/api/v3/kick-users", post(kick_users))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::auth::management_auth,
        ));
    axum::Router::new()
        .route("/api/v3/get-management-token", post(get_management_token))
        .merge(authenticated)
}
