//! `LoadBalancedFargateService`: one container on Fargate behind a rule on an
//! existing listener, wired the way an operator would sign off on without edits.

use std::time::Duration;

use crate::assets::{self, ImageAsset};
use crate::ec2::{Rule, SecurityGroup};
use crate::ecr::EcrRepo;
use crate::ecs::{
    AwsLogs, CircuitBreaker, ContainerDefinition, FargateService, FargateSize, FargateTaskDefinition,
    LoadBalancerTarget,
};
use crate::elbv2::{Condition, HealthCheck, IpTargetGroup, LoadBalancerRule};
use crate::expr::{kind, Expr, Value};
use crate::iam::{self, IamRole, Statement};
use crate::logs::{LogGroup, Retention};
use crate::tree::{Construct, Handle, Scope};

/// Where the service runs and what it is reached through: existing resources,
/// typically lookups (`vpc.id().into()`, …) or values from an environment file.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub vpc: Value<kind::VpcId>,
    /// Private subnets for the tasks.
    pub subnets: Value<kind::SubnetIds>,
    /// The listener that gets the routing rule.
    pub listener: Value<kind::Arn>,
    /// The load balancer's security group: the only source the tasks admit.
    pub load_balancer_security_group: Value<kind::SecurityGroupId>,
    /// The ECS cluster (ARN or name).
    pub cluster: Value<kind::Arn>,
}

impl Placement {
    /// Where the service runs: typically lookups' attributes
    /// (`Placement::new(vpc.id(), subnets.ids(), listener.arn(), lb_sg.id(), cluster.arn())`)
    /// or literal ids from an environment file.
    pub fn new(
        vpc: impl Into<Value<kind::VpcId>>,
        subnets: impl Into<Value<kind::SubnetIds>>,
        listener: impl Into<Value<kind::Arn>>,
        load_balancer_security_group: impl Into<Value<kind::SecurityGroupId>>,
        cluster: impl Into<Value<kind::Arn>>,
    ) -> Self {
        Placement {
            vpc: vpc.into(),
            subnets: subnets.into(),
            listener: listener.into(),
            load_balancer_security_group: load_balancer_security_group.into(),
            cluster: cluster.into(),
        }
    }
}

/// The container image.
#[derive(Clone, Debug, PartialEq)]
pub enum Image {
    /// An image in a repository of this stack, by tag. The execution role may
    /// pull from that repository only.
    EcrTag(Handle<EcrRepo>, Value<kind::Text>),
    /// An image in a repository of this stack, by digest (`sha256:…`): the
    /// deployed bytes can never change under the same reference.
    EcrDigest(Handle<EcrRepo>, String),
    /// An image built from a workspace binary and pushed by `publish`, named
    /// by digest through the asset's deploy-time input. The execution role may
    /// pull from the asset's repository only (its ARN is built from the
    /// repository name in this stack's account and region, since that
    /// repository lives in a stack deployed before this one).
    Asset(Handle<ImageAsset>),
}

