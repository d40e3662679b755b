//! A document's generated file split by family: its types in one shared module (each behind
//! the features of the families that reach it), each family's methods and operation builders in
//! a module of their own.

use std::collections::{BTreeMap, BTreeSet};

use quote::quote;
use syn::{Attribute, Item, Type};

/// One document's generated file, split into its shared `types` module and one module per
/// family (see [`split_document`]).
pub struct Split {
    /// The items of `<document>/types.rs`: every type, each behind the features of the
    /// families whose operations reach it.
    pub types: Vec<Item>,
    /// The items of each family's file, in `features` order: its methods on the crate's
    /// `Client` and its operation builders.
    pub families: Vec<Vec<Item>>,
}

/// Splits a document's generated file by family. `features` are the families' features;
/// `family_of` takes an operation's name (without case or `_`) to its index there.
///
/// * progenitor's own `Client` (struct, constructors, `ClientInfo`, hook assertion, prelude) is
///   left out: the methods go on the crate's one [`Client`](crate::generate), whose seam and
///   headers they then use.
/// * Each method and operation builder goes to its operation's family.
/// * A type (its struct or enum, its impls, its typify builder, a default that builds it) is
///   compiled when one of the families whose operations reach it is: `#[cfg(any(feature = ..))]`
///   from the operations' builders through the types' fields, so that a type several families
///   share is generated once.
pub fn split_document(
    file: syn::File,
    features: &[String],
    deprecated: &[bool],
    family_of: &BTreeMap<String, usize>,
) -> Result<Split, String> {
    let normal = crate::families::normal;
    let mut uses = Vec::new();
    let mut types = Vec::new();
    let mut methods: Vec<Vec<syn::ImplItem>> = vec![Vec::new(); features.len()];
    let mut builders: Vec<Vec<Item>> = vec![Vec::new(); features.len()];
    let mut builder_uses = Vec::new();
    let is_client = |ty: &Type| matches!(ty, Type::Path(p) if p.path.is_ident("Client"));
    for item in file.items {
        match item {
            Item::Use(mut u) => {
                u.vis = syn::Visibility::Inherited;
                uses.push(Item::Use(u));
            }
            Item::Mod(m) if m.ident == "types" => {
                types = m.content.map(|(_, items)| items).unwrap_or_default();
            }
            Item::Mod(m) if m.ident == "builder" => {
                for item in m.content.map(|(_, items)| items).unwrap_or_default() {
                    let name = match &item {
                        Item::Struct(s) => s.ident.to_string(),
                        Item::Impl(i) => last_ident(&i.self_ty).unwrap_or_default(),
                        _ => {
                            builder_uses.push(item);
                            continue;
                        }
                    };
                    let family = *family_of
                        .get(&normal(&name))
                        .ok_or_else(|| format!("operation builder {name} is of no family"))?;
                    builders[family].push(item);
                }
            }
            Item::Impl(i) if is_client(&i.self_ty) && i.trait_.is_none() => {
                for it in i.items {
                    let syn::ImplItem::Fn(f) = &it else { continue };
                    if f.sig.ident == "new" || f.sig.ident == "new_with_client" {
                        continue;
                    }
                    let name = f.sig.ident.to_string();
                    let family = *family_of
                        .get(&normal(&name))
                        .ok_or_else(|| format!("method {name} is of no family"))?;
                    methods[family].push(it);
                }
            }
            _ => {} // progenitor's Client struct, ClientInfo, hook assertion, prelude
        }
    }

    // Which families reach each type.
    let names: BTreeSet<String> = types.iter().filter_map(defined_name).collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in &types {
        if let Some(name) = owner(item, &names) {
            let mut found = BTreeSet::new();
            idents(quote!(#item), &mut found);
            found.retain(|i| names.contains(i) && *i != name);
            deps.entry(name).or_default().extend(found);
        }
    }
    let mut reached: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for family in 0..features.len() {
        let mut roots = BTreeSet::new();
        for item in &builders[family] {
            idents(quote!(#item), &mut roots);
        }
        for it in &methods[family] {
            idents(quote!(#it), &mut roots);
        }
        let mut queue: Vec<String> = roots.into_iter().filter(|r| names.contains(r)).collect();
        while let Some(name) = queue.pop() {
            if reached.entry(name.clone()).or_default().insert(family) {
                queue.extend(deps.get(&name).into_iter().flatten().cloned());
            }
        }
    }
    let cfg = |families: &BTreeSet<usize>| -> Attribute {
        let names = families.iter().map(|&f| features[f].as_str());
        syn::parse_quote!(#[cfg(any(#(feature = #names),*))])
    };
    let gate = |item: &mut Item, families: &BTreeSet<usize>| {
        let attr = cfg(families);
        match item {
            Item::Struct(i) => i.attrs.insert(0, attr),
            Item::Enum(i) => i.attrs.insert(0, attr),
            Item::Impl(i) => i.attrs.insert(0, attr),
            Item::Type(i) => i.attrs.insert(0, attr),
            Item::Fn(i) => i.attrs.insert(0, attr),
            Item::Const(i) => i.attrs.insert(0, attr),
            _ => {}
        }
    };
    let none = BTreeSet::new();
    let families_of = |name: &str| reached.get(name).unwrap_or(&none).clone();
    for item in &mut types {
        match item {
            Item::Mod(m) if m.ident == "builder" => {
                for inner in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
                    if let Some(name) = owner(inner, &names) {
                        let families = families_of(&name);
                        gate(inner, &families);
                    }
                }
            }
            Item::Mod(m) if m.ident == "defaults" => {
                // A default that builds a type is compiled with it (the families that reach
                // every type it names).
                for inner in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
                    let mut found = BTreeSet::new();
                    idents(quote!(#inner), &mut found);
                    let mut families: Option<BTreeSet<usize>> = None;
                    for name in found.iter().filter(|i| names.contains(*i)) {
                        let of = families_of(name);
                        families = Some(match families {
                            None => of,
                            Some(f) => f.intersection(&of).copied().collect(),
                        });
                    }
                    if let Some(families) = families {
                        gate(inner, &families);
                    }
                }
            }
            other => {
                if let Some(name) = owner(other, &names) {
                    let families = families_of(&name);
                    gate(other, &families);
                }
            }
        }
    }

    let mut out = Vec::new();
    for (family, (mut family_methods, family_builders)) in
        methods.into_iter().zip(builders).enumerate()
    {
        if deprecated.get(family).copied().unwrap_or(false) {
            // Only the service's 2023 documents have these operations (`crate::merge`).
            for it in &mut family_methods {
                if let syn::ImplItem::Fn(f) = it {
                    f.attrs.push(syn::parse_quote!(
                        #[deprecated(
                            note = "only the service's 2023 documents have this operation; the 2024 ones (the official SDK's) do not"
                        )]
                    ));
                }
            }
        }
        let mut items = uses.clone();
        items.push(syn::parse_quote!(
            use crate::Client;
        ));
        items.push(syn::parse_quote!(
            use super::types;
        ));
        let methods = family_methods;
        items.push(syn::parse_quote! {
            impl Client {
                #(#methods)*
            }
        });
        let inner = builder_uses.iter().chain(family_builders.iter());
        items.push(syn::parse_quote! {
            #[allow(clippy::all)]
            pub mod builder {
                #(#inner)*
            }
        });
        out.push(items);
    }
    Ok(Split {
        types,
        families: out,
    })
}

/// The type an item defines: a struct, enum or alias.
pub(crate) fn defined_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

/// The document's type (one of `names`) an item of `types` is compiled with: the type it
/// defines; for an impl, its self type when that is one of `names`, else the first of `names`
/// among the trait's arguments (`impl From<X> for serde_json::Map<..>` goes with X, not with
/// every type that holds a `Map`).
fn owner(item: &Item, names: &BTreeSet<String>) -> Option<String> {
    let Item::Impl(i) = item else {
        return defined_name(item);
    };
    let own = last_ident(&i.self_ty);
    if own.as_ref().is_some_and(|n| names.contains(n)) {
        return own;
    }
    if let Some((path, _)) = &i.trait_ {
        let mut ordered = Vec::new();
        ordered_idents(quote!(#path), &mut ordered);
        if let Some(name) = ordered.into_iter().find(|n| names.contains(n)) {
            return Some(name);
        }
    }
    own
}

/// Every identifier in `tokens`, in order.
fn ordered_idents(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(i) => out.push(i.to_string()),
            proc_macro2::TokenTree::Group(g) => ordered_idents(g.stream(), out),
            _ => {}
        }
    }
}

/// The type an item of `types` defines or implements (a struct, enum or alias; an impl's self
/// type).
pub(crate) fn type_item_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        Item::Impl(i) => last_ident(&i.self_ty),
        _ => None,
    }
}

/// The last identifier of a path type (`super::X<'a>` → X).
fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Every identifier in `tokens`.
pub(crate) fn idents(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}

/// How one operation builder of the families is called, read from the generated code: the
/// client's method that makes it, the setters of its required parameters with the types their
/// values convert into, its body's type, and the type `send` answers.
#[derive(Clone, Debug, Default)]
pub struct CallShape {
    /// The builder's name without case or `_` ([`crate::families::normal`]).
    pub builder: String,
    /// The client's method (`get_user_departments`).
    pub method: String,
    /// Each required parameter's setter and its value's type (`types::X` as written).
    pub required: Vec<(String, String)>,
    /// The body's type, when the operation has a JSON body.
    pub body: Option<String>,
    /// The type `send` answers, when it answers one of the document's types.
    pub answer: Option<String>,
    /// Whether that type is a V3 envelope (the facade's `send` takes it).
    pub enveloped: bool,
}

/// The type `V` converts into in a setter's `where V: TryInto<T>`.
fn setter_type(f: &syn::ImplItemFn) -> Option<String> {
    let clause = f.sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|p| {
        let syn::WherePredicate::Type(pt) = p else {
            return None;
        };
        pt.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(t) = b else {
                return None;
            };
            let last = t.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            args.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(ty) => Some(quote!(#ty).to_string().replace(' ', "")),
                _ => None,
            })
        })
    })
}

