//! Organizations, their departments and the users in them, on the store the phone flows use:
//! create-organization (its root department), create-department, set-user-departments,
//! add-department-members, remove-department-members, get-user-departments and
//! is-user-in-department. A user's memberships are kept on the user (`User::departments`), so
//! get-user and list-users show its `departmentIds` and `mainDepartmentId`, and a deleted user
//! leaves every department.
//!
//! What the sandbox does not keep it refuses plainly (400): departments named by an open id, a
//! sync relation or a custom field (it keeps ids and codes), tenants.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use crate::dto::iso;
use crate::envelope::{ApiError, V3Json, V3Query, ok, success};
use crate::lookup::{UserIdOptions, check_code, find_user, page_and_limit, paginate};
use crate::shared::S;
use crate::state::{State as Store, new_id};
use crate::user_records::{Department, Membership, Organization};

/// The number of users in the department `id`.
fn members_count(store: &Store, id: &str) -> usize {
    store
        .users()
        .filter(|u| u.departments.iter().any(|m| m.department_id == id))
        .count()
}

fn has_children(store: &Store, id: &str) -> bool {
    store
        .records
        .departments
        .values()
        .any(|d| d.parent_id.as_deref() == Some(id))
}

fn leaders(store: &Store, id: &str) -> Vec<String> {
    store
        .users()
        .filter(|u| {
            u.departments
                .iter()
                .any(|m| m.department_id == id && m.is_leader)
        })
        .map(|u| u.id.clone())
        .collect()
}

fn organization_dto(store: &Store, org: &Organization) -> Value {
    let root = &org.root_department_id;
    json!({
        "organizationCode": org.code,
        "organizationName": org.name,
        "departmentId": root,
        "openDepartmentId": "",
        "hasChildren": has_children(store, root),
        "membersCount": members_count(store, root),
        "leaderUserIds": leaders(store, root),
        "isVirtualNode": false,
        "createdAt": iso(org.created_ms),
        "updatedAt": iso(org.created_ms),
    })
}

fn department_dto(store: &Store, d: &Department) -> Value {
    let parent = d
        .parent_id
        .as_deref()
        .and_then(|p| store.records.departments.get(p));
    json!({
        "organizationCode": d.organization_code,
        "departmentId": d.id,
        "code": d.code,
        "name": d.name,
        "parentDepartmentId": parent.map(|p| p.id.as_str()).unwrap_or_default(),
        "parentDepartmentCode": parent.map(|p| p.code.as_str()).unwrap_or_default(),
        "membersCount": members_count(store, &d.id),
        "hasChildren": has_children(store, &d.id),
        "leaderUserIds": leaders(store, &d.id),
        "isVirtualNode": false,
        "status": true,
        "createdAt": iso(d.created_ms),
        "updatedAt": iso(d.created_ms),
    })
}

/// The department of `organization` that `id` names, read as `kind` says (`department_id`
/// unless named, or `code`): 404 when the organization or the department is not there.
fn find_department<'a>(
    store: &'a Store,
    organization: &str,
    id: &str,
    kind: Option<&str>,
) -> Result<&'a Department, ApiError> {
    if !store.records.organizations.contains_key(organization) {
        return Err(ApiError::plain(
            404,
            format!("organization {organization:?} not found"),
        ));
    }
    let found = match kind.unwrap_or("department_id") {
        "department_id" => store.records.departments.get(id),
        "code" => store
            .records
            .departments
            .values()
            .find(|d| d.organization_code == organization && d.code == id),
        other => {
            return Err(ApiError::plain(
                400,
                format!(
                    "departmentIdType {other:?} is not kept by the sandbox (department_id, code)"
                ),
            ));
        }
    };
    found
        .filter(|d| d.organization_code == organization)
        .ok_or_else(|| ApiError::plain(404, format!("department {id:?} not found")))
}

/// create-organization's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateOrganizationBody {
    organization_code: String,
    organization_name: String,
}

/// create-organization: an organization of `organizationCode` (taken: 409) and its root
/// department, named as the organization.
pub(crate) async fn create_organization(
    State(s): S,
    V3Json(body): V3Json<CreateOrganizationBody>,
) -> Result<Response, ApiError> {
    check_code("organizationCode", &body.organization_code)?;
    check_code("organizationName", &body.organization_name)?;
    let now = s.now_ms();
    let mut store = s.lock();
    if store
        .records
        .organizations
        .contains_key(&body.organization_code)
    {
        return Err(ApiError::plain(
            409,
            format!("organization {:?} already exists", body.organization_code),
        ));
    }
    let root = Department {
        id: new_id(),
        organization_code: body.organization_code.clone(),
        parent_id: None,
        name: body.organization_name.clone(),
        code: body.organization_code.clone(),
        created_ms: now,
    };
    let org = Organization {
        code: body.organization_code.clone(),
        name: body.organization_name,
        root_department_id: root.id.clone(),
        created_ms: now,
    };
    store.records.departments.insert(root.id.clone(), root);
    let dto = organization_dto(&store, &org);
    store.records.organizations.insert(org.code.clone(), org);
    Ok(ok(Some(dto)))
}

