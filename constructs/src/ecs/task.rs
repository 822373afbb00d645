//! `FargateTaskDefinition`.

use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::l1::Json;
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

use super::container::{Case, ContainerDefinition};
use super::size::FargateSize;

const ARN: Attribute = Attribute::new(CfnAttr::Ref, "arn");

/// The processor architecture the task's images are built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuArchitecture {
    X86_64,
    /// Graviton: cheaper per vCPU, needs arm64 images.
    Arm64,
}

impl CpuArchitecture {
    fn value(self) -> &'static str {
        match self {
            CpuArchitecture::X86_64 => "X86_64",
            CpuArchitecture::Arm64 => "ARM64",
        }
    }
}

/// A Fargate task definition: `awsvpc` networking, requires `FARGATE`, Linux.
///
/// Defaults:
/// - [`CpuArchitecture::X86_64`], what most images are built for.
/// - no execution role: needed, and checked, as soon as a container pulls from
///   ECR, logs with `awslogs` or reads secrets (rule `ecs-execution-role-required`).
/// - no task role: the application gets no AWS permissions unless given one.
///
/// The family is the name revisions are registered under; `family` is a plain
/// field because CloudFormation exposes no attribute for it. The ARN
/// ([`Handle::arn`]) names one revision, which is what a service should run.
#[derive(Clone, Debug, PartialEq)]
pub struct FargateTaskDefinition {
    /// 1-255 letters, digits, hyphens and underscores.
    pub family: String,
    pub size: FargateSize,
    pub cpu_architecture: CpuArchitecture,
    /// The role ECS uses to start the task: pull the image, write logs, read secrets.
    pub execution_role: Option<Value<kind::Arn>>,
    /// The role the application's AWS calls run as.
    pub task_role: Option<Value<kind::Arn>>,
    pub containers: Vec<ContainerDefinition>,
}

impl FargateTaskDefinition {
    pub fn new(family: &str, size: FargateSize) -> Self {
        FargateTaskDefinition {
            family: family.into(),
            size,
            cpu_architecture: CpuArchitecture::X86_64,
            execution_role: None,
            task_role: None,
            containers: Vec::new(),
        }
    }

    pub fn cpu_architecture(mut self, arch: CpuArchitecture) -> Self {
        self.cpu_architecture = arch;
        self
    }

    pub fn execution_role(mut self, role_arn: impl Into<Value<kind::Arn>>) -> Self {
        self.execution_role = Some(role_arn.into());
        self
    }

    pub fn task_role(mut self, role_arn: impl Into<Value<kind::Arn>>) -> Self {
        self.task_role = Some(role_arn.into());
        self
    }

    pub fn container(mut self, container: ContainerDefinition) -> Self {
        self.containers.push(container);
        self
    }

    fn container_definitions(&self, case: Case) -> Expr {
        Expr::list(self.containers.iter().map(|c| c.render(case)))
    }
}

crate::refs! {
    /// What a handle to [`FargateTaskDefinition`] exposes: its attributes and grants.
    pub FargateTaskDefinitionRefs
}

impl FargateTaskDefinitionRefs {
    /// The ARN of the revision this stack registers (`…:task-definition/family:3`).
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
}

impl Resource for FargateTaskDefinition {
    type Refs = FargateTaskDefinitionRefs;

