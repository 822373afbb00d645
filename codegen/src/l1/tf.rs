//! The AWS provider's schema (`terraform providers schema -json`) → the L1 model.
//!
//! - `aws_sqs_queue` → service `sqs` (see [`crate::services`]), module
//!   `sqs_queue`, struct `SqsQueue`; data source `aws_vpc` → `data::Vpc`.
//! - Arguments (required or optional attributes; a resource's `id` and
//!   `tags_all` excepted: a data source's `id` selects what it looks up)
//!   → fields, required ones constructor arguments. Nested blocks → structs:
//!   a block of at most one (`max_items = 1`, or nesting `single`) is one
//!   struct, others a `List` with their item bounds as a validation rule.
//!   Object-typed attributes → structs whose unset fields render as `null`
//!   (Terraform requires every key of an object value).
//! - Structurally identical nested blocks of one resource share one struct
//!   (the provider repeats them: QuickSight and WAFv2 would otherwise need
//!   tens of thousands of structs).
//! - Computed attributes (and `id`, always) → methods on the `…Refs` type,
//!   named after the attribute.
//!
//! The provider's schema states no lengths, ranges or enums, so Terraform
//! L1s validate only required arguments and block counts.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::cfn::field_name;
use super::{box_recursive, kind_for, AttrDef, AttrSource, Field, Kind, StructDef, Ty, TypeDef};
use crate::names::{camel, not_keyword, reserved_type, Namespace};
use crate::services::terraform_service;
use crate::sources::TfSource;

struct TypeCx<'a> {
    type_name: &'a str,
    names: Namespace,
    structs: Vec<StructDef>,
    /// Structs by their fields, so identical blocks are generated once.
    by_shape: BTreeMap<(bool, Vec<Field>), String>,
    aliases: Vec<(String, String)>,
}

/// An object member of a schema node (`attributes`, `block_types`), or none.
fn members(j: &Json, key: &str) -> serde_json::Map<String, Json> {
    j.get(key).and_then(Json::as_object).cloned().unwrap_or_default()
}

fn flag(a: &Json, key: &str) -> bool {
    a.get(key).and_then(Json::as_bool).unwrap_or(false)
}

impl TypeCx<'_> {
    fn structure(&mut self, hint: &str, fields: Vec<Field>, nulls: bool, what: &str) -> String {
        let key = (nulls, fields);
        let mut name = camel(hint);
        if reserved_type(&name) {
            name.push_str("Block");
        }
        if let Some(same) = self.by_shape.get(&key).cloned() {
            if same != name && !self.names.is_taken(&name) {
                self.names.claim(&name, "");
                self.aliases.push((name, same.clone()));
            }
            return same;
        }
        let name = self.names.claim(&name, "");
        self.structs.push(StructDef {
            name: name.clone(),
            doc: format!("`{hint}` {what} (of `{}`).", self.type_name),
            fields: key.1.clone(),
            nulls,
        });
        self.by_shape.insert(key, name.clone());
        name
    }

    /// A cty type (`"string"`, `["list", T]`, `["object", {…}]`).
    fn cty(&mut self, ty: &Json, hint: &str) -> Ty {
        match ty {
            Json::String(s) => match s.as_str() {
                "string" => Ty::Str,
                "number" => Ty::Num,
                "bool" => Ty::Bool,
                _ => Ty::Json,
            },
            Json::Array(parts) => match (parts.first().and_then(Json::as_str), parts.get(1)) {
                (Some("list" | "set"), Some(inner)) => Ty::List(Box::new(self.cty(inner, hint))),
                (Some("map"), Some(inner)) => Ty::Map(Box::new(self.cty(inner, hint))),
                (Some("object"), Some(Json::Object(attrs))) => {
                    let mut names = Namespace::default();
                    let fields = attrs
                        .iter()
                        .map(|(k, v)| Field {
                            name: field_name(&mut names, k.clone()),
                            key: k.clone(),
                            ty: self.cty(v, k),
                            required: false,
                            boxed: false,
                            rules: Vec::new(),
                            doc: String::new(),
                        })
                        .collect();
                    Ty::Struct(self.structure(hint, fields, true, "object"))
                }
                _ => Ty::Json,
            },
            _ => Ty::Json,
        }
    }

    /// The settable fields of a block (or of a nested attribute type).
    fn fields(&mut self, block: &Json, top: Option<bool>) -> Vec<Field> {
        let mut names = Namespace::default();
        let mut fields = Vec::new();
        let attrs = members(block, "attributes");
        for (key, a) in &attrs {
            let required = flag(a, "required");
            if !required && !flag(a, "optional") {
                continue; // computed only
            }
            // A resource's `id` and `tags_all` are the provider's to set; a data
            // source's `id` selects what is looked up (`data "aws_vpc"`'s `id`).
            if top == Some(false) && (key == "id" || key == "tags_all") {
                continue;
            }
            let ty = match a.get("nested_type") {
                Some(nested) => {
                    let inner = self.fields(nested, None);
                    let s = Ty::Struct(self.structure(key, inner, false, "attribute"));
                    match nested.get("nesting_mode").and_then(Json::as_str) {
                        Some("single") => s,
                        Some("map") => Ty::Map(Box::new(s)),
                        _ => Ty::List(Box::new(s)),
                    }
                }
                None => self.cty(a.get("type").unwrap_or(&Json::Null), key),
            };
            fields.push(Field {
                name: field_name(&mut names, key.clone()),
                key: key.clone(),
                ty,
                required,
                boxed: false,
                rules: Vec::new(),
                doc: if required { "Required.".into() } else { String::new() },
            });
        }
        let blocks = members(block, "block_types");
        for (key, b) in &blocks {
            let inner_block = b.get("block").cloned().unwrap_or(Json::Null);
            let inner = self.fields(&inner_block, None);
            let s = Ty::Struct(self.structure(key, inner, false, "block"));
            let min = b.get("min_items").and_then(Json::as_u64).unwrap_or(0);
            let max = b.get("max_items").and_then(Json::as_u64).unwrap_or(0);
            let mode = b.get("nesting_mode").and_then(Json::as_str).unwrap_or("list");
            let mut rules = Vec::new();
            let ty = match mode {
                "single" | "group" => s,
                "map" => Ty::Map(Box::new(s)),
                _ if max == 1 => s,
                _ => {
                    if min > 0 || max > 0 {
                        let hi = if max == 0 {
                            "u32::MAX".to_string()
                        } else {
                            max.to_string()
                        };
                        rules.push(format!("l1::Rule::Items({min}, {hi})"));
                    }
                    Ty::List(Box::new(s))
                }
            };
            let required = min >= 1;
            fields.push(Field {
                name: field_name(&mut names, key.clone()),
                key: key.clone(),
                ty,
                required,
                boxed: false,
                rules,
                doc: if required {
                    "A block; required.".into()
                } else {
                    "A block.".into()
                },
            });
        }
        fields
    }
}

