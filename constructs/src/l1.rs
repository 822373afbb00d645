//! Value types and macros for the generated L1 bindings ([`crate::cfn`] and
//! [`crate::tf`]): one typed struct per CloudFormation resource type and per
//! Terraform resource and data source, generated from their schemas.
//!
//! Every property holds one of a few small value types, each wrapping an
//! [`Expr`] so it takes a literal or a reference from any construct:
//!
//! | type | takes |
//! |---|---|
//! | [`Str`] | `&str`, `String`, any [`Attr`] or [`Value`], a generated enum's variant, a [`Json`] document (Terraform takes policies as strings) |
//! | [`Int`] | integers, any [`Attr`] or [`Value`] (e.g. a [`crate::parameter::Parameter`]'s value) |
//! | [`Num`] | numbers, any [`Attr`] or [`Value`] |
//! | [`Bool`] | `bool`, any [`Attr`] or [`Value`] |
//! | [`Json`] | a `serde_json::Value`, a [`PolicyDocument`], JSON text (`&str`, `String`) |
//! | [`List<T>`] | a `Vec` or an array of anything that becomes `T`, or a list-valued reference (subnet ids) |
//! | [`Map<T>`] | pairs `(key, value)` in a `Vec` or an array, an `IndexMap`/`BTreeMap`, or a reference |
//!
//! Each also takes an [`Expr`], the escape hatch for values the types do not
//! model. Validation ([`Rule`]) looks at literal values only: a reference is
//! known only at deploy time.

use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use crate::expr::{Attr, Expr, Value};
use crate::iam::PolicyDocument;
use crate::problem::Checker;

