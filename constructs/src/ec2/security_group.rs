//! `SecurityGroup`: a VPC security group and its rules.

use super::cidr::{check_ipv4, check_ipv6, CidrError};
use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

/// `Ref` also returns the id for a VPC group, but `GroupId` says so in both cases.
const ID: Attribute = Attribute::new(CfnAttr::GetAtt("GroupId"), "id");

/// Longest group name, group description and rule description EC2 accepts.
pub const MAX_TEXT_CHARS: usize = 255;

/// Punctuation EC2 allows (besides letters, digits and spaces) in VPC security
/// group names and descriptions and in rule descriptions.
const TEXT_PUNCTUATION: &str = "._-:/()#,@[]+=&;{}!$*";

fn text_ok(s: &str) -> bool {
    s.chars().count() <= MAX_TEXT_CHARS
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || TEXT_PUNCTUATION.contains(c))
}

/// An IP protocol a rule allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpProtocol {
    Tcp,
    Udp,
    /// ICMP for IPv4; the rule's ports are the ICMP type and code.
    Icmp,
    /// ICMP for IPv6; the rule's ports are the ICMPv6 type and code. A rule for
    /// every type renders without ports. cfn-lint (W3687) warns about ports on
    /// any ICMPv6 rule although EC2 honours them; only a rule for one type has them.
    Icmpv6,
    /// Every protocol and port (`-1`); the rule has no ports.
    All,
}

impl IpProtocol {
    /// The spelling both backends use.
    pub fn as_str(self) -> &'static str {
        match self {
            IpProtocol::Tcp => "tcp",
            IpProtocol::Udp => "udp",
            IpProtocol::Icmp => "icmp",
            IpProtocol::Icmpv6 => "icmpv6",
            IpProtocol::All => "-1",
        }
    }
    fn is_icmp(self) -> bool {
        matches!(self, IpProtocol::Icmp | IpProtocol::Icmpv6)
    }
}

/// The other end of a rule: where ingress comes from, where egress goes to.
#[derive(Clone, Debug, PartialEq)]
pub enum Peer {
    /// Members of another security group (by id), e.g. the load balancer's.
    SecurityGroup(Value<kind::SecurityGroupId>),
    /// An IPv4 block such as `10.0.0.0/16`.
    Ipv4(String),
    /// An IPv6 block such as `2001:db8::/32`.
    Ipv6(String),
}

impl Peer {
    pub fn security_group(id: impl Into<Value<kind::SecurityGroupId>>) -> Self {
        Peer::SecurityGroup(id.into())
    }
    pub fn ipv4(cidr: &str) -> Self {
        Peer::Ipv4(cidr.into())
    }
    pub fn ipv6(cidr: &str) -> Self {
        Peer::Ipv6(cidr.into())
    }
    /// Every IPv4 address, `0.0.0.0/0`.
    pub fn any_ipv4() -> Self {
        Peer::ipv4("0.0.0.0/0")
    }
    /// Every IPv6 address, `::/0`.
    pub fn any_ipv6() -> Self {
        Peer::ipv6("::/0")
    }
}

impl From<Attr<kind::SecurityGroupId>> for Peer {
    fn from(id: Attr<kind::SecurityGroupId>) -> Self {
        Peer::SecurityGroup(id.into())
    }
}
impl From<&Attr<kind::SecurityGroupId>> for Peer {
    fn from(id: &Attr<kind::SecurityGroupId>) -> Self {
        Peer::SecurityGroup(id.into())
    }
}
impl From<Value<kind::SecurityGroupId>> for Peer {
    fn from(id: Value<kind::SecurityGroupId>) -> Self {
        Peer::SecurityGroup(id)
    }
}

/// One ingress or egress rule; which one depends on the list it is put in.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub peer: Peer,
    pub protocol: IpProtocol,
    /// TCP/UDP: first port (0-65535). ICMP: the type (-1 or `None` for every
    /// type). `None` for [`IpProtocol::All`].
    pub from_port: Option<i32>,
    /// TCP/UDP: last port, at least `from_port`. ICMP: the code (-1 or `None`
    /// for every code). `None` for [`IpProtocol::All`].
    pub to_port: Option<i32>,
    /// At most 255 characters of letters, digits, spaces and `._-:/()#,@[]+=&;{}!$*`.
    pub description: Option<String>,
}

