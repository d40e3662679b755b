//! A document's types shared out between crates, so that a build with many families compiles
//! them side by side: each family names the crate of its types (`types:` in
//! `openapi/families.yaml`, `genauth-api-types-<types>`). A type only families of one crate
//! reach is compiled there; a type families of two crates reach, and the document's `error`
//! module, are in `genauth-api-types`, which every such crate uses. `genauth-api` re-exports
//! them all as one `types` module per document. Also the parts' manifests and `lib.rs`, whole, and
//! genauth-api's re-export.

use std::collections::{BTreeMap, BTreeSet};

use quote::quote;
use syn::{Attribute, Item};

use crate::families::{Composition, Family};

/// Where a document's types go: `genauth-api-types` (`core`) and each crate of `types:`.
pub struct Parts {
    /// The items of `genauth-api-types`' `<document>/types.rs`.
    pub core: Vec<Item>,
    /// The items of each part's `<document>/types.rs`, by part (`part1`), for the parts that
    /// hold any of the document's families.
    pub parts: BTreeMap<String, Vec<Item>>,
}

/// The features in an item's `#[cfg(any(feature = ..))]` gate, if it has one.
fn gate(attrs: &[Attribute]) -> Option<BTreeSet<String>> {
    let attr = attrs.iter().find(|a| a.path().is_ident("cfg"))?;
    let text = quote!(#attr).to_string();
    let features: BTreeSet<String> = text
        .split("feature = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect();
    (!features.is_empty()).then_some(features)
}

fn attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Struct(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::Const(i) => &i.attrs,
        _ => &[],
    }
}

/// Where an item goes: the one part of the features of its gate, or `None` (the core) when
/// they are in several parts or it has no gate.
fn place(item: &Item, part_of: &BTreeMap<String, String>) -> Result<Option<String>, String> {
    let Some(features) = gate(attrs(item)) else {
        return Ok(None);
    };
    let mut parts = BTreeSet::new();
    for feature in &features {
        let part = part_of
            .get(feature)
            .ok_or_else(|| format!("feature {feature} is of no family of this document"))?;
        parts.insert(part.clone());
    }
    Ok(if parts.len() == 1 {
        parts.into_iter().next()
    } else {
        None
    })
}

/// Shares out one document's types (`types`, gated by [`split_document`](crate::split::split_document))
/// by the parts of their families' features (`part_of`: feature → part). `document` is
/// `authentication` or `management`.
///
/// * A struct, enum, alias or impl goes to the part of its gate, or to the core.
/// * `builder`'s items go with their types; `error` stays in the core, and each part imports
///   the core's types, `error` with them (`pub use genauth_api_types::<document>::types::*`).
/// * `defaults` (private in every crate): each crate gets the defaults whose types it sees.
/// * The parts name the core's `envelope` and `lenient` by the core's crate name.
pub fn share_out(
    types: Vec<Item>,
    part_of: &BTreeMap<String, String>,
    document: &str,
) -> Result<Parts, String> {
    let names: BTreeSet<String> = types
        .iter()
        .filter_map(crate::split::defined_name)
        .collect();
    let mut core = Vec::new();
    let mut parts: BTreeMap<String, Vec<Item>> =
        part_of.values().map(|p| (p.clone(), Vec::new())).collect();
    let mut home: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut builder: (Vec<Item>, BTreeMap<String, Vec<Item>>) = Default::default();
    let mut builder_mod = None;
    let mut defaults_mod = None;
    for item in types {
        match item {
            Item::Mod(m) if m.ident == "builder" => builder_mod = Some(m),
            Item::Mod(m) if m.ident == "defaults" => defaults_mod = Some(m),
            Item::Mod(m) => core.push(Item::Mod(m)), // error
            other => {
                let at = place(&other, part_of)?;
                if let Some(name) = crate::split::defined_name(&other) {
                    home.insert(name, at.clone());
                }
                match at {
                    Some(part) => parts.entry(part).or_default().push(other),
                    None => core.push(other),
                }
            }
        }
    }
    if let Some(mut m) = builder_mod {
        let items = m.content.take().map(|(_, items)| items).unwrap_or_default();
        for item in items {
            if crate::split::type_item_name(&item).is_none() {
                // `use` and the like: every builder module has them.
                builder.0.push(item.clone());
                for part in parts.keys() {
                    builder
                        .1
                        .entry(part.clone())
                        .or_default()
                        .push(item.clone());
                }
                continue;
            }
            match place(&item, part_of)? {
                Some(part) => builder.1.entry(part).or_default().push(item),
                None => builder.0.push(item),
            }
        }
        core.push(with_items(&m, builder.0));
        for (part, items) in builder.1 {
            if let Some(list) = parts.get_mut(&part) {
                list.push(with_items(&m, items));
            }
        }
    }
    if let Some(mut m) = defaults_mod {
        m.vis = syn::Visibility::Inherited;
        let items = m.content.take().map(|(_, items)| items).unwrap_or_default();
        let sees = |item: &Item, part: Option<&str>| {
            let mut found = BTreeSet::new();
            crate::split::idents(quote!(#item), &mut found);
            found.iter().filter(|i| names.contains(*i)).all(|name| {
                match home.get(name).and_then(Option::as_deref) {
                    None => true,
                    Some(p) => Some(p) == part,
                }
            })
        };
        let core_defaults: Vec<Item> = items.iter().filter(|i| sees(i, None)).cloned().collect();
        core.push(with_items(&m, core_defaults));
        for (part, list) in parts.iter_mut() {
            // A default gated by families of several crates is gated here by this one's.
            let mine: Vec<Item> = items
                .iter()
                .filter(|i| sees(i, Some(part)))
                .filter_map(|i| narrowed(i, |f| part_of.get(f) == Some(part)))
                .collect();
            list.push(with_items(&m, mine));
        }
    }
    let import: Item = syn::parse_str(&format!("pub use genauth_api_types::{document}::types::*;"))
        .map_err(|e| e.to_string())?;
    for list in parts.values_mut() {
        list.insert(0, import.clone());
    }
    Ok(Parts { core, parts })
}

/// `item` with its gate narrowed to the features `keep` keeps; `None` when none is left. An
/// item without a gate is kept as it is.
fn narrowed(item: &Item, keep: impl Fn(&str) -> bool) -> Option<Item> {
    let Some(features) = gate(attrs(item)) else {
        return Some(item.clone());
    };
    let kept: Vec<&String> = features.iter().filter(|f| keep(f)).collect();
    if kept.is_empty() {
        return None;
    }
    let mut item = item.clone();
    let attr: Attribute = syn::parse_quote!(#[cfg(any(#(feature = #kept),*))]);
    if let Item::Fn(f) = &mut item {
        f.attrs.retain(|a| !a.path().is_ident("cfg"));
        f.attrs.insert(0, attr);
    }
    Some(item)
}

/// `m` with `items` as its content.
fn with_items(m: &syn::ItemMod, items: Vec<Item>) -> Item {
    let mut m = m.clone();
    m.content = Some((Default::default(), items));
    Item::Mod(m)
}

/// A part's rendered types, its paths into the core's crate written with that crate's name.
pub fn in_part(text: &str) -> String {
    text.replace("crate::envelope::", "genauth_api_types::envelope::")
        .replace("crate::lenient::", "genauth_api_types::lenient::")
}

/// genauth-api's `<document>::types`: the types of `genauth-api-types` and of each part with
/// families of `document`, as one module (each part's when one of its families is on).
pub(crate) fn types_reexport(composition: &Composition, document: &str) -> String {
    let mut globs = format!("    pub use genauth_api_types::{document}::types::*;\n");
    let mut builders =
        format!("        pub use genauth_api_types::{document}::types::builder::*;\n");
    for part in parts(composition) {
        let features: Vec<String> = composition
            .families
            .iter()
            .filter(|f| f.document == document && f.types == part)
            .map(|f| format!("feature = \"{}\"", f.feature))
            .collect();
        if features.is_empty() {
            continue;
        }
        let krate = format!("genauth_api_types_{part}");
        let gate = format!("#[cfg(any({}))]", features.join(", "));
        globs.push_str(&format!(
            "    {gate}\n    pub use {krate}::{document}::types::*;\n"
        ));
        builders.push_str(&format!(
            "        {gate}\n        pub use {krate}::{document}::types::builder::*;\n"
        ));
    }
    format!(
        "\n/// The request and answer types of the {document} families: each compiled when a family\n\
         /// whose operations use it is on, in the crate of that family's types\n\
         /// (`genauth-api-types-<part>`, or `genauth-api-types` for the types of two such crates).\n\
         #[cfg(any({}))]\n\
         #[rustfmt::skip]\n\
         #[allow(unused_imports)]\n\
         pub mod types {{\n{globs}    /// The builders of the request bodies (`body_map`).\n    pub mod builder {{\n{builders}    }}\n}}\n",
        crate::families::features_of(composition, document).join(", ")
    )
}

/// The crates of the families' types (`types:` in the map), each once, in order.
pub fn parts(composition: &Composition) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> = composition
        .families
        .iter()
        .map(|f| f.types.as_str())
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// The families whose types are in `part`.
fn families_in<'a>(
    composition: &'a Composition,
    part: &'a str,
) -> impl Iterator<Item = &'a Family> {
    composition.families.iter().filter(move |f| f.types == part)
}

/// `crates/genauth-api-types-<part>/Cargo.toml`, whole.
pub fn part_manifest(composition: &Composition, part: &str) -> String {
    let features: String = families_in(composition, part)
        .map(|f| format!("{0} = [\"genauth-api-types/{0}\"]\n", f.feature))
        .collect();
    format!(
        "# @generated by `cargo xtask generate` from openapi/families.yaml.\n\
         # Do not edit by hand: change the family map and run `cargo xtask generate`.\n\
         [package]\n\
         name = \"genauth-api-types-{part}\"\n\
         description = \"Part of the request and answer types of the GenAuth service's documents, generated for genauth-api (which re-exports them).\"\n\
         version.workspace = true\n\
         edition.workspace = true\n\
         rust-version.workspace = true\n\
         license.workspace = true\n\
         repository.workspace = true\n\
         keywords = [\"genauth\", \"authing\", \"openapi\"]\n\
         categories = [\"api-bindings\"]\n\
         documentation = \"https://docs.rs/genauth-api-types-{part}\"\n\
         \n\
         [lib]\n\
         # Its tests are in tests/: a unit-test build would compile every family's types again.\n\
         test = false\n\
         \n\
         [package.metadata.docs.rs]\n\
         all-features = true\n\
         \n\
         [features]\n\
         {features}\
         # The request types read JSON too (see genauth-api-types).\n\
         deserialize-requests = [\"genauth-api-types/deserialize-requests\"]\n\
         \n\
         [dependencies]\n\
         genauth-api-types.workspace = true\n\
         serde.workspace = true\n\
         serde_json.workspace = true\n"
    )
}

/// `crates/genauth-api-types-<part>/src/lib.rs`, whole.
pub fn part_lib(composition: &Composition, part: &str) -> String {
    let names: Vec<String> = families_in(composition, part)
        .map(|f| format!("`{}`", f.feature))
        .collect();
    let mut out = format!(
        "// @generated by `cargo xtask generate` from openapi/families.yaml.\n\
         // Do not edit by hand: change the family map and run `cargo xtask generate`.\n\
         \n\
         //! Part of the request and answer types of the GenAuth service's own OpenAPI documents,\n\
         //! generated for [genauth-api](https://docs.rs/genauth-api), which re-exports them as\n\
         //! `authentication::types` and `management::types`: the types only the families\n\
         //! {} use, each compiled when one of them is on (the features of the same names).\n\
         //! The types these share with another crate's families, and each document's `error`,\n\
         //! are in [genauth-api-types](https://docs.rs/genauth-api-types). The types are in\n\
         //! crates of their own so that a build compiles them side by side.\n",
        names.join(", ")
    );
    for document in ["authentication", "management"] {
        let features: Vec<String> = families_in(composition, part)
            .filter(|f| f.document == document)
            .map(|f| format!("feature = \"{}\"", f.feature))
            .collect();
        if features.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n/// The {document} document's types of this crate's families.\n\
             pub mod {document} {{\n\
             \x20   /// The {document} document's types.\n\
             \x20   #[cfg(any({}))]\n\
             \x20   #[rustfmt::skip]\n\
             \x20   #[allow(missing_docs, unused_imports, dead_code, clippy::all, clippy::pedantic, rustdoc::all)]\n\
             \x20   pub mod types;\n\
             }}\n",
            features.join(", ")
        ));
    }
    out
}
