//! Existing resources the stack only looks up: a VPC, subnets, a load balancer,
//! its listener, a security group, an IAM role.
//!
//! Each is modelled once and rendered natively: a Terraform `data` source (as the
//! seed does) and a typed CloudFormation `Parameter` (`AWS::EC2::VPC::Id`,
//! `List<AWS::EC2::Subnet::Id>`, …), because CloudFormation cannot search by name
//! or tag. When a lookup is given by id or ARN, that value becomes the parameter's
//! `Default`, so the template deploys without extra input; when it is given by
//! name or tag, the value must be supplied at deploy time. A lookup nobody
//! references is left out of both outputs.

use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::problem::Checker;
use crate::resource::{CfnBlock, CfnParameter, RenderCx, Resource, TfBlock};
use crate::tf;

/// What `deploy` asks the AWS APIs to find the value of a lookup's
/// CloudFormation parameter (CloudFormation cannot search by name or tag;
/// Terraform's data sources do it themselves). `I` is how an input that
/// depends on another lookup is given: an [`Expr`] in the model, a
/// [`LookupInput`] in a synthesized [`crate::Artifact`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LookupQuery<I> {
    /// The one VPC whose `Name` tag is `name`.
    VpcByNameTag { name: String },
    /// Every subnet of `vpc` carrying all of `tags` (at least one must match).
    SubnetsByTags { vpc: I, tags: Vec<(String, String)> },
    /// The load balancer named `name` (names are unique per account and region).
    LoadBalancerByName { name: String },
    /// The listener on `port` of `load_balancer` (an ARN).
    ListenerByPort { load_balancer: I, port: u16 },
    /// The security group named `name` in `vpc` (names are unique per VPC).
    SecurityGroupByName { name: String, vpc: I },
    /// The IAM role named `name`; its ARN is the value.
    IamRoleByName { name: String },
}

/// An input of a [`LookupQuery`] in a synthesized template: a literal, or the
/// value of another parameter of the same template (resolve that one first).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupInput {
    Literal(String),
    Parameter(String),
}

impl<I> LookupQuery<I> {
    /// The inputs that may come from another lookup.
    pub fn inputs(&self) -> Vec<&I> {
        match self {
            LookupQuery::SubnetsByTags { vpc: i, .. }
            | LookupQuery::ListenerByPort { load_balancer: i, .. }
            | LookupQuery::SecurityGroupByName { vpc: i, .. } => vec![i],
            LookupQuery::VpcByNameTag { .. }
            | LookupQuery::LoadBalancerByName { .. }
            | LookupQuery::IamRoleByName { .. } => Vec::new(),
        }
    }

    /// The same query with its inputs converted by `f`.
    pub fn try_map<J, E>(self, mut f: impl FnMut(I) -> Result<J, E>) -> Result<LookupQuery<J>, E> {
        Ok(match self {
            LookupQuery::VpcByNameTag { name } => LookupQuery::VpcByNameTag { name },
            LookupQuery::SubnetsByTags { vpc, tags } => LookupQuery::SubnetsByTags { vpc: f(vpc)?, tags },
            LookupQuery::LoadBalancerByName { name } => LookupQuery::LoadBalancerByName { name },
            LookupQuery::ListenerByPort { load_balancer, port } => LookupQuery::ListenerByPort {
                load_balancer: f(load_balancer)?,
                port,
            },
            LookupQuery::SecurityGroupByName { name, vpc } => LookupQuery::SecurityGroupByName { name, vpc: f(vpc)? },
            LookupQuery::IamRoleByName { name } => LookupQuery::IamRoleByName { name },
        })
    }
}

/// A parameter of a synthesized CloudFormation template that `deploy` resolves.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParameterLookup {
    /// The parameter's logical id.
    pub parameter: String,
    pub query: LookupQuery<LookupInput>,
}

const ID: Attribute = Attribute::new(CfnAttr::Ref, "id");
const IDS: Attribute = Attribute::new(CfnAttr::Ref, "ids");
const ARN: Attribute = Attribute::new(CfnAttr::Ref, "arn");

/// How an existing resource is identified.
#[derive(Clone, Debug, PartialEq)]
enum By {
    /// Its id or ARN, known when the stack is written.
    Id(String),
    /// A name or `Name` tag, resolved by Terraform; supplied as a parameter in CloudFormation.
    Name(String),
}

fn parameter(
    type_name: &'static str,
    description: String,
    by: &By,
    pattern: Option<&'static str>,
    lookup: Option<LookupQuery<Expr>>,
) -> Vec<CfnBlock> {
    let mut p = CfnParameter::new(type_name, description);
    p.lookup = lookup;
    if let By::Id(id) = by {
        p.default = Some(serde_json::Value::String(id.clone()));
    }
    p.allowed_pattern = pattern;
    vec![p.into_block()]
}

