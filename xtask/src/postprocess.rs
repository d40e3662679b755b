//! What the xtask adds to progenitor's output, decided by the spec and applied to the syntax tree.
//!
//! * **Open enums in answers.** An enum the service answers with (reachable from a response
//!   schema) gains a last variant `Unknown(String)`, marked `#[serde(untagged)]`: a value the
//!   service adds tomorrow decodes into it instead of failing the whole answer. Its `Display` and
//!   `FromStr` are rewritten to match (an unknown string parses into `Unknown`). Enums that only
//!   travel in requests stay closed, so a typo cannot reach the service.
//! * **Secrets out of `Debug`.** A struct with a property the spec marks `x-genauth-sensitive: true`
//!   (and its builder) gets a hand-made `Debug` that prints `[REDACTED]` for that field instead of
//!   the derived one.
//! * **Answers decode as the service sends them.** A field of an answer type that the spec calls
//!   required decodes as its type's default when the answer leaves it out or sends `null`
//!   (`#[serde(default, deserialize_with = "crate::lenient::or_default")]`), so that one field the
//!   service omits does not fail the whole call; the answer structs derive `Default` and an open
//!   enum's default is `Unknown("")` for that; a required field of a type with no default (an
//!   untagged `oneOf` enum) is read as an `Option`. The V3 envelope's `statusCode` stays
//!   required (in the answer type itself, not in its data): it is what tells an envelope from
//!   any other body. What is sent stays strict. The rules name types as typify does
//!   (`GeneQRCodeRespDto` is `GeneQrCodeRespDto`).
//! * **Builders only for what is sent.** progenitor's builder interface makes a typify builder
//!   (`types::builder::X`, with `X::builder()`) for every struct, answers included: more than
//!   half of the generated file, and of `genauth-api`'s build time. Builders are kept for the
//!   request bodies the operation builders use (`body_map`) and the types reachable from them
//!   (so that a nested request value can be built the same way); an answer is only read.
//! * **Serde one way, for the documents' families** ([`Serde::OneWay`]). A type only answers
//!   reach derives `Deserialize` and not `Serialize`; a type only requests reach (bodies and
//!   parameters) derives `Serialize` and not `Deserialize`; a type both reach keeps both. The
//!   serde derives are most of what the families cost to compile (measured with `-Z
//!   time-passes`: without them the management types type-check and borrow-check in 9 s instead
//!   of 70 s); half of them were never used. Our spec's types keep both ([`Serde::Both`]): the
//!   sandbox reads requests and writes answers with them. The request types of the families
//!   derive `Deserialize` too under the types crate's feature `deserialize-requests` (off by
//!   default), for the tests that build every request from JSON.
//! * **One envelope type for the documents' answers** ([`Serde::OneWay`]). An answer struct that
//!   is the V3 envelope and nothing more (`statusCode`, `message`, `data`, `apiCode?`,
//!   `requestId?`, each decoded as the lenient rule decodes it) becomes an alias of the crate's
//!   one generic `crate::envelope::Enveloped<Data>`: its fields, names and decoding are the same,
//!   and its `Deserialize` is compiled once instead of once per operation (the management
//!   document has 182 such wrappers). A page of a list (`list`, `totalCount`) becomes
//!   `crate::envelope::Page<Item>` the same way (47 in management).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use proc_macro2::Span;
use quote::quote;
use serde_json::Value;
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Ident, Item, ItemEnum, Token, Type};

use crate::spec::Spec;
use crate::split::type_item_name;

/// Which serde derives a generated type keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serde {
    /// Both `Serialize` and `Deserialize`, whichever way the type travels.
    Both,
    /// Only the direction the type travels in: `Deserialize` for answers, `Serialize` for
    /// requests, both for a type that travels both ways.
    OneWay,
}

