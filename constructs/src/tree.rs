//! The construct tree: an [`App`] holds [`Stack`]s, a stack holds constructs.
//!
//! Every construct has an id unique among its siblings and a path
//! (`Stack/Scope/Id`). Logical ids and Terraform names are pure functions of the
//! path (see [`crate::ids`]), so adding or removing an unrelated construct never
//! renames another.
//!
//! The tree knows nothing of AWS. Constructors are infallible: an invalid or
//! duplicate id is recorded as a [`Problem`] and reported, with every other problem,
//! when the app is synthesized.

use std::ops::Deref;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::checks::Check;
use crate::expr::{Attr, Attribute, Expr, FxIndexSet, Target};
use crate::problem::Problem;
use crate::property_path::PropertyPath;
use crate::resource::{ErasedResource, Resource};
use crate::tags::Tags;

static NEXT_APP_ID: AtomicU32 = AtomicU32::new(1);

/// Identifies one construct in one stack of one app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeRef {
    pub(crate) app: u32,
    pub(crate) stack: u32,
    pub(crate) index: u32,
}

impl NodeRef {
    /// A typed reference to one of the construct's attributes. A resource's
    /// handle type wraps this in named methods (`arn()`, `name()`), which is
    /// what users call.
    pub fn attr<K>(&self, attribute: Attribute) -> Attr<K> {
        Attr::new(Target::Node(*self, attribute))
    }
}

/// Anything that can be added to a scope with [`Scope::add`]: a resource
/// (see [`Resource`], which every resource gets through a blanket impl) or a
/// composite that adds children in its own scope, like CDK's `Construct`.
///
/// A composite is a node of the tree: its children's paths start with its
/// path, and it is tagged ([`Stack::tag`]), suppressed ([`Stack::suppress`])
/// and depended on ([`Stack::add_dependency`]) as a unit. Composites nest.
///
/// ```
/// use constructs::prelude::*;
/// use constructs::{Construct, Scope};
///
/// /// A log group and the role that may write to it.
/// struct Audit { name: String }
///
/// #[derive(Clone, Copy)]
/// struct AuditRefs { logs: Handle<LogGroup>, writer: Handle<IamRole> }
///
/// impl Construct for Audit {
///     type Refs = AuditRefs;
///     fn build(self, scope: &mut Scope<'_>) -> AuditRefs {
///         let logs = scope.add("Logs", LogGroup::new(&format!("/audit/{}", self.name)));
///         let writer = scope.add("Writer", IamRole::for_service("lambda.amazonaws.com"));
///         AuditRefs { logs, writer }
///     }
/// }
///
/// let mut app = App::new();
/// let stack = app.stack("S");
/// let audit = stack.add("Audit", Audit { name: "orders".into() });
/// stack.tag(&audit, "team", "payments"); // both children get the tag
/// assert_eq!(stack.path_of(&audit.logs), Some("S/Audit/Logs"));
/// ```
pub trait Construct: Sized + 'static {
    /// What a [`Handle`] to this construct exposes (it derefs to it): typed
    /// attributes and grants for a resource, the children's handles for a composite.
    type Refs: Copy;

    /// Adds the construct to the tree: a composite adds its children to
    /// `scope`, which is the construct's own node. Problems found here are
    /// recorded with [`Scope::error`] and reported at synthesis.
    fn build(self, scope: &mut Scope<'_>) -> Self::Refs;
}

impl<R: Resource> Construct for R {
    type Refs = R::Refs;
    fn build(self, scope: &mut Scope<'_>) -> R::Refs {
        scope.install(self)
    }
}

/// A typed handle to a construct added to a scope. Copy it freely; it derefs
/// to the construct's [`Construct::Refs`] (`repo.arn()`, `service.task_role()`);
/// pass it to [`Stack::get_mut`] to change a resource before synthesis, or to
/// [`Stack::add_dependency`], [`Stack::tag`] and [`Stack::suppress`].
pub struct Handle<C: Construct> {
    node: NodeRef,
    refs: C::Refs,
}

impl<C: Construct> Handle<C> {
    pub fn node(&self) -> NodeRef {
        self.node
    }
    /// What the handle exposes (also reachable through `Deref`).
    pub fn refs(&self) -> C::Refs {
        self.refs
    }
}

impl<C: Construct> Deref for Handle<C> {
    type Target = C::Refs;
    fn deref(&self) -> &C::Refs {
        &self.refs
    }
}

