//! CloudFormation: expression rendering and template assembly.

use super::json_text::JsonText;
use super::{Prepared, Rendered};
use crate::checks::checkov;
use crate::expr::{CfnAttr, Expr, FxIndexMap, FxIndexSet, Pseudo, Target};
use crate::resource::{CfnBlock, Props};
use crate::tree::{Backend, NodeRef, Override};

/// Where references to each construct point: the logical id of its main block.
pub(crate) type CfnAddresses = FxIndexMap<NodeRef, String>;

/// Writes one value. References become `Ref`/`Fn::GetAtt`, strings mixing
/// literals and references become `Fn::Sub` (with literal `${` written `${!`),
/// JSON documents stay objects. Every referenced node is added to `used`.
pub(crate) fn write(w: &mut JsonText, expr: &Expr, addr: &CfnAddresses, used: &mut FxIndexSet<NodeRef>) {
    match expr {
        Expr::Null => w.null(),
        Expr::Bool(b) => w.bool(*b),
        Expr::Int(n) => w.int(*n),
        Expr::Num(n) => w.float(*n),
        Expr::Str(s) => w.string(s),
        Expr::Ref(t) => write_ref(w, t, addr, used),
        Expr::Concat(parts) => {
            let mut template = String::new();
            for part in parts {
                match part {
                    Expr::Str(s) => template.push_str(&s.replace("${", "${!")),
                    Expr::Ref(t) => {
                        template.push_str("${");
                        template.push_str(&sub_name(t, addr, used));
                        template.push('}');
                    }
                    Expr::Int(n) => template.push_str(&n.to_string()),
                    Expr::Num(n) => template.push_str(&n.to_string()),
                    Expr::Bool(b) => template.push_str(&b.to_string()),
                    // Concat only ever holds scalars and references (see Expr::concat);
                    // anything else is stringified rather than dropped.
                    other => {
                        let mut inner = JsonText::compact();
                        write(&mut inner, other, addr, used);
                        template.push_str(&inner.out.replace("${", "${!"));
                    }
                }
            }
            w.begin_object();
            w.key("Fn::Sub");
            w.string(&template);
            w.end_object();
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
        Expr::Json(inner) => write(w, inner, addr, used),
    }
}

fn pseudo_name(p: Pseudo) -> &'static str {
    match p {
        Pseudo::AccountId => "AWS::AccountId",
        Pseudo::Region => "AWS::Region",
        Pseudo::Partition => "AWS::Partition",
        Pseudo::UrlSuffix => "AWS::URLSuffix",
    }
}

fn logical<'a>(node: &NodeRef, addr: &'a CfnAddresses, used: &mut FxIndexSet<NodeRef>) -> &'a str {
    used.insert(*node);
    // Validation rejects references to constructs outside the stack before rendering.
    addr.get(node).map(String::as_str).unwrap_or("UnresolvedReference")
}

fn write_ref(w: &mut JsonText, t: &Target, addr: &CfnAddresses, used: &mut FxIndexSet<NodeRef>) {
    w.begin_object();
    match t {
        Target::Pseudo(p) => {
            w.key("Ref");
            w.string(pseudo_name(*p));
        }
        Target::Node(n, a) => {
            let id = logical(n, addr, used);
            match a.cfn {
                CfnAttr::Ref => {
                    w.key("Ref");
                    w.string(id);
                }
                CfnAttr::GetAtt(name) => {
                    w.key("Fn::GetAtt");
                    w.begin_array();
                    w.item();
                    w.string(id);
                    w.item();
                    w.string(name);
                    w.end_array();
                }
            }
        }
    }
    w.end_object();
}

/// The name of a reference inside `Fn::Sub`: `Logical`, `Logical.Attr` or `AWS::Region`.
fn sub_name(t: &Target, addr: &CfnAddresses, used: &mut FxIndexSet<NodeRef>) -> String {
    match t {
        Target::Pseudo(p) => pseudo_name(*p).to_string(),
        Target::Node(n, a) => {
            let id = logical(n, addr, used);
            match a.cfn {
                CfnAttr::Ref => id.to_string(),
                CfnAttr::GetAtt(name) => [id, ".", name].concat(),
            }
        }
    }
}