/// One container behind a listener rule of an existing load balancer.
///
/// It creates and wires, inside a scope named by the id given to
/// [`LoadBalancedFargateService::add_to`]: the IP target group and its health
/// check, the listener rule, a security group admitting only the load
/// balancer's security group on the container port, a log group, an execution
/// role that can pull only from the image's repository and write only to that
/// log group, a separate (empty) task role for the application's own grants,
/// the task definition and the service, ordered after the listener rule in both
/// backends, plus outputs for the service name, cluster, target group ARN and
/// routed path.
///
/// Defaults, each overridable, and why (AWS CDK's
/// `ApplicationLoadBalancedFargateService` differs where noted):
/// - deployment circuit breaker with rollback (CDK: off): a deploy whose tasks
///   never become healthy rolls back by itself instead of retrying forever;
/// - minimum healthy 100 %, maximum 200 % (CDK: 50 %): a deploy starts new tasks
///   before stopping old ones, never running below desired capacity;
/// - no public IP: tasks sit in private subnets behind the private load balancer;
/// - deregistration delay 30 s (AWS: 300 s): a rolling deploy waits this long for
///   in-flight requests per replaced task; the service shuts down gracefully well
///   within it;
/// - health-check grace period 60 s: time to start before failed health checks
///   count against a new task;
/// - health check `GET /` every 15 s, healthy after 2, unhealthy after 3, 5 s
///   timeout, 200 only: a new task takes traffic within 30 s;
/// - log retention 365 days (CDK: forever);
/// - desired count 2, size 256 CPU units / 512 MiB: two tasks survive the loss
///   of one, in the smallest Fargate size.
pub struct LoadBalancedFargateService {
    /// Names the service, task family, container, target group and log group.
    pub name: String,
    pub placement: Placement,
    pub image: Image,
    pub container_port: u16,
    /// What the listener rule matches; at least one condition.
    pub conditions: Vec<Condition>,
    /// The rule's priority, unique on the listener.
    pub priority: u32,
    pub size: FargateSize,
    pub desired_count: u32,
    pub environment: Vec<(String, Value<kind::Text>)>,
    pub health_check: HealthCheck,
    pub deregistration_delay: Duration,
    pub health_check_grace_period: Duration,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    pub circuit_breaker: CircuitBreaker,
    pub assign_public_ip: bool,
    /// Defaults to `/ecs/<name>`.
    pub log_group_name: Option<String>,
    pub log_retention: Retention,
    /// Encrypts the log group with this customer-managed key (its ARN); the
    /// key must list `KeyUser::CloudWatchLogs`.
    pub log_kms_key: Option<Value<kind::Arn>>,
    /// Adjusts the container definition after the pattern built it (secrets, a
    /// writable root filesystem, a command…).
    pub customize_container: Option<Box<dyn FnOnce(ContainerDefinition) -> ContainerDefinition>>,
}

/// What a handle to a [`LoadBalancedFargateService`] exposes: the resources it created.
#[derive(Clone, Copy, Debug)]
pub struct LoadBalancedFargateServiceRefs {
    pub target_group: Handle<IpTargetGroup>,
    pub listener_rule: Handle<LoadBalancerRule>,
    pub security_group: Handle<SecurityGroup>,
    pub log_group: Handle<LogGroup>,
    pub execution_role: Handle<IamRole>,
    pub task_role: Handle<IamRole>,
    pub task_definition: Handle<FargateTaskDefinition>,
    pub service: Handle<FargateService>,
}

impl LoadBalancedFargateServiceRefs {
    /// The role the application's code runs with: grant storage access to it,
    /// e.g. `table.grant_read_write(stack, &service.task_role())`.
    pub fn task_role(&self) -> Handle<IamRole> {
        self.task_role
    }
}

impl LoadBalancedFargateService {
    pub const DEFAULT_DEREGISTRATION_DELAY: Duration = Duration::from_secs(30);
    pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(60);

    pub fn new(name: &str, placement: Placement, image: Image, container_port: u16) -> Self {
        LoadBalancedFargateService {
            name: name.into(),
            placement,
            image,
            container_port,
            conditions: Vec::new(),
            priority: 0,
            size: FargateSize::CPU_256_MEM_512,
            desired_count: 2,
            environment: Vec::new(),
            health_check: Self::default_health_check("/"),
            deregistration_delay: Self::DEFAULT_DEREGISTRATION_DELAY,
            health_check_grace_period: Self::DEFAULT_GRACE_PERIOD,
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker: CircuitBreaker::Rollback,
            assign_public_ip: false,
            log_group_name: None,
            log_retention: LogGroup::DEFAULT_RETENTION,
            log_kms_key: None,
            customize_container: None,
        }
    }

    /// The default health check, at `path`.
    pub fn default_health_check(path: &str) -> HealthCheck {
        HealthCheck::at(path)
            .interval(Duration::from_secs(15))
            .healthy_threshold(2)
            .unhealthy_threshold(3)
            .timeout(Duration::from_secs(5))
            .matcher("200")
    }

