//! EC2 networking: [`SecurityGroup`] with typed ingress and egress [`Rule`]s.

mod cidr;
mod security_group;

pub use security_group::{IpProtocol, Peer, Rule, SecurityGroup};
