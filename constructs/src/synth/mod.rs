//! Synthesis: prepare → validate → render, for every stack and backend at once.
//!
//! 1. *Prepare*: every construct renders its blocks for both backends (as
//!    backend-neutral expressions), and ids are derived from paths.
//! 2. *Validate*: construct rules, id collisions, references that leave the stack
//!    or the app, stack-wide uniqueness (listener priorities), CloudFormation limits.
//!    Every problem in every stack is collected; if there is any, nothing renders.
//! 3. *Render*: expressions become JSON per backend; text is pretty-printed with a
//!    trailing newline, so equal models give byte-identical output.
//!
//! The library does no I/O: [`synth`] returns the files' contents and the caller
//! writes them (see the `stack` crate's runner).

pub mod cloudformation;
pub mod terraform;

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value as Json};

use crate::expr::Target;
use crate::ids;
use crate::problem::{Checker, Problem, SynthError};
use crate::resource::{CfnBlock, RenderCx, TfBlock, TfSection};
use crate::tree::{App, Backend, NodeRef, Override, Stack};

/// CloudFormation service quotas checked before anything is written.
pub mod limits {
    pub const MAX_RESOURCES: usize = 500;
    pub const MAX_PARAMETERS: usize = 200;
    pub const MAX_OUTPUTS: usize = 200;
    /// Largest template CloudFormation accepts (uploaded through S3).
    pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;
    pub const MAX_LOGICAL_ID: usize = 255;
}

/// One synthesized file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub stack: String,
    pub backend: Backend,
    /// Path relative to the output directory, with `/` separators:
    /// `cloudformation/<Stack>.template.json` or `terraform/<Stack>/main.tf.json`.
    pub relative_path: String,
    /// The file's full text: pretty-printed JSON and a trailing newline.
    pub text: String,
    /// Resources in the file (CloudFormation `Resources`, Terraform `resource` blocks).
    pub resource_count: usize,
    /// The account and region the stack is meant for ([`Stack::set_account`],
    /// [`Stack::set_region`]), for `deploy`'s guard.
    pub account: Option<String>,
    pub region: Option<String>,
    /// CloudFormation parameters `deploy` must resolve through the AWS APIs
    /// (lookups by name or tag), in an order where each one's inputs come
    /// first. A lookup that only another lookup needs is listed although the
    /// template has no parameter for it: resolve it, do not pass it.
    /// Empty for Terraform, whose data sources resolve themselves.
    pub lookups: Vec<crate::lookup::ParameterLookup>,
}

/// A rendered document before it becomes text.
pub(crate) struct Rendered {
    pub document: Json,
    pub resource_count: usize,
    pub parameter_count: usize,
    pub output_count: usize,
}

/// A stack with its blocks rendered and its ids derived.
pub(crate) struct Prepared<'a> {
    pub stack: &'a Stack,
    pub cfn_blocks: Vec<Vec<CfnBlock>>,
    pub tf_blocks: Vec<Vec<TfBlock>>,
    pub cfn_base: Vec<String>,
    pub tf_base: Vec<String>,
    pub cfn_addr: cloudformation::CfnAddresses,
    pub tf_addr: terraform::TfAddresses,
    /// Constructs rendered only when referenced.
    pub lookups: IndexSet<NodeRef>,
}

impl Prepared<'_> {
    pub fn node_ref(&self, i: usize) -> NodeRef {
        NodeRef {
            app: self.stack.app_id(),
            stack: self.stack.index(),
            index: i as u32,
        }
    }

    /// Whether the construct renders to a CloudFormation parameter (lookups, inputs).
    pub fn is_cfn_parameter(&self, r: NodeRef) -> bool {
        matches!(
            self.cfn_blocks.get(r.index as usize).and_then(|b| b.first()),
            Some(CfnBlock::Parameter(_))
        )
    }
}

/// Validates the whole app and renders every stack for each backend asked for.
/// Either every file is returned or none, with every problem found.
pub fn synth(app: &App, backends: &[Backend]) -> Result<Vec<Artifact>, SynthError> {
    let mut problems: Vec<Problem> = app.problems().to_vec();
    let mut artifacts = Vec::new();
    // Stacks are validated independently, so each is prepared, rendered while no
    // problem has been found anywhere yet, and dropped before the next: peak
    // memory is one stack's working set plus the output text.
    for stack in app.stacks() {
        let p = prepare(stack, &mut problems);
        if problems.is_empty() {
            render(&p, backends, &mut artifacts, &mut problems);
        }
    }
    problems.extend(crate::assets::check_app(app));
    if problems.is_empty() {
        Ok(artifacts)
    } else {
        Err(SynthError { problems })
    }
}

