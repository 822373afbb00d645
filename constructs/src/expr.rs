//! Backend-neutral values: literals, references and interpolations.
//!
//! Every property a construct sets is an [`Expr`]. A reference is a pair
//! (target, attribute) that is resolved only when a backend renders it, so the same
//! model becomes `Ref`/`Fn::GetAtt`/`Fn::Sub` in CloudFormation and `${type.name.attr}`
//! in Terraform. Nothing is encoded inside strings: a reference is an enum variant.
//!
//! User code rarely builds an `Expr` directly. Constructs hand out typed attribute
//! handles ([`Attr<K>`]) and accept typed values ([`Value<K>`]), so passing a name
//! where an ARN is expected fails to compile.

use indexmap::IndexMap;
use std::fmt;
use std::marker::PhantomData;

use crate::tree::NodeRef;

/// What a reference points at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// An attribute of a construct in a stack (a resource, a lookup or a parameter).
    Node(NodeRef, Attribute),
    /// A value the deployment environment knows: account, region, partition.
    Pseudo(Pseudo),
}

/// How one attribute of a construct renders in each backend.
///
/// Each construct declares its attributes once, next to its CloudFormation and
/// Terraform type names, and hands them out as typed [`Attr`] handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attribute {
    pub cfn: CfnAttr,
    /// Terraform attribute name, e.g. `arn`, `repository_url`.
    pub tf: &'static str,
}

impl Attribute {
    pub const fn new(cfn: CfnAttr, tf: &'static str) -> Self {
        Attribute { cfn, tf }
    }
}

/// The CloudFormation side of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CfnAttr {
    /// `{"Ref": "LogicalId"}`; what it returns depends on the resource type.
    Ref,
    /// `{"Fn::GetAtt": ["LogicalId", "Name"]}`.
    GetAtt(&'static str),
}

/// Values the deployment environment supplies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pseudo {
    /// `AWS::AccountId` / `data.aws_caller_identity.current.account_id`.
    AccountId,
    /// `AWS::Region` / `data.aws_region.current.name`.
    Region,
    /// `AWS::Partition` / `data.aws_partition.current.partition`.
    Partition,
    /// `AWS::URLSuffix` / `data.aws_partition.current.dns_suffix`.
    UrlSuffix,
}

/// An ordered map of property names to values: insertion order is output
/// order, and a key inserted again keeps its place and takes the new value.
/// Build one with `ExprMap::new()`, `collect()` or [`Expr::map`].
///
/// The entries are a plain vector searched front to back: synthesis builds
/// maps by the million (every block, every nested property), nearly all with
/// a handful of keys, where a hash table's allocation and hashing cost more
/// than the search. Inserting into a map of n keys is O(n), so a map of many
/// thousand keys is slow to build; no AWS schema has such objects.
/// Equality ignores order, as it does for maps in JSON.
#[derive(Clone, Debug, Default)]
pub struct ExprMap {
    entries: Vec<(String, Expr)>,
}

