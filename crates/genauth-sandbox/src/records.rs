//! What the service keeps about its users beyond their profiles, on the store the phone flows
//! use: each sign-in (get-user-login-history, get-user-loggedin-apps,
//! get-user-logged-in-identities), and roles and groups with their members (create-role,
//! assign-role, revoke-role, get-user-roles; create-group, add-group-members,
//! remove-group-members, get-user-groups), and real-name authentications (none: the sandbox
//! verifies no one; get- and reset-user-principal-authentication-info find the user). A
//! deleted user leaves every role and group.
//!
//! What the sandbox does not know it says plainly: its apps have no names, logos or login pages
//! (the app id stands for the name, the others are empty), a sign-in's client IP is empty, and a
//! role's members are users only (a ROLE, GROUP or DEPARTMENT target is refused with 400).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use crate::envelope::{ApiError, V3Json, V3Query, ok, success};
use crate::lookup::{UserIdOptions, UserRef, check_code, find_user, page_and_limit, paginate};
use crate::shared::S;
use crate::state::{State as Store, new_id};
use crate::user_records::{Group, Role, SignIn, SignInIdentity};

/// The role's namespace as the service defaults it.
fn namespace_of(namespace: Option<&str>) -> String {
    namespace.unwrap_or("default").to_string()
}

fn role_dto(role: &Role) -> Value {
    let mut dto = json!({
        "id": role.id,
        "code": role.code,
        "name": role.name,
        "description": "",
        "namespace": role.namespace,
        "namespaceName": role.namespace,
        "status": "ENABLE",
    });
    if let Some(t) = role.disable_time {
        dto["disableTime"] = json!(t);
    }
    dto
}

fn group_dto(store: &Store, group: &Group) -> Value {
    let members: Vec<_> = group
        .members
        .iter()
        .filter_map(|id| store.user(id).ok())
        .map(|u| crate::dto::user_dto(u, false, false, false))
        .collect();
    json!({
        "id": group.id,
        "code": group.code,
        "name": group.name,
        "description": group.description,
        "type": group.kind,
        "metadataSource": [],
        "members": members,
    })
}

/// get-user-roles' query: the user, and the namespace of the roles (any, unless named).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct RolesQuery {
    #[serde(flatten)]
    user: UserRef,
    #[serde(default)]
    namespace: Option<String>,
}

/// get-user-login-history's query.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryQuery {
    user_id: String,
    #[serde(default)]
    user_id_type: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    client_ip: Option<String>,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
    #[serde(default)]
    page: Option<f64>,
    #[serde(default)]
    limit: Option<f64>,
}

/// An app as get-user-login-history and get-user-loggedin-apps show it.
fn app_fields(app_id: &str) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("appId".into(), json!(app_id));
    map.insert("appName".into(), json!(app_id));
    map.insert("appLogo".into(), json!(""));
    map.insert("appLoginUrl".into(), json!(""));
    map
}

/// get-user-login-history: the user's sign-ins, newest first, filtered by app, client IP and
/// time (`start` and `end` in milliseconds), paginated as list-users.
pub(crate) async fn login_history(
    State(s): S,
    V3Query(q): V3Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    let (page, limit) = page_and_limit(q.page, q.limit)?;
    let store = s.lock();
    let id = find_user(
        &store,
        &q.user_id,
        q.user_id_type.as_deref().unwrap_or("user_id"),
    )?;
    // The sandbox knows no client IP: a filter by one matches nothing.
    let ip_matches = q.client_ip.as_deref().is_none_or(str::is_empty);
    let mut found: Vec<&SignIn> = store
        .records
        .sign_ins
        .iter()
        .filter(|r| r.user_id == id)
        .filter(|r| q.app_id.as_deref().is_none_or(|a| a == r.app_id))
        .filter(|r| q.start.is_none_or(|t| r.at_ms as f64 >= t))
        .filter(|r| q.end.is_none_or(|t| r.at_ms as f64 <= t))
        .filter(|_| ip_matches)
        .collect();
    found.reverse();
    let (total, found) = paginate(found, page, limit);
    let list: Vec<Value> = found
        .map(|r| {
            let mut map = app_fields(&r.app_id);
            map.insert("clientIp".into(), json!(""));
            map.insert("time".into(), json!(crate::dto::iso(r.at_ms)));
            Value::Object(map)
        })
        .collect();
    Ok(ok(Some(json!({ "totalCount": total, "list": list }))))
}

/// get-user-loggedin-apps: each app the user has signed in to, once, most recent first.
pub(crate) async fn loggedin_apps(
    State(s): S,
    V3Query(q): V3Query<UserRef>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let id = q.find(&store)?;
    let mut seen = BTreeSet::new();
    let list: Vec<Value> = store
        .records
        .sign_ins
        .iter()
        .rev()
        .filter(|r| r.user_id == id && seen.insert(r.app_id.clone()))
        .map(|r| Value::Object(app_fields(&r.app_id)))
        .collect();
    Ok(ok(Some(list)))
}