impl<C: Construct> Clone for Handle<C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C: Construct> Copy for Handle<C> {}
impl<C: Construct> PartialEq for Handle<C> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}
impl<C: Construct> Eq for Handle<C> {}
impl<C: Construct> std::fmt::Debug for Handle<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Handle<{}>({:?})", short_type_name::<C>(), self.node)
    }
}

/// Anything that identifies a construct: typed handles, resource handle
/// types made with [`crate::refs!`], and raw node refs.
pub trait AsNode {
    fn as_node(&self) -> NodeRef;
}
impl<C: Construct> AsNode for Handle<C> {
    fn as_node(&self) -> NodeRef {
        self.node
    }
}
impl AsNode for NodeRef {
    fn as_node(&self) -> NodeRef {
        *self
    }
}

/// Declares the handle type of a resource: a copyable wrapper around its
/// [`NodeRef`] on which the resource's attribute and grant methods live, so
/// `Handle<MyQueue>` derefs to it and `queue.arn()` works from any crate.
///
/// ```
/// use constructs::{kind, refs, Attr, Attribute, CfnAttr};
///
/// refs! {
///     /// What a handle to a queue exposes.
///     pub QueueRefs
/// }
///
/// impl QueueRefs {
///     /// `Fn::GetAtt Arn` / `arn`.
///     pub fn arn(&self) -> Attr<kind::Arn> {
///         self.attr(Attribute::new(CfnAttr::GetAtt("Arn"), "arn"))
///     }
/// }
/// ```
#[macro_export]
macro_rules! refs {
    ($(#[$meta:meta])* $vis:vis $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis struct $name($crate::NodeRef);

        impl ::core::convert::From<$crate::NodeRef> for $name {
            fn from(node: $crate::NodeRef) -> Self {
                $name(node)
            }
        }

        impl $crate::AsNode for $name {
            fn as_node(&self) -> $crate::NodeRef {
                self.0
            }
        }

        #[allow(dead_code)]
        impl $name {
            /// The construct this handle refers to.
            pub fn node(&self) -> $crate::NodeRef {
                self.0
            }
            /// A typed reference to one of the construct's attributes.
            pub fn attr<K>(&self, attribute: $crate::Attribute) -> $crate::Attr<K> {
                self.0.attr(attribute)
            }
        }
    };
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// The root of the tree: a set of stacks synthesized together.
pub struct App {
    id: u32,
    stacks: Vec<Stack>,
    problems: Vec<Problem>,
    checks_advisory: Option<String>,
    checks: Vec<Box<dyn Check>>,
    backends: Option<Vec<Backend>>,
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl App {
    pub fn new() -> Self {
        App {
            id: NEXT_APP_ID.fetch_add(1, Ordering::Relaxed),
            stacks: Vec::new(),
            problems: Vec::new(),
            checks_advisory: None,
            checks: Vec::new(),
            backends: None,
        }
    }

    /// Adds a stack. Its name becomes the first path component, the CloudFormation
    /// template's file name and the Terraform directory name.
    pub fn stack(&mut self, name: &str) -> &mut Stack {
        if let Err(why) = check_id(name) {
            self.problems.push(Problem::new(
                name,
                "invalid-id",
                format!("stack name {} {why}", shown(name)),
            ));
        }
        if self.stacks.iter().any(|s| s.name == name) {
            self.problems.push(Problem::new(
                name,
                "duplicate-id",
                format!("a stack named {name:?} already exists in this app"),
            ));
        }
        let index = self.stacks.len() as u32;
        self.stacks.push(Stack::new(self.id, index, name));
        self.stacks.last_mut().expect("just pushed")
    }

    pub fn stacks(&self) -> &[Stack] {
        &self.stacks
    }

    /// Makes check findings advisory for this app: `synth` prints them but writes
    /// the output anyway (`check` still exits non-zero on errors). Only for apps
    /// that reproduce flaws on purpose, such as a migration reference; the
    /// reason is printed with the findings.
    pub fn set_checks_advisory(&mut self, reason: &str) {
        self.checks_advisory = Some(reason.to_string());
    }

    /// Why findings of this app do not fail `synth`, if they do not.
    pub fn checks_advisory(&self) -> Option<&str> {
        self.checks_advisory.as_deref()
    }

    /// Registers a rule pack that runs with the built-in checks (like a
    /// cdk-nag pack or a CDK Aspect): it sees every construct, custom ones
    /// included, its findings are reported by `check` in every format, and
    /// its rule ids can be suppressed with a reason like the built-in ones.
    pub fn add_checks(&mut self, pack: impl Check) {
        self.checks.push(Box::new(pack));
    }

    /// The rule packs registered with [`App::add_checks`].
    pub fn checks(&self) -> impl Iterator<Item = &dyn Check> {
        self.checks.iter().map(|c| c.as_ref())
    }

    /// Declares the only backends this app is meant for (e.g. CloudFormation
    /// only, when it uses CloudFormation-only resources). `synth` then renders
    /// just these by default, and asking for another one is an error. Without
    /// it an app targets both, and a construct that renders for one backend
    /// only is reported when the other is synthesized.
    pub fn set_backends(&mut self, backends: &[Backend]) {
        self.backends = Some(backends.to_vec());
    }

    /// The backends the app targets: what [`App::set_backends`] declared, or both.
    pub fn backends(&self) -> Vec<Backend> {
        self.backends.clone().unwrap_or_else(|| Backend::ALL.to_vec())
    }

    pub(crate) fn declared_backends(&self) -> Option<&[Backend]> {
        self.backends.as_deref()
    }

    pub fn stacks_mut(&mut self) -> &mut [Stack] {
        &mut self.stacks
    }

    pub(crate) fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

/// Which synthesizer a setting is meant for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    CloudFormation,
    Terraform,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::CloudFormation, Backend::Terraform];

    /// The backend's name on the command line and in paths: `cloudformation`, `terraform`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::CloudFormation => "cloudformation",
            Backend::Terraform => "terraform",
        }
    }

    /// The backend's name in messages: `CloudFormation`, `Terraform`.
    pub fn display_name(self) -> &'static str {
        match self {
            Backend::CloudFormation => "CloudFormation",
            Backend::Terraform => "Terraform",
        }
    }
}

