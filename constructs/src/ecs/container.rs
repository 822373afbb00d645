//! `ContainerDefinition`: one container of a Fargate task, and how it renders.
//!
//! A container renders to the same structure in both backends, spelled
//! differently: CloudFormation's `ContainerDefinitions` items use PascalCase
//! property names (`PortMappings`), while Terraform's `container_definitions` is a
//! JSON string in the ECS API's camelCase (`portMappings`). So one function builds
//! the structure in either [`Case`]. The Terraform string is canonical (keys
//! sorted, environment sorted by name, defaults AWS would fill in written out,
//! empty arrays left out), so a plan after apply shows no difference.

use std::time::Duration;

use crate::expr::{kind, Attr, CfnAttr, Expr, Target, Value};
use crate::problem::Checker;

/// Transport protocol of a port mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    fn value(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// A port the container listens on. Under `awsvpc` networking the task has its
/// own network interface, so the host port always equals the container port and
/// is written out as such.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortMapping {
    /// 1-65535.
    pub container_port: u16,
    pub protocol: Protocol,
}

impl PortMapping {
    pub fn tcp(port: u16) -> Self {
        PortMapping {
            container_port: port,
            protocol: Protocol::Tcp,
        }
    }
    pub fn udp(port: u16) -> Self {
        PortMapping {
            container_port: port,
            protocol: Protocol::Udp,
        }
    }
}

/// Sends the container's stdout/stderr to CloudWatch Logs (the `awslogs` driver).
///
/// The ECS agent writes the logs with the task's *execution role*, so a task whose
/// containers log this way needs one (rule `ecs-execution-role-required`). The log
/// group must exist: create it with a [`crate::logs::LogGroup`] (finite
/// retention) rather than letting the agent create it (`awslogs-create-group`),
/// which would need `logs:CreateLogGroup` and keep logs forever.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsLogs {
    pub group: Value<kind::Name>,
    /// Where the group is. Defaults to the stack's region.
    pub region: Value<kind::Region>,
    /// Streams are named `prefix/container-name/task-id`; Fargate requires a prefix.
    pub stream_prefix: String,
    /// Lets the agent create the group (`awslogs-create-group`). Off by default:
    /// a group created this way keeps logs forever and the execution role then
    /// needs `logs:CreateLogGroup`. For migrating stacks that rely on it.
    pub create_group: bool,
}

impl AwsLogs {
    /// Logs to `group` in the stack's region, streams named `stream_prefix/…`.
    pub fn new(group: impl Into<Value<kind::Name>>, stream_prefix: &str) -> Self {
        AwsLogs {
            group: group.into(),
            region: Attr::region().into(),
            stream_prefix: stream_prefix.into(),
            create_group: false,
        }
    }

    /// Lets the ECS agent create the group on first use (see [`AwsLogs::create_group`]).
    pub fn create_group(mut self) -> Self {
        self.create_group = true;
        self
    }

    /// A group in another region than the stack's (e.g. a literal `"eu-west-2"`).
    pub fn region(mut self, region: impl Into<Value<kind::Region>>) -> Self {
        self.region = region.into();
        self
    }
}

/// A command ECS runs inside the container to decide whether it is healthy.
///
/// Defaults are the values ECS itself applies (interval 30 s, timeout 5 s,
/// 3 retries, no start period), written out so Terraform shows no difference.
/// The command runs *in the image*: a `curl` health check needs curl installed.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerHealthCheck {
    /// `["CMD-SHELL", "…"]` or `["CMD", exe, args…]`; see the constructors.
    pub command: Vec<String>,
    /// 5-300 seconds between checks.
    pub interval: Duration,
    /// 2-60 seconds before a check counts as failed.
    pub timeout: Duration,
    /// 1-10 consecutive failures before the container is unhealthy.
    pub retries: u32,
    /// 0-300 seconds after start during which failures do not count.
    pub start_period: Duration,
}