/// The fields `new` starts as `Err(..)`: the required ones.
fn required_fields(f: &syn::ImplItemFn) -> Vec<String> {
    let mut out = Vec::new();
    for stmt in &f.block.stmts {
        let syn::Stmt::Expr(syn::Expr::Struct(s), _) = stmt else {
            continue;
        };
        for field in &s.fields {
            let syn::Member::Named(name) = &field.member else {
                continue;
            };
            if let syn::Expr::Call(call) = &field.expr
                && let syn::Expr::Path(p) = &*call.func
                && p.path.is_ident("Err")
            {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// Every operation builder of the families' files (`items` of [`Split::families`]) and how it
/// is called; `enveloped` names the document's types that are V3 envelopes.
pub fn call_shapes(families: &[Vec<Item>], enveloped: &BTreeSet<String>) -> Vec<CallShape> {
    let mut methods = BTreeMap::new();
    let mut shapes: BTreeMap<String, CallShape> = BTreeMap::new();
    for items in families {
        for item in items {
            match item {
                Item::Impl(i) if last_ident(&i.self_ty).as_deref() == Some("Client") => {
                    for it in &i.items {
                        let syn::ImplItem::Fn(f) = it else { continue };
                        let syn::ReturnType::Type(_, ty) = &f.sig.output else {
                            continue;
                        };
                        if let Some(builder) = last_ident(ty) {
                            methods
                                .insert(crate::families::normal(&builder), f.sig.ident.to_string());
                        }
                    }
                }
                Item::Mod(m) => {
                    for inner in m.content.iter().flat_map(|(_, items)| items) {
                        let Item::Impl(i) = inner else { continue };
                        let Some(builder) = last_ident(&i.self_ty) else {
                            continue;
                        };
                        let key = crate::families::normal(&builder);
                        let fns: Vec<&syn::ImplItemFn> = i
                            .items
                            .iter()
                            .filter_map(|it| match it {
                                syn::ImplItem::Fn(f) => Some(f),
                                _ => None,
                            })
                            .collect();
                        let Some(new) = fns.iter().find(|f| f.sig.ident == "new") else {
                            continue;
                        };
                        let required = required_fields(new);
                        let shape = shapes.entry(key.clone()).or_default();
                        shape.builder = key;
                        for f in &fns {
                            let name = f.sig.ident.to_string();
                            if name == "body" {
                                shape.body = setter_type(f);
                            } else if required.contains(&name)
                                && let Some(ty) = setter_type(f)
                            {
                                shape.required.push((name, ty));
                            } else if name == "send"
                                && let syn::ReturnType::Type(_, ty) = &f.sig.output
                            {
                                let text = quote!(#ty).to_string().replace(' ', "");
                                if let Some(rest) = text.split("ResponseValue<types::").nth(1)
                                    && let Some(answer) = rest.split('>').next()
                                    && answer
                                        .chars()
                                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                                {
                                    shape.enveloped = enveloped.contains(answer);
                                    shape.answer = Some(answer.to_string());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    shapes
        .into_values()
        .filter_map(|mut shape| {
            shape.method = methods.get(&shape.builder)?.clone();
            Some(shape)
        })
        .collect()
}
