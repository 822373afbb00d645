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

pub const RULE_DESCRIPTION: RuleInfo = RuleInfo {
    id: "ec2-rule-description",
    severity: Severity::Warning,
    title: "A security group rule has no description",
    why: "A rule without a description says what it opens but not why; reviewers and incident responders cannot tell a needed rule from a forgotten one.",
    fix: "Add .description(\"what this traffic is\") to the Rule.",
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
        let undescribed: Vec<String> = [("ingress", &sg.ingress), ("egress", &sg.egress)]
            .into_iter()
            .flat_map(|(direction, rules)| {
                rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.description.as_deref().is_none_or(|d| d.trim().is_empty()))
                    .map(move |(n, r)| format!("{direction} rule {n} ({})", ports(r)))
            })
            .collect();
        if !undescribed.is_empty() {
            cx.finding(
                out,
                &RULE_DESCRIPTION,
                i,
                format!("no description on {}", undescribed.join(", ")),
            );
        }
        for rule in sg.egress.iter().filter(|r| r.protocol == IpProtocol::All) {
            if let Some(cidr) = anywhere(rule) {
                cx.finding(out, &OPEN_EGRESS, i, format!("egress allows all traffic to {cidr}"));
            }
        }
    }
}
