//! Terraform JSON: expression rendering and root-module assembly.

use indexmap::{IndexMap, IndexSet};
use serde_json::{json, Map, Value as Json};

use super::{Prepared, Rendered};
use crate::expr::{Expr, Pseudo, Target};
use crate::resource::{Props, TfBlock, TfSection};
use crate::tree::{Backend, NodeRef, Override};

/// The Terraform and AWS provider versions the output is written for. The
/// provider is held to the 5.x line the test machines carry (5.100.0): 6.x renamed
/// attributes used here (e.g. `aws_region.name`).
pub const REQUIRED_TERRAFORM: &str = ">= 1.5.0";
pub const AWS_PROVIDER_SOURCE: &str = "hashicorp/aws";
pub const AWS_PROVIDER_VERSION: &str = "~> 5.100";

/// Where references to each construct point: the address of its main block,
/// `aws_x.name`, `data.aws_x.name` or `var.name`.
pub(crate) type TfAddresses = IndexMap<NodeRef, String>;

/// What a rendering referenced: constructs, and environment values that need a
/// data source of their own.
#[derive(Default)]
pub(crate) struct TfUsed {
    pub nodes: IndexSet<NodeRef>,
    pub pseudo: IndexSet<Pseudo>,
}

/// Escapes a literal for a Terraform template string: `${` → `$${`, `%{` → `%%{`.
pub fn escape(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
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
                format!("{base}.{}", a.tf)
            }
        }
    }
}

/// Renders one value. References become `"${address.attr}"` (a string that is one
/// interpolation keeps the referenced value's type, e.g. a list), literals are
/// escaped, and JSON documents become canonical JSON strings whose references
/// still interpolate because the whole string is a template.
pub(crate) fn render(expr: &Expr, addr: &TfAddresses, used: &mut TfUsed) -> Json {
    match expr {
        Expr::Null => Json::Null,
        Expr::Bool(b) => Json::Bool(*b),
        Expr::Int(n) => json!(n),
        Expr::Num(n) => json!(n),
        Expr::Str(s) => Json::String(escape(s)),
        Expr::Ref(t) => Json::String(format!("${{{}}}", reference(t, addr, used))),
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
                    other => s.push_str(&render(other, addr, used).to_string()),
                }
            }
            Json::String(s)
        }
        Expr::List(items) => Json::Array(items.iter().map(|e| render(e, addr, used)).collect()),
        Expr::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), render(v, addr, used))).collect()),
        Expr::Json(inner) if refers_to_variable(inner, addr) => {
            // A variable's value is whatever the deployer passes; spliced into a
            // JSON text it could break out of its string (a `"` in an image
            // tag). Terraform's own jsonencode escapes it.
            Json::String(format!("${{jsonencode({})}}", hcl(inner, addr, used)))
        }
        Expr::Json(inner) => Json::String(render(inner, addr, used).to_string()),
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
    escape(&out)
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

fn section_key(s: TfSection) -> &'static str {
    match s {
        TfSection::Resource => "resource",
        TfSection::Data => "data",
        TfSection::Variable => "variable",
    }
}

/// The block's name within its type: the construct's name plus the block suffix.
pub(crate) fn block_name(base: &str, block: &TfBlock) -> String {
    if block.suffix.is_empty() {
        base.to_string()
    } else {
        format!("{base}_{}", block.suffix)
    }
}

