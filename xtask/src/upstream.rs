//! `cargo xtask upstream-check`: `openapi/genauth.yaml` against the service's own OpenAPI documents.
//!
//! The service publishes OpenAPI documents of its V3 API; their structure (no prose) is vendored in
//! `openapi/upstream/`. For every operation of our spec that upstream has (matched by method and
//! path), this compares
//!
//! * the query and path parameters (name, required, type, format, enum),
//! * the request body (media type; properties with their types, required flags, enums, nested
//!   objects and arrays),
//! * the answer's payload: `data` of a V3 envelope, or the whole body of an answer that is not
//!   enveloped (`/oidc/token`).
//!
//! Each difference is one line, `operation · location (what) · ours · upstream`. A difference kept on
//! purpose is listed in `openapi/divergences.yaml` with its reason and evidence; the check fails on a
//! difference that is not listed and on a listed one that no longer exists.
//!
//! Rules of the comparison, where the documents speak differently for no reason of substance:
//! * Upstream never says `integer` (its generator writes every number as `number`), so an upstream
//!   `number` matches our `integer` or `number`.
//! * A format is compared only where both sides declare one: upstream's `date-time` on a string we
//!   decode as a plain string takes any value the service sends.
//! * Defaults, lengths and descriptions are documentation and are not compared; header parameters are
//!   not compared either (upstream declares none: its headers are the SDKs' convention, which our
//!   `securitySchemes` describe).
//!
//! Both generations are compared: the service's documents of 2023 (`openapi/upstream/`) and those
//! derived from the official Node SDK of 2024 (`openapi/upstream/2024/`, `cargo xtask
//! upstream-derive`). A divergence names its generation (`generation: "2024"`; 2023 when left
//! out), and the check ends with the generation each of our operations is found in. Of the 2024
//! documents, a value TypeScript types as `any` is not compared: the SDK's generator writes an
//! object without properties and a schema without a type both as `any`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use crate::spec::{METHODS, Spec};
use crate::{Error, read, workspace_root};

/// How deep nested schemas are followed (upstream has recursive tree types).
const MAX_DEPTH: usize = 8;

/// The two vendored upstream documents of one generation.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Which: `2023` (the service's own documents of 2023-01, `openapi/upstream/`) or `2024`
    /// (derived from the official Node SDK, `openapi/upstream/2024/`, [`crate::derive`]).
    pub generation: &'static str,
    /// The authentication API (107 operations in the 2023-01 documents).
    pub authentication: Value,
    /// The management API (425 operations).
    pub management: Value,
}

/// The generation of the service's own documents, `openapi/upstream/`.
pub const GENERATION_2023: &str = "2023";
/// The generation derived from the official Node SDK, `openapi/upstream/2024/`.
pub const GENERATION_2024: &str = "2024";

impl Upstream {
    /// Reads `openapi/upstream/genauth-{authentication,management}-api.structure.json`.
    pub fn load() -> Result<Self, Error> {
        Self::load_from(GENERATION_2023, &upstream_dir())
    }

    /// Reads the same two documents of 2024, `openapi/upstream/2024/`.
    pub fn load_2024() -> Result<Self, Error> {
        Self::load_from(GENERATION_2024, &crate::derive::out_dir())
    }

    fn load_from(generation: &'static str, dir: &std::path::Path) -> Result<Self, Error> {
        let parse = |name: &str| -> Result<Value, Error> {
            let path = dir.join(name);
            serde_json::from_str(&read(&path)?)
                .map_err(|e| Error::Parse(format!("{}: {e}", path.display())))
        };
        Ok(Self {
            generation,
            authentication: parse("genauth-authentication-api.structure.json")?,
            management: parse("genauth-management-api.structure.json")?,
        })
    }

    /// Whether a document of this generation has `method` (lowercase) `path`.
    pub fn has(&self, method: &str, path: &str) -> bool {
        [&self.authentication, &self.management]
            .iter()
            .any(|doc| doc["paths"][path].get(method).is_some())
    }
}