/// A property set or removed on a rendered block after the construct rendered
/// it, for what the typed API does not cover yet. The path is relative to the
/// block: for CloudFormation the resource object (`Properties.Rules[0].Name`,
/// `UpdateReplacePolicy`), for Terraform the block body (`ingress[0].description`).
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub backend: Backend,
    /// Which of the construct's blocks: `None` for the main one; otherwise the
    /// CloudFormation logical-id suffix or the Terraform block type.
    pub block: Option<String>,
    pub path: PropertyPath,
    /// `None` removes the property (or list element).
    pub value: Option<Expr>,
}

pub(crate) struct Node {
    pub(crate) path: String,
    /// Path components below the stack, as given (used to derive ids).
    pub(crate) components: Vec<String>,
    /// The enclosing composite or scope; `None` at the root of the stack.
    pub(crate) parent: Option<u32>,
    /// What renders; `None` for composites and scopes.
    pub(crate) resource: Option<Box<dyn ErasedResource>>,
    /// The construct's type name, for messages.
    pub(crate) kind: &'static str,
    pub(crate) depends_on: Vec<NodeRef>,
    pub(crate) tags: Tags,
    pub(crate) overrides: Vec<Override>,
}

/// A check a construct (and everything under it) is exempt from, with the
/// reason a reviewer reads in the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The construct's path; the suppression covers it and its whole subtree.
    pub path: String,
    /// A rule id of [`crate::checks`] or of a registered rule pack, e.g.
    /// `ecs-readonly-root-filesystem`, or a checkov check id, e.g. `CKV_AWS_18`.
    pub rule: String,
    pub reason: String,
}

impl Suppression {
    /// Whether the suppression covers the construct at `path`.
    pub fn covers(&self, path: &str) -> bool {
        path == self.path || (path.starts_with(&self.path) && path.as_bytes().get(self.path.len()) == Some(&b'/'))
    }
}

/// An output of a stack: a value users need after deploying.
#[derive(Clone, Debug)]
pub struct Output {
    pub(crate) id: String,
    pub(crate) value: Expr,
    pub(crate) description: Option<String>,
}

/// A unit of deployment: one CloudFormation template, one Terraform root module.
pub struct Stack {
    app: u32,
    index: u32,
    name: String,
    description: Option<String>,
    pub(crate) nodes: Vec<Node>,
    /// Every construct path registered, for uniqueness.
    paths: FxIndexSet<String>,
    pub(crate) tags: Tags,
    pub(crate) outputs: Vec<Output>,
    pub(crate) problems: Vec<Problem>,
    pub(crate) region: Option<String>,
    pub(crate) account: Option<String>,
    pub(crate) suppressions: Vec<Suppression>,
}

