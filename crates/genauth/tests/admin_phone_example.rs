//! The administrator's main job (`cargo run --example admin_phone`) runs end to end on the
//! embedded sandbox: the phone is refused while owned, then freed and moved.

use std::process::Command;

#[test]
fn the_admin_phone_example_binds_refuses_frees_and_moves() {
    // `target/<profile>/examples/admin_phone`: `cargo test` builds the examples with the tests.
    let exe = std::env::current_exe().expect("test binary");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .join("examples")
        .join("admin_phone");
    assert!(
        path.exists(),
        "{} is not built (cargo test builds the examples)",
        path.display()
    );
    let output = Command::new(&path)
        .env_remove("GENAUTH_ACCESS_KEY_ID")
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in [
        "1. Who owns +86 18800005555?",
        "   nobody",
        "phone +86 18800005555, verified",
        "refused: updateUser: GenAuth answered statusCode 409 (apiCode 1320004)",
        "   freed: ",
        "   moved: ",
        "owner of the phone: genauth-demo-",
        "6. Each user's security info, signed in as them",
        "phone bound true, password set true",
        "phone bound false, password set true",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in:\n{stdout}");
    }
}