/// A CloudFormation block after preparation: the whole template entry (a
/// resource's `Type`, `Metadata`, `DependsOn`, policies and `Properties`, or a
/// parameter's settings) as one expression, overrides applied.
pub(crate) struct Entry {
    pub logical_id: String,
    pub is_parameter: bool,
    pub body: Expr,
}

/// Builds the entries of construct `i` (tags, suppressions, dependencies and
/// retention added), applying its CloudFormation overrides. Problems with the
/// overrides are returned as messages.
pub(crate) fn finalize(p: &mut Prepared<'_>, i: usize) -> (Vec<Entry>, Vec<String>) {
    let stack = p.stack;
    let node = &stack.nodes[i];
    let mut errors = Vec::new();
    // The blocks stay (validation and lookups read them); their properties move into the entries.
    let mut blocks = std::mem::take(&mut p.cfn_blocks[i]);
    let mut entries = Vec::with_capacity(blocks.len());
    for block in blocks.iter_mut() {
        let (suffix, is_parameter, mut body) = match block {
            CfnBlock::Resource(res) => {
                let mut entry = Props::default();
                entry.insert("Type".into(), Expr::str(res.type_name.as_ref()));
                // Suppressions of our rules for reviewers; checkov reads its
                // skips (its own ids, and our rules' counterparts) from
                // `Metadata.checkov.skip`.
                let mut metadata = Props::new();
                let ours: Vec<Expr> = super::suppressions_for(stack, &node.path)
                    .iter()
                    .filter(|s| !checkov::is_checkov_id(&s.rule))
                    .map(|s| Expr::map([("rule", Expr::str(&s.rule)), ("reason", Expr::str(&s.reason))]))
                    .collect();
                if !ours.is_empty() {
                    metadata.insert("checks".into(), Expr::map([("suppressions", Expr::List(ours))]));
                }
                let skips: Vec<Expr> = checkov::skips_for(stack, &node.path)
                    .into_iter()
                    .map(|s| Expr::map([("id", Expr::str(s.id)), ("comment", Expr::str(s.comment))]))
                    .collect();
                if !skips.is_empty() {
                    metadata.insert("checkov".into(), Expr::map([("skip", Expr::List(skips))]));
                }
                if !metadata.is_empty() {
                    entry.insert("Metadata".into(), Expr::Map(metadata));
                }
                let mut dep_ids: Vec<Expr> = Vec::new();
                for d in p.deps[i].iter().chain(&res.depends_on) {
                    // A dependency on a parameter (a looked-up resource, an input) is already met.
                    if p.is_cfn_parameter(*d) {
                        continue;
                    }
                    if let Some(id) = p.cfn_addr.get(d) {
                        let id = Expr::str(id);
                        if !dep_ids.contains(&id) {
                            dep_ids.push(id);
                        }
                    }
                }
                if !dep_ids.is_empty() {
                    entry.insert("DependsOn".into(), Expr::List(dep_ids));
                }
                if res.retain_on_delete {
                    entry.insert("DeletionPolicy".into(), Expr::str("Retain"));
                    entry.insert("UpdateReplacePolicy".into(), Expr::str("Retain"));
                }
                let mut props = std::mem::take(&mut res.properties);
                let tags = stack.tags.merged(&p.tags[i]);
                if res.taggable && !tags.is_empty() {
                    let mut list: Vec<Expr> = tags
                        .iter()
                        .map(|(k, v)| Expr::map([("Key", Expr::str(k)), ("Value", Expr::str(v))]))
                        .collect();
                    // Tags the resource sets itself (an L1's `Tags`) win over
                    // inherited ones. A `Tags` given whole as an expression (a
                    // reference) is kept as it is: nothing can be merged into it.
                    match props.get_mut("Tags") {
                        Some(Expr::List(own)) => {
                            let key = |t: &Expr| match t {
                                Expr::Map(m) => m.get("Key").and_then(Expr::as_literal).map(str::to_string),
                                _ => None,
                            };
                            let own_keys: Vec<String> = own.iter().filter_map(key).collect();
                            list.retain(|t| key(t).is_none_or(|k| !own_keys.contains(&k)));
                            list.append(own);
                            *own = list;
                        }
                        Some(_) => {}
                        None => {
                            props.insert("Tags".into(), Expr::List(list));
                        }
                    }
                }
                entry.insert("Properties".into(), Expr::Map(props));
                (res.suffix.clone(), false, Expr::Map(entry))
            }
            CfnBlock::Parameter(param) => {
                let mut entry = Props::default();
                entry.insert("Type".into(), Expr::str(param.type_name));
                entry.insert("Description".into(), Expr::str(&param.description));
                if let Some(d) = &param.default {
                    entry.insert("Default".into(), Expr::from(d.clone()));
                }
                if let Some(pat) = param.allowed_pattern {
                    entry.insert("AllowedPattern".into(), Expr::str(pat));
                }
                if param.no_echo {
                    entry.insert("NoEcho".into(), Expr::Bool(true));
                }
                (param.suffix.clone(), true, Expr::Map(entry))
            }
        };
        let block_name = (!suffix.is_empty()).then_some(suffix.as_str());
        for o in node
            .overrides
            .iter()
            .filter(|o| o.backend == Backend::CloudFormation && o.block.as_deref() == block_name)
        {
            if let Err(e) = super::overrides::apply(&mut body, &o.path, o.value.as_ref()) {
                errors.push(format!(
                    "{} override {}: {e}",
                    Backend::CloudFormation.display_name(),
                    o.path
                ));
            }
        }
        entries.push(Entry {
            logical_id: [p.cfn_base[i].as_str(), suffix.as_str()].concat(),
            is_parameter,
            body,
        });
    }
    p.cfn_blocks[i] = blocks;
    (entries, errors)
}