impl Stack {
    fn new(app: u32, index: u32, name: &str) -> Self {
        Stack {
            app,
            index,
            name: name.to_string(),
            description: None,
            nodes: Vec::new(),
            paths: FxIndexSet::default(),
            tags: Tags::default(),
            outputs: Vec::new(),
            problems: Vec::new(),
            region: None,
            account: None,
            suppressions: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Sets the template description (CloudFormation `Description`; a comment in Terraform).
    pub fn set_description(&mut self, text: impl Into<String>) -> &mut Self {
        self.description = Some(text.into());
        self
    }

    /// The region the stack is meant for. Terraform's provider is pinned to it;
    /// CloudFormation takes the region from where the stack is deployed, and
    /// `deploy` refuses credentials for another region. Without it the
    /// provider reads `AWS_REGION` like the AWS CLI does.
    pub fn set_region(&mut self, region: impl Into<String>) -> &mut Self {
        self.region = Some(region.into());
        self
    }

    /// The account the stack is meant for. Terraform refuses to plan or apply
    /// with credentials of any other account (the provider's
    /// `allowed_account_ids`), and `deploy` checks it before changing anything
    /// in either backend.
    pub fn set_account(&mut self, account_id: impl Into<String>) -> &mut Self {
        self.account = Some(account_id.into());
        self
    }

    /// The region set with [`Stack::set_region`].
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The account set with [`Stack::set_account`].
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The scope at the root of this stack.
    pub fn root(&mut self) -> Scope<'_> {
        Scope {
            stack: self,
            node: None,
            prefix: Vec::new(),
        }
    }

    /// Adds a construct at the root of the stack. See [`Scope::add`].
    pub fn add<C: Construct>(&mut self, id: &str, construct: C) -> Handle<C> {
        self.root().add(id, construct)
    }

    /// Opens a child scope at the root of the stack. See [`Scope::scope`].
    pub fn scope(&mut self, id: &str) -> Scope<'_> {
        let node = self.root().child_node(id, "Scope");
        let prefix = vec![id.to_string()];
        Scope {
            stack: self,
            node: Some(node),
            prefix,
        }
    }

    /// Mutable access to a resource added earlier, e.g. to add a policy statement
    /// to a role. `None` if the handle belongs to another stack.
    pub fn get_mut<R: Resource>(&mut self, handle: &Handle<R>) -> Option<&mut R> {
        self.resource_mut::<R>(handle)
    }

    /// Read access to a resource added earlier.
    pub fn get<R: Resource>(&self, handle: &Handle<R>) -> Option<&R> {
        self.resource::<R>(handle)
    }

    /// Read access to the resource of type `R` a node holds, e.g. from a
    /// resource's handle type (`self` in a grant method). `None` if the node
    /// belongs to another stack or holds something else.
    pub fn resource<R: Resource>(&self, target: &impl AsNode) -> Option<&R> {
        let node = self.own_node(target.as_node())?;
        node.resource.as_ref()?.as_any().downcast_ref::<R>()
    }

    /// Mutable access to the resource of type `R` a node holds.
    pub fn resource_mut<R: Resource>(&mut self, target: &impl AsNode) -> Option<&mut R> {
        let node = self.own_node_mut(target.as_node())?;
        node.resource.as_mut()?.as_any_mut().downcast_mut::<R>()
    }

    /// Makes `from` deploy after `to`, on top of the order references imply
    /// (CloudFormation `DependsOn`, Terraform `depends_on`). Either may be a
    /// composite or a scope: depending on one means depending on every
    /// resource under it, and a dependency of one applies to every resource
    /// under it.
    pub fn add_dependency(&mut self, from: &impl AsNode, to: &impl AsNode) {
        let (from, to) = (from.as_node(), to.as_node());
        match self.own_node_mut(from) {
            Some(node) => {
                if !node.depends_on.contains(&to) {
                    node.depends_on.push(to);
                }
            }
            None => self.foreign_handle("add_dependency"),
        }
    }

    /// Tags applied to every taggable resource of the stack (Terraform: the
    /// provider's `default_tags`; CloudFormation: each resource's `Tags`).
    pub fn add_tag(&mut self, key: &str, value: &str) -> &mut Self {
        self.tags.insert(key, value);
        self
    }