/// Applies every rule to the generated file.
pub fn apply(spec: &Spec, file: &mut syn::File, serde: Serde) {
    let roots = response_schemas(spec);
    let sensitive = sensitive_properties(spec);
    let bodies = request_bodies(&file.items);
    let params = request_types(&file.items);
    let Some(types) = module_items(&mut file.items, "types") else {
        return;
    };
    let open = answer_enums(types, &roots);
    open_enums(types, &open);
    lenient_answers(types, &roots, &open);
    let sent = reachable(types, &bodies);
    prune_builders(types, &sent);
    if serde == Serde::OneWay {
        one_way(types, &params, &roots);
        shared_shapes(types, &sensitive);
    }
    for (name, props) in &sensitive {
        let idents = redact(types, name, Secret::Wire(props));
        if let Some(builder) = module_items(types, "builder") {
            redact(builder, name, Secret::Ident(&idents));
        }
    }
}

/// The items of `mod name` among `items`.
fn module_items<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
    items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// Names of the component schemas that answers use (success and error bodies).
fn response_schemas(spec: &Spec) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for op in spec.operations() {
        for (_, response) in spec.responses(&op) {
            let schemas = response
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|c| c.values())
                .filter_map(|media| media.get("schema"));
            for schema in schemas {
                if let Some(name) = schema
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.rsplit('/').next())
                {
                    // The type's Rust name, as typify makes it (`GeneQRCodeRespDto` →
                    // `GeneQrCodeRespDto`), which is what the rules compare.
                    out.insert(heck::ToPascalCase::to_pascal_case(name));
                }
            }
        }
    }
    out
}

/// Component schema name → the JSON names of its properties marked `x-genauth-sensitive`.
fn sensitive_properties(spec: &Spec) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let schemas = spec
        .doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        for (prop, value) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if value.get("x-genauth-sensitive").and_then(Value::as_bool) == Some(true) {
                out.entry(name.clone()).or_default().insert(prop.clone());
            }
        }
    }
    out
}

/// Every identifier a type mentions (`Option<Vec<IdentityDto>>` → Option, Vec, IdentityDto).
fn type_idents(ty: &Type, out: &mut Vec<String>) {
    if let Type::Path(p) = ty {
        for seg in &p.path.segments {
            out.push(seg.ident.to_string());
            if let syn::PathArguments::AngleBracketed(args) = &seg.arguments {
                for arg in &args.args {
                    if let syn::GenericArgument::Type(t) = arg {
                        type_idents(t, out);
                    }
                }
            }
        }
    }
}

/// Enums of unit variants reachable from the answer types.
fn answer_enums(types: &[Item], roots: &BTreeSet<String>) -> BTreeSet<String> {
    let unit_enums: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e) if e.variants.iter().all(|v| matches!(v.fields, Fields::Unit)) => {
                Some(e.ident.to_string())
            }
            _ => None,
        })
        .collect();
    reachable(types, roots)
        .into_iter()
        .filter(|name| unit_enums.contains(name))
        .collect()
}

/// The names `roots` reach through struct fields: the roots, the structs their fields use, and
/// so on (enums are reached but not walked into).
fn reachable(types: &[Item], roots: &BTreeSet<String>) -> BTreeSet<String> {
    walk(types, roots, false)
}

/// The types whose builders the operation builders use (`types::builder::X` in the top-level
/// `mod builder`): the request bodies.
fn request_bodies(items: &[Item]) -> BTreeSet<String> {
    let Some(builders) = module_items_ref(items, "builder") else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    for item in builders {
        let text = quote!(#item).to_string();
        for rest in text.split("types :: builder :: ").skip(1) {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Every type the operation builders hold (their bodies and parameters): what requests carry.
fn request_types(items: &[Item]) -> BTreeSet<String> {
    let mut idents = Vec::new();
    for item in module_items_ref(items, "builder").into_iter().flatten() {
        if let Item::Struct(s) = item {
            for field in &s.fields {
                type_idents(&field.ty, &mut idents);
            }
        }
    }
    idents.into_iter().collect()
}

/// The items of `mod name` among `items`, read-only.
fn module_items_ref<'a>(items: &'a [Item], name: &str) -> Option<&'a Vec<Item>> {
    items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    })
}