fn check_prefix(c: &mut Checker<'_>, by: &By, what: &str, prefix: &str) {
    if let By::Id(id) = by {
        c.ensure(
            id.starts_with(prefix) && id.len() > prefix.len(),
            "lookup-id-format",
            || format!("{what} {id:?} must start with {prefix:?}"),
        );
    }
    if let By::Name(n) = by {
        c.ensure(!n.is_empty(), "lookup-id-format", || {
            format!("{what} name must not be empty")
        });
    }
}

/// An existing VPC.
#[derive(Clone, Debug, PartialEq)]
pub struct VpcLookup {
    by: By,
}

impl VpcLookup {
    pub fn by_id(id: &str) -> Self {
        VpcLookup { by: By::Id(id.into()) }
    }
    /// Finds the VPC by its `Name` tag, as the seed does.
    pub fn by_name_tag(name: &str) -> Self {
        VpcLookup {
            by: By::Name(name.into()),
        }
    }
}

crate::refs! {
    /// What a handle to [`VpcLookup`] exposes: its attributes and grants.
    pub VpcLookupRefs
}

impl VpcLookupRefs {
    pub fn id(&self) -> Attr<kind::VpcId> {
        self.attr(ID)
    }
}

impl Resource for VpcLookup {
    type Refs = VpcLookupRefs;

    fn kind(&self) -> &'static str {
        "VpcLookup"
    }
    fn is_lookup(&self) -> bool {
        true
    }
    fn validate(&self, c: &mut Checker<'_>) {
        check_prefix(c, &self.by, "VPC id", "vpc-");
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let what = match &self.by {
            By::Id(id) => format!("Existing VPC {id}"),
            By::Name(n) => format!("Id of the existing VPC tagged Name={n}"),
        };
        let lookup = match &self.by {
            By::Id(_) => None,
            By::Name(n) => Some(LookupQuery::VpcByNameTag { name: n.clone() }),
        };
        Some(parameter("AWS::EC2::VPC::Id", what, &self.by, None, lookup))
    }
    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let vpc = match &self.by {
            By::Id(id) => tf::aws::data::Vpc::new().id(id),
            By::Name(n) => tf::aws::data::Vpc::new().tags([("Name", n)]),
        };
        Some(vec![vpc.into_tf_block()])
    }
}

/// Existing subnets, as a list of ids.
#[derive(Clone, Debug, PartialEq)]
pub struct SubnetsLookup {
    ids: Vec<String>,
    vpc: Option<Expr>,
    tags: Vec<(String, String)>,
}

impl SubnetsLookup {
    pub fn by_ids(ids: &[&str]) -> Self {
        SubnetsLookup {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            vpc: None,
            tags: Vec::new(),
        }
    }
    /// The subnets of `vpc` carrying every tag in `tags` (e.g. `("Tier", "private")`).
    pub fn by_tags(vpc: impl Into<Value<kind::VpcId>>, tags: &[(&str, &str)]) -> Self {
        SubnetsLookup {
            ids: Vec::new(),
            vpc: Some(vpc.into().into_expr()),
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

crate::refs! {
    /// What a handle to [`SubnetsLookup`] exposes: its attributes and grants.
    pub SubnetsLookupRefs
}

impl SubnetsLookupRefs {
    pub fn ids(&self) -> Attr<kind::SubnetIds> {
        self.attr(IDS)
    }
}

impl Resource for SubnetsLookup {
    type Refs = SubnetsLookupRefs;

    fn kind(&self) -> &'static str {
        "SubnetsLookup"
    }
    fn is_lookup(&self) -> bool {
        true
    }
    fn validate(&self, c: &mut Checker<'_>) {
        if self.vpc.is_none() {
            c.ensure(!self.ids.is_empty(), "lookup-id-format", || {
                "at least one subnet id is required".into()
            });
        }
        for id in &self.ids {
            c.ensure(id.starts_with("subnet-") && id.len() > 7, "lookup-id-format", || {
                format!("subnet id {id:?} must start with \"subnet-\"")
            });
        }
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let mut p = CfnParameter::new("List<AWS::EC2::Subnet::Id>", "");
        if self.ids.is_empty() {
            let tags: Vec<String> = self.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            p.description = format!("Ids of the existing subnets tagged {}", tags.join(", "));
            p.lookup = self.vpc.clone().map(|vpc| LookupQuery::SubnetsByTags {
                vpc,
                tags: self.tags.clone(),
            });
        } else {
            p.description = "Existing subnets".into();
            p.default = Some(serde_json::Value::String(self.ids.join(",")));
        }
        Some(vec![p.into_block()])
    }
    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        use tf::aws::ec2::data::subnets::Filter;
        let mut filters = Vec::new();
        if let Some(vpc) = &self.vpc {
            filters.push(Filter::new("vpc-id", [vpc.clone()]));
        }
        for (k, v) in &self.tags {
            filters.push(Filter::new(format!("tag:{k}"), [v]));
        }
        if !self.ids.is_empty() {
            filters.push(Filter::new("subnet-id", self.ids.clone()));
        }
        Some(vec![tf::aws::data::Subnets::new().filter(filters).into_tf_block()])
    }
}

/// Load balancer names: 1-32 letters, digits or hyphens, not starting or ending
/// with a hyphen. Shared with environment-file checks so both accept the same names.
pub fn is_load_balancer_name(n: &str) -> bool {
    (1..=32).contains(&n.len())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !n.starts_with('-')
        && !n.ends_with('-')
}

/// An existing load balancer.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancerLookup {
    by: By,
}

