//! CloudFormation resource provider schemas → the L1 model.
//!
//! - `AWS::SQS::Queue` → service `sqs`, module `queue`, struct `Queue`
//!   (the third part verbatim), handle type `QueueRefs`.
//! - Settable properties (not read-only) → fields; `required` ones are
//!   constructor arguments. `definitions` and inline objects → structs of
//!   the type's module, string enums → enums, `patternProperties` maps →
//!   `Map`, free-form objects and documents → `Json`.
//! - `readOnlyProperties` → `attr_*` methods rendering `Fn::GetAtt`
//!   (nested ones dotted: `Endpoint.Address`), plus `attr_ref` for `Ref`.
//! - Constraints → validation rules: `minLength`/`maxLength`,
//!   `minimum`/`maximum`, `enum`, `minItems`/`maxItems`, and `pattern` where
//!   the `regex-lite` engine the library uses accepts it (others are skipped).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::{box_recursive, float, kind_for, AttrDef, AttrSource, EnumDef, Field, Kind, StructDef, Ty, TypeDef};
use crate::names::{camel, not_keyword, reserved_type, snake, Namespace};
use crate::sources::CfnSource;

/// Method names a property's setter must not take.
pub const RESERVED_METHODS: &[&str] = &[
    "new",
    "default",
    "to_cfn_resource",
    "into_cfn_resource",
    "to_tf_block",
    "into_tf_block",
];

/// A field (and setter) name: not a keyword, not a reserved method name
/// (those get a trailing `_`: `type_`, `default_`), unique in its struct.
pub fn field_name(names: &mut Namespace, name: String) -> String {
    let name = not_keyword(name);
    if RESERVED_METHODS.contains(&name.as_str()) {
        names.claim(&format!("{name}_"), "_")
    } else {
        names.claim(&name, "_")
    }
}

fn types_of(s: &Json) -> Vec<&str> {
    match s.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

fn u32_of(s: &Json, key: &str) -> Option<u32> {
    s.get(key).and_then(Json::as_f64).map(|n| {
        if n >= u32::MAX as f64 {
            u32::MAX
        } else {
            n.max(0.0) as u32
        }
    })
}

fn bounds(s: &Json, min: &str, max: &str) -> Option<String> {
    let (lo, hi) = (u32_of(s, min), u32_of(s, max));
    if lo.is_none() && hi.is_none() {
        return None;
    }
    let hi = match hi {
        Some(u32::MAX) | None => "u32::MAX".to_string(),
        Some(n) => n.to_string(),
    };
    Some(format!("{}, {hi}", lo.unwrap_or(0)))
}

/// The pattern for the library's engine (`regex-lite`), if it accepts it.
/// cfn-lint's patterns are Python's: `\Z` (end of text) is `\z` there.
pub fn pattern_for_engine(p: &str) -> Option<String> {
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\\' {
            match chars.next() {
                Some('Z') => out.push('z'),
                Some(n) => out.push(n),
                None => {}
            }
        }
    }
    regex_lite::Regex::new(&out).is_ok().then_some(out)
}

struct TypeCx<'a> {
    type_name: &'a str,
    defs: Map<String, Json>,
    names: Namespace,
    structs: Vec<StructDef>,
    enums: Vec<EnumDef>,
    /// Definitions already converted (a struct's entry is made before its
    /// fields, so recursive definitions resolve).
    def_cache: BTreeMap<String, (Ty, Vec<String>)>,
    in_progress: BTreeSet<String>,
    /// Enums by their value lists, so identical ones are generated once.
    enum_by_values: BTreeMap<Vec<String>, String>,
    aliases: Vec<(String, String)>,
}