/// Checks an override against the resource type's schema and the construct's
/// blocks (before it is applied in [`finalize`]).
pub(crate) fn check_override(p: &Prepared<'_>, i: usize, o: &Override) -> Result<(), String> {
    let blocks = &p.cfn_blocks[i];
    let wanted = o.block.as_deref().unwrap_or("");
    let block = blocks.iter().find(|b| match b {
        CfnBlock::Resource(r) => r.suffix == wanted,
        CfnBlock::Parameter(par) => par.suffix == wanted,
    });
    let Some(block) = block else {
        let names: Vec<String> = blocks
            .iter()
            .map(|b| match b {
                CfnBlock::Resource(r) if r.suffix.is_empty() => "the main block".to_string(),
                CfnBlock::Resource(r) => format!("{:?}", r.suffix),
                CfnBlock::Parameter(par) => format!("{:?}", par.suffix),
            })
            .collect();
        return Err(format!(
            "the construct has no block {wanted:?}; its blocks are {}",
            names.join(", ")
        ));
    };
    if let CfnBlock::Resource(res) = block {
        if let Some(schema) = crate::schema::cloudformation::resource_type(&res.type_name) {
            schema.check_resource_path(o.path.segments()).map_err(|e| {
                format!(
                    "{} {} {}",
                    res.type_name,
                    crate::property_path::PropertyPath(o.path.segments()[..=e.depth].to_vec()),
                    e.message
                )
            })?;
        }
    }
    Ok(())
}