/// get-user-logged-in-identities: each identity the user has signed in through, once.
pub(crate) async fn logged_in_identities(
    State(s): S,
    V3Query(q): V3Query<UserRef>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let id = q.find(&store)?;
    let used: BTreeSet<&SignInIdentity> = store
        .records
        .sign_ins
        .iter()
        .filter(|r| r.user_id == id)
        .filter_map(|r| r.identity.as_ref())
        .collect();
    let list: Vec<Value> = used
        .into_iter()
        .map(|i| {
            json!({
                "identityId": i.identity_id,
                "idpId": i.ext_idp_id,
                "idpName": i.provider,
                "idpNameEn": i.provider,
                "idpLogo": "",
            })
        })
        .collect();
    Ok(ok(Some(list)))
}

/// create-role's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateRoleBody {
    code: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    disable_time: Option<String>,
}

/// create-role: a role of `code` in `namespace` (`default` unless named); a code already taken
/// in the namespace is refused with 409.
pub(crate) async fn create_role(
    State(s): S,
    V3Json(body): V3Json<CreateRoleBody>,
) -> Result<Response, ApiError> {
    check_code("code", &body.code)?;
    let disable_time = match body.disable_time.as_deref() {
        None | Some("") => None,
        Some(t) => Some(t.parse::<i64>().map_err(|_| {
            ApiError::plain(400, "parameter disableTime must be a time in milliseconds")
        })?),
    };
    let namespace = namespace_of(body.namespace.as_deref());
    let mut store = s.lock();
    let key = (namespace.clone(), body.code.clone());
    if store.records.roles.contains_key(&key) {
        return Err(ApiError::plain(
            409,
            format!("role {:?} already exists in {namespace:?}", body.code),
        ));
    }
    let role = Role {
        id: new_id(),
        name: body.name.clone().unwrap_or_else(|| body.code.clone()),
        code: body.code,
        namespace,
        disable_time,
        members: BTreeSet::new(),
    };
    let dto = role_dto(&role);
    store.records.roles.insert(key, role);
    Ok(ok(Some(dto)))
}

/// A target of assign-role and revoke-role.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Target {
    target_type: String,
    target_identifier: String,
}

/// assign-role's and revoke-role's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoleTargets {
    code: String,
    #[serde(default)]
    namespace: Option<String>,
    targets: Vec<Target>,
}

/// The users `targets` name: each one USER, and existing (404 naming the first that is not).
fn target_users(store: &Store, targets: &[Target]) -> Result<Vec<String>, ApiError> {
    if targets.is_empty() || targets.len() > 50 {
        return Err(ApiError::plain(
            400,
            "parameter targets must name 1 to 50 targets",
        ));
    }
    let mut users = Vec::new();
    for t in targets {
        match t.target_type.as_str() {
            "USER" => {
                store.user(&t.target_identifier).map_err(|_| {
                    ApiError::new(
                        404,
                        2004,
                        format!("user {:?} not found", t.target_identifier),
                    )
                })?;
                users.push(t.target_identifier.clone());
            }
            "ROLE" | "GROUP" | "DEPARTMENT" => {
                return Err(ApiError::plain(
                    400,
                    format!(
                        "targetType {} is not kept by the sandbox (a role's members are users)",
                        t.target_type
                    ),
                ));
            }
            other => {
                return Err(ApiError::plain(
                    400,
                    format!("targetType {other:?} is not USER, ROLE, GROUP or DEPARTMENT"),
                ));
            }
        }
    }
    Ok(users)
}

/// The role `code` names in `namespace`, to change: 404 when there is none.
fn role_mut<'a>(store: &'a mut Store, body: &RoleTargets) -> Result<&'a mut Role, ApiError> {
    let namespace = namespace_of(body.namespace.as_deref());
    store
        .records
        .roles
        .get_mut(&(namespace.clone(), body.code.clone()))
        .ok_or_else(|| {
            ApiError::plain(
                404,
                format!("role {:?} not found in {namespace:?}", body.code),
            )
        })
}

/// assign-role: the users named become members of the role (all or nothing).
pub(crate) async fn assign_role(
    State(s): S,
    V3Json(body): V3Json<RoleTargets>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    let users = target_users(&store, &body.targets)?;
    role_mut(&mut store, &body)?.members.extend(users);
    Ok(success())
}

/// revoke-role: the users named stop being members of the role.
pub(crate) async fn revoke_role(
    State(s): S,
    V3Json(body): V3Json<RoleTargets>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    let users = target_users(&store, &body.targets)?;
    let role = role_mut(&mut store, &body)?;
    for user in &users {
        role.members.remove(user);
    }
    Ok(success())
}

/// get-user-roles: the roles the user is a member of, in `namespace` when one is named.
pub(crate) async fn user_roles(
    State(s): S,
    V3Query(q): V3Query<RolesQuery>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let id = q.user.find(&store)?;
    let list: Vec<Value> = store
        .records
        .roles
        .values()
        .filter(|r| q.namespace.as_deref().is_none_or(|n| n == r.namespace))
        .filter(|r| r.members.contains(&id))
        .map(role_dto)
        .collect();
    Ok(ok(Some(json!({ "totalCount": list.len(), "list": list }))))
}

/// create-group's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateGroupBody {
    code: String,
    name: String,
    description: String,
    #[serde(rename = "type")]
    kind: String,
}