    /// Routes requests whose path matches any of `patterns` (e.g. `/vault*`) at `priority`.
    pub fn route_paths<S: Into<String>>(mut self, priority: u32, patterns: impl IntoIterator<Item = S>) -> Self {
        self.priority = priority;
        self.conditions.push(Condition::path_pattern(patterns));
        self
    }
    /// Also requires the `Host` header to match one of `hosts`.
    pub fn route_hosts<S: Into<String>>(mut self, hosts: impl IntoIterator<Item = S>) -> Self {
        self.conditions.push(Condition::host_header(hosts));
        self
    }
    /// Sets the rule's priority (for host-only routes).
    pub fn priority(mut self, priority: u32) -> Self {
        self.priority = priority;
        self
    }
    pub fn size(mut self, size: FargateSize) -> Self {
        self.size = size;
        self
    }
    pub fn desired_count(mut self, n: u32) -> Self {
        self.desired_count = n;
        self
    }
    pub fn env(mut self, name: &str, value: impl Into<Value<kind::Text>>) -> Self {
        self.environment.push((name.into(), value.into()));
        self
    }
    /// Replaces the health check (the path is usually all that needs changing:
    /// `.health_check(LoadBalancedFargateService::default_health_check("/health"))`).
    pub fn health_check(mut self, check: HealthCheck) -> Self {
        self.health_check = check;
        self
    }
    pub fn deregistration_delay(mut self, duration: Duration) -> Self {
        self.deregistration_delay = duration;
        self
    }
    pub fn health_check_grace_period(mut self, duration: Duration) -> Self {
        self.health_check_grace_period = duration;
        self
    }
    pub fn deployment_percent(mut self, minimum_healthy: u32, maximum: u32) -> Self {
        self.minimum_healthy_percent = minimum_healthy;
        self.maximum_percent = maximum;
        self
    }
    pub fn circuit_breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.circuit_breaker = breaker;
        self
    }
    /// Gives tasks a public IP (an explicit opt-out; only for public subnets without NAT).
    pub fn public_ip(mut self) -> Self {
        self.assign_public_ip = true;
        self
    }
    pub fn log_group_name(mut self, name: &str) -> Self {
        self.log_group_name = Some(name.into());
        self
    }
    pub fn log_retention(mut self, retention: Retention) -> Self {
        self.log_retention = retention;
        self
    }
    /// Encrypts the service's log group with a customer-managed KMS key.
    pub fn log_kms_key(mut self, key_arn: impl Into<Value<kind::Arn>>) -> Self {
        self.log_kms_key = Some(key_arn.into());
        self
    }
    pub fn customize_container(mut self, f: impl FnOnce(ContainerDefinition) -> ContainerDefinition + 'static) -> Self {
        self.customize_container = Some(Box::new(f));
        self
    }
}

impl Construct for LoadBalancedFargateService {
    type Refs = LoadBalancedFargateServiceRefs;

