//! The main job, foundation stage: send bind-phone through the generated client to a local
//! server and print the answer.
//!
//! The local server here only checks the request's shape and answers the documented envelope;
//! the stateful sandbox and the facade replace it in later stages.
//!
//! Run: `cargo run --example bind_phone`

use axum::Json;
use axum::http::HeaderMap;
use genauth::api::{Client, types};
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

async fn bind_phone(headers: HeaderMap, Json(body): Json<Value>) -> Json<Value> {
    let has_token = headers.contains_key("authorization");
    let has_code = body.get("passCode").and_then(Value::as_str).is_some();
    let has_phone = body.get("phoneNumber").and_then(Value::as_str).is_some();
    Json(if has_token && has_code && has_phone {
        json!({"statusCode": 200, "message": "Operation successful"})
    } else {
        json!({
            "statusCode": 400,
            "message": "passCode, phoneNumber and a user token are required",
            "apiCode": 2001,
            "requestId": "934108e5-9fbf-4d24-8da1-c330328abd6c",
        })
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = axum::Router::new().route("/api/v3/bind-phone", axum::routing::post(bind_phone));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("1. local server listening on {base}");

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-authing-app-id"),
        HeaderValue::from_static("62a6e4d3xxxxxxxxa3b3eb1a"),
    );
    let mut token = HeaderValue::from_static("example-user-access-token");
    token.set_sensitive(true);
    headers.insert(HeaderName::from_static("authorization"), token);
    let client = Client::new_with_client(
        &base,
        genauth::api::http_client_builder().build()?,
        Default::default(),
    )
    .with_headers(headers);

    println!("2. POST /api/v3/bind-phone phoneNumber=188xxxx8888 phoneCountryCode=+86 passCode=******");
    let answer = client
        .bind_phone()
        .body(types::BindPhoneDto {
            phone_number: "188xxxx8888".into(),
            pass_code: "123456".into(),
            phone_country_code: Some("+86".into()),
        })
        .send()
        .await?
        .into_inner();
    println!(
        "3. answer: statusCode={} message={:?}",
        answer.status_code, answer.message
    );
    if answer.status_code != 200 {
        return Err(format!("bind-phone failed: {}", answer.message).into());
    }
    Ok(())
}
