//! The service's rules for a phone number, in one place: the `genauth` facade checks a number
//! with them before anything is sent, and the sandbox checks what it receives with them.
//!
//! * A country calling code is 1 to 3 digits, with or without its `+`, not starting with 0, and
//!   one that get-country-list names ([`crate::countries::COUNTRIES`]). Those codes are
//!   prefix-free, so the code of an international number is the one that starts it
//!   ([`calling_code_prefix`]).
//! * The national number has digits only, 4 to 14 of them, and at most 15 with the country
//!   code (E.164).
//! * `+86` numbers must be mobile numbers: 11 digits, `1` then `3` to `9` (the GenAuth SMS
//!   service only delivers to those in mainland China); the `/api/v2` social API takes only
//!   those.
//!
//! ```
//! use genauth_api::phone::{check, country_code_digits, is_mainland_mobile};
//!
//! assert_eq!(country_code_digits("+86"), Ok("86"));
//! assert_eq!(genauth_api::phone::calling_code_prefix("4477009001"), Some("44"));
//! assert!(check("999", "12345678").is_err()); // no country has +999
//! assert!(check("86", "18800008888").is_ok());
//! assert!(check("86", "12345678901").is_err()); // not a mobile prefix
//! assert!(check("44", "7700900123").is_ok());
//! assert!(check("44", "12").is_err());
//! assert!(is_mainland_mobile("13800138000"));
//! ```

/// The digits of a country calling code (`"+86"` or `"86"` → `"86"`), or why it is not one.
pub fn country_code_digits(code: &str) -> Result<&str, &'static str> {
    let digits = code.trim();
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    if digits.is_empty()
        || digits.len() > 3
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        Err("a country calling code is 1 to 3 digits, like +86")
    } else {
        Ok(digits)
    }
}

/// The calling code (digits, without `+`) that starts `digits`, an international number
/// without its `+`; `None` when no country's code does.
pub fn calling_code_prefix(digits: &str) -> Option<&'static str> {
    crate::countries::COUNTRIES
        .iter()
        .map(|c| c.calling_code.trim_start_matches('+'))
        .find(|code| digits.starts_with(code))
}

/// Whether `cc_digits` (without `+`) is the calling code of a country in get-country-list.
pub fn is_known_calling_code(cc_digits: &str) -> bool {
    crate::countries::COUNTRIES
        .iter()
        .any(|c| c.calling_code.trim_start_matches('+') == cc_digits)
}

/// Whether `national` is a mainland China mobile number: 11 digits, `1` then `3` to `9`.
pub fn is_mainland_mobile(national: &str) -> bool {
    let b = national.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// Checks a national number under the country code `cc_digits` (without `+`).
pub fn check(cc_digits: &str, national: &str) -> Result<(), &'static str> {
    if !is_known_calling_code(cc_digits) {
        return Err("no country has this calling code (see get-country-list)");
    }
    if national.is_empty() || !national.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the national number has digits only");
    }
    if !(4..=14).contains(&national.len()) {
        return Err("the national number must have 4 to 14 digits");
    }
    if cc_digits.len() + national.len() > 15 {
        return Err("longer than the 15 digits E.164 allows");
    }
    if cc_digits == "86" && !is_mainland_mobile(national) {
        return Err("a mainland China mobile number has 11 digits and starts with 13 to 19");
    }
    Ok(())
}
