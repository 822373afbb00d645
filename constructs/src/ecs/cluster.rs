//! `EcsCluster`.

use crate::expr::{kind, Attr, Attribute, CfnAttr};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::{cfn, tf};

const NAME: Attribute = Attribute::new(CfnAttr::Ref, "name");
const ARN: Attribute = Attribute::new(CfnAttr::GetAtt("Arn"), "arn");

/// CloudWatch Container Insights for the cluster's tasks and services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerInsights {
    /// Per-task and per-service CPU, memory, network and storage metrics.
    Enabled,
    /// Everything `Enabled` collects plus per-container metrics and curated dashboards.
    Enhanced,
    /// No Container Insights metrics: only the basic service-level CPU/memory
    /// utilization ECS always publishes.
    Disabled,
}

impl ContainerInsights {
    fn value(self) -> &'static str {
        match self {
            ContainerInsights::Enabled => "enabled",
            ContainerInsights::Enhanced => "enhanced",
            ContainerInsights::Disabled => "disabled",
        }
    }
}

/// An ECS cluster: the grouping Fargate services and tasks run in.
///
/// Defaults:
/// - no name: CloudFormation generates a unique one (so the cluster can be replaced
///   when needed); Terraform, whose provider requires a name, uses the construct
///   path (`Vault-Cluster`). Set [`EcsCluster::name`] to choose it.
/// - Container Insights [`ContainerInsights::Enabled`]: without it operators see
///   only service-wide averages and cannot tell which task is starved of CPU or
///   memory. It costs money: the metrics are CloudWatch custom metrics and the
///   performance events are ingested as CloudWatch Logs, billed per cluster size.
///   Opt out with `ContainerInsights::Disabled` for throwaway clusters.
#[derive(Clone, Debug, PartialEq)]
pub struct EcsCluster {
    pub name: Option<String>,
    pub container_insights: ContainerInsights,
}

impl Default for EcsCluster {
    fn default() -> Self {
        Self::new()
    }
}

impl EcsCluster {
    pub fn new() -> Self {
        EcsCluster {
            name: None,
            container_insights: ContainerInsights::Enabled,
        }
    }

    /// The cluster name: 1-255 letters, digits, hyphens and underscores, unique
    /// per account and region.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn container_insights(mut self, setting: ContainerInsights) -> Self {
        self.container_insights = setting;
        self
    }
}

crate::refs! {
    /// What a handle to [`EcsCluster`] exposes: its attributes and grants.
    pub EcsClusterRefs
}

impl EcsClusterRefs {
    /// The cluster name (CloudFormation `Ref`).
    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }

    /// The cluster ARN, what services take as their cluster.
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }
}

impl Resource for EcsCluster {
    type Refs = EcsClusterRefs;

    fn kind(&self) -> &'static str {
        "EcsCluster"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        if let Some(name) = &self.name {
            super::check_name(c, "cluster name", name, "ecs-cluster-name");
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        match &self.name {
            Some(n) => vec![("ecs-cluster-name-unique", n.clone(), format!("cluster name {n:?}"))],
            None => Vec::new(),
        }
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        let setting = cfn::ecs::cluster::ClusterSettings::new()
            .name("containerInsights")
            .value(self.container_insights.value());
        let cluster = cfn::ecs::Cluster {
            cluster_name: self.name.as_deref().map(Into::into),
            cluster_settings: Some([setting].into()),
            ..Default::default()
        };
        Some(vec![cluster.into_cfn_resource().into_block()])
    }

    fn terraform(&self, cx: &RenderCx) -> Option<Vec<TfBlock>> {
        let name = self.name.clone().unwrap_or_else(|| super::name_from_path(cx.path()));
        let setting = tf::aws::ecs::ecs_cluster::Setting::new("containerInsights", self.container_insights.value());
        let cluster = tf::aws::EcsCluster::new(name).setting([setting]);
        Some(vec![cluster.into_tf_block()])
    }
}
