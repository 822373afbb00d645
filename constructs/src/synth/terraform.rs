//! Terraform JSON: expression rendering and root-module assembly.

use super::json_text::JsonText;
use super::{Prepared, Rendered};
use crate::checks::checkov;
use crate::expr::{Expr, FxIndexMap, FxIndexSet, Pseudo, Target};
use crate::resource::{Props, TfBlock, TfSection};
use crate::tree::{Backend, NodeRef, Override};

/// The Terraform and AWS provider versions the output is written for. The
/// provider is held to the 5.x line the test machines carry (5.100.0): 6.x renamed
/// attributes used here (e.g. `aws_region.name`). The Terraform version is
/// written as a comment, not as `required_version` (see [`module`]).
pub const REQUIRED_TERRAFORM: &str = ">= 1.5.0";
pub const AWS_PROVIDER_SOURCE: &str = "hashicorp/aws";
pub const AWS_PROVIDER_VERSION: &str = "~> 5.100";

/// Where references to each construct point: the address of its main block,
/// `aws_x.name`, `data.aws_x.name` or `var.name`.
pub(crate) type TfAddresses = FxIndexMap<NodeRef, String>;

/// What a rendering referenced: constructs, and environment values that need a
/// data source of their own.
#[derive(Default)]
pub(crate) struct TfUsed {
    pub nodes: FxIndexSet<NodeRef>,
    pub pseudo: FxIndexSet<Pseudo>,
}

/// Escapes a literal for a Terraform template string: `${` → `$${`, `%{` → `%%{`.
/// Borrows when there is nothing to escape (no `{`), which is almost always.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.as_bytes().contains(&b'{') {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.replace("${", "$${").replace("%{", "%%{"))
}

fn pseudo_address(p: Pseudo) -> &'static str {
    match p {
        Pseudo::AccountId => "data.aws_caller_identity.current.account_id",
        Pseudo::Region => "data.aws_region.current.name",
        Pseudo::Partition => "data.aws_partition.current.partition",
        Pseudo::UrlSuffix => "data.aws_partition.current.dns_suffix",
    }
}

fn reference(t: &Target, addr: &TfAddresses, used: &mut TfUsed) -> String {
    match t {
        Target::Pseudo(p) => {
            used.pseudo.insert(*p);
            pseudo_address(*p).to_string()
        }
        Target::Node(n, a) => {
            used.nodes.insert(*n);
            // Validation rejects references to constructs outside the stack before rendering.
            let base = addr.get(n).map(String::as_str).unwrap_or("unresolved.reference");
            if a.tf.is_empty() {
                base.to_string()
            } else {
                [base, ".", a.tf.as_ref()].concat()
            }
        }
    }
}

/// Writes `"${address.attr}"` without building it first.
fn write_reference(w: &mut JsonText, t: &Target, addr: &TfAddresses, used: &mut TfUsed) {
    match t {
        Target::Pseudo(p) => {
            used.pseudo.insert(*p);
            w.string_from(&["${", pseudo_address(*p), "}"]);
        }
        Target::Node(n, a) => {
            used.nodes.insert(*n);
            let base = addr.get(n).map(String::as_str).unwrap_or("unresolved.reference");
            if a.tf.is_empty() {
                w.string_from(&["${", base, "}"]);
            } else {
                w.string_from(&["${", base, ".", a.tf, "}"]);
            }
        }
    }
}

