//! Resolving a template's lookups (VPC by `Name` tag, subnets by tags, load
//! balancer by name, listener by port, security group by name, IAM role by
//! name) through the AWS APIs, so a user never types an id by hand; and reading
//! a listener's existing rules for the priority-clash check.
//!
//! Each lookup must match exactly one thing (subnets: at least one); zero or
//! several is an error naming what was searched and what was found.

use std::collections::BTreeMap;

use constructs::lookup::{LookupInput, LookupQuery, ParameterLookup};

use crate::aws::query::{xml, Service, Signed};
use crate::Error;

/// A parameter's value found by a lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub parameter: String,
    pub value: String,
    /// What was searched: `VPC tagged Name=main`.
    pub searched: String,
}

/// Resolves `lookups` in order (each one's inputs come first). `place` names
/// the account and region for messages.
pub async fn resolve(signed: &Signed, lookups: &[ParameterLookup], place: &str) -> Result<Vec<Resolved>, Error> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for l in lookups {
        let input = |i: &LookupInput| -> Result<String, Error> {
            match i {
                LookupInput::Literal(s) => Ok(s.clone()),
                LookupInput::Parameter(p) => values.get(p).cloned().ok_or_else(|| {
                    Error::new(format!(
                        "lookup {} needs {p}, which is neither resolved before it nor given",
                        l.parameter
                    ))
                }),
            }
        };
        let query = l.query.clone().try_map(|i| input(&i))?;
        let (searched, value) = resolve_one(signed, &query).await.map_err(|e| {
            Error::new(format!(
                "parameter {}: {e} (in {place}). Nothing was changed.",
                l.parameter
            ))
        })?;
        values.insert(l.parameter.clone(), value.clone());
        out.push(Resolved {
            parameter: l.parameter.clone(),
            value,
            searched,
        });
    }
    Ok(out)
}

fn exactly_one(what: &str, searched: &str, found: Vec<String>, fix: &str) -> Result<String, Error> {
    match found.len() {
        1 => Ok(found.into_iter().next().unwrap_or_default()),
        0 => Err(Error::new(format!("no {what} matches: {searched}; {fix}"))),
        n => Err(Error::new(format!(
            "{n} {what}s match {searched}: {}; {fix}",
            found.join(", ")
        ))),
    }
}

fn filter_params(filters: &[(&str, &str)]) -> Vec<(String, String)> {
    filters
        .iter()
        .enumerate()
        .flat_map(|(i, (name, value))| {
            [
                (format!("Filter.{}.Name", i + 1), name.to_string()),
                (format!("Filter.{}.Value.1", i + 1), value.to_string()),
            ]
        })
        .collect()
}

/// An EC2 `Describe*` call with filters, following `nextToken`; returns each
/// item's `id_field`.
async fn ec2_ids(
    signed: &Signed,
    action: &str,
    list: &str,
    id_field: &str,
    filters: &[(&str, &str)],
) -> Result<Vec<String>, Error> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = filter_params(filters);
        if let Some(t) = &token {
            params.push(("NextToken".into(), t.clone()));
        }
        let text = signed.query(Service::Ec2, action, &params).await?;
        let doc = xml::parse(&text)?;
        ids.extend(
            xml::items(&doc, list)
                .into_iter()
                .filter_map(|i| xml::child(i, id_field)),
        );
        token = doc
            .root_element()
            .children()
            .find(|c| c.has_tag_name("nextToken"))
            .and_then(|n| n.text())
            .map(str::to_string)
            .filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Resolves one query whose inputs are values; returns what was searched and the value.
pub async fn resolve_one(signed: &Signed, q: &LookupQuery<String>) -> Result<(String, String), Error> {
    match q {
        LookupQuery::VpcByNameTag { name } => {
            let searched = format!("VPC tagged Name={name}");
            let ids = ec2_ids(signed, "DescribeVpcs", "vpcSet", "vpcId", &[("tag:Name", name)]).await?;
            let fix = "tag exactly one VPC, or give the VPC by id";
            Ok((searched.clone(), exactly_one("VPC", &searched, ids, fix)?))
        }
        LookupQuery::SubnetsByTags { vpc, tags } => {
            let tag_filters: Vec<(String, &str)> = tags.iter().map(|(k, v)| (format!("tag:{k}"), v.as_str())).collect();
            let mut filters: Vec<(&str, &str)> = vec![("vpc-id", vpc.as_str())];
            filters.extend(tag_filters.iter().map(|(k, v)| (k.as_str(), *v)));
            let tags_text: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let searched = format!("subnets of {vpc} tagged {}", tags_text.join(", "));
            let ids = ec2_ids(signed, "DescribeSubnets", "subnetSet", "subnetId", &filters).await?;
            if ids.is_empty() {
                return Err(Error::new(format!(
                    "no subnet matches: {searched}; tag the subnets, or give them by id"
                )));
            }
            Ok((searched, ids.join(",")))
        }
        LookupQuery::SecurityGroupByName { name, vpc } => {
            let searched = format!("security group named {name} in {vpc}");
            let ids = ec2_ids(
                signed,
                "DescribeSecurityGroups",
                "securityGroupInfo",
                "groupId",
                &[("group-name", name), ("vpc-id", vpc)],
            )
            .await?;
            Ok((
                searched.clone(),
                exactly_one("security group", &searched, ids, "give the group by id")?,
            ))
        }
        LookupQuery::LoadBalancerByName { name } => {
            let searched = format!("load balancer named {name}");
            let params = vec![("Names.member.1".to_string(), name.clone())];
            let arns = match signed.query(Service::Elbv2, "DescribeLoadBalancers", &params).await {
                Ok(text) => {
                    let doc = xml::parse(&text)?;
                    xml::items(&doc, "LoadBalancers")
                        .into_iter()
                        .filter_map(|i| xml::child(i, "LoadBalancerArn"))
                        .collect()
                }
                Err(e) if e.code() == Some("LoadBalancerNotFound") => Vec::new(),
                Err(e) => return Err(e),
            };
            Ok((
                searched.clone(),
                exactly_one("load balancer", &searched, arns, "check the name, or give the ARN")?,
            ))
        }
        LookupQuery::ListenerByPort { load_balancer, port } => {
            let searched = format!("listener on port {port} of {load_balancer}");
            let listeners = describe_listeners(signed, load_balancer).await?;
            let arns: Vec<String> = listeners
                .into_iter()
                .filter(|(_, p)| p == port)
                .map(|(a, _)| a)
                .collect();
            Ok((
                searched.clone(),
                exactly_one("listener", &searched, arns, "check the port, or give the listener ARN")?,
            ))
        }
        LookupQuery::IamRoleByName { name } => {
            let searched = format!("IAM role named {name}");
            let params = vec![("RoleName".to_string(), name.clone())];
            let arns = match signed.query(Service::Iam, "GetRole", &params).await {
                Ok(text) => xml::first(&xml::parse(&text)?, "Arn").into_iter().collect(),
                Err(e) if e.code() == Some("NoSuchEntity") => Vec::new(),
                Err(e) => return Err(e),
            };
            Ok((
                searched.clone(),
                exactly_one("IAM role", &searched, arns, "check the name, or give the ARN")?,
            ))
        }
    }
}

