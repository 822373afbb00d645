//! Preparing a stack: every resource renders its blocks, ids are derived,
//! composites pass their dependencies and tags down, and everything that can
//! be wrong with the stack is collected as problems.

use super::{cloudformation, limits, terraform, Prepared};
use crate::expr::{Expr, FxIndexMap, FxIndexSet, Pseudo, Target};
use crate::ids;
use crate::problem::{Checker, Problem};
use crate::resource::{CfnBlock, RenderCx, TfSection};
use crate::tags::Tags;
use crate::tree::{App, Backend, NodeRef, Stack};

pub(crate) fn prepare<'a>(
    app: &App,
    stack: &'a Stack,
    backends: &[Backend],
    problems: &mut Vec<Problem>,
) -> Prepared<'a> {
    problems.extend(stack.problems.iter().cloned());
    let mut c = Checker::new(stack.name(), problems);
    stack.tags.check(&mut c);

    let n = stack.nodes.len();
    let mut p = Prepared {
        stack,
        deps: Vec::with_capacity(n),
        tags: Vec::with_capacity(n),
        cfn_blocks: Vec::with_capacity(n),
        tf_blocks: Vec::with_capacity(n),
        cfn_entries: Vec::with_capacity(n),
        tf_entries: Vec::with_capacity(n),
        tf_awaited: Vec::new(),
        cfn_refs: Vec::with_capacity(n),
        tf_refs: Vec::with_capacity(n),
        tf_pseudo: Vec::with_capacity(n),
        cfn_base: Vec::with_capacity(n),
        tf_base: Vec::with_capacity(n),
        cfn_addr: Default::default(),
        tf_addr: Default::default(),
        lookups: Default::default(),
    };
    let cfn = backends.contains(&Backend::CloudFormation);
    let tf = backends.contains(&Backend::Terraform);
    for (i, node) in stack.nodes.iter().enumerate() {
        let r = p.node_ref(i);
        let mut c = Checker::new(&node.path, problems);
        node.tags.check(&mut c);
        let (mut cfn_blocks, mut tf_blocks) = (Vec::new(), Vec::new());
        if let Some(resource) = &node.resource {
            resource.validate(&mut c);
            let cx = RenderCx {
                node: r,
                path: &node.path,
            };
            let unsupported = |backend: Backend, problems: &mut Vec<Problem>| {
                problems.push(Problem::new(
                    &node.path,
                    "backend-unsupported",
                    format!(
                        "{} renders only for {}, and {} was asked for: add a {} rendering, or declare the app {}-only with App::set_backends",
                        node.kind,
                        Backend::ALL.iter().find(|b| **b != backend).map_or("", |b| b.display_name()),
                        backend.display_name(),
                        backend.display_name(),
                        Backend::ALL.iter().find(|b| **b != backend).map_or("", |b| b.display_name()),
                    ),
                ))
            };
            if cfn {
                match resource.cloudformation(&cx) {
                    Some(blocks) => cfn_blocks = blocks,
                    None => unsupported(Backend::CloudFormation, problems),
                }
            }
            if tf {
                match resource.terraform(&cx) {
                    Some(blocks) => tf_blocks = blocks,
                    None => unsupported(Backend::Terraform, problems),
                }
            }
            if resource.is_lookup() {
                p.lookups.insert(r);
            }
        }
        p.cfn_blocks.push(cfn_blocks);
        p.tf_blocks.push(tf_blocks);
        p.cfn_base.push(ids::logical_id(&node.components));
        p.tf_base.push(ids::terraform_name(&node.components));
        p.tags.push(inherited_tags(stack, i));
    }
    p.deps = (0..n).map(|i| effective_deps(stack, i)).collect();
    check_suppressions(app, stack, problems);
    check_ids(&mut p, problems);
    check_overrides(&p, problems);
    finalize(&mut p, problems);
    check_references(&p, problems);
    if problems.is_empty() {
        check_cycles(&p, problems);
    }
    check_unique_keys(stack, problems);
    crate::kms::check_key_users(stack, problems);
    p
}