/// Writes one value. References become `"${address.attr}"` (a string that is
/// one interpolation keeps the referenced value's type, e.g. a list), literals
/// are escaped, and JSON documents become canonical JSON strings whose
/// references still interpolate because the whole string is a template.
pub(crate) fn write(w: &mut JsonText, expr: &Expr, addr: &TfAddresses, used: &mut TfUsed) {
    match expr {
        Expr::Null => w.null(),
        Expr::Bool(b) => w.bool(*b),
        Expr::Int(n) => w.int(*n),
        Expr::Num(n) => w.float(*n),
        Expr::Str(s) => w.string(&escape(s)),
        Expr::Ref(t) => write_reference(w, t, addr, used),
        Expr::Concat(parts) => {
            let mut s = String::new();
            for part in parts {
                match part {
                    Expr::Str(lit) => s.push_str(&escape(lit)),
                    Expr::Ref(t) => {
                        s.push_str("${");
                        s.push_str(&reference(t, addr, used));
                        s.push('}');
                    }
                    Expr::Int(n) => s.push_str(&n.to_string()),
                    Expr::Num(n) => s.push_str(&n.to_string()),
                    Expr::Bool(b) => s.push_str(&b.to_string()),
                    other => {
                        let mut inner = JsonText::compact();
                        write(&mut inner, other, addr, used);
                        s.push_str(&inner.out);
                    }
                }
            }
            w.string(&s);
        }
        Expr::List(items) => {
            w.begin_array();
            for item in items {
                w.item();
                write(w, item, addr, used);
            }
            w.end_array();
        }
        Expr::Map(m) => {
            w.begin_object();
            for (k, v) in m {
                w.key(k);
                write(w, v, addr, used);
            }
            w.end_object();
        }
        Expr::Json(inner) if refers_to_variable(inner, addr) => {
            // A variable's value is whatever the deployer passes; spliced into a
            // JSON text it could break out of its string (a `"` in an image
            // tag). Terraform's own jsonencode escapes it.
            w.string(&format!("${{jsonencode({})}}", hcl(inner, addr, used)));
        }
        Expr::Json(inner) if w.is_in_string() => {
            // A document inside a document's string: escaped twice over.
            let mut doc = JsonText::compact();
            write(&mut doc, inner, addr, used);
            w.string(&doc.out);
        }
        Expr::Json(inner) => {
            // Written straight into the string that holds it, escaped as it goes.
            w.out.push('"');
            let mut doc = JsonText::compact_in_string(std::mem::take(&mut w.out));
            write(&mut doc, inner, addr, used);
            w.out = doc.out;
            w.out.push('"');
        }
    }
}

/// Whether a document refers to an input variable (a deploy-time `Parameter`).
fn refers_to_variable(e: &Expr, addr: &TfAddresses) -> bool {
    let mut found = false;
    e.visit_targets(&mut |t| {
        if let Target::Node(n, _) = t {
            found |= addr.get(n).is_some_and(|a| a.starts_with("var."));
        }
    });
    found
}

/// An HCL string literal (inside a template, so `${` and `%{` are escaped too).
fn hcl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    escape(&out).into_owned()
}

