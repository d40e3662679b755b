//! Organizations, departments and the users in them (`organizations.rs`), MFA factors
//! (`factors.rs`) and real-name authentications (`records.rs`), on the store the phone flows
//! use. Every answer fits the documents' answer schema.

use serde_json::{Value, json};

use crate::common::Harness;
use crate::common::documents::{answer_conforms, documented};
use crate::v3_management::management_headers;

async fn user_id(h: &Harness, m: &[(&str, String)], name: &str) -> String {
    let all = h
        .post("/api/v3/list-users", m, json!({"keywords": name}))
        .await;
    all["data"]["list"][0]["userId"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: {all}"))
        .to_string()
}

fn ids(answer: &Value, field: &str) -> Vec<String> {
    answer["data"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r[field].as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn users_join_departments_and_leave_them() {
    let h = Harness::new().await;
    let doc = documented();
    let m = management_headers(&h).await;
    let alice = user_id(&h, &m, "alice").await;

    let org = h
        .post(
            "/api/v3/create-organization",
            &m,
            json!({"organizationCode": "acme", "organizationName": "Acme", "metadata": {}}),
        )
        .await;
    answer_conforms(&doc, "/api/v3/create-organization", &org);
    let root = org["data"]["departmentId"]
        .as_str()
        .expect("root")
        .to_string();
    let again = h
        .post(
            "/api/v3/create-organization",
            &m,
            json!({"organizationCode": "acme", "organizationName": "Acme", "metadata": {}}),
        )
        .await;
    assert_eq!(again["statusCode"], 409, "{again}");

    let department = |name: &str, parent: &str, code: &str| {
        json!({"organizationCode": "acme", "name": name, "parentDepartmentId": parent,
               "code": code, "metadata": {}})
    };
    let sales = h
        .post(
            "/api/v3/create-department",
            &m,
            department("Sales", &root, "sales"),
        )
        .await;
    answer_conforms(&doc, "/api/v3/create-department", &sales);
    assert_eq!(
        sales["data"]["parentDepartmentId"],
        root.as_str(),
        "{sales}"
    );
    let sales_id = sales["data"]["departmentId"]
        .as_str()
        .expect("id")
        .to_string();
    let east = h
        .post(
            "/api/v3/create-department",
            &m,
            department("East", &sales_id, "east"),
        )
        .await;
    let east_id = east["data"]["departmentId"]
        .as_str()
        .expect("id")
        .to_string();
    // A code the organization has, a parent it has not, an organization that does not exist.
    let taken = h
        .post(
            "/api/v3/create-department",
            &m,
            department("Other", &root, "sales"),
        )
        .await;
    assert_eq!(taken["statusCode"], 409, "{taken}");
    let orphan = h
        .post(
            "/api/v3/create-department",
            &m,
            department("Other", "nope", "other"),
        )
        .await;
    assert_eq!(orphan["statusCode"], 404, "{orphan}");
    let by_code = h
        .post(
            "/api/v3/create-department",
            &m,
            json!({"organizationCode": "acme", "name": "West", "parentDepartmentId": "sales",
                   "departmentIdType": "code", "metadata": {}}),
        )
        .await;
    assert_eq!(
        by_code["data"]["parentDepartmentId"],
        sales_id.as_str(),
        "{by_code}"
    );

    // alice joins East as its leader and main department, and Sales.
    let set = h
        .post(
            "/api/v3/set-user-departments",
            &m,
            json!({"userId": alice, "departments": [
                {"departmentId": east_id, "isLeader": true, "isMainDepartment": true},
                {"departmentId": sales_id},
            ]}),
        )
        .await;
    answer_conforms(&doc, "/api/v3/set-user-departments", &set);
    let mine = h
        .get(
            &format!(
                "/api/v3/get-user-departments?userId={alice}&withDepartmentPaths=true&sortBy=DepartmentName&orderBy=Asc"
            ),
            &m,
        )
        .await;
    answer_conforms(&doc, "/api/v3/get-user-departments", &mine);
    assert_eq!(mine["data"]["totalCount"], 2, "{mine}");
    assert_eq!(ids(&mine, "name"), ["East", "Sales"], "{mine}");
    assert_eq!(mine["data"]["list"][0]["isLeader"], true, "{mine}");
    assert_eq!(mine["data"]["list"][0]["isMainDepartment"], true, "{mine}");
    assert_eq!(
        mine["data"]["list"][0]["departmentCodePath"],
        json!(["acme", "sales", "east"]),
        "{mine}"
    );
    let page = h
        .get(
            &format!("/api/v3/get-user-departments?userId={alice}&page=2&limit=1"),
            &m,
        )
        .await;
    assert_eq!(
        page["data"]["list"].as_array().map(Vec::len),
        Some(1),
        "{page}"
    );
    // The profile shows them too.
    let got = h
        .get(
            &format!("/api/v3/get-user?userId={alice}&withDepartmentIds=true"),
            &m,
        )
        .await;
    assert_eq!(got["data"]["mainDepartmentId"], east_id.as_str(), "{got}");
    assert_eq!(
        got["data"]["departmentIds"].as_array().map(Vec::len),
        Some(2),
        "{got}"
    );

    // In East; in Sales; in the root only with its children.
    let inside = |dept: &str, children: bool| {
        format!(
            "/api/v3/is-user-in-department?userId={alice}&organizationCode=acme&departmentId={dept}&includeChildrenDepartments={children}"
        )
    };
    let east_in = h.get(&inside(&east_id, false), &m).await;
    answer_conforms(&doc, "/api/v3/is-user-in-department", &east_in);
    assert_eq!(east_in["data"]["inDepartment"], true, "{east_in}");
    assert_eq!(
        h.get(&inside(&root, false), &m).await["data"]["inDepartment"],
        false
    );
    assert_eq!(
        h.get(&inside(&root, true), &m).await["data"]["inDepartment"],
        true
    );
    let missing = h.get(&inside("nope", false), &m).await;
    assert_eq!(missing["statusCode"], 404, "{missing}");

    // Two main departments, a department that does not exist: refused, nothing changed.
    let two_main = h
        .post(
            "/api/v3/set-user-departments",
            &m,
            json!({"userId": alice, "departments": [
                {"departmentId": east_id, "isMainDepartment": true},
                {"departmentId": sales_id, "isMainDepartment": true},
            ]}),
        )
        .await;
    assert_eq!(two_main["statusCode"], 400, "{two_main}");
    let unknown = h
        .post(
            "/api/v3/set-user-departments",
            &m,
            json!({"userId": alice, "departments": [{"departmentId": "nope"}]}),
        )
        .await;
    assert_eq!(unknown["statusCode"], 404, "{unknown}");
    let still = h
        .get(&format!("/api/v3/get-user-departments?userId={alice}"), &m)
        .await;
    assert_eq!(still["data"]["totalCount"], 2, "{still}");

    // remove-department-members and add-department-members, by code.
    let members = |user: &str| {
        json!({"organizationCode": "acme", "departmentId": "east", "departmentIdType": "code",
               "userIds": [user]})
    };
    let removed = h
        .post("/api/v3/remove-department-members", &m, members(&alice))
        .await;
    answer_conforms(&doc, "/api/v3/remove-department-members", &removed);
    assert_eq!(
        h.get(&inside(&east_id, false), &m).await["data"]["inDepartment"],
        false
    );
    let added = h
        .post("/api/v3/add-department-members", &m, members(&alice))
        .await;
    assert_eq!(added["statusCode"], 200, "{added}");
    assert_eq!(
        h.get(&inside(&east_id, false), &m).await["data"]["inDepartment"],
        true
    );
    let nobody = h
        .post("/api/v3/add-department-members", &m, members("nobody"))
        .await;
    assert_eq!(nobody["statusCode"], 404, "{nobody}");
}

#[tokio::test]
async fn an_sms_factor_enrolled_by_the_user_shows_in_the_mfa_info() {
    let h = Harness::new().await;
    let doc = documented();
    let m = management_headers(&h).await;
    let alice = user_id(&h, &m, "alice").await;
    let token = h.alice_token().await;
    let user = h.user_headers(&token);
    let info_path = format!("/api/v3/get-user-mfa-info?userId={alice}");

    let before = h.get(&info_path, &m).await;
    answer_conforms(&doc, "/api/v3/get-user-mfa-info", &before);
    assert_eq!(before["data"]["smsMfaStatus"], "disabled", "{before}");

    let asked = h
        .post(
            "/api/v3/send-enroll-factor-request",
            &user,
            json!({"factorType": "SMS", "profile": {"phoneNumber": "18800007001", "phoneCountryCode": "+86"}}),
        )
        .await;
    answer_conforms(&doc, "/api/v3/send-enroll-factor-request", &asked);
    let enrollment = asked["data"]["enrollmentToken"].as_str().expect("token");
    let code = h
        .sandbox
        .last_code("18800007001", "CHANNEL_BIND_MFA")
        .expect("a code");
    let enroll = |pass_code: &str, token: &str| {
        json!({"factorType": "SMS", "enrollmentToken": token,
               "enrollmentData": {"passCode": pass_code}})
    };
    let wrong = h
        .post("/api/v3/enroll-factor", &user, enroll("000000", enrollment))
        .await;
    assert_eq!(wrong["statusCode"], 400, "{wrong}");
    let forged = h
        .post("/api/v3/enroll-factor", &user, enroll(&code, "forged"))
        .await;
    assert_eq!(forged["statusCode"], 400, "{forged}");
    let enrolled = h
        .post("/api/v3/enroll-factor", &user, enroll(&code, enrollment))
        .await;
    answer_conforms(&doc, "/api/v3/enroll-factor", &enrolled);
    assert_eq!(enrolled["statusCode"], 200, "{enrolled}");
    let again = h
        .post("/api/v3/enroll-factor", &user, enroll(&code, enrollment))
        .await;
    assert_eq!(again["statusCode"], 400, "the token is used up: {again}");

    let after = h.get(&info_path, &m).await;
    assert_eq!(after["data"]["smsMfaStatus"], "enabled", "{after}");
    assert_eq!(after["data"]["totpStatus"], "disabled", "{after}");
    let listed = h.get("/api/v3/list-enrolled-factors", &user).await;
    answer_conforms(&doc, "/api/v3/list-enrolled-factors", &listed);
    let factor = listed["data"][0]["factorId"].as_str().expect("factor");
    assert_eq!(listed["data"][0]["profile"]["phoneNumber"], "18800007001");
    let one = h
        .get(&format!("/api/v3/get-factor?factorId={factor}"), &user)
        .await;
    answer_conforms(&doc, "/api/v3/get-factor", &one);
    let second = h
        .post(
            "/api/v3/send-enroll-factor-request",
            &user,
            json!({"factorType": "SMS", "profile": {"phoneNumber": "18800007002"}}),
        )
        .await;
    assert_eq!(second["statusCode"], 409, "{second}");
    let otp = h
        .post(
            "/api/v3/send-enroll-factor-request",
            &user,
            json!({"factorType": "OTP", "profile": {}}),
        )
        .await;
    assert_eq!(otp["statusCode"], 400, "{otp}");

    let reset = h
        .post("/api/v3/reset-factor", &user, json!({"factorId": factor}))
        .await;
    answer_conforms(&doc, "/api/v3/reset-factor", &reset);
    assert_eq!(
        h.get(&info_path, &m).await["data"]["smsMfaStatus"],
        "disabled"
    );
    let gone = h
        .post("/api/v3/reset-factor", &user, json!({"factorId": factor}))
        .await;
    assert_eq!(gone["statusCode"], 404, "{gone}");
    let anonymous = h
        .get("/api/v3/list-enrolled-factors", &h.app_headers())
        .await;
    assert_eq!(anonymous["statusCode"], 401, "{anonymous}");
}

#[tokio::test]
async fn principal_authentication_info_finds_the_user() {
    let h = Harness::new().await;
    let doc = documented();
    let m = management_headers(&h).await;
    let alice = user_id(&h, &m, "alice").await;
    let got = h
        .get(
            &format!("/api/v3/get-user-principal-authentication-info?userId={alice}"),
            &m,
        )
        .await;
    answer_conforms(&doc, "/api/v3/get-user-principal-authentication-info", &got);
    assert_eq!(got["data"]["totalCount"], 0, "{got}");
    let reset = h
        .post(
            "/api/v3/reset-user-principal-authentication-info",
            &m,
            json!({"userId": "alice", "options": {"userIdType": "username"}}),
        )
        .await;
    answer_conforms(
        &doc,
        "/api/v3/reset-user-principal-authentication-info",
        &reset,
    );
    let nobody = h
        .get(
            "/api/v3/get-user-principal-authentication-info?userId=nobody",
            &m,
        )
        .await;
    assert_eq!(nobody["statusCode"], 404, "{nobody}");
}

#[tokio::test]
async fn a_deleted_user_leaves_its_departments_and_factors() {
    let h = Harness::new().await;
    let m = management_headers(&h).await;
    let created = h
        .post(
            "/api/v3/create-user",
            &m,
            json!({"username": "dept-dana", "password": "dana-password-1"}),
        )
        .await;
    let dana = created["data"]["userId"].as_str().expect("id").to_string();
    let org = h
        .post(
            "/api/v3/create-organization",
            &m,
            json!({"organizationCode": "o", "organizationName": "O", "metadata": {}}),
        )
        .await;
    let root = org["data"]["departmentId"]
        .as_str()
        .expect("root")
        .to_string();
    let set = h
        .post(
            "/api/v3/set-user-departments",
            &m,
            json!({"userId": dana, "departments": [{"departmentId": root, "isLeader": true}]}),
        )
        .await;
    assert_eq!(set["statusCode"], 200, "{set}");
    let deleted = h
        .post(
            "/api/v3/delete-users-batch",
            &m,
            json!({"userIds": [dana.clone()]}),
        )
        .await;
    assert_eq!(deleted["statusCode"], 200, "{deleted}");
    let inside = h
        .get(
            &format!(
                "/api/v3/is-user-in-department?userId={dana}&organizationCode=o&departmentId={root}"
            ),
            &m,
        )
        .await;
    assert_eq!(inside["statusCode"], 404, "{inside}");
    let departments = h
        .get(&format!("/api/v3/get-user-departments?userId={dana}"), &m)
        .await;
    assert_eq!(departments["statusCode"], 404, "{departments}");
}