/// The constructs an expression refers to, and the environment values it needs.
fn targets_of<'e>(exprs: impl Iterator<Item = &'e Expr>) -> (Vec<NodeRef>, Vec<Pseudo>) {
    let (mut nodes, mut pseudo) = (Vec::new(), Vec::new());
    for e in exprs {
        e.visit_targets(&mut |t| match t {
            Target::Node(n, _) => nodes.push(*n),
            Target::Pseudo(ps) => pseudo.push(*ps),
        });
    }
    nodes.sort_unstable();
    nodes.dedup();
    pseudo.dedup();
    (nodes, pseudo)
}

/// Turns every construct's blocks into final entries (see the backends'
/// `finalize`), reporting overrides that do not fit the rendered tree.
fn finalize(p: &mut Prepared<'_>, problems: &mut Vec<Problem>) {
    let n = p.stack.nodes.len();
    p.tf_awaited = (0..n)
        .map(|i| {
            p.tf_blocks[i]
                .iter()
                .filter(|b| b.awaited)
                .map(|b| terraform::block_address(&p.tf_base[i], b))
                .collect()
        })
        .collect();
    for i in 0..n {
        let (cfn, mut errors) = cloudformation::finalize(p, i);
        let (tf, tf_errors) = terraform::finalize(p, i);
        errors.extend(tf_errors);
        // What each construct refers to, found once for every later step.
        p.cfn_refs.push(targets_of(cfn.iter().map(|e| &e.body)).0);
        let (tf_refs, tf_pseudo) = targets_of(tf.iter().map(|e| &e.body));
        p.tf_refs.push(tf_refs);
        p.tf_pseudo.push(tf_pseudo);
        p.cfn_entries.push(cfn);
        p.tf_entries.push(tf);
        for e in errors {
            problems.push(Problem::new(&p.stack.nodes[i].path, "invalid-override", e));
        }
    }
}

/// The tags of a construct and of every composite around it, outermost first.
fn inherited_tags(stack: &Stack, index: usize) -> Tags {
    let chain: Vec<&Tags> = stack.ancestry(index).map(|n| &n.tags).collect();
    let mut tags = Tags::default();
    for t in chain.into_iter().rev() {
        tags = tags.merged(t);
    }
    tags
}

/// A resource's dependencies: its own and those of the composites around it,
/// each composite or scope depended on replaced by every resource under it.
fn effective_deps(stack: &Stack, index: usize) -> Vec<NodeRef> {
    if stack.nodes[index].resource.is_none() {
        return Vec::new();
    }
    let mut out: Vec<NodeRef> = Vec::new();
    for node in stack.ancestry(index) {
        for d in &node.depends_on {
            let target = d.index as usize;
            match stack.node(*d) {
                // A dangling or foreign dependency is kept so validation reports it.
                None => {
                    out.push(*d);
                    continue;
                }
                Some(n) if n.resource.is_some() => {
                    out.push(*d);
                    continue;
                }
                Some(_) => {}
            }
            for (j, n) in stack.nodes.iter().enumerate().skip(target + 1) {
                if n.resource.is_some() && stack.is_under(j, target) {
                    out.push(stack.node_ref(j));
                }
            }
        }
    }
    let this = stack.node_ref(index);
    out.retain(|d| *d != this);
    let mut seen = FxIndexSet::default();
    out.retain(|d| seen.insert(*d));
    out
}

