//! Elastic Load Balancing v2 (Application Load Balancers): an [`IpTargetGroup`]
//! for Fargate tasks and a [`LoadBalancerRule`] routing requests to it from an
//! existing listener.
//!
//! The load balancer and its listener are usually shared and looked up
//! ([`crate::lookup::LoadBalancerLookup`], [`crate::lookup::ListenerLookup`]);
//! a service owns only its target group and its rule, as in the seed.

mod listener_rule;
mod target_group;

pub use listener_rule::{Action, Condition, LoadBalancerRule};
pub use target_group::{HealthCheck, HealthCheckPort, IpTargetGroup};

/// The protocol a target group (or its health check) speaks to the targets.
/// Application Load Balancers support only these two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Http,
    Https,
}

impl Protocol {
    /// The spelling both backends use (`HTTP`, `HTTPS`).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
        }
    }
}
