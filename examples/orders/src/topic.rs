//! An SNS topic.

use constructs::iam::{IamRole, Statement};
use constructs::problem::Checker;
use constructs::{
    grants, kind, refs, Attr, Attribute, CfnAttr, CfnBlock, CfnResource, Expr, Handle, Props, RenderCx, Resource,
    Stack, TfBlock,
};

/// `Ref` of a topic is its ARN in CloudFormation.
const ARN: Attribute = Attribute::new(CfnAttr::Ref, "arn");
const NAME: Attribute = Attribute::new(CfnAttr::GetAtt("TopicName"), "name");

/// The AWS-managed key for SNS: messages are encrypted at rest with no key to manage.
pub const AWS_MANAGED_KEY: &str = "alias/aws/sns";

/// An SNS standard topic, encrypted at rest with the AWS-managed SNS key by
/// default (SNS's own default is unencrypted).
#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub name: String,
    /// A KMS key id, ARN or alias.
    pub kms_key: String,
}

impl Topic {
    pub fn new(name: &str) -> Self {
        Topic {
            name: name.into(),
            kms_key: AWS_MANAGED_KEY.into(),
        }
    }

    /// Encrypts with a customer-managed key instead.
    pub fn kms_key(mut self, key: &str) -> Self {
        self.kms_key = key.into();
        self
    }
}

refs! {
    /// What a handle to a [`Topic`] exposes.
    pub TopicRefs
}

impl TopicRefs {
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }

    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }

    /// Lets `role` publish to this topic and nothing else (`<topic id>-publish`).
    pub fn grant_publish(&self, stack: &mut Stack, role: &Handle<IamRole>) {
        let statement = Statement::allow().actions(["sns:Publish"]).resource(self.arn());
        grants::grant(stack, self, "publish", role, vec![statement]);
    }
}

impl Resource for Topic {
    type Refs = TopicRefs;

    fn kind(&self) -> &'static str {
        "Topic"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let n = &self.name;
        let ok =
            (1..=256).contains(&n.len()) && n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
        c.ensure(ok, "sns-topic-name", || {
            format!(
                "topic name {:?} must be 1-256 letters, digits, '-' and '_' (it is {} characters)",
                n.chars().take(40).collect::<String>(),
                n.chars().count()
            )
        });
        c.ensure(!self.kms_key.is_empty(), "sns-topic-encryption", || {
            "a topic's KMS key must not be empty".into()
        });
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let mut props = Props::default();
        props.insert("TopicName".into(), Expr::str(&self.name));
        props.insert("KmsMasterKeyId".into(), Expr::str(&self.kms_key));
        Some(vec![CfnResource::new("AWS::SNS::Topic", props).into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let mut body = Props::default();
        body.insert("name".into(), Expr::str(&self.name));
        body.insert("kms_master_key_id".into(), Expr::str(&self.kms_key));
        Some(vec![TfBlock::resource("aws_sns_topic", body)])
    }
}