impl ContainerHealthCheck {
    /// A command run by the image's shell, e.g. `curl -f http://localhost/health || exit 1`.
    pub fn shell(command: &str) -> Self {
        Self::with_command(vec!["CMD-SHELL".into(), command.into()])
    }

    /// An executable run directly, without a shell.
    pub fn exec<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Self {
        let mut command = vec!["CMD".to_string()];
        command.extend(argv.into_iter().map(Into::into));
        Self::with_command(command)
    }

    fn with_command(command: Vec<String>) -> Self {
        ContainerHealthCheck {
            command,
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            retries: 3,
            start_period: Duration::ZERO,
        }
    }

    pub fn interval(mut self, duration: Duration) -> Self {
        self.interval = duration;
        self
    }
    pub fn timeout(mut self, duration: Duration) -> Self {
        self.timeout = duration;
        self
    }
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }
    pub fn start_period(mut self, duration: Duration) -> Self {
        self.start_period = duration;
        self
    }
}

/// One container of a [`super::FargateTaskDefinition`].
///
/// Defaults:
/// - `essential: true`: if the container stops, the task stops and the service
///   replaces it, rather than running on half-broken.
/// - `readonly_root_filesystem: true`: a compromised process cannot plant files in
///   the image's filesystem (AWS Security Hub ECS.5). An application that writes
///   to disk must opt out with [`ContainerDefinition::writable_root_filesystem`].
/// - `user: None`: the image's `USER`. Set a non-root uid (`"1000"`) when the
///   image does not.
/// - no cpu or memory of its own: the container shares the task's.
/// - no command: the image's `CMD`.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerDefinition {
    /// 1-255 letters, digits, hyphens and underscores, unique in the task.
    pub name: String,
    /// The image reference, e.g. `<repo-uri>:<tag>` built with [`Value::concat`].
    pub image: Value<kind::Text>,
    pub essential: bool,
    pub port_mappings: Vec<PortMapping>,
    /// Plain environment variables. Rendered sorted by name, whatever the order
    /// here: ECS returns them in its own order, and a list kept in user order would
    /// show Terraform a difference on every plan.
    pub environment: Vec<(String, Value<kind::Text>)>,
    /// Environment variables read at start from SSM Parameter Store or Secrets
    /// Manager (`valueFrom`: the parameter or secret ARN), sorted like
    /// `environment`. Fetched with the task's execution role.
    pub secrets: Vec<(String, Value<kind::Arn>)>,
    pub logging: Option<AwsLogs>,
    /// Cpu units reserved for this container (1024 = one vCPU).
    pub cpu_units: Option<u32>,
    /// Hard memory limit (`memory`): the container is killed above it.
    pub memory_limit_mib: Option<u32>,
    /// Soft memory reservation (`memoryReservation`).
    pub memory_reservation_mib: Option<u32>,
    /// User (and group) the process runs as, e.g. `"1000"` or `"1000:1000"`.
    pub user: Option<String>,
    pub readonly_root_filesystem: bool,
    /// Overrides the image's `CMD`; empty keeps it.
    pub command: Vec<String>,
    pub health_check: Option<ContainerHealthCheck>,
    /// Namespaced kernel parameters (`systemControls`), e.g.
    /// `net.ipv4.ip_unprivileged_port_start`. Under `awsvpc` they apply to the
    /// whole task; Fargate supports them from platform version 1.4.0.
    pub system_controls: Vec<(String, String)>,
}

impl ContainerDefinition {
    pub fn new(name: &str, image: impl Into<Value<kind::Text>>) -> Self {
        ContainerDefinition {
            name: name.into(),
            image: image.into(),
            essential: true,
            port_mappings: Vec::new(),
            environment: Vec::new(),
            secrets: Vec::new(),
            logging: None,
            cpu_units: None,
            memory_limit_mib: None,
            memory_reservation_mib: None,
            user: None,
            readonly_root_filesystem: true,
            command: Vec::new(),
            health_check: None,
            system_controls: Vec::new(),
        }
    }