/// A value as an HCL expression, for `jsonencode(...)`: objects keep their key
/// order in the text (jsonencode itself sorts keys), references are bare
/// traversals, strings mixing literals and references are quoted templates.
fn hcl(e: &Expr, addr: &TfAddresses, used: &mut TfUsed) -> String {
    match e {
        Expr::Null => "null".into(),
        Expr::Bool(b) => b.to_string(),
        Expr::Int(n) => n.to_string(),
        Expr::Num(n) => n.to_string(),
        Expr::Str(s) => hcl_string(s),
        Expr::Ref(t) => reference(t, addr, used),
        Expr::Concat(parts) => {
            let mut out = String::from("\"");
            for part in parts {
                match part {
                    Expr::Ref(t) => out.push_str(&format!("${{{}}}", reference(t, addr, used))),
                    Expr::Str(s) => {
                        let quoted = hcl_string(s);
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    }
                    other => out.push_str(&format!("${{{}}}", hcl(other, addr, used))),
                }
            }
            out.push('"');
            out
        }
        Expr::List(items) => {
            let items: Vec<String> = items.iter().map(|i| hcl(i, addr, used)).collect();
            format!("[{}]", items.join(", "))
        }
        Expr::Map(m) => {
            let entries: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{} = {}", hcl_string(k), hcl(v, addr, used)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Expr::Json(inner) => format!("jsonencode({})", hcl(inner, addr, used)),
    }
}

/// The block's name within its type: the construct's name plus the block suffix.
pub(crate) fn block_name(base: &str, block: &TfBlock) -> String {
    if block.suffix.is_empty() {
        base.to_string()
    } else {
        [base, "_", &block.suffix].concat()
    }
}

/// The address other blocks use for this block.
pub(crate) fn block_address(base: &str, block: &TfBlock) -> String {
    // Built with `concat`, not `format!`: this runs for every block of every
    // stack, and formatting machinery costs several times the copy.
    let name = block_name(base, block);
    match block.section {
        TfSection::Resource => [&block.type_name, ".", &name].concat(),
        TfSection::Data => ["data.", &block.type_name, ".", &name].concat(),
        TfSection::Variable => ["var.", &name].concat(),
    }
}

/// A Terraform block after preparation: its body with the suppression
/// comment, tags and `depends_on` added and overrides applied.
pub(crate) struct Entry {
    pub section: TfSection,
    pub type_name: String,
    pub name: String,
    pub body: Expr,
    /// The constructs `depends_on` names, so data sources it names are emitted.
    pub deps: Vec<NodeRef>,
    /// checkov checks skipped on this resource (for the baseline file).
    pub checkov_skips: Vec<String>,
}

/// The block an override addresses: `None` for the main block, else the
/// secondary block's Terraform type.
fn block_key<'b>(first: &TfBlock, block: &'b TfBlock) -> Option<&'b str> {
    (!block.suffix.is_empty() || block.type_name != first.type_name).then_some(block.type_name.as_ref())
}

/// Builds the blocks of construct `i`, applying its Terraform overrides.
/// Problems with the overrides are returned as messages.
pub(crate) fn finalize(p: &mut Prepared<'_>, i: usize) -> (Vec<Entry>, Vec<String>) {
    let stack = p.stack;
    let node = &stack.nodes[i];
    let mut errors = Vec::new();
    // Terraform ignores a "//" property: reviewers see why a check is
    // suppressed, and each checkov check skipped is a line of checkov's inline
    // form `checkov:skip=<id>:<reason>` (one element per line, since checkov
    // reads one skip per line).
    let ours: Vec<String> = super::suppressions_for(stack, &node.path)
        .iter()
        .filter(|s| !checkov::is_checkov_id(&s.rule))
        .map(|s| format!("{}: {}", s.rule, s.reason))
        .collect();
    let mut lines: Vec<Expr> = Vec::new();
    if !ours.is_empty() {
        lines.push(Expr::str(format!("checks suppressed: {}", ours.join("; "))));
    }
    let skips = checkov::skips_for(stack, &node.path);
    for skip in &skips {
        lines.push(Expr::str(format!("checkov:skip={}:{}", skip.id, skip.comment)));
    }
    let comment = (!lines.is_empty()).then_some(Expr::List(lines));
    let mut blocks = std::mem::take(&mut p.tf_blocks[i]);
    let mut entries = Vec::with_capacity(blocks.len());
    for k in 0..blocks.len() {
        // Referring to a construct means waiting for its awaited blocks too.
        let mut referenced: Vec<usize> = Vec::new();
        for e in blocks[k].body.values() {
            e.visit_targets(&mut |t| {
                if let Target::Node(n, _) = t {
                    referenced.push(n.index as usize);
                }
            });
        }
        let which = block_key(&blocks[0], &blocks[k]).map(str::to_string);
        let block = &mut blocks[k];
        let mut body = Props::default();
        if let (Some(c), TfSection::Resource) = (&comment, block.section) {
            body.insert("//".into(), c.clone());
        }
        body.extend(std::mem::take(&mut block.body));
        let tags = &p.tags[i];
        if block.taggable && !tags.is_empty() {
            let mut merged: Props = tags.iter().map(|(k, v)| (k.to_string(), Expr::str(v))).collect();
            // Tags the block sets itself (an L1's `tags`) win over inherited
            // ones. A `tags` given whole as an expression (a reference) is
            // kept as it is: nothing can be merged into it.
            match body.get_mut("tags") {
                Some(Expr::Map(own)) => {
                    merged.extend(std::mem::take(own).into_iter());
                    *own = merged;
                }
                Some(_) => {}
                None => {
                    body.insert("tags".into(), Expr::Map(merged));
                }
            }
        }
        let mut deps: Vec<String> = Vec::new();
        let mut dep_nodes: Vec<NodeRef> = Vec::new();
        for d in p.deps[i].iter().chain(&block.depends_on) {
            dep_nodes.push(*d);
            let a = p.tf_addr.get(d).cloned().unwrap_or_default();
            if !a.is_empty() && !a.starts_with("var.") && !deps.contains(&a) {
                deps.push(a);
            }
        }
        for r in referenced.into_iter().filter(|&r| r != i) {
            for awaited in p.tf_awaited.get(r).into_iter().flatten() {
                if !deps.contains(awaited) {
                    deps.push(awaited.clone());
                }
            }
        }
        if !deps.is_empty() {
            body.insert(
                "depends_on".into(),
                Expr::List(deps.into_iter().map(Expr::Str).collect()),
            );
        }
        let mut body = Expr::Map(body);
        for o in node
            .overrides
            .iter()
            .filter(|o| o.backend == Backend::Terraform && o.block.as_deref() == which.as_deref())
        {
            if let Err(e) = super::overrides::apply(&mut body, &o.path, o.value.as_ref()) {
                errors.push(format!(
                    "{} override {}: {e}",
                    Backend::Terraform.display_name(),
                    o.path
                ));
            }
        }
        let checkov_skips = match block.section {
            TfSection::Resource => skips.iter().map(|s| s.id.clone()).collect(),
            _ => Vec::new(),
        };
        entries.push(Entry {
            section: block.section,
            type_name: block.type_name.to_string(),
            name: block_name(&p.tf_base[i], block),
            body,
            deps: dep_nodes,
            checkov_skips,
        });
    }
    p.tf_blocks[i] = blocks;
    (entries, errors)
}

