//! Terraform resources and data sources of the AWS provider, from `terraform
//! providers schema -json` (see `generated/terraform.jsonl`'s header for the version).

use std::sync::OnceLock;

use indexmap::IndexMap;
use serde_json::Value as Json;

use super::{Index, PathError, Shape};
use crate::property_path::Segment;

static DATA: &str = include_str!("generated/terraform.jsonl");

/// Resources and data sources share names (`aws_vpc`), so each has its own index.
fn index(data_source: bool) -> &'static Index {
    static RESOURCES: OnceLock<Index> = OnceLock::new();
    static DATA_SOURCES: OnceLock<Index> = OnceLock::new();
    let (cell, kind) = if data_source {
        (&DATA_SOURCES, "\"k\":\"d\"")
    } else {
        (&RESOURCES, "\"k\":\"r\"")
    };
    cell.get_or_init(|| {
        // Leaked once per process: the filtered copy lives as long as the data.
        let text: String = std::iter::once(DATA.lines().next().unwrap_or_default())
            .chain(DATA.lines().skip(1).filter(|l| l.contains(kind)))
            .flat_map(|l| [l, "\n"])
            .collect();
        Index::build(Box::leak(text.into_boxed_str()))
    })
}

/// Meta-arguments every resource block accepts, besides its schema.
const META: [&str; 7] = [
    "depends_on",
    "count",
    "for_each",
    "provider",
    "lifecycle",
    "//",
    "provisioner",
];

/// Whether an attribute is set by the user, by the provider, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by the provider; setting it is an error.
    Computed,
    /// Optional, and computed by the provider when not set.
    OptionalComputed,
}

/// An attribute of a block.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub shape: Shape,
    pub presence: Presence,
}

/// A resource's or data source's schema.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockType {
    pub name: String,
    pub data_source: bool,
    pub attributes: IndexMap<String, Attribute>,
    pub blocks: IndexMap<String, Shape>,
}

fn block_shape(j: &Json) -> (IndexMap<String, Attribute>, IndexMap<String, Shape>) {
    let mut attributes = IndexMap::new();
    if let Some(a) = j.get("a").and_then(Json::as_object) {
        for (name, v) in a {
            let presence = match v.get(1).and_then(Json::as_str) {
                Some("r") => Presence::Required,
                Some("o") => Presence::Optional,
                Some("oc") => Presence::OptionalComputed,
                _ => Presence::Computed,
            };
            attributes.insert(
                name.clone(),
                Attribute {
                    shape: Shape::decode(v.get(0).unwrap_or(&Json::Null)),
                    presence,
                },
            );
        }
    }
    let mut blocks = IndexMap::new();
    if let Some(b) = j.get("b").and_then(Json::as_object) {
        for (name, v) in b {
            let (attrs, nested) = block_shape(v.get(3).unwrap_or(&Json::Null));
            let inner = object_of(&attrs, &nested);
            let shape = match v.get(0).and_then(Json::as_str) {
                Some("single" | "group") => inner,
                Some("map") => Shape::Free,
                _ => Shape::Block(Box::new(inner)),
            };
            blocks.insert(name.clone(), shape);
        }
    }
    (attributes, blocks)
}

fn object_of(attrs: &IndexMap<String, Attribute>, blocks: &IndexMap<String, Shape>) -> Shape {
    let mut keys: IndexMap<String, Shape> = attrs.iter().map(|(k, a)| (k.clone(), a.shape.clone())).collect();
    keys.extend(blocks.iter().map(|(k, s)| (k.clone(), s.clone())));
    Shape::Object(keys)
}

fn load(name: &str, data_source: bool) -> Option<BlockType> {
    let j = index(data_source).get(name)?;
    let (attributes, blocks) = block_shape(j.get("s").unwrap_or(&Json::Null));
    Some(BlockType {
        name: name.to_string(),
        data_source,
        attributes,
        blocks,
    })
}

/// The resource type `name` (e.g. `aws_sqs_queue`).
pub fn resource(name: &str) -> Option<BlockType> {
    load(name, false)
}

/// The data source `name` (e.g. `aws_vpc`).
pub fn data_source(name: &str) -> Option<BlockType> {
    load(name, true)
}

impl BlockType {
    /// The shape of the block's body (attributes and nested blocks).
    pub fn shape(&self) -> Shape {
        object_of(&self.attributes, &self.blocks)
    }

    /// Checks a whole body: every key must be an attribute, a nested block or a
    /// meta-argument, attributes only the provider computes are not set, and
    /// nested values follow the schema. Returns `(path, message)` pairs.
    pub fn check_body(&self, body: &crate::expr::Expr) -> Vec<(String, String)> {
        let crate::expr::Expr::Map(m) = body else {
            return vec![(String::new(), "must be an object".into())];
        };
        let mut out = Vec::new();
        let mut rest = crate::resource::Props::default();
        for (k, v) in m {
            if META.contains(&k.as_str()) {
                continue;
            }
            if self
                .attributes
                .get(k)
                .is_some_and(|a| a.presence == Presence::Computed && !self.data_source)
            {
                out.push((k.clone(), "is computed by the provider and cannot be set".into()));
                continue;
            }
            rest.insert(k.clone(), v.clone());
        }
        out.extend(self.shape().check_expr(&crate::expr::Expr::Map(rest)));
        out
    }

    /// Checks a path relative to the block body (`ingress[0].from_port`).
    /// Setting an attribute only the provider computes is reported too.
    pub fn check_body_path(&self, path: &[Segment]) -> Result<(), PathError> {
        if let Some(Segment::Key(k)) = path.first() {
            if META.contains(&k.as_str()) {
                return Ok(());
            }
            if let Some(a) = self.attributes.get(k) {
                if a.presence == Presence::Computed && !self.data_source {
                    return Err(PathError {
                        depth: 0,
                        message: "is computed by the provider and cannot be set".into(),
                    });
                }
            }
        }
        object_of(&self.attributes, &self.blocks).check(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::property_path::PropertyPath;

    fn check(t: &str, path: &str) -> Result<(), PathError> {
        resource(t)
            .unwrap()
            .check_body_path(&PropertyPath::parse(path).unwrap().0)
    }

    #[test]
    fn resources_and_data_sources_are_separate() {
        assert!(resource("aws_sqs_queue").is_some());
        assert!(data_source("aws_subnets").is_some());
        assert!(resource("aws_subnets").is_none());
        assert!(data_source("aws_vpc").unwrap().data_source);
    }

    #[test]
    fn body_paths_are_checked_with_blocks_attributes_and_meta_arguments() {
        assert!(check("aws_lb_listener_rule", "action[0].forward.target_group[0].arn").is_ok());
        assert!(check("aws_lb_listener_rule", "action.type").is_ok());
        assert!(check("aws_ecr_repository", "image_scanning_configuration.scan_on_push").is_ok());
        assert!(check("aws_ecr_repository", "depends_on").is_ok());
        let e = check("aws_ecr_repository", "image_tag_mutabilty").unwrap_err();
        assert!(
            e.message.contains("did you mean \"image_tag_mutability\""),
            "{}",
            e.message
        );
        let e = check("aws_ecr_repository", "arn").unwrap_err();
        assert!(e.message.contains("computed"), "{}", e.message);
    }
}
