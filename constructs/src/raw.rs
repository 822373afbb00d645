//! Raw resources: any CloudFormation resource type or Terraform resource or
//! data source, by name, for what the library does not model yet.
//!
//! Properties are expressions, so they may hold references to other
//! constructs (`queue.arn()`), which render per backend like any other.
//! Property names are checked against the resource schemas the library
//! embeds (cfn-lint's and the AWS provider's), so a typo is a synth-time
//! problem instead of a failed deploy. A raw resource renders for the
//! backends it was given; synthesizing another is a problem naming it.
//!
//! ```
//! use constructs::prelude::*;
//! use constructs::raw::RawResource;
//! use constructs::{expr, kind};
//!
//! let mut app = App::new();
//! let stack = app.stack("S");
//! let dlq = stack.add(
//!     "Dead",
//!     RawResource::cloudformation("AWS::SQS::Queue", expr!({"MessageRetentionPeriod": 1_209_600}))
//!         .and_terraform("aws_sqs_queue", expr!({"message_retention_seconds": 1_209_600})),
//! );
//! let dlq_arn = dlq.get::<kind::Arn>("Arn", "arn");
//! stack.add(
//!     "Queue",
//!     RawResource::cloudformation(
//!         "AWS::SQS::Queue",
//!         expr!({"RedrivePolicy": {"deadLetterTargetArn": dlq_arn.clone(), "maxReceiveCount": 5}}),
//!     )
//!     .and_terraform(
//!         "aws_sqs_queue",
//!         expr!({"redrive_policy": Expr::json(expr!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}))}),
//!     ),
//! );
//! assert!(constructs::validate(&app).is_empty());
//! ```

use std::borrow::Cow;

use crate::expr::{Attr, Attribute, CfnAttr, Expr};
use crate::problem::Checker;
use crate::resource::{CfnBlock, CfnResource, Props, RenderCx, Resource, TfBlock, TfSection};
use crate::schema;

/// What a raw resource renders to in one backend.
#[derive(Clone, Debug, PartialEq)]
struct Rendering {
    type_name: Cow<'static, str>,
    properties: Expr,
}

/// A resource of any type, given by its backend's type name and properties.
#[derive(Clone, Debug, PartialEq)]
pub struct RawResource {
    cloudformation: Option<Rendering>,
    terraform: Option<(TfSection, Rendering)>,
    retain: bool,
}

impl RawResource {
    /// A CloudFormation resource, e.g. `("AWS::SQS::Queue", expr!({...}))`.
    pub fn cloudformation(type_name: impl Into<Cow<'static, str>>, properties: impl Into<Expr>) -> Self {
        RawResource {
            cloudformation: Some(Rendering {
                type_name: type_name.into(),
                properties: properties.into(),
            }),
            terraform: None,
            retain: false,
        }
    }

    /// A Terraform resource, e.g. `("aws_sqs_queue", expr!({...}))`.
    pub fn terraform(type_name: impl Into<Cow<'static, str>>, body: impl Into<Expr>) -> Self {
        RawResource {
            cloudformation: None,
            terraform: None,
            retain: false,
        }
        .and_terraform(type_name, body)
    }

    /// A Terraform data source, e.g. `("aws_caller_identity", expr!({}))`.
    pub fn terraform_data(type_name: impl Into<Cow<'static, str>>, body: impl Into<Expr>) -> Self {
        let mut r = Self::terraform(type_name, body);
        if let Some((section, _)) = &mut r.terraform {
            *section = TfSection::Data;
        }
        r
    }

    /// Adds the Terraform rendering of the same resource.
    pub fn and_terraform(mut self, type_name: impl Into<Cow<'static, str>>, body: impl Into<Expr>) -> Self {
        self.terraform = Some((
            TfSection::Resource,
            Rendering {
                type_name: type_name.into(),
                properties: body.into(),
            },
        ));
        self
    }

    /// Adds the CloudFormation rendering of the same resource.
    pub fn and_cloudformation(mut self, type_name: impl Into<Cow<'static, str>>, properties: impl Into<Expr>) -> Self {
        self.cloudformation = Some(Rendering {
            type_name: type_name.into(),
            properties: properties.into(),
        });
        self
    }

