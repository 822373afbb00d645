//! CloudFormation: expression rendering and template assembly.

use indexmap::{IndexMap, IndexSet};
use serde_json::{json, Map, Value as Json};

use super::{apply_overrides, Prepared, Rendered};
use crate::expr::{CfnAttr, Expr, Pseudo, Target};
use crate::resource::{CfnBlock, Props};
use crate::tree::{Backend, NodeRef};

/// Where references to each construct point: the logical id of its main block.
pub(crate) type CfnAddresses = IndexMap<NodeRef, String>;

/// Renders one value. References become `Ref`/`Fn::GetAtt`, strings mixing
/// literals and references become `Fn::Sub` (with literal `${` written `${!`),
/// JSON documents stay objects. Every referenced node is added to `used`.
pub(crate) fn render(expr: &Expr, addr: &CfnAddresses, used: &mut IndexSet<NodeRef>) -> Json {
    match expr {
        Expr::Null => Json::Null,
        Expr::Bool(b) => Json::Bool(*b),
        Expr::Int(n) => json!(n),
        Expr::Str(s) => Json::String(s.clone()),
        Expr::Ref(t) => render_ref(t, addr, used),
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
                    Expr::Bool(b) => template.push_str(&b.to_string()),
                    // Concat only ever holds scalars and references (see Expr::concat);
                    // anything else is stringified rather than dropped.
                    other => template.push_str(&render(other, addr, used).to_string().replace("${", "${!")),
                }
            }
            json!({ "Fn::Sub": template })
        }
        Expr::List(items) => Json::Array(items.iter().map(|e| render(e, addr, used)).collect()),
        Expr::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), render(v, addr, used))).collect()),
        Expr::Json(inner) => render(inner, addr, used),
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

fn logical<'a>(node: &NodeRef, addr: &'a CfnAddresses, used: &mut IndexSet<NodeRef>) -> &'a str {
    used.insert(*node);
    // Validation rejects references to constructs outside the stack before rendering.
    addr.get(node).map(String::as_str).unwrap_or("UnresolvedReference")
}

fn render_ref(t: &Target, addr: &CfnAddresses, used: &mut IndexSet<NodeRef>) -> Json {
    match t {
        Target::Pseudo(p) => json!({ "Ref": pseudo_name(*p) }),
        Target::Node(n, a) => {
            let id = logical(n, addr, used);
            match a.cfn {
                CfnAttr::Ref => json!({ "Ref": id }),
                CfnAttr::GetAtt(name) => json!({ "Fn::GetAtt": [id, name] }),
            }
        }
    }
}

/// The name of a reference inside `Fn::Sub`: `Logical`, `Logical.Attr` or `AWS::Region`.
fn sub_name(t: &Target, addr: &CfnAddresses, used: &mut IndexSet<NodeRef>) -> String {
    match t {
        Target::Pseudo(p) => pseudo_name(*p).to_string(),
        Target::Node(n, a) => {
            let id = logical(n, addr, used);
            match a.cfn {
                CfnAttr::Ref => id.to_string(),
                CfnAttr::GetAtt(name) => format!("{id}.{name}"),
            }
        }
    }
}

fn render_props(p: &Props, addr: &CfnAddresses, used: &mut IndexSet<NodeRef>) -> Map<String, Json> {
    p.iter().map(|(k, v)| (k.clone(), render(v, addr, used))).collect()
}