/// Sets a rule's ports, peer and description on a generated rule type: the
/// types of both directions (and CloudFormation's inline entries) share these
/// fields but for the names of the IPv4 block's and the peer group's, given here.
macro_rules! rule_of {
    ($start:expr, $rule:expr, $cidr_v4:ident, $peer_group:ident) => {{
        let rule: &Rule = $rule;
        let mut r = $start;
        if let Some((from, to)) = rule.rendered_ports() {
            r.from_port = Some(from.into());
            r.to_port = Some(to.into());
        }
        match &rule.peer {
            Peer::Ipv4(c) => r.$cidr_v4 = Some(c.as_str().into()),
            Peer::Ipv6(c) => r.cidr_ipv6 = Some(c.as_str().into()),
            Peer::SecurityGroup(id) => r.$peer_group = Some(id.into()),
        }
        r.description = rule.description.as_deref().map(Into::into);
        r
    }};
}

impl Rule {
    fn ports(peer: impl Into<Peer>, protocol: IpProtocol, from: i32, to: i32) -> Self {
        Rule {
            peer: peer.into(),
            protocol,
            from_port: Some(from),
            to_port: Some(to),
            description: None,
        }
    }
    /// TCP on one port.
    pub fn tcp(peer: impl Into<Peer>, port: u16) -> Self {
        Self::ports(peer, IpProtocol::Tcp, port.into(), port.into())
    }
    /// TCP on `from..=to`.
    pub fn tcp_range(peer: impl Into<Peer>, from: u16, to: u16) -> Self {
        Self::ports(peer, IpProtocol::Tcp, from.into(), to.into())
    }
    /// UDP on one port.
    pub fn udp(peer: impl Into<Peer>, port: u16) -> Self {
        Self::ports(peer, IpProtocol::Udp, port.into(), port.into())
    }
    /// ICMP (IPv4) of one type and code; -1 means every type or code.
    pub fn icmp(peer: impl Into<Peer>, icmp_type: i32, code: i32) -> Self {
        Self::ports(peer, IpProtocol::Icmp, icmp_type, code)
    }
    /// Every protocol and port.
    pub fn all_traffic(peer: impl Into<Peer>) -> Self {
        Rule {
            peer: peer.into(),
            protocol: IpProtocol::All,
            from_port: None,
            to_port: None,
            description: None,
        }
    }
    /// Ingress: TCP on `port` from members of the security group `sg`.
    pub fn tcp_from_security_group(sg: impl Into<Value<kind::SecurityGroupId>>, port: u16) -> Self {
        Self::tcp(Peer::SecurityGroup(sg.into()), port)
    }
    /// Egress: TCP on `port` to every IPv4 address.
    pub fn tcp_to_anywhere(port: u16) -> Self {
        Self::tcp(Peer::any_ipv4(), port)
    }
    /// Egress: every protocol and port to every IPv4 address (AWS's own default).
    pub fn all_to_anywhere() -> Self {
        Self::all_traffic(Peer::any_ipv4())
    }
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The same rule as far as EC2 is concerned (descriptions aside).
    fn same_permission(&self, other: &Rule) -> bool {
        let norm = |r: &Rule| {
            if r.protocol.is_icmp() {
                (r.from_port.or(Some(-1)), r.to_port.or(Some(-1)))
            } else {
                (r.from_port, r.to_port)
            }
        };
        self.peer == other.peer && self.protocol == other.protocol && norm(self) == norm(other)
    }

