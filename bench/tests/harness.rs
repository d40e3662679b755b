//! The harness runs end to end on a few users (a debug build, so its figures mean nothing here):
//! every client in its own process against the standalone sandbox, each user's phone bound, and
//! the table printed. It keeps the harness behind docs/benchmarks.md from rotting.

use std::process::Command;

#[test]
fn the_harness_runs_every_client_on_a_few_users() {
    let output = Command::new(env!("CARGO_BIN_EXE_genauth-bench"))
        .args([
            "run",
            "--users",
            "2",
            "--rounds",
            "2",
            "--sandbox-threads",
            "1,2",
            "--allow-debug",
            "--tools-dir",
            env!("CARGO_TARGET_TMPDIR"),
        ])
        .output()
        .expect("the harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    for row in ["| raw |", "| genauth |", "| python |", "| node |"] {
        assert_eq!(
            stdout.matches(row).count(),
            2,
            "{row} once per sandbox setting:\n{stdout}"
        );
    }
    assert!(stdout.contains("1 worker thread(s)") && stdout.contains("2 worker thread(s)"));
    assert!(stdout.contains("round 2: load"), "{stdout}");
    // raw reqwest keeps its connections; the Python SDK opens one per request.
    let conns = |client: &str| -> f64 {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {client} |")))
            .and_then(|l| l.split('|').nth(9))
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    // Per round of 2 users: 3 calls and an outbox read each for Python; 2 pools for raw.
    assert!(conns("python") >= 6.0, "{stdout}");
    assert!(conns("raw") <= 2.0, "{stdout}");
}

#[test]
fn the_concurrency_comparison_runs_on_a_few_calls() {
    let output = Command::new(env!("CARGO_BIN_EXE_genauth-bench"))
        .args([
            "concurrency",
            "--callers",
            "4",
            "--calls",
            "40",
            "--rounds",
            "2",
            "--allow-debug",
        ])
        .output()
        .expect("the harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    for row in ["| raw |", "| raw-timeouts |", "| genauth |"] {
        assert_eq!(stdout.matches(row).count(), 1, "{row}:\n{stdout}");
    }
    assert!(
        stdout.contains("genauth/raw throughput, paired per round: median"),
        "{stdout}"
    );
    // Every client made every call (the driver refuses a short count): the CPU column is a
    // number for each.
    let cpu = |client: &str| -> f64 {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {client} |")))
            .and_then(|l| l.split('|').nth(7))
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    assert!(cpu("genauth") > 0.0 && cpu("raw") > 0.0, "{stdout}");
}