    /// A tag on one construct's resources (on every resource under it, for a
    /// composite or scope), overriding a tag with the same key set higher up.
    pub fn tag(&mut self, target: &impl AsNode, key: &str, value: &str) {
        match self.own_node_mut(target.as_node()) {
            Some(node) => node.tags.insert(key, value),
            None => self.foreign_handle("tag"),
        }
    }

    /// Escape hatch: sets a property on the rendered main block of a resource
    /// for one backend. `path` is `Properties.Rules[0].Name`-style or a JSON
    /// Pointer; the value may hold references (`table.arn()`), which render
    /// per backend like any other, or be a `serde_json::Value`. Setting a
    /// property the resource type does not have (per its schema), an index
    /// past the end of a list, or a path through a scalar is a synth-time
    /// problem naming the construct.
    pub fn override_property(&mut self, target: &impl AsNode, backend: Backend, path: &str, value: impl Into<Expr>) {
        self.push_override(target, backend, None, path, Some(value.into()));
    }

    /// Escape hatch: removes a rendered property (or list element) of a resource's main block.
    pub fn remove_property(&mut self, target: &impl AsNode, backend: Backend, path: &str) {
        self.push_override(target, backend, None, path, None);
    }

    /// Escape hatch for a resource's secondary block, named by its CloudFormation
    /// logical-id suffix or its Terraform type (e.g. `aws_ecr_lifecycle_policy`).
    /// `None` removes the property.
    pub fn override_block_property(
        &mut self,
        target: &impl AsNode,
        backend: Backend,
        block: &str,
        path: &str,
        value: Option<Expr>,
    ) {
        self.push_override(target, backend, Some(block.to_string()), path, value);
    }

    fn push_override(
        &mut self,
        target: &impl AsNode,
        backend: Backend,
        block: Option<String>,
        path: &str,
        value: Option<Expr>,
    ) {
        let at = self.describe(target.as_node());
        let parsed = match PropertyPath::parse(path) {
            Ok(p) => p,
            Err(why) => {
                return self.problems.push(Problem::new(
                    at,
                    "invalid-override-path",
                    format!("override path {why}"),
                ));
            }
        };
        match self.own_node_mut(target.as_node()) {
            Some(node) if node.resource.is_none() => {
                let kind = node.kind;
                self.problems.push(Problem::new(
                    at,
                    "override-target",
                    format!("{kind} renders nothing itself; override a property of one of its resources instead"),
                ));
            }
            Some(node) => node.overrides.push(Override {
                backend,
                block,
                path: parsed,
                value,
            }),
            None => self.foreign_handle("override_property"),
        }
    }

    /// Adds a stack output (CloudFormation `Outputs`, Terraform `output`).
    pub fn output(&mut self, id: &str, value: impl Into<Expr>, description: &str) {
        let path = format!("{}/{}", self.name, id);
        if let Err(why) = check_id(id) {
            self.problems.push(Problem::new(
                &path,
                "invalid-id",
                format!("output id {} {why}", shown(id)),
            ));
        }
        if self.outputs.iter().any(|o| o.id == id) {
            self.problems.push(Problem::new(
                &path,
                "duplicate-id",
                format!("an output named {id:?} already exists"),
            ));
        }
        let description = (!description.is_empty()).then(|| description.to_string());
        self.outputs.push(Output {
            id: id.to_string(),
            value: value.into(),
            description,
        });
    }

    /// The path of a construct of this stack, e.g. `Vault/Service/TaskRole`.
    pub fn path_of(&self, target: &impl AsNode) -> Option<&str> {
        self.own_node(target.as_node()).map(|n| n.path.as_str())
    }

    /// The id of a construct of this stack (the last component of its path).
    pub fn id_of(&self, target: &impl AsNode) -> Option<&str> {
        self.path_of(target).and_then(|p| p.rsplit('/').next())
    }