fn convert(name: &str, schema: &Json, data_source: bool) -> TypeDef {
    let base = name.strip_prefix("aws_").unwrap_or(name);
    let mut struct_name = camel(base);
    if reserved_type(&struct_name) {
        struct_name.push_str("Resource");
    }
    let refs = format!("{struct_name}Refs");
    let block = schema.get("block").cloned().unwrap_or(Json::Null);
    let mut cx = TypeCx {
        type_name: name,
        names: Namespace::with(&[struct_name.as_str(), refs.as_str()]),
        structs: Vec::new(),
        by_shape: BTreeMap::new(),
        aliases: Vec::new(),
    };
    let fields = cx.fields(&block, Some(data_source));
    let what = if data_source { "data source" } else { "resource" };
    let aliases = cx.aliases;
    let mut structs = cx.structs;
    structs.push(StructDef {
        name: struct_name.clone(),
        doc: format!("`{name}` {what}: its arguments (computed attributes are `{refs}`' methods)."),
        fields,
        nulls: false,
    });
    box_recursive(&mut structs);
    let root = structs.pop().expect("just pushed");

    let attrs_json = members(&block, "attributes");
    let mut methods = Namespace::with(&["node", "attr"]);
    let mut attrs = vec![AttrDef {
        method: methods.claim("id", "_"),
        kind: kind_for(name, "id"),
        source: AttrSource::Terraform("id".into()),
    }];
    for (key, a) in &attrs_json {
        if key == "id" || key == "tags_all" || !flag(a, "computed") {
            continue;
        }
        attrs.push(AttrDef {
            method: methods.claim(&not_keyword(key.clone()), "_"),
            kind: kind_for(name, key),
            source: AttrSource::Terraform(key.clone()),
        });
    }
    let taggable = !data_source
        && attrs_json
            .get("tags")
            .and_then(|t| t.get("type"))
            .is_some_and(|t| t.get(0).and_then(Json::as_str) == Some("map"));
    TypeDef {
        kind: if data_source { Kind::TfData } else { Kind::TfResource },
        service: String::new(),
        module: not_keyword(base.to_string()),
        type_name: name.to_string(),
        root,
        refs,
        structs,
        enums: Vec::new(),
        aliases,
        attrs,
        taggable,
        create_only: Vec::new(),
    }
}

/// The Terraform half of the model, by service: resources, then data sources.
pub fn model(src: &TfSource, cfn_services: &BTreeSet<String>) -> Result<BTreeMap<String, Vec<TypeDef>>, String> {
    let mut out: BTreeMap<String, Vec<TypeDef>> = BTreeMap::new();
    for (schemas, data_source) in [(&src.resources, false), (&src.data_sources, true)] {
        let mut names: Vec<&String> = schemas.keys().collect();
        names.sort();
        for name in names {
            let service = terraform_service(name, cfn_services)?;
            let mut t = convert(name, &schemas[name], data_source);
            t.service = service.clone();
            out.entry(service).or_default().push(t);
        }
    }
    Ok(out)
}