/// Checks an override against the block's schema and the construct's blocks.
pub(crate) fn check_override(p: &Prepared<'_>, i: usize, o: &Override) -> Result<(), String> {
    let blocks = &p.tf_blocks[i];
    let Some(first) = blocks.first() else { return Ok(()) };
    let wanted = o.block.as_deref();
    let Some(block) = blocks.iter().find(|b| block_key(first, b) == wanted) else {
        let names: Vec<String> = blocks
            .iter()
            .map(|b| block_key(first, b).map_or("the main block".to_string(), |k| format!("{k:?}")))
            .collect();
        return Err(format!(
            "the construct has no block {:?}; its blocks are {}",
            wanted.unwrap_or_default(),
            names.join(", ")
        ));
    };
    let schema = match block.section {
        TfSection::Resource => crate::schema::terraform::resource(&block.type_name),
        TfSection::Data => crate::schema::terraform::data_source(&block.type_name),
        TfSection::Variable => None,
    };
    if let Some(schema) = schema {
        schema.check_body_path(o.path.segments()).map_err(|e| {
            format!(
                "{} {} {}",
                block.type_name,
                crate::property_path::PropertyPath(o.path.segments()[..=e.depth].to_vec()),
                e.message
            )
        })?;
    }
    Ok(())
}

