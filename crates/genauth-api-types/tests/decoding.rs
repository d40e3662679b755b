//! The decoding rules of the generated answer types, through the crate's public items: the
//! lenient rule (a required field left out or `null` is its default) and the generic envelope
//! and page. An integration test, so that `cargo test` does not compile every family's types a
//! second time in test mode (`[lib] test = false`).

use genauth_api_types::envelope::{Envelope, Enveloped, Page};

#[derive(serde::Deserialize, Clone, Debug, PartialEq, Default)]
struct User {
    #[serde(rename = "userId")]
    user_id: String,
}

#[test]
fn an_envelope_decodes_as_the_service_sends_it() {
    let read = |s: &str| serde_json::from_str::<Enveloped<Page<User>>>(s);
    let full = read(
        r#"{"statusCode": 200, "message": "ok", "apiCode": 1, "requestId": "r",
            "data": {"list": [{"userId": "u1"}], "totalCount": 1}, "later": true}"#,
    )
    .expect("decodes");
    assert_eq!(full.status_code(), 200);
    assert_eq!(full.message(), "ok");
    assert_eq!(full.api_code(), Some(1));
    assert_eq!(full.request_id(), Some("r"));
    assert_eq!(full.data.list[0].user_id, "u1");
    assert_eq!(full.data.total_count, 1);
    // A refusal leaves data out, or sends null; message may be null too.
    let refused = read(r#"{"statusCode": 404, "message": null, "data": null}"#).expect("decodes");
    assert_eq!(refused.status_code(), 404);
    assert_eq!(refused.message(), "");
    assert_eq!(refused.data, Page::default());
    assert_eq!(refused.request_id(), None);
    // statusCode tells an envelope from any other body.
    assert!(read(r#"{"message": "ok", "data": {}}"#).is_err());
    // A wrong type is still an error, not a default.
    assert!(read(r#"{"statusCode": 200, "data": {"list": 3}}"#).is_err());
}

#[test]
fn an_optional_data_is_none_when_absent_or_null() {
    let read = |s: &str| serde_json::from_str::<Enveloped<Option<User>>>(s).expect("decodes");
    assert_eq!(read(r#"{"statusCode": 200}"#).data, None);
    assert_eq!(read(r#"{"statusCode": 200, "data": null}"#).data, None);
    assert_eq!(
        read(r#"{"statusCode": 200, "data": {"userId": "u"}}"#).data,
        Some(User {
            user_id: "u".into()
        })
    );
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Answer {
    #[serde(default, deserialize_with = "genauth_api_types::lenient::or_default")]
    name: String,
    #[serde(default, deserialize_with = "genauth_api_types::lenient::or_default")]
    count: i64,
}

#[test]
fn null_and_absent_are_the_default_and_a_value_is_kept() {
    let read = |s: &str| serde_json::from_str::<Answer>(s).expect("decodes");
    assert_eq!(
        read(r#"{"name": "x", "count": 2}"#),
        Answer {
            name: "x".into(),
            count: 2
        }
    );
    assert_eq!(
        read(r#"{"name": null}"#),
        Answer {
            name: String::new(),
            count: 0
        }
    );
    assert_eq!(
        read("{}"),
        Answer {
            name: String::new(),
            count: 0
        }
    );
    assert!(serde_json::from_str::<Answer>(r#"{"count": "two"}"#).is_err());
}