impl ExprMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        ExprMap {
            entries: Vec::with_capacity(n),
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    /// Sets `key` to `value`, returning the value it had; a new key goes last.
    pub fn insert(&mut self, key: String, value: Expr) -> Option<Expr> {
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Expr> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Expr> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The value of `key`, inserted last with `default()` if missing.
    pub fn get_or_insert_with(&mut self, key: String, default: impl FnOnce() -> Expr) -> &mut Expr {
        let i = match self.position(&key) {
            Some(i) => i,
            None => {
                self.entries.push((key, default()));
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }

    /// Removes `key`, keeping the order of the others.
    pub fn shift_remove(&mut self, key: &str) -> Option<Expr> {
        self.position(key).map(|i| self.entries.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &Expr)> + DoubleEndedIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&String, &mut Expr)> + DoubleEndedIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &String> + DoubleEndedIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = &Expr> + DoubleEndedIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl ExactSizeIterator<Item = &mut Expr> + DoubleEndedIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Orders the entries by key.
    pub fn sort_keys(&mut self) {
        self.entries.sort_by(|a, b| a.0.cmp(&b.0))
    }

    /// Keeps the entries for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Expr) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v))
    }
}

impl PartialEq for ExprMap {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl FromIterator<(String, Expr)> for ExprMap {
    fn from_iter<I: IntoIterator<Item = (String, Expr)>>(iter: I) -> Self {
        let mut m = ExprMap::default();
        m.extend(iter);
        m
    }
}

impl Extend<(String, Expr)> for ExprMap {
    fn extend<I: IntoIterator<Item = (String, Expr)>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.entries.reserve(iter.size_hint().0);
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for ExprMap {
    type Item = (String, Expr);
    type IntoIter = std::vec::IntoIter<(String, Expr)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a ExprMap {
    type Item = (&'a String, &'a Expr);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (String, Expr)>, fn(&'a (String, Expr)) -> (&'a String, &'a Expr)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> IntoIterator for &'a mut ExprMap {
    type Item = (&'a String, &'a mut Expr);
    type IntoIter = std::iter::Map<
        std::slice::IterMut<'a, (String, Expr)>,
        fn(&'a mut (String, Expr)) -> (&'a String, &'a mut Expr),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

impl std::ops::Index<&str> for ExprMap {
    type Output = Expr;
    fn index(&self, key: &str) -> &Expr {
        self.get(key).unwrap_or_else(|| panic!("no key {key:?} in the map"))
    }
}

/// The hasher of the library's maps: FxHash, fast for short keys (property
/// names, node refs), none of them attacker-chosen.
pub type FxBuild = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;
pub(crate) type FxIndexMap<K, V> = IndexMap<K, V, FxBuild>;
pub(crate) type FxIndexSet<K> = indexmap::IndexSet<K, FxBuild>;

/// A backend-neutral value.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    /// A number that is not an integer (rendered as JSON renders it).
    Num(f64),
    /// A literal string. Rendered with each backend's escaping of `${`.
    Str(String),
    /// A reference to an attribute; renders to the referenced value's own type
    /// (a string, or a list for list-valued lookups such as subnet ids).
    Ref(Target),
    /// String concatenation of literals and references (`Fn::Sub` / `"a${x}b"`).
    Concat(Vec<Expr>),
    List(Vec<Expr>),
    Map(ExprMap),
    /// A JSON document: an object in CloudFormation, a canonical JSON string in
    /// Terraform (IAM policies, container definitions, lifecycle policies).
    Json(Box<Expr>),
}

impl Expr {
    pub fn str(s: impl Into<String>) -> Expr {
        Expr::Str(s.into())
    }

    /// Concatenates parts into one string value. Adjacent literals merge, and a
    /// concatenation of one part is that part, so `concat([x])` renders as `x`.
    pub fn concat(parts: impl IntoIterator<Item = Expr>) -> Expr {
        let mut out: Vec<Expr> = Vec::new();
        for part in parts {
            match part {
                Expr::Concat(inner) => {
                    for p in inner {
                        push_part(&mut out, p)
                    }
                }
                p => push_part(&mut out, p),
            }
        }
        match out.len() {
            0 => Expr::Str(String::new()),
            1 => out.pop().expect("one element"),
            _ => Expr::Concat(out),
        }
    }

    pub fn list(items: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::List(items.into_iter().collect())
    }

    /// A map from `(key, value)` pairs, keeping their order.
    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Expr)>) -> Expr {
        Expr::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn json(doc: Expr) -> Expr {
        Expr::Json(Box::new(doc))
    }

    /// The literal string, if this is one.
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Expr::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Calls `f` for every reference inside this value.
    pub fn visit_targets<'a>(&'a self, f: &mut impl FnMut(&'a Target)) {
        match self {
            Expr::Ref(t) => f(t),
            Expr::Concat(items) | Expr::List(items) => items.iter().for_each(|e| e.visit_targets(f)),
            Expr::Map(m) => m.values().for_each(|e| e.visit_targets(f)),
            Expr::Json(inner) => inner.visit_targets(f),
            Expr::Null | Expr::Bool(_) | Expr::Int(_) | Expr::Num(_) | Expr::Str(_) => {}
        }
    }

    /// Whether the value contains no reference at all.
    pub fn is_literal(&self) -> bool {
        let mut any = false;
        self.visit_targets(&mut |_| any = true);
        !any
    }
}

fn push_part(out: &mut Vec<Expr>, part: Expr) {
    match (out.last_mut(), part) {
        (_, Expr::Str(s)) if s.is_empty() => {}
        (Some(Expr::Str(prev)), Expr::Str(s)) => prev.push_str(&s),
        (_, p) => out.push(p),
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::Str(s.to_string())
    }
}
impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::Str(s)
    }
}
impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}
impl From<i64> for Expr {
    fn from(n: i64) -> Self {
        Expr::Int(n)
    }
}
impl From<i32> for Expr {
    fn from(n: i32) -> Self {
        Expr::Int(n.into())
    }
}
impl From<u64> for Expr {
    fn from(n: u64) -> Self {
        Expr::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<usize> for Expr {
    fn from(n: usize) -> Self {
        Expr::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Expr {
    fn from(n: u32) -> Self {
        Expr::Int(n.into())
    }
}
impl From<u16> for Expr {
    fn from(n: u16) -> Self {
        Expr::Int(n.into())
    }
}
/// JSON as a literal expression (e.g. `json!({...})` in an override).
impl From<serde_json::Value> for Expr {
    fn from(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Expr::Null,
            serde_json::Value::Bool(b) => Expr::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Expr::Int(i),
                None => Expr::Num(n.as_f64().unwrap_or_default()),
            },
            serde_json::Value::String(s) => Expr::Str(s),
            serde_json::Value::Array(items) => Expr::List(items.into_iter().map(Expr::from).collect()),
            serde_json::Value::Object(m) => Expr::Map(m.into_iter().map(|(k, v)| (k, Expr::from(v))).collect()),
        }
    }
}
/// A duration, in whole seconds (what every AWS setting used here takes;
/// validation reports a duration with a fraction of a second).
impl From<std::time::Duration> for Expr {
    fn from(d: std::time::Duration) -> Self {
        Expr::Int(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}
impl From<f64> for Expr {
    fn from(n: f64) -> Self {
        Expr::Num(n)
    }
}
impl<T: Into<Expr>> From<Vec<T>> for Expr {
    fn from(v: Vec<T>) -> Self {
        Expr::List(v.into_iter().map(Into::into).collect())
    }
}

/// Marker types saying what a value is, so handles cannot be mixed up.
pub mod kind {
    macro_rules! kinds {
        ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub enum $name {}
        )*};
    }
    kinds! {
        /// An Amazon Resource Name.
        Arn,
        /// A resource's name.
        Name,
        /// A resource's id (e.g. a security group id `sg-…`).
        Id,
        /// A URI or URL (e.g. an ECR repository URI).
        Uri,
        /// A VPC id (`vpc-…`).
        VpcId,
        /// A subnet id (`subnet-…`).
        SubnetId,
        /// A list of subnet ids.
        SubnetIds,
        /// A security group id (`sg-…`).
        SecurityGroupId,
        /// An AWS account id.
        AccountId,
        /// An AWS region name.
        Region,
        /// An AWS partition (`aws`, `aws-cn`, …).
        Partition,
        /// Free text: anything else, including strings built with [`crate::Value::concat`].
        Text,
    }
}

/// A typed handle to one attribute of a construct (or of the environment).
///
/// Handles are cheap to copy around. Passing one to another construct wires the two:
/// the reference implies deployment order in both backends.
pub struct Attr<K> {
    target: Target,
    _kind: PhantomData<K>,
}

impl<K> Attr<K> {
    pub(crate) fn new(target: Target) -> Self {
        Attr {
            target,
            _kind: PhantomData,
        }
    }
    pub fn target(&self) -> &Target {
        &self.target
    }
    pub fn expr(&self) -> Expr {
        Expr::Ref(self.target.clone())
    }
    /// Forgets the kind, e.g. to put an id into free text.
    pub fn text(&self) -> Value<kind::Text> {
        Value::from_expr(self.expr())
    }
}

impl<K> Clone for Attr<K> {
    fn clone(&self) -> Self {
        Attr::new(self.target.clone())
    }
}
impl<K> fmt::Debug for Attr<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Attr<{}>({:?})", std::any::type_name::<K>(), self.target)
    }
}
impl<K> PartialEq for Attr<K> {
    fn eq(&self, other: &Self) -> bool {
        self.target == other.target
    }
}

impl Attr<kind::AccountId> {
    /// The account the stack is deployed into.
    pub fn account_id() -> Self {
        Attr::new(Target::Pseudo(Pseudo::AccountId))
    }
}
impl Attr<kind::Region> {
    /// The region the stack is deployed into.
    pub fn region() -> Self {
        Attr::new(Target::Pseudo(Pseudo::Region))
    }
}
impl Attr<kind::Partition> {
    /// The partition the stack is deployed into (`aws` in commercial regions).
    pub fn partition() -> Self {
        Attr::new(Target::Pseudo(Pseudo::Partition))
    }
}
impl Attr<kind::Text> {
    /// The domain suffix of the partition (`amazonaws.com` in commercial regions).
    pub fn url_suffix() -> Self {
        Attr::new(Target::Pseudo(Pseudo::UrlSuffix))
    }
}

/// A typed value: a literal, a typed reference, or a string built from parts.
pub struct Value<K> {
    expr: Expr,
    _kind: PhantomData<K>,
}

impl<K> Value<K> {
    /// A literal (e.g. the ARN of something this stack does not manage).
    pub fn literal(s: impl Into<String>) -> Self {
        Value::from_expr(Expr::Str(s.into()))
    }
    /// A string built from literals and references, e.g.
    /// `Value::<Arn>::concat(["arn:", partition.into(), ":s3:::bucket"])`.
    pub fn concat(parts: impl IntoIterator<Item = Expr>) -> Self {
        Value::from_expr(Expr::concat(parts))
    }
    /// A value from any expression, e.g. one built with [`Expr::concat`].
    /// The kind is the caller's word: prefer typed attributes and literals.
    pub fn from_expr(expr: Expr) -> Self {
        Value {
            expr,
            _kind: PhantomData,
        }
    }
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
    pub fn into_expr(self) -> Expr {
        self.expr
    }
    /// Forgets the kind, e.g. to use an image URI as free text.
    pub fn into_text(self) -> Value<kind::Text> {
        Value::from_expr(self.expr)
    }
}

impl Value<kind::Arn> {
    /// `arn:${Partition}:service:${Region}:${AccountId}:resource`, the ARN of a
    /// regional resource of the account the stack is deployed into, e.g.
    /// `Value::regional_arn("sqs", queue.name())`.
    pub fn regional_arn(service: &str, resource: impl Into<Expr>) -> Self {
        Self::from(crate::sub!(
            "arn:",
            Attr::partition(),
            format!(":{service}:"),
            Attr::region(),
            ":",
            Attr::account_id(),
            ":",
            resource.into()
        ))
    }

    /// `arn:${Partition}:service::${AccountId}:resource`, for global services
    /// such as IAM, e.g. `Value::global_arn("iam", "role/deployer")`.
    pub fn global_arn(service: &str, resource: impl Into<Expr>) -> Self {
        Self::from(crate::sub!(
            "arn:",
            Attr::partition(),
            format!(":{service}::"),
            Attr::account_id(),
            ":",
            resource.into()
        ))
    }
}

/// Builds a string from literals and references, like CloudFormation's
/// `Fn::Sub` (and a Terraform template string): each argument is anything
/// convertible to an [`Expr`]. The result converts into a [`Value`] of any
/// kind (an ARN, a name, text) and into an [`Expr`], so it goes wherever a
/// value does.
///
/// ```
/// use constructs::prelude::*;
/// use constructs::{kind, sub, Attr, Value};
///
/// let mut app = App::new();
/// let stack = app.stack("S");
/// let bucket = stack.add("Data", Bucket::new());
/// let objects: Value<kind::Arn> = sub!("arn:", Attr::partition(), ":s3:::", bucket.name(), "/*").into();
/// # let _ = objects;
/// ```
#[macro_export]
macro_rules! sub {
    ($($part:expr),+ $(,)?) => {
        $crate::expr::Interpolation::new([$($crate::Expr::from($part)),+])
    };
}

/// A string built with [`sub!`]: literals and references concatenated.
#[derive(Clone, Debug, PartialEq)]
pub struct Interpolation(Expr);

impl Interpolation {
    pub fn new(parts: impl IntoIterator<Item = Expr>) -> Self {
        Interpolation(Expr::concat(parts))
    }
}

impl From<Interpolation> for Expr {
    fn from(i: Interpolation) -> Self {
        i.0
    }
}

impl<K> From<Interpolation> for Value<K> {
    fn from(i: Interpolation) -> Self {
        Value::from_expr(i.0)
    }
}

impl<K> Clone for Value<K> {
    fn clone(&self) -> Self {
        Value::from_expr(self.expr.clone())
    }
}
impl<K> fmt::Debug for Value<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}
impl<K> PartialEq for Value<K> {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}
impl<K> From<Attr<K>> for Value<K> {
    fn from(a: Attr<K>) -> Self {
        Value::from_expr(a.expr())
    }
}
impl<K> From<&Attr<K>> for Value<K> {
    fn from(a: &Attr<K>) -> Self {
        Value::from_expr(a.expr())
    }
}
impl<K> From<&str> for Value<K> {
    fn from(s: &str) -> Self {
        Value::literal(s)
    }
}
impl<K> From<String> for Value<K> {
    fn from(s: String) -> Self {
        Value::literal(s)
    }
}
impl<K> From<Attr<K>> for Expr {
    fn from(a: Attr<K>) -> Self {
        a.expr()
    }
}
impl<K> From<&Attr<K>> for Expr {
    fn from(a: &Attr<K>) -> Self {
        a.expr()
    }
}
impl<K> From<Value<K>> for Expr {
    fn from(v: Value<K>) -> Self {
        v.expr
    }
}
impl<K> From<&Value<K>> for Expr {
    fn from(v: &Value<K>) -> Self {
        v.expr.clone()
    }
}

/// A list of subnet ids: either a list-valued lookup or individual ids.
impl From<Vec<Value<kind::SubnetId>>> for Value<kind::SubnetIds> {
    fn from(v: Vec<Value<kind::SubnetId>>) -> Self {
        Value::from_expr(Expr::List(v.into_iter().map(Into::into).collect()))
    }
}
impl From<Vec<&str>> for Value<kind::SubnetIds> {
    fn from(v: Vec<&str>) -> Self {
        Value::from_expr(Expr::from(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_merges_adjacent_literals_and_collapses_single_parts() {
        let r = Attr::<kind::Region>::region().expr();
        assert_eq!(Expr::concat([Expr::str("a"), Expr::str("b")]), Expr::str("ab"));
        assert_eq!(Expr::concat([r.clone()]), r);
        assert_eq!(
            Expr::concat([
                Expr::str("x"),
                Expr::str(""),
                r.clone(),
                Expr::concat([Expr::str("y"), Expr::str("z")])
            ]),
            Expr::Concat(vec![Expr::str("x"), r, Expr::str("yz")])
        );
        assert_eq!(Expr::concat(Vec::<Expr>::new()), Expr::str(""));
    }
}