/// `openapi/upstream/`.
pub fn upstream_dir() -> PathBuf {
    workspace_root().join("openapi").join("upstream")
}

/// `openapi/divergences.yaml`.
pub fn divergences_path() -> PathBuf {
    workspace_root().join("openapi").join("divergences.yaml")
}

/// One difference between our spec and upstream.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// The upstream generation compared with ([`Upstream::generation`]).
    pub generation: &'static str,
    /// Our operationId.
    pub operation: String,
    /// Where, e.g. `data.expires_in (presence)` or `query withDepartmentIds (presence)`.
    pub location: String,
    /// What our spec says.
    pub ours: String,
    /// What upstream says.
    pub upstream: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.generation != GENERATION_2023 {
            write!(f, "[{}] ", self.generation)?;
        }
        write!(
            f,
            "{} · {} · {} · {}",
            self.operation, self.location, self.ours, self.upstream
        )
    }
}

/// A difference kept on purpose, from `openapi/divergences.yaml`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// The upstream generation it is a difference from: `2023` (the default) or `2024`.
    #[serde(default = "generation_2023")]
    pub generation: String,
    /// Our operationId.
    pub operation: String,
    /// The location, as the check prints it.
    pub location: String,
    /// What our spec says, as the check prints it.
    pub ours: String,
    /// What upstream says, as the check prints it.
    pub upstream: String,
    /// Why ours differs.
    pub reason: String,
    /// What shows the service does what ours says (an SDK source file, a document).
    pub evidence: String,
}

impl Divergence {
    fn matches(&self, d: &Difference) -> bool {
        self.generation == d.generation
            && self.operation == d.operation
            && self.location == d.location
            && self.ours == d.ours
            && self.upstream == d.upstream
    }
}

/// Reads a divergences file (a YAML list; an empty file is an empty list).
pub fn parse_divergences(text: &str) -> Result<Vec<Divergence>, Error> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<Divergence> =
        serde_yaml::from_str(text).map_err(|e| Error::Parse(format!("divergences: {e}")))?;
    for d in &list {
        // A generation the check never compares with would be neither matched nor stale.
        if ![GENERATION_2023, GENERATION_2024].contains(&d.generation.as_str()) {
            return Err(Error::Parse(format!(
                "divergences: {} · {}: generation {:?} is not {GENERATION_2023} or {GENERATION_2024}",
                d.operation, d.location, d.generation
            )));
        }
        if d.reason.trim().is_empty() || d.evidence.trim().is_empty() {
            return Err(Error::Parse(format!(
                "divergences: {} · {} needs a reason and evidence",
                d.operation, d.location
            )));
        }
    }
    Ok(list)
}

fn generation_2023() -> String {
    GENERATION_2023.to_string()
}

/// What the comparison found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The upstream generation compared with.
    pub generation: &'static str,
    /// Every difference, sorted.
    pub differences: Vec<Difference>,
    /// Our operations that upstream does not have, as `operationId (METHOD path)`.
    pub not_upstream: Vec<String>,
    /// Our operations found in the authentication document.
    pub covered_authentication: usize,
    /// Operations of the authentication document.
    pub total_authentication: usize,
    /// Our operations found in the management document.
    pub covered_management: usize,
    /// Operations of the management document.
    pub total_management: usize,
    /// Differences from the 2023 documents that the 2024 documents do not show for the same
    /// operation and place ([`supersede`]): the service changed, and ours follows the newer.
    pub superseded: Vec<Difference>,
}

impl Report {
    /// `coverage: 14 of 107 authentication operations, 3 of 425 management operations; 9 not upstream`.
    pub fn coverage_line(&self) -> String {
        format!(
            "coverage{}: {} of {} authentication operations, {} of {} management operations; {} of ours not in upstream",
            if self.generation == GENERATION_2023 {
                String::new()
            } else {
                format!(" ({})", self.generation)
            },
            self.covered_authentication,
            self.total_authentication,
            self.covered_management,
            self.total_management,
            self.not_upstream.len()
        )
    }
}

