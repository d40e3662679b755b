//! A local capture server: it records every request (method, path and query, headers sorted
//! by name less `host`, body as sent) and answers the spec's example response for the
//! operation, so that a client must also decode its documented answer.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use xtask::Spec;

/// The access key secret the wire tests sign with; the capture checks signatures against it.
pub const ACCESS_KEY_SECRET: &str = "4fb2a2fxxxxxxxxxxxxxxxxxxxxxxxxx";

/// The parts of a signed request that change on every call (date, nonce, signature), checked
/// and replaced by what they are, so that snapshots stay stable and still prove the signature.
fn stable_value(
    name: &str,
    value: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> String {
    use genauth_api::signature::{Scheme, signed_params, verify};
    match name {
        "date" => match httpdate::parse_http_date(value) {
            Ok(at)
                if at
                    .duration_since(std::time::SystemTime::now())
                    .or_else(|e| Ok::<_, ()>(e.duration()))
                    .is_ok_and(|d| d.as_secs() < 120) =>
            {
                "<an HTTP date within 2 minutes of now>".into()
            }
            _ => format!("<NOT a current HTTP date: {value}>"),
        },
        "x-authing-signature-nonce" | "x-genauth-signature-nonce" => {
            if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
                "<32 random hex digits>".into()
            } else {
                format!("<NOT a 32-hex nonce: {value}>")
            }
        }
        "authorization" if Scheme::of_authorization(value).is_some() => {
            let Some((scheme, id, signature)) = Scheme::parse_authorization(value) else {
                return format!("<malformed: {value}>");
            };
            let word = scheme.word();
            let params = signed_params(method.as_str(), uri.query(), body);
            let text = scheme.string_to_sign(method.as_str(), uri.path(), headers, &params);
            if verify(ACCESS_KEY_SECRET, &text, signature) {
                format!("{word} {id}:<HMAC-SHA1 signature, verified>")
            } else {
                format!("{word} {id}:<signature that does NOT verify over {text:?}>")
            }
        }
        _ => value.to_string(),
    }
}

#[derive(Clone)]
pub struct Capture {
    spec: Arc<Spec>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Capture {
    /// operationId of a method + path, from the spec.
    fn operation_id(&self, method: &Method, path: &str) -> Option<String> {
        self.spec
            .operations()
            .into_iter()
            .find(|op| op.method == method.as_str() && op.path == path)
            .map(|op| op.id.to_string())
    }
}

pub async fn capture(
    axum::extract::State(state): axum::extract::State<Capture>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(op) = state.operation_id(&method, uri.path()) else {
        return (StatusCode::NOT_FOUND, "no such operation in the spec").into_response();
    };
    let mut names: Vec<&str> = headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| *k != "host")
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut text = format!(
        "{method} {}\n",
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    for name in names {
        for value in headers.get_all(name) {
            let value = String::from_utf8_lossy(value.as_bytes());
            let value = stable_value(name, &value, &method, &uri, &headers, &body);
            text.push_str(&format!("{name}: {value}\n"));
        }
    }
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(&body));
    text.push('\n');
    state.seen.lock().expect("lock").push((op.clone(), text));

    match state.spec.response_example(&op, "200") {
        Some(example) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            example.to_string(),
        )
            .into_response(),
        None => StatusCode::OK.into_response(),
    }
}

impl Capture {
    /// Serves on 127.0.0.1:0; answers the base URL and the capture.
    pub async fn start() -> (String, Capture) {
        let state = Capture {
            spec: Arc::new(Spec::load().expect("spec loads")),
            seen: Arc::default(),
        };
        let app = axum::Router::new()
            .fallback(capture)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), state)
    }

    /// The requests captured so far, as (operationId, text), and forgets them.
    pub fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.seen.lock().expect("lock"))
    }

    /// The spec the answers come from.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }
}