    fn validate(&self, c: &mut Checker<'_>, which: &str) {
        let (from, to) = (self.from_port, self.to_port);
        match self.protocol {
            IpProtocol::Tcp | IpProtocol::Udp => {
                let proto = self.protocol.as_str();
                let ok = matches!((from, to), (Some(f), Some(t)) if (0..=65535).contains(&f) && (0..=65535).contains(&t) && f <= t);
                c.ensure(ok, "security-group-rule-ports", || {
                    format!("{which}: {proto} ports {from:?}..{to:?} must both be set, within 0-65535, from <= to")
                });
            }
            IpProtocol::All => c.ensure(
                from.is_none() && to.is_none(),
                "security-group-rule-ports",
                || format!("{which}: a rule for all protocols covers every port; leave from_port and to_port unset (got {from:?}..{to:?})"),
            ),
            IpProtocol::Icmp | IpProtocol::Icmpv6 => {
                let (t, code) = (from.unwrap_or(-1), to.unwrap_or(-1));
                let ok = (-1..=255).contains(&t)
                    && (-1..=255).contains(&code)
                    && (t != -1 || code == -1);
                c.ensure(ok, "security-group-rule-icmp", || {
                    format!("{which}: ICMP type {t} and code {code} must be -1..=255, and every type (-1) means every code (-1)")
                });
            }
        }
        match &self.peer {
            Peer::Ipv4(cidr) => check_cidr(c, which, cidr, check_ipv4(cidr), "IPv4"),
            Peer::Ipv6(cidr) => check_cidr(c, which, cidr, check_ipv6(cidr), "IPv6"),
            Peer::SecurityGroup(_) => {}
        }
        if let Some(d) = &self.description {
            c.ensure(text_ok(d), "security-group-rule-description", || {
                format!("{which}: description {d:?} must be at most {MAX_TEXT_CHARS} characters of letters, digits, spaces and {TEXT_PUNCTUATION}")
            });
        }
    }

    /// CloudFormation's inline `SecurityGroupIngress` entry.
    fn cfn_ingress(&self) -> cfn::ec2::security_group::Ingress {
        let rule = cfn::ec2::security_group::Ingress::new(self.protocol.as_str());
        rule_of!(rule, self, cidr_ip, source_security_group_id)
    }

    /// CloudFormation's inline `SecurityGroupEgress` entry.
    fn cfn_egress(&self) -> cfn::ec2::security_group::Egress {
        let rule = cfn::ec2::security_group::Egress::new(self.protocol.as_str());
        rule_of!(rule, self, cidr_ip, destination_security_group_id)
    }

    /// A separate `aws_vpc_security_group_{ingress,egress}_rule` block.
    fn tf(&self, group: &Attr<kind::SecurityGroupId>, ingress: bool) -> TfBlock {
        if ingress {
            let rule = tf::aws::VpcSecurityGroupIngressRule::new(self.protocol.as_str(), group);
            rule_of!(rule, self, cidr_ipv4, referenced_security_group_id).into_tf_block()
        } else {
            let rule = tf::aws::VpcSecurityGroupEgressRule::new(self.protocol.as_str(), group);
            rule_of!(rule, self, cidr_ipv4, referenced_security_group_id).into_tf_block()
        }
    }

    /// Ports as both backends want them: none for all protocols, -1 for
    /// "every ICMP type/code".
    fn rendered_ports(&self) -> Option<(i64, i64)> {
        match self.protocol {
            IpProtocol::All => None,
            // ICMPv6 takes no ports to mean every type and code (the EC2 API
            // makes them optional, and cfn-lint warns about `-1` there).
            IpProtocol::Icmpv6 if self.from_port.unwrap_or(-1) == -1 => None,
            IpProtocol::Icmp | IpProtocol::Icmpv6 => {
                Some((self.from_port.unwrap_or(-1).into(), self.to_port.unwrap_or(-1).into()))
            }
            IpProtocol::Tcp | IpProtocol::Udp => {
                Some((self.from_port.unwrap_or(0).into(), self.to_port.unwrap_or(0).into()))
            }
        }
    }
}

