//! The sandbox as a shared server: idle, slow and surplus connections are closed, and a slow
//! body is refused, with the limits set low so that the test takes seconds.

use std::time::{Duration, Instant};

use genauth_sandbox::{Config, Sandbox, SandboxHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn sandbox(max_connections: usize) -> SandboxHandle {
    let mut config = Config::default();
    config.limits.header_read_timeout_secs = 1;
    config.limits.body_read_timeout_secs = 1;
    config.limits.max_connections = max_connections;
    Sandbox::builder()
        .config(config)
        .start()
        .await
        .expect("sandbox")
}

async fn connect(s: &SandboxHandle) -> TcpStream {
    TcpStream::connect(s.url().trim_start_matches("http://"))
        .await
        .expect("connects")
}

/// Reads until the server closes the connection (or `within` passes); answers what was read
/// and how long the close took.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<(String, Duration)> {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(within, stream.read(&mut buf)).await {
            Err(_) => return None, // still open
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Some((
                    String::from_utf8_lossy(&seen).into_owned(),
                    started.elapsed(),
                ));
            }
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn idle_and_slow_header_connections_are_closed() {
    let s = sandbox(100).await;
    // Idle: never sends a byte.
    let mut idle = connect(&s).await;
    let (_, took) = until_closed(&mut idle, Duration::from_secs(5))
        .await
        .expect("an idle connection is closed");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // Slow: half a request head, then nothing.
    let mut slow = connect(&s).await;
    slow.write_all(b"GET /__sandbox/stats HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("writes");
    assert!(
        until_closed(&mut slow, Duration::from_secs(5))
            .await
            .is_some(),
        "a half-sent head is closed"
    );
    // Kept alive after a request, then idle: closed too.
    let mut kept = connect(&s).await;
    kept.write_all(b"GET /__sandbox/stats HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("writes");
    let (answer, _) = until_closed(&mut kept, Duration::from_secs(5))
        .await
        .expect("closed after its idle time");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A prompt client is served as ever.
    let http = genauth_api::http_client_builder().build().expect("client");
    let stats: serde_json::Value = http
        .get(format!("{}/__sandbox/stats", s.url()))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert!(
        stats["connections_accepted"].as_u64().unwrap_or(0) >= 4,
        "{stats}"
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    let s = sandbox(100).await;
    let app = s.seed().app;
    let mut stream = connect(&s).await;
    let head = format!(
        "POST /api/v3/send-sms HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-authing-app-id: {}\r\ncontent-length: 200\r\n\r\n{{\"channel\":",
        app.id
    );
    stream.write_all(head.as_bytes()).await.expect("writes");
    let (answer, took) = until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("answered and closed");
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert!(
        answer.contains("\"statusCode\":400") || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(s.outbox().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let s = sandbox(3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&s).await);
    }
    // Let the server accept the three.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut surplus = connect(&s).await;
    let (_, took) = until_closed(&mut surplus, Duration::from_millis(800))
        .await
        .expect("the fourth is closed before any timeout");
    assert!(took < Duration::from_millis(800), "{took:?}");
    // A slot frees when a connection goes.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = connect(&s).await;
    again
        .write_all(b"GET /__sandbox/stats HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("writes");
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(2), again.read(&mut buf))
        .await
        .expect("answers in time")
        .expect("reads");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}