/// Writes the root module. What it needs is worked out first: every
/// resource, variable and output, and the lookups (data sources) they
/// reference, following references between lookups until nothing new is
/// needed; then the document is written in one pass, each block straight
/// into the output text.
pub(crate) fn module(p: &Prepared<'_>) -> Rendered {
    let stack = p.stack;
    let n = stack.nodes.len();
    let mut used = TfUsed::default();
    let note = |e: &Expr, used: &mut TfUsed| {
        e.visit_targets(&mut |t| match t {
            Target::Node(r, _) => {
                used.nodes.insert(*r);
            }
            Target::Pseudo(ps) => {
                used.pseudo.insert(*ps);
            }
        })
    };
    let mut included = vec![false; n];
    let include = |i: usize, used: &mut TfUsed, included: &mut Vec<bool>| {
        included[i] = true;
        used.nodes.extend(p.tf_refs[i].iter().copied());
        used.pseudo.extend(p.tf_pseudo[i].iter().copied());
        for e in &p.tf_entries[i] {
            used.nodes.extend(e.deps.iter().copied());
        }
    };
    for i in 0..n {
        if !p.lookups.contains(&p.node_ref(i)) {
            include(i, &mut used, &mut included);
        }
    }
    for o in &stack.outputs {
        note(&o.value, &mut used);
    }
    // Lookups, to a fixed point: a listener lookup references its load balancer lookup.
    loop {
        let pending: Vec<usize> = (0..n)
            .filter(|&i| !included[i] && used.nodes.contains(&p.node_ref(i)))
            .collect();
        if pending.is_empty() {
            break;
        }
        for i in pending {
            include(i, &mut used, &mut included);
        }
    }

    // section -> type -> [entries], types in the order first seen.
    let mut variables: Vec<&Entry> = Vec::new();
    let mut data: FxIndexMap<&str, Vec<&Entry>> = FxIndexMap::default();
    let mut resources: FxIndexMap<&str, Vec<&Entry>> = FxIndexMap::default();
    for (i, entries) in p.tf_entries.iter().enumerate() {
        if !included[i] {
            continue;
        }
        for e in entries {
            match e.section {
                TfSection::Variable => variables.push(e),
                TfSection::Data => data.entry(e.type_name.as_str()).or_default().push(e),
                TfSection::Resource => resources.entry(e.type_name.as_str()).or_default().push(e),
            }
        }
    }
    let resource_count = resources.values().map(Vec::len).sum();
    // Environment data sources, in a fixed order, after the lookups.
    let env_sources = [
        (Pseudo::AccountId, "aws_caller_identity"),
        (Pseudo::Region, "aws_region"),
        (Pseudo::Partition, "aws_partition"),
    ];
    let env_sources: Vec<&str> = env_sources
        .iter()
        .filter(|(pseudo, _)| {
            used.pseudo.contains(pseudo) || (*pseudo == Pseudo::Partition && used.pseudo.contains(&Pseudo::UrlSuffix))
        })
        .map(|(_, t)| *t)
        .collect();

    let mut doc = JsonText::pretty_with_capacity(2048 * (resource_count + 1));
    // Rendering records what it references; that is known already.
    let mut scratch = TfUsed::default();
    doc.begin_object();
    if let Some(d) = stack.description() {
        doc.key("//");
        doc.string(d);
    }
    // Every entry of the `terraform` block is an object: checkov's
    // `terraform_json` parser fails on the whole file (and runs no check) when
    // one is a plain string such as `required_version`, so the Terraform
    // version the output is written for is stated in a comment both ignore
    // (deploy checks the version of the terraform it runs).
    doc.key("terraform");
    doc.begin_object();
    doc.key("//");
    doc.string(&format!("written for Terraform {REQUIRED_TERRAFORM}"));
    doc.key("required_providers");
    doc.begin_object();
    doc.key("aws");
    doc.begin_object();
    doc.key("source");
    doc.string(AWS_PROVIDER_SOURCE);
    doc.key("version");
    doc.string(AWS_PROVIDER_VERSION);
    doc.end_object();
    doc.end_object();
    doc.end_object();
    doc.key("provider");
    doc.begin_object();
    doc.key("aws");
    doc.begin_object();
    if let Some(region) = &stack.region {
        doc.key("region");
        doc.string(&escape(region));
    }
    if let Some(account) = &stack.account {
        doc.key("allowed_account_ids");
        doc.begin_array();
        doc.item();
        doc.string(account);
        doc.end_array();
    }
    if !stack.tags.is_empty() {
        doc.key("default_tags");
        doc.begin_object();
        doc.key("tags");
        doc.begin_object();
        for (k, v) in stack.tags.iter() {
            doc.key(k);
            doc.string(&escape(v));
        }
        doc.end_object();
        doc.end_object();
    }
    doc.end_object();
    doc.end_object();
    let parameter_ids: Vec<String> = variables.iter().map(|e| e.name.clone()).collect();
    if !variables.is_empty() {
        doc.key("variable");
        doc.begin_object();
        for e in &variables {
            doc.key(&e.name);
            write(&mut doc, &e.body, &p.tf_addr, &mut scratch);
        }
        doc.end_object();
    }
    if !data.is_empty() || !env_sources.is_empty() {
        doc.key("data");
        doc.begin_object();
        for (type_name, list) in &data {
            doc.key(type_name);
            doc.begin_object();
            for e in list {
                doc.key(&e.name);
                write(&mut doc, &e.body, &p.tf_addr, &mut scratch);
            }
            doc.end_object();
        }
        for type_name in &env_sources {
            doc.key(type_name);
            doc.begin_object();
            doc.key("current");
            doc.begin_object();
            doc.end_object();
            doc.end_object();
        }
        doc.end_object();
    }
    if !resources.is_empty() {
        doc.key("resource");
        doc.begin_object();
        for (type_name, list) in &resources {
            doc.key(type_name);
            doc.begin_object();
            for e in list {
                doc.key(&e.name);
                write(&mut doc, &e.body, &p.tf_addr, &mut scratch);
            }
            doc.end_object();
        }
        doc.end_object();
    }
    if !stack.outputs.is_empty() {
        doc.key("output");
        doc.begin_object();
        for o in &stack.outputs {
            doc.key(&crate::ids::terraform_name(std::slice::from_ref(&o.id)));
            doc.begin_object();
            if let Some(d) = &o.description {
                doc.key("description");
                doc.string(d);
            }
            doc.key("value");
            write(&mut doc, &o.value, &p.tf_addr, &mut scratch);
            doc.end_object();
        }
        doc.end_object();
    }
    doc.end_object();
    Rendered {
        text: doc.out,
        resource_count,
        parameter_count: parameter_ids.len(),
        output_count: stack.outputs.len(),
        parameter_ids,
        checkov_baseline: checkov_baseline(&resources),
    }
}