/// The address other blocks use for this block.
pub(crate) fn block_address(base: &str, block: &TfBlock) -> String {
    let name = block_name(base, block);
    match block.section {
        TfSection::Resource => format!("{}.{name}", block.type_name),
        TfSection::Data => format!("data.{}.{name}", block.type_name),
        TfSection::Variable => format!("var.{name}"),
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
    // Terraform ignores a "//" property: reviewers see why a check is suppressed.
    let suppressed = super::suppressions_for(stack, &node.path);
    let comment = (!suppressed.is_empty()).then(|| {
        let items: Vec<String> = suppressed.iter().map(|s| format!("{}: {}", s.rule, s.reason)).collect();
        format!("checks suppressed: {}", items.join("; "))
    });
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
        let mut body = Props::new();
        if let (Some(c), TfSection::Resource) = (&comment, block.section) {
            body.insert("//".into(), Expr::str(c));
        }
        body.extend(std::mem::take(&mut block.body));
        let tags = &p.tags[i];
        if block.taggable && !tags.is_empty() {
            let mut merged: Props = tags.iter().map(|(k, v)| (k.to_string(), Expr::str(v))).collect();
            // Tags the block sets itself (an L1's `tags`) win over inherited ones.
            if let Some(Expr::Map(own)) = body.get("tags") {
                merged.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            body.insert("tags".into(), Expr::Map(merged));
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
                errors.push(format!("override {}: {e}", o.path));
            }
        }
        entries.push(Entry {
            section: block.section,
            type_name: block.type_name.to_string(),
            name: block_name(&p.tf_base[i], block),
            body,
            deps: dep_nodes,
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

/// Assembles the root module. Resources and outputs render first; lookups
/// (data sources) are added only when something references them, following
/// references between lookups until nothing new is needed.
pub(crate) fn module(p: &Prepared<'_>) -> Rendered {
    let stack = p.stack;
    let mut used = TfUsed::default();
    // (section, type, name) -> body, in a stable order: constructs in the order added.
    let mut blocks: IndexMap<usize, Vec<(TfSection, &str, &str, Json)>> = IndexMap::new();

    let render_node = |i: usize, used: &mut TfUsed| {
        p.tf_entries[i]
            .iter()
            .map(|e| {
                used.nodes.extend(e.deps.iter().copied());
                (
                    e.section,
                    e.type_name.as_str(),
                    e.name.as_str(),
                    render(&e.body, &p.tf_addr, used),
                )
            })
            .collect::<Vec<_>>()
    };

    for i in 0..stack.nodes.len() {
        if !p.lookups.contains(&p.node_ref(i)) {
            blocks.insert(i, render_node(i, &mut used));
        }
    }
    let mut outputs = Map::new();
    for o in &stack.outputs {
        let mut body = Map::new();
        if let Some(d) = &o.description {
            body.insert("description".into(), json!(d));
        }
        body.insert("value".into(), render(&o.value, &p.tf_addr, &mut used));
        outputs.insert(
            crate::ids::terraform_name(std::slice::from_ref(&o.id)),
            Json::Object(body),
        );
    }
    // Lookups, to a fixed point: a listener lookup references its load balancer lookup.
    loop {
        let pending: Vec<usize> = (0..stack.nodes.len())
            .filter(|&i| {
                let r = p.node_ref(i);
                p.lookups.contains(&r) && used.nodes.contains(&r) && !blocks.contains_key(&i)
            })
            .collect();
        if pending.is_empty() {
            break;
        }
        for i in pending {
            let rendered = render_node(i, &mut used);
            blocks.insert(i, rendered);
        }
    }
    blocks.sort_keys();

    let mut sections: IndexMap<&'static str, Map<String, Json>> = IndexMap::new();
    for key in ["variable", "data", "resource"] {
        sections.insert(key, Map::new());
    }
    let mut resource_count = 0;
    for (_, list) in blocks {
        for (section, type_name, name, body) in list {
            let sec = sections.get_mut(section_key(section)).expect("known section");
            if section == TfSection::Variable {
                sec.insert(name.to_string(), body);
                continue;
            }
            if section == TfSection::Resource {
                resource_count += 1;
            }
            let by_type = sec
                .entry(type_name.to_string())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(m) = by_type {
                m.insert(name.to_string(), body);
            }
        }
    }
    // Environment data sources, in a fixed order.
    let data = sections.get_mut("data").expect("data section");
    let env_sources = [
        (Pseudo::AccountId, "aws_caller_identity"),
        (Pseudo::Region, "aws_region"),
        (Pseudo::Partition, "aws_partition"),
    ];
    for (pseudo, type_name) in env_sources {
        let needed =
            used.pseudo.contains(&pseudo) || (pseudo == Pseudo::Partition && used.pseudo.contains(&Pseudo::UrlSuffix));
        if needed {
            data.insert(type_name.to_string(), json!({ "current": {} }));
        }
    }

    let mut doc = Map::new();
    if let Some(d) = stack.description() {
        doc.insert("//".into(), json!(d));
    }
    doc.insert(
        "terraform".into(),
        json!({
            "required_version": REQUIRED_TERRAFORM,
            "required_providers": {
                "aws": { "source": AWS_PROVIDER_SOURCE, "version": AWS_PROVIDER_VERSION }
            }
        }),
    );
    let mut provider = Map::new();
    if let Some(region) = &stack.region {
        provider.insert("region".into(), json!(escape(region)));
    }
    if let Some(account) = &stack.account {
        provider.insert("allowed_account_ids".into(), json!([account]));
    }
    if !stack.tags.is_empty() {
        let tags: Map<String, Json> = stack
            .tags
            .iter()
            .map(|(k, v)| (k.to_string(), json!(escape(v))))
            .collect();
        provider.insert("default_tags".into(), json!({ "tags": tags }));
    }
    doc.insert("provider".into(), json!({ "aws": provider }));
    let output_count = outputs.len();
    let parameter_count = sections["variable"].len();
    for (key, sec) in sections {
        if !sec.is_empty() {
            doc.insert(key.into(), Json::Object(sec));
        }
    }
    if !outputs.is_empty() {
        doc.insert("output".into(), Json::Object(outputs));
    }
    Rendered {
        document: Json::Object(doc),
        resource_count,
        parameter_count,
        output_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Attribute, CfnAttr};

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
