//! `FargateService`.

use std::time::Duration;

use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::l1;
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

const NAME: Attribute = Attribute::new(CfnAttr::GetAtt("Name"), "name");
const ARN: Attribute = Attribute::new(CfnAttr::Ref, "id");

/// A target group the service registers its tasks' IPs in.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancerTarget {
    /// The container receiving the traffic, as named in the task definition.
    pub container_name: String,
    /// One of that container's mapped ports.
    pub container_port: u16,
    /// An `ip` target group (Fargate tasks have no instance to register).
    pub target_group_arn: Value<kind::Arn>,
}

impl LoadBalancerTarget {
    pub fn new(container_name: &str, container_port: u16, target_group_arn: impl Into<Value<kind::Arn>>) -> Self {
        LoadBalancerTarget {
            container_name: container_name.into(),
            container_port,
            target_group_arn: target_group_arn.into(),
        }
    }
}

/// What ECS does when a deployment's new tasks keep failing to start or to pass
/// health checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitBreaker {
    /// Mark the deployment failed and roll back to the last deployment that
    /// completed, without anyone watching.
    Rollback,
    /// Mark the deployment failed and stop, leaving the service as it is.
    FailOnly,
    /// Keep trying to start failing tasks indefinitely.
    Disabled,
}

/// Which tags ECS copies onto the tasks it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropagateTags {
    /// The service's tags (so cost reports group tasks by service).
    Service,
    TaskDefinition,
    /// No tags on tasks.
    None,
}

/// A long-running Fargate service: keeps `desired_count` copies of a task
/// definition running in private subnets, optionally behind load balancer target
/// groups, and replaces them with rolling deployments.
///
/// Defaults, each chosen to be safe:
/// - `desired_count: 2`: one task stopping (a deployment, a failed health check,
///   an Availability Zone problem) never takes the service down.
/// - `assign_public_ip: false`: tasks are reachable only inside the VPC; reaching
///   ECR and CloudWatch then needs a NAT gateway or VPC endpoints.
/// - `minimum_healthy_percent: 100`: a deployment never drops below the desired
///   number of running tasks; new tasks start before old ones stop.
/// - `maximum_percent: 200`: room to start a full new set before stopping the old.
/// - `circuit_breaker: Rollback`: a failing deployment rolls itself back instead
///   of looping forever on tasks that never become healthy.
/// - `platform_version: "LATEST"`: the current Fargate platform, with its security patches.
/// - `propagate_tags: Service`: tasks carry the service's tags, for cost allocation.
/// - `enable_execute_command: false`: nobody can open a shell in a running task
///   (ECS Exec) unless this is opted into (it also needs SSM permissions on the task role).
/// - no name: CloudFormation generates one (so the service can be replaced when
///   needed); Terraform, whose provider requires one, uses the construct path.
///
/// To attach the service to a target group, also make it depend on the listener
/// rule forwarding to that group: `stack.add_dependency(&service, &rule)`.
#[derive(Clone, Debug, PartialEq)]
pub struct FargateService {
    /// 1-255 letters, digits, hyphens and underscores, unique in the cluster.
    pub name: Option<String>,
    /// The cluster's ARN (or name: ECS accepts either).
    pub cluster: Value<kind::Arn>,
    /// The task definition revision to run.
    pub task_definition: Value<kind::Arn>,
    pub desired_count: u32,
    /// A list-valued lookup (`SubnetsLookup::ids()`) or individual subnet ids.
    pub subnets: Value<kind::SubnetIds>,
    /// 1-5 security groups for the tasks' network interfaces.
    pub security_groups: Vec<Value<kind::SecurityGroupId>>,
    pub assign_public_ip: bool,
    pub load_balancers: Vec<LoadBalancerTarget>,
    /// Seconds load balancer health checks are ignored after a task starts
    /// (0-2147483647); only with load balancers.
    pub health_check_grace_period: Option<Duration>,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    pub circuit_breaker: CircuitBreaker,
    /// `LATEST` or a version such as `1.4.0`.
    pub platform_version: String,
    pub propagate_tags: PropagateTags,
    pub enable_execute_command: bool,
}