/// A checkov baseline listing, per resource, the checks its suppressions skip.
///
/// checkov's `terraform_json` framework reads no per-resource skip (its runner
/// passes an empty skip list to every check; checkov issue #4634), so the
/// `checkov:skip=` lines in a resource's `"//"` are for reviewers only. A
/// baseline is the mechanism checkov does apply to Terraform JSON:
/// `checkov -d out/terraform/<Stack> --framework terraform_json --baseline
/// out/terraform/<Stack>/.checkov.baseline --output-baseline-as-skipped`
/// reports these checks as skipped instead of failed. `None` when nothing is skipped.
fn checkov_baseline(resources: &FxIndexMap<&str, Vec<&Entry>>) -> Option<String> {
    let mut findings: Vec<(String, &[String])> = resources
        .iter()
        .flat_map(|(type_name, list)| list.iter().map(move |e| (type_name, e)))
        .filter(|(_, e)| !e.checkov_skips.is_empty())
        // checkov names a resource `type.name` in its resource checks and
        // `resource.name` in some graph checks (CKV_AWS_260): list both.
        .flat_map(|(type_name, e)| {
            [
                (format!("{type_name}.{}", e.name), e.checkov_skips.as_slice()),
                (format!("resource.{}", e.name), e.checkov_skips.as_slice()),
            ]
        })
        .collect();
    if findings.is_empty() {
        return None;
    }
    findings.sort_by(|a, b| a.0.cmp(&b.0));
    let mut w = JsonText::pretty_with_capacity(256 * findings.len());
    w.begin_object();
    w.key("failed_checks");
    w.begin_array();
    w.item();
    w.begin_object();
    w.key("file");
    w.string("/main.tf.json");
    w.key("findings");
    w.begin_array();
    for (resource, ids) in findings {
        let mut ids = ids.to_vec();
        ids.sort();
        w.item();
        w.begin_object();
        w.key("resource");
        w.string(&resource);
        w.key("check_ids");
        w.begin_array();
        for id in &ids {
            w.item();
            w.string(id);
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.end_object();
    w.end_array();
    w.end_object();
    w.out.push('\n');
    Some(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Attribute, CfnAttr};
    use serde_json::{json, Value as Json};

    fn render(e: &Expr, addr: &TfAddresses, used: &mut TfUsed) -> Json {
        let mut w = JsonText::compact();
        write(&mut w, e, addr, used);
        serde_json::from_str(&w.out).unwrap()
    }

    fn node(i: u32) -> NodeRef {
        NodeRef {
            app: 1,
            stack: 0,
            index: i,
        }
    }

    fn addr() -> TfAddresses {
        [
            (node(0), "aws_ecr_repository.repo".to_string()),
            (node(1), "data.aws_vpc.vpc".to_string()),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn references_render_as_interpolations() {
        let mut used = TfUsed::default();
        let arn = Expr::Ref(Target::Node(node(0), Attribute::new(CfnAttr::GetAtt("Arn"), "arn")));
        let vpc = Expr::Ref(Target::Node(node(1), Attribute::new(CfnAttr::Ref, "id")));
        assert_eq!(
            render(&arn, &addr(), &mut used),
            json!("${aws_ecr_repository.repo.arn}")
        );
        assert_eq!(render(&vpc, &addr(), &mut used), json!("${data.aws_vpc.vpc.id}"));
        let mixed = Expr::concat([
            Expr::str("arn:"),
            Expr::Ref(Target::Pseudo(Pseudo::Partition)),
            Expr::str(":x"),
        ]);
        assert_eq!(
            render(&mixed, &addr(), &mut used),
            json!("arn:${data.aws_partition.current.partition}:x")
        );
        assert!(used.pseudo.contains(&Pseudo::Partition));
        assert_eq!(used.nodes.len(), 2);
    }

    #[test]
    fn literal_template_sequences_are_escaped() {
        let mut used = TfUsed::default();
        assert_eq!(
            render(&Expr::str("${a} %{b} $c"), &addr(), &mut used),
            json!("$${a} %%{b} $c")
        );
    }

    #[test]
    fn json_documents_with_variables_are_encoded_by_terraform() {
        let mut used = TfUsed::default();
        let mut addr = addr();
        addr.insert(node(2), "var.image_tag".to_string());
        let tag = Expr::Ref(Target::Node(node(2), Attribute::new(CfnAttr::Ref, "")));
        let repo = Expr::Ref(Target::Node(
            node(0),
            Attribute::new(CfnAttr::GetAtt("RepositoryUri"), "repository_url"),
        ));
        let doc = Expr::json(Expr::List(vec![Expr::map([
            ("image", Expr::concat([repo, Expr::str(":"), tag.clone()])),
            ("note", Expr::str("say \"hi\" ${x}\\")),
            ("tag", tag),
            ("port", Expr::Int(80)),
        ])]));
        assert_eq!(
            render(&doc, &addr, &mut used),
            json!(
                r#"${jsonencode([{"image" = "${aws_ecr_repository.repo.repository_url}:${var.image_tag}", "note" = "say \"hi\" $${x}\\", "tag" = var.image_tag, "port" = 80}])}"#
            )
        );
    }

    #[test]
    fn json_documents_become_strings_that_still_interpolate() {
        let mut used = TfUsed::default();
        let arn = Expr::Ref(Target::Node(node(0), Attribute::new(CfnAttr::GetAtt("Arn"), "arn")));
        let doc = Expr::json(Expr::map([("Resource", arn), ("Note", Expr::str("${x}"))]));
        assert_eq!(
            render(&doc, &addr(), &mut used),
            json!(r#"{"Resource":"${aws_ecr_repository.repo.arn}","Note":"$${x}"}"#)
        );
    }
}
