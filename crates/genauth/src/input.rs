//! What a user types, checked before anything is sent: phone numbers ([`PhoneNumber`]) and
//! one-time SMS codes ([`PassCode`]).
//!
//! Phone number rules (E.164 and the mainland China numbering plan; no metadata crate is pulled in for them,
//! because GenAuth itself only needs the country code split off and mainland numbers checked):
//!
//! * Spaces, `-`, `.` and parentheses are separators and are dropped.
//! * `+CC…` or `00CC…` is international. Country calling codes are prefix-free, so the code is
//!   the one of get-country-list's countries that starts the number
//!   ([`genauth_api::phone::calling_code_prefix`]; the table is
//!   [`genauth_api::countries::COUNTRIES`], the same the sandbox answers get-country-list with);
//!   a number no country's code starts is refused.
//! * Without a prefix the number is national and takes the default country code (`+86` unless
//!   told otherwise); a leading trunk `0` is dropped for other countries.
//! * The number is then checked with the service's rules, shared with the sandbox
//!   ([`genauth_api::phone`]): the national number has digits only, 4 to 14 of them, and at
//!   most 15 with the country code (E.164); `+86` numbers must be mobile numbers: 11 digits,
//!   `1` then `3`–`9` (the GenAuth SMS service only delivers to those in mainland China).

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// A checked phone number: country calling code and national number, as the API wants them.
///
/// ```
/// use genauth::PhoneNumber;
///
/// let p: PhoneNumber = "+86 188 0000 8888".parse()?;
/// assert_eq!((p.country_code(), p.national_number()), ("+86", "18800008888"));
/// assert_eq!(PhoneNumber::parse("18800008888")?, p); // +86 by default
/// assert_eq!(PhoneNumber::parse("+8618800008888")?, p);
/// assert!(PhoneNumber::parse("188xxxx8888").is_err());
/// let uk = PhoneNumber::parse_with_default("07700 900123", "+44")?;
/// assert_eq!(uk.to_string(), "+44 7700900123");
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    country_code: String,
    national: String,
}

impl PhoneNumber {
    /// Parses with `+86` as the default country code.
    pub fn parse(input: &str) -> Result<Self> {
        Self::parse_with_default(input, "+86")
    }

    /// Parses; a number without `+`/`00` takes `default_country_code` (e.g. `"+44"`).
    pub fn parse_with_default(input: &str, default_country_code: &str) -> Result<Self> {
        let bad =
            |reason: &str| Error::input("phone number", format!("{}: {reason}", masked(input)));
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(bad("empty"));
        }
        // Separators go first, so that "(+86) 188 …" reads like "+86 188 …".
        let mut cleaned = String::with_capacity(trimmed.len());
        let mut plus = false;
        for c in trimmed.chars() {
            match c {
                '0'..='9' => cleaned.push(c),
                '+' if cleaned.is_empty() && !plus => plus = true,
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(bad(
                        "only digits, spaces, '-', '.', '(' and ')' are allowed",
                    ));
                }
            }
        }
        let (international, digits) = if plus {
            (true, cleaned)
        } else if let Some(rest) = cleaned.strip_prefix("00") {
            (true, rest.to_string())
        } else {
            (false, cleaned)
        };
        let (country_code, national) = if international {
            if digits.starts_with('0') {
                return Err(bad("a country calling code does not start with 0"));
            }
            let Some(code) = genauth_api::phone::calling_code_prefix(&digits) else {
                return Err(bad(
                    "no country's calling code starts it (see get-country-list)",
                ));
            };
            let cc_len = code.len();
            if digits.len() <= cc_len {
                return Err(bad("no national number after the country code"));
            }
            (
                format!("+{}", &digits[..cc_len]),
                digits[cc_len..].to_string(),
            )
        } else {
            let cc_digits =
                genauth_api::phone::country_code_digits(default_country_code).map_err(|_| {
                    Error::input(
                        "default country code",
                        format!("{default_country_code:?} is not like +86"),
                    )
                })?;
            // A trunk prefix 0 is dropped outside mainland China (where mobiles never have one).
            let national = match digits.strip_prefix('0') {
                Some(rest) if cc_digits != "86" => rest.to_string(),
                _ => digits,
            };
            (format!("+{cc_digits}"), national)
        };
        let cc_digits = country_code.trim_start_matches('+');
        genauth_api::phone::check(cc_digits, &national).map_err(bad)?;
        Ok(Self {
            country_code,
            national,
        })
    }

    /// The country calling code with its plus sign, e.g. `"+86"` (the API's `phoneCountryCode`).
    pub fn country_code(&self) -> &str {
        &self.country_code
    }

    /// The national number, digits only (the API's `phoneNumber`).
    pub fn national_number(&self) -> &str {
        &self.national
    }

    /// `+8618800008888`.
    pub fn e164(&self) -> String {
        format!("{}{}", self.country_code, self.national)
    }

    /// The number as the `/api/v2` social API wants it: a mainland number's 11 digits.
    pub(crate) fn mainland_mobile(&self) -> Result<&str> {
        if self.country_code == "+86" {
            Ok(&self.national)
        } else {
            Err(Error::input(
                "mobile",
                format!(
                    "the social API takes mainland China (+86) numbers only, not {}",
                    self.country_code
                ),
            ))
        }
    }
}