impl FargateService {
    pub fn new(
        cluster: impl Into<Value<kind::Arn>>,
        task_definition: impl Into<Value<kind::Arn>>,
        subnets: impl Into<Value<kind::SubnetIds>>,
    ) -> Self {
        FargateService {
            name: None,
            cluster: cluster.into(),
            task_definition: task_definition.into(),
            desired_count: 2,
            subnets: subnets.into(),
            security_groups: Vec::new(),
            assign_public_ip: false,
            load_balancers: Vec::new(),
            health_check_grace_period: None,
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker: CircuitBreaker::Rollback,
            platform_version: "LATEST".into(),
            propagate_tags: PropagateTags::Service,
            enable_execute_command: false,
        }
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn desired_count(mut self, n: u32) -> Self {
        self.desired_count = n;
        self
    }

    pub fn security_group(mut self, id: impl Into<Value<kind::SecurityGroupId>>) -> Self {
        self.security_groups.push(id.into());
        self
    }

    /// Gives each task a public IP. Only for tasks in public subnets without a NAT.
    pub fn public_ip(mut self) -> Self {
        self.assign_public_ip = true;
        self
    }

    pub fn load_balancer(mut self, target: LoadBalancerTarget) -> Self {
        self.load_balancers.push(target);
        self
    }

    pub fn health_check_grace_period(mut self, duration: Duration) -> Self {
        self.health_check_grace_period = Some(duration);
        self
    }

    /// Deployment bounds, as percentages of `desired_count`.
    pub fn deployment_percent(mut self, minimum_healthy: u32, maximum: u32) -> Self {
        self.minimum_healthy_percent = minimum_healthy;
        self.maximum_percent = maximum;
        self
    }

    pub fn circuit_breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.circuit_breaker = breaker;
        self
    }

    pub fn platform_version(mut self, version: &str) -> Self {
        self.platform_version = version.into();
        self
    }

    pub fn propagate_tags(mut self, from: PropagateTags) -> Self {
        self.propagate_tags = from;
        self
    }

    /// Allows ECS Exec (`aws ecs execute-command`) into running tasks.
    pub fn enable_execute_command(mut self) -> Self {
        self.enable_execute_command = true;
        self
    }

    fn circuit_breaker_flags(&self) -> (bool, bool) {
        match self.circuit_breaker {
            CircuitBreaker::Rollback => (true, true),
            CircuitBreaker::FailOnly => (true, false),
            CircuitBreaker::Disabled => (false, false),
        }
    }

    fn propagate_tags_value(&self) -> Option<&'static str> {
        match self.propagate_tags {
            PropagateTags::Service => Some("SERVICE"),
            PropagateTags::TaskDefinition => Some("TASK_DEFINITION"),
            PropagateTags::None => None,
        }
    }

    fn security_group_list(&self) -> l1::List<l1::Str> {
        l1::List::Items(self.security_groups.iter().map(Into::into).collect())
    }
}

crate::refs! {
    /// What a handle to [`FargateService`] exposes: its attributes and grants.
    pub FargateServiceRefs
}

impl FargateServiceRefs {
    /// The service name.
    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }

    /// The service ARN (CloudFormation `Ref`, Terraform `id`).
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
}

fn is_platform_version(v: &str) -> bool {
    v == "LATEST" || {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|ch| ch.is_ascii_digit()))
    }
}

impl Resource for FargateService {
    type Refs = FargateServiceRefs;