    /// Sets a namespaced kernel parameter (`systemControls`).
    pub fn system_control(mut self, namespace: &str, value: &str) -> Self {
        self.system_controls.push((namespace.into(), value.into()));
        self
    }

    /// Lets a non-root process bind ports from `port` up (the
    /// `net.ipv4.ip_unprivileged_port_start` sysctl), e.g. port 80 behind a
    /// load balancer without running as root.
    pub fn unprivileged_ports_from(self, port: u16) -> Self {
        self.system_control("net.ipv4.ip_unprivileged_port_start", &port.to_string())
    }

    /// A non-essential container (a sidecar): the task keeps running if it exits.
    pub fn non_essential(mut self) -> Self {
        self.essential = false;
        self
    }

    /// Listens on a TCP port.
    pub fn port(self, port: u16) -> Self {
        self.port_mapping(PortMapping::tcp(port))
    }

    pub fn port_mapping(mut self, mapping: PortMapping) -> Self {
        self.port_mappings.push(mapping);
        self
    }

    pub fn env(mut self, name: &str, value: impl Into<Value<kind::Text>>) -> Self {
        self.environment.push((name.into(), value.into()));
        self
    }

    /// An environment variable read from an SSM parameter or Secrets Manager secret ARN.
    pub fn secret(mut self, name: &str, value_from: impl Into<Value<kind::Arn>>) -> Self {
        self.secrets.push((name.into(), value_from.into()));
        self
    }

    pub fn logging(mut self, logs: AwsLogs) -> Self {
        self.logging = Some(logs);
        self
    }

    pub fn cpu_units(mut self, units: u32) -> Self {
        self.cpu_units = Some(units);
        self
    }

    pub fn memory_limit_mib(mut self, mib: u32) -> Self {
        self.memory_limit_mib = Some(mib);
        self
    }

    pub fn memory_reservation_mib(mut self, mib: u32) -> Self {
        self.memory_reservation_mib = Some(mib);
        self
    }

    pub fn user(mut self, user: &str) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Lets the container write to its root filesystem (opt-out of the read-only default).
    pub fn writable_root_filesystem(mut self) -> Self {
        self.readonly_root_filesystem = false;
        self
    }

    pub fn command<S: Into<String>>(mut self, argv: impl IntoIterator<Item = S>) -> Self {
        self.command = argv.into_iter().map(Into::into).collect();
        self
    }

    pub fn health_check(mut self, check: ContainerHealthCheck) -> Self {
        self.health_check = Some(check);
        self
    }

    /// Whether the image comes from a private ECR registry, which the ECS agent
    /// pulls from with the execution role: a literal `….dkr.ecr.…` part, or a
    /// reference to an ECR repository's URI.
    pub(super) fn image_is_from_ecr(&self) -> bool {
        fn ecr(e: &Expr) -> bool {
            match e {
                Expr::Str(s) => s.contains(".dkr.ecr."),
                Expr::Concat(parts) => parts.iter().any(ecr),
                Expr::Ref(Target::Node(_, a)) => a.tf == "repository_url" || a.cfn == CfnAttr::GetAtt("RepositoryUri"),
                _ => false,
            }
        }
        ecr(self.image.expr())
    }