/// Writes the template in one pass. Which parameters it has depends on what
/// its resources and outputs reference (lookups nobody references are left
/// out), so that is worked out first from the expressions, and every section
/// is then written straight into the output text.
pub(crate) fn template(p: &Prepared<'_>) -> Rendered {
    let stack = p.stack;
    let mut used: FxIndexSet<NodeRef> = FxIndexSet::default();
    let mut resource_count = 0;
    for (i, entries) in p.cfn_entries.iter().enumerate() {
        if p.lookups.contains(&p.node_ref(i)) {
            continue;
        }
        used.extend(p.cfn_refs[i].iter().copied());
        resource_count += entries.iter().filter(|e| !e.is_parameter).count();
    }
    for o in &stack.outputs {
        o.value.visit_targets(&mut |t| {
            if let Target::Node(n, _) = t {
                used.insert(*n);
            }
        });
    }
    let parameters: Vec<&Entry> = p
        .cfn_entries
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let r = p.node_ref(*i);
            !p.lookups.contains(&r) || used.contains(&r)
        })
        .flat_map(|(_, entries)| entries.iter().filter(|e| e.is_parameter))
        .collect();
    let parameter_ids: Vec<String> = parameters.iter().map(|e| e.logical_id.clone()).collect();

    let mut doc = JsonText::pretty_with_capacity(1536 * (resource_count + 1));
    // Rendering records what it references; that is known already.
    let mut scratch: FxIndexSet<NodeRef> = FxIndexSet::default();
    doc.begin_object();
    doc.key("AWSTemplateFormatVersion");
    doc.string("2010-09-09");
    doc.key("Description");
    match stack.description() {
        Some(d) => doc.string(d),
        None => doc.string(&format!("Stack {}", stack.name())),
    }
    if !parameters.is_empty() {
        doc.key("Parameters");
        doc.begin_object();
        for e in &parameters {
            doc.key(&e.logical_id);
            write(&mut doc, &e.body, &p.cfn_addr, &mut scratch);
        }
        doc.end_object();
    }
    doc.key("Resources");
    doc.begin_object();
    for (i, entries) in p.cfn_entries.iter().enumerate() {
        if p.lookups.contains(&p.node_ref(i)) {
            continue;
        }
        for e in entries.iter().filter(|e| !e.is_parameter) {
            doc.key(&e.logical_id);
            write(&mut doc, &e.body, &p.cfn_addr, &mut scratch);
        }
    }
    doc.end_object();
    if !stack.outputs.is_empty() {
        doc.key("Outputs");
        doc.begin_object();
        for o in &stack.outputs {
            doc.key(&crate::ids::logical_id(std::slice::from_ref(&o.id)));
            doc.begin_object();
            if let Some(d) = &o.description {
                doc.key("Description");
                doc.string(d);
            }
            doc.key("Value");
            write(&mut doc, &o.value, &p.cfn_addr, &mut scratch);
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
        checkov_baseline: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Attribute;
    use serde_json::{json, Value as Json};

    fn render(e: &Expr, addr: &CfnAddresses, used: &mut FxIndexSet<NodeRef>) -> Json {
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

    fn addr() -> CfnAddresses {
        [(node(0), "Repo".to_string())].into_iter().collect()
    }

    #[test]
    fn references_render_as_ref_getatt_and_sub() {
        let mut used = FxIndexSet::default();
        let name = Expr::Ref(Target::Node(node(0), Attribute::new(CfnAttr::Ref, "name")));
        let arn = Expr::Ref(Target::Node(node(0), Attribute::new(CfnAttr::GetAtt("Arn"), "arn")));
        assert_eq!(render(&name, &addr(), &mut used), json!({"Ref": "Repo"}));
        assert_eq!(render(&arn, &addr(), &mut used), json!({"Fn::GetAtt": ["Repo", "Arn"]}));
        let mixed = Expr::concat([
            Expr::str("arn:"),
            Expr::Ref(Target::Pseudo(Pseudo::Partition)),
            Expr::str(":x:"),
            arn,
            Expr::str("/"),
            name,
        ]);
        assert_eq!(
            render(&mixed, &addr(), &mut used),
            json!({"Fn::Sub": "arn:${AWS::Partition}:x:${Repo.Arn}/${Repo}"})
        );
        assert!(used.contains(&node(0)));
    }

    #[test]
    fn literal_dollar_brace_is_escaped_only_inside_sub() {
        let mut used = FxIndexSet::default();
        assert_eq!(
            render(&Expr::str("${literal}"), &addr(), &mut used),
            json!("${literal}")
        );
        let mixed = Expr::concat([Expr::str("${x}-"), Expr::Ref(Target::Pseudo(Pseudo::Region))]);
        assert_eq!(
            render(&mixed, &addr(), &mut used),
            json!({"Fn::Sub": "${!x}-${AWS::Region}"})
        );
    }

    #[test]
    fn json_documents_stay_objects() {
        let mut used = FxIndexSet::default();
        let doc = Expr::json(Expr::map([("Version", Expr::str("2012-10-17"))]));
        assert_eq!(render(&doc, &addr(), &mut used), json!({"Version": "2012-10-17"}));
    }
}