fn render(p: &Prepared<'_>, backends: &[Backend], artifacts: &mut Vec<Artifact>, problems: &mut Vec<Problem>) {
    for &backend in backends {
        let rendered = match backend {
            Backend::CloudFormation => cloudformation::template(p),
            Backend::Terraform => terraform::module(p),
        };
        let mut text = serde_json::to_string_pretty(&rendered.document).expect("JSON values always serialize");
        text.push('\n');
        if backend == Backend::CloudFormation {
            check_cfn_limits(p.stack.name(), &rendered, text.len(), problems);
        }
        let lookups = match backend {
            Backend::CloudFormation => parameter_lookups(p, &rendered.document, problems),
            Backend::Terraform => Vec::new(),
        };
        let name = p.stack.name();
        let relative_path = match backend {
            Backend::CloudFormation => format!("cloudformation/{name}.template.json"),
            Backend::Terraform => format!("terraform/{name}/main.tf.json"),
        };
        artifacts.push(Artifact {
            stack: name.to_string(),
            backend,
            relative_path,
            text,
            resource_count: rendered.resource_count,
            account: p.stack.account().map(str::to_string),
            region: p.stack.region().map(str::to_string),
            lookups,
        });
    }
}

/// The lookups behind the template's parameters, with inputs that refer to
/// other lookups by logical id. A lookup only another lookup needs (a load
/// balancer whose listener is looked up by port) is listed too, although the
/// template has no parameter for it. Constructs are added before whatever
/// refers to them, so construct order is an order where each lookup's inputs
/// come first.
fn parameter_lookups(
    p: &Prepared<'_>,
    document: &Json,
    problems: &mut Vec<Problem>,
) -> Vec<crate::lookup::ParameterLookup> {
    use crate::expr::Expr;
    use crate::lookup::{LookupInput, LookupQuery, ParameterLookup};
    let emitted = document.get("Parameters").and_then(Json::as_object);
    let query_of = |i: usize| -> Option<&LookupQuery<Expr>> {
        p.cfn_blocks[i].iter().find_map(|b| match b {
            CfnBlock::Parameter(param) => param.lookup.as_ref(),
            CfnBlock::Resource(_) => None,
        })
    };
    // Lookups the template needs, then everything their inputs need.
    let mut needed: Vec<bool> = (0..p.cfn_blocks.len())
        .map(|i| query_of(i).is_some() && emitted.is_some_and(|m| m.contains_key(&p.cfn_base[i])))
        .collect();
    for i in (0..needed.len()).rev() {
        if !needed[i] {
            continue;
        }
        let Some(query) = query_of(i) else { continue };
        for input in query.inputs() {
            input.visit_targets(&mut |t| {
                if let Target::Node(n, _) = t {
                    if let Some(flag) = needed.get_mut(n.index as usize) {
                        *flag |= query_of(n.index as usize).is_some();
                    }
                }
            });
        }
    }
    let mut out = Vec::new();
    for (i, _) in needed.iter().enumerate().filter(|(_, n)| **n) {
        let Some(query) = query_of(i) else { continue };
        let input = |e: Expr| match e {
            Expr::Str(s) => Ok(LookupInput::Literal(s)),
            Expr::Ref(Target::Node(n, _)) if query_of(n.index as usize).is_some() || p.is_cfn_parameter(n) => p
                .cfn_addr
                .get(&n)
                .map(|id| LookupInput::Parameter(id.clone()))
                .ok_or(()),
            _ => Err(()),
        };
        match query.clone().try_map(input) {
            Ok(query) => out.push(ParameterLookup {
                parameter: p.cfn_addr.get(&p.node_ref(i)).cloned().unwrap_or_default(),
                query,
            }),
            Err(()) => problems.push(Problem::new(
                &p.stack.nodes[i].path,
                "lookup-input",
                "a lookup's input must be a literal or another lookup, so deploy can resolve it",
            )),
        }
    }
    out
}

/// Runs every check without rendering: the problems [`synth`] would report.
pub fn validate(app: &App) -> Vec<Problem> {
    match synth(app, &Backend::ALL) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems,
    }
}

