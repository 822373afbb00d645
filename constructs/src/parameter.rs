//! Inputs supplied at deploy time: a CloudFormation `Parameter` and a Terraform
//! `variable` with the same meaning, e.g. the image tag to deploy.

use crate::expr::{kind, Attr, Attribute, CfnAttr};
use crate::problem::Checker;
use crate::props;
use crate::resource::{CfnBlock, CfnParameter, RenderCx, Resource, TfBlock};

const VALUE: Attribute = Attribute::new(CfnAttr::Ref, "");

/// A string input. Unlike lookups, a parameter is always emitted, even when
/// nothing references it yet, because someone deploying the stack may set it.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    description: String,
    default: Option<String>,
    /// Hidden in CloudFormation's console and Terraform's plan output.
    sensitive: bool,
}

impl Parameter {
    pub fn string(description: &str) -> Self {
        Parameter {
            description: description.into(),
            default: None,
            sensitive: false,
        }
    }
    pub fn default_value(mut self, value: &str) -> Self {
        self.default = Some(value.into());
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
}

crate::refs! {
    /// What a handle to [`Parameter`] exposes: its attributes and grants.
    pub ParameterRefs
}

impl ParameterRefs {
    pub fn value(&self) -> Attr<kind::Text> {
        self.attr(VALUE)
    }
}

impl Resource for Parameter {
    type Refs = ParameterRefs;

    fn kind(&self) -> &'static str {
        "Parameter"
    }
    fn validate(&self, c: &mut Checker<'_>) {
        c.ensure(!self.description.is_empty(), "parameter-description", || {
            "parameters need a description: it is what the person deploying reads".into()
        });
    }
    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let mut p = CfnParameter::new("String", self.description.clone());
        p.default = self.default.clone().map(serde_json::Value::String);
        p.no_echo = self.sensitive;
        Some(vec![p.into_block()])
    }
    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        // A `variable` is Terraform's own block, not a provider type: no L1 describes it.
        let mut body = props! { "type" => "string", "description" => self.description.as_str() };
        if let Some(d) = &self.default {
            body.insert("default".into(), d.as_str().into());
        }
        if self.sensitive {
            body.insert("sensitive".into(), true.into());
        }
        Some(vec![TfBlock::variable(body)])
    }
}
