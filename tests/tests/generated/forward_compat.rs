//! Answers the service may send tomorrow: every answer type of the spec decodes a full instance
//! in which every enum holds a value this SDK has never seen and every object carries a field
//! it does not know, and one in which any field the documents call required is left out or
//! `null` (the envelope's `statusCode` excepted). Request enums stay closed.

use std::collections::BTreeSet;

use genauth_api::types;
use serde_json::{Map, Value, json};
use xtask::Spec;

const NEW_VALUE: &str = "A_VALUE_ADDED_TOMORROW";

/// A full instance of `schema`: every property, enums set to [`NEW_VALUE`], an extra field in
/// every object.
fn instance(spec: &Spec, schema: &Value, depth: usize) -> Value {
    let schema = spec.resolve(schema).unwrap_or(schema);
    if schema.get("enum").is_some() {
        return json!(NEW_VALUE);
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object");
    match ty {
        "string" => json!("text"),
        "integer" => json!(7),
        "number" => json!(7.5),
        "boolean" => json!(true),
        "array" => match schema.get("items") {
            Some(items) if depth < 6 => json!([instance(spec, items, depth + 1)]),
            _ => json!([]),
        },
        _ => {
            let mut map = Map::new();
            for (name, prop) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if depth < 6 {
                    map.insert(name.clone(), instance(spec, prop, depth + 1));
                }
            }
            map.insert("aFieldAddedTomorrow".into(), json!({"nested": [1, "two"]}));
            Value::Object(map)
        }
    }
}

/// Decodes `value` as the generated type named `name`; `None` for a name this test does not
/// know (the test then fails, naming it).
fn decode(name: &str, value: Value) -> Option<Result<String, String>> {
    macro_rules! types {
        ($($t:ident),* $(,)?) => {
            match name {
                $(stringify!($t) => Some(
                    serde_json::from_value::<types::$t>(value)
                        .map(|v| format!("{v:?}"))
                        .map_err(|e| e.to_string()),
                ),)*
                _ => None,
            }
        };
    }
    types!(
        CommonResponseDto,
        IsSuccessRespDto,
        IsUserExistsRespDto,
        PreCheckCodeRespDto,
        GetSecurityInfoRespDto,
        PasswordResetVerifyResp,
        GetCountryListRespDto,
        GetExtIdpsRespDto,
        WechatMobileLoginAnswer,
        SdkMobileResponse,
        VerifyUpdatePhoneRequestRespDto,
        UserSingleRespDto,
        LoginTokenRespDto,
        LoginTokenResponseDataDto,
        OidcError,
        GetManagementTokenRespDto,
        IdentityListRespDto,
        GenerateBindExtIdpLinkRespDto,
        SdkLoginResponse,
        SdkError,
        TenantTokenResponse,
        SsoTicketResponse,
        SsoTicketVerifyResponse,
        SessionTokenRefreshResponse,
    )
}

/// The component schemas the spec's operations answer with.
fn answer_names(spec: &Spec) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for op in spec.operations() {
        for (_, response) in spec.responses(&op) {
            for media in response
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(_, m)| m)
            {
                if let Some(name) = media
                    .pointer("/schema/$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.rsplit('/').next())
                {
                    names.insert(name.to_string());
                }
            }
        }
    }
    assert!(names.len() >= 10, "{names:?}");
    names
}

#[test]
fn every_answer_type_takes_unknown_enum_values_and_unknown_fields() {
    let spec = Spec::load().expect("spec");
    for name in &answer_names(&spec) {
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        let value = instance(&spec, &schema, 0);
        match decode(name, value.clone()) {
            None => panic!("answer type {name} is not listed in this test: add it"),
            Some(Err(e)) => panic!("{name} does not decode tomorrow's answer: {e}\n{value}"),
            Some(Ok(debug)) => {
                if value.to_string().contains(NEW_VALUE) {
                    assert!(debug.contains(NEW_VALUE), "{name}: {debug}");
                }
            }
        }
    }
}

