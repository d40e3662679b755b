//! The access-key signature of management calls: the canonical string and the HMAC, in both
//! of the service's schemes.
//!
//! The service accepts a management call signed with the user pool's access key pair instead of
//! a management token. Its official SDKs sign in one of two schemes ([`Scheme`]), which differ
//! only in the word of the `authorization` header and in the header family that is signed:
//!
//! | scheme | who signs so | `authorization` | headers signed |
//! |---|---|---|---|
//! | [`Scheme::Authing`] | `authing-node-sdk` 4.x (`src/utils/buildSignature.ts`), the C# SDK | `authing <id>:<sig>` | `date`, `x-authing-*` |
//! | [`Scheme::GenAuth`] | the GenAuth-branded Node SDK (GenAuth-Official/genauth-node-sdk, `src/utils/buildSignature.ts`) | `GenAuth <id>:<sig>` | `date`, `x-genauth-*` |
//!
//! Each sends its nonce, method and version in its own family
//! (`x-authing-signature-nonce` or `x-genauth-signature-nonce`, …). This module is both schemes,
//! exactly as those SDKs build them, so that the `genauth` facade (which signs) and the sandbox
//! (which verifies) share one definition; the tests check it against vectors computed by the
//! two SDKs' own code, and the conformance test runs the unmodified `authing-node-sdk` against
//! the sandbox.
//!
//! ```text
//! stringToSign = METHOD "\n"
//!                { name ":" trim(value) "\n" }      headers named `date` or starting with the
//!                                                  scheme's prefix, sorted by name
//!                path [ "?" k1 "=" v1 "&" k2 "=" v2 ... ]   parameters sorted by key
//! signature    = base64(HMAC-SHA1(accessKeySecret, stringToSign))
//! authorization: <authing | GenAuth> <accessKeyId>:<signature>
//! ```
//!
//! The parameters are a GET's query, or the top-level fields of a POST's JSON body: strings as
//! they are, other values as compact JSON (`JSON.stringify`), in the order the body has them.
//!
//! ```
//! use genauth_api::signature::{Scheme, sign};
//! use reqwest::header::{HeaderMap, HeaderValue};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("date", HeaderValue::from_static("Tue, 24 Nov 2026 10:00:00 GMT"));
//! headers.insert("x-authing-signature-nonce", HeaderValue::from_static("n1"));
//! headers.insert("x-genauth-signature-nonce", HeaderValue::from_static("n2"));
//! headers.insert("content-type", HeaderValue::from_static("application/json"));
//! let params = vec![("userId".to_string(), "u1".to_string()), ("extIdpId".to_string(), "x".to_string())];
//! let text = Scheme::Authing.string_to_sign("POST", "/api/v3/link-identity", &headers, &params);
//! assert_eq!(
//!     text,
//!     "POST\ndate:Tue, 24 Nov 2026 10:00:00 GMT\nx-authing-signature-nonce:n1\n/api/v3/link-identity?extIdpId=x&userId=u1"
//! );
//! let text = Scheme::GenAuth.string_to_sign("POST", "/api/v3/link-identity", &headers, &params);
//! assert!(text.contains("x-genauth-signature-nonce:n2\n") && !text.contains("x-authing"));
//! assert_eq!(sign("secret", &text).len(), 28); // base64 of 20 bytes
//! assert_eq!(Scheme::GenAuth.authorization("id", "c2ln"), "GenAuth id:c2ln");
//! ```

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use serde_json::value::RawValue;

/// The signature method header's value: the one method the service knows.
pub const METHOD: &str = "HMAC-SHA1";
/// The signature version header's value.
pub const VERSION: &str = "1.0";

/// One of the service's two signature schemes (see the [module](self) docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `authorization: authing <id>:<sig>` over `date` and `x-authing-*`.
    Authing,
    /// `authorization: GenAuth <id>:<sig>` over `date` and `x-genauth-*`.
    GenAuth,
}

impl Scheme {
    /// Both schemes.
    pub const ALL: [Scheme; 2] = [Scheme::Authing, Scheme::GenAuth];

