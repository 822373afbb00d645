//! What every construct implements: validation and a rendering per backend.
//!
//! The two backends differ in shape, not only in spelling (an ECR lifecycle policy
//! is inline in CloudFormation but a separate `aws_ecr_lifecycle_policy` in
//! Terraform), so each construct renders itself for each backend, possibly as
//! several blocks. Blocks hold backend-neutral [`Expr`] values; turning them into
//! JSON (references, escaping, JSON-string documents) is done in one place per
//! backend by the synthesizers.

use std::any::Any;
use std::borrow::Cow;

use crate::expr::{Attr, Attribute};
use crate::problem::Checker;
use crate::tree::NodeRef;

/// Ordered properties of a rendered block (`Props::default()`).
pub type Props = crate::expr::ExprMap;

/// A construct that renders blocks: implement it to add a resource type the
/// library does not have, from your own crate (see `docs/extending.md`).
///
/// Render for both backends, or for one: a backend whose method is not
/// implemented (returns `None`) makes synthesizing that backend a problem
/// naming the construct, unless the app declares it targets the other one
/// only ([`crate::App::set_backends`]).
///
/// Resources are plain data (`Send + Sync`): stacks are synthesized in parallel.
pub trait Resource: Any + Send + Sync {
    /// What a handle to this resource exposes: its typed attributes and grants
    /// (declare it with [`crate::refs!`]).
    type Refs: From<NodeRef> + Copy;

    /// The construct's type name, for messages (e.g. `IpTargetGroup`).
    fn kind(&self) -> &'static str;

    /// Records every problem with this construct's own settings, with the
    /// construct's path and a rule id.
    fn validate(&self, _c: &mut Checker<'_>) {}

    /// Keys that must be unique across the stack, as `(rule, key, description)`:
    /// two constructs returning the same rule and key are reported together
    /// (e.g. two listener rules with one priority on one listener).
    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        Vec::new()
    }

    /// An existing resource that is only looked up: rendered (as a CloudFormation
    /// parameter or a Terraform data source) only when something references it.
    fn is_lookup(&self) -> bool {
        false
    }

    /// CloudFormation blocks, the first being the one attributes refer to;
    /// `None` if the construct has no CloudFormation rendering.
    fn cloudformation(&self, _cx: &RenderCx) -> Option<Vec<CfnBlock>> {
        None
    }

    /// Terraform blocks, the first being the one attributes refer to; `None`
    /// if the construct has no Terraform rendering.
    fn terraform(&self, _cx: &RenderCx) -> Option<Vec<TfBlock>> {
        None
    }
}

/// [`Resource`] without its associated type, so the tree can hold any resource.
pub(crate) trait ErasedResource: AsAny + Send + Sync {
    fn validate(&self, c: &mut Checker<'_>);
    fn unique_keys(&self) -> Vec<(&'static str, String, String)>;
    fn is_lookup(&self) -> bool;
    fn cloudformation(&self, cx: &RenderCx) -> Option<Vec<CfnBlock>>;
    fn terraform(&self, cx: &RenderCx) -> Option<Vec<TfBlock>>;
}

impl<R: Resource> ErasedResource for R {
    fn validate(&self, c: &mut Checker<'_>) {
        Resource::validate(self, c)
    }
    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        Resource::unique_keys(self)
    }
    fn is_lookup(&self) -> bool {
        Resource::is_lookup(self)
    }
    fn cloudformation(&self, cx: &RenderCx) -> Option<Vec<CfnBlock>> {
        Resource::cloudformation(self, cx)
    }
    fn terraform(&self, cx: &RenderCx) -> Option<Vec<TfBlock>> {
        Resource::terraform(self, cx)
    }
}

/// Lets the tree hand out `&mut R` for a stored resource.
pub trait AsAny: Any {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// What a construct may know about itself while rendering.
pub struct RenderCx<'a> {
    pub(crate) node: NodeRef,
    pub(crate) path: &'a str,
}

impl RenderCx<'_> {
    /// A reference to one of this construct's own attributes, e.g. for a Terraform
    /// lifecycle policy naming its repository.
    pub fn this<K>(&self, attribute: Attribute) -> Attr<K> {
        self.node.attr(attribute)
    }

    /// The construct's own node.
    pub fn node(&self) -> NodeRef {
        self.node
    }

    /// The construct's path, e.g. for descriptions.
    pub fn path(&self) -> &str {
        self.path
    }
}

/// One CloudFormation block.
#[derive(Clone, Debug, PartialEq)]
pub enum CfnBlock {
    Resource(CfnResource),
    Parameter(CfnParameter),
}

/// A CloudFormation resource (`Resources` section).
#[derive(Clone, Debug, PartialEq)]
pub struct CfnResource {
    /// Appended to the construct's logical id; empty for the main block.
    pub suffix: String,
    /// e.g. `AWS::ECR::Repository`.
    pub type_name: Cow<'static, str>,
    pub properties: Props,
    /// Whether the type takes `Tags` as a list of `{Key, Value}`.
    pub taggable: bool,
    /// `DeletionPolicy` and `UpdateReplacePolicy` (e.g. `Retain` for data stores).
    pub retain_on_delete: bool,
    /// Extra dependencies on other constructs of this stack.
    pub depends_on: Vec<NodeRef>,
}

