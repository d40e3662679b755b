//! The main job against a real host (here a sandbox the test starts, given as
//! `GENAUTH_APP_HOST`), driven through standard input as a person or a script would: the user
//! name, the password and the phone piped in at once, then the SMS code when it is asked for.
//! Every answer must reach its question (a fresh reader per question used to drop the rest of
//! what was piped in).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// `target/<profile>/examples/bind_phone`: `cargo test` (the README's command) builds the
/// examples with the tests. Running this test alone (`--test main_job_stdin`) uses whatever
/// example binary the last full build left.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    profile_dir.join("examples").join("bind_phone")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_answers_all_reach_their_questions() {
    let path = example();
    if !path.exists() {
        panic!(
            "{} is not built (cargo test builds the examples)",
            path.display()
        );
    }
    let sandbox = genauth_sandbox::Sandbox::builder()
        .start()
        .await
        .expect("sandbox");
    let app = sandbox.seed().app;
    let mut child = Command::new(&path)
        .env("GENAUTH_APP_HOST", sandbox.url())
        .env("GENAUTH_APP_ID", &app.id)
        .env("GENAUTH_APP_SECRET", &app.secret)
        .env_remove("GENAUTH_ACCESS_TOKEN")
        .env_remove("GENAUTH_PHONE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example runs");
    let mut stdin = child.stdin.take().expect("stdin");
    // Three answers in one write, before any question is asked.
    stdin
        .write_all(b"alice\nalice-password-1\n+86 188 0000 8888\n")
        .expect("writes");
    stdin.flush().expect("flush");
    let stdout = child.stdout.take().expect("stdout");
    let (asked_tx, asked_rx) = std::sync::mpsc::channel::<String>();
    // Reads everything the example prints; says when it asks for the SMS code.
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        let mut lines = BufReader::new(stdout);
        let mut buf = Vec::new();
        let mut told = false;
        // Prompts end without a newline: read up to each ':'.
        while let Ok(n) = lines.read_until(b':', &mut buf) {
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf));
            buf.clear();
            if !told && seen.ends_with("(CHANNEL_BIND_PHONE):") {
                told = true;
                let _ = asked_tx.send(seen.clone());
            }
        }
        seen
    });
    let asked = tokio::task::spawn_blocking(move || asked_rx.recv_timeout(Duration::from_secs(30)))
        .await
        .expect("join");
    let Ok(seen) = asked else {
        let _ = child.kill();
        panic!(
            "never asked for the SMS code:\n{}",
            reader.join().unwrap_or_default()
        );
    };
    assert!(seen.contains("Signed in as alice"), "{seen}");
    assert!(
        !seen.contains("alice-password-1"),
        "the password is not echoed: {seen}"
    );
    let code = sandbox
        .last_code("18800008888", "CHANNEL_BIND_PHONE")
        .expect("a code was sent");
    // The code, then an empty WeChat code to skip the social part.
    stdin
        .write_all(format!("{code}\n\n").as_bytes())
        .expect("writes");
    drop(stdin);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("exits");
    let rest = reader.join().expect("reader");
    assert!(
        output.status.success(),
        "{seen}{rest}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(rest.contains("4. Bound."), "{rest}");
    assert_eq!(sandbox.users_with_phone("+86", "18800008888"), 1);
}
