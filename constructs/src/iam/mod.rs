//! IAM: typed policy documents ([`PolicyDocument`], [`Statement`], [`Principal`],
//! [`Condition`]) and roles ([`IamRole`]).
//!
//! Policies are data, not JSON strings: a statement is built with
//! `Statement::allow().actions(["ecr:BatchGetImage"]).resource(repo.arn())`, checked
//! for the mistakes IAM would reject at deploy time (malformed actions, missing
//! resources or principals, oversized documents), and rendered as an object in
//! CloudFormation and a canonical JSON string in Terraform.

mod check;
mod policy;
mod role;

pub use check::{Need, PolicyKind};
pub use policy::{Condition, Effect, PolicyDocument, Principal, Statement, POLICY_VERSION};
pub use role::{IamRole, MAX_MANAGED_POLICIES};