/// An ELBv2 `Describe*` call for one parent (`param` = `value`), following
/// `NextMarker`; returns `fields` of each entry of `list`.
async fn elbv2_paged(
    signed: &Signed,
    action: &str,
    param: &str,
    value: &str,
    list: &str,
    fields: [&str; 2],
) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut params = vec![(param.to_string(), value.to_string())];
        if let Some(m) = &marker {
            params.push(("Marker".into(), m.clone()));
        }
        let text = signed.query(Service::Elbv2, action, &params).await?;
        let doc = xml::parse(&text)?;
        for item in xml::items(&doc, list) {
            if let (Some(a), Some(b)) = (xml::child(item, fields[0]), xml::child(item, fields[1])) {
                out.push((a, b));
            }
        }
        marker = xml::first(&doc, "NextMarker");
        if marker.is_none() {
            return Ok(out);
        }
    }
}

/// `(listener ARN, port)` of a load balancer's listeners.
async fn describe_listeners(signed: &Signed, load_balancer: &str) -> Result<Vec<(String, u16)>, Error> {
    let listeners = elbv2_paged(
        signed,
        "DescribeListeners",
        "LoadBalancerArn",
        load_balancer,
        "Listeners",
        ["ListenerArn", "Port"],
    )
    .await?;
    Ok(listeners
        .into_iter()
        .map(|(arn, port)| (arn, port.parse().unwrap_or(0)))
        .collect())
}

/// An existing rule on a listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerRule {
    pub arn: String,
    /// `default` for the listener's default rule.
    pub priority: String,
}

/// Every rule on `listener` (`DescribeRules`).
pub async fn describe_rules(signed: &Signed, listener: &str) -> Result<Vec<ListenerRule>, Error> {
    let rules = elbv2_paged(
        signed,
        "DescribeRules",
        "ListenerArn",
        listener,
        "Rules",
        ["RuleArn", "Priority"],
    )
    .await?;
    Ok(rules
        .into_iter()
        .map(|(arn, priority)| ListenerRule { arn, priority })
        .collect())
}

/// A rule this stack adds: on which listener, at which priority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedRule {
    /// Logical id or Terraform address.
    pub id: String,
    pub listener: String,
    pub priority: u64,
}

/// Why a deploy with `count` priority clashes (from [`priority_clashes`],
/// shown as warnings in the diff) stops before changing anything.
pub fn priority_clash_error(count: usize) -> Error {
    Error::new(format!(
        "{count} listener rule priority clash(es) (see Warnings above); nothing was changed"
    ))
}

/// Warnings for planned rules whose priority is already taken on their
/// listener by a rule the stack does not own (`owned`: rule ARNs of the stack).
pub async fn priority_clashes(
    signed: &Signed,
    planned: &[PlannedRule],
    owned: &[String],
) -> Result<Vec<String>, Error> {
    let mut warnings = Vec::new();
    let mut cache: BTreeMap<String, Vec<ListenerRule>> = BTreeMap::new();
    for p in planned {
        if !p.listener.starts_with("arn:") {
            continue;
        }
        if !cache.contains_key(&p.listener) {
            let rules = describe_rules(signed, &p.listener).await?;
            cache.insert(p.listener.clone(), rules);
        }
        for r in &cache[&p.listener] {
            if r.priority == p.priority.to_string() && !owned.contains(&r.arn) {
                warnings.push(format!(
                    "{}: priority {} on listener {} is already used by rule {}, which this stack does not own; the deploy would fail. Choose a free priority.",
                    p.id, p.priority, p.listener, r.arn
                ));
            }
        }
    }
    Ok(warnings)
}