macro_rules! scalar {
    ($(#[$doc:meta])* $name:ident $(, $from:ty => $conv:expr)*) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name(pub Expr);

        /// Unset (`null`): what a required property holds until it is set.
        impl Default for $name {
            fn default() -> Self {
                $name(Expr::Null)
            }
        }

        impl $name {
            /// The wrapped expression.
            pub fn expr(&self) -> &Expr {
                &self.0
            }
        }
        impl<K> From<Attr<K>> for $name {
            fn from(a: Attr<K>) -> Self {
                $name(a.expr())
            }
        }
        impl<K> From<&Attr<K>> for $name {
            fn from(a: &Attr<K>) -> Self {
                $name(a.expr())
            }
        }
        impl<K> From<Value<K>> for $name {
            fn from(v: Value<K>) -> Self {
                $name(v.into_expr())
            }
        }
        impl<K> From<&Value<K>> for $name {
            fn from(v: &Value<K>) -> Self {
                $name(v.expr().clone())
            }
        }
        impl From<Expr> for $name {
            fn from(e: Expr) -> Self {
                $name(e)
            }
        }
        impl From<$name> for Expr {
            fn from(v: $name) -> Self {
                v.0
            }
        }
        $(impl From<$from> for $name {
            fn from(v: $from) -> Self {
                #[allow(clippy::redundant_closure_call)]
                $name(($conv)(v))
            }
        })*
        impl Field for $name {
            fn to_expr(&self) -> Option<Expr> {
                Some(self.0.clone())
            }
            #[inline]
            fn into_expr(self) -> Option<Expr> {
                Some(self.0)
            }
            fn literal(&self) -> Option<&Expr> {
                Some(&self.0)
            }
        }
    };
}

scalar! {
    /// A string property: a literal, or a reference to any attribute.
    Str,
    &str => |s: &str| Expr::Str(s.to_string()),
    String => Expr::Str,
    &String => |s: &String| Expr::Str(s.clone()),
    Json => |j: Json| j.0
}
scalar! {
    /// An integer property: a literal, or a reference (e.g. a parameter's value).
    Int,
    i64 => Expr::Int,
    i32 => |n: i32| Expr::Int(n.into()),
    i16 => |n: i16| Expr::Int(n.into()),
    i8 => |n: i8| Expr::Int(n.into()),
    u32 => |n: u32| Expr::Int(n.into()),
    u16 => |n: u16| Expr::Int(n.into()),
    u8 => |n: u8| Expr::Int(n.into()),
    u64 => |n: u64| Expr::Int(i64::try_from(n).unwrap_or(i64::MAX)),
    usize => |n: usize| Expr::Int(i64::try_from(n).unwrap_or(i64::MAX))
}
scalar! {
    /// A number property (Terraform's `number`, CloudFormation's `number`):
    /// integers render as integers.
    Num,
    f64 => Expr::Num,
    f32 => |n: f32| Expr::Num(n.into()),
    i64 => Expr::Int,
    i32 => |n: i32| Expr::Int(n.into()),
    u32 => |n: u32| Expr::Int(n.into()),
    u16 => |n: u16| Expr::Int(n.into()),
    u64 => |n: u64| Expr::Int(i64::try_from(n).unwrap_or(i64::MAX)),
    usize => |n: usize| Expr::Int(i64::try_from(n).unwrap_or(i64::MAX))
}
scalar! {
    /// A boolean property.
    Bool,
    bool => Expr::Bool
}
scalar! {
    /// A JSON document (an IAM policy, a state machine definition): an object
    /// in CloudFormation, a canonical JSON string in Terraform.
    Json,
    serde_json::Value => |v: serde_json::Value| Expr::json(Expr::from(v)),
    &str => |s: &str| Expr::Str(s.to_string()),
    String => Expr::Str,
    &PolicyDocument => |d: &PolicyDocument| Expr::json(d.to_expr()),
    PolicyDocument => |d: PolicyDocument| Expr::json(d.to_expr())
}

/// A generated enum: its variants are the values the schema lists, and a
/// [`Str`] takes any of them.
pub trait EnumValue {
    fn as_value(&self) -> &'static str;
}

/// One impl for every generated enum (rather than one per enum, which makes
/// coherence checking quadratic in the number of enums).
impl<E: EnumValue> From<E> for Str {
    fn from(v: E) -> Self {
        Str(Expr::Str(v.as_value().to_string()))
    }
}

impl Json {
    /// A document built from an expression that may hold references, e.g. a
    /// map with an ARN in it (`Expr::map([("Resource", queue.attr_arn().into())])`).
    pub fn document(doc: impl Into<Expr>) -> Self {
        Json(Expr::json(doc.into()))
    }
}

/// A list property: literal items, or a reference to a list-valued attribute
/// (e.g. the subnet ids of a lookup).
#[derive(Clone, Debug, PartialEq)]
pub enum List<T> {
    Items(Vec<T>),
    /// One item written as itself, not in an array: Terraform's JSON form of
    /// a nested block of list type that occurs once (`"rule": {…}`), which the
    /// hand-written constructs emit. Only for Terraform blocks: anywhere else
    /// the schema wants an array.
    One(Box<T>),
    Expr(Expr),
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List::Items(Vec::new())
    }
}

impl<T> List<T> {
    /// Appends an item (a list given as a reference becomes a list of items).
    pub fn push(&mut self, item: impl Into<T>) {
        match std::mem::take(self) {
            List::Items(mut items) => {
                items.push(item.into());
                *self = List::Items(items);
            }
            List::One(first) => *self = List::Items(vec![*first, item.into()]),
            List::Expr(_) => *self = List::Items(vec![item.into()]),
        }
    }

    /// A Terraform nested block that occurs once, written as a single object
    /// ([`List::One`]).
    pub fn one(item: impl Into<T>) -> Self {
        List::One(Box::new(item.into()))
    }
}

impl<T, X: Into<T>> From<Vec<X>> for List<T> {
    fn from(v: Vec<X>) -> Self {
        List::Items(v.into_iter().map(Into::into).collect())
    }
}
impl<T, X: Into<T>, const N: usize> From<[X; N]> for List<T> {
    fn from(v: [X; N]) -> Self {
        List::Items(v.into_iter().map(Into::into).collect())
    }
}
impl<T, K> From<Attr<K>> for List<T> {
    fn from(a: Attr<K>) -> Self {
        List::Expr(a.expr())
    }
}
impl<T, K> From<&Attr<K>> for List<T> {
    fn from(a: &Attr<K>) -> Self {
        List::Expr(a.expr())
    }
}
impl<T, K> From<Value<K>> for List<T> {
    fn from(v: Value<K>) -> Self {
        List::Expr(v.into_expr())
    }
}
impl<T, K> From<&Value<K>> for List<T> {
    fn from(v: &Value<K>) -> Self {
        List::Expr(v.expr().clone())
    }
}
impl<T> From<Expr> for List<T> {
    fn from(e: Expr) -> Self {
        List::Expr(e)
    }
}