/// A phone number as error text shows it: personal data, so only its first 3 and last 2
/// characters, and only its length when it is long (a megabyte of input does not become a
/// megabyte of error message, nor of log).
pub(crate) fn masked(input: &str) -> String {
    let chars: Vec<char> = input.trim().chars().collect();
    if chars.len() > 24 {
        return format!("<{} characters>", chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 3 || i + 2 >= chars.len() || !c.is_ascii_digit() {
                *c
            } else {
                '*'
            }
        })
        .collect::<String>()
        .escape_debug()
        .to_string()
}

impl FromStr for PhoneNumber {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.country_code, self.national)
    }
}

/// A one-time SMS code, checked (4 to 8 digits) before it is sent and kept secret.
///
/// Every call that takes a code takes a `&str` or `String` too and checks it the same way; the
/// code never shows in `Debug` or in errors:
///
/// ```
/// use genauth::{Error, PassCode};
///
/// let code = PassCode::new(" 123456 ")?; // surrounding spaces are dropped
/// assert!(!format!("{code:?}").contains("123456"));
/// assert!(matches!(PassCode::new("12ab"), Err(Error::InvalidInput { .. })));
/// assert!(PassCode::new("123").is_err());
/// # Ok::<(), genauth::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PassCode(SecretString);

impl PassCode {
    /// Checks a code.
    pub fn new(code: &str) -> Result<Self> {
        let code = code.trim();
        if !(4..=8).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::input("pass code", "must be 4 to 8 digits"));
        }
        Ok(Self(code.to_string().into()))
    }

    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl TryFrom<&str> for PassCode {
    type Error = Error;

    fn try_from(code: &str) -> Result<Self> {
        Self::new(code)
    }
}

impl TryFrom<&String> for PassCode {
    type Error = Error;

    fn try_from(code: &String) -> Result<Self> {
        Self::new(code)
    }
}

impl TryFrom<String> for PassCode {
    type Error = Error;

    fn try_from(code: String) -> Result<Self> {
        Self::new(&code)
    }
}

