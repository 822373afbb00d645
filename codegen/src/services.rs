//! Which AWS service (and so which module and cargo feature) each Terraform
//! resource and data source belongs to.
//!
//! Services are named as in CloudFormation (`AWS::SQS::Queue` → `sqs`), so one
//! feature enables both backends of a service. A Terraform name is split at
//! `_` after `aws_`; its service is, in this order:
//! 1. the longest prefix (in whole segments) listed in [`PREFIXES`], the
//!    names the provider gives outside its service's own prefix
//!    (`aws_lb_*` → `elasticloadbalancingv2`, `aws_vpc*`, `aws_subnet` → `ec2`,
//!    `aws_cloudwatch_log_*` → `logs`), and the provider's services that
//!    CloudFormation does not have (`aws_glacier_*` → `glacier`);
//! 2. otherwise the longest run of leading segments that, joined, names a
//!    CloudFormation service (`aws_kinesis_firehose_*` → `kinesisfirehose`,
//!    `aws_api_gateway_*` → `apigateway`, `aws_sqs_*` → `sqs`).
//!
//! A name that matches neither is an error of the generator: add its prefix
//! here (the test `every_terraform_name_maps_to_a_service` checks the pinned
//! provider's names).

use std::collections::BTreeSet;

/// `(prefix after aws_, service)`, matched in whole `_`-separated segments.
/// Facts from the provider's service packages; sorted by prefix.
pub const PREFIXES: &[(&str, &str)] = &[
    ("acm", "certificatemanager"),
    ("alb", "elasticloadbalancingv2"),
    ("ami", "ec2"),
    ("app_cookie_stickiness_policy", "elasticloadbalancing"),
    ("appautoscaling", "applicationautoscaling"),
    ("arn", "meta"),
    ("availability_zone", "ec2"),
    ("availability_zones", "ec2"),
    ("bedrockagent", "bedrock"),
    ("caller_identity", "sts"),
    ("canonical_user_id", "s3"),
    ("cloudcontrolapi", "cloudcontrol"),
    ("cloudfrontkeyvaluestore", "cloudfront"),
    ("cloudhsm_v2", "cloudhsmv2"),
    ("cloudwatch_event", "events"),
    ("cloudwatch_log", "logs"),
    ("cloudwatch_query", "logs"),
    ("customer_gateway", "ec2"),
    ("db", "rds"),
    ("default_network_acl", "ec2"),
    ("default_route_table", "ec2"),
    ("default_security_group", "ec2"),
    ("default_subnet", "ec2"),
    ("default_tags", "meta"),
    ("default_vpc", "ec2"),
    ("default_vpc_dhcp_options", "ec2"),
    ("dx", "directconnect"),
    ("ebs", "ec2"),
    ("ecrpublic", "ecr"),
    ("egress_only_internet_gateway", "ec2"),
    ("eip", "ec2"),
    ("eips", "ec2"),
    ("elb", "elasticloadbalancing"),
    ("flow_log", "ec2"),
    ("inspector2", "inspectorv2"),
    ("instance", "ec2"),
    ("instances", "ec2"),
    ("internet_gateway", "ec2"),
    ("ip_ranges", "meta"),
    ("key_pair", "ec2"),
    ("keyspaces", "cassandra"),
    ("launch_configuration", "autoscaling"),
    ("launch_template", "ec2"),
    ("lb", "elasticloadbalancingv2"),
    ("lb_cookie_stickiness_policy", "elasticloadbalancing"),
    ("lb_ssl_negotiation_policy", "elasticloadbalancing"),
    ("lbs", "elasticloadbalancingv2"),
    ("lexv2models", "lex"),
    ("load_balancer", "elasticloadbalancing"),
    ("macie2", "macie"),
    ("main_route_table_association", "ec2"),
    ("mq", "amazonmq"),
    ("mskconnect", "kafkaconnect"),
    ("nat_gateway", "ec2"),
    ("nat_gateways", "ec2"),
    ("network_acl", "ec2"),
    ("network_acls", "ec2"),
    ("network_interface", "ec2"),
    ("network_interfaces", "ec2"),
    ("opensearch", "opensearchservice"),
    ("partition", "meta"),
    ("pinpointsmsvoicev2", "smsvoice"),
    ("placement_group", "ec2"),
    ("prefix_list", "ec2"),
    ("prometheus", "aps"),
    ("proxy_protocol_policy", "elasticloadbalancing"),
    ("region", "meta"),
    ("regions", "meta"),
    ("route", "ec2"),
    ("route53recoverycontrolconfig", "route53recoverycontrol"),
    ("s3control", "s3"),
    ("schemas", "eventschemas"),
    ("security_group", "ec2"),
    ("security_groups", "ec2"),
    ("service", "meta"),
    ("service_discovery", "servicediscovery"),
    ("service_principal", "meta"),
    ("sesv2", "ses"),
    ("sfn", "stepfunctions"),
    ("simpledb", "sdb"),
    ("snapshot_create_volume_permission", "ec2"),
    ("spot", "ec2"),
    ("ssoadmin", "sso"),
    ("subnet", "ec2"),
    ("subnets", "ec2"),
    ("timestreaminfluxdb", "timestream"),
    ("timestreamquery", "timestream"),
    ("timestreamwrite", "timestream"),
    ("verifiedaccess", "ec2"),
    ("volume_attachment", "ec2"),
    ("vpc", "ec2"),
    ("vpcs", "ec2"),
    ("vpn", "ec2"),
];

