//! The JSON bodies the API sends, as Rust types. The OpenAPI document's
//! schemas are generated from these, so the two cannot drift apart.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::item::Item;

/// A JSON object: the document stored in an item.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Document(pub Box<RawValue>);

impl JsonSchema for Document {
    fn schema_name() -> String {
        "Document".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        SchemaObject {
            instance_type: Some(InstanceType::Object.into()),
            metadata: Some(Box::new(schemars::schema::Metadata {
                description: Some("Any JSON object; stored and returned verbatim.".into()),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

fn date_time(_: &mut SchemaGenerator) -> Schema {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: Some("date-time".into()),
        ..Default::default()
    }
    .into()
}

fn item_id(_: &mut SchemaGenerator) -> Schema {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        string: Some(Box::new(schemars::schema::StringValidation {
            min_length: Some(1),
            max_length: Some(crate::item::MAX_ID_LEN as u32),
            pattern: Some(ID_PATTERN.into()),
        })),
        ..Default::default()
    }
    .into()
}

/// The id alphabet as a regular expression, for the OpenAPI document: at
/// least one character that is not a dot. The length (1 to 128) is stated
/// separately as `minLength`/`maxLength`.
pub const ID_PATTERN: &str = "^[A-Za-z0-9._-]*[A-Za-z0-9_-][A-Za-z0-9._-]*$";

/// An item as the API returns it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Item")]
pub struct ItemRepresentation {
    #[schemars(schema_with = "item_id")]
    pub id: String,
    /// Number of writes since creation; 1 for a new item.
    #[schemars(range(min = 1))]
    pub version: u64,
    #[schemars(schema_with = "date_time")]
    pub created_at: String,
    #[schemars(schema_with = "date_time")]
    pub updated_at: String,
    pub data: Document,
}

impl From<Item> for ItemRepresentation {
    fn from(item: Item) -> Self {
        Self {
            id: item.id.into_string(),
            version: item.version,
            created_at: item.created_at,
            updated_at: item.updated_at,
            data: Document(item.data),
        }
    }
}

/// One page of `GET /vault/items`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ItemPage {
    pub items: Vec<ItemRepresentation>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Always `ok`.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
}

/// Body of `GET /vault`, the load balancer's health check.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Health<'a> {
    /// Always `vault-api`.
    pub service: &'static str,
    /// The `ApplicationVersion` the task was started with.
    pub version: &'a str,
    pub status: HealthStatus,
}

/// Always `ready`.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadyStatus {
    Ready,
}

/// Body of `GET /vault/ready` when storage is reachable.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Readiness {
    pub status: ReadyStatus,
    /// Which store is configured: `embedded` or `dynamodb`.
    pub storage: &'static str,
}
