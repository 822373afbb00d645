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

use indexmap::IndexSet;
use std::any::Any;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::expr::{Attr, Attribute, Expr, Target};
use crate::problem::Problem;
use crate::resource::Resource;
use crate::tags::Tags;

static NEXT_APP_ID: AtomicU32 = AtomicU32::new(1);

/// Identifies one construct in one stack of one app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeRef {
    pub(crate) app: u32,
    pub(crate) stack: u32,
    pub(crate) index: u32,
}

/// A typed handle to a construct added to a stack. Copy it freely; ask it for
/// attributes (`repo.arn()`), pass it to [`Stack::get_mut`] to change the construct
/// before synthesis, or to [`Stack::add_dependency`].
pub struct Handle<R> {
    node: NodeRef,
    _kind: PhantomData<fn() -> R>,
}

impl<R> Handle<R> {
    pub(crate) fn new(node: NodeRef) -> Self {
        Handle {
            node,
            _kind: PhantomData,
        }
    }
    pub fn node(&self) -> NodeRef {
        self.node
    }
    /// A typed reference to one of the construct's attributes. Construct modules
    /// wrap this in named methods (`arn()`, `name()`), which is what users call.
    pub fn attr<K>(&self, attribute: Attribute) -> Attr<K> {
        Attr::new(Target::Node(self.node, attribute))
    }
}

impl<R> Clone for Handle<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Handle<R> {}
impl<R> PartialEq for Handle<R> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}
impl<R> Eq for Handle<R> {}
impl<R> std::fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Handle({:?})", self.node)
    }
}

/// Anything that identifies a construct: typed handles and raw node refs.
pub trait AsNode {
    fn as_node(&self) -> NodeRef;
}
impl<R> AsNode for Handle<R> {
    fn as_node(&self) -> NodeRef {
        self.node
    }
}
impl AsNode for NodeRef {
    fn as_node(&self) -> NodeRef {
        *self
    }
}

/// The root of the tree: a set of stacks synthesized together.
pub struct App {
    id: u32,
    stacks: Vec<Stack>,
    problems: Vec<Problem>,
    checks_advisory: Option<String>,
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
        }
    }

    /// Adds a stack. Its name becomes the first path component, the CloudFormation
    /// template's file name and the Terraform directory name.
    pub fn stack(&mut self, name: &str) -> &mut Stack {
        if let Err(why) = check_id(name) {
            self.problems
                .push(Problem::new(name, "invalid-id", format!("stack name {name:?} {why}")));
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

    pub fn name(self) -> &'static str {
        match self {
            Backend::CloudFormation => "cloudformation",
            Backend::Terraform => "terraform",
        }
    }
}

/// A raw property set or removed after rendering, for what the typed API does not
/// cover yet. `path` is a dotted path relative to the rendered block: for
/// CloudFormation the resource object (`Properties.ImageScanningConfiguration`,
/// `UpdateReplacePolicy`), for Terraform the block body (`image_scanning_configuration`).
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub backend: Backend,
    /// Which of the construct's blocks: `None` for the main one; otherwise the
    /// CloudFormation logical-id suffix or the Terraform block type.
    pub block: Option<String>,
    pub path: Vec<String>,
    /// `None` removes the property.
    pub value: Option<serde_json::Value>,
}