fn check_cidr(c: &mut Checker<'_>, which: &str, cidr: &str, r: Result<(), CidrError>, family: &str) {
    match r {
        Ok(()) => {}
        Err(CidrError::HostBits(network)) => c.error(
            "security-group-cidr-host-bits",
            format!("{which}: {cidr} has bits set below the prefix; write the network, {network}"),
        ),
        Err(CidrError::Syntax | CidrError::Prefix) => {
            let max = if family == "IPv4" { 32 } else { 128 };
            c.error(
                "security-group-cidr",
                format!("{which}: {cidr:?} is not an {family} CIDR block (address/prefix, prefix 0-{max})"),
            )
        }
    }
}

/// A VPC security group.
///
/// Defaults: no ingress; egress [`SecurityGroup::default_egress`] (HTTPS only).
/// Both backends deploy exactly the rules listed: CloudFormation keeps AWS's
/// allow-all egress rule unless `SecurityGroupEgress` lists at least one rule,
/// so an empty egress list renders AWS CDK's placeholder rule (ICMP type 252
/// code 86 to `255.255.255.255/32`, which matches no traffic); Terraform's
/// `aws_security_group` deletes AWS's default egress rule when it creates the group.
///
/// In Terraform every rule is its own `aws_vpc_security_group_ingress_rule` /
/// `aws_vpc_security_group_egress_rule` (named `<group>_ingress_<n>`,
/// `<group>_egress_<n>`), the provider's recommendation: inline rule blocks
/// must spell out all six attribute fields in JSON and cannot carry tags.
#[derive(Clone, Debug, PartialEq)]
pub struct SecurityGroup {
    /// Required; at most 255 characters of letters, digits, spaces and
    /// `._-:/()#,@[]+=&;{}!$*`. Changing it replaces the group.
    pub description: String,
    /// Unique per VPC, same characters as the description, not starting with
    /// `sg-`. `None` lets the backend generate one, so the group can be replaced
    /// without a name clash.
    pub name: Option<String>,
    pub vpc: Value<kind::VpcId>,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

impl SecurityGroup {
    /// A group in `vpc` accepting nothing and sending only HTTPS.
    pub fn new(description: &str, vpc: impl Into<Value<kind::VpcId>>) -> Self {
        SecurityGroup {
            description: description.into(),
            name: None,
            vpc: vpc.into(),
            ingress: Vec::new(),
            egress: Self::default_egress(),
        }
    }

    /// HTTPS (TCP 443) to `0.0.0.0/0` and nothing else: enough for a Fargate
    /// task to pull its image from ECR and call AWS APIs (through a NAT gateway
    /// or interface VPC endpoints), while a compromised task cannot reach
    /// databases, SMTP or arbitrary ports. DNS to the VPC resolver is not subject
    /// to security groups. Use [`SecurityGroup::allow_all_egress`] to opt out.
    pub fn default_egress() -> Vec<Rule> {
        vec![Rule::tcp_to_anywhere(443).description("HTTPS to AWS APIs and image registries")]
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds an ingress rule.
    pub fn ingress(mut self, rule: Rule) -> Self {
        self.ingress.push(rule);
        self
    }

    /// Adds an egress rule to those already there, the default HTTPS rule
    /// included; call [`SecurityGroup::no_egress`] first to allow only what you add.
    pub fn egress(mut self, rule: Rule) -> Self {
        self.egress.push(rule);
        self
    }

    /// Explicit opt-out: replaces the egress rules with all traffic to every
    /// IPv4 address, AWS's own default (and the seed's).
    pub fn allow_all_egress(mut self) -> Self {
        self.egress = vec![Rule::all_to_anywhere()];
        self
    }

    /// Removes every egress rule: members can answer connections made to them
    /// (security groups are stateful) but open none.
    pub fn no_egress(mut self) -> Self {
        self.egress.clear();
        self
    }
}

crate::refs! {
    /// What a handle to [`SecurityGroup`] exposes: its attributes and grants.
    pub SecurityGroupRefs
}

impl SecurityGroupRefs {
    /// The group id (`sg-…`), for other rules and for ECS network configuration.
    pub fn id(&self) -> Attr<kind::SecurityGroupId> {
        self.attr(ID)
    }