    /// Exempts a construct (and its subtree) from one check, for a reason that is
    /// written into the output (CloudFormation `Metadata`, a Terraform `//`
    /// comment) so reviewers see it. `rule` is a rule of the checks (its
    /// checkov counterparts are skipped too, see
    /// [`crate::checks::checkov::checkov_ids`]) or a checkov check id such as
    /// `CKV_AWS_18` for a check we have no rule for. Either way the skip is
    /// written as CloudFormation `Metadata.checkov.skip` (which checkov reads)
    /// and as `checkov:skip=<id>:<reason>` lines of the Terraform `//` comment
    /// (`docs/checks.md` says what checkov's Terraform JSON scan does with
    /// them). A missing reason, an unknown rule or a construct of another
    /// stack is a synth-time problem.
    pub fn suppress(&mut self, target: &impl AsNode, rule: &str, reason: &str) {
        match self.own_node(target.as_node()).map(|n| n.path.clone()) {
            Some(path) => self.suppress_path(&path, rule, reason),
            None => self.foreign_handle("suppress"),
        }
    }

    /// Like [`Stack::suppress`], for a path: a scope (`Vault/Api`) covers every
    /// construct under it.
    pub fn suppress_path(&mut self, path: &str, rule: &str, reason: &str) {
        self.suppressions.push(Suppression {
            path: path.into(),
            rule: rule.into(),
            reason: reason.trim().into(),
        });
    }

    pub fn suppressions(&self) -> &[Suppression] {
        &self.suppressions
    }

    /// Records a problem found while building (e.g. by a team's construct
    /// function), reported with every other problem at synthesis.
    pub fn record(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Whether `path` is a construct or a scope of this stack.
    pub(crate) fn has_path(&self, path: &str) -> bool {
        path == self.name || self.paths.contains(path)
    }

    /// Number of constructs added (resources, lookups, composites and scopes).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Paths of the constructs, in the order they were added.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| n.path.as_str())
    }

    pub(crate) fn app_id(&self) -> u32 {
        self.app
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    pub(crate) fn node(&self, r: NodeRef) -> Option<&Node> {
        self.own_node(r)
    }

    pub(crate) fn node_ref(&self, index: usize) -> NodeRef {
        NodeRef {
            app: self.app,
            stack: self.index,
            index: index as u32,
        }
    }

    /// Whether `descendant` is `ancestor` or lies under it.
    pub(crate) fn is_under(&self, descendant: usize, ancestor: usize) -> bool {
        let mut cur = Some(descendant as u32);
        while let Some(i) = cur {
            if i as usize == ancestor {
                return true;
            }
            cur = self.nodes.get(i as usize).and_then(|n| n.parent);
        }
        false
    }

    /// The node and its ancestors, innermost first.
    pub(crate) fn ancestry(&self, index: usize) -> impl Iterator<Item = &Node> + '_ {
        let mut cur = Some(index as u32);
        std::iter::from_fn(move || {
            let i = cur?;
            let node = self.nodes.get(i as usize)?;
            cur = node.parent;
            Some(node)
        })
    }

    fn own_node(&self, r: NodeRef) -> Option<&Node> {
        if r.app == self.app && r.stack == self.index {
            self.nodes.get(r.index as usize)
        } else {
            None
        }
    }

    fn own_node_mut(&mut self, r: NodeRef) -> Option<&mut Node> {
        if r.app == self.app && r.stack == self.index {
            self.nodes.get_mut(r.index as usize)
        } else {
            None
        }
    }

    fn describe(&self, r: NodeRef) -> String {
        self.own_node(r)
            .map(|n| n.path.clone())
            .unwrap_or_else(|| self.name.clone())
    }

    fn foreign_handle(&mut self, what: &str) {
        self.problems.push(Problem::new(
            &self.name,
            "foreign-handle",
            format!("{what} was given a construct that belongs to another stack or app"),
        ));
    }
}

/// A place in a stack where constructs are added: the stack's root, a scope
/// opened with [`Scope::scope`], or the node of a composite being built.
pub struct Scope<'a> {
    stack: &'a mut Stack,
    /// This scope's node; `None` at the root of the stack.
    node: Option<u32>,
    prefix: Vec<String>,
}

impl<'a> Scope<'a> {
    /// Adds a resource or a composite with an id unique in this scope and
    /// returns its handle. A composite's children are added in its own scope,
    /// so their paths read `Stack/Composite/Child`.
    ///
    /// A child called `Default` or `Resource` does not appear in logical ids or
    /// Terraform names, so wrapping a resource in a new construct keeps its address.
    pub fn add<C: Construct>(&mut self, id: &str, construct: C) -> Handle<C> {
        let index = self.child_node(id, short_type_name::<C>());
        let mut prefix = self.prefix.clone();
        prefix.push(id.to_string());
        let mut child = Scope {
            stack: self.stack,
            node: Some(index),
            prefix,
        };
        let refs = construct.build(&mut child);
        Handle {
            node: self.stack.node_ref(index as usize),
            refs,
        }
    }