impl LoadBalancerLookup {
    pub fn by_arn(arn: &str) -> Self {
        LoadBalancerLookup { by: By::Id(arn.into()) }
    }
    pub fn by_name(name: &str) -> Self {
        LoadBalancerLookup {
            by: By::Name(name.into()),
        }
    }
}

crate::refs! {
    /// What a handle to [`LoadBalancerLookup`] exposes: its attributes and grants.
    pub LoadBalancerLookupRefs
}

impl LoadBalancerLookupRefs {
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
}

const LB_ARN_PATTERN: &str = "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/.+$";
const LISTENER_ARN_PATTERN: &str = "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/.+$";

impl Resource for LoadBalancerLookup {
    type Refs = LoadBalancerLookupRefs;

    fn kind(&self) -> &'static str {
        "LoadBalancerLookup"
    }
    fn is_lookup(&self) -> bool {
        true
    }
    fn validate(&self, c: &mut Checker<'_>) {
        check_prefix(c, &self.by, "load balancer ARN", "arn:");
        if let By::Name(n) = &self.by {
            c.ensure(is_load_balancer_name(n), "lookup-id-format", || {
                format!("load balancer name {n:?} must be 1-32 letters, digits or hyphens, not starting or ending with a hyphen")
            });
        }
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let what = match &self.by {
            By::Id(_) => "ARN of the existing load balancer".to_string(),
            By::Name(n) => format!("ARN of the existing load balancer named {n}"),
        };
        let lookup = match &self.by {
            By::Id(_) => None,
            By::Name(n) => Some(LookupQuery::LoadBalancerByName { name: n.clone() }),
        };
        Some(parameter("String", what, &self.by, Some(LB_ARN_PATTERN), lookup))
    }
    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let lb = match &self.by {
            By::Id(arn) => tf::aws::data::Lb::new().arn(arn),
            By::Name(n) => tf::aws::data::Lb::new().name(n),
        };
        Some(vec![lb.into_tf_block()])
    }
}

/// An existing load balancer listener.
#[derive(Clone, Debug, PartialEq)]
pub struct ListenerLookup {
    arn: Option<String>,
    load_balancer: Option<Expr>,
    port: u16,
}

impl ListenerLookup {
    pub fn by_arn(arn: &str) -> Self {
        ListenerLookup {
            arn: Some(arn.into()),
            load_balancer: None,
            port: 0,
        }
    }
    /// The listener on `port` of a load balancer, as the seed finds its port-443 listener.
    pub fn by_port(load_balancer: impl Into<Value<kind::Arn>>, port: u16) -> Self {
        ListenerLookup {
            arn: None,
            load_balancer: Some(load_balancer.into().into_expr()),
            port,
        }
    }
}

crate::refs! {
    /// What a handle to [`ListenerLookup`] exposes: its attributes and grants.
    pub ListenerLookupRefs
}

impl ListenerLookupRefs {
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
}

impl Resource for ListenerLookup {
    type Refs = ListenerLookupRefs;

    fn kind(&self) -> &'static str {
        "ListenerLookup"
    }
    fn is_lookup(&self) -> bool {
        true
    }
    fn validate(&self, c: &mut Checker<'_>) {
        match &self.arn {
            Some(arn) => c.ensure(
                arn.starts_with("arn:") && arn.contains(":listener/"),
                "lookup-id-format",
                || format!("listener ARN {arn:?} must be an elasticloadbalancing listener ARN"),
            ),
            None => c.range("listener port", self.port.into(), 1, 65535, "port-range"),
        }
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let mut p = CfnParameter::new("String", "");
        match &self.arn {
            Some(arn) => {
                p.description = "ARN of the existing listener".into();
                p.default = Some(serde_json::Value::String(arn.clone()));
            }
            None => {
                p.description = format!("ARN of the existing listener on port {}", self.port);
                p.lookup = self
                    .load_balancer
                    .clone()
                    .map(|load_balancer| LookupQuery::ListenerByPort {
                        load_balancer,
                        port: self.port,
                    });
            }
        }
        p.allowed_pattern = Some(LISTENER_ARN_PATTERN);
        Some(vec![p.into_block()])
    }
    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let listener = tf::aws::data::LbListener::new();
        let listener = match (&self.arn, &self.load_balancer) {
            (Some(arn), _) => listener.arn(arn),
            (None, Some(lb)) => listener.load_balancer_arn(lb.clone()).port(self.port),
            (None, None) => listener,
        };
        Some(vec![listener.into_tf_block()])
    }
}