/// The JSON pointers of the properties `schema` requires in `value` (an instance of it), nested
/// objects and the first item of arrays included.
fn required_paths(spec: &Spec, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = spec.resolve(schema).unwrap_or(schema);
    match value {
        Value::Array(items) => {
            if let (Some(first), Some(item_schema)) = (items.first(), schema.get("items")) {
                required_paths(spec, item_schema, first, &format!("{at}/0"), out);
            }
        }
        Value::Object(map) => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (key, prop) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let Some(inner) = map.get(key) else { continue };
                let path = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                if required.contains(&key.as_str()) {
                    out.push(path.clone());
                }
                required_paths(spec, prop, inner, &path, out);
            }
        }
        _ => {}
    }
}

/// `value` with the member at `pointer` removed (`None`) or replaced.
fn with_member(value: &Value, pointer: &str, new: Option<Value>) -> Value {
    let mut out = value.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    match out.pointer_mut(parent) {
        Some(Value::Object(map)) => match new {
            Some(v) => {
                map.insert(key, v);
            }
            None => {
                map.remove(&key);
            }
        },
        other => panic!("no object at {parent}: {other:?}"),
    }
    out
}

#[test]
fn every_answer_type_decodes_a_required_field_left_out_or_null() {
    let spec = Spec::load().expect("spec");
    let mut checked = 0;
    for name in &answer_names(&spec) {
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        let value = instance(&spec, &schema, 0);
        let mut paths = Vec::new();
        required_paths(&spec, &schema, &value, "", &mut paths);
        // The envelope's statusCode is what tells it from any other body: it stays required.
        paths.retain(|p| p != "/statusCode");
        for path in paths {
            for (what, changed) in [
                ("left out", with_member(&value, &path, None)),
                ("null", with_member(&value, &path, Some(Value::Null))),
            ] {
                match decode(name, changed.clone()) {
                    Some(Ok(_)) => checked += 1,
                    Some(Err(e)) => {
                        panic!("{name} with {path} {what} does not decode: {e}\n{changed}")
                    }
                    None => panic!("answer type {name} is not listed in this test: add it"),
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} variants checked");
}

#[test]
fn the_envelope_without_its_status_code_is_refused() {
    let e = serde_json::from_value::<types::CommonResponseDto>(json!({"message": "m"}));
    assert!(e.is_err(), "{e:?}");
}

#[test]
fn unknown_values_keep_their_text_and_known_ones_their_variant() {
    let status: types::UserDtoStatus = serde_json::from_value(json!("Frozen")).expect("decodes");
    assert_eq!(status, types::UserDtoStatus::Unknown("Frozen".into()));
    assert_eq!(status.to_string(), "Frozen");
    assert_eq!(
        serde_json::to_value(&status).expect("encodes"),
        json!("Frozen")
    );
    let known: types::UserDtoStatus = serde_json::from_value(json!("Activated")).expect("decodes");
    assert_eq!(known, types::UserDtoStatus::Activated);
    let parsed: types::IdentityDtoProvider = "wechat".parse().expect("parses");
    assert_eq!(parsed, types::IdentityDtoProvider::Wechat);
    let parsed: types::IdentityDtoProvider = "mastodon".parse().expect("parses");
    assert_eq!(parsed.to_string(), "mastodon");
    let login: types::SdkLoginStatus =
        serde_json::from_value(json!("FACE_VERIFY")).expect("decodes");
    assert!(matches!(login, types::SdkLoginStatus::Unknown(ref s) if s == "FACE_VERIFY"));
}

#[test]
fn request_enums_stay_closed() {
    assert!(serde_json::from_value::<types::SmsChannel>(json!("CHANNEL_TYPO")).is_err());
    assert!("CHANNEL_TYPO".parse::<types::SmsChannel>().is_err());
    assert!(
        serde_json::from_value::<types::SigninByCredentialsDtoConnection>(json!("MAGIC")).is_err()
    );
}
