//! MFA factors, on the store the phone flows use. A signed-in user enrolls an SMS factor
//! (send-enroll-factor-request sends a code to the phone, CHANNEL_BIND_MFA; enroll-factor
//! checks it), lists its factors (list-enrolled-factors, get-factor) and removes one
//! (reset-factor); an administrator reads what the user enrolled with get-user-mfa-info
//! (`enabled` / `disabled` per kind, as the official SDKs' documents word it).
//!
//! The sandbox keeps SMS factors only: an OTP, EMAIL or FACE enrollment is refused with 400
//! naming the factor type (it sends no e-mail and checks no TOTP or face).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use crate::envelope::{ApiError, V3Json, V3Query, done, ok};
use crate::lookup::UserRef;
use crate::shared::S;
use crate::state::{new_id, normalize_phone, random_token};
use crate::user_records::{Enrollment, Factor};

/// The channel of the codes that enroll an SMS factor.
const CHANNEL: &str = "CHANNEL_BIND_MFA";

/// How long an enrollment token lasts.
const ENROLLMENT_TTL_MS: u64 = 10 * 60 * 1000;

fn factor_dto(f: &Factor) -> Value {
    json!({
        "factorId": f.id,
        "factorType": f.kind,
        "profile": {"phoneNumber": f.phone, "phoneCountryCode": f.phone_country_code},
    })
}

/// Refuses a factor type the sandbox does not keep.
fn sms_only(kind: &str) -> Result<(), ApiError> {
    match kind {
        "SMS" => Ok(()),
        "OTP" | "EMAIL" | "FACE" => Err(ApiError::plain(
            400,
            format!("factorType {kind} is not kept by the sandbox (SMS)"),
        )),
        other => Err(ApiError::plain(
            400,
            format!("factorType {other:?} is not OTP, SMS, EMAIL or FACE"),
        )),
    }
}

/// The profile of send-enroll-factor-request.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Profile {
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    phone_country_code: Option<String>,
}

/// send-enroll-factor-request's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnrollRequestBody {
    factor_type: String,
    #[serde(default)]
    profile: Profile,
}

/// send-enroll-factor-request: sends the code to the profile's phone and answers the
/// enrollment token enroll-factor takes with it. A user who has an SMS factor already is
/// refused with 409.
pub(crate) async fn send_enroll_factor_request(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<EnrollRequestBody>,
) -> Result<Response, ApiError> {
    let (app, user_id) = s.signed_in(&headers)?;
    sms_only(&body.factor_type)?;
    let number = body
        .profile
        .phone_number
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::plain(400, "parameter profile.phoneNumber is required"))?;
    let (cc, phone) = normalize_phone(number, body.profile.phone_country_code.as_deref())?;
    let now = s.now_ms();
    let mut store = s.lock();
    store.user(&user_id)?;
    let enrolled = store
        .records
        .factors
        .iter()
        .any(|f| f.user_id == user_id && f.kind == body.factor_type);
    if enrolled {
        return Err(ApiError::plain(
            409,
            format!("an {} factor is enrolled already", body.factor_type),
        ));
    }
    store
        .send_code(&cc, &phone, CHANNEL, s.code_length(app), now)
        .map_err(|p| p.v3(CHANNEL))?;
    let token = random_token(32);
    store.records.enrollments.retain(|_, e| e.expires_ms > now);
    store.records.enrollments.insert(
        token.clone(),
        Enrollment {
            user_id,
            kind: body.factor_type,
            phone_country_code: cc,
            phone,
            expires_ms: now + ENROLLMENT_TTL_MS,
        },
    );
    Ok(ok(Some(json!({ "enrollmentToken": token }))))
}

/// enroll-factor's enrollment data.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnrollmentData {
    #[serde(default)]
    pass_code: Option<String>,
}

/// enroll-factor's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EnrollBody {
    factor_type: String,
    enrollment_token: String,
    #[serde(default)]
    enrollment_data: EnrollmentData,
}