/// The report held against the divergences list.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Differences no divergence lists: the check fails.
    pub unlisted: Vec<Difference>,
    /// Divergences that match no difference any more: the check fails.
    pub stale: Vec<Divergence>,
    /// Differences that a divergence explains.
    pub listed: usize,
}

impl Outcome {
    /// True when nothing is unlisted or stale.
    pub fn passed(&self) -> bool {
        self.unlisted.is_empty() && self.stale.is_empty()
    }
}

/// Holds `report` against `divergences`.
pub fn check(report: &Report, divergences: &[Divergence]) -> Outcome {
    let divergences: Vec<&Divergence> = divergences
        .iter()
        .filter(|v| v.generation == report.generation)
        .collect();
    let mut out = Outcome::default();
    for d in &report.differences {
        if divergences.iter().any(|v| v.matches(d)) {
            out.listed += 1;
        } else {
            out.unlisted.push(d.clone());
        }
    }
    out.stale = divergences
        .iter()
        .filter(|v| !report.differences.iter().any(|d| v.matches(d)))
        .map(|v| (*v).clone())
        .collect();
    out
}

/// Compares every operation of `ours` with upstream.
pub fn compare(ours: &Spec, upstream: &Upstream) -> Report {
    let mut report = Report {
        generation: upstream.generation,
        total_authentication: count_operations(&upstream.authentication),
        total_management: count_operations(&upstream.management),
        ..Report::default()
    };
    for op in ours.operations() {
        let method = op.method.to_lowercase();
        let found = [
            (&upstream.authentication, true),
            (&upstream.management, false),
        ]
        .into_iter()
        .find_map(|(doc, auth)| {
            doc.get("paths")
                .and_then(|p| p.get(op.path))
                .and_then(|item| item.get(&method))
                .map(|u| (doc, u, auth))
        });
        let Some((doc, up_op, is_auth)) = found else {
            report.not_upstream.push(op.label());
            continue;
        };
        if is_auth {
            report.covered_authentication += 1;
        } else {
            report.covered_management += 1;
        }
        let ours_doc = Doc(&ours.doc);
        let up_doc = Doc(doc);
        let mut sink = Sink {
            generation: upstream.generation,
            operation: op.id.to_string(),
            out: &mut report.differences,
        };

        // Parameters (query and path; headers are not compared).
        let params = |doc: Doc<'_>, list: Vec<&Value>| -> BTreeMap<String, (bool, Node)> {
            list.into_iter()
                .filter_map(|p| doc.resolve(p))
                .filter(|p| matches!(p.get("in").and_then(Value::as_str), Some("query" | "path")))
                .filter_map(|p| {
                    let name = format!(
                        "{} {}",
                        p.get("in").and_then(Value::as_str)?,
                        p.get("name").and_then(Value::as_str)?
                    );
                    let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                    let schema = p.get("schema").map(|s| doc.node(s, 0)).unwrap_or_default();
                    Some((name, (required, schema)))
                })
                .collect()
        };
        let ours_params = params(ours_doc, ours.parameters(&op));
        let up_params = params(
            up_doc,
            up_op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
        );
        compare_fields(&mut sink, "", &ours_params, &up_params);

        // Request body.
        let body = |doc: Doc<'_>, op: &Value| -> Option<(String, Node)> {
            let content = op.get("requestBody")?.get("content")?.as_object()?;
            let (media, c) = content.iter().next()?;
            Some((
                media.clone(),
                c.get("schema").map(|s| doc.node(s, 0)).unwrap_or_default(),
            ))
        };
        match (body(ours_doc, op.value), body(up_doc, up_op)) {
            (Some((om, on)), Some((um, un))) => {
                if om != um {
                    sink.push("body (media type)", om, um);
                }
                compare_nodes(&mut sink, "body", &on, &un);
            }
            (Some((_, on)), None) => sink.push("body (presence)", on.describe(), "absent".into()),
            (None, Some((_, un))) => sink.push("body (presence)", "absent".into(), un.describe()),
            (None, None) => {}
        }

        // The answer's payload.
        let answer = |doc: Doc<'_>, op: &Value| -> Option<Node> {
            let responses = op.get("responses")?.as_object()?;
            let ok = responses.get("200").or_else(|| {
                responses
                    .iter()
                    .find(|(k, _)| k.starts_with('2'))
                    .map(|(_, v)| v)
            })?;
            let ok = doc.resolve(ok)?;
            let schema = ok
                .get("content")?
                .as_object()?
                .values()
                .next()?
                .get("schema")?;
            Some(doc.node(schema, 0))
        };
        let ours_answer = answer(ours_doc, op.value);
        let up_answer = answer(up_doc, up_op);
        let enveloped = |n: &Option<Node>| {
            n.as_ref()
                .and_then(|n| n.props.as_ref())
                .is_some_and(|p| p.contains_key("statusCode"))
        };
        if enveloped(&ours_answer) || enveloped(&up_answer) {
            let data = |n: Option<Node>| n.and_then(|n| n.props).and_then(|mut p| p.remove("data"));
            match (data(ours_answer), data(up_answer)) {
                (Some(o), Some(u)) => compare_nodes(&mut sink, "data", &o, &u),
                (Some(o), None) => sink.push("data (presence)", o.describe(), "absent".into()),
                (None, Some(u)) => sink.push("data (presence)", "absent".into(), u.describe()),
                (None, None) => {}
            }
        } else {
            match (ours_answer, up_answer) {
                (Some(o), Some(u)) => compare_nodes(&mut sink, "answer", &o, &u),
                (Some(o), None) => sink.push("answer (presence)", o.describe(), "absent".into()),
                (None, Some(u)) => sink.push("answer (presence)", "absent".into(), u.describe()),
                (None, None) => {}
            }
        }
    }
    report.differences.sort();
    report
}