    fn kind(&self) -> &'static str {
        "FargateTaskDefinition"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        super::check_name(c, "task family", &self.family, "ecs-task-family");
        self.size.check(c);
        c.ensure(!self.containers.is_empty(), "ecs-container-required", || {
            "a task definition needs at least one container".into()
        });
        let mut names: Vec<&str> = Vec::new();
        let mut ports = Vec::new();
        for container in &self.containers {
            container.validate(c);
            let name = container.name.as_str();
            if names.contains(&name) {
                c.error(
                    "ecs-container-name-unique",
                    format!("two containers are named {name:?}; names must be unique in a task"),
                );
            }
            names.push(name);
            // Containers of an awsvpc task share one network interface.
            for p in &container.port_mappings {
                if ports.contains(&(p.container_port, p.protocol)) {
                    c.error(
                        "ecs-port-unique",
                        format!(
                            "port {} ({:?}) of container {name:?} is already mapped in this task; containers of an awsvpc task share one network interface",
                            p.container_port, p.protocol
                        ),
                    );
                } else {
                    ports.push((p.container_port, p.protocol));
                }
            }
            if self.execution_role.is_none() {
                for why in container.execution_role_uses() {
                    c.error(
                        "ecs-execution-role-required",
                        format!("container {name:?} {why}, which ECS does with the task's execution role; set execution_role"),
                    );
                }
            }
        }
        if !self.containers.is_empty() {
            c.ensure(
                self.containers.iter().any(|k| k.essential),
                "ecs-essential-container",
                || "at least one container must be essential, or the task would never stop when its work fails".into(),
            );
        }
        let cpu: u32 = self.containers.iter().filter_map(|k| k.cpu_units).sum();
        c.ensure(cpu <= self.size.cpu_units(), "ecs-container-cpu", || {
            format!(
                "containers reserve {cpu} cpu units in total; the task has {}",
                self.size.cpu_units()
            )
        });
        let memory: u32 = self
            .containers
            .iter()
            .filter_map(|k| k.memory_reservation_mib.or(k.memory_limit_mib))
            .sum();
        c.ensure(memory <= self.size.memory_mib(), "ecs-container-memory", || {
            format!(
                "containers reserve {memory} MiB of memory in total; the task has {} MiB",
                self.size.memory_mib()
            )
        });
        for k in &self.containers {
            if let Some(limit) = k.memory_limit_mib {
                c.ensure(limit <= self.size.memory_mib(), "ecs-container-memory", || {
                    format!(
                        "container {:?} has a memory limit of {limit} MiB; the task has {} MiB",
                        k.name,
                        self.size.memory_mib()
                    )
                });
            }
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        vec![(
            "ecs-task-family-unique",
            self.family.clone(),
            format!("task family {:?}", self.family),
        )]
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        use cfn::ecs::task_definition as t;
        let platform = t::RuntimePlatform::new()
            .cpu_architecture(self.cpu_architecture.value())
            .operating_system_family("LINUX");
        let task = t::TaskDefinition {
            family: Some(self.family.as_str().into()),
            cpu: Some(self.size.cpu_units().to_string().into()),
            memory: Some(self.size.memory_mib().to_string().into()),
            network_mode: Some(t::NetworkMode::Awsvpc.into()),
            requires_compatibilities: Some([t::RequiresCompatibilities::Fargate].into()),
            runtime_platform: Some(platform),
            execution_role_arn: self.execution_role.as_ref().map(Into::into),
            task_role_arn: self.task_role.as_ref().map(Into::into),
            // Built by the one function that also writes Terraform's JSON text
            // (the ECS API's casing, which no schema types): see `container.rs`.
            container_definitions: Some(self.container_definitions(Case::Cfn).into()),
            ..Default::default()
        };
        Some(vec![task.into_cfn_resource().into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        let platform = tf::aws::ecs::ecs_task_definition::RuntimePlatform::new()
            .cpu_architecture(self.cpu_architecture.value())
            .operating_system_family("LINUX");
        let task = tf::aws::EcsTaskDefinition {
            cpu: Some(self.size.cpu_units().to_string().into()),
            memory: Some(self.size.memory_mib().to_string().into()),
            network_mode: Some("awsvpc".into()),
            requires_compatibilities: Some(["FARGATE"].into()),
            runtime_platform: Some(platform),
            execution_role_arn: self.execution_role.as_ref().map(Into::into),
            task_role_arn: self.task_role.as_ref().map(Into::into),
            ..tf::aws::EcsTaskDefinition::new(
                Json::document(self.container_definitions(Case::Api)),
                self.family.as_str(),
            )
        };
        Some(vec![task.into_tf_block()])
    }
}
