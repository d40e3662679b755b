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

/// The serde derives of the committed `management/types.rs` type named `name`.
fn serde_derives(source: &str, name: &str) -> (bool, bool) {
    let file: syn::File = syn::parse_str(source).expect("parses");
    for item in &file.items {
        let (ident, attrs) = match item {
            syn::Item::Struct(s) => (&s.ident, &s.attrs),
            syn::Item::Enum(e) => (&e.ident, &e.attrs),
            _ => continue,
        };
        if ident != name {
            continue;
        }
        let derives: String = attrs
            .iter()
            .filter(|a| a.path().is_ident("derive"))
            .map(|a| quote::quote!(#a).to_string())
            .collect();
        return (
            derives.contains("Serialize"),
            derives.contains("Deserialize"),
        );
    }
    panic!("{name} is not in management/types.rs");
}

/// Serde one way for the documents' types (postprocess.rs, `Serde::OneWay`): what only answers
/// hold is read, what only requests hold is written, what both hold keeps both; our spec's
/// types keep both.
#[test]
fn the_documents_types_derive_serde_the_way_they_travel() {
    let source = management_types();
    // (type, Serialize, Deserialize)
    for (name, ser, de) in [
        ("ListUsersRequestDto", true, false), // list-users' body
        ("ListUsersOptionsDto", true, false), // inside it
        ("UserDto", false, true),             // inside list-users' answer
        ("ApplicationMfaDto", true, true),    // sent in an update, read in an answer
    ] {
        assert_eq!(
            serde_derives(&source, name),
            (ser, de),
            "{name}: (Serialize, Deserialize)"
        );
    }
    let spec = xtask::generate_file().expect("generates");
    assert_eq!(serde_derives_any(&spec, "UserDto"), (true, true));
}

/// The management document's types, from every crate they are in: `genauth-api-types` and
/// each part of `openapi/families.yaml` (xtask/src/parts.rs).
fn management_types() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates");
    let mut source = String::new();
    for krate in [
        "genauth-api-types",
        "genauth-api-types-part1",
        "genauth-api-types-part2",
    ] {
        let path = format!("{root}/{krate}/src/management/types.rs");
        source.push_str(&std::fs::read_to_string(&path).expect("management/types.rs"));
        source.push('\n');
    }
    source
}

/// As `serde_derives`, for a type inside `mod types` of our spec's generated file.
fn serde_derives_any(source: &str, name: &str) -> (bool, bool) {
    let file: syn::File = syn::parse_str(source).expect("parses");
    for item in &file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "types"
        {
            let inner: Vec<String> = m
                .content
                .iter()
                .flat_map(|(_, items)| items)
                .map(|i| quote::quote!(#i).to_string())
                .collect();
            return serde_derives(&inner.join("\n"), name);
        }
    }
    panic!("no mod types");
}

/// One envelope type for the documents' answers (postprocess.rs, `shared_shapes`): an answer
/// that is the V3 envelope around `data` and nothing more is an alias of the generic
/// `Enveloped`, a page of a list one of `Page`; anything else stays its own struct.
#[test]
fn the_documents_envelopes_and_pages_are_aliases_of_one_generic_type() {
    let source = management_types();
    let file: syn::File = syn::parse_str(&source).expect("parses");
    let find = |name: &str| {
        file.items.iter().find_map(|item| match item {
            syn::Item::Type(t) if t.ident == name => {
                let ty = &t.ty;
                // A part names the core's envelope by its crate's name.
                let text = quote::quote!(#ty).to_string().replace(' ', "");
                Some(text.replace("genauth_api_types::", "crate::"))
            }
            syn::Item::Struct(s) if s.ident == name => Some("struct".to_string()),
            _ => None,
        })
    };
    for (name, is) in [
        // list-users' answer and its page
        (
            "UserPaginatedRespDto",
            "crate::envelope::Enveloped<UserPagingDto>",
        ),
        ("UserPagingDto", "crate::envelope::Page<UserDto>"),
        // data is a list
        (
            "AppListRespDto",
            "crate::envelope::Enveloped<::std::vec::Vec<AppDto>>",
        ),
        // holds a secret: its own Debug prints [REDACTED]
        ("CreateAccessKeyRespDto", "struct"),
        // totalCount is a boolean in the document
        ("DepartmentPagingDto", "struct"),
        // the document's MFASettingsRespDto: the rules name types as typify does
        (
            "MfaSettingsRespDto",
            "crate::envelope::Enveloped<MfaSettingsDto>",
        ),
    ] {
        assert_eq!(find(name).as_deref(), Some(is), "{name}");
    }
    // An alias keeps no impls of its own (the generic type has them).
    assert!(!source.contains("for UserPaginatedRespDto"));
}
