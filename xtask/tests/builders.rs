//! Builders only for what is sent: a request body and the types inside it keep their
//! `types::builder::X` and `X::builder()`; an answer type has none (postprocess.rs).

use std::collections::BTreeSet;

fn builder_structs() -> (BTreeSet<String>, String) {
    let source = xtask::generate_file().expect("generates");
    let file: syn::File = syn::parse_str(&source).expect("parses");
    let mut names = BTreeSet::new();
    for item in &file.items {
        let syn::Item::Mod(types) = item else {
            continue;
        };
        if types.ident != "types" {
            continue;
        }
        for item in types.content.iter().flat_map(|(_, items)| items) {
            let syn::Item::Mod(builder) = item else {
                continue;
            };
            if builder.ident != "builder" {
                continue;
            }
            for item in builder.content.iter().flat_map(|(_, items)| items) {
                if let syn::Item::Struct(s) = item {
                    names.insert(s.ident.to_string());
                }
            }
        }
    }
    (names, source)
}

#[test]
fn request_types_keep_their_builders_and_answers_have_none() {
    let (builders, source) = builder_structs();
    // Request bodies (the operation builders' body_map needs them) and a type inside one.
    for kept in [
        "BindPhoneDto",
        "SigninByMobileDto",
        "UpdateUserReqDto",
        "SignInOptionsDto",
    ] {
        assert!(builders.contains(kept), "{kept} lost its builder");
    }
    // Answers, and a type only answers use.
    for dropped in [
        "UserDto",
        "UserSingleRespDto",
        "CommonResponseDto",
        "LoginTokenRespDto",
    ] {
        assert!(!builders.contains(dropped), "{dropped} still has a builder");
        assert!(
            !source.contains(&format!("builder::{dropped} ")),
            "{dropped}::builder() is still generated"
        );
    }
}