/// An existing security group, e.g. the load balancer's.
#[derive(Clone, Debug, PartialEq)]
pub struct SecurityGroupLookup {
    by: By,
    vpc: Option<Expr>,
}

impl SecurityGroupLookup {
    pub fn by_id(id: &str) -> Self {
        SecurityGroupLookup {
            by: By::Id(id.into()),
            vpc: None,
        }
    }
    /// The group with this name in `vpc` (names are unique per VPC).
    pub fn by_name(name: &str, vpc: impl Into<Value<kind::VpcId>>) -> Self {
        SecurityGroupLookup {
            by: By::Name(name.into()),
            vpc: Some(vpc.into().into_expr()),
        }
    }
}

crate::refs! {
    /// What a handle to [`SecurityGroupLookup`] exposes: its attributes and grants.
    pub SecurityGroupLookupRefs
}

impl SecurityGroupLookupRefs {
    pub fn id(&self) -> Attr<kind::SecurityGroupId> {
        self.attr(ID)
    }
}

impl Resource for SecurityGroupLookup {
    type Refs = SecurityGroupLookupRefs;

    fn kind(&self) -> &'static str {
        "SecurityGroupLookup"
    }
    fn is_lookup(&self) -> bool {
        true
    }
    fn validate(&self, c: &mut Checker<'_>) {
        check_prefix(c, &self.by, "security group id", "sg-");
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let what = match &self.by {
            By::Id(id) => format!("Existing security group {id}"),
            By::Name(n) => format!("Id of the existing security group named {n}"),
        };
        let lookup = match (&self.by, &self.vpc) {
            (By::Name(n), Some(vpc)) => Some(LookupQuery::SecurityGroupByName {
                name: n.clone(),
                vpc: vpc.clone(),
            }),
            _ => None,
        };
        Some(parameter("AWS::EC2::SecurityGroup::Id", what, &self.by, None, lookup))
    }
    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let group = match &self.by {
            By::Id(id) => tf::aws::data::SecurityGroup::new().id(id),
            By::Name(n) => tf::aws::data::SecurityGroup::new().name(n),
        };
        let group = tf::aws::data::SecurityGroup {
            vpc_id: self.vpc.clone().map(Into::into),
            ..group
        };
        Some(vec![group.into_tf_block()])
    }
}

/// An existing IAM role, e.g. a shared task execution role.
#[derive(Clone, Debug, PartialEq)]
pub struct IamRoleLookup {
    by: By,
}

impl IamRoleLookup {
    pub fn by_arn(arn: &str) -> Self {
        IamRoleLookup { by: By::Id(arn.into()) }
    }
    pub fn by_name(name: &str) -> Self {
        IamRoleLookup {
            by: By::Name(name.into()),
        }
    }
}

crate::refs! {
    /// What a handle to [`IamRoleLookup`] exposes: its attributes and grants.
    pub IamRoleLookupRefs
}

impl IamRoleLookupRefs {
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
}

impl Resource for IamRoleLookup {
    type Refs = IamRoleLookupRefs;

    fn kind(&self) -> &'static str {
        "IamRoleLookup"
    }
    fn is_lookup(&self) -> bool {
        true
    }
    fn validate(&self, c: &mut Checker<'_>) {
        check_prefix(c, &self.by, "IAM role ARN", "arn:");
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let what = match &self.by {
            By::Id(_) => "ARN of the existing IAM role".to_string(),
            By::Name(n) => format!("ARN of the existing IAM role named {n}"),
        };
        let lookup = match &self.by {
            By::Id(_) => None,
            By::Name(n) => Some(LookupQuery::IamRoleByName { name: n.clone() }),
        };
        Some(parameter(
            "String",
            what,
            &self.by,
            Some("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"),
            lookup,
        ))
    }
    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let name = match &self.by {
            // The data source takes a name; a role ARN ends with `role/<path><name>`.
            By::Id(arn) => arn.rsplit('/').next().unwrap_or(arn).to_string(),
            By::Name(n) => n.clone(),
        };
        Some(vec![tf::aws::data::IamRole::new(name).into_tf_block()])
    }
}
