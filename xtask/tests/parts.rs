//! The documents' types shared out between crates (xtask/src/parts.rs), checked on the
//! committed files: each part holds only what its own families use, `genauth-api-types` only
//! what families of two parts share, and no type is in two crates.

use std::collections::{BTreeMap, BTreeSet};

/// The features in each top-level item's `#[cfg(any(feature = ..))]`, with the item's name
/// when it defines a type; `builder`'s and `defaults`' items too (named `builder::X`).
fn gated_items(source: &str) -> Vec<(Option<String>, BTreeSet<String>)> {
    let file: syn::File = syn::parse_str(source).expect("parses");
    let mut out = Vec::new();
    let visit =
        |items: &[syn::Item], prefix: &str, out: &mut Vec<(Option<String>, BTreeSet<String>)>| {
            for item in items {
                let (attrs, name) = match item {
                    syn::Item::Struct(s) => (&s.attrs, Some(format!("{prefix}{}", s.ident))),
                    syn::Item::Enum(e) => (&e.attrs, Some(format!("{prefix}{}", e.ident))),
                    syn::Item::Type(t) => (&t.attrs, Some(format!("{prefix}{}", t.ident))),
                    syn::Item::Impl(i) => (&i.attrs, None),
                    syn::Item::Fn(f) => (&f.attrs, None),
                    _ => continue,
                };
                let Some(cfg) = attrs.iter().find(|a| a.path().is_ident("cfg")) else {
                    continue;
                };
                let text = quote::quote!(#cfg).to_string();
                let features = text
                    .split("feature = \"")
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next())
                    .map(str::to_string)
                    .collect();
                out.push((name, features));
            }
        };
    visit(&file.items, "", &mut out);
    for item in &file.items {
        if let syn::Item::Mod(m) = item
            && let Some((_, inner)) = &m.content
        {
            visit(inner, &format!("{}::", m.ident), &mut out);
        }
    }
    out
}

#[test]
fn each_crate_holds_the_types_of_its_own_families_and_the_shared_ones_are_in_the_core() {
    let families = xtask::families::load().expect("openapi/families.yaml");
    let part_of: BTreeMap<String, String> = families
        .iter()
        .map(|f| (f.feature.clone(), f.types.clone()))
        .collect();
    let parts: BTreeSet<String> = part_of.values().cloned().collect();
    assert!(
        parts.len() >= 2,
        "the families' types are shared out: {parts:?}"
    );
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates");
    let mut defined: BTreeMap<String, String> = BTreeMap::new();
    for document in ["authentication", "management"] {
        let mut crates = vec![("genauth-api-types".to_string(), None)];
        crates.extend(
            parts
                .iter()
                .map(|p| (format!("genauth-api-types-{p}"), Some(p.clone()))),
        );
        for (krate, part) in crates {
            let path = format!("{root}/{krate}/src/{document}/types.rs");
            let Ok(source) = std::fs::read_to_string(&path) else {
                // A part without families of this document has no types of it.
                assert!(part.is_some(), "{path} is missing");
                continue;
            };
            for (name, features) in gated_items(&source) {
                let of: BTreeSet<&String> = features
                    .iter()
                    .map(|f| {
                        part_of
                            .get(f)
                            .unwrap_or_else(|| panic!("{path}: {f} is no family"))
                    })
                    .collect();
                match &part {
                    Some(p) => assert!(
                        of.iter().all(|o| *o == p),
                        "{path}: {name:?} is gated by families of other crates: {features:?}"
                    ),
                    None => assert!(
                        name.is_none() || of.len() >= 2,
                        "{path}: {name:?} is used by the families of one crate only ({of:?}): it belongs there"
                    ),
                }
                if let Some(name) = name {
                    let at = format!("{krate} {document}");
                    if let Some(other) = defined.insert(format!("{document}::{name}"), at.clone()) {
                        panic!("{document}::{name} is defined in {other} and in {at}");
                    }
                }
            }
        }
    }
    assert!(
        defined.len() > 1500,
        "the documents' types were found: {}",
        defined.len()
    );
}
