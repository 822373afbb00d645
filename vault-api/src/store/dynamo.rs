//! The DynamoDB store.
//!
//! Layout: one item per vault item, keyed by [`crate::table::PARTITION_KEY`],
//! with the document kept as JSON text in `data` (lossless: DynamoDB maps
//! would reorder keys and round numbers). Every write is a single
//! `UpdateItem`/`DeleteItem` whose `ConditionExpression` encodes the request's
//! preconditions, so version checks are atomic in DynamoDB itself.
//! Listing is a consistent `Scan` resumed from an `ExclusiveStartKey` taken
//! from the cursor.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use serde_json::value::RawValue;

use super::{Cursor, Page, PageBuilder, Store, StoreError, StoreFuture, Written};
use crate::item::{new_revision, now_timestamp, EtagMatch, Item, ItemId, Preconditions};
use crate::table;

/// Attribute names of the non-key attributes.
mod attr {
    pub const VERSION: &str = "version";
    pub const REVISION: &str = "revision";
    pub const CREATED_AT: &str = "created_at";
    pub const UPDATED_AT: &str = "updated_at";
    pub const DATA: &str = "data";
}

/// Key used by readiness probes. It contains `#`, which item ids cannot, so
/// it never names a real item.
const READINESS_PROBE_KEY: &str = "#readiness-probe";

/// Retry policy for every DynamoDB call: the SDK's standard mode retries
/// throttling and transient errors with jittered exponential backoff. Five
/// attempts from 50 ms up to 2 s ride out a burst of throttling without
/// holding a request past the service's own request timeout.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_secs(2))
}

/// Timeouts for every DynamoDB call: fail fast when the endpoint is
/// unreachable (2 s to connect, 3 s per attempt) and give up on an operation
/// after 8 s in all, inside the service's 10 s request timeout, so clients see
/// a clean 503 instead of a cut connection.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build()
}

/// Builds a client from the standard AWS chain: region and credentials from
/// the environment, profile or task role, and `AWS_ENDPOINT_URL` (or
/// `AWS_ENDPOINT_URL_DYNAMODB`) to point at a local emulator.
pub async fn client_from_environment() -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .load()
        .await;
    Client::new(&config)
}

fn describe<E: std::error::Error + 'static, R: std::fmt::Debug>(err: &SdkError<E, R>) -> String {
    DisplayErrorContext(err).to_string()
}

/// Item storage in a DynamoDB table.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store on `table`, using `client` (see [`client_from_environment`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn key(id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([(table::PARTITION_KEY.to_owned(), AttributeValue::S(id.to_owned()))])
}

fn string_attr<'a>(raw: &'a HashMap<String, AttributeValue>, name: &str) -> Result<&'a str, StoreError> {
    match raw.get(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        _ => Err(StoreError::Unavailable(format!(
            "item attribute {name:?} missing or not a string"
        ))),
    }
}

fn decode_item(raw: &HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    let id = string_attr(raw, table::PARTITION_KEY)?;
    let id = ItemId::parse(id).map_err(|_| StoreError::Unavailable(format!("stored id {id:?} is not a valid id")))?;
    let version = match raw.get(attr::VERSION) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| StoreError::Unavailable(format!("item {id}: bad version attribute")))?;
    let data = RawValue::from_string(string_attr(raw, attr::DATA)?.to_owned())
        .map_err(|e| StoreError::Unavailable(format!("item {id}: stored data is not JSON: {e}")))?;
    Ok(Item {
        version,
        revision: string_attr(raw, attr::REVISION)?.to_owned(),
        created_at: string_attr(raw, attr::CREATED_AT)?.to_owned(),
        updated_at: string_attr(raw, attr::UPDATED_AT)?.to_owned(),
        data,
        id,
    })
}

/// Accumulates expression attribute names and values, adding each name only
/// when used (DynamoDB rejects unused placeholders).
#[derive(Default)]
struct Expression {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    fn name(&mut self, attribute: &str) -> String {
        let placeholder = match attribute {
            a if a == table::PARTITION_KEY => "#id",
            attr::VERSION => "#v",
            attr::REVISION => "#r",
            attr::CREATED_AT => "#c",
            attr::UPDATED_AT => "#u",
            _ => "#d",
        };
        self.names.insert(placeholder.to_owned(), attribute.to_owned());
        placeholder.to_owned()
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":x{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// `(version = a AND revision = b) OR …` for the listed tags; a condition
    /// that is always false for an empty list.
    fn matches_any_tag(&mut self, tags: &EtagMatch) -> String {
        match tags {
            EtagMatch::Any => {
                let id = self.name(table::PARTITION_KEY);
                format!("attribute_exists({id})")
            }
            EtagMatch::Tags(tags) if tags.is_empty() => {
                let id = self.name(table::PARTITION_KEY);
                format!("(attribute_exists({id}) AND attribute_not_exists({id}))")
            }
            EtagMatch::Tags(tags) => {
                let version = self.name(attr::VERSION);
                let revision = self.name(attr::REVISION);
                let alternatives: Vec<String> = tags
                    .iter()
                    .map(|tag| {
                        let v = self.value(AttributeValue::N(tag.version.to_string()));
                        let r = self.value(AttributeValue::S(tag.revision.clone()));
                        format!("({version} = {v} AND {revision} = {r})")
                    })
                    .collect();
                // DynamoDB rejects doubled parentheses, so wrap only a list.
                match alternatives.as_slice() {
                    [single] => single.clone(),
                    _ => format!("({})", alternatives.join(" OR ")),
                }
            }
        }
    }

