//! The answer types built from the store: a user as the service answers it, its identities,
//! and the service's timestamps. Shared by every family that answers users.

use genauth_api::types;

use crate::state::Identity;

/// A time as the service writes it: ISO 8601 in UTC with milliseconds.
pub(crate) fn iso(ms: u64) -> String {
    // ISO 8601 in UTC without pulling a date crate: days from the epoch by the civil algorithm.
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// A user as the service answers it: every field upstream requires, the optional ones the
/// sandbox knows.
pub(crate) fn user_dto(
    u: &crate::state::User,
    with_identities: bool,
    with_custom_data: bool,
    with_department_ids: bool,
) -> types::UserDto {
    types::UserDto {
        user_id: u.id.clone(),
        status: types::UserDtoStatus::Activated,
        work_status: types::UserDtoWorkStatus::Active,
        gender: types::UserDtoGender::U,
        user_source_type: types::UserDtoUserSourceType::Register,
        register_source: vec!["sandbox".into()],
        username: u.username.clone(),
        email: u.email.clone(),
        email_verified: false,
        phone: u.phone.clone(),
        phone_country_code: u.phone_country_code.clone(),
        phone_verified: u.phone_verified,
        name: u.name.clone(),
        logins_count: Some(u.logins_count),
        last_login: u.last_login_ms.map(iso),
        created_at: iso(u.created_at_ms),
        updated_at: iso(u.updated_at_ms),
        status_changed_at: Some(iso(u.created_at_ms)),
        // The 2024 documents' sign-up time; the sandbox has no data-object extension fields.
        signed_up: Some(iso(u.created_at_ms)),
        metadata_source: Default::default(),
        reset_password_on_next_login: Some(false),
        identities: if with_identities {
            identities(&u.identities)
        } else {
            Vec::new()
        },
        custom_data: if with_custom_data {
            u.custom_data.clone()
        } else {
            Default::default()
        },
        department_ids: if with_department_ids {
            u.departments
                .iter()
                .map(|m| m.department_id.clone())
                .collect()
        } else {
            Default::default()
        },
        address: None,
        birthdate: None,
        browser: None,
        city: None,
        company: None,
        country: None,
        device: None,
        external_id: None,
        family_name: None,
        formatted: None,
        given_name: None,
        identity_number: None,
        last_ip: None,
        last_login_app: None,
        last_mfa_time: None,
        locale: None,
        main_department_id: u
            .departments
            .iter()
            .find(|m| m.is_main)
            .map(|m| m.department_id.clone()),
        middle_name: None,
        nickname: None,
        password_last_set_at: None,
        password_security_level: None,
        photo: None,
        postal_code: None,
        preferred_username: None,
        profile: None,
        province: None,
        region: None,
        street_address: None,
        tenant_id: None,
        user_source_id: None,
        website: None,
        zoneinfo: None,
        post_id_list: Vec::new(),
    }
}

pub(crate) fn identities(identities: &[Identity]) -> Vec<types::IdentityDto> {
    identities
        .iter()
        .map(|i| types::IdentityDto {
            identity_id: i.identity_id.clone(),
            ext_idp_id: i.ext_idp_id.clone(),
            provider: i
                .provider
                .parse()
                .unwrap_or(types::IdentityDtoProvider::Unknown(i.provider.clone())),
            type_: i.kind.clone(),
            user_id_in_idp: i.user_id_in_idp.clone(),
            origin_conn_ids: vec![i.ext_idp_id.clone()],
            user_info_in_idp: Default::default(),
            access_token: None,
            refresh_token: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso(1_656_814_830_000), "2022-07-03T02:20:30.000Z");
    }
}
