//! Typed AWS constructs, synthesized to CloudFormation JSON and Terraform JSON
//! from one model.
//!
//! ```
//! use constructs::prelude::*;
//!
//! let mut app = App::new();
//! let stack = app.stack("Minimal");
//! let logs = stack.add("Logs", LogGroup::new("/minimal/app"));
//! stack.output("LogGroupName", logs.name(), "Where the application logs go");
//! let files = constructs::synth(&app, &Backend::ALL).expect("valid app");
//! assert_eq!(files.len(), 2);
//! ```

pub mod assets;
pub mod expr;
pub mod grants;
pub mod ids;
pub mod l1;
pub mod lookup;
pub mod parameter;
pub mod patterns;
pub mod problem;
pub mod property_path;
pub mod raw;
pub mod resource;
pub mod schema;
pub mod synth;
pub mod tags;
pub mod testing;
pub mod tree;

// Generated L1 bindings (`cargo run -p codegen`): rustfmt leaves them as generated.
#[rustfmt::skip]
pub mod cfn;
#[rustfmt::skip]
pub mod tf;

// The hand-written constructs below render through the L1 types of these
// services, so they are not optional: say so instead of failing on a missing module.
#[cfg(not(all(
    feature = "dynamodb",
    feature = "ec2",
    feature = "ecr",
    feature = "ecs",
    feature = "elasticloadbalancingv2",
    feature = "iam",
    feature = "kms",
    feature = "logs",
    feature = "s3"
)))]
compile_error!(
    "constructs: the built-in constructs render through the L1 types of the default services; \
     with `default-features = false`, enable at least `dynamodb`, `ec2`, `ecr`, `ecs`, \
     `elasticloadbalancingv2`, `iam`, `kms`, `logs` and `s3`"
);

pub mod checks;
pub mod dynamodb;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod elbv2;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod s3;

pub use expr::{kind, Attr, Attribute, CfnAttr, Expr, Pseudo, Value};
pub use problem::{Problem, SynthError};
pub use resource::{CfnBlock, CfnParameter, CfnResource, Props, RenderCx, Resource, TfBlock};
pub use synth::{synth, synth_to, synth_with, validate, Artifact, Checks, ExtraFile, SynthOptions};
pub use tree::{App, AsNode, Backend, Construct, Handle, NodeRef, Scope, Stack};

/// Everything a stack definition usually needs.
pub mod prelude {
    pub use crate::assets::ImageAsset;
    pub use crate::dynamodb::{Billing, DynamoTable, Key, KeyType, TableEncryption};
    pub use crate::ec2::{IpProtocol, Peer, Rule, SecurityGroup};
    pub use crate::ecr::{CountType, EcrRepo, LifecycleRule, TagMutability, TagSelection};
    pub use crate::ecs::{
        AwsLogs, CircuitBreaker, ContainerDefinition, EcsCluster, FargateService, FargateSize, FargateTaskDefinition,
        LoadBalancerTarget, PortMapping,
    };
    pub use crate::elbv2::{Action, Condition, HealthCheck, HealthCheckPort, IpTargetGroup, LoadBalancerRule};
    pub use crate::expr::{kind, Attr, Expr, Value};
    pub use crate::iam::{Effect, IamRole, PolicyDocument, Principal, Statement};
    pub use crate::kms::{KeyUser, KmsKey};
    pub use crate::logs::{LogGroup, Retention};
    pub use crate::lookup::{
        IamRoleLookup, ListenerLookup, LoadBalancerLookup, SecurityGroupLookup, SubnetsLookup, VpcLookup,
    };
    pub use crate::parameter::Parameter;
    pub use crate::patterns::{Image, LoadBalancedFargateService, Placement};
    pub use crate::s3::{Bucket, BucketEncryption};
    pub use crate::tree::{App, Backend, Construct, Handle, Scope, Stack};
}