    /// The word before `<accessKeyId>:<signature>` in the `authorization` header.
    pub const fn word(self) -> &'static str {
        match self {
            Self::Authing => "authing",
            Self::GenAuth => "GenAuth",
        }
    }

    /// The prefix of the headers this scheme signs (beside `date`).
    pub const fn header_prefix(self) -> &'static str {
        match self {
            Self::Authing => "x-authing-",
            Self::GenAuth => "x-genauth-",
        }
    }

    /// The nonce header: good once within the date's window.
    pub const fn nonce_header(self) -> &'static str {
        match self {
            Self::Authing => "x-authing-signature-nonce",
            Self::GenAuth => "x-genauth-signature-nonce",
        }
    }

    /// The method header ([`METHOD`]).
    pub const fn method_header(self) -> &'static str {
        match self {
            Self::Authing => "x-authing-signature-method",
            Self::GenAuth => "x-genauth-signature-method",
        }
    }

    /// The version header ([`VERSION`]).
    pub const fn version_header(self) -> &'static str {
        match self {
            Self::Authing => "x-authing-signature-version",
            Self::GenAuth => "x-genauth-signature-version",
        }
    }

    /// Whether a header (named in lower case) takes part in this scheme's signature.
    pub fn signs_header(self, name: &str) -> bool {
        name == "date" || name.starts_with(self.header_prefix())
    }

    /// The `authorization` header's value.
    pub fn authorization(self, access_key_id: &str, signature: &str) -> String {
        format!("{} {access_key_id}:{signature}", self.word())
    }

    /// The scheme whose word starts an `authorization` value (compared without regard to
    /// case), whatever follows it.
    pub fn of_authorization(value: &str) -> Option<Scheme> {
        let word = value.trim_start().split(' ').next()?;
        Self::ALL
            .into_iter()
            .find(|s| s.word().eq_ignore_ascii_case(word))
    }

    /// The scheme, access key id and signature of an `authorization` value, if it is a
    /// signature (`<word> <id>:<signature>`); `None` for anything else.
    pub fn parse_authorization(value: &str) -> Option<(Scheme, &str, &str)> {
        let scheme = Self::of_authorization(value)?;
        let (_, rest) = value.trim().split_once(' ')?;
        let (id, signature) = rest.trim().split_once(':')?;
        Some((scheme, id, signature))
    }

    /// The canonical string of a request in this scheme.
    pub fn string_to_sign(
        self,
        method: &str,
        path: &str,
        headers: &HeaderMap,
        params: &[(String, String)],
    ) -> String {
        let mut names: Vec<&str> = headers
            .keys()
            .map(|n| n.as_str())
            .filter(|n| self.signs_header(n))
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

    /// Vectors computed by the official SDKs' own `buildStringToSign` and `buildAuthorization`
    /// (`authing-node-sdk` 4.0.1's `dist/utils/buildSignature.js`; GenAuth-Official/
    /// genauth-node-sdk's `src/utils/buildSignature.ts` at ef9b64d), run by Node on one request
    /// carrying both header families, key id `key-id`, secret `key-secret`.
    #[test]
    fn both_schemes_match_the_official_sdks_vectors() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("accept", "application/json"),
            ("content-type", "application/json"),
            ("date", "Thu, 03 Dec 2026 10:00:00 GMT"),
            ("x-genauth-signature-nonce", "a1b2c3"),
            ("x-genauth-signature-method", "HMAC-SHA1"),
            ("x-genauth-signature-version", "1.0"),
            ("x-genauth-lang", "zh-CN"),
            ("x-genauth-sdk-version", "gen-auth-node-sdk:1.0.0"),
            ("x-authing-signature-nonce", "d4e5f6"),
            ("x-authing-signature-method", "HMAC-SHA1"),
            ("x-authing-signature-version", "1.0"),
            ("x-authing-lang", "zh-CN"),
            ("x-authing-sdk-version", "authing-node-sdk:4.0.1"),
        ] {
            headers.insert(name, value.parse().unwrap());
        }
        let body =
            br#"{"userId":"u1","phone":"13800000000","options":{"z":1,"a":[true,null]},"n":2.5}"#;
        let post = signed_params("POST", None, body);
        let get = signed_params("GET", Some("userId=u1&userIdType=phone"), b"");
        let cases = [
            (
                Scheme::GenAuth,
                "POST",
                "/api/v3/update-user",
                &post,
                "POST\ndate:Thu, 03 Dec 2026 10:00:00 GMT\nx-genauth-lang:zh-CN\nx-genauth-sdk-version:gen-auth-node-sdk:1.0.0\nx-genauth-signature-method:HMAC-SHA1\nx-genauth-signature-nonce:a1b2c3\nx-genauth-signature-version:1.0\n/api/v3/update-user?n=2.5&options={\"z\":1,\"a\":[true,null]}&phone=13800000000&userId=u1",
                "GenAuth key-id:HPzEGGYEi81skHErHm3O6gdpb4Y=",
            ),
            (
                Scheme::GenAuth,
                "GET",
                "/api/v3/get-user",
                &get,
                "GET\ndate:Thu, 03 Dec 2026 10:00:00 GMT\nx-genauth-lang:zh-CN\nx-genauth-sdk-version:gen-auth-node-sdk:1.0.0\nx-genauth-signature-method:HMAC-SHA1\nx-genauth-signature-nonce:a1b2c3\nx-genauth-signature-version:1.0\n/api/v3/get-user?userId=u1&userIdType=phone",
                "GenAuth key-id:tIifcP2JXVYma1DFtXq9BRA7a9o=",
            ),
            (
                Scheme::Authing,
                "POST",
                "/api/v3/update-user",
                &post,
                "POST\ndate:Thu, 03 Dec 2026 10:00:00 GMT\nx-authing-lang:zh-CN\nx-authing-sdk-version:authing-node-sdk:4.0.1\nx-authing-signature-method:HMAC-SHA1\nx-authing-signature-nonce:d4e5f6\nx-authing-signature-version:1.0\n/api/v3/update-user?n=2.5&options={\"z\":1,\"a\":[true,null]}&phone=13800000000&userId=u1",
                "authing key-id:wBKb88uu6Gz/6saOziYXA/Hgct0=",
            ),
            (
                Scheme::Authing,
                "GET",
                "/api/v3/get-user",
                &get,
                "GET\ndate:Thu, 03 Dec 2026 10:00:00 GMT\nx-authing-lang:zh-CN\nx-authing-sdk-version:authing-node-sdk:4.0.1\nx-authing-signature-method:HMAC-SHA1\nx-authing-signature-nonce:d4e5f6\nx-authing-signature-version:1.0\n/api/v3/get-user?userId=u1&userIdType=phone",
                "authing key-id:amZAqIB3sMYmseUYJXq68dyiHUg=",
            ),
        ];
        for (scheme, method, path, params, text, authorization) in cases {
            let ours = scheme.string_to_sign(method, path, &headers, params);
            assert_eq!(ours, text, "{scheme:?} {method}");
            let signature = sign("key-secret", &ours);
            assert_eq!(scheme.authorization("key-id", &signature), authorization);
            let (parsed, id, sig) = Scheme::parse_authorization(authorization).unwrap();
            assert_eq!((parsed, id, sig), (scheme, "key-id", signature.as_str()));
        }
    }

    #[test]
    fn authorization_words_are_told_apart() {
        assert_eq!(
            Scheme::parse_authorization("genauth a:b"),
            Some((Scheme::GenAuth, "a", "b"))
        );
        assert_eq!(
            Scheme::parse_authorization("Authing a:b"),
            Some((Scheme::Authing, "a", "b"))
        );
        assert_eq!(Scheme::parse_authorization("Bearer a:b"), None);
        assert_eq!(Scheme::parse_authorization("authing ab"), None);
        assert_eq!(Scheme::parse_authorization("authinga:b"), None);
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