    /// The condition expression for `preconditions`, if there is any.
    fn condition(&mut self, preconditions: &Preconditions) -> Option<String> {
        let mut clauses = Vec::new();
        if let Some(m) = &preconditions.if_match {
            clauses.push(self.matches_any_tag(m));
        }
        match &preconditions.if_none_match {
            None => {}
            Some(EtagMatch::Tags(tags)) if tags.is_empty() => {}
            Some(EtagMatch::Any) => {
                let id = self.name(table::PARTITION_KEY);
                clauses.push(format!("attribute_not_exists({id})"));
            }
            Some(m) => {
                let id = self.name(table::PARTITION_KEY);
                let matched = self.matches_any_tag(m);
                clauses.push(format!("(attribute_not_exists({id}) OR NOT {matched})"));
            }
        }
        (!clauses.is_empty()).then(|| clauses.join(" AND "))
    }
}

impl Store for DynamoStore {
    fn get(&self, id: ItemId) -> StoreFuture<'_, Option<Item>> {
        Box::pin(async move {
            let output = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key(id.as_str())))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| StoreError::Unavailable(describe(&e)))?;
            output.item().map(decode_item).transpose()
        })
    }

    fn put(&self, id: ItemId, data: Box<RawValue>, preconditions: Preconditions) -> StoreFuture<'_, Written> {
        Box::pin(async move {
            let mut expr = Expression::default();
            let now = expr.value(AttributeValue::S(now_timestamp()));
            let zero = expr.value(AttributeValue::N("0".into()));
            let one = expr.value(AttributeValue::N("1".into()));
            let revision = expr.value(AttributeValue::S(new_revision()));
            let data = expr.value(AttributeValue::S(data.get().to_owned()));
            let (d, u, r, c, v) = (
                expr.name(attr::DATA),
                expr.name(attr::UPDATED_AT),
                expr.name(attr::REVISION),
                expr.name(attr::CREATED_AT),
                expr.name(attr::VERSION),
            );
            // Version and creation time are derived inside DynamoDB from the
            // stored item, so no read is needed and no writer can interleave.
            let update = format!(
                "SET {d} = {data}, {u} = {now}, {r} = {revision}, \
                 {c} = if_not_exists({c}, {now}), {v} = if_not_exists({v}, {zero}) + {one}"
            );
            let condition = expr.condition(&preconditions);
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(id.as_str())))
                .update_expression(update)
                .set_condition_expression(condition)
                .set_expression_attribute_names(Some(expr.names))
                .set_expression_attribute_values(Some(expr.values))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match result {
                Ok(output) => {
                    let attributes = output
                        .attributes()
                        .ok_or_else(|| StoreError::Unavailable("UpdateItem returned no attributes".into()))?;
                    let item = decode_item(attributes)?;
                    Ok(Written {
                        created: item.version == 1,
                        item,
                    })
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Err(StoreError::PreconditionFailed)
                }
                Err(e) => Err(StoreError::Unavailable(describe(&e))),
            }
        })
    }

    fn delete(&self, id: ItemId, preconditions: Preconditions) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut expr = Expression::default();
            let id_name = expr.name(table::PARTITION_KEY);
            let mut condition = format!("attribute_exists({id_name})");
            if let Some(more) = expr.condition(&preconditions) {
                condition = format!("{condition} AND {more}");
            }
            let result = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(id.as_str())))
                .condition_expression(condition)
                .set_expression_attribute_names(Some(expr.names))
                .set_expression_attribute_values((!expr.values.is_empty()).then_some(expr.values))
                // On failure, DynamoDB tells us whether the item existed: 404 vs 412.
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .send()
                .await;
            match result {
                Ok(_) => Ok(()),
                Err(e) => match e.as_service_error() {
                    Some(service) if service.is_conditional_check_failed_exception() => {
                        let existed = match service {
                            aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(ccf) => {
                                ccf.item().is_some_and(|item| !item.is_empty())
                            }
                            _ => false,
                        };
                        Err(if existed {
                            StoreError::PreconditionFailed
                        } else {
                            StoreError::NotFound
                        })
                    }
                    _ => Err(StoreError::Unavailable(describe(&e))),
                },
            }
        })
    }

    fn list(&self, cursor: Option<Cursor>, limit: usize) -> StoreFuture<'_, Page> {
        Box::pin(async move {
            let mut page = PageBuilder::new(limit);
            let mut start = cursor.map(|c| key(c.last_id().as_str()));
            'scan: loop {
                // One more than still fits tells whether anything is left.
                let wanted = (limit + 1).saturating_sub(page.len()).max(1);
                let output = self
                    .client
                    .scan()
                    .table_name(&self.table)
                    .consistent_read(true)
                    .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| StoreError::Unavailable(describe(&e)))?;
                for raw in output.items() {
                    if !page.offer(decode_item(raw)?) {
                        break 'scan;
                    }
                }
                match output.last_evaluated_key() {
                    Some(next) => start = Some(next.clone()),
                    None => break,
                }
            }
            Ok(page.finish())
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key(READINESS_PROBE_KEY)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| StoreError::Unavailable(describe(&e)))
        })
    }

    fn kind(&self) -> &'static str {
        "dynamodb"
    }
}