fn check_cfn_limits(stack: &str, r: &Rendered, bytes: usize, problems: &mut Vec<Problem>) {
    let checks = [
        (
            "resources",
            r.resource_count,
            limits::MAX_RESOURCES,
            "cfn-resource-limit",
        ),
        (
            "parameters",
            r.parameter_count,
            limits::MAX_PARAMETERS,
            "cfn-parameter-limit",
        ),
        ("outputs", r.output_count, limits::MAX_OUTPUTS, "cfn-output-limit"),
        (
            "bytes of template",
            bytes,
            limits::MAX_TEMPLATE_BYTES,
            "cfn-template-size",
        ),
    ];
    for (what, n, max, rule) in checks {
        if n > max {
            problems.push(Problem::new(
                stack,
                rule,
                format!("the CloudFormation template has {n} {what}; the limit is {max}. Split the stack"),
            ));
        }
    }
}

fn prepare<'a>(stack: &'a Stack, problems: &mut Vec<Problem>) -> Prepared<'a> {
    problems.extend(stack.problems.iter().cloned());
    let mut c = Checker::new(stack.name(), problems);
    stack.tags.check(&mut c);

    let mut p = Prepared {
        stack,
        cfn_blocks: Vec::new(),
        tf_blocks: Vec::new(),
        cfn_base: Vec::new(),
        tf_base: Vec::new(),
        cfn_addr: IndexMap::new(),
        tf_addr: IndexMap::new(),
        lookups: IndexSet::new(),
    };
    for (i, node) in stack.nodes.iter().enumerate() {
        let r = p.node_ref(i);
        let mut c = Checker::new(&node.path, problems);
        node.resource.validate(&mut c);
        node.tags.check(&mut c);
        let cx = RenderCx {
            node: r,
            path: &node.path,
        };
        p.cfn_blocks.push(node.resource.cloudformation(&cx));
        p.tf_blocks.push(node.resource.terraform(&cx));
        p.cfn_base.push(ids::logical_id(&node.components));
        p.tf_base.push(ids::terraform_name(&node.components));
        if node.resource.is_lookup() {
            p.lookups.insert(r);
        }
    }
    check_suppressions(stack, problems);
    check_ids(&mut p, problems);
    check_references(&p, problems);
    if problems.is_empty() {
        check_cycles(&p, problems);
    }
    check_unique_keys(stack, problems);
    p
}

/// A suppression needs a reason, a known rule and a construct of this stack.
fn check_suppressions(stack: &Stack, problems: &mut Vec<Problem>) {
    for s in stack.suppressions() {
        if s.reason.is_empty() {
            problems.push(Problem::new(
                &s.path,
                "suppression-reason-required",
                format!(
                    "suppressing {} needs a written reason; reviewers read it in the output",
                    s.rule
                ),
            ));
        }
        if crate::checks::rule(&s.rule).is_none() {
            problems.push(Problem::new(
                &s.path,
                "suppression-unknown-rule",
                format!("there is no check named {:?}", s.rule),
            ));
        }
        if !stack.has_path(&s.path) {
            problems.push(Problem::new(
                &s.path,
                "suppression-unknown-path",
                format!("no construct or scope of stack {} has this path", stack.name()),
            ));
        }
    }
}

/// The suppressions covering a construct, for the output.
pub(crate) fn suppressions_for<'a>(stack: &'a Stack, path: &str) -> Vec<&'a crate::tree::Suppression> {
    stack.suppressions().iter().filter(|s| s.covers(path)).collect()
}

/// Names Terraform does not allow for input variables.
const TF_RESERVED_VARIABLES: [&str; 8] = [
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "lifecycle",
    "depends_on",
    "locals",
];