fn count_operations(doc: &Value) -> usize {
    doc.get("paths")
        .and_then(Value::as_object)
        .map(|paths| {
            paths
                .values()
                .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
                .sum()
        })
        .unwrap_or(0)
}

/// A schema reduced to what is compared.
#[derive(Debug, Clone, Default, PartialEq)]
struct Node {
    ty: Option<String>,
    format: Option<String>,
    enumeration: Option<BTreeSet<String>>,
    required: BTreeSet<String>,
    props: Option<BTreeMap<String, Node>>,
    items: Option<Box<Node>>,
}

impl Node {
    /// `string`, `object`, `array of string`, `string enum (3 values)` ...
    fn describe(&self) -> String {
        let ty = self.ty.clone().unwrap_or_else(|| "any".into());
        let base = match (&self.items, &self.enumeration) {
            (Some(items), _) => format!("{ty} of {}", items.describe()),
            (None, Some(e)) => format!("{ty} enum ({} values)", e.len()),
            (None, None) => ty,
        };
        match &self.format {
            Some(f) => format!("{base} ({f})"),
            None => base,
        }
    }
}

#[derive(Clone, Copy)]
struct Doc<'a>(&'a Value);

impl<'a> Doc<'a> {
    fn resolve(&self, value: &'a Value) -> Option<&'a Value> {
        let mut value = value;
        for _ in 0..16 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(r) => value = self.0.pointer(r.strip_prefix('#')?)?,
                None => return Some(value),
            }
        }
        None
    }

    fn node(&self, schema: &'a Value, depth: usize) -> Node {
        let Some(schema) = self.resolve(schema) else {
            return Node {
                ty: Some("unresolvable $ref".into()),
                ..Node::default()
            };
        };
        // allOf: merge the parts (upstream wraps every $ref in a one-element allOf).
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Node::default();
            for part in parts {
                let n = self.node(part, depth);
                merged.ty = merged.ty.or(n.ty);
                merged.format = merged.format.or(n.format);
                merged.enumeration = merged.enumeration.or(n.enumeration);
                merged.required.extend(n.required);
                merged.items = merged.items.or(n.items);
                if let Some(p) = n.props {
                    merged.props.get_or_insert_with(BTreeMap::new).extend(p);
                }
            }
            return merged;
        }
        let text = |k: &str| schema.get(k).and_then(Value::as_str).map(str::to_string);
        let mut node = Node {
            ty: text("type").or_else(|| {
                ["oneOf", "anyOf"]
                    .into_iter()
                    .find(|k| schema.get(k).is_some())
                    .map(str::to_string)
            }),
            format: text("format"),
            enumeration: schema.get("enum").and_then(Value::as_array).map(|values| {
                values
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect()
            }),
            required: schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            props: None,
            items: None,
        };
        if node.ty.is_none() && schema.get("properties").is_some() {
            node.ty = Some("object".into());
        }
        if depth >= MAX_DEPTH {
            return node;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            node.props = Some(
                props
                    .iter()
                    .map(|(k, v)| (k.clone(), self.node(v, depth + 1)))
                    .collect(),
            );
        }
        if let Some(items) = schema.get("items") {
            node.items = Some(Box::new(self.node(items, depth + 1)));
        }
        node
    }
}