/// Drops `Serialize` from the types only answers reach and `Deserialize` from the types only
/// requests reach (`sent` and `answered` are the roots: the operation builders' types and the
/// response schemas). A type reached both ways, or neither, keeps both, and so does every type
/// that one keeping a derive holds, however it is reached.
fn one_way(types: &mut [Item], sent: &BTreeSet<String>, answered: &BTreeSet<String>) {
    let all: BTreeSet<String> = types.iter().filter_map(type_item_name).collect();
    let sent_all = held(types, sent);
    let answered_all = held(types, answered);
    let keep_de = held(
        types,
        &answered.union(&(&all - &sent_all)).cloned().collect(),
    );
    let keep_ser = held(
        types,
        &sent.union(&(&all - &answered_all)).cloned().collect(),
    );
    for item in types.iter_mut() {
        let (name, attrs) = match item {
            Item::Struct(s) => (s.ident.to_string(), &mut s.attrs),
            Item::Enum(e) => (e.ident.to_string(), &mut e.attrs),
            _ => continue,
        };
        let unused = match (keep_ser.contains(&name), keep_de.contains(&name)) {
            (false, true) => "Serialize",
            (true, false) => "Deserialize",
            _ => continue,
        };
        // A type that derives only the unused one (typify writes the other by hand, e.g. a
        // constrained string) keeps it: its `#[serde(..)]` attributes need a serde derive.
        if derives(attrs, "Serialize") && derives(attrs, "Deserialize") {
            drop_derive(attrs, unused);
            // A request type reads JSON too when asked (feature `deserialize-requests`: for
            // servers and tests that build requests from JSON).
            if unused == "Deserialize" {
                attrs.push(syn::parse_quote!(
                    #[cfg_attr(feature = "deserialize-requests", derive(::serde::Deserialize))]
                ));
            }
        }
    }
}

/// The names `roots` hold, through struct fields and enum variants alike.
fn held(types: &[Item], roots: &BTreeSet<String>) -> BTreeSet<String> {
    walk(types, roots, true)
}

/// The names `roots` reach through the types' fields: struct fields, and enum variants' when
/// `into_enums`.
fn walk(types: &[Item], roots: &BTreeSet<String>, into_enums: bool) -> BTreeSet<String> {
    let fields: BTreeMap<String, Vec<&Type>> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some((
                s.ident.to_string(),
                s.fields.iter().map(|f| &f.ty).collect(),
            )),
            Item::Enum(e) if into_enums => Some((
                e.ident.to_string(),
                e.variants
                    .iter()
                    .flat_map(|v| v.fields.iter().map(|f| &f.ty))
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = roots.iter().cloned().collect();
    while let Some(name) = queue.pop_front() {
        if seen.insert(name.clone()) {
            let mut idents = Vec::new();
            for ty in fields.get(&name).into_iter().flatten() {
                type_idents(ty, &mut idents);
            }
            queue.extend(idents);
        }
    }
    seen
}

/// Whether `attrs` derive `trait_name`.
fn derives(attrs: &[Attribute], trait_name: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|attr| {
            attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == trait_name))
                })
        })
}

/// How a field of a shared shape is written, for [`shared_shapes`].
#[derive(Clone, Copy)]
enum Slot {
    /// This type, with no serde keys of its own but `rename`.
    Plain(&'static str),
    /// This type, read by the lenient rule (`default`, `deserialize_with`).
    Lenient(&'static str),
    /// The shape's parameter: any type, read by the lenient rule (or any `Option`, plain).
    Param,
    /// `Vec` of the shape's parameter, read by the lenient rule.
    VecOfParam,
}

/// A shape's fields: (wire name, how it is written, required).
type ShapeFields = &'static [(&'static str, Slot, bool)];

