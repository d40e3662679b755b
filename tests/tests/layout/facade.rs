//! The facade's layout stays walkable (docs/architecture.md): its files import each other
//! without a circle, the foundations (errors, input, tokens, transport, the executor ...) know
//! no client, each client lives in one folder, and no hand-written file grows past 900 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`auth/client`, `error`; a folder's `mod.rs` is the folder) → its code outside
/// unit tests and comments.
fn sources() -> BTreeMap<String, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("crates")
        .join("genauth")
        .join("src");
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("facade sources") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let name = module_name(&root, &path);
            if name.is_empty() {
                continue; // lib.rs: declares and re-exports
            }
            let text = std::fs::read_to_string(&path).expect("source");
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or("")
                .lines()
                .map(str::trim_start)
                .filter(|l| {
                    !l.starts_with("//") && !l.starts_with("mod ") && !l.starts_with("pub mod ")
                })
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(name, code);
        }
    }
    out
}

fn module_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).expect("under src");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("/")
}

/// The longest module named by the segments after `crate::` or `super::`.
fn resolve(base: &[&str], rest: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    let segments: Vec<&str> = rest
        .split("::")
        .map(|s| {
            s.split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .next()
                .unwrap_or("")
        })
        .take_while(|s| !s.is_empty())
        .collect();
    let mut best = None;
    for n in 1..=segments.len() {
        let mut path: Vec<&str> = base.to_vec();
        path.extend(&segments[..n]);
        let name = path.join("/");
        if modules.contains_key(&name) {
            best = Some(name);
        }
    }
    best
}

/// Module → the modules it imports (`crate::a::b`, `super::b`).
fn graph(sources: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    sources
        .iter()
        .map(|(name, code)| {
            let mut deps = BTreeSet::new();
            for rest in code.split("crate::").skip(1) {
                if let Some(m) = resolve(&[], rest, sources) {
                    deps.insert(m);
                }
            }
            // `super::` in `auth/client` is the folder `auth`.
            let folder: Vec<&str> = match name.rsplit_once('/') {
                Some((folder, _)) => folder.split('/').collect(),
                None => Vec::new(),
            };
            for rest in code.split("super::").skip(1) {
                if let Some(m) = resolve(&folder, rest, sources) {
                    deps.insert(m);
                }
            }
            deps.remove(name);
            (name.clone(), deps)
        })
        .collect()
}

const CLIENTS: [&str; 3] = ["auth", "social", "management"];

fn client_of(module: &str) -> Option<&'static str> {
    CLIENTS
        .into_iter()
        .find(|c| module == *c || module.starts_with(&format!("{c}/")))
}

#[test]
fn the_facade_modules_import_each_other_without_a_circle() {
    let sources = sources();
    assert!(sources.len() >= 15, "{:?}", sources.keys());
    let graph = graph(&sources);
    assert!(
        graph["auth/client"].contains("auth/refresh"),
        "the graph is read: {:?}",
        graph["auth/client"]
    );
    crate::assert_no_circle(&graph);
}

#[test]
fn the_foundations_know_no_client_and_clients_stay_in_their_folders() {
    let sources = sources();
    let graph = graph(&sources);
    for (module, deps) in &graph {
        let client = client_of(module);
        for dep in deps {
            match (client, client_of(dep)) {
                // A foundation (error, input, tokens, exec ...) imports no client.
                (None, Some(c)) => panic!("{module} (a foundation) imports the client {c} ({dep})"),
                // One client uses another's public type: management answers auth's `User`.
                (Some("management"), Some("auth")) if dep == "auth/user" || dep == "auth" => {}
                (Some(a), Some(b)) if a != b => panic!("{module} ({a}) imports {dep} ({b})"),
                _ => {}
            }
        }
    }
    // Each client is a folder: everything that implements it is inside.
    for client in CLIENTS {
        assert!(sources.contains_key(client), "no {client}/mod.rs");
        assert!(
            sources.keys().any(|m| m.starts_with(&format!("{client}/"))),
            "{client} has no files of its own"
        );
    }
}

#[test]
fn no_hand_written_file_is_over_900_lines() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut long = Vec::new();
    for crate_dir in [
        "crates/genauth/src",
        "crates/genauth-sandbox/src",
        "crates/genauth-redis/src",
        "xtask/src",
    ] {
        let mut dirs = vec![root.join(crate_dir)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("sources") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if text.starts_with("// @generated") {
                    continue;
                }
                // The unit tests at a file's end do not count.
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                let lines = code.lines().count();
                if lines > 900 {
                    long.push(format!("{} ({lines} lines)", path.display()));
                }
            }
        }
    }
    assert!(long.is_empty(), "split these by concern: {long:?}");
}