/// A map property: string keys, values of one type; or a reference.
#[derive(Clone, Debug, PartialEq)]
pub enum Map<T> {
    Entries(IndexMap<String, T>),
    Expr(Expr),
}

impl<T> Default for Map<T> {
    fn default() -> Self {
        Map::Entries(IndexMap::new())
    }
}

impl<T> Map<T> {
    /// Sets an entry (a map given as a reference becomes a map of entries).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<T>) {
        match self {
            Map::Entries(m) => {
                m.insert(key.into(), value.into());
            }
            Map::Expr(_) => *self = Map::Entries(IndexMap::from([(key.into(), value.into())])),
        }
    }
}

fn entries<T, K: Into<String>, X: Into<T>>(pairs: impl IntoIterator<Item = (K, X)>) -> Map<T> {
    Map::Entries(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
}

impl<T, K: Into<String>, X: Into<T>> From<Vec<(K, X)>> for Map<T> {
    fn from(v: Vec<(K, X)>) -> Self {
        entries(v)
    }
}
impl<T, K: Into<String>, X: Into<T>, const N: usize> From<[(K, X); N]> for Map<T> {
    fn from(v: [(K, X); N]) -> Self {
        entries(v)
    }
}
impl<T, X: Into<T>> From<IndexMap<String, X>> for Map<T> {
    fn from(v: IndexMap<String, X>) -> Self {
        entries(v)
    }
}
impl<T, X: Into<T>> From<BTreeMap<String, X>> for Map<T> {
    fn from(v: BTreeMap<String, X>) -> Self {
        entries(v)
    }
}
impl<T, K> From<Attr<K>> for Map<T> {
    fn from(a: Attr<K>) -> Self {
        Map::Expr(a.expr())
    }
}
impl<T> From<Expr> for Map<T> {
    fn from(e: Expr) -> Self {
        Map::Expr(e)
    }
}

/// What every property value and generated struct implements: rendering to
/// an [`Expr`] and validation against the schema.
pub trait Field {
    /// The rendered value; `None` when an optional property is not set.
    fn to_expr(&self) -> Option<Expr>;
    /// Like [`Field::to_expr`], consuming the value: what a hand-written
    /// construct's rendering uses, so no property is copied twice.
    fn into_expr(self) -> Option<Expr>
    where
        Self: Sized,
    {
        self.to_expr()
    }
    /// Whether [`Field::into_expr`] gives a value: `false` only for an unset
    /// optional property. Sizes a rendered map before it is filled.
    #[inline]
    fn is_set(&self) -> bool {
        true
    }
    /// The value, for scalar rules (length, range, enum, pattern).
    fn literal(&self) -> Option<&Expr> {
        None
    }
    /// The items of a literal list, for item-count and per-item rules.
    fn items(&self) -> Option<Vec<&dyn Field>> {
        None
    }
    /// Validates what is nested inside (a struct's own properties, a list's items).
    fn check(&self, _v: &mut Validator<'_, '_>) {}
}

impl<T: Field> Field for Option<T> {
    fn to_expr(&self) -> Option<Expr> {
        self.as_ref().and_then(Field::to_expr)
    }
    #[inline]
    fn into_expr(self) -> Option<Expr> {
        self.and_then(Field::into_expr)
    }
    #[inline]
    fn is_set(&self) -> bool {
        self.as_ref().is_some_and(Field::is_set)
    }
    fn literal(&self) -> Option<&Expr> {
        self.as_ref().and_then(Field::literal)
    }
    fn items(&self) -> Option<Vec<&dyn Field>> {
        self.as_ref().and_then(Field::items)
    }
    fn check(&self, v: &mut Validator<'_, '_>) {
        if let Some(x) = self {
            x.check(v)
        }
    }
}

impl<T: Field> Field for Box<T> {
    fn to_expr(&self) -> Option<Expr> {
        (**self).to_expr()
    }
    #[inline]
    fn into_expr(self) -> Option<Expr> {
        (*self).into_expr()
    }
    #[inline]
    fn is_set(&self) -> bool {
        (**self).is_set()
    }
    fn literal(&self) -> Option<&Expr> {
        (**self).literal()
    }
    fn items(&self) -> Option<Vec<&dyn Field>> {
        (**self).items()
    }
    fn check(&self, v: &mut Validator<'_, '_>) {
        (**self).check(v)
    }
}

impl<T: Field> Field for List<T> {
    fn to_expr(&self) -> Option<Expr> {
        match self {
            List::Items(items) => Some(Expr::List(items.iter().filter_map(Field::to_expr).collect())),
            List::One(item) => item.to_expr(),
            List::Expr(e) => Some(e.clone()),
        }
    }
    #[inline]
    fn into_expr(self) -> Option<Expr> {
        match self {
            List::Items(items) => Some(Expr::List(items.into_iter().filter_map(Field::into_expr).collect())),
            List::One(item) => item.into_expr(),
            List::Expr(e) => Some(e),
        }
    }
    fn literal(&self) -> Option<&Expr> {
        match self {
            List::Items(_) | List::One(_) => None,
            List::Expr(e) => Some(e),
        }
    }
    fn items(&self) -> Option<Vec<&dyn Field>> {
        match self {
            List::Items(items) => Some(items.iter().map(|i| i as &dyn Field).collect()),
            List::One(item) => Some(vec![&**item as &dyn Field]),
            List::Expr(_) => None,
        }
    }
    fn check(&self, v: &mut Validator<'_, '_>) {
        let items: &[T] = match self {
            List::Items(items) => items,
            List::One(item) => std::slice::from_ref(&**item),
            List::Expr(_) => &[],
        };
        for (i, item) in items.iter().enumerate() {
            v.enter(Step::Index(i));
            item.check(v);
            v.leave();
        }
    }
}

impl<T: Field> Field for Map<T> {
    fn to_expr(&self) -> Option<Expr> {
        Some(match self {
            Map::Entries(m) => Expr::Map(
                m.iter()
                    .filter_map(|(k, v)| v.to_expr().map(|e| (k.clone(), e)))
                    .collect(),
            ),
            Map::Expr(e) => e.clone(),
        })
    }
    #[inline]
    fn into_expr(self) -> Option<Expr> {
        Some(match self {
            Map::Entries(m) => Expr::Map(
                m.into_iter()
                    .filter_map(|(k, v)| v.into_expr().map(|e| (k, e)))
                    .collect(),
            ),
            Map::Expr(e) => e,
        })
    }
    fn check(&self, v: &mut Validator<'_, '_>) {
        if let Map::Entries(m) = self {
            for (k, item) in m {
                v.enter(Step::Key(k));
                item.check(v);
                v.leave();
            }
        }
    }
}

/// Inserts a property into a rendered map: unset optional properties are
/// left out, or written as `null` where the schema wants every key present
/// (Terraform object types).
pub fn put(m: &mut crate::expr::ExprMap, key: &str, value: &impl Field, nulls: bool) {
    put_expr(m, key, value.to_expr(), nulls)
}

/// Like [`put`], consuming the value.
#[inline]
pub fn put_owned(m: &mut crate::expr::ExprMap, key: &str, value: impl Field, nulls: bool) {
    put_expr(m, key, value.into_expr(), nulls)
}

#[inline]
fn put_expr(m: &mut crate::expr::ExprMap, key: &str, value: Option<Expr>, nulls: bool) {
    match value {
        Some(e) => {
            m.insert(key.to_string(), e);
        }
        None if nulls => {
            m.insert(key.to_string(), Expr::Null);
        }
        None => {}
    }
}

/// A constraint the schema states for a property, checked on literal values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// Property must be set (a required property left at its default).
    Required,
    /// String length in characters, inclusive (`u32::MAX`: no upper bound).
    Len(u32, u32),
    /// Number range, inclusive (infinite: no bound).
    Range(f64, f64),
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// One of these strings, ignoring ASCII case.
    EnumCi(&'static [&'static str]),
    /// One of these integers.
    IntEnum(&'static [i64]),
    /// Number of list items, inclusive (`u32::MAX`: no upper bound).
    Items(u32, u32),
    /// A regular expression the string must match (JSON Schema: anywhere in it).
    Pattern(&'static str),
    /// Rules for each item of a list.
    Each(&'static [Rule]),
}

enum Step<'s> {
    Key(&'s str),
    Index(usize),
}

/// Walks a generated struct's properties and reports what breaks the
/// schema's constraints through the construct's [`Checker`], with the
/// property's path (`GlobalSecondaryIndexes[0].IndexName`) in the message.
pub struct Validator<'c, 'a> {
    checker: &'c mut Checker<'a>,
    type_name: &'static str,
    path: String,
    marks: Vec<usize>,
}

impl<'c, 'a> Validator<'c, 'a> {
    pub fn new(checker: &'c mut Checker<'a>, type_name: &'static str) -> Self {
        Validator {
            checker,
            type_name,
            path: String::new(),
            marks: Vec::new(),
        }
    }

    fn enter(&mut self, step: Step<'_>) {
        self.marks.push(self.path.len());
        match step {
            Step::Key(k) => {
                if !self.path.is_empty() {
                    self.path.push('.');
                }
                self.path.push_str(k);
            }
            Step::Index(i) => {
                self.path.push('[');
                self.path.push_str(&i.to_string());
                self.path.push(']');
            }
        }
    }

    fn leave(&mut self) {
        if let Some(len) = self.marks.pop() {
            self.path.truncate(len);
        }
    }

    /// Checks one property of the struct being validated, then what is nested in it.
    pub fn field(&mut self, key: &str, value: &dyn Field, rules: &[Rule]) {
        self.enter(Step::Key(key));
        self.apply(value, rules);
        value.check(self);
        self.leave();
    }

    fn error(&mut self, rule: &'static str, what: String) {
        let message = format!("{} property `{}` {what}", self.type_name, self.path);
        self.checker.error(rule, message);
    }

    fn apply(&mut self, value: &dyn Field, rules: &[Rule]) {
        for rule in rules {
            match *rule {
                Rule::Required => {
                    if matches!(value.literal(), Some(Expr::Null)) {
                        self.error("schema-required", "is required and not set".into());
                    }
                }
                Rule::Each(inner) => {
                    if let Some(items) = value.items() {
                        for (i, item) in items.into_iter().enumerate() {
                            self.enter(Step::Index(i));
                            self.apply(item, inner);
                            self.leave();
                        }
                    }
                }
                Rule::Items(min, max) => {
                    if let Some(items) = value.items() {
                        let n = items.len();
                        if n < min as usize || n > max as usize {
                            let what = format!("has {n} item{}; {}", plural(n), bounds("items", min, max));
                            self.error("schema-items", what);
                        }
                    }
                }
                _ => self.apply_scalar(value.literal(), rule),
            }
        }
    }

    fn apply_scalar(&mut self, value: Option<&Expr>, rule: &Rule) {
        let text = match value {
            Some(Expr::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        let number = match value {
            Some(Expr::Int(n)) => Some(*n as f64),
            Some(Expr::Num(n)) => Some(*n),
            _ => None,
        };
        match (*rule, text, number) {
            (Rule::Len(min, max), Some(s), _) => {
                let n = s.chars().count();
                if n < min as usize || n > max as usize {
                    let what = format!("is {n} character{} long; {}", plural(n), bounds("characters", min, max));
                    self.error("schema-length", what);
                }
            }
            (Rule::Range(min, max), _, Some(n)) => {
                if n < min || n > max {
                    let range = match (min.is_finite(), max.is_finite()) {
                        (true, true) => format!("between {min} and {max}"),
                        (true, false) => format!("at least {min}"),
                        _ => format!("at most {max}"),
                    };
                    self.error("schema-range", format!("is {n}; the schema allows {range}"));
                }
            }
            (Rule::Enum(values), Some(s), _) if !values.contains(&s) => {
                let what = format!("is {s:?}; the schema allows {}", one_of(values.iter()));
                self.error("schema-enum", what);
            }
            (Rule::EnumCi(values), Some(s), _) if !values.iter().any(|v| v.eq_ignore_ascii_case(s)) => {
                let what = format!("is {s:?}; the schema allows {}", one_of(values.iter()));
                self.error("schema-enum", what);
            }
            (Rule::IntEnum(values), _, Some(n)) if !values.iter().any(|v| *v as f64 == n) => {
                let what = format!("is {n}; the schema allows {}", one_of(values.iter()));
                self.error("schema-enum", what);
            }
            (Rule::Pattern(p), Some(s), _) if pattern_matches(p, s) == Some(false) => {
                let what = format!(
                    "is {}, which does not match the schema's pattern {p}",
                    crate::tree::shown(s)
                );
                self.error("schema-pattern", what);
            }
            _ => {}
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn bounds(what: &str, min: u32, max: u32) -> String {
    match (min, max) {
        (0, u32::MAX) => format!("any number of {what}"),
        (min, u32::MAX) => format!("the schema allows at least {min} {what}"),
        (0, max) => format!("the schema allows at most {max} {what}"),
        (min, max) if min == max => format!("the schema allows exactly {min} {what}"),
        (min, max) => format!("the schema allows {min}-{max} {what}"),
    }
}

fn one_of<T: std::fmt::Debug>(values: impl ExactSizeIterator<Item = T>) -> String {
    const SHOWN: usize = 12;
    let n = values.len();
    let listed: Vec<String> = values.take(SHOWN).map(|v| format!("{v:?}")).collect();
    if n > SHOWN {
        format!("one of {}, … ({n} values)", listed.join(", "))
    } else {
        format!("one of {}", listed.join(", "))
    }
}

/// Whether `s` matches the pattern (anywhere, as JSON Schema's `pattern`
/// does); `None` if the pattern does not compile here (the generator emits
/// only patterns that do). Compiled patterns are cached for the process.
fn pattern_matches(pattern: &'static str, s: &str) -> Option<bool> {
    static CACHE: OnceLock<Mutex<std::collections::HashMap<&'static str, Option<regex_lite::Regex>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let re = cache
        .entry(pattern)
        .or_insert_with(|| regex_lite::Regex::new(pattern).ok());
    re.as_ref().map(|re| re.is_match(s))
}

/// Validates a generated resource's properties: what [`crate::Resource::validate`]
/// does for every L1 (call it from a hand-written construct that renders through one).
pub fn validate(c: &mut Checker<'_>, type_name: &'static str, props: &impl Field) {
    let mut v = Validator::new(c, type_name);
    props.check(&mut v);
}

/// A generated struct's properties as a rendered map.
pub fn props(value: &impl Field) -> crate::expr::ExprMap {
    match value.to_expr() {
        Some(Expr::Map(m)) => m,
        _ => crate::expr::ExprMap::new(),
    }
}

/// Like [`props`], consuming the struct (its values are moved, not copied).
#[inline]
pub fn into_props(value: impl Field) -> crate::expr::ExprMap {
    match value.into_expr() {
        Some(Expr::Map(m)) => m,
        _ => crate::expr::ExprMap::new(),
    }
}

/// Declares a generated struct: its public fields, a setter per field, and
/// its rendering and validation. A field is `req` (required: not an
/// `Option`, reported by validation if left unset), `opt`, or `req_box` /
/// `opt_box` (boxed, for recursive types). `true` after the name makes
/// rendering write `null` for unset fields (Terraform object types need every key).
#[allow(unused_macros)]
macro_rules! l1_struct {
    (
        $(#[$meta:meta])*
        $name:ident $nulls:literal {
            $( $(#[$fmeta:meta])* $field:ident : $mode:ident $ty:ty = $key:literal $([$($rule:expr),* $(,)?])? ; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $( #[doc = concat!("`", $key, "`.")] $(#[$fmeta])* pub $field: $crate::l1::l1_field_ty!($mode $ty), )*
        }

        impl $name {
            $( $crate::l1::l1_setter!($mode $field $ty = $key); )*
        }

        impl $crate::l1::Field for $name {
            fn to_expr(&self) -> Option<$crate::Expr> {
                #[allow(unused_mut)]
                let mut m = $crate::resource::Props::new();
                $( $crate::l1::put(&mut m, $key, &self.$field, $nulls); )*
                Some($crate::Expr::Map(m))
            }
            // Inline: compiled only for the structs a construct renders through.
            #[inline]
            fn into_expr(self) -> Option<$crate::Expr> {
                // Sized once: a struct sets a few of its many fields.
                let set = if $nulls { 0 $(+ { let _ = $key; 1 })* } else { 0 $(+ usize::from($crate::l1::Field::is_set(&self.$field)))* };
                #[allow(unused_mut)]
                let mut m = $crate::resource::Props::with_capacity(set);
                $( $crate::l1::put_owned(&mut m, $key, self.$field, $nulls); )*
                Some($crate::Expr::Map(m))
            }
            #[allow(unused_variables)]
            fn check(&self, v: &mut $crate::l1::Validator<'_, '_>) {
                $( v.field($key, &self.$field, $crate::l1::l1_rules!($mode $([$($rule),*])?)); )*
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use l1_struct;

#[allow(unused_macros)]
macro_rules! l1_field_ty {
    (req $ty:ty) => { $ty };
    (opt $ty:ty) => { Option<$ty> };
    (req_box $ty:ty) => { Box<$ty> };
    (opt_box $ty:ty) => { Option<Box<$ty>> };
}
#[allow(unused_imports)]
pub(crate) use l1_field_ty;

#[allow(unused_macros)]
macro_rules! l1_setter {
    (req $field:ident $ty:ty = $key:literal) => {
        #[doc = concat!("Sets `", $key, "`.")]
        pub fn $field(mut self, value: impl Into<$ty>) -> Self {
            self.$field = value.into();
            self
        }
    };
    (opt $field:ident $ty:ty = $key:literal) => {
        #[doc = concat!("Sets `", $key, "`.")]
        pub fn $field(mut self, value: impl Into<$ty>) -> Self {
            self.$field = Some(value.into());
            self
        }
    };
    (req_box $field:ident $ty:ty = $key:literal) => {
        #[doc = concat!("Sets `", $key, "`.")]
        pub fn $field(mut self, value: impl Into<$ty>) -> Self {
            self.$field = Box::new(value.into());
            self
        }
    };
    (opt_box $field:ident $ty:ty = $key:literal) => {
        #[doc = concat!("Sets `", $key, "`.")]
        pub fn $field(mut self, value: impl Into<$ty>) -> Self {
            self.$field = Some(Box::new(value.into()));
            self
        }
    };
}
#[allow(unused_imports)]
pub(crate) use l1_setter;

#[allow(unused_macros)]
macro_rules! l1_rules {
    (req) => { &[$crate::l1::Rule::Required] };
    (req_box) => { &[$crate::l1::Rule::Required] };
    ($mode:ident) => { &[] };
    (req [$($rule:expr),*]) => { &[$crate::l1::Rule::Required, $($rule),*] };
    (req_box [$($rule:expr),*]) => { &[$crate::l1::Rule::Required, $($rule),*] };
    ($mode:ident [$($rule:expr),*]) => { &[$($rule),*] };
}
#[allow(unused_imports)]
pub(crate) use l1_rules;

/// Declares a generated enum: the values the schema lists for a string
/// property. Setters take a variant or any string (AWS adds values; the
/// schema's list is what validation checks).
#[allow(unused_macros)]
macro_rules! l1_enum {
    ($(#[$meta:meta])* $name:ident { $( $variant:ident = $value:literal ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( #[doc = concat!("`", $value, "`")] $variant, )*
        }

        impl $name {
            /// Every value, in the schema's order.
            pub const VALUES: &'static [&'static str] = &[$($value),*];
            /// The value as the schema spells it.
            pub fn as_str(self) -> &'static str {
                Self::VALUES[self as usize]
            }
        }

        impl $crate::l1::EnumValue for $name {
            fn as_value(&self) -> &'static str {
                self.as_str()
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use l1_enum;

/// Declares a CloudFormation resource type: its `Refs` (the `Ref` value and
/// the `Fn::GetAtt` attributes), its [`crate::Resource`] impl (CloudFormation
/// only) and its conversion into a [`crate::CfnResource`].
#[allow(unused_macros)]
macro_rules! l1_cfn_resource {
    (
        $name:ident, $refs:ident, $type_name:literal, taggable: $taggable:literal,
        create_only: [$($create_only:literal),* $(,)?],
        attrs { $( $(#[$ameta:meta])* $method:ident : $kind:ident = $attr:tt ; )* }
    ) => {
        impl $name {
            /// The CloudFormation type name.
            pub const TYPE_NAME: &'static str = $type_name;
            /// Properties whose change replaces the resource, as JSON Pointers (from the schema).
            pub const CREATE_ONLY: &'static [&'static str] = &[$($create_only),*];

            /// This resource's CloudFormation block, e.g. for a hand-written
            /// construct that renders through the generated type.
            pub fn to_cfn_resource(&self) -> $crate::CfnResource {
                let resource = $crate::CfnResource::new($type_name, $crate::l1::props(self));
                if $taggable { resource } else { resource.untagged() }
            }

            /// Like [`Self::to_cfn_resource`], consuming the value (nothing is copied).
            #[inline]
            pub fn into_cfn_resource(self) -> $crate::CfnResource {
                let resource = $crate::CfnResource::new($type_name, $crate::l1::into_props(self));
                if $taggable { resource } else { resource.untagged() }
            }
        }

        $crate::refs! {
            #[doc = concat!("What a handle to a `", $type_name, "` exposes: its `Ref` and `Fn::GetAtt` attributes.")]
            pub $refs
        }

        impl $refs {
            $(
                $(#[$ameta])*
                pub fn $method(&self) -> $crate::Attr<$crate::kind::$kind> {
                    self.attr($crate::Attribute::new($crate::l1::l1_cfn_attr!($attr), ""))
                }
            )*
        }

        impl $crate::Resource for $name {
            type Refs = $refs;
            fn kind(&self) -> &'static str {
                $type_name
            }
            fn validate(&self, c: &mut $crate::problem::Checker<'_>) {
                $crate::l1::validate(c, $type_name, self)
            }
            fn cloudformation(&self, _: &$crate::RenderCx) -> Option<Vec<$crate::CfnBlock>> {
                Some(vec![self.to_cfn_resource().into_block()])
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use l1_cfn_resource;

#[allow(unused_macros)]
macro_rules! l1_cfn_attr {
    (Ref) => {
        $crate::CfnAttr::Ref
    };
    ($name:literal) => {
        $crate::CfnAttr::GetAtt($name)
    };
}
#[allow(unused_imports)]
pub(crate) use l1_cfn_attr;

/// Declares a Terraform resource or data source: its `Refs` (its attributes,
/// `id` always), its [`crate::Resource`] impl (Terraform only) and its
/// conversion into a [`crate::TfBlock`].
#[allow(unused_macros)]
macro_rules! l1_tf_block {
    (
        $name:ident, $refs:ident, $section:ident $type_name:literal, taggable: $taggable:literal,
        attrs { $( $method:ident : $kind:ident = $attr:literal ; )* }
    ) => {
        impl $name {
            /// The Terraform type name.
            pub const TYPE_NAME: &'static str = $type_name;

            /// This block, e.g. for a hand-written construct that renders
            /// through the generated type.
            pub fn to_tf_block(&self) -> $crate::TfBlock {
                let block = $crate::TfBlock::$section($type_name, $crate::l1::props(self));
                if $taggable { block } else { block.untagged() }
            }

            /// Like [`Self::to_tf_block`], consuming the value (nothing is copied).
            #[inline]
            pub fn into_tf_block(self) -> $crate::TfBlock {
                let block = $crate::TfBlock::$section($type_name, $crate::l1::into_props(self));
                if $taggable { block } else { block.untagged() }
            }
        }

        $crate::refs! {
            #[doc = concat!("What a handle to a `", $type_name, "` exposes: its attributes.")]
            pub $refs
        }

        impl $refs {
            $(
                #[doc = concat!("`", $attr, "`.")]
                pub fn $method(&self) -> $crate::Attr<$crate::kind::$kind> {
                    self.attr($crate::Attribute::new($crate::CfnAttr::Ref, $attr))
                }
            )*
        }

        impl $crate::Resource for $name {
            type Refs = $refs;
            fn kind(&self) -> &'static str {
                $type_name
            }
            fn validate(&self, c: &mut $crate::problem::Checker<'_>) {
                $crate::l1::validate(c, $type_name, self)
            }
            fn terraform(&self, _: &$crate::RenderCx) -> Option<Vec<$crate::TfBlock>> {
                Some(vec![self.to_tf_block()])
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use l1_tf_block;