/// Derives addresses and reports ids that are empty, too long or shared.
fn check_ids(p: &mut Prepared<'_>, problems: &mut Vec<Problem>) {
    let stack = p.stack;
    let mut cfn_seen: IndexMap<String, &str> = IndexMap::new();
    let mut tf_seen: IndexMap<String, &str> = IndexMap::new();
    for (i, node) in stack.nodes.iter().enumerate() {
        let r = p.node_ref(i);
        let base = &p.cfn_base[i];
        if base.is_empty() {
            problems.push(Problem::new(
                &node.path,
                "empty-logical-id",
                "the path has no component besides Default/Resource to derive an id from",
            ));
            continue;
        }
        for (k, block) in p.cfn_blocks[i].iter().enumerate() {
            let suffix = match block {
                CfnBlock::Resource(res) => &res.suffix,
                CfnBlock::Parameter(par) => &par.suffix,
            };
            let id = format!("{base}{suffix}");
            if k == 0 {
                p.cfn_addr.insert(r, id.clone());
            }
            if id.len() > limits::MAX_LOGICAL_ID {
                problems.push(Problem::new(
                    &node.path,
                    "logical-id-length",
                    format!(
                        "logical id {id} is {} characters; CloudFormation allows {}",
                        id.len(),
                        limits::MAX_LOGICAL_ID
                    ),
                ));
            }
            if let Some(other) = cfn_seen.insert(id.clone(), &node.path) {
                if other != node.path {
                    problems.push(Problem::new(
                        &node.path,
                        "logical-id-collision",
                        format!("logical id {id} is also derived from {other}; rename one of the two constructs"),
                    ));
                } else {
                    problems.push(Problem::new(
                        &node.path,
                        "logical-id-collision",
                        format!("the construct renders two CloudFormation blocks with the logical id {id}"),
                    ));
                }
            }
        }
        for (k, block) in p.tf_blocks[i].iter().enumerate() {
            let address = terraform::block_address(&p.tf_base[i], block);
            let name = terraform::block_name(&p.tf_base[i], block);
            if block.section == TfSection::Variable && TF_RESERVED_VARIABLES.contains(&name.as_str()) {
                problems.push(Problem::new(
                    &node.path,
                    "terraform-reserved-name",
                    format!("Terraform reserves the variable name {name:?}; give the construct another id"),
                ));
            }
            if k == 0 {
                p.tf_addr.insert(r, address.clone());
            }
            if let Some(other) = tf_seen.insert(address.clone(), &node.path) {
                problems.push(Problem::new(
                    &node.path,
                    "terraform-name-collision",
                    format!(
                        "Terraform address {address} is also derived from {other}; rename one of the two constructs"
                    ),
                ));
            }
        }
    }
    let mut outputs: IndexMap<String, &str> = IndexMap::new();
    for o in &stack.outputs {
        let id = ids::logical_id(std::slice::from_ref(&o.id));
        if let Some(other) = outputs.insert(id.clone(), &o.id) {
            if other != o.id {
                problems.push(Problem::new(
                    format!("{}/{}", stack.name(), o.id),
                    "logical-id-collision",
                    format!("output id {id} is also derived from output {other}"),
                ));
            }
        }
    }
}

/// Every reference must point at a construct of this stack.
fn check_references(p: &Prepared<'_>, problems: &mut Vec<Problem>) {
    let stack = p.stack;
    let check = |path: &str, target: NodeRef, problems: &mut Vec<Problem>| {
        let problem = if target.app != stack.app_id() {
            Some(("foreign-reference", "references a construct of another app".to_string()))
        } else if target.stack != stack.index() {
            Some((
                "cross-stack-reference",
                "references a construct in another stack; cross-stack references are not supported, look the resource up instead".to_string(),
            ))
        } else if stack.node(target).is_none() {
            Some((
                "dangling-reference",
                "references a construct that does not exist".to_string(),
            ))
        } else {
            None
        };
        if let Some((rule, message)) = problem {
            let pr = Problem::new(path, rule, message);
            if !problems.contains(&pr) {
                problems.push(pr);
            }
        }
    };
    for (i, node) in stack.nodes.iter().enumerate() {
        let mut targets: Vec<NodeRef> = node.depends_on.clone();
        let mut collect = |e: &crate::expr::Expr| {
            e.visit_targets(&mut |t| {
                if let Target::Node(n, _) = t {
                    targets.push(*n)
                }
            })
        };
        for b in &p.cfn_blocks[i] {
            if let CfnBlock::Resource(res) = b {
                res.properties.values().for_each(&mut collect);
            }
        }
        for b in &p.tf_blocks[i] {
            b.body.values().for_each(&mut collect);
        }
        for b in &p.cfn_blocks[i] {
            if let CfnBlock::Resource(res) = b {
                targets.extend(&res.depends_on);
            }
        }
        for b in &p.tf_blocks[i] {
            targets.extend(&b.depends_on);
        }
        for t in targets {
            check(&node.path, t, problems);
        }
    }
    for o in &stack.outputs {
        let path = format!("{}/{}", stack.name(), o.id);
        let mut targets = Vec::new();
        o.value.visit_targets(&mut |t| {
            if let Target::Node(n, _) = t {
                targets.push(*n)
            }
        });
        for t in targets {
            check(&path, t, problems);
        }
    }
}

