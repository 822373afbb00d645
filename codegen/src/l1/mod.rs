//! Typed L1 bindings: one Rust struct per CloudFormation resource type
//! ([`cfn`]) and per Terraform resource and data source ([`tf`]), written
//! under `constructs/src/cfn/` and `constructs/src/tf/`, one file per type
//! and a module per service, each service behind a cargo feature of its
//! name ([`features`]).
//!
//! Both schemas are turned into the same small model ([`TypeDef`]: structs
//! with typed fields and validation rules, enums, attributes), which
//! [`emit`] writes out as invocations of the macros in `constructs/src/l1.rs`.

pub mod cfn;
pub mod emit;
pub mod features;
pub mod tf;

use std::collections::BTreeMap;

/// A property's type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    Str,
    Int,
    Num,
    Bool,
    Json,
    List(Box<Ty>),
    Map(Box<Ty>),
    /// A generated struct of the same module.
    Struct(String),
}

impl Ty {
    pub fn rust(&self) -> String {
        match self {
            Ty::Str => "l1::Str".into(),
            Ty::Int => "l1::Int".into(),
            Ty::Num => "l1::Num".into(),
            Ty::Bool => "l1::Bool".into(),
            Ty::Json => "l1::Json".into(),
            Ty::List(t) => format!("l1::List<{}>", t.rust()),
            Ty::Map(t) => format!("l1::Map<{}>", t.rust()),
            Ty::Struct(s) => s.clone(),
        }
    }
}

/// One field of a generated struct.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Field {
    /// The Rust name (field and setter).
    pub name: String,
    /// The schema's name, as rendered.
    pub key: String,
    pub ty: Ty,
    pub required: bool,
    /// Boxed because the type contains itself.
    pub boxed: bool,
    /// Validation rules, as Rust expressions (`l1::Rule::Len(1, 80)`).
    pub rules: Vec<String>,
    /// The doc line.
    pub doc: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDef {
    pub name: String,
    pub doc: String,
    pub fields: Vec<Field>,
    /// Render unset fields as `null` (Terraform object types).
    pub nulls: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDef {
    pub name: String,
    pub doc: String,
    /// `(variant, value)`.
    pub variants: Vec<(String, String)>,
}

/// How an attribute renders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrSource {
    Ref,
    GetAtt(String),
    Terraform(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrDef {
    pub method: String,
    /// The `constructs::kind` marker (`Arn`, `Text`, …).
    pub kind: &'static str,
    pub source: AttrSource,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    CfnResource,
    TfResource,
    TfData,
}

/// One generated type: its file, its properties' struct and what it needs.
#[derive(Clone, Debug)]
pub struct TypeDef {
    pub kind: Kind,
    /// The service module (and cargo feature), e.g. `sqs`.
    pub service: String,
    /// The file and module name, e.g. `queue`, `sqs_queue`.
    pub module: String,
    /// `AWS::SQS::Queue`, `aws_sqs_queue`.
    pub type_name: String,
    /// The properties' struct: the resource itself.
    pub root: StructDef,
    pub refs: String,
    /// Other structs and enums of the type, in the order they were met.
    pub structs: Vec<StructDef>,
    pub enums: Vec<EnumDef>,
    /// `(alias, struct)`: names a shared struct also goes by (an `ingress`
    /// block with the same fields as `egress` is `Ingress`, an alias of `Egress`).
    pub aliases: Vec<(String, String)>,
    pub attrs: Vec<AttrDef>,
    pub taggable: bool,
    pub create_only: Vec<String>,
}

/// Every generated type, by backend and service.
pub struct Model {
    pub cfn: BTreeMap<String, Vec<TypeDef>>,
    pub tf: BTreeMap<String, Vec<TypeDef>>,
}

impl Model {
    /// Every service of either backend: the cargo features.
    pub fn services(&self) -> Vec<String> {
        let mut all: Vec<String> = self.cfn.keys().chain(self.tf.keys()).cloned().collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The `constructs::kind` marker an attribute's value gets, from its name:
/// ARNs, ids, names and URLs are typed so they can be passed to hand-written
/// constructs that want one; the rest is text.
pub fn kind_for(type_name: &str, attr: &str) -> &'static str {
    const SPECIAL: &[(&str, &str, &str)] = &[
        ("AWS::EC2::VPC", "", "VpcId"),
        ("AWS::EC2::VPC", "VpcId", "VpcId"),
        ("AWS::EC2::Subnet", "", "SubnetId"),
        ("AWS::EC2::Subnet", "SubnetId", "SubnetId"),
        ("AWS::EC2::Subnet", "VpcId", "VpcId"),
        ("AWS::EC2::SecurityGroup", "", "SecurityGroupId"),
        ("AWS::EC2::SecurityGroup", "GroupId", "SecurityGroupId"),
        ("AWS::EC2::SecurityGroup", "VpcId", "VpcId"),
        ("aws_vpc", "id", "VpcId"),
        ("aws_subnet", "id", "SubnetId"),
        ("aws_subnet", "vpc_id", "VpcId"),
        ("aws_subnets", "ids", "SubnetIds"),
        ("aws_security_group", "id", "SecurityGroupId"),
        ("aws_security_group", "vpc_id", "VpcId"),
        ("aws_default_vpc", "id", "VpcId"),
        ("aws_default_subnet", "id", "SubnetId"),
        ("aws_default_security_group", "id", "SecurityGroupId"),
    ];
    if let Some((_, _, k)) = SPECIAL.iter().find(|(t, a, _)| *t == type_name && *a == attr) {
        return k;
    }
    let a = crate::names::snake(attr);
    let last = a.rsplit('_').next().unwrap_or(&a);
    match (a.as_str(), last) {
        ("account_id", _) | (_, "accountid") => "AccountId",
        ("region", _) => "Region",
        (_, "arn") => "Arn",
        (_, "id") => "Id",
        (_, "name") => "Name",
        (_, "url" | "uri") => "Uri",
        _ => "Text",
    }
}

/// A float as a Rust literal.
pub fn float(x: f64) -> String {
    if x == f64::INFINITY {
        "f64::INFINITY".into()
    } else if x == f64::NEG_INFINITY {
        "f64::NEG_INFINITY".into()
    } else {
        format!("{x:?}")
    }
}

/// Marks struct fields that must be boxed: a field whose struct can reach
/// the field's own struct through other unboxed struct fields (lists and
/// maps are already indirect).
pub fn box_recursive(structs: &mut [StructDef]) {
    let direct: BTreeMap<String, Vec<String>> = structs
        .iter()
        .map(|s| {
            let targets = s
                .fields
                .iter()
                .filter_map(|f| match &f.ty {
                    Ty::Struct(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            (s.name.clone(), targets)
        })
        .collect();
    let reaches = |from: &str, to: &str| -> bool {
        let mut stack = vec![from.to_string()];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                stack.extend(direct.get(&n).into_iter().flatten().cloned());
            }
        }
        false
    };
    for s in structs.iter_mut() {
        let name = s.name.clone();
        for f in s.fields.iter_mut() {
            if let Ty::Struct(t) = &f.ty {
                f.boxed = reaches(t, &name);
            }
        }
    }
}