/// Assembles the template: resources first, then the parameters and outputs
/// they reference. Lookups nobody references are left out.
pub(crate) fn template(p: &Prepared<'_>) -> Rendered {
    let stack = p.stack;
    let mut used: IndexSet<NodeRef> = IndexSet::new();
    let mut resources = Map::new();
    for (i, node) in stack.nodes.iter().enumerate() {
        let r = p.node_ref(i);
        if p.lookups.contains(&r) {
            continue;
        }
        let tags = stack.tags.merged(&node.tags);
        for block in &p.cfn_blocks[i] {
            let CfnBlock::Resource(res) = block else {
                continue;
            };
            let mut props = render_props(&res.properties, &p.cfn_addr, &mut used);
            if res.taggable && !tags.is_empty() {
                let list: Vec<Json> = tags.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect();
                props.insert("Tags".into(), Json::Array(list));
            }
            let mut body = Map::new();
            body.insert("Type".into(), json!(res.type_name));
            let suppressed = super::suppressions_for(stack, &node.path);
            if !suppressed.is_empty() {
                let list: Vec<Json> = suppressed
                    .iter()
                    .map(|s| json!({ "rule": s.rule, "reason": s.reason }))
                    .collect();
                body.insert("Metadata".into(), json!({ "checks": { "suppressions": list } }));
            }
            let deps: Vec<&NodeRef> = node.depends_on.iter().chain(&res.depends_on).collect();
            let mut dep_ids: Vec<String> = Vec::new();
            for d in deps {
                // A dependency on a parameter (a looked-up resource, an input) is already met.
                if p.is_cfn_parameter(*d) {
                    continue;
                }
                let id = logical(d, &p.cfn_addr, &mut used).to_string();
                if !dep_ids.contains(&id) {
                    dep_ids.push(id);
                }
            }
            if !dep_ids.is_empty() {
                body.insert("DependsOn".into(), json!(dep_ids));
            }
            if res.retain_on_delete {
                body.insert("DeletionPolicy".into(), json!("Retain"));
                body.insert("UpdateReplacePolicy".into(), json!("Retain"));
            }
            body.insert("Properties".into(), Json::Object(props));
            let mut body = Json::Object(body);
            let block_name = (!res.suffix.is_empty()).then_some(res.suffix.as_str());
            apply_overrides(&mut body, &node.overrides, Backend::CloudFormation, block_name);
            resources.insert(format!("{}{}", p.cfn_base[i], res.suffix), body);
        }
    }

    let mut outputs = Map::new();
    for o in &stack.outputs {
        let mut body = Map::new();
        if let Some(d) = &o.description {
            body.insert("Description".into(), json!(d));
        }
        body.insert("Value".into(), render(&o.value, &p.cfn_addr, &mut used));
        outputs.insert(crate::ids::logical_id(std::slice::from_ref(&o.id)), Json::Object(body));
    }

    let mut parameters = Map::new();
    for (i, node) in stack.nodes.iter().enumerate() {
        let r = p.node_ref(i);
        let is_param_node = p.cfn_blocks[i].iter().any(|b| matches!(b, CfnBlock::Parameter(_)));
        if !is_param_node || (p.lookups.contains(&r) && !used.contains(&r)) {
            continue;
        }
        for block in &p.cfn_blocks[i] {
            let CfnBlock::Parameter(param) = block else {
                continue;
            };
            let mut body = Map::new();
            body.insert("Type".into(), json!(param.type_name));
            body.insert("Description".into(), json!(param.description));
            if let Some(d) = &param.default {
                body.insert("Default".into(), d.clone());
            }
            if let Some(pat) = param.allowed_pattern {
                body.insert("AllowedPattern".into(), json!(pat));
            }
            if param.no_echo {
                body.insert("NoEcho".into(), json!(true));
            }
            let mut body = Json::Object(body);
            apply_overrides(&mut body, &node.overrides, Backend::CloudFormation, None);
            parameters.insert(format!("{}{}", p.cfn_base[i], param.suffix), body);
        }
    }

    let mut doc = Map::new();
    doc.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    let description = stack
        .description()
        .map(str::to_string)
        .unwrap_or_else(|| format!("Stack {}", stack.name()));
    doc.insert("Description".into(), json!(description));
    if !parameters.is_empty() {
        doc.insert("Parameters".into(), Json::Object(parameters));
    }
    let resource_count = resources.len();
    let parameter_count = doc.get("Parameters").and_then(Json::as_object).map_or(0, Map::len);
    doc.insert("Resources".into(), Json::Object(resources));
    let output_count = outputs.len();
    if !outputs.is_empty() {
        doc.insert("Outputs".into(), Json::Object(outputs));
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
    use crate::expr::Attribute;

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
        let mut used = IndexSet::new();
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
        let mut used = IndexSet::new();
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
        let mut used = IndexSet::new();
        let doc = Expr::json(Expr::map([("Version", Expr::str("2012-10-17"))]));
        assert_eq!(render(&doc, &addr(), &mut used), json!({"Version": "2012-10-17"}));
    }
}