    /// `arn:…:ec2:REGION:ACCOUNT:security-group/ID`, built from the id because
    /// CloudFormation has no `Arn` attribute for security groups.
    pub fn arn(&self) -> Value<kind::Arn> {
        Value::concat([
            Expr::str("arn:"),
            Attr::partition().expr(),
            Expr::str(":ec2:"),
            Attr::region().expr(),
            Expr::str(":"),
            Attr::account_id().expr(),
            Expr::str(":security-group/"),
            self.id().expr(),
        ])
    }
}

/// CDK's "no egress" placeholder: ICMP type 252 code 86 matches no real traffic,
/// and `255.255.255.255/32` is the limited broadcast address, never routed.
fn no_egress_placeholder() -> cfn::ec2::security_group::Egress {
    cfn::ec2::security_group::Egress::new("icmp")
        .from_port(252)
        .to_port(86)
        .cidr_ip("255.255.255.255/32")
        .description("Disallow all traffic")
}

impl Resource for SecurityGroup {
    type Refs = SecurityGroupRefs;

    fn kind(&self) -> &'static str {
        "SecurityGroup"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let d = &self.description;
        c.ensure(!d.is_empty() && text_ok(d), "security-group-description", || {
            format!("security group description {d:?} must be 1-{MAX_TEXT_CHARS} characters of letters, digits, spaces and {TEXT_PUNCTUATION}")
        });
        if let Some(n) = &self.name {
            c.ensure(!n.is_empty() && text_ok(n), "security-group-name", || {
                format!("security group name {n:?} must be 1-{MAX_TEXT_CHARS} characters of letters, digits, spaces and {TEXT_PUNCTUATION}")
            });
            c.ensure(
                !n.to_ascii_lowercase().starts_with("sg-"),
                "security-group-name-prefix",
                || format!("security group name {n:?} must not start with 'sg-', which EC2 reserves for ids"),
            );
        }
        for (direction, rules) in [("ingress", &self.ingress), ("egress", &self.egress)] {
            for (i, rule) in rules.iter().enumerate() {
                let which = format!("{direction} rule {i}");
                rule.validate(c, &which);
                if let Some(j) = rules[..i].iter().position(|r| r.same_permission(rule)) {
                    c.error(
                        "security-group-rule-duplicate",
                        format!("{which} allows the same traffic as {direction} rule {j}; EC2 rejects duplicates"),
                    );
                }
            }
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        match &self.name {
            Some(n) => vec![(
                "security-group-name-unique",
                format!("{:?}#{n}", self.vpc.expr()),
                format!("security group name {n:?} in this VPC"),
            )],
            None => Vec::new(),
        }
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let egress = if self.egress.is_empty() {
            vec![no_egress_placeholder()]
        } else {
            self.egress.iter().map(Rule::cfn_egress).collect()
        };
        let ingress: Vec<_> = self.ingress.iter().map(Rule::cfn_ingress).collect();
        let group = cfn::ec2::SecurityGroup {
            group_name: self.name.as_deref().map(Into::into),
            vpc_id: Some((&self.vpc).into()),
            security_group_ingress: (!ingress.is_empty()).then(|| ingress.into()),
            security_group_egress: Some(egress.into()),
            ..cfn::ec2::SecurityGroup::new(self.description.as_str())
        };
        Some(vec![group.into_cfn_resource().into_block()])
    }

    fn terraform(&self, cx: &RenderCx) -> Option<Vec<TfBlock>> {
        let id = cx.this::<kind::SecurityGroupId>(ID);
        let group = tf::aws::SecurityGroup {
            name: self.name.as_deref().map(Into::into),
            description: Some(self.description.as_str().into()),
            vpc_id: Some((&self.vpc).into()),
            ..Default::default()
        };
        let mut blocks = vec![group.into_tf_block()];
        for (i, rule) in self.ingress.iter().enumerate() {
            blocks.push(rule.tf(&id, true).suffix(format!("ingress_{i}")));
        }
        for (i, rule) in self.egress.iter().enumerate() {
            blocks.push(rule.tf(&id, false).suffix(format!("egress_{i}")));
        }
        Some(blocks)
    }
}

#[cfg(test)]
mod tests;