struct Sink<'a> {
    generation: &'static str,
    operation: String,
    out: &'a mut Vec<Difference>,
}

impl Sink<'_> {
    fn push(&mut self, location: &str, ours: String, upstream: String) {
        self.out.push(Difference {
            generation: self.generation,
            operation: self.operation.clone(),
            location: location.to_string(),
            ours,
            upstream,
        });
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn required_word(r: bool) -> String {
    if r { "required" } else { "optional" }.to_string()
}

/// Compares named fields (parameters, or the properties of one object).
fn compare_fields(
    sink: &mut Sink<'_>,
    prefix: &str,
    ours: &BTreeMap<String, (bool, Node)>,
    upstream: &BTreeMap<String, (bool, Node)>,
) {
    let names: BTreeSet<&String> = ours.keys().chain(upstream.keys()).collect();
    for name in names {
        let loc = join(prefix, name);
        match (ours.get(name), upstream.get(name)) {
            (Some((or, on)), Some((ur, un))) => {
                if or != ur {
                    sink.push(
                        &format!("{loc} (required)"),
                        required_word(*or),
                        required_word(*ur),
                    );
                }
                compare_nodes(sink, &loc, on, un);
            }
            (Some((or, on)), None) => sink.push(
                &format!("{loc} (presence)"),
                format!("{}, {}", on.describe(), required_word(*or)),
                "absent".into(),
            ),
            (None, Some((ur, un))) => sink.push(
                &format!("{loc} (presence)"),
                "absent".into(),
                format!("{}, {}", un.describe(), required_word(*ur)),
            ),
            (None, None) => {}
        }
    }
}

fn same_type(ours: &Option<String>, upstream: &Option<String>) -> bool {
    match (ours.as_deref(), upstream.as_deref()) {
        (Some("integer"), Some("number")) => true,
        (o, u) => o == u,
    }
}

/// Compares two schemas at `loc`.
fn compare_nodes(sink: &mut Sink<'_>, loc: &str, ours: &Node, upstream: &Node) {
    // The 2024 documents come through TypeScript, whose `any` is the SDK generator's rendering
    // of both an object without properties and a schema without a type: it says nothing.
    if sink.generation == GENERATION_2024 && upstream.ty.is_none() && upstream.props.is_none() {
        return;
    }
    if !same_type(&ours.ty, &upstream.ty) {
        sink.push(
            &format!("{loc} (type)"),
            ours.describe(),
            upstream.describe(),
        );
        return;
    }
    if let (Some(of), Some(uf)) = (&ours.format, &upstream.format)
        && of != uf
    {
        sink.push(&format!("{loc} (format)"), of.clone(), uf.clone());
    }
    match (&ours.enumeration, &upstream.enumeration) {
        (Some(oe), Some(ue)) if oe != ue => {
            let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
                let v: Vec<&str> = a.difference(b).map(String::as_str).collect();
                if v.is_empty() {
                    "no values of its own".to_string()
                } else {
                    format!("also {}", v.join(", "))
                }
            };
            sink.push(&format!("{loc} (enum)"), only(oe, ue), only(ue, oe));
        }
        (Some(oe), None) => sink.push(
            &format!("{loc} (enum)"),
            format!("closed ({} values)", oe.len()),
            "open".into(),
        ),
        (None, Some(ue)) => sink.push(
            &format!("{loc} (enum)"),
            "open".into(),
            format!("closed ({} values)", ue.len()),
        ),
        _ => {}
    }
    let fields = |n: &Node| -> BTreeMap<String, (bool, Node)> {
        n.props
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), (n.required.contains(k), v.clone())))
            .collect()
    };
    if ours.props.is_some() || upstream.props.is_some() {
        compare_fields(sink, loc, &fields(ours), &fields(upstream));
    }
    match (&ours.items, &upstream.items) {
        (Some(o), Some(u)) => compare_nodes(sink, &format!("{loc}[]"), o, u),
        (Some(o), None) => sink.push(
            &format!("{loc}[] (presence)"),
            o.describe(),
            "absent".into(),
        ),
        (None, Some(u)) => sink.push(
            &format!("{loc}[] (presence)"),
            "absent".into(),
            u.describe(),
        ),
        (None, None) => {}
    }
}