/// create-department's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateDepartmentBody {
    organization_code: String,
    name: String,
    parent_department_id: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    department_id_type: Option<String>,
}

/// create-department: a department under `parentDepartmentId` (read as `departmentIdType`
/// says); a code another department of the organization holds is refused with 409.
pub(crate) async fn create_department(
    State(s): S,
    V3Json(body): V3Json<CreateDepartmentBody>,
) -> Result<Response, ApiError> {
    check_code("name", &body.name)?;
    let now = s.now_ms();
    let mut store = s.lock();
    let parent = find_department(
        &store,
        &body.organization_code,
        &body.parent_department_id,
        body.department_id_type.as_deref(),
    )?
    .id
    .clone();
    let id = new_id();
    let code = match body.code.filter(|c| !c.is_empty()) {
        Some(code) => {
            check_code("code", &code)?;
            let taken = store
                .records
                .departments
                .values()
                .any(|d| d.organization_code == body.organization_code && d.code == code);
            if taken {
                return Err(ApiError::plain(
                    409,
                    format!("department code {code:?} already exists"),
                ));
            }
            code
        }
        None => id.clone(),
    };
    let department = Department {
        id: id.clone(),
        organization_code: body.organization_code,
        parent_id: Some(parent),
        name: body.name,
        code,
        created_ms: now,
    };
    store.records.departments.insert(id.clone(), department);
    let dto = department_dto(&store, &store.records.departments[&id]);
    Ok(ok(Some(dto)))
}

/// One department of set-user-departments' body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DepartmentPlace {
    department_id: String,
    #[serde(default)]
    is_leader: bool,
    #[serde(default)]
    is_main_department: bool,
}

/// set-user-departments' body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SetDepartmentsBody {
    user_id: String,
    departments: Vec<DepartmentPlace>,
    #[serde(default)]
    options: Option<UserIdOptions>,
}

/// set-user-departments: the user's departments become those named (each must exist: 404;
/// at most one main: 400); a department the user was in already keeps its joining time.
pub(crate) async fn set_user_departments(
    State(s): S,
    V3Json(body): V3Json<SetDepartmentsBody>,
) -> Result<Response, ApiError> {
    let now = s.now_ms();
    let mut store = s.lock();
    let id = UserIdOptions::find(body.options.as_ref(), &store, &body.user_id)?;
    if body
        .departments
        .iter()
        .filter(|d| d.is_main_department)
        .count()
        > 1
    {
        return Err(ApiError::plain(
            400,
            "at most one department can be the main department",
        ));
    }
    for d in &body.departments {
        if !store.records.departments.contains_key(&d.department_id) {
            return Err(ApiError::plain(
                404,
                format!("department {:?} not found", d.department_id),
            ));
        }
    }
    let user = store.user_mut(&id)?;
    let mut places: Vec<Membership> = Vec::new();
    for d in body.departments {
        if places.iter().any(|m| m.department_id == d.department_id) {
            continue;
        }
        let joined_ms = user
            .departments
            .iter()
            .find(|m| m.department_id == d.department_id)
            .map_or(now, |m| m.joined_ms);
        places.push(Membership {
            department_id: d.department_id,
            is_leader: d.is_leader,
            is_main: d.is_main_department,
            joined_ms,
        });
    }
    user.departments = places;
    Ok(success())
}

/// add-department-members' and remove-department-members' body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MembersBody {
    department_id: String,
    organization_code: String,
    user_ids: Vec<String>,
    #[serde(default)]
    department_id_type: Option<String>,
}

/// The department and users a members body names: each user must exist (404, nothing changed).
fn members_of(store: &Store, body: &MembersBody) -> Result<String, ApiError> {
    let department = find_department(
        store,
        &body.organization_code,
        &body.department_id,
        body.department_id_type.as_deref(),
    )?;
    if body.user_ids.is_empty() || body.user_ids.len() > 50 {
        return Err(ApiError::plain(
            400,
            "parameter userIds must name 1 to 50 users",
        ));
    }
    for id in &body.user_ids {
        store.user(id)?;
    }
    Ok(department.id.clone())
}

/// add-department-members: the users join the department (those in it already stay as
/// they are).
pub(crate) async fn add_department_members(
    State(s): S,
    V3Json(body): V3Json<MembersBody>,
) -> Result<Response, ApiError> {
    let now = s.now_ms();
    let mut store = s.lock();
    let department = members_of(&store, &body)?;
    for id in &body.user_ids {
        let user = store.user_mut(id)?;
        if !user
            .departments
            .iter()
            .any(|m| m.department_id == department)
        {
            user.departments.push(Membership {
                department_id: department.clone(),
                is_leader: false,
                is_main: false,
                joined_ms: now,
            });
        }
    }
    Ok(success())
}

