//! The freshness check, shown once end to end: the checked-in file matches the spec, and a
//! change to a field of the spec without regenerating is caught with a readable diff.

#[test]
fn checked_in_generated_rs_is_fresh() {
    let spec = std::fs::read_to_string(xtask::spec_path()).expect("spec");
    let (client, types) =
        xtask::generate::split_spec(&xtask::generate_file().expect("generates"), &spec)
            .expect("splits");
    let on_disk = std::fs::read_to_string(xtask::generated_path()).expect("generated.rs exists");
    if let Some(diff) = xtask::stale_diff(&on_disk, &client) {
        panic!("generated.rs is stale; run `cargo xtask generate`:\n{diff}");
    }
    let on_disk = std::fs::read_to_string(xtask::spec_types_path()).expect("spec.rs exists");
    if let Some(diff) =
        xtask::generate::diff_of(SPEC_TYPES, "openapi/genauth.yaml", &on_disk, &types)
    {
        panic!("spec.rs is stale; run `cargo xtask generate`:\n{diff}");
    }
}

/// The spec's types, beside its client (`xtask::generate::split_spec`).
const SPEC_TYPES: &str = "crates/genauth-api-types/src/spec.rs";

#[test]
fn generation_is_deterministic() {
    let a = xtask::generate_file().expect("generates");
    let b = xtask::generate_file().expect("generates");
    assert_eq!(a, b);
}

#[test]
fn changing_a_field_without_regenerating_is_caught_with_a_diff() {
    let spec = std::fs::read_to_string(xtask::spec_path()).expect("spec");
    // Rename bindPhone's passCode (and every other passCode) to verifyCode.
    let changed = spec.replace("passCode", "verifyCode");
    assert_ne!(spec, changed);
    let regenerated = xtask::generate(&changed).expect("the changed spec still generates");
    let (_, types) = xtask::generate::split_spec(&regenerated, &changed).expect("splits");
    let on_disk = std::fs::read_to_string(xtask::spec_types_path()).expect("spec.rs");
    let diff = xtask::generate::diff_of(SPEC_TYPES, "openapi/genauth.yaml", &on_disk, &types)
        .expect("the change must be seen");
    assert!(diff.starts_with("--- crates/genauth-api-types/src/spec.rs (checked in)"));
    let removed = diff.lines().any(|l| {
        l.starts_with('-')
            && l.trim_end()
                .ends_with("pub pass_code: ::std::string::String,")
    });
    let added = diff.lines().any(|l| {
        l.starts_with('+')
            && l.trim_end()
                .ends_with("pub verify_code: ::std::string::String,")
    });
    assert!(removed && added, "{diff}");
}

#[test]
fn a_broken_spec_is_an_error_naming_the_operation_not_a_panic() {
    let spec = std::fs::read_to_string(xtask::spec_path()).expect("spec");
    let broken = spec.replacen("operationId: unbindPhone", "operationId: bindPhone", 1);
    let err = xtask::generate(&broken).expect_err("duplicate operationId is refused");
    let text = err.to_string();
    assert!(
        text.contains("operation bindPhone (POST /api/v3/unbind-phone): operationId bindPhone is already used by operation bindPhone (POST /api/v3/bind-phone)"),
        "{text}"
    );
    let not_yaml = xtask::generate("openapi: [").expect_err("bad yaml");
    assert!(
        not_yaml.to_string().contains("does not parse"),
        "{not_yaml}"
    );
}