/// Provider services CloudFormation has no namespace for: their Terraform
/// prefix is their service name.
pub const TERRAFORM_ONLY: &[&str] = &[
    "account",
    "appfabric",
    "chimesdkmediapipelines",
    "chimesdkvoice",
    "cloudsearch",
    "codecatalyst",
    "costoptimizationhub",
    "dataexchange",
    "devicefarm",
    "drs",
    "elastictranscoder",
    "glacier",
    "networkmonitor",
    "outposts",
    "polly",
    "pricing",
    "redshiftdata",
    "resourcegroupstaggingapi",
    "route53domains",
    "serverlessapplicationrepository",
    "servicequotas",
    "storagegateway",
    "swf",
    "transcribe",
    "worklink",
];

/// The service of a Terraform name (`aws_sqs_queue` → `sqs`), given the
/// CloudFormation service names (lowercase).
pub fn terraform_service(name: &str, cfn_services: &BTreeSet<String>) -> Result<String, String> {
    let rest = name
        .strip_prefix("aws_")
        .ok_or_else(|| format!("{name}: not an AWS provider name"))?;
    let segments: Vec<&str> = rest.split('_').collect();
    for n in (1..=segments.len()).rev() {
        let prefix = segments[..n].join("_");
        if let Some((_, service)) = PREFIXES.iter().find(|(p, _)| *p == prefix) {
            return Ok(service.to_string());
        }
        if n == 1 && TERRAFORM_ONLY.contains(&segments[0]) {
            return Ok(segments[0].to_string());
        }
    }
    for n in (1..=segments.len()).rev() {
        let joined = segments[..n].concat();
        if cfn_services.contains(&joined) {
            return Ok(joined);
        }
    }
    Err(format!(
        "{name}: no service for this Terraform name; add its prefix to codegen/src/services.rs"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfn() -> BTreeSet<String> {
        [
            "sqs",
            "ec2",
            "logs",
            "cloudwatch",
            "kinesisfirehose",
            "kinesis",
            "apigateway",
            "elasticloadbalancingv2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn names_map_by_listed_prefix_then_by_cloudformation_service() {
        for (name, service) in [
            ("aws_sqs_queue", "sqs"),
            ("aws_vpc", "ec2"),
            ("aws_vpc_endpoint", "ec2"),
            ("aws_lb_listener_rule", "elasticloadbalancingv2"),
            ("aws_lb_cookie_stickiness_policy", "elasticloadbalancing"),
            ("aws_cloudwatch_log_group", "logs"),
            ("aws_cloudwatch_metric_alarm", "cloudwatch"),
            ("aws_kinesis_firehose_delivery_stream", "kinesisfirehose"),
            ("aws_kinesis_stream", "kinesis"),
            ("aws_api_gateway_rest_api", "apigateway"),
            ("aws_glacier_vault", "glacier"),
        ] {
            assert_eq!(terraform_service(name, &cfn()).unwrap(), service, "{name}");
        }
        assert!(terraform_service("aws_nothing_known", &cfn()).is_err());
    }

    #[test]
    fn the_prefix_table_is_sorted_and_unique() {
        let keys: Vec<&str> = PREFIXES.iter().map(|(p, _)| *p).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }
}