    fn kind(&self) -> &'static str {
        "FargateService"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        if let Some(name) = &self.name {
            super::check_name(c, "service name", name, "ecs-service-name");
        }
        let n = self.security_groups.len();
        c.ensure((1..=5).contains(&n), "ecs-security-groups", || {
            format!(
                "the service has {n} security groups; give 1 to 5 (with none, tasks would get the VPC's default group)"
            )
        });
        if let Expr::List(ids) = self.subnets.expr() {
            let n = ids.len();
            c.ensure((1..=16).contains(&n), "ecs-subnets", || {
                format!("the service has {n} subnets; give 1 to 16")
            });
        }
        let lbs = self.load_balancers.len();
        c.ensure(lbs <= 5, "ecs-load-balancers", || {
            format!("the service is attached to {lbs} target groups; ECS allows at most 5")
        });
        for lb in &self.load_balancers {
            super::check_name(
                c,
                "load balancer container name",
                &lb.container_name,
                "ecs-container-name",
            );
            c.ensure(lb.container_port >= 1, "ecs-container-port", || {
                format!(
                    "load balancer target for container {:?} uses port 0; ports must be between 1 and 65535",
                    lb.container_name
                )
            });
        }
        if let Some(grace) = self.health_check_grace_period {
            c.duration(
                "health check grace period",
                grace,
                0,
                i32::MAX as u64,
                "ecs-health-check-grace-period",
            );
            c.ensure(lbs > 0, "ecs-health-check-grace-period", || {
                "a health check grace period only applies to services with load balancers; remove it or add a load balancer".into()
            });
        }
        let (min, max) = (self.minimum_healthy_percent, self.maximum_percent);
        c.ensure(min <= 100, "ecs-deployment-percent", || {
            format!("minimum healthy percent is {min}; it must be between 0 and 100")
        });
        c.ensure(max >= 100, "ecs-deployment-percent", || {
            format!(
                "maximum percent is {max}; it must be at least 100 or a deployment could not keep the desired count"
            )
        });
        c.ensure(max > min, "ecs-deployment-percent", || {
            format!("maximum percent {max} must be above minimum healthy percent {min}, or a deployment could neither start a new task nor stop an old one")
        });
        let v = &self.platform_version;
        c.ensure(is_platform_version(v), "ecs-platform-version", || {
            format!("platform version {v:?} must be LATEST or a version such as 1.4.0")
        });
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        match &self.name {
            Some(n) => vec![(
                "ecs-service-name-unique",
                format!("{:?}/{n}", self.cluster.expr()),
                format!("service name {n:?} in this cluster"),
            )],
            None => Vec::new(),
        }
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        use cfn::ecs::service as s;
        let (enable, rollback) = self.circuit_breaker_flags();
        let awsvpc = s::AwsVpcConfiguration {
            subnets: Some((&self.subnets).into()),
            security_groups: Some(self.security_group_list()),
            assign_public_ip: Some(
                if self.assign_public_ip {
                    s::AssignPublicIp::Enabled
                } else {
                    s::AssignPublicIp::Disabled
                }
                .into(),
            ),
        };
        let deployment = s::DeploymentConfiguration {
            minimum_healthy_percent: Some(self.minimum_healthy_percent.into()),
            maximum_percent: Some(self.maximum_percent.into()),
            deployment_circuit_breaker: Some(s::DeploymentCircuitBreaker::new(enable, rollback)),
            ..Default::default()
        };
        let load_balancers: Vec<_> = self
            .load_balancers
            .iter()
            .map(|lb| {
                s::LoadBalancer::new()
                    .container_name(lb.container_name.as_str())
                    .container_port(lb.container_port)
                    .target_group_arn(&lb.target_group_arn)
            })
            .collect();
        let service = s::Service {
            service_name: self.name.as_deref().map(Into::into),
            cluster: Some((&self.cluster).into()),
            task_definition: Some((&self.task_definition).into()),
            launch_type: Some(s::LaunchType::Fargate.into()),
            platform_version: Some(self.platform_version.as_str().into()),
            desired_count: Some(self.desired_count.into()),
            network_configuration: Some(s::NetworkConfiguration::new().awsvpc_configuration(awsvpc)),
            load_balancers: (!load_balancers.is_empty()).then(|| load_balancers.into()),
            health_check_grace_period_seconds: self.health_check_grace_period.map(|d| d.as_secs().into()),
            deployment_configuration: Some(deployment),
            propagate_tags: self.propagate_tags_value().map(Into::into),
            enable_execute_command: Some(self.enable_execute_command.into()),
            ..Default::default()
        };
        Some(vec![service.into_cfn_resource().into_block()])
    }

    fn terraform(&self, cx: &RenderCx) -> Option<Vec<TfBlock>> {
        use tf::aws::ecs::ecs_service as s;
        let (enable, rollback) = self.circuit_breaker_flags();
        let name = self.name.clone().unwrap_or_else(|| super::name_from_path(cx.path()));
        let network = s::NetworkConfiguration {
            security_groups: Some(self.security_group_list()),
            assign_public_ip: Some(self.assign_public_ip.into()),
            ..s::NetworkConfiguration::new(&self.subnets)
        };
        let load_balancers: Vec<_> = self
            .load_balancers
            .iter()
            .map(|lb| {
                s::LoadBalancer::new(lb.container_name.as_str(), lb.container_port)
                    .target_group_arn(&lb.target_group_arn)
            })
            .collect();
        let service = s::EcsService {
            cluster: Some((&self.cluster).into()),
            task_definition: Some((&self.task_definition).into()),
            launch_type: Some("FARGATE".into()),
            platform_version: Some(self.platform_version.as_str().into()),
            desired_count: Some(self.desired_count.into()),
            network_configuration: Some(network),
            load_balancer: (!load_balancers.is_empty()).then(|| load_balancers.into()),
            health_check_grace_period_seconds: self.health_check_grace_period.map(|d| d.as_secs().into()),
            deployment_minimum_healthy_percent: Some(self.minimum_healthy_percent.into()),
            deployment_maximum_percent: Some(self.maximum_percent.into()),
            deployment_circuit_breaker: Some(s::DeploymentCircuitBreaker::new(enable, rollback)),
            propagate_tags: self.propagate_tags_value().map(Into::into),
            enable_execute_command: Some(self.enable_execute_command.into()),
            ..s::EcsService::new(name)
        };
        Some(vec![service.into_tf_block()])
    }
}