/// Reads a required, non-empty secret.
pub(crate) fn non_empty(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::input(field, "is empty"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> (String, String) {
        let p = PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (
            p.country_code().to_string(),
            p.national_number().to_string(),
        )
    }

    #[test]
    fn errors_mask_the_number_and_stay_short() {
        let e = PhoneNumber::parse("+86 12345678901").expect_err("not a mobile");
        let text = e.to_string();
        assert!(!text.contains("12345678901"), "{text}");
        assert!(text.contains("+86"), "{text}");
        let huge = "1".repeat(1 << 20);
        let text = PhoneNumber::parse(&huge).expect_err("too long").to_string();
        assert!(text.len() < 200, "{} bytes", text.len());
        assert!(text.contains("1048576 characters"), "{text}");
        let text = PhoneNumber::parse("188-x\n")
            .expect_err("letters")
            .to_string();
        assert!(
            !text.contains('\n'),
            "control characters are escaped: {text}"
        );
    }

    #[test]
    fn the_documented_formats() {
        let want = ("+86".to_string(), "18800008888".to_string());
        for input in [
            "+86 188 0000 8888",
            "+8618800008888",
            "18800008888",
            "188-0000-8888",
            "0086 188 0000 8888",
            " (+86) 188.0000.8888 ",
        ] {
            assert_eq!(ok(input), want, "{input}");
        }
    }

    #[test]
    fn other_countries_split_at_the_right_length() {
        assert_eq!(ok("+1 415 555 2671"), ("+1".into(), "4155552671".into()));
        assert_eq!(ok("+44 7700 900123"), ("+44".into(), "7700900123".into()));
        assert_eq!(ok("+852 6123 4567"), ("+852".into(), "61234567".into()));
        assert_eq!(ok("+886 912 345 678"), ("+886".into(), "912345678".into()));
        assert_eq!(ok("+7 912 345 67 89"), ("+7".into(), "9123456789".into()));
        let uk = PhoneNumber::parse_with_default("07700 900123", "+44").expect("uk");
        assert_eq!(uk.e164(), "+447700900123");
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        for input in [
            "",
            "   ",
            "188xxxx8888",
            "+86 188 0000 888",
            "+86 12800008888",
            "28800008888",
            "+86",
            "+0 1234567",
            "+999 12345678",
            "+44 12",
            "+44 1234567890123456",
            "18800008888; DROP TABLE",
            "１８８００００８８８８",
        ] {
            let err = PhoneNumber::parse(input).expect_err(input);
            assert!(
                matches!(
                    err,
                    Error::InvalidInput {
                        field: "phone number",
                        ..
                    }
                ),
                "{input}: {err}"
            );
        }
        assert!(PhoneNumber::parse_with_default("7700900123", "44x").is_err());
        assert!(PhoneNumber::parse_with_default("7700900123", "+999").is_err());
    }

    #[test]
    fn every_country_of_the_list_has_a_calling_code_that_parses() {
        let countries = genauth_api::countries::COUNTRIES;
        assert!(countries.len() >= 240, "{}", countries.len());
        for c in countries {
            let national = if c.calling_code == "+86" {
                "18800008888"
            } else {
                "20001234"
            };
            let international = format!("{} {national}", c.calling_code);
            let p = PhoneNumber::parse(&international)
                .unwrap_or_else(|e| panic!("{} {}: {e}", c.alpha2, c.calling_code));
            assert_eq!(p.country_code(), c.calling_code, "{}", c.alpha2);
            assert_eq!(p.national_number(), national, "{}", c.alpha2);
            let by_default = PhoneNumber::parse_with_default(national, c.calling_code)
                .unwrap_or_else(|e| panic!("{} as default: {e}", c.alpha2));
            assert_eq!(by_default, p);
        }
    }

    #[test]
    fn social_api_numbers_are_mainland_only() {
        let cn = PhoneNumber::parse("18800008888").expect("cn");
        assert_eq!(cn.mainland_mobile().expect("mainland"), "18800008888");
        let us = PhoneNumber::parse("+1 415 555 2671").expect("us");
        assert!(us.mainland_mobile().is_err());
    }

    #[test]
    fn pass_codes_are_checked_and_hidden() {
        let code = PassCode::new(" 123456 ").expect("valid");
        assert_eq!(code.expose(), "123456");
        assert!(!format!("{code:?}").contains("123456"));
        for bad in ["", "12a456", "123", "123456789"] {
            assert!(PassCode::new(bad).is_err(), "{bad}");
        }
    }
}
