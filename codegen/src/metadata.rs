//! The compact resource metadata `constructs::schema` embeds: for every
//! CloudFormation type and every Terraform resource and data source, the
//! property tree (to check override paths), and for CloudFormation the
//! create-only, read-only and identifier properties (what `diff` needs to
//! tell an update from a replacement).
//!
//! One JSON document per line, sorted by name, after a header line naming the
//! sources. Shapes:
//! - `0`: a scalar;
//! - `1`: free-form (JSON, maps, anything with unknown keys): every path below it is accepted;
//! - `{"Name": shape, …}`: an object with these keys;
//! - `[shape]`: a list of `shape`.

use serde_json::{json, Map, Value as Json};

use crate::sources::{CfnSource, TfSource};

const SCALAR: i64 = 0;
const FREE: i64 = 1;

fn cfn_shape(schema: &Json, defs: &Map<String, Json>, seen: &mut Vec<String>) -> Json {
    if let Some(r) = schema.get("$ref").and_then(Json::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r).to_string();
        // A recursive definition (WAF statements nest statements) stops here;
        // everything below it is accepted.
        if seen.contains(&name) {
            return json!(FREE);
        }
        let Some(def) = defs.get(&name) else { return json!(FREE) };
        seen.push(name);
        let shape = cfn_shape(def, defs, seen);
        seen.pop();
        return shape;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Json::as_array) {
            // Alternatives with different object shapes: accept the union of their keys.
            let shapes: Vec<Json> = options.iter().map(|o| cfn_shape(o, defs, seen)).collect();
            let mut merged = Map::new();
            let mut any_object = false;
            for s in &shapes {
                match s {
                    Json::Object(m) => {
                        any_object = true;
                        for (k, v) in m {
                            merged.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                    Json::Number(n) if n.as_i64() == Some(FREE) => return json!(FREE),
                    _ => {}
                }
            }
            if any_object {
                return Json::Object(merged);
            }
            if let Some(list) = shapes.iter().find(|s| s.is_array()) {
                return list.clone();
            }
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    };
    if let Some(props) = schema.get("properties").and_then(Json::as_object) {
        if schema.get("patternProperties").is_some() {
            return json!(FREE);
        }
        let mut m = Map::new();
        for (k, v) in props {
            m.insert(k.clone(), cfn_shape(v, defs, seen));
        }
        return Json::Object(m);
    }
    if types.contains(&"array") {
        let items = schema
            .get("items")
            .map(|i| cfn_shape(i, defs, seen))
            .unwrap_or(json!(FREE));
        return json!([items]);
    }
    if types.contains(&"object") || types.is_empty() && schema.get("patternProperties").is_some() {
        return json!(FREE);
    }
    if types.is_empty() {
        // No type at all (e.g. a JSON document property): anything goes.
        return json!(FREE);
    }
    json!(SCALAR)
}

fn strings(schema: &Json, key: &str) -> Json {
    schema.get(key).cloned().unwrap_or_else(|| json!([]))
}

pub fn cfn(src: &CfnSource) -> String {
    let mut out = String::new();
    out.push_str(
        &json!({
            "generated": "by `cargo run -p codegen`; do not edit",
            "source": format!("cfn-lint {} resource provider schemas ({})", src.version, crate::sources::CFN_REGION),
        })
        .to_string(),
    );
    out.push('\n');
    for (name, schema) in &src.types {
        let defs = schema
            .get("definitions")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        let mut props = Map::new();
        if let Some(p) = schema.get("properties").and_then(Json::as_object) {
            for (k, v) in p {
                props.insert(k.clone(), cfn_shape(v, &defs, &mut Vec::new()));
            }
        }
        let tag = schema.pointer("/tagging/tagProperty").cloned().unwrap_or(Json::Null);
        let line = json!({
            "t": name,
            "c": strings(schema, "createOnlyProperties"),
            "r": strings(schema, "readOnlyProperties"),
            "w": strings(schema, "writeOnlyProperties"),
            "i": strings(schema, "primaryIdentifier"),
            "g": tag,
            "p": props,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// A cty type (`"string"`, `["list", T]`, `["object", {…}]`) as a shape.
fn tf_type_shape(ty: &Json) -> Json {
    match ty {
        Json::String(s) if s == "dynamic" => json!(FREE),
        Json::String(_) => json!(SCALAR),
        Json::Array(parts) => match (parts.first().and_then(Json::as_str), parts.get(1)) {
            (Some("list" | "set"), Some(inner)) => json!([tf_type_shape(inner)]),
            (Some("object"), Some(Json::Object(fields))) => {
                Json::Object(fields.iter().map(|(k, v)| (k.clone(), tf_type_shape(v))).collect())
            }
            _ => json!(FREE),
        },
        _ => json!(FREE),
    }
}

/// A block: `{"a": {attr: [shape, flags]}, "b": {block: [mode, min, max, block]}}`,
/// flags being `r` (required), `o` (optional), `c` (computed) or `oc`.
fn tf_block(block: &Json) -> Json {
    let mut attrs = Map::new();
    if let Some(a) = block.get("attributes").and_then(Json::as_object) {
        for (name, attr) in a {
            let flag = |k: &str| attr.get(k).and_then(Json::as_bool).unwrap_or(false);
            let flags = match (flag("required"), flag("optional"), flag("computed")) {
                (true, _, _) => "r",
                (_, true, true) => "oc",
                (_, true, false) => "o",
                _ => "c",
            };
            let shape = match attr.get("nested_type") {
                Some(nested) => {
                    let inner =
                        tf_block(&json!({ "attributes": nested.get("attributes").cloned().unwrap_or(Json::Null) }));
                    let fields: Map<String, Json> = inner["a"]
                        .as_object()
                        .map(|m| m.iter().map(|(k, v)| (k.clone(), v[0].clone())).collect())
                        .unwrap_or_default();
                    match nested.get("nesting_mode").and_then(Json::as_str) {
                        Some("single") => Json::Object(fields),
                        Some("map") => json!(FREE),
                        _ => json!([Json::Object(fields)]),
                    }
                }
                None => tf_type_shape(attr.get("type").unwrap_or(&Json::Null)),
            };
            attrs.insert(name.clone(), json!([shape, flags]));
        }
    }
    let mut blocks = Map::new();
    if let Some(b) = block.get("block_types").and_then(Json::as_object) {
        for (name, bt) in b {
            let mode = bt.get("nesting_mode").and_then(Json::as_str).unwrap_or("list");
            let min = bt.get("min_items").and_then(Json::as_u64).unwrap_or(0);
            let max = bt.get("max_items").and_then(Json::as_u64).unwrap_or(0);
            blocks.insert(
                name.clone(),
                json!([mode, min, max, tf_block(bt.get("block").unwrap_or(&Json::Null))]),
            );
        }
    }
    json!({ "a": attrs, "b": blocks })
}

pub fn tf(src: &TfSource) -> String {
    let mut out = String::new();
    out.push_str(
        &json!({
            "generated": "by `cargo run -p codegen`; do not edit",
            "source": format!("terraform providers schema -json, hashicorp/aws {}", src.provider_version),
        })
        .to_string(),
    );
    out.push('\n');
    for (kind, schemas) in [("r", &src.resources), ("d", &src.data_sources)] {
        let mut names: Vec<&String> = schemas.keys().collect();
        names.sort();
        for name in names {
            let block = tf_block(schemas[name].get("block").unwrap_or(&Json::Null));
            let line = json!({ "t": name, "k": kind, "s": block });
            out.push_str(&line.to_string());
            out.push('\n');
        }
    }
    out
}