/// The generic types of `crate::envelope` that the documents' answer structs of one shape
/// become aliases of: (path, fields).
const SHAPES: [(&str, ShapeFields); 2] = [
    (
        "crate::envelope::Enveloped",
        &[
            ("statusCode", Slot::Plain("i64"), true),
            ("message", Slot::Lenient("::std::string::String"), true),
            ("data", Slot::Param, true),
            ("apiCode", Slot::Plain("::std::option::Option<i64>"), true),
            (
                "requestId",
                Slot::Plain("::std::option::Option<::std::string::String>"),
                false,
            ),
        ],
    ),
    (
        "crate::envelope::Page",
        &[
            ("list", Slot::VecOfParam, true),
            ("totalCount", Slot::Lenient("i64"), true),
        ],
    ),
];

/// The rule "one envelope type for the documents' answers" (see the module doc): each answer
/// struct that is exactly one of the [`SHAPES`] (and holds no secret, and derives
/// `Deserialize` only) becomes `pub type X = crate::envelope::Enveloped<Data>;` (or `Page<Item>`),
/// and its own impls go (the generic type has them). Answers the aliased names.
fn shared_shapes(
    types: &mut Vec<Item>,
    sensitive: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let lenient = |attrs: &[Attribute]| serde_keys(attrs) == (true, true);
    let plain = |attrs: &[Attribute]| serde_keys(attrs) == (false, false);
    let text = |ty: &Type| quote!(#ty).to_string().replace(' ', "");
    let vec_of = |ty: &Type| -> Option<Type> {
        let Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match (last.ident == "Vec", args.args.first()) {
            (true, Some(syn::GenericArgument::Type(inner))) if args.args.len() == 1 => {
                Some(inner.clone())
            }
            _ => None,
        }
    };
    let fit = |fields: &syn::FieldsNamed, shape: ShapeFields| -> Option<Type> {
        let mut param = None;
        let mut seen = BTreeSet::new();
        for field in &fields.named {
            let wire = serde_name(&field.attrs, field.ident.as_ref()?);
            let (_, kind, _) = shape.iter().find(|(name, _, _)| *name == wire)?;
            let (ty, attrs) = (&field.ty, &field.attrs[..]);
            let fits = match *kind {
                Slot::Plain(want) => text(ty) == want && plain(attrs),
                Slot::Lenient(want) => text(ty) == want && lenient(attrs),
                Slot::Param => {
                    param = Some(ty.clone());
                    lenient(attrs) || (is_option(ty) && plain(attrs))
                }
                Slot::VecOfParam => {
                    param = vec_of(ty);
                    param.is_some() && lenient(attrs)
                }
            };
            if !fits {
                return None;
            }
            seen.insert(wire);
        }
        let complete = shape
            .iter()
            .all(|(name, _, required)| !required || seen.contains(*name));
        if complete { param } else { None }
    };
    let mut aliased = BTreeSet::new();
    for item in types.iter_mut() {
        let Item::Struct(s) = item else { continue };
        let name = s.ident.to_string();
        if !derives(&s.attrs, "Deserialize")
            || derives(&s.attrs, "Serialize")
            || !s.generics.params.is_empty()
            || sensitive.contains_key(&name)
        {
            continue;
        }
        let Fields::Named(fields) = &s.fields else {
            continue;
        };
        let Some((path, param)) = SHAPES
            .iter()
            .find_map(|(path, shape)| Some((*path, fit(fields, shape)?)))
        else {
            continue;
        };
        let Ok(path) = syn::parse_str::<syn::Path>(path) else {
            continue;
        };
        let docs = s.attrs.iter().filter(|a| a.path().is_ident("doc"));
        let ident = &s.ident;
        *item = syn::parse_quote! {
            #(#docs)*
            pub type #ident = #path<#param>;
        };
        aliased.insert(name);
    }
    types.retain(|item| impl_of(item).is_none_or(|(ty, _)| !aliased.contains(&ty)));
    aliased
}

/// Drops the builders (`types::builder::X` and `X::builder()`) of the structs not in `keep`.
fn prune_builders(types: &mut Vec<Item>, keep: &BTreeSet<String>) {
    let dropped = |item: &Item| match item {
        Item::Struct(s) => !keep.contains(&s.ident.to_string()),
        _ => impl_of(item).is_some_and(|(ty, _)| !keep.contains(&ty)),
    };
    if let Some(builder) = module_items(types, "builder") {
        builder.retain(|item| !dropped(item));
    }
    // `impl X { pub fn builder() -> builder::X }` in `types`: an inherent impl whose only
    // items are `builder`.
    types.retain(|item| {
        let Item::Impl(i) = item else { return true };
        let only_builder = i.trait_.is_none()
            && !i.items.is_empty()
            && i.items
                .iter()
                .all(|it| matches!(it, syn::ImplItem::Fn(f) if f.sig.ident == "builder"));
        !(only_builder && dropped(item))
    });
}

/// The wire name of a variant or field: its `#[serde(rename = "...")]`, else its identifier.
fn serde_name(attrs: &[Attribute], ident: &Ident) -> String {
    let mut name = ident.to_string();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                name = lit.value();
            } else if meta.input.peek(Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    name
}

/// Drops `trait_name` from the `#[derive(...)]` lists of `attrs`.
fn drop_derive(attrs: &mut [Attribute], trait_name: &str) {
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        let kept: Vec<&syn::Path> = paths
            .iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != trait_name))
            .collect();
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
}

