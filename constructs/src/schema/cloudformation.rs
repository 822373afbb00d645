//! CloudFormation resource types, from the resource provider schemas bundled
//! with cfn-lint (see `generated/cloudformation.jsonl`'s header for the version).

use std::sync::OnceLock;

use serde_json::Value as Json;

use super::{Index, PathError, Shape};
use crate::property_path::Segment;

static DATA: &str = include_str!("generated/cloudformation.jsonl");

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| Index::build(DATA))
}

/// Top-level keys of a resource besides `Properties`.
const RESOURCE_KEYS: [&str; 8] = [
    "Type",
    "DependsOn",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Condition",
    "CreationPolicy",
    "UpdatePolicy",
];

/// What the schema says about one resource type.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceType {
    pub name: String,
    /// JSON Pointers (`/properties/TableName`) of the properties that can only
    /// be set when the resource is created: changing one replaces it.
    pub create_only: Vec<String>,
    /// Properties CloudFormation sets (the `Fn::GetAtt` attributes).
    pub read_only: Vec<String>,
    /// Properties that are written but never read back (secrets).
    pub write_only: Vec<String>,
    /// The properties that identify a resource of this type.
    pub primary_identifier: Vec<String>,
    /// Where the type takes tags, if it is taggable (`/properties/Tags`).
    pub tag_property: Option<String>,
    /// The shape of `Properties`.
    pub properties: Shape,
}

fn strings(j: &Json, key: &str) -> Vec<String> {
    j.get(key)
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The type `name` (e.g. `AWS::SQS::Queue`), or `None` if the schemas do not know it.
pub fn resource_type(name: &str) -> Option<ResourceType> {
    let j = index().get(name)?;
    Some(ResourceType {
        name: name.to_string(),
        create_only: strings(&j, "c"),
        read_only: strings(&j, "r"),
        write_only: strings(&j, "w"),
        primary_identifier: strings(&j, "i"),
        tag_property: j.get("g").and_then(Json::as_str).map(str::to_string),
        properties: Shape::decode(j.get("p").unwrap_or(&Json::Null)),
    })
}

/// The create-only properties of a type as JSON Pointers (`/properties/TableName`).
pub fn create_only(name: &str) -> Option<Vec<String>> {
    resource_type(name).map(|t| t.create_only)
}

/// Every type name the schemas know, sorted.
pub fn type_names() -> Vec<&'static str> {
    let mut v: Vec<&str> = index().names().collect();
    v.sort_unstable();
    v
}

impl ResourceType {
    /// Checks a path relative to the resource (`Properties.X.Y`, `DeletionPolicy`).
    pub fn check_resource_path(&self, path: &[Segment]) -> Result<(), PathError> {
        match path.first() {
            Some(Segment::Key(k)) if k == "Properties" => self.properties.check(&path[1..]).map_err(|e| PathError {
                depth: e.depth + 1,
                message: e.message,
            }),
            Some(Segment::Key(k)) if RESOURCE_KEYS.contains(&k.as_str()) => Ok(()),
            Some(Segment::Key(k)) => Err(PathError {
                depth: 0,
                message: format!(
                    "is not a resource attribute (expected Properties or one of {}){}",
                    RESOURCE_KEYS.join(", "),
                    super::suggestion(
                        k,
                        RESOURCE_KEYS.iter().map(|s| s.to_string()).collect::<Vec<_>>().iter()
                    )
                ),
            }),
            _ => Err(PathError {
                depth: 0,
                message: "must start with a key such as Properties".into(),
            }),
        }
    }

    /// Whether the type takes tags as a list of `{Key, Value}` in `Tags` (the
    /// form the synthesizer adds stack tags in); some types take a map instead.
    pub fn takes_tag_list(&self) -> bool {
        self.tag_property.as_deref() == Some("/properties/Tags")
            && matches!(&self.properties, Shape::Object(p) if matches!(p.get("Tags"), Some(Shape::List(_))))
    }

    /// Whether changing the property at this JSON Pointer (or one below it)
    /// replaces the resource.
    pub fn is_create_only(&self, pointer: &str) -> bool {
        self.create_only
            .iter()
            .any(|c| pointer == c || pointer.starts_with(&format!("{c}/")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::property_path::PropertyPath;

    fn check(t: &str, path: &str) -> Result<(), PathError> {
        resource_type(t)
            .unwrap()
            .check_resource_path(&PropertyPath::parse(path).unwrap().0)
    }

    #[test]
    fn the_schemas_know_every_type_the_library_renders() {
        for t in [
            "AWS::DynamoDB::Table",
            "AWS::ECR::Repository",
            "AWS::ECS::Cluster",
            "AWS::ECS::Service",
            "AWS::ECS::TaskDefinition",
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::SecurityGroupIngress",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::ElasticLoadBalancingV2::ListenerRule",
            "AWS::IAM::Role",
            "AWS::Logs::LogGroup",
            "AWS::S3::Bucket",
            "AWS::S3::BucketPolicy",
        ] {
            assert!(resource_type(t).is_some(), "{t}");
        }
        assert!(type_names().len() > 1500);
        assert!(resource_type("AWS::Nope::Nothing").is_none());
    }

    #[test]
    fn create_only_properties_come_from_the_schema() {
        let queue = resource_type("AWS::SQS::Queue").unwrap();
        assert!(queue.create_only.contains(&"/properties/QueueName".to_string()));
        assert!(queue.is_create_only("/properties/QueueName"));
        assert!(!queue.is_create_only("/properties/DelaySeconds"));
        assert_eq!(queue.tag_property.as_deref(), Some("/properties/Tags"));
    }

    #[test]
    fn resource_paths_are_checked_against_the_properties_tree() {
        assert!(check("AWS::DynamoDB::Table", "Properties.GlobalSecondaryIndexes[0].IndexName").is_ok());
        assert!(check("AWS::DynamoDB::Table", "DeletionPolicy").is_ok());
        let e = check("AWS::DynamoDB::Table", "Properties.GlobalSecondaryIndexs").unwrap_err();
        assert_eq!(e.depth, 1);
        assert!(
            e.message.contains("did you mean \"GlobalSecondaryIndexes\""),
            "{}",
            e.message
        );
        let e = check("AWS::DynamoDB::Table", "Properties.GlobalSecondaryIndexes.IndexName").unwrap_err();
        assert!(e.message.contains("is a list"), "{}", e.message);
        // Free-form documents accept anything below them.
        assert!(check(
            "AWS::IAM::Role",
            "Properties.AssumeRolePolicyDocument.Statement[0].Effect"
        )
        .is_ok());
    }
}