impl TypeCx<'_> {
    fn claim_type(&mut self, hint: &str, suffix: &str) -> String {
        let mut name = camel(hint);
        if reserved_type(&name) {
            name.push_str(suffix);
        }
        self.names.claim(&name, "")
    }

    fn definition(&mut self, name: &str) -> (Ty, Vec<String>) {
        if let Some(done) = self.def_cache.get(name) {
            return done.clone();
        }
        let Some(def) = self.defs.get(name).cloned() else {
            return (Ty::Json, Vec::new());
        };
        if !self.in_progress.insert(name.to_string()) {
            // A definition that contains itself other than through an object.
            return (Ty::Json, Vec::new());
        }
        let result = if self.is_struct(&def) {
            let rust = self.claim_type(name, "Property");
            self.def_cache
                .insert(name.to_string(), (Ty::Struct(rust.clone()), Vec::new()));
            self.fill_struct(&rust, &def, format!("`{name}` (a definition of `{}`).", self.type_name));
            (Ty::Struct(rust), Vec::new())
        } else {
            self.convert(&def, name)
        };
        self.in_progress.remove(name);
        self.def_cache.insert(name.to_string(), result.clone());
        result
    }

    fn is_struct(&self, s: &Json) -> bool {
        let types = types_of(s);
        s.get("properties")
            .and_then(Json::as_object)
            .is_some_and(|p| !p.is_empty())
            && s.get("patternProperties").is_none()
            && (types.is_empty() || types.contains(&"object"))
    }

    fn object_props(&self, s: &Json) -> Option<Map<String, Json>> {
        object_props(&self.defs, s, 0)
    }

    fn convert(&mut self, s: &Json, hint: &str) -> (Ty, Vec<String>) {
        if let Some(r) = s.get("$ref").and_then(Json::as_str) {
            return match r.strip_prefix("#/definitions/") {
                Some(name) => self.definition(name),
                None => (Ty::Json, Vec::new()),
            };
        }
        if self.is_struct(s) {
            return (Ty::Struct(self.inline_struct(hint, s)), Vec::new());
        }
        let types = types_of(s);
        if types.is_empty() {
            // Alternatives that are all objects: one struct with every key.
            for key in ["oneOf", "anyOf", "allOf"] {
                let Some(alts) = s.get(key).and_then(Json::as_array) else {
                    continue;
                };
                let props: Vec<Option<Map<String, Json>>> = alts.iter().map(|a| self.object_props(a)).collect();
                if !props.is_empty() && props.iter().all(|p| p.as_ref().is_some_and(|p| !p.is_empty())) {
                    let mut merged = Map::new();
                    for p in props.into_iter().flatten() {
                        for (k, v) in p {
                            merged.entry(k).or_insert(v);
                        }
                    }
                    let object = serde_json::json!({ "type": "object", "properties": merged });
                    return (Ty::Struct(self.inline_struct(hint, &object)), Vec::new());
                }
                // Otherwise the list form, if one is offered (a JSON string being the other).
                if let Some(list) = alts
                    .iter()
                    .find(|a| a.get("$ref").is_some() || types_of(a).contains(&"array"))
                {
                    return self.convert(list, hint);
                }
            }
            return self.map_or_json(s, hint);
        }
        // "Any JSON value" (Lambda environment variables): strings in practice.
        if types.len() >= 3 && types.contains(&"string") {
            return (Ty::Str, Vec::new());
        }
        if types.contains(&"object") {
            return self.map_or_json(s, hint);
        }
        if types.contains(&"array") {
            let (item, item_rules) = match s.get("items") {
                Some(items) if items.is_object() => self.convert(items, hint),
                _ => (Ty::Json, Vec::new()),
            };
            let mut rules = Vec::new();
            if let Some(b) = bounds(s, "minItems", "maxItems") {
                rules.push(format!("l1::Rule::Items({b})"));
            }
            if !item_rules.is_empty() {
                rules.push(format!("l1::Rule::Each(&[{}])", item_rules.join(", ")));
            }
            return (Ty::List(Box::new(item)), rules);
        }
        let number_rules = |s: &Json| -> Vec<String> {
            let (lo, hi) = (
                s.get("minimum").and_then(Json::as_f64),
                s.get("maximum").and_then(Json::as_f64),
            );
            if lo.is_none() && hi.is_none() {
                return Vec::new();
            }
            vec![format!(
                "l1::Rule::Range({}, {})",
                float(lo.unwrap_or(f64::NEG_INFINITY)),
                float(hi.unwrap_or(f64::INFINITY))
            )]
        };
        if types.contains(&"integer") {
            let mut rules = number_rules(s);
            if let Some(values) = s.get("enum").and_then(Json::as_array) {
                let ints: Vec<String> = values.iter().filter_map(Json::as_i64).map(|n| n.to_string()).collect();
                if !ints.is_empty() && ints.len() == values.len() {
                    rules.push(format!("l1::Rule::IntEnum(&[{}])", ints.join(", ")));
                }
            }
            return (Ty::Int, rules);
        }
        if types.contains(&"number") {
            return (Ty::Num, number_rules(s));
        }
        if types.contains(&"boolean") {
            return (Ty::Bool, Vec::new());
        }
        if types.contains(&"string") {
            let mut rules = Vec::new();
            if let Some(b) = bounds(s, "minLength", "maxLength") {
                rules.push(format!("l1::Rule::Len({b})"));
            }
            if let Some(p) = s.get("pattern").and_then(Json::as_str).and_then(pattern_for_engine) {
                rules.push(format!("l1::Rule::Pattern({p:?})"));
            }
            if let Some(values) = s.get("enum").and_then(Json::as_array) {
                let strings: Vec<String> = values.iter().filter_map(|v| v.as_str().map(String::from)).collect();
                if !strings.is_empty() && strings.len() == values.len() {
                    let name = self.enum_for(hint, strings);
                    let ci = s.get("enumCaseInsensitive").and_then(Json::as_bool) == Some(true);
                    let rule = if ci { "EnumCi" } else { "Enum" };
                    rules.push(format!("l1::Rule::{rule}({name}::VALUES)"));
                }
            }
            return (Ty::Str, rules);
        }
        (Ty::Json, Vec::new())
    }

    fn map_or_json(&mut self, s: &Json, hint: &str) -> (Ty, Vec<String>) {
        let value = s
            .get("patternProperties")
            .and_then(Json::as_object)
            .filter(|p| p.len() == 1)
            .and_then(|p| p.values().next().cloned())
            .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()).cloned());
        match value {
            Some(v) => {
                let (ty, _) = self.convert(&v, hint);
                match ty {
                    Ty::Json => (Ty::Json, Vec::new()),
                    ty => (Ty::Map(Box::new(ty)), Vec::new()),
                }
            }
            None => (Ty::Json, Vec::new()),
        }
    }

    fn enum_for(&mut self, hint: &str, values: Vec<String>) -> String {
        if let Some(name) = self.enum_by_values.get(&values) {
            return name.clone();
        }
        let name = self.claim_type(hint, "Value");
        let mut variants = Namespace::with(&["Self"]);
        let pairs = values
            .iter()
            .map(|v| (variants.claim(&variant_name(v), ""), v.clone()))
            .collect();
        self.enums.push(EnumDef {
            name: name.clone(),
            doc: format!("Values of `{hint}` (of `{}`).", self.type_name),
            variants: pairs,
        });
        self.enum_by_values.insert(values, name.clone());
        name
    }

    fn fields(
        &mut self,
        s: &Json,
        skip: &dyn Fn(&str, &Json) -> bool,
        annotate: &dyn Fn(&str) -> String,
    ) -> Vec<Field> {
        let required: BTreeSet<&str> = s
            .get("required")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let props = s
            .get("properties")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        let mut names = Namespace::default();
        let mut fields = Vec::new();
        for (key, prop) in &props {
            if skip(key, prop) {
                continue;
            }
            let (ty, rules) = self.convert(prop, key);
            let req = required.contains(key.as_str());
            let mut notes = Vec::new();
            if req {
                notes.push("required".to_string());
            }
            let extra = annotate(key);
            if !extra.is_empty() {
                notes.push(extra);
            }
            let doc = if notes.is_empty() {
                String::new()
            } else {
                let text = notes.join(", ");
                format!("{}{}.", text[..1].to_ascii_uppercase(), &text[1..])
            };
            fields.push(Field {
                name: field_name(&mut names, snake(key)),
                key: key.clone(),
                ty,
                required: req,
                boxed: false,
                rules,
                doc,
            });
        }
        fields
    }

    /// A struct for an object schema met inline; one with the same fields
    /// as an earlier one is that one.
    fn inline_struct(&mut self, hint: &str, s: &Json) -> String {
        let fields = self.fields(s, &|_, _| false, &|_| String::new());
        if let Some(same) = self.structs.iter().find(|d| d.fields == fields).map(|d| d.name.clone()) {
            let alias = camel(hint);
            if alias != same && !reserved_type(&alias) && !self.names.is_taken(&alias) {
                self.names.claim(&alias, "");
                self.aliases.push((alias, same.clone()));
            }
            return same;
        }
        let name = self.claim_type(hint, "Property");
        self.structs.push(StructDef {
            name: name.clone(),
            doc: format!("`{hint}` (of `{}`).", self.type_name),
            fields,
            nulls: false,
        });
        name
    }

    fn fill_struct(&mut self, name: &str, s: &Json, doc: String) {
        let fields = self.fields(s, &|_, _| false, &|_| String::new());
        self.structs.push(StructDef {
            name: name.to_string(),
            doc,
            fields,
            nulls: false,
        });
    }
}