    /// Keeps the resource when it is removed from the stack or replaced
    /// (CloudFormation `DeletionPolicy`/`UpdateReplacePolicy: Retain`; in
    /// Terraform, set `lifecycle.prevent_destroy` with an override).
    pub fn retained(mut self) -> Self {
        self.retain = true;
        self
    }
}

crate::refs! {
    /// What a handle to a [`RawResource`] exposes: any attribute, by name.
    pub RawRefs
}

impl RawRefs {
    /// An attribute: `Fn::GetAtt` with `cloudformation`'s name, Terraform's
    /// `terraform` attribute. The kind is yours to state.
    pub fn get<K>(&self, cloudformation: &'static str, terraform: &'static str) -> Attr<K> {
        self.attr(Attribute::new(CfnAttr::GetAtt(cloudformation), terraform))
    }

    /// What CloudFormation's `Ref` returns for the type (its docs say which
    /// identifier), and the Terraform attribute holding the same value.
    pub fn reference<K>(&self, terraform: &'static str) -> Attr<K> {
        self.attr(Attribute::new(CfnAttr::Ref, terraform))
    }
}

fn props_of(e: &Expr) -> Option<Props> {
    match e {
        Expr::Map(m) => Some(m.clone()),
        Expr::Null => Some(Props::default()),
        _ => None,
    }
}

impl Resource for RawResource {
    type Refs = RawRefs;