/// remove-department-members: the users leave the department.
pub(crate) async fn remove_department_members(
    State(s): S,
    V3Json(body): V3Json<MembersBody>,
) -> Result<Response, ApiError> {
    let mut store = s.lock();
    let department = members_of(&store, &body)?;
    for id in &body.user_ids {
        store
            .user_mut(id)?
            .departments
            .retain(|m| m.department_id != department);
    }
    Ok(success())
}

/// get-user-departments' query.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserDepartmentsQuery {
    user_id: String,
    #[serde(default)]
    user_id_type: Option<String>,
    #[serde(default)]
    page: Option<f64>,
    #[serde(default)]
    limit: Option<f64>,
    #[serde(default)]
    with_department_paths: bool,
    #[serde(default)]
    sort_by: Option<String>,
    #[serde(default)]
    order_by: Option<String>,
}

/// get-user-departments: the user's departments, sorted as asked (by joining time, newest
/// first, unless named), paginated; with each one's path from the root when asked.
pub(crate) async fn user_departments(
    State(s): S,
    V3Query(q): V3Query<UserDepartmentsQuery>,
) -> Result<Response, ApiError> {
    let (page, limit) = page_and_limit(q.page, q.limit)?;
    let store = s.lock();
    let id = find_user(
        &store,
        &q.user_id,
        q.user_id_type.as_deref().unwrap_or("user_id"),
    )?;
    let user = store.user(&id)?;
    let mut places: Vec<(&Membership, &Department)> = user
        .departments
        .iter()
        .filter_map(|m| Some((m, store.records.departments.get(&m.department_id)?)))
        .collect();
    match q.sort_by.as_deref().unwrap_or("JoinDepartmentAt") {
        "JoinDepartmentAt" => places.sort_by_key(|(m, _)| m.joined_ms),
        "DepartmentCreatedAt" => places.sort_by_key(|(_, d)| d.created_ms),
        "DepartmentName" => places.sort_by(|a, b| a.1.name.cmp(&b.1.name)),
        // The documents spell it so.
        "DepartmemtCode" => places.sort_by(|a, b| a.1.code.cmp(&b.1.code)),
        other => {
            return Err(ApiError::plain(
                400,
                format!("sortBy {other:?} is not one of the documented orders"),
            ));
        }
    }
    match q.order_by.as_deref().unwrap_or("Desc") {
        "Desc" => places.reverse(),
        "Asc" => {}
        other => {
            return Err(ApiError::plain(
                400,
                format!("orderBy {other:?} is not Asc or Desc"),
            ));
        }
    }
    let (total, places) = paginate(places, page, limit);
    let list: Vec<Value> = places
        .map(|(m, d)| {
            let mut dto = json!({
                "organizationCode": d.organization_code,
                "departmentId": d.id,
                "isRoot": d.parent_id.is_none(),
                "createdAt": iso(d.created_ms),
                "name": d.name,
                "description": "",
                "isLeader": m.is_leader,
                "code": d.code,
                "isMainDepartment": m.is_main,
                "joinedAt": iso(m.joined_ms),
                "isVirtualNode": false,
            });
            if q.with_department_paths {
                let path = store.records.department_path(&d.id);
                dto["departmentIdPath"] = json!(path.iter().map(|p| &p.id).collect::<Vec<_>>());
                dto["departmentCodePath"] = json!(path.iter().map(|p| &p.code).collect::<Vec<_>>());
                dto["departmentNamePath"] = json!(path.iter().map(|p| &p.name).collect::<Vec<_>>());
            }
            dto
        })
        .collect();
    Ok(ok(Some(json!({ "totalCount": total, "list": list }))))
}

/// is-user-in-department's query.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InDepartmentQuery {
    user_id: String,
    organization_code: String,
    department_id: String,
    #[serde(default)]
    department_id_type: Option<String>,
    #[serde(default)]
    include_children_departments: bool,
}

/// is-user-in-department: whether the user is in the department, or, when asked, in one of
/// the departments under it.
pub(crate) async fn is_user_in_department(
    State(s): S,
    V3Query(q): V3Query<InDepartmentQuery>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let user = store.user(&q.user_id)?;
    let department = find_department(
        &store,
        &q.organization_code,
        &q.department_id,
        q.department_id_type.as_deref(),
    )?;
    let inside = user.departments.iter().any(|m| {
        if q.include_children_departments {
            store
                .records
                .department_path(&m.department_id)
                .iter()
                .any(|d| d.id == department.id)
        } else {
            m.department_id == department.id
        }
    });
    Ok(ok(Some(json!({ "inDepartment": inside }))))
}

/// The routes of this family, behind the management authentication.
pub(crate) fn routes(
    shared: &std::sync::Arc<crate::shared::Shared>,
) -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v3/create-organization", post(create_organization))
        .route("/api/v3/create-department", post(create_department))
        .route("/api/v3/set-user-departments", post(set_user_departments))
        .route(
            "/api/v3/add-department-members",
            post(add_department_members),
        )
        .route(
            "/api/v3/remove-department-members",
            post(remove_department_members),
        )
        .route("/api/v3/get-user-departments", get(user_departments))
        .route("/api/v3/is-user-in-department", get(is_user_in_department))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::auth::management_auth,
        ))
}
