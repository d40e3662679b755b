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