    fn kind(&self) -> &'static str {
        "RawResource"
    }

    fn is_lookup(&self) -> bool {
        matches!(self.terraform, Some((TfSection::Data, _))) && self.cloudformation.is_none()
    }

    fn validate(&self, c: &mut Checker<'_>) {
        if let Some(r) = &self.cloudformation {
            if props_of(&r.properties).is_none() {
                c.error(
                    "raw-properties",
                    format!("the properties of {} must be an object", r.type_name),
                );
            } else if let Some(t) = schema::cloudformation::resource_type(&r.type_name) {
                for (path, message) in t.properties.check_expr(&r.properties) {
                    c.error(
                        "raw-unknown-property",
                        format!("{} Properties.{path} {message}", r.type_name),
                    );
                }
            } else if r.type_name.starts_with("AWS::") && !r.type_name.contains("::Custom") {
                c.error(
                    "raw-unknown-type",
                    format!(
                        "the CloudFormation schemas do not know {}{} (a type newer than the pinned schemas can be checked by updating them; see docs)",
                        r.type_name,
                        schema::suggestion(
                            &r.type_name,
                            schema::cloudformation::type_names()
                                .into_iter()
                                .map(str::to_string)
                                .collect::<Vec<_>>()
                                .iter()
                        )
                    ),
                );
            }
        }
        if let Some((section, r)) = &self.terraform {
            let block = match section {
                TfSection::Data => schema::terraform::data_source(&r.type_name),
                _ => schema::terraform::resource(&r.type_name),
            };
            match (props_of(&r.properties), block) {
                (None, _) => c.error(
                    "raw-properties",
                    format!("the body of {} must be an object", r.type_name),
                ),
                (Some(_), Some(block)) => {
                    for (path, message) in block.check_body(&r.properties) {
                        c.error("raw-unknown-property", format!("{} {path} {message}", r.type_name));
                    }
                }
                (Some(_), None) => c.error(
                    "raw-unknown-type",
                    format!(
                        "the AWS provider {} has no {} {:?}",
                        crate::synth::terraform::AWS_PROVIDER_VERSION,
                        if *section == TfSection::Data {
                            "data source"
                        } else {
                            "resource"
                        },
                        r.type_name
                    ),
                ),
            }
        }
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let r = self.cloudformation.as_ref()?;
        let mut res = CfnResource::new(r.type_name.clone(), props_of(&r.properties).unwrap_or_default());
        // Stack tags are added only where the schema says the type takes a list of {Key, Value}.
        res.taggable = schema::cloudformation::resource_type(&r.type_name).is_some_and(|t| t.takes_tag_list());
        res.retain_on_delete = self.retain;
        Some(vec![res.into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let (section, r) = self.terraform.as_ref()?;
        let body = props_of(&r.properties).unwrap_or_default();
        let block = match section {
            TfSection::Data => TfBlock::data(r.type_name.clone(), body),
            _ => {
                let taggable =
                    schema::terraform::resource(&r.type_name).is_some_and(|b| b.attributes.contains_key("tags"));
                let b = TfBlock::resource(r.type_name.clone(), body);
                if taggable {
                    b
                } else {
                    b.untagged()
                }
            }
        };
        Some(vec![block])
    }
}

/// Builds an [`Expr`] from JSON-like syntax whose values may be any
/// expression convertible to one (`queue.arn()`, a `Value`, a number):
/// `expr!({"Key": value, "List": [1, 2], "Nested": {"A": true}})`.
#[macro_export]
macro_rules! expr {
    // Object and list forms.
    ({ $($body:tt)* }) => {{
        #[allow(unused_mut)]
        let mut map = $crate::resource::Props::default();
        $crate::expr!(@object map; $($body)*);
        $crate::Expr::Map(map)
    }};
    ([ $($body:tt)* ]) => {{
        #[allow(unused_mut)]
        let mut list: ::std::vec::Vec<$crate::Expr> = ::std::vec::Vec::new();
        $crate::expr!(@list list; $($body)*);
        $crate::Expr::List(list)
    }};
    (null) => { $crate::Expr::Null };
    ($e:expr) => { $crate::Expr::from($e) };

    // Object entries: "key": value, where a value is {..}, [..] or an expression.
    (@object $m:ident;) => {};
    (@object $m:ident; $k:literal : { $($v:tt)* } $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::expr!({ $($v)* }));
        $($crate::expr!(@object $m; $($rest)*);)?
    };
    (@object $m:ident; $k:literal : [ $($v:tt)* ] $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::expr!([ $($v)* ]));
        $($crate::expr!(@object $m; $($rest)*);)?
    };
    (@object $m:ident; $k:literal : null $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::Expr::Null);
        $($crate::expr!(@object $m; $($rest)*);)?
    };
    (@object $m:ident; $k:literal : $v:expr $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::String::from($k), $crate::Expr::from($v));
        $($crate::expr!(@object $m; $($rest)*);)?
    };

    // List items.
    (@list $l:ident;) => {};
    (@list $l:ident; { $($v:tt)* } $(, $($rest:tt)*)?) => {
        $l.push($crate::expr!({ $($v)* }));
        $($crate::expr!(@list $l; $($rest)*);)?
    };
    (@list $l:ident; [ $($v:tt)* ] $(, $($rest:tt)*)?) => {
        $l.push($crate::expr!([ $($v)* ]));
        $($crate::expr!(@list $l; $($rest)*);)?
    };
    (@list $l:ident; null $(, $($rest:tt)*)?) => {
        $l.push($crate::Expr::Null);
        $($crate::expr!(@list $l; $($rest)*);)?
    };
    (@list $l:ident; $v:expr $(, $($rest:tt)*)?) => {
        $l.push($crate::Expr::from($v));
        $($crate::expr!(@list $l; $($rest)*);)?
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cfn_resource, problems, synth_one, tf_data, tf_resource};
    use crate::{kind, App};
    use serde_json::json;

    #[test]
    fn the_expr_macro_builds_nested_values_with_references() {
        let mut app = App::new();
        let stack = app.stack("S");
        let q = stack.add("Q", RawResource::cloudformation("AWS::SQS::Queue", expr!({})));
        let arn = q.get::<kind::Arn>("Arn", "arn");
        let e = expr!({"A": 1, "B": [true, "x", {"C": arn.clone()}], "D": {"E": null}, "F": -2});
        let Expr::Map(m) = &e else { panic!() };
        assert_eq!(m["A"], Expr::Int(1));
        assert_eq!(
            m["B"],
            Expr::List(vec![Expr::Bool(true), Expr::str("x"), expr!({"C": arn})])
        );
        assert_eq!(m["D"], Expr::map([("E", Expr::Null)]));
        assert_eq!(m["F"], Expr::Int(-2));
    }

    #[test]
    fn raw_resources_render_with_references_in_both_backends() {
        let mut app = App::new();
        let stack = app.stack("S");
        stack.add_tag("team", "orders");
        let dlq = stack.add(
            "Dead",
            RawResource::cloudformation("AWS::SQS::Queue", expr!({}))
                .and_terraform("aws_sqs_queue", expr!({}))
                .retained(),
        );
        let arn = dlq.get::<kind::Arn>("Arn", "arn");
        stack.add(
            "Queue",
            RawResource::cloudformation(
                "AWS::SQS::Queue",
                expr!({"RedrivePolicy": {"deadLetterTargetArn": arn.clone(), "maxReceiveCount": 5}}),
            )
            .and_terraform(
                "aws_sqs_queue",
                expr!({"redrive_policy": Expr::json(expr!({"deadLetterTargetArn": arn, "maxReceiveCount": 5}))}),
            ),
        );
        let caller = stack.add("Me", RawResource::terraform_data("aws_caller_identity", expr!({})));
        stack.output("Account", caller.get::<kind::AccountId>("", "account_id"), "");
        // The caller identity is a Terraform data source only: the app declares it targets Terraform.
        app.set_backends(&[crate::Backend::Terraform]);
        let tf_only = crate::synth_with(
            &app,
            &crate::SynthOptions {
                backends: vec![crate::Backend::Terraform],
                checks: crate::Checks::Skip,
            },
        )
        .unwrap();
        let tf: serde_json::Value = serde_json::from_str(&tf_only[0].text).unwrap();
        assert_eq!(
            tf_resource(&tf, "aws_sqs_queue", "queue")["redrive_policy"],
            json!(r#"{"deadLetterTargetArn":"${aws_sqs_queue.dead.arn}","maxReceiveCount":5}"#)
        );
        assert!(tf_data(&tf, "aws_caller_identity", "me").is_object());
        assert_eq!(
            tf["output"]["account"]["value"],
            json!("${data.aws_caller_identity.me.account_id}")
        );
    }

    #[test]
    fn cloudformation_renders_tags_and_retention_where_the_schema_allows() {
        let mut app = App::new();
        let stack = app.stack("S");
        stack.add_tag("team", "orders");
        stack.add(
            "Dead",
            RawResource::cloudformation("AWS::SQS::Queue", expr!({}))
                .and_terraform("aws_sqs_queue", expr!({}))
                .retained(),
        );
        let (cfn, tf) = synth_one(&app);
        let q = cfn_resource(&cfn, "Dead");
        assert_eq!(q["DeletionPolicy"], "Retain");
        assert_eq!(q["Properties"]["Tags"], json!([{"Key": "team", "Value": "orders"}]));
        assert!(tf_resource(&tf, "aws_sqs_queue", "dead").is_object());
    }

    #[test]
    fn unknown_properties_and_types_are_reported_with_suggestions() {
        let mut app = App::new();
        let stack = app.stack("S");
        stack.add(
            "T",
            RawResource::cloudformation("AWS::DynamoDB::Table", expr!({"GlobalSecondaryIndexs": []}))
                .and_terraform("aws_dynamodb_table", expr!({"hash_keys": "id"})),
        );
        stack.add("U", RawResource::cloudformation("AWS::SQS::Queu", expr!({})));
        stack.add("V", RawResource::terraform("aws_sqs_queue", expr!({"arn": "x"})));
        let found = crate::validate(&app);
        let messages: Vec<String> = found.iter().map(|p| p.to_string()).collect();
        let text = messages.join("\n");
        assert!(text.contains("[S/T] AWS::DynamoDB::Table Properties.GlobalSecondaryIndexs has no property \"GlobalSecondaryIndexs\"; did you mean \"GlobalSecondaryIndexes\"?"), "{text}");
        assert!(
            text.contains("aws_dynamodb_table hash_keys has no property \"hash_keys\"; did you mean \"hash_key\"?"),
            "{text}"
        );
        assert!(
            text.contains(
                "[S/U] the CloudFormation schemas do not know AWS::SQS::Queu; did you mean \"AWS::SQS::Queue\"?"
            ),
            "{text}"
        );
        assert!(
            text.contains("[S/V] aws_sqs_queue arn is computed by the provider"),
            "{text}"
        );
        // Only the renderings it has: U has no Terraform rendering.
        assert!(problems(&app).contains(&("S/U".to_string(), "backend-unsupported")));
    }
}