    /// Opens a child scope for a group of constructs. A scope is a node too:
    /// it can be tagged, suppressed and depended on (see [`Scope::node`]).
    pub fn scope(&mut self, id: &str) -> Scope<'_> {
        let index = self.child_node(id, "Scope");
        let mut prefix = self.prefix.clone();
        prefix.push(id.to_string());
        Scope {
            stack: self.stack,
            node: Some(index),
            prefix,
        }
    }

    /// The stack this scope belongs to, for dependencies, tags, overrides and grants.
    pub fn stack(&mut self) -> &mut Stack {
        self.stack
    }

    /// This scope's node (`None` at the root of the stack), for
    /// [`Stack::tag`], [`Stack::suppress`] and [`Stack::add_dependency`].
    pub fn node(&self) -> Option<NodeRef> {
        self.node.map(|i| self.stack.node_ref(i as usize))
    }

    /// This scope's id (the last component of its path; the stack's name at its root).
    pub fn id(&self) -> &str {
        self.prefix.last().map(String::as_str).unwrap_or(&self.stack.name)
    }

    /// This scope's path, e.g. `Vault/Service`.
    pub fn path(&self) -> String {
        join_path(&self.stack.name, &self.prefix)
    }

    /// Records a problem with this scope (e.g. a composite's invalid
    /// settings), reported with the scope's path at synthesis.
    pub fn error(&mut self, rule: &'static str, message: impl Into<String>) {
        let path = self.path();
        self.stack.problems.push(Problem::new(path, rule, message));
    }

    /// Installs a resource as this scope's node (see the blanket [`Construct`] impl).
    pub(crate) fn install<R: Resource>(&mut self, resource: R) -> R::Refs {
        let index = self
            .node
            .expect("a resource is installed in the node Scope::add made for it");
        let node = &mut self.stack.nodes[index as usize];
        node.kind = resource.kind();
        node.resource = Some(Box::new(resource));
        R::Refs::from(self.stack.node_ref(index as usize))
    }

    /// Registers a child node, recording a problem if its id is invalid or taken.
    fn child_node(&mut self, id: &str, kind: &'static str) -> u32 {
        let path = join_path(&self.stack.name, &self.prefix) + "/" + id;
        if let Err(why) = check_id(id) {
            self.stack.problems.push(Problem::new(
                &path,
                "invalid-id",
                format!("construct id {} {why}", shown(id)),
            ));
        }
        if !self.stack.paths.insert(path.clone()) {
            self.stack.problems.push(Problem::new(
                &path,
                "duplicate-id",
                format!("another construct in {} already has the id {id:?}", self.path()),
            ));
        }
        let mut components = self.prefix.clone();
        components.push(id.to_string());
        let index = self.stack.nodes.len() as u32;
        self.stack.nodes.push(Node {
            path,
            components,
            parent: self.node,
            resource: None,
            kind,
            depends_on: Vec::new(),
            tags: Tags::default(),
            overrides: Vec::new(),
        });
        index
    }
}

fn join_path(stack: &str, prefix: &[String]) -> String {
    let mut p = stack.to_string();
    for c in prefix {
        p.push('/');
        p.push_str(c);
    }
    p
}

/// A user-supplied string for a message: quoted, and cut short when long, so
/// a 300-character mistake does not drown the message.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

/// Construct ids: 1–64 characters, a letter first, then letters, digits, `-`, `_`
/// or `.`. Narrower than AWS CDK (which allows almost anything) so that every id
/// maps to a readable CloudFormation logical id and Terraform name.
pub(crate) fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("is empty; ids must be 1-64 characters".into());
    }
    if id.len() > 64 {
        return Err(format!(
            "is {} characters long; ids must be at most 64",
            id.chars().count()
        ));
    }
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("must start with a letter".into());
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "contains {bad:?}; ids may contain only letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_start_with_a_letter_and_use_safe_characters() {
        assert!(check_id("TaskRole").is_ok());
        assert!(check_id("vault-api.v2_x").is_ok());
        assert!(check_id("").is_err());
        assert!(check_id("1st").is_err());
        assert!(check_id("a/b").unwrap_err().contains("'/'"));
        assert!(check_id(&"a".repeat(65)).is_err());
    }
}