/// The constructs each construct refers to or depends on, in one backend.
fn edges(p: &Prepared<'_>, backend: Backend) -> Vec<Vec<usize>> {
    let stack = p.stack;
    (0..stack.nodes.len())
        .map(|i| {
            let mut out: Vec<usize> = stack.nodes[i].depends_on.iter().map(|d| d.index as usize).collect();
            let mut exprs: Vec<&crate::expr::Expr> = Vec::new();
            match backend {
                Backend::CloudFormation => {
                    for b in &p.cfn_blocks[i] {
                        if let CfnBlock::Resource(res) = b {
                            exprs.extend(res.properties.values());
                            out.extend(res.depends_on.iter().map(|d| d.index as usize));
                        }
                    }
                }
                Backend::Terraform => {
                    for b in &p.tf_blocks[i] {
                        exprs.extend(b.body.values());
                        out.extend(b.depends_on.iter().map(|d| d.index as usize));
                    }
                }
            }
            for e in exprs {
                e.visit_targets(&mut |t| {
                    if let Target::Node(n, _) = t {
                        out.push(n.index as usize)
                    }
                });
            }
            out.retain(|&j| j != i && j < stack.nodes.len());
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect()
}

/// Reference cycles cannot be deployed by either backend (CloudFormation:
/// "Circular dependency between resources"; Terraform: "Cycle"). Each cycle is
/// reported once, at its first construct, with the whole loop.
fn check_cycles(p: &Prepared<'_>, problems: &mut Vec<Problem>) {
    let nodes = &p.stack.nodes;
    let mut reported: IndexSet<Vec<usize>> = IndexSet::new();
    for backend in Backend::ALL {
        let graph = edges(p, backend);
        // 0 = unvisited, 1 = on the current path, 2 = done.
        let mut state = vec![0u8; nodes.len()];
        for start in 0..nodes.len() {
            if state[start] != 0 {
                continue;
            }
            // Iterative depth-first search keeping the current path.
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = path.last_mut() {
                if let Some(&succ) = graph[node].get(*next) {
                    *next += 1;
                    match state[succ] {
                        0 => {
                            state[succ] = 1;
                            path.push((succ, 0));
                        }
                        1 => {
                            let from = path.iter().position(|&(n, _)| n == succ).unwrap_or(0);
                            let mut cycle: Vec<usize> = path[from..].iter().map(|&(n, _)| n).collect();
                            let mut key = cycle.clone();
                            key.sort_unstable();
                            if reported.insert(key) {
                                cycle.push(succ);
                                let names: Vec<&str> = cycle.iter().map(|&n| nodes[n].path.as_str()).collect();
                                problems.push(Problem::new(
                                    &nodes[cycle[0]].path,
                                    "reference-cycle",
                                    format!(
                                        "constructs refer to each other in a loop, which {} cannot deploy: {}",
                                        match backend {
                                            Backend::CloudFormation => "CloudFormation",
                                            Backend::Terraform => "Terraform",
                                        },
                                        names.join(" -> ")
                                    ),
                                ));
                            }
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    path.pop();
                }
            }
        }
    }
}

fn check_unique_keys(stack: &Stack, problems: &mut Vec<Problem>) {
    let mut seen: IndexMap<(&'static str, String), &str> = IndexMap::new();
    for node in &stack.nodes {
        for (rule, key, what) in node.resource.unique_keys() {
            if let Some(other) = seen.insert((rule, key), &node.path) {
                problems.push(Problem::new(
                    &node.path,
                    rule,
                    format!("{what} is already used by {other}"),
                ));
            }
        }
    }
}

/// Applies escape-hatch overrides for one rendered block.
pub(crate) fn apply_overrides(body: &mut Json, overrides: &[Override], backend: Backend, block: Option<&str>) {
    for o in overrides
        .iter()
        .filter(|o| o.backend == backend && o.block.as_deref() == block)
    {
        let Some((last, parents)) = o.path.split_last() else {
            continue;
        };
        let mut cur = &mut *body;
        for key in parents {
            let Json::Object(m) = cur else { break };
            cur = m.entry(key.clone()).or_insert_with(|| Json::Object(Map::new()));
            if !cur.is_object() {
                *cur = Json::Object(Map::new());
            }
        }
        if let Json::Object(m) = cur {
            match &o.value {
                Some(v) => {
                    m.insert(last.clone(), v.clone());
                }
                None => {
                    m.shift_remove(last);
                }
            }
        }
    }
}
