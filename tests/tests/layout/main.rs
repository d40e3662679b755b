//! The house stays walkable (docs/architecture.md): the facade's and the sandbox's import
//! graphs, and genauth as a user's own crate depends on it. One test binary (see
//! docs/benchmarks.md).

mod facade;
mod sandbox;
mod user_crate;

use std::collections::{BTreeMap, BTreeSet};

/// Panics with the circle when the import graph (module -> the modules it imports) has one: a
/// depth-first search for a back edge.
fn assert_no_circle(graph: &BTreeMap<String, BTreeSet<String>>) {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        on_path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = on_path.iter().position(|p| p == m) {
            panic!("import circle: {} -> {m}", on_path[at..].join(" -> "));
        }
        on_path.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            visit(d, graph, on_path, done);
        }
        on_path.pop();
        done.insert(m.to_string());
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, graph, &mut Vec::new(), &mut done);
    }
}

#[test]
#[should_panic(expected = "import circle: a -> b -> c -> a")]
fn a_circle_is_found() {
    let edge = |from: &str, to: &[&str]| {
        (
            from.to_string(),
            to.iter().map(|t| t.to_string()).collect::<BTreeSet<_>>(),
        )
    };
    let graph = BTreeMap::from([edge("a", &["b"]), edge("b", &["c"]), edge("c", &["a", "d"])]);
    assert_no_circle(&graph);
}

#[test]
fn a_tree_has_no_circle() {
    let edge = |from: &str, to: &[&str]| {
        (
            from.to_string(),
            to.iter().map(|t| t.to_string()).collect::<BTreeSet<_>>(),
        )
    };
    assert_no_circle(&BTreeMap::from([edge("a", &["b", "c"]), edge("b", &["c"])]));
}
