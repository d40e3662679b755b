//! What a refresh looks like in the logs: one span per call (the retry after a 401 counted as
//! its second attempt), a refresh span naming the session and the reason with events at `info`,
//! and each field once per line.
//!
//! A test binary of its own: tracing caches each callsite's interest process-wide, so a test
//! running beside it on another thread (with no subscriber) can hide its spans (it failed so
//! when it ran inside the `facade` binary).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genauth::{InMemoryTokenStore, TokenStore};
use genauth_sandbox::{ManualClock, Sandbox};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Capture {
    /// What was written since the last call.
    fn take(&self) -> String {
        let mut bytes = self.0.lock().expect("lock");
        let text = String::from_utf8_lossy(&bytes).to_string();
        bytes.clear();
        text
    }
}

#[test]
fn refreshes_are_visible_at_info_and_a_401_is_one_call_with_two_attempts() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .without_time()
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let clock = ManualClock::new();
                let s = Sandbox::builder()
                    .clock(clock.clone())
                    .start()
                    .await
                    .expect("sandbox");
                let store = Arc::new(InMemoryTokenStore::new(None).with_label("alice-session"));
                let c = common::app_builder(&s)
                    .token_store(store.clone())
                    .build()
                    .expect("client");
                let signed_in = c
                    .sign_in_by_username_password("alice", "alice-password-1")
                    .await
                    .expect("sign in");
                capture.take();

                // 1. The token expires soon: renewed before the call.
                store
                    .save(Some(common::expired(&signed_in)))
                    .await
                    .expect("saved");
                c.get_profile().await.expect("profile");
                let log = capture.take();
                assert!(
                    log.contains("genauth_refresh{session=alice-session reason=\"expiring\"}"),
                    "{log}"
                );
                assert!(
                    log.contains("INFO") && log.contains("refreshing the session"),
                    "{log}"
                );
                assert!(log.contains("session refreshed"), "{log}");

                // 2. The service refuses the token (its clock passed the expiry; the client
                // does not know): one getProfile span, two attempts, ok.
                clock.advance(Duration::from_secs(1_209_601));
                c.get_profile().await.expect("renewed and retried");
                let log = capture.take();
                let profile_spans: Vec<&str> = log
                    .lines()
                    .filter(|l| {
                        l.contains("genauth{operation=\"getProfile\"")
                            && !l.contains("genauth_refresh")
                            && l.ends_with("genauth::exec: close")
                    })
                    .collect();
                assert_eq!(profile_spans.len(), 1, "one span per call:\n{log}");
                assert!(profile_spans[0].contains("attempts=2"), "{log}");
                assert!(profile_spans[0].contains("outcome=\"ok\""), "{log}");
                assert!(
                    log.contains("reason=\"unauthorized\""),
                    "the refresh says why:\n{log}"
                );
                // The refresh's span is a child of the call that waited for it.
                assert!(
                    log.lines()
                        .any(|l| l.contains("genauth{operation=\"getProfile\"")
                            && l.contains("genauth_refresh{")),
                    "{log}"
                );
                // The operation is named once per span, as the span spells it (never again by
                // an event, nor in another spelling).
                for line in log.lines() {
                    assert_eq!(
                        line.matches("operation=").count(),
                        line.matches("genauth{").count(),
                        "{line}"
                    );
                }
                assert!(!log.contains("get_profile"), "{log}");
                // Each field once: in every span of a line's context, and in its event.
                for line in log.lines() {
                    for part in line.split("}:") {
                        for field in ["request_id=", "operation=", "session=", "reason="] {
                            assert!(part.matches(field).count() <= 1, "{field} twice: {line}");
                        }
                    }
                }
            });
    });
}