/// An enum variant for a schema value: `PAY_PER_REQUEST` → `PayPerRequest`,
/// `t3.micro` → `T3Micro`, `aws:kms` → `AwsKms`.
pub fn variant_name(value: &str) -> String {
    let words: Vec<String> = value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.len() > 1 && !w.chars().any(|c| c.is_ascii_lowercase()) {
                w.to_ascii_lowercase()
            } else {
                w.to_string()
            }
        })
        .collect();
    if words.is_empty() {
        return if value.is_empty() {
            "Empty".into()
        } else {
            "Value".into()
        };
    }
    camel(&words.join("_"))
}

/// The properties of an object schema or of the definition it refers to.
fn object_props(defs: &Map<String, Json>, s: &Json, depth: usize) -> Option<Map<String, Json>> {
    if let Some(r) = s.get("$ref").and_then(Json::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return defs
            .get(name)
            .filter(|_| depth < 8)
            .and_then(|d| object_props(defs, d, depth + 1));
    }
    s.get("properties").and_then(Json::as_object).cloned()
}

/// The JSON Pointer's parts below `/properties/`.
fn pointer_parts(p: &str) -> Option<Vec<&str>> {
    p.strip_prefix("/properties/").map(|r| r.split('/').collect())
}

fn convert_type(name: &str, schema: &Json) -> Result<(String, TypeDef), String> {
    let parts: Vec<&str> = name.split("::").collect();
    let [_, service, ty] = parts.as_slice() else {
        return Err(format!("{name}: not a three-part type name"));
    };
    let service = service.to_ascii_lowercase();
    let struct_name = if reserved_type(ty) || !ty.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("{}Resource", camel(ty))
    } else {
        ty.to_string()
    };
    let refs = format!("{struct_name}Refs");
    let defs = schema
        .get("definitions")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let strings = |key: &str| -> Vec<String> {
        schema
            .get(key)
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
            .unwrap_or_default()
    };
    let read_only: BTreeSet<String> = strings("readOnlyProperties").into_iter().collect();
    let create_only = strings("createOnlyProperties");
    let mut cx = TypeCx {
        type_name: name,
        defs,
        names: Namespace::with(&[struct_name.as_str(), refs.as_str()]),
        structs: Vec::new(),
        enums: Vec::new(),
        def_cache: BTreeMap::new(),
        in_progress: BTreeSet::new(),
        enum_by_values: BTreeMap::new(),
        aliases: Vec::new(),
    };
    // A property is left out if it is read-only, or every key of its object is.
    let defs_for_skip = cx.defs.clone();
    let skip = |key: &str, prop: &Json| -> bool {
        let pointer = format!("/properties/{key}");
        if read_only.contains(&pointer) {
            return true;
        }
        let below = format!("{pointer}/");
        if !read_only.iter().any(|r| r.starts_with(&below)) {
            return false;
        }
        object_props(&defs_for_skip, prop, 0)
            .is_some_and(|p| !p.is_empty() && p.keys().all(|k| read_only.contains(&format!("{below}{k}"))))
    };
    let annotate = |key: &str| -> String {
        if create_only.iter().any(|c| c == &format!("/properties/{key}")) {
            "create-only".into()
        } else {
            String::new()
        }
    };
    let fields = cx.fields(schema, &skip, &annotate);
    let root = StructDef {
        name: struct_name.clone(),
        doc: format!("`{name}`: its properties (settable ones; read-only ones are `{refs}`' attributes)."),
        fields,
        nulls: false,
    };
    let mut structs = cx.structs;
    structs.push(root);
    box_recursive(&mut structs);
    let root = structs.pop().expect("just pushed");

    // Attributes: `Ref`, then each read-only property GetAtt can name.
    let mut methods = Namespace::with(&["node", "attr"]);
    let mut attrs = vec![AttrDef {
        method: methods.claim("attr_ref", "_"),
        kind: kind_for(name, ""),
        source: AttrSource::Ref,
    }];
    for r in strings("readOnlyProperties") {
        let Some(parts) = pointer_parts(&r) else { continue };
        if parts.iter().any(|p| *p == "*" || p.is_empty()) {
            continue;
        }
        let dotted = parts.join(".");
        attrs.push(AttrDef {
            method: methods.claim(&format!("attr_{}", snake(&parts.join("_"))), "_"),
            kind: kind_for(name, &dotted),
            source: AttrSource::GetAtt(dotted),
        });
    }
    let taggable = taggable(schema, &cx.defs);
    Ok((
        service,
        TypeDef {
            kind: Kind::CfnResource,
            service: String::new(),
            module: String::new(),
            type_name: name.to_string(),
            root,
            refs,
            structs,
            enums: cx.enums,
            aliases: cx.aliases,
            attrs,
            taggable,
            create_only,
        },
    ))
}