/// create-group: a group of `code` (taken: 409), of type STATIC or DYNAMIC.
pub(crate) async fn create_group(
    State(s): S,
    V3Json(body): V3Json<CreateGroupBody>,
) -> Result<Response, ApiError> {
    check_code("code", &body.code)?;
    check_code("name", &body.name)?;
    if !matches!(body.kind.as_str(), "STATIC" | "DYNAMIC") {
        return Err(ApiError::plain(
            400,
            format!("type {:?} is not STATIC or DYNAMIC", body.kind),
        ));
    }
    let mut store = s.lock();
    if store.records.groups.contains_key(&body.code) {
        return Err(ApiError::plain(
            409,
            format!("group {:?} already exists", body.code),
        ));
    }
    let group = Group {
        id: new_id(),
        code: body.code.clone(),
        name: body.name,
        description: body.description,
        kind: body.kind,
        members: BTreeSet::new(),
    };
    let dto = group_dto(&store, &group);
    store.records.groups.insert(body.code, group);
    Ok(ok(Some(dto)))
}

/// add-group-members' and remove-group-members' body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupMembers {
    code: String,
    user_ids: Vec<String>,
}

/// The group `body` names, after checking its users exist: (404 for a missing group or user).
fn members_of<'a>(store: &'a mut Store, body: &GroupMembers) -> Result<&'a mut Group, ApiError> {
    if body.user_ids.is_empty() || body.user_ids.len() > 50 {
        return Err(ApiError::plain(
            400,
            "parameter userIds must name 1 to 50 users",
        ));
    }
    if let Some(missing) = body.user_ids.iter().find(|id| store.user(id).is_err()) {
        return Err(ApiError::new(
            404,
            2004,
            format!("user {missing:?} not found"),
        ));
    }
    store
        .records
        .groups
        .get_mut(&body.code)
        .ok_or_else(|| ApiError::plain(404, format!("group {:?} not found", body.code)))
}

/// add-group-members: the users become members of the group (all or nothing).
pub(crate) async fn add_group_members(
    State(s): S,
    V3Json(body): V3Json<GroupMembers>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    let group = members_of(&mut store, &body)?;
    group.members.extend(body.user_ids.iter().cloned());
    Ok(success())
}

/// remove-group-members: the users stop being members of the group.
pub(crate) async fn remove_group_members(
    State(s): S,
    V3Json(body): V3Json<GroupMembers>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    let group = members_of(&mut store, &body)?;
    for id in &body.user_ids {
        group.members.remove(id);
    }
    Ok(success())
}

/// get-user-groups: the groups the user is a member of.
pub(crate) async fn user_groups(
    State(s): S,
    V3Query(q): V3Query<UserRef>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let id = q.find(&store)?;
    let list: Vec<Value> = store
        .records
        .groups
        .values()
        .filter(|g| g.members.contains(&id))
        .map(|g| group_dto(&store, g))
        .collect();
    Ok(ok(Some(json!({ "totalCount": list.len(), "list": list }))))
}

/// get-user-principal-authentication-info: the user's real-name authentications. The sandbox
/// verifies none (it reaches no identity registry), so a user it knows has none; a user it does
/// not know is 404 as everywhere.
pub(crate) async fn principal_authentication_info(
    State(s): S,
    V3Query(q): V3Query<UserRef>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    q.find(&store)?;
    Ok(ok(Some(json!({ "totalCount": 0, "list": [] }))))
}

/// reset-user-principal-authentication-info's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResetPrincipalBody {
    user_id: String,
    #[serde(default)]
    options: Option<UserIdOptions>,
}

/// reset-user-principal-authentication-info: clears the user's real-name authentications
/// (there are none to clear in the sandbox); 404 for a user it does not know.
pub(crate) async fn reset_principal_authentication_info(
    State(s): S,
    V3Json(body): V3Json<ResetPrincipalBody>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    UserIdOptions::find(body.options.as_ref(), &store, &body.user_id)?;
    Ok(success())
}

/// The routes of these records, behind the management authentication.
pub(crate) fn routes(
    shared: &std::sync::Arc<crate::shared::Shared>,
) -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v3/get-user-login-history", get(login_history))
        .route("/api/v3/get-user-loggedin-apps", get(loggedin_apps))
        .route(
            "/api/v3/get-user-logged-in-identities",
            get(logged_in_identities),
        )
        .route("/api/v3/create-role", post(create_role))
        .route("/api/v3/assign-role", post(assign_role))
        .route("/api/v3/revoke-role", post(revoke_role))
        .route("/api/v3/get-user-roles", get(user_roles))
        .route("/api/v3/create-group", post(create_group))
        .route("/api/v3/add-group-members", post(add_group_members))
        .route("/api/v3/remove-group-members", post(remove_group_members))
        .route("/api/v3/get-user-groups", get(user_groups))
        .route(
            "/api/v3/get-user-principal-authentication-info",
            get(principal_authentication_info),
        )
        .route(
            "/api/v3/reset-user-principal-authentication-info",
            post(reset_principal_authentication_info),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::auth::management_auth,
        ))
}