/// Overrides must name a block the construct renders, follow the resource
/// type's schema (when the schemas know the type), and fit the rendered tree.
fn check_overrides(p: &Prepared<'_>, problems: &mut Vec<Problem>) {
    for (i, node) in p.stack.nodes.iter().enumerate() {
        for o in &node.overrides {
            let rendered = match o.backend {
                Backend::CloudFormation => !p.cfn_blocks[i].is_empty(),
                Backend::Terraform => !p.tf_blocks[i].is_empty(),
            };
            if !rendered {
                // This backend is not being rendered (or the construct has no
                // rendering for it, which is reported already).
                continue;
            }
            let result = match o.backend {
                Backend::CloudFormation => cloudformation::check_override(p, i, o),
                Backend::Terraform => terraform::check_override(p, i, o),
            };
            if let Err(message) = result {
                problems.push(Problem::new(
                    &node.path,
                    "invalid-override",
                    format!("{} override {}: {message}", o.backend.display_name(), o.path),
                ));
            }
        }
    }
}

/// A suppression needs a reason, a known rule (built-in, of a registered rule
/// pack, or a checkov check id) and a construct of this stack.
fn check_suppressions(app: &App, stack: &Stack, problems: &mut Vec<Problem>) {
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
        if crate::checks::rule_of(app, &s.rule).is_none() && !crate::checks::checkov::is_checkov_id(&s.rule) {
            problems.push(Problem::new(
                &s.path,
                "suppression-unknown-rule",
                format!(
                    "there is no check named {:?}: name a rule of the checks or a checkov id such as CKV_AWS_18",
                    s.rule
                ),
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
    // id -> (construct index, path)
    let mut cfn_seen: FxIndexMap<String, (usize, &str)> = FxIndexMap::default();
    let mut tf_seen: FxIndexMap<String, (usize, &str)> = FxIndexMap::default();
    for (i, node) in stack.nodes.iter().enumerate() {
        if node.resource.is_none() {
            // Composites and scopes render nothing, so they need no id.
            continue;
        }
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
            let id = [base.as_str(), suffix].concat();
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
            match cfn_seen.insert(id.clone(), (i, &node.path)) {
                Some((j, _)) if j == i => problems.push(Problem::new(
                    &node.path,
                    "logical-id-collision",
                    format!("the construct renders two CloudFormation blocks with the logical id {id}"),
                )),
                // The same path twice is a duplicate id, reported as such already.
                Some((_, other)) if other == node.path => {}
                Some((_, other)) => problems.push(Problem::new(
                    &node.path,
                    "logical-id-collision",
                    format!("logical id {id} is also derived from {other}; rename one of the two constructs"),
                )),
                None => {}
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
            if let Some((j, other)) = tf_seen.insert(address.clone(), (i, &node.path)) {
                if j == i {
                    problems.push(Problem::new(
                        &node.path,
                        "terraform-name-collision",
                        format!("the construct renders two Terraform blocks with the address {address}"),
                    ));
                    continue;
                }
                if other == node.path {
                    // The same path twice is a duplicate id, reported as such already.
                    continue;
                }
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
    let mut outputs: FxIndexMap<String, &str> = FxIndexMap::default();
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
        let mut targets: Vec<NodeRef> = p.deps[i].clone();
        targets.extend(&p.cfn_refs[i]);
        targets.extend(&p.tf_refs[i]);
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
            let mut out: Vec<usize> = p.deps[i].iter().map(|d| d.index as usize).collect();
            match backend {
                Backend::CloudFormation => {
                    out.extend(p.cfn_refs[i].iter().map(|d| d.index as usize));
                    for b in &p.cfn_blocks[i] {
                        if let CfnBlock::Resource(res) = b {
                            out.extend(res.depends_on.iter().map(|d| d.index as usize));
                        }
                    }
                }
                Backend::Terraform => {
                    out.extend(p.tf_refs[i].iter().map(|d| d.index as usize));
                    for b in &p.tf_blocks[i] {
                        out.extend(b.depends_on.iter().map(|d| d.index as usize));
                    }
                }
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
    let mut reported: FxIndexSet<Vec<usize>> = FxIndexSet::default();
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
    let mut seen: FxIndexMap<(&'static str, String), &str> = FxIndexMap::default();
    for node in &stack.nodes {
        let Some(resource) = &node.resource else { continue };
        for (rule, key, what) in resource.unique_keys() {
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