/// Standard-library and serde_json names a field type may use that have a `Default`.
const DEFAULT_STD: [&str; 17] = [
    "std",
    "string",
    "String",
    "vec",
    "Vec",
    "collections",
    "HashMap",
    "BTreeMap",
    "option",
    "Option",
    "boxed",
    "Box",
    "serde_json",
    "Map",
    "Value",
    "bool",
    "str",
];

/// Whether `ty` is `Option<..>` (any path ending in `Option`).
fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// Whether every name `ty` mentions has a `Default`: numbers, the std and serde_json types in
/// [`DEFAULT_STD`], and the generated types in `defaultable`.
fn has_default(ty: &Type, defaultable: &BTreeSet<String>) -> bool {
    // A container is empty by default, whatever it holds.
    let container = matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| {
        matches!(s.ident.to_string().as_str(), "Option" | "Vec" | "HashMap" | "BTreeMap" | "Map")
    }));
    if container {
        return true;
    }
    let mut idents = Vec::new();
    type_idents(ty, &mut idents);
    !idents.is_empty()
        && idents.iter().all(|i| {
            DEFAULT_STD.contains(&i.as_str())
                || defaultable.contains(i)
                || matches!(
                    i.as_str(),
                    "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64"
                )
        })
}

/// The rule "answers decode as the service sends them" (see the module doc).
fn lenient_answers(types: &mut Vec<Item>, roots: &BTreeSet<String>, open: &BTreeSet<String>) {
    let answers = reachable(types, roots);
    let has_default_impl: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match impl_of(item) {
            Some((ty, Some(tr))) if tr == "Default" => Some(ty),
            _ => None,
        })
        .collect();
    // Which answer structs can derive Default: every field's type has one (to a fixpoint, as a
    // struct's fields may be other answer structs).
    let structs: BTreeMap<String, Vec<Type>> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) if answers.contains(&s.ident.to_string()) => Some((
                s.ident.to_string(),
                s.fields.iter().map(|f| f.ty.clone()).collect(),
            )),
            _ => None,
        })
        .collect();
    let mut defaultable: BTreeSet<String> = open.iter().cloned().collect();
    defaultable.extend(has_default_impl.iter().cloned());
    defaultable.extend(structs.keys().cloned());
    // A required answer field of a type with no default (an untagged `oneOf` enum) is read as
    // an `Option`: `None` when the answer leaves it out or sends `null`. Then every answer
    // struct's fields have a default.
    for item in types.iter_mut() {
        let Item::Struct(s) = item else { continue };
        if !structs.contains_key(&s.ident.to_string()) {
            continue;
        }
        for field in s.fields.iter_mut() {
            let (_, has_with) = serde_keys(&field.attrs);
            if !has_with && !has_default(&field.ty, &defaultable) {
                let ty = &field.ty;
                field.ty = syn::parse_quote!(::std::option::Option<#ty>);
            }
        }
    }
    let structs: BTreeMap<String, Vec<Type>> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) if answers.contains(&s.ident.to_string()) => Some((
                s.ident.to_string(),
                s.fields.iter().map(|f| f.ty.clone()).collect(),
            )),
            _ => None,
        })
        .collect();
    loop {
        let before = defaultable.len();
        let dropped: Vec<String> = structs
            .iter()
            .filter(|(name, fields)| {
                !has_default_impl.contains(*name)
                    && defaultable.contains(*name)
                    && !fields.iter().all(|ty| has_default(ty, &defaultable))
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in dropped {
            defaultable.remove(&name);
        }
        if defaultable.len() == before {
            break;
        }
    }
    let mut extra = Vec::new();
    for item in types.iter_mut() {
        match item {
            Item::Struct(s) if structs.contains_key(&s.ident.to_string()) => {
                let name = s.ident.to_string();
                if defaultable.contains(&name) && !has_default_impl.contains(&name) {
                    add_derive(&mut s.attrs, "Default");
                }
                for field in s.fields.iter_mut() {
                    let Some(ident) = field.ident.clone() else {
                        continue;
                    };
                    // The envelope's statusCode stays required: it tells an envelope from any
                    // other body. A statusCode inside an answer's data is a field like others.
                    if is_option(&field.ty)
                        || (roots.contains(&name)
                            && serde_name(&field.attrs, &ident) == "statusCode")
                        || !has_default(&field.ty, &defaultable)
                    {
                        continue;
                    }
                    let (has_default_attr, has_with) = serde_keys(&field.attrs);
                    if has_with {
                        continue;
                    }
                    field.attrs.push(if has_default_attr {
                        syn::parse_quote!(#[serde(deserialize_with = "crate::lenient::or_default")])
                    } else {
                        syn::parse_quote!(#[serde(default, deserialize_with = "crate::lenient::or_default")])
                    });
                }
            }
            Item::Enum(e) => {
                let name = e.ident.to_string();
                if open.contains(&name) && !has_default_impl.contains(&name) {
                    let ident = e.ident.clone();
                    extra.push(syn::parse_quote! {
                        /// An answer that left the value out: not a value this SDK knows.
                        impl ::std::default::Default for #ident {
                            fn default() -> Self {
                                Self::Unknown(::std::string::String::new())
                            }
                        }
                    });
                }
            }
            _ => {}
        }
    }
    types.extend(extra);
}

/// Whether the `#[serde(...)]` attributes of a field set `default` and `deserialize_with` /
/// `with`.
fn serde_keys(attrs: &[Attribute]) -> (bool, bool) {
    let (mut default, mut with) = (false, false);
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                default = true;
            } else if meta.path.is_ident("deserialize_with") || meta.path.is_ident("with") {
                with = true;
            }
            if meta.input.peek(Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    (default, with)
}

/// Adds `trait_name` to the first `#[derive(...)]` of `attrs` when it is not there.
fn add_derive(attrs: &mut [Attribute], trait_name: &str) {
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        if paths
            .iter()
            .any(|p| p.segments.last().is_some_and(|s| s.ident == trait_name))
        {
            return;
        }
        let ident = Ident::new(trait_name, Span::call_site());
        let paths: Vec<&syn::Path> = paths.iter().collect();
        *attr = syn::parse_quote!(#[derive(#(#paths,)* #ident)]);
        return;
    }
}

/// The type an `impl` block is for, and the last segment of the trait it implements.
fn impl_of(item: &Item) -> Option<(String, Option<String>)> {
    let Item::Impl(i) = item else { return None };
    let Type::Path(p) = &*i.self_ty else {
        return None;
    };
    let ty = p.path.segments.last()?.ident.to_string();
    let tr = i
        .trait_
        .as_ref()
        .and_then(|(path, _)| path.segments.last())
        .map(|s| s.ident.to_string());
    Some((ty, tr))
}

fn open_enums(types: &mut Vec<Item>, open: &BTreeSet<String>) {
    // Drop the generated Display and FromStr of the enums made open; new ones follow each enum.
    types.retain(|item| {
        !matches!(impl_of(item), Some((ty, Some(tr))) if open.contains(&ty) && (tr == "Display" || tr == "FromStr"))
    });
    let mut i = 0;
    while i < types.len() {
        let extra = match &mut types[i] {
            Item::Enum(e) if open.contains(&e.ident.to_string()) => Some(make_open(e)),
            _ => None,
        };
        if let Some(items) = extra {
            let n = items.len();
            for (k, item) in items.into_iter().enumerate() {
                types.insert(i + 1 + k, item);
            }
            i += n;
        }
        i += 1;
    }
}

/// Adds `Unknown(String)` to `e` and returns its `Display` and `FromStr`.
fn make_open(e: &mut ItemEnum) -> Vec<Item> {
    drop_derive(&mut e.attrs, "Copy");
    let name = e.ident.clone();
    let (idents, wires): (Vec<Ident>, Vec<String>) = e
        .variants
        .iter()
        .map(|v| (v.ident.clone(), serde_name(&v.attrs, &v.ident)))
        .unzip();
    let unknown = Ident::new("Unknown", Span::call_site());
    e.variants.push(syn::parse_quote! {
        /// A value this version of the SDK does not know (the service added it); kept as sent.
        #[serde(untagged)]
        #unknown(::std::string::String)
    });
    let display: Item = syn::parse_quote! {
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    #(Self::#idents => f.write_str(#wires),)*
                    Self::#unknown(value) => f.write_str(value),
                }
            }
        }
    };
    let from_str: Item = syn::parse_quote! {
        impl ::std::str::FromStr for #name {
            type Err = self::error::ConversionError;
            fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                Ok(match value {
                    #(#wires => Self::#idents,)*
                    other => Self::#unknown(other.to_string()),
                })
            }
        }
    };
    vec![display, from_str]
}