/// enroll-factor: the code sent to the enrollment's phone makes it the user's SMS factor. The
/// token is the user's own and lasts ten minutes (400 otherwise); a wrong code is refused as
/// the phone flows refuse it and keeps the enrollment.
pub(crate) async fn enroll_factor(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<EnrollBody>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
    sms_only(&body.factor_type)?;
    let now = s.now_ms();
    let mut store = s.lock();
    let enrollment = store
        .records
        .enrollments
        .get(&body.enrollment_token)
        .filter(|e| e.user_id == user_id && e.expires_ms > now && e.kind == body.factor_type)
        .cloned()
        .ok_or_else(|| ApiError::plain(400, "the enrollment token is invalid or has expired"))?;
    let code = body.enrollment_data.pass_code.unwrap_or_default();
    store
        .consume_code(
            &enrollment.phone_country_code,
            &enrollment.phone,
            CHANNEL,
            &code,
            now,
        )
        .map_err(|p| p.v3(CHANNEL))?;
    store.records.enrollments.remove(&body.enrollment_token);
    store.records.factors.push(Factor {
        id: new_id(),
        user_id,
        kind: enrollment.kind,
        phone_country_code: enrollment.phone_country_code,
        phone: enrollment.phone,
    });
    Ok(done())
}

/// list-enrolled-factors: the user's factors, oldest first.
pub(crate) async fn list_enrolled_factors(
    State(s): S,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
    let store = s.lock();
    let list: Vec<Value> = store
        .records
        .factors
        .iter()
        .filter(|f| f.user_id == user_id)
        .map(factor_dto)
        .collect();
    Ok(ok(Some(list)))
}

/// get-factor's query, and reset-factor's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FactorRef {
    factor_id: String,
}

fn not_found(id: &str) -> ApiError {
    ApiError::plain(404, format!("factor {id:?} not found"))
}

/// get-factor: one of the user's factors (another user's is not found).
pub(crate) async fn get_factor(
    State(s): S,
    headers: HeaderMap,
    V3Query(q): V3Query<FactorRef>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
    let store = s.lock();
    let factor = store
        .records
        .factors
        .iter()
        .find(|f| f.user_id == user_id && f.id == q.factor_id)
        .ok_or_else(|| not_found(&q.factor_id))?;
    Ok(ok(Some(factor_dto(factor))))
}

/// reset-factor: removes one of the user's factors.
pub(crate) async fn reset_factor(
    State(s): S,
    headers: HeaderMap,
    V3Json(body): V3Json<FactorRef>,
) -> Result<Response, ApiError> {
    let (_, user_id) = s.signed_in(&headers)?;
    let mut store = s.lock();
    let before = store.records.factors.len();
    store
        .records
        .factors
        .retain(|f| !(f.user_id == user_id && f.id == body.factor_id));
    if store.records.factors.len() == before {
        return Err(not_found(&body.factor_id));
    }
    Ok(done())
}

/// get-user-mfa-info: for each kind of factor, whether the user enrolled one.
pub(crate) async fn user_mfa_info(
    State(s): S,
    V3Query(q): V3Query<UserRef>,
) -> Result<Response, ApiError> {
    let store = s.lock();
    let id = q.find(&store)?;
    let status = |kind: &str| {
        let enrolled = store
            .records
            .factors
            .iter()
            .any(|f| f.user_id == id && f.kind == kind);
        if enrolled { "enabled" } else { "disabled" }
    };
    Ok(ok(Some(json!({
        "totpStatus": status("OTP"),
        "faceMfaStatus": status("FACE"),
        "smsMfaStatus": status("SMS"),
        "emailMfaStatus": status("EMAIL"),
    }))))
}

/// The routes of this family: the user's own calls, and get-user-mfa-info behind the
/// management authentication.
pub(crate) fn routes(
    shared: &std::sync::Arc<crate::shared::Shared>,
) -> axum::Router<std::sync::Arc<crate::shared::Shared>> {
    use axum::routing::{get, post};
    let management = axum::Router::new()
        .route("/api/v3/get-user-mfa-info", get(user_mfa_info))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::auth::management_auth,
        ));
    axum::Router::new()
        .route(
            "/api/v3/send-enroll-factor-request",
            post(send_enroll_factor_request),
        )
        .route("/api/v3/enroll-factor", post(enroll_factor))
        .route("/api/v3/list-enrolled-factors", get(list_enrolled_factors))
        .route("/api/v3/get-factor", get(get_factor))
        .route("/api/v3/reset-factor", post(reset_factor))
        .merge(management)
}