    /// Adds every resource in the pattern's own scope.
    fn build(self, scope: &mut Scope<'_>) -> LoadBalancedFargateServiceRefs {
        let name = self.name.clone();
        let id = scope.id().to_string();
        if self.conditions.is_empty() {
            scope.error(
                "pattern-route-required",
                "the service needs a route: call route_paths(priority, patterns) or route_hosts(..)",
            );
        }
        let (pull, image): (Statement, Value<kind::Text>) = match &self.image {
            Image::EcrTag(repo, tag) => (
                repo.pull_statement(),
                repo.image_uri(tag.clone().into_expr()).into_text(),
            ),
            Image::EcrDigest(repo, digest) => {
                if !digest.starts_with("sha256:") || digest.len() != 71 {
                    scope.error(
                        "pattern-image-digest",
                        format!("image digest {digest:?} must be sha256: followed by 64 hex digits"),
                    );
                }
                (
                    repo.pull_statement(),
                    Value::concat([repo.uri().expr(), Expr::str("@"), Expr::str(digest)]),
                )
            }
            Image::Asset(asset) => {
                let repository = match scope.stack().get(asset) {
                    Some(a) => a.repository_name().to_string(),
                    None => {
                        scope.error(
                            "foreign-handle",
                            "the image asset belongs to another stack or app; declare it in the stack that runs it",
                        );
                        String::new()
                    }
                };
                (
                    Statement::allow()
                        .actions(crate::ecr::PULL_ACTIONS)
                        .resource(assets::repository_arn(&repository)),
                    asset.reference().text(),
                )
            }
        };
        let routed: Vec<String> = self.conditions.iter().map(describe_condition).collect();
        let p = &self.placement;

        let mut logs = LogGroup::new(self.log_group_name.as_deref().unwrap_or(&format!("/ecs/{name}")))
            .retention(self.log_retention);
        logs.kms_key = self.log_kms_key.clone();
        let log_group = scope.add("Logs", logs);
        let target_group = scope.add(
            "TargetGroup",
            IpTargetGroup::new(self.container_port, p.vpc.clone())
                .name(&name)
                .health_check(self.health_check.clone())
                .deregistration_delay(self.deregistration_delay),
        );
        let mut rule = LoadBalancerRule::forward(p.listener.clone(), self.priority, target_group.arn());
        rule.conditions = self.conditions.clone();
        let listener_rule = scope.add("ListenerRule", rule);
        let security_group = scope.add(
            "SecurityGroup",
            SecurityGroup::new(
                &format!("{name} tasks: traffic from the load balancer only"),
                p.vpc.clone(),
            )
            .ingress(
                Rule::tcp_from_security_group(p.load_balancer_security_group.clone(), self.container_port).description(
                    &format!("{name}: from the load balancer on port {}", self.container_port),
                ),
            ),
        );

        let mut execution = IamRole::for_service("ecs-tasks.amazonaws.com")
            .trust_condition(iam::Condition::source_account_is_this_account())
            .description(&format!("ECS starts {name}: pull its image, write its logs"));
        execution
            .add_to_policy("pull-image", pull)
            .add_to_policy("pull-image", Statement::ecr_auth_token())
            .add_to_policy(
                "write-logs",
                Statement::allow()
                    .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
                    .resource(log_group.streams_arn()),
            );
        let execution_role = scope.add("ExecutionRole", execution);
        let task_role = scope.add(
            "TaskRole",
            IamRole::for_service("ecs-tasks.amazonaws.com")
                .trust_condition(iam::Condition::source_account_is_this_account())
                .description(&format!("What {name}'s code may do; grant access to it explicitly")),
        );

        let mut container = ContainerDefinition::new(&name, image)
            .port(self.container_port)
            .logging(AwsLogs::new(log_group.name(), &name));
        for (k, v) in &self.environment {
            container = container.env(k, v.clone());
        }
        if let Some(customize) = self.customize_container {
            container = customize(container);
        }
        let task_definition = scope.add(
            "TaskDefinition",
            FargateTaskDefinition::new(&name, self.size)
                .execution_role(execution_role.arn())
                .task_role(task_role.arn())
                .container(container),
        );
        let mut service = FargateService::new(p.cluster.clone(), task_definition.arn(), p.subnets.clone())
            .name(&name)
            .desired_count(self.desired_count)
            .security_group(security_group.id())
            .health_check_grace_period(self.health_check_grace_period)
            .deployment_percent(self.minimum_healthy_percent, self.maximum_percent)
            .circuit_breaker(self.circuit_breaker)
            .load_balancer(LoadBalancerTarget::new(&name, self.container_port, target_group.arn()));
        service.assign_public_ip = self.assign_public_ip;
        let service = scope.add("Resource", service);
        let stack = scope.stack();
        // ECS rejects a service whose target group is not yet attached to a listener.
        stack.add_dependency(&service, &listener_rule);

        stack.output(
            &format!("{id}ServiceName"),
            service.name(),
            &format!("ECS service of {name}"),
        );
        stack.output(
            &format!("{id}Cluster"),
            p.cluster.clone(),
            &format!("ECS cluster running {name}"),
        );
        stack.output(
            &format!("{id}TargetGroupArn"),
            target_group.arn(),
            &format!("Target group of {name}"),
        );
        stack.output(
            &format!("{id}Route"),
            Expr::str(routed.join(" and ")),
            &format!("Requests routed to {name}"),
        );

        LoadBalancedFargateServiceRefs {
            target_group,
            listener_rule,
            security_group,
            log_group,
            execution_role,
            task_role,
            task_definition,
            service,
        }
    }
}

fn describe_condition(c: &Condition) -> String {
    match c {
        Condition::PathPattern(v) => format!("path {}", v.join(" | ")),
        Condition::HostHeader(v) => format!("host {}", v.join(" | ")),
    }
}
