//! The access-key signature of management calls: the canonical string and the HMAC.
//!
//! The service accepts a management call signed with the user pool's access key pair instead of
//! a management token (the official Node SDK `authing-node-sdk` 4.x and the C# SDK sign every
//! management request this way). This module is that scheme, exactly as `authing-node-sdk`
//! 4.0.1 builds it in `src/utils/buildSignature.ts`, so that the `genauth` facade (which signs)
//! and the sandbox (which verifies) share one definition; the conformance test runs the
//! unmodified Node SDK against the sandbox, which keeps this definition honest.
//!
//! ```text
//! stringToSign = METHOD "\n"
//!                { name ":" trim(value) "\n" }      headers named `date` or starting with
//!                                                  x-authing- / x-genauth-, sorted by name
//!                path [ "?" k1 "=" v1 "&" k2 "=" v2 ... ]   parameters sorted by key
//! signature    = base64(HMAC-SHA1(accessKeySecret, stringToSign))
//! authorization: authing <accessKeyId>:<signature>
//! ```
//!
//! The parameters are a GET's query, or the top-level fields of a POST's JSON body: strings as
//! they are, other values as compact JSON (`JSON.stringify`), in the order the body has them.
//!
//! ```
//! use genauth_api::signature::{sign, string_to_sign};
//! use reqwest::header::{HeaderMap, HeaderValue};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("date", HeaderValue::from_static("Tue, 24 Nov 2026 10:00:00 GMT"));
//! headers.insert("x-authing-signature-nonce", HeaderValue::from_static("n1"));
//! headers.insert("content-type", HeaderValue::from_static("application/json"));
//! let params = vec![("userId".to_string(), "u1".to_string()), ("extIdpId".to_string(), "x".to_string())];
//! let text = string_to_sign("POST", "/api/v3/link-identity", &headers, &params);
//! assert_eq!(
//!     text,
//!     "POST\ndate:Tue, 24 Nov 2026 10:00:00 GMT\nx-authing-signature-nonce:n1\n/api/v3/link-identity?extIdpId=x&userId=u1"
//! );
//! assert_eq!(sign("secret", &text).len(), 28); // base64 of 20 bytes
//! ```

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use serde_json::value::RawValue;

/// `x-authing-signature-method`: the one method the service knows.
pub const METHOD: &str = "HMAC-SHA1";
/// `x-authing-signature-version`.
pub const VERSION: &str = "1.0";

/// Whether a header takes part in the signature.
fn signed_header(name: &str) -> bool {
    name == "date" || name.starts_with("x-authing-") || name.starts_with("x-genauth-")
}

/// The canonical string of a request.
pub fn string_to_sign(
    method: &str,
    path: &str,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> String {
    let mut names: Vec<&str> = headers
        .keys()
        .map(|n| n.as_str())
        .filter(|n| signed_header(n))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = format!("{}\n", method.to_ascii_uppercase());
    for name in names {
        let value = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .replace(['\t', '\n', '\r', '\x0c'], " ");
        out.push_str(name);
        out.push(':');
        out.push_str(value.trim());
        out.push('\n');
    }
    out.push_str(path);
    if !params.is_empty() {
        let mut sorted: Vec<&(String, String)> = params.iter().collect();
        // Stable: equal keys keep their order, as JavaScript's sort does.
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        out.push('?');
        for (i, (k, v)) in sorted.into_iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The parameters of a request as the signer sees them: a GET's decoded query pairs, or a
/// POST's top-level JSON fields (strings unquoted, other values as compact JSON). A body that is
/// not a JSON object has none.
pub fn signed_params(method: &str, query: Option<&str>, body: &[u8]) -> Vec<(String, String)> {
    if method.eq_ignore_ascii_case("GET") {
        return query
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
    }
    let Ok(fields) = serde_json::from_slice::<RawObject>(body) else {
        return Vec::new();
    };
    fields
        .0
        .into_iter()
        .map(|(k, raw)| {
            let text = raw.get();
            let value = serde_json::from_str::<String>(text).unwrap_or_else(|_| minify(text));
            (k, value)
        })
        .collect()
}

/// base64(HMAC-SHA1(secret, text)).
pub fn sign(secret: &str, text: &str) -> String {
    let mut mac = hmac_sha1(secret);
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (base64) is the signature of `text`; compared in constant time.
pub fn verify(secret: &str, text: &str, signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let mut mac = hmac_sha1(secret);
    mac.update(text.as_bytes());
    mac.verify_slice(&given).is_ok()
}

fn hmac_sha1(secret: &str) -> Hmac<sha1::Sha1> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    match Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// A JSON object's fields in the order of the text, with their values unparsed.
struct RawObject(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for RawObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = RawObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawObject, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push(entry);
                }
                Ok(RawObject(out))
            }
        }
        d.deserialize_map(Fields)
    }
}

/// JSON text without the white space outside strings (as `JSON.stringify` writes it).
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_fields_keep_nested_json_compact_and_in_order() {
        let body =
            br#"{"userId":"u1", "options": {"z": 1, "a": [true, null]}, "n": 2.5, "b": false}"#;
        let params = signed_params("POST", None, body);
        assert_eq!(
            params,
            vec![
                ("userId".to_string(), "u1".to_string()),
                (
                    "options".to_string(),
                    r#"{"z":1,"a":[true,null]}"#.to_string()
                ),
                ("n".to_string(), "2.5".to_string()),
                ("b".to_string(), "false".to_string()),
            ]
        );
        assert!(signed_params("POST", None, b"not json").is_empty());
        assert!(signed_params("POST", None, b"[1,2]").is_empty());
    }

    #[test]
    fn get_query_is_decoded() {
        let params = signed_params("GET", Some("a=1%202&b=x%3Dy"), b"");
        assert_eq!(
            params,
            vec![
                ("a".to_string(), "1 2".to_string()),
                ("b".to_string(), "x=y".to_string())
            ]
        );
    }

    #[test]
    fn signatures_verify_and_wrong_ones_do_not() {
        let sig = sign("secret", "text");
        assert!(verify("secret", "text", &sig));
        assert!(!verify("secret", "text2", &sig));
        assert!(!verify("other", "text", &sig));
        assert!(!verify("secret", "text", "not base64!"));
    }
}
