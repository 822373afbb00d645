//! Network rules: security groups open to the internet.

use super::{Cx, Findings, RuleInfo, Severity};
use crate::ec2::{IpProtocol, Peer, Rule, SecurityGroup};

pub const OPEN_INGRESS: RuleInfo = RuleInfo {
    id: "ec2-open-ingress",
    severity: Severity::Error,
    title: "A security group admits traffic from anywhere (0.0.0.0/0 or ::/0)",
    why: "Anything in the internet (or, in a private subnet, anything routed to it) can reach the port; a service behind a load balancer needs traffic only from the load balancer.",
    fix: "Admit the load balancer's security group instead: Rule::tcp_from_security_group(lb_sg.id(), port).",
};

pub const OPEN_EGRESS: RuleInfo = RuleInfo {
    id: "ec2-open-egress",
    severity: Severity::Warning,
    title: "A security group allows all traffic out to anywhere",
    why: "Unrestricted egress lets a compromised task reach any host and port, e.g. to exfiltrate data; most services only need HTTPS to AWS APIs.",
    fix: "Keep SecurityGroup's default egress (HTTPS to anywhere) or add narrower .egress(..) rules instead of .allow_all_egress().",
};

fn anywhere(rule: &Rule) -> Option<&str> {
    match &rule.peer {
        Peer::Ipv4(c) if c == "0.0.0.0/0" => Some(c),
        Peer::Ipv6(c) if c == "::/0" => Some(c),
        _ => None,
    }
}

fn ports(rule: &Rule) -> String {
    match (rule.protocol, rule.from_port, rule.to_port) {
        (IpProtocol::All, _, _) => "all traffic".into(),
        (p, Some(from), Some(to)) if from == to => format!("{} port {from}", p.as_str()),
        (p, Some(from), Some(to)) => format!("{} ports {from}-{to}", p.as_str()),
        (p, _, _) => p.as_str().into(),
    }
}

pub(super) fn check(cx: &Cx<'_>, out: &mut Findings) {
    for (i, _, sg) in cx.all::<SecurityGroup>() {
        for rule in &sg.ingress {
            if let Some(cidr) = anywhere(rule) {
                cx.finding(
                    out,
                    &OPEN_INGRESS,
                    i,
                    format!("ingress allows {} from {cidr}", ports(rule)),
                );
            }
        }
        for rule in sg.egress.iter().filter(|r| r.protocol == IpProtocol::All) {
            if let Some(cidr) = anywhere(rule) {
                cx.finding(out, &OPEN_EGRESS, i, format!("egress allows all traffic to {cidr}"));
            }
        }
    }
}