/// Moves out of `older` (the report against the 2023 documents) every difference that `newer`
/// (against 2024) does not show for an operation both have: the newer documents say what ours
/// says, so it is explained by the service's change, not a divergence to list.
pub fn supersede(older: &mut Report, newer: &Report, spec: &Spec, upstream_2024: &Upstream) {
    let in_newer: BTreeSet<&str> = spec
        .operations()
        .into_iter()
        .filter(|op| upstream_2024.has(&op.method.to_lowercase(), op.path))
        .map(|op| op.id)
        .collect();
    let (superseded, kept): (Vec<Difference>, Vec<Difference>) =
        std::mem::take(&mut older.differences)
            .into_iter()
            .partition(|d| {
                in_newer.contains(d.operation.as_str())
                    && !newer
                        .differences
                        .iter()
                        .any(|n| n.operation == d.operation && n.location == d.location)
            });
    older.differences = kept;
    older.superseded = superseded;
}

/// Both generations' reports for `spec`, the 2023 one (against `older`) with what 2024 (`newer`)
/// explains moved out ([`supersede`]).
pub fn reports(spec: &Spec, older: &Upstream, newer: &Upstream) -> (Report, Report) {
    let mut report_2023 = compare(spec, older);
    let report_2024 = compare(spec, newer);
    supersede(&mut report_2023, &report_2024, spec, newer);
    (report_2023, report_2024)
}

/// Runs the whole check on the files of this workspace and prints it; `Ok(true)` when it passed.
pub fn run_check() -> Result<bool, Error> {
    let spec = Spec::load()?;
    let upstream = Upstream::load()?;
    let newer = Upstream::load_2024()?;
    let divergences = parse_divergences(&read(&divergences_path())?)?;
    let mut passed = true;
    let (report_2023, report_2024) = reports(&spec, &upstream, &newer);
    for report in [&report_2023, &report_2024] {
        let outcome = check(report, &divergences);
        println!("--- against the {} documents", report.generation);
        print!("{}", render(report, &outcome));
        passed &= outcome.passed();
    }
    let merged = crate::merge::merge(&upstream, &newer, &crate::merge::GenerationMap::load()?)?;
    let composition = crate::families::compose(&merged, &spec, crate::families::load()?)?;
    println!("{}", generated_line(&merged, &composition));
    println!("--- our operations by generation");
    print!("{}", render_generations(&spec, &merged));
    Ok(passed)
}