/// What `create-table` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateTableOutcome {
    Created,
    AlreadyExisted,
}

/// Creates `table_name` with the key schema and billing mode from
/// [`crate::table`] (the same constants the stack deploys) and waits until it
/// is active. An existing table is left alone.
pub async fn create_table(client: &Client, table_name: &str) -> Result<CreateTableOutcome, String> {
    let key_schema = KeySchemaElement::builder()
        .attribute_name(table::PARTITION_KEY)
        .key_type(KeyType::Hash)
        .build()
        .map_err(|e| e.to_string())?;
    let attribute = AttributeDefinition::builder()
        .attribute_name(table::PARTITION_KEY)
        .attribute_type(ScalarAttributeType::from(table::PARTITION_KEY_TYPE))
        .build()
        .map_err(|e| e.to_string())?;
    let outcome = match client
        .create_table()
        .table_name(table_name)
        .key_schema(key_schema)
        .attribute_definitions(attribute)
        .billing_mode(BillingMode::from(table::BILLING_MODE))
        .send()
        .await
    {
        Ok(_) => CreateTableOutcome::Created,
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateTableError::is_resource_in_use_exception) =>
        {
            CreateTableOutcome::AlreadyExisted
        }
        Err(e) => return Err(describe(&e)),
    };
    client
        .wait_until_table_exists()
        .table_name(table_name)
        .wait(Duration::from_secs(120))
        .await
        .map_err(|e| DisplayErrorContext(e).to_string())?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Etag;

    #[test]
    fn unconditional_writes_have_no_condition() {
        let mut expr = Expression::default();
        assert_eq!(expr.condition(&Preconditions::default()), None);
        assert!(expr.names.is_empty() && expr.values.is_empty());
    }

    #[test]
    fn if_match_compares_version_and_revision() {
        let mut expr = Expression::default();
        let pre = Preconditions {
            if_match: Some(EtagMatch::Tags(vec![Etag {
                version: 3,
                revision: "00112233445566ff".into(),
            }])),
            if_none_match: None,
        };
        assert_eq!(expr.condition(&pre).unwrap(), "(#v = :x0 AND #r = :x1)");
        assert_eq!(expr.values[":x0"], AttributeValue::N("3".into()));
    }

    /// True for `((x))`: a pair wrapping exactly another pair, which DynamoDB
    /// rejects as "redundant parentheses".
    fn has_doubled_parentheses(expression: &str) -> bool {
        let bytes = expression.as_bytes();
        let mut open = Vec::new();
        let mut pairs = std::collections::HashMap::new();
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'(' => open.push(i),
                b')' => {
                    pairs.insert(open.pop().expect("balanced"), i);
                }
                _ => {}
            }
        }
        assert!(open.is_empty(), "unbalanced: {expression}");
        pairs
            .iter()
            .any(|(&start, &end)| pairs.get(&(start + 1)) == Some(&(end - 1)))
    }

    #[test]
    fn doubled_parentheses_are_detected() {
        assert!(has_doubled_parentheses("((a AND b))"));
        assert!(!has_doubled_parentheses("NOT ((a) OR (b))"));
    }

    #[test]
    fn expressions_never_double_their_parentheses() {
        let tag = |v| Etag {
            version: v,
            revision: "00112233445566ff".into(),
        };
        let lists = [vec![], vec![tag(1)], vec![tag(1), tag(2)]];
        for if_match in lists
            .iter()
            .map(|t| Some(EtagMatch::Tags(t.clone())))
            .chain([None, Some(EtagMatch::Any)])
        {
            for if_none_match in lists
                .iter()
                .map(|t| Some(EtagMatch::Tags(t.clone())))
                .chain([None, Some(EtagMatch::Any)])
            {
                let pre = Preconditions {
                    if_match: if_match.clone(),
                    if_none_match,
                };
                let condition = Expression::default().condition(&pre).unwrap_or_default();
                assert!(!has_doubled_parentheses(&condition), "{condition}");
            }
        }
    }

    #[test]
    fn create_only_requires_absence() {
        let mut expr = Expression::default();
        assert_eq!(
            expr.condition(&Preconditions::create_only()).unwrap(),
            "attribute_not_exists(#id)"
        );
        assert_eq!(expr.names["#id"], table::PARTITION_KEY);
    }
}