/// Whether the stack's tags can be added: the schema's tag property is
/// `Tags`, a list of `{Key, Value}` (a type whose `Tags` is a map is not).
fn taggable(schema: &Json, defs: &Map<String, Json>) -> bool {
    if schema.pointer("/tagging/taggable").and_then(Json::as_bool) == Some(false)
        || schema.pointer("/tagging/tagProperty").and_then(Json::as_str) != Some("/properties/Tags")
    {
        return false;
    }
    let resolve = |s: &Json| -> Json {
        let mut s = s.clone();
        for _ in 0..4 {
            let next = s
                .get("$ref")
                .and_then(Json::as_str)
                .and_then(|r| r.strip_prefix("#/definitions/"))
                .and_then(|n| defs.get(n))
                .cloned();
            match next {
                Some(n) => s = n,
                None => break,
            }
        }
        s
    };
    let Some(tags) = schema.pointer("/properties/Tags").map(resolve) else {
        return false;
    };
    if !types_of(&tags).contains(&"array") {
        return false;
    }
    let item = resolve(tags.get("items").unwrap_or(&Json::Null));
    let props = item.get("properties").and_then(Json::as_object);
    props.is_some_and(|p| p.contains_key("Key") && p.contains_key("Value"))
}

/// The CloudFormation half of the model, by service.
pub fn model(src: &CfnSource) -> Result<BTreeMap<String, Vec<TypeDef>>, String> {
    let mut out: BTreeMap<String, Vec<TypeDef>> = BTreeMap::new();
    let mut modules: BTreeMap<String, Namespace> = BTreeMap::new();
    for (name, schema) in &src.types {
        let (service, mut t) = convert_type(name, schema)?;
        let ty = name.rsplit("::").next().unwrap_or(name);
        t.module = modules
            .entry(service.clone())
            .or_insert_with(|| Namespace::with(&["data"]))
            .claim(&not_keyword(snake(ty)), "_");
        t.service = service.clone();
        out.entry(service).or_default().push(t);
    }
    Ok(out)
}