    /// What the container needs the execution role for, if anything.
    pub(super) fn execution_role_uses(&self) -> Vec<&'static str> {
        let mut uses = Vec::new();
        if self.image_is_from_ecr() {
            uses.push("pulls its image from ECR");
        }
        if self.logging.is_some() {
            uses.push("sends its logs to CloudWatch Logs (awslogs)");
        }
        if !self.secrets.is_empty() {
            uses.push("reads secrets at start");
        }
        uses
    }

    /// Checks the container's own settings; `c` is the task definition's checker.
    pub(super) fn validate(&self, c: &mut Checker<'_>) {
        let name = &self.name;
        super::check_name(c, "container name", name, "ecs-container-name");
        if let Some(image) = self.image.expr().as_literal() {
            c.ensure(!image.trim().is_empty(), "ecs-container-image", || {
                format!("container {name:?} has an empty image; give a repository URI and tag")
            });
        }
        for p in &self.port_mappings {
            c.ensure(p.container_port >= 1, "ecs-container-port", || {
                format!("container {name:?} maps port 0; ports must be between 1 and 65535")
            });
        }
        let mut seen: Vec<&str> = Vec::new();
        let names = self
            .environment
            .iter()
            .map(|(n, _)| n)
            .chain(self.secrets.iter().map(|(n, _)| n));
        for var in names {
            c.ensure(is_env_name(var), "ecs-env-name", || {
                format!("container {name:?}: environment variable name {var:?} must be letters, digits and '_', not starting with a digit")
            });
            if seen.contains(&var.as_str()) {
                c.error(
                    "ecs-env-name-unique",
                    format!("container {name:?} sets environment variable {var:?} more than once (as a variable or a secret)"),
                );
            } else {
                seen.push(var);
            }
        }
        for (what, mib) in [
            ("memory limit", self.memory_limit_mib),
            ("memory reservation", self.memory_reservation_mib),
        ] {
            if let Some(mib) = mib {
                c.ensure(mib >= 6, "ecs-container-memory", || {
                    format!("container {name:?}: {what} is {mib} MiB; ECS needs at least 6 MiB")
                });
            }
        }
        if let (Some(limit), Some(reservation)) = (self.memory_limit_mib, self.memory_reservation_mib) {
            c.ensure(reservation < limit, "ecs-container-memory", || {
                format!("container {name:?}: memory reservation {reservation} MiB must be below its memory limit {limit} MiB")
            });
        }
        if let Some(user) = &self.user {
            c.ensure(!user.trim().is_empty(), "ecs-container-user", || {
                format!("container {name:?} has an empty user; give a uid such as \"1000\" or leave it unset")
            });
        }
        if let Some(logs) = &self.logging {
            let p = &logs.stream_prefix;
            let ok = !p.is_empty() && p.len() <= 512 && !p.contains([':', '*']);
            c.ensure(ok, "ecs-awslogs-stream-prefix", || {
                format!("container {name:?}: awslogs stream prefix {p:?} must be 1-512 characters without ':' or '*' (Fargate requires one)")
            });
        }
        if let Some(h) = &self.health_check {
            let mut range = |what: &str, v: u32, min: u32, max: u32| {
                c.ensure((min..=max).contains(&v), "ecs-health-check", || {
                    format!("container {name:?}: health check {what} is {v}; it must be between {min} and {max}")
                });
            };
            range("retries", h.retries, 1, 10);
            let what = |w: &str| format!("container {name:?}: health check {w}");
            c.duration(&what("interval"), h.interval, 5, 300, "ecs-health-check");
            c.duration(&what("timeout"), h.timeout, 2, 60, "ecs-health-check");
            c.duration(&what("start period"), h.start_period, 0, 300, "ecs-health-check");
            let ok = matches!(h.command.first().map(String::as_str), Some("CMD" | "CMD-SHELL"))
                && h.command.len() >= 2
                && h.command[1..].iter().all(|a| !a.is_empty());
            c.ensure(ok, "ecs-health-check", || {
                format!("container {name:?}: health check command {:?} must be CMD or CMD-SHELL followed by a non-empty command", h.command)
            });
        }
    }

    /// The container as a document in the given spelling.
    pub(super) fn render(&self, case: Case) -> Expr {
        let mut e: Vec<(&str, Expr)> = vec![
            ("name", Expr::str(&self.name)),
            ("image", self.image.clone().into_expr()),
            ("essential", Expr::Bool(self.essential)),
        ];
        let opt_int = |v: Option<u32>| v.map(Expr::from);
        for (k, v) in [
            ("cpu", opt_int(self.cpu_units)),
            ("memory", opt_int(self.memory_limit_mib)),
            ("memoryReservation", opt_int(self.memory_reservation_mib)),
            ("user", self.user.as_deref().map(Expr::str)),
        ] {
            if let Some(v) = v {
                e.push((k, v));
            }
        }
        e.push(("readonlyRootFilesystem", Expr::Bool(self.readonly_root_filesystem)));
        if !self.command.is_empty() {
            e.push(("command", Expr::from(self.command.clone())));
        }
        if !self.port_mappings.is_empty() {
            let ports = self.port_mappings.iter().map(|p| {
                case.obj(vec![
                    ("containerPort", Expr::from(p.container_port)),
                    ("hostPort", Expr::from(p.container_port)),
                    ("protocol", Expr::str(p.protocol.value())),
                ])
            });
            e.push(("portMappings", Expr::list(ports)));
        }
        if !self.environment.is_empty() {
            let vars = sorted(&self.environment)
                .into_iter()
                .map(|(n, v)| case.obj(vec![("name", Expr::str(n)), ("value", v.clone().into_expr())]));
            e.push(("environment", Expr::list(vars)));
        }
        if !self.secrets.is_empty() {
            let vars = sorted(&self.secrets)
                .into_iter()
                .map(|(n, v)| case.obj(vec![("name", Expr::str(n)), ("valueFrom", v.clone().into_expr())]));
            e.push(("secrets", Expr::list(vars)));
        }
        if let Some(logs) = &self.logging {
            // Driver option names are the driver's own, the same in both backends.
            let mut options = vec![
                ("awslogs-group", logs.group.clone().into_expr()),
                ("awslogs-region", logs.region.clone().into_expr()),
                ("awslogs-stream-prefix", Expr::str(&logs.stream_prefix)),
            ];
            if logs.create_group {
                // Driver options are strings.
                options.insert(0, ("awslogs-create-group", Expr::str("true")));
            }
            let options = Expr::map(options);
            e.push((
                "logConfiguration",
                case.obj(vec![("logDriver", Expr::str("awslogs")), ("options", options)]),
            ));
        }
        if !self.system_controls.is_empty() {
            let controls = sorted(&self.system_controls)
                .into_iter()
                .map(|(n, v)| case.obj(vec![("namespace", Expr::str(n)), ("value", Expr::str(v))]));
            e.push(("systemControls", Expr::list(controls)));
        }
        if let Some(h) = &self.health_check {
            let mut hc = vec![
                ("command", Expr::from(h.command.clone())),
                ("interval", Expr::from(h.interval)),
                ("retries", Expr::from(h.retries)),
                ("timeout", Expr::from(h.timeout)),
            ];
            // ECS leaves an unset start period out of what it returns; so do we.
            if !h.start_period.is_zero() {
                hc.push(("startPeriod", Expr::from(h.start_period)));
            }
            e.push(("healthCheck", case.obj(hc)));
        }
        case.obj(e)
    }
}

fn sorted<V>(vars: &[(String, V)]) -> Vec<&(String, V)> {
    let mut v: Vec<&(String, V)> = vars.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// POSIX-style environment variable names.
fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|ch: char| ch.is_ascii_digit())
        && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// How a container document is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Case {
    /// CloudFormation: `PortMappings`, keys in a readable order.
    Cfn,
    /// The ECS API (Terraform's JSON string): `portMappings`, keys sorted.
    Api,
}

impl Case {
    /// An object from camelCase keys, recased for CloudFormation.
    fn obj(self, entries: Vec<(&str, Expr)>) -> Expr {
        let mut m: crate::expr::ExprMap = entries.into_iter().map(|(k, v)| (self.key(k), v)).collect();
        if self == Case::Api {
            m.sort_keys();
        }
        Expr::Map(m)
    }

    fn key(self, camel: &str) -> String {
        match self {
            Case::Api => camel.to_string(),
            Case::Cfn => {
                let mut cs = camel.chars();
                cs.next()
                    .map(|first| first.to_ascii_uppercase().to_string() + cs.as_str())
                    .unwrap_or_default()
            }
        }
    }
}
