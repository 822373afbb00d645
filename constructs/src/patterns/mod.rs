//! Patterns: several constructs wired together for a common job, with defaults
//! an operator would sign off on.

mod load_balanced_fargate_service;

pub use load_balanced_fargate_service::{Image, LoadBalancedFargateService, LoadBalancedFargateServiceRefs, Placement};