pub(crate) struct Node {
    pub(crate) path: String,
    /// Path components below the stack, as given (used to derive ids).
    pub(crate) components: Vec<String>,
    pub(crate) resource: Box<dyn Resource>,
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
    /// A rule id of [`crate::checks`], e.g. `ecs-readonly-root-filesystem`.
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
    /// Every construct path registered (resources and plain scopes), for uniqueness.
    paths: IndexSet<String>,
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
            paths: IndexSet::new(),
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
            prefix: Vec::new(),
        }
    }

    /// Adds a construct at the root of the stack. See [`Scope::add`].
    pub fn add<R: Resource>(&mut self, id: &str, resource: R) -> Handle<R> {
        self.root().add(id, resource)
    }

    /// Opens a child scope at the root of the stack. See [`Scope::scope`].
    pub fn scope(&mut self, id: &str) -> Scope<'_> {
        let mut root = self.root();
        root.register(id);
        Scope {
            prefix: vec![id.to_string()],
            stack: root.stack,
        }
    }

    /// Mutable access to a construct added earlier, e.g. to add a policy statement
    /// to a role. `None` if the handle belongs to another stack.
    pub fn get_mut<R: Resource>(&mut self, handle: &Handle<R>) -> Option<&mut R> {
        let node = self.own_node_mut(handle.node())?;
        let any: &mut dyn Any = node.resource.as_any_mut();
        any.downcast_mut::<R>()
    }

    /// Read access to a construct added earlier.
    pub fn get<R: Resource>(&self, handle: &Handle<R>) -> Option<&R> {
        let node = self.own_node(handle.node())?;
        node.resource.as_any().downcast_ref::<R>()
    }

    /// Makes `from` deploy after `to`, on top of the order references imply
    /// (CloudFormation `DependsOn`, Terraform `depends_on`).
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

    /// A tag on one construct's resources, overriding a stack tag with the same key.
    pub fn tag(&mut self, target: &impl AsNode, key: &str, value: &str) {
        match self.own_node_mut(target.as_node()) {
            Some(node) => node.tags.insert(key, value),
            None => self.foreign_handle("tag"),
        }
    }

    /// Escape hatch: sets a raw property on the rendered main block of a construct
    /// for one backend. The value is emitted verbatim (no escaping, no references).
    pub fn override_property(&mut self, target: &impl AsNode, backend: Backend, path: &str, value: serde_json::Value) {
        self.push_override(target, backend, None, path, Some(value));
    }

    /// Escape hatch: removes a rendered property of a construct's main block.
    pub fn remove_property(&mut self, target: &impl AsNode, backend: Backend, path: &str) {
        self.push_override(target, backend, None, path, None);
    }

    /// Escape hatch for a construct's secondary block, named by its CloudFormation
    /// logical-id suffix or its Terraform type (e.g. `aws_ecr_lifecycle_policy`).
    pub fn override_block_property(
        &mut self,
        target: &impl AsNode,
        backend: Backend,
        block: &str,
        path: &str,
        value: Option<serde_json::Value>,
    ) {
        self.push_override(target, backend, Some(block.to_string()), path, value);
    }

    fn push_override(
        &mut self,
        target: &impl AsNode,
        backend: Backend,
        block: Option<String>,
        path: &str,
        value: Option<serde_json::Value>,
    ) {
        let parts: Vec<String> = path.split('.').map(str::to_string).collect();
        if parts.iter().any(String::is_empty) {
            let at = self.describe(target.as_node());
            self.problems.push(Problem::new(
                at,
                "invalid-override-path",
                format!("override path {path:?} must be dot-separated property names"),
            ));
            return;
        }
        match self.own_node_mut(target.as_node()) {
            Some(node) => node.overrides.push(Override {
                backend,
                block,
                path: parts,
                value,
            }),
            None => self.foreign_handle("override_property"),
        }
    }

    /// Adds a stack output (CloudFormation `Outputs`, Terraform `output`).
    pub fn output(&mut self, id: &str, value: impl Into<Expr>, description: &str) {
        let path = format!("{}/{}", self.name, id);
        if let Err(why) = check_id(id) {
            self.problems
                .push(Problem::new(&path, "invalid-id", format!("output id {id:?} {why}")));
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
    /// comment) so reviewers see it. A missing reason, an unknown rule or a
    /// construct of another stack is a synth-time problem.
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

    /// Whether `path` is a construct or a scope of this stack.
    pub(crate) fn has_path(&self, path: &str) -> bool {
        path == self.name || self.paths.contains(path)
    }

    /// Number of constructs added (resources and lookups).
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

    /// Records a problem found while building, reported at synthesis.
    pub(crate) fn record(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    fn foreign_handle(&mut self, what: &str) {
        self.problems.push(Problem::new(
            &self.name,
            "foreign-handle",
            format!("{what} was given a construct that belongs to another stack or app"),
        ));
    }
}

/// A place in a stack where constructs are added. Patterns open a child scope with
/// their own id and add their resources inside it, so paths read
/// `Vault/Service/TaskRole`.
pub struct Scope<'a> {
    stack: &'a mut Stack,
    prefix: Vec<String>,
}

impl<'a> Scope<'a> {
    /// Adds a construct with an id unique in this scope and returns its handle.
    ///
    /// A child called `Default` or `Resource` does not appear in logical ids or
    /// Terraform names, so wrapping a resource in a new construct keeps its address.
    pub fn add<R: Resource>(&mut self, id: &str, resource: R) -> Handle<R> {
        let path = self.register(id);
        let mut components = self.prefix.clone();
        components.push(id.to_string());
        let node = NodeRef {
            app: self.stack.app,
            stack: self.stack.index,
            index: self.stack.nodes.len() as u32,
        };
        self.stack.nodes.push(Node {
            path,
            components,
            resource: Box::new(resource),
            depends_on: Vec::new(),
            tags: Tags::default(),
            overrides: Vec::new(),
        });
        Handle::new(node)
    }

    /// Opens a child scope for a group of constructs.
    pub fn scope(&mut self, id: &str) -> Scope<'_> {
        self.register(id);
        let mut prefix = self.prefix.clone();
        prefix.push(id.to_string());
        Scope {
            stack: self.stack,
            prefix,
        }
    }

    /// The stack this scope belongs to, for dependencies, tags and overrides.
    pub fn stack(&mut self) -> &mut Stack {
        self.stack
    }

    /// This scope's path, e.g. `Vault/Service`.
    pub fn path(&self) -> String {
        join_path(&self.stack.name, &self.prefix)
    }

    /// Registers a child id, recording a problem if it is invalid or taken.
    fn register(&mut self, id: &str) -> String {
        let path = join_path(&self.stack.name, &self.prefix) + "/" + id;
        if let Err(why) = check_id(id) {
            self.stack
                .problems
                .push(Problem::new(&path, "invalid-id", format!("construct id {id:?} {why}")));
        }
        if !self.stack.paths.insert(path.clone()) {
            self.stack.problems.push(Problem::new(
                &path,
                "duplicate-id",
                format!("another construct in {} already has the id {id:?}", self.path()),
            ));
        }
        path
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

/// Construct ids: 1–64 characters, a letter first, then letters, digits, `-`, `_`
/// or `.`. Narrower than AWS CDK (which allows almost anything) so that every id
/// maps to a readable CloudFormation logical id and Terraform name.
pub(crate) fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("is empty; ids must be 1-64 characters".into());
    }
    if id.len() > 64 {
        return Err(format!("is {} characters long; ids must be at most 64", id.len()));
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