/// Which generation each of our operations is found in, as the merge marked it
/// (`x-genauth-generation`, [`crate::merge`]): one line per operation,
/// `operationId (METHOD path): 2023 and 2024` (or `2023 only`, `2024 only`, `neither`), and
/// a count of each.
pub fn render_generations(ours: &Spec, merged: &Upstream) -> String {
    use std::fmt::Write;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut s = String::new();
    for op in ours.operations() {
        let method = op.method.to_lowercase();
        let marked = [&merged.authentication, &merged.management]
            .iter()
            .find_map(|doc| doc["paths"][op.path].get(&method))
            .and_then(|o| o.get("x-genauth-generation"))
            .and_then(Value::as_str);
        let found = match marked {
            Some("2023 and 2024") => "2023 and 2024",
            Some("2023") => "2023 only",
            Some("2024") => "2024 only",
            _ => "neither",
        };
        *counts.entry(found).or_default() += 1;
        let _ = writeln!(s, "  {}: {found}", op.label());
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(s, "by generation: {}", summary.join(", "));
    s
}

/// `generated: 142 of 142 authentication operations (22 from our spec, 120 from the documents, 12 of
/// them deprecated), ...`:
/// what `genauth-api` generates of each document of both generations merged ([`crate::merge`]),
/// the spec's operations and the families' (of which deprecated: only the 2023 documents have them).
pub fn generated_line(merged: &Upstream, composition: &crate::families::Composition) -> String {
    let line = |document: &str, doc: &Value| {
        let total = doc["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, item)| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
            .sum::<usize>();
        let ours = composition.overlaid.get(document).copied().unwrap_or(0);
        let families = composition
            .operations
            .iter()
            .filter(|op| composition.families[op.family].document == document);
        let theirs = families.clone().count();
        let deprecated = families
            .filter(|op| composition.families[op.family].deprecated)
            .count();
        format!(
            "{} of {total} {document} operations ({ours} from our spec, {theirs} from the documents, {deprecated} of them deprecated)",
            ours + theirs
        )
    };
    format!(
        "generated: {}, {}",
        line("authentication", &merged.authentication),
        line("management", &merged.management)
    )
}

/// The human-readable result: unlisted differences, stale divergences, operations not upstream,
/// the counts and the coverage line last.
pub fn render(report: &Report, outcome: &Outcome) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if !outcome.unlisted.is_empty() {
        let _ = writeln!(
            s,
            "{} difference(s) from upstream not listed in openapi/divergences.yaml (operation · location · ours · upstream):",
            outcome.unlisted.len()
        );
        for d in &outcome.unlisted {
            let _ = writeln!(s, "  {d}");
        }
    }
    if !outcome.stale.is_empty() {
        let _ = writeln!(
            s,
            "{} divergence(s) in openapi/divergences.yaml that no longer exist (remove them):",
            outcome.stale.len()
        );
        for d in &outcome.stale {
            let _ = writeln!(
                s,
                "  {} · {} · {} · {}",
                d.operation, d.location, d.ours, d.upstream
            );
        }
    }
    let _ = writeln!(s, "not in upstream ({}):", report.not_upstream.len());
    for label in &report.not_upstream {
        let _ = writeln!(s, "  {label}");
    }
    if !report.superseded.is_empty() {
        let _ = writeln!(
            s,
            "{} difference(s) the 2024 documents explain (ours says what they say):",
            report.superseded.len()
        );
        for d in &report.superseded {
            let _ = writeln!(s, "  {d}");
        }
    }
    let _ = writeln!(
        s,
        "{} difference(s): {} listed as divergences, {} unlisted; {} stale divergence(s)",
        report.differences.len(),
        outcome.listed,
        outcome.unlisted.len(),
        outcome.stale.len()
    );
    let _ = writeln!(s, "{}", report.coverage_line());
    s
}