impl CfnResource {
    pub fn new(type_name: impl Into<Cow<'static, str>>, properties: Props) -> Self {
        CfnResource {
            suffix: String::new(),
            type_name: type_name.into(),
            properties,
            taggable: true,
            retain_on_delete: false,
            depends_on: Vec::new(),
        }
    }
    pub fn suffix(mut self, suffix: impl Into<String>) -> Self {
        self.suffix = suffix.into();
        self
    }
    pub fn untagged(mut self) -> Self {
        self.taggable = false;
        self
    }
    pub fn retained(mut self) -> Self {
        self.retain_on_delete = true;
        self
    }
    pub fn into_block(self) -> CfnBlock {
        CfnBlock::Resource(self)
    }
}

/// A CloudFormation parameter, supplied when the stack is deployed.
#[derive(Clone, Debug, PartialEq)]
pub struct CfnParameter {
    pub suffix: String,
    /// e.g. `AWS::EC2::VPC::Id`, `List<AWS::EC2::Subnet::Id>`, `String`.
    pub type_name: &'static str,
    pub description: String,
    pub default: Option<serde_json::Value>,
    pub allowed_pattern: Option<&'static str>,
    /// Whether the value is hidden in the console (`NoEcho`).
    pub no_echo: bool,
    /// How `deploy` finds the value through the AWS APIs when there is no
    /// default (a lookup by name or tag, which CloudFormation cannot do).
    pub lookup: Option<crate::lookup::LookupQuery<crate::expr::Expr>>,
}

impl CfnParameter {
    pub fn new(type_name: &'static str, description: impl Into<String>) -> Self {
        CfnParameter {
            suffix: String::new(),
            type_name,
            description: description.into(),
            default: None,
            allowed_pattern: None,
            no_echo: false,
            lookup: None,
        }
    }
    pub fn into_block(self) -> CfnBlock {
        CfnBlock::Parameter(self)
    }
}

/// Which top-level Terraform section a block goes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TfSection {
    Resource,
    Data,
    Variable,
}

/// One Terraform block.
#[derive(Clone, Debug, PartialEq)]
pub struct TfBlock {
    pub section: TfSection,
    /// e.g. `aws_ecr_repository`; empty for variables.
    pub type_name: Cow<'static, str>,
    /// Appended to the construct's name with `_`; empty for the main block.
    pub suffix: String,
    pub body: Props,
    /// Whether the type takes a `tags` map.
    pub taggable: bool,
    /// Extra dependencies on other constructs of this stack.
    pub depends_on: Vec<NodeRef>,
    /// Whether blocks referring to this construct must wait for this secondary
    /// block too. In CloudFormation a role's inline policies are part of the
    /// role, so whatever refers to the role waits for them; in Terraform they are
    /// separate `aws_iam_role_policy` resources, and a task could start with a
    /// role that cannot pull its image yet. Set with [`TfBlock::awaited`].
    pub awaited: bool,
}

impl TfBlock {
    fn new(section: TfSection, type_name: Cow<'static, str>, body: Props, taggable: bool) -> Self {
        TfBlock {
            section,
            type_name,
            suffix: String::new(),
            body,
            taggable,
            depends_on: Vec::new(),
            awaited: false,
        }
    }
    pub fn resource(type_name: impl Into<Cow<'static, str>>, body: Props) -> Self {
        Self::new(TfSection::Resource, type_name.into(), body, true)
    }
    pub fn data(type_name: impl Into<Cow<'static, str>>, body: Props) -> Self {
        Self::new(TfSection::Data, type_name.into(), body, false)
    }
    pub fn variable(body: Props) -> Self {
        Self::new(TfSection::Variable, Cow::Borrowed(""), body, false)
    }
    pub fn suffix(mut self, suffix: impl Into<String>) -> Self {
        self.suffix = suffix.into();
        self
    }
    pub fn untagged(mut self) -> Self {
        self.taggable = false;
        self
    }
    /// Makes every block referring to this construct depend on this block.
    pub fn awaited(mut self) -> Self {
        self.awaited = true;
        self
    }
}

/// Builds [`Props`] from `key => value` pairs, skipping `None` values:
/// `props! { "Name" => name, "Port" => Some(port) }` takes any `Into<Expr>`,
/// and `opt "Key" => option` adds the entry only when the option is `Some`.
#[macro_export]
macro_rules! props {
    (@item $p:ident; opt $k:expr => $v:expr $(, $($rest:tt)*)?) => {
        if let Some(v) = $v { $p.insert(($k).to_string(), $crate::expr::Expr::from(v)); }
        $($crate::props!(@item $p; $($rest)*);)?
    };
    (@item $p:ident; $k:expr => $v:expr $(, $($rest:tt)*)?) => {
        $p.insert(($k).to_string(), $crate::expr::Expr::from($v));
        $($crate::props!(@item $p; $($rest)*);)?
    };
    (@item $p:ident;) => {};
    () => { $crate::resource::Props::default() };
    ($($rest:tt)+) => {{
        let mut p = $crate::resource::Props::default();
        $crate::props!(@item p; $($rest)+);
        p
    }};
}