/// Which fields of a struct are secret: by wire name (`Wire`) or by Rust identifier (`Ident`, for
/// the builders, whose fields carry no serde attributes).
enum Secret<'a> {
    Wire(&'a BTreeSet<String>),
    Ident(&'a BTreeSet<String>),
}

/// Replaces the derived `Debug` of struct `name` in `items` with one that redacts the secret
/// fields; answers the identifiers of the fields it redacted.
fn redact(items: &mut Vec<Item>, name: &str, secret: Secret<'_>) -> BTreeSet<String> {
    let mut redacted = BTreeSet::new();
    let Some(index) = items
        .iter()
        .position(|i| matches!(i, Item::Struct(s) if s.ident == name))
    else {
        return redacted;
    };
    let Item::Struct(s) = &mut items[index] else {
        return redacted;
    };
    drop_derive(&mut s.attrs, "Debug");
    let ident = s.ident.clone();
    let label = ident.to_string();
    let fields: Vec<proc_macro2::TokenStream> = s
        .fields
        .iter()
        .filter_map(|f| {
            let id = f.ident.clone()?;
            let shown = id.to_string();
            let shown = shown.trim_start_matches("r#").to_string();
            let is_secret = match &secret {
                Secret::Wire(props) => props.contains(&serde_name(&f.attrs, &id)),
                Secret::Ident(idents) => idents.contains(&id.to_string()),
            };
            Some(if is_secret {
                redacted.insert(id.to_string());
                quote!(.field(#shown, &"[REDACTED]"))
            } else {
                quote!(.field(#shown, &self.#id))
            })
        })
        .collect();
    let debug: Item = syn::parse_quote! {
        impl ::std::fmt::Debug for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#label)#(#fields)*.finish()
            }
        }
    };
    items.insert(index + 1, debug);
    redacted
}
