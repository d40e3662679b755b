//! The generated source for the spec, as a reviewed snapshot.
//!
//! `cargo xtask generate --check` guards the checked-in file; this snapshot makes every change
//! of the generated code show up as a diff to review, from the same generation function.

#[test]
fn generated_source_for_the_spec() {
    let source = xtask::generate_file().expect("the spec generates");
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("generated_rs", source);
    });
}

/// Every operation's retry class (`genauth_api::operations`, from the rule and the spec's
/// exceptions table) as a reviewed list: a class that changes, by a new operation, a new
/// exception or a changed rule, shows up as a diff here.
#[test]
fn every_operation_has_a_retry_class() {
    let mut lines: Vec<String> = genauth_api::operations::ALL
        .iter()
        .map(|op| {
            let class = if op.idempotent {
                "read: tried again after a transient failure"
            } else {
                "write: tried again only when nothing was sent"
            };
            format!("{:<32} {:<4} {:<52} {class}", op.id, op.method, op.path)
        })
        .collect();
    lines.sort();
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("retry_classes", lines.join("\n"));
    });
}
