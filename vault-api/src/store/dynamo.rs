//! The DynamoDB store.
//!
//! Layout: one item per vault item, keyed by [`crate::table::PARTITION_KEY`],
//! with the document kept as JSON text in `data` (lossless: DynamoDB maps
//! would reorder keys and round numbers). Every write is a single
//! `UpdateItem`/`DeleteItem` whose `ConditionExpression` encodes the request's
//! preconditions, so version checks are atomic in DynamoDB itself.
//! Listing is a consistent `Scan` resumed from an `ExclusiveStartKey` taken
//! from the cursor, so pages come in DynamoDB's hash order, not id order.
//!
//! Retried writes: when a write's response is lost or late, the SDK sends the
//! same request again, and the retry meets the item the first attempt already
//! wrote. Every write therefore carries a token, its new revision, and the
//! item keeps the revisions of its last [`REVISION_HISTORY`] writes. A write
//! is conditional on its token not being among them, asks for the current
//! item when its condition fails (`ReturnValuesOnConditionCheckFailure=
//! ALL_OLD`), and recognises its own token there: then an earlier attempt was
//! applied, and the answer describes that write. When a condition fails
//! after an attempt whose outcome is unknown (no response, or a 5xx) and the
//! token is not found, the answer is `Unavailable` (503, outcome unknown)
//! rather than a 404/412 that might be false.

use std::collections::HashMap;
use std::time::Duration;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
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
    /// The revisions of the previous writes, newest first (see
    /// [`super::REVISION_HISTORY`]): how a retried write recognises that an
    /// earlier attempt of it was applied even after a few later writes.
    pub const PREVIOUS_REVISIONS: [&str; 3] = ["revision_1", "revision_2", "revision_3"];
}

/// How many recent write tokens (revisions) an item keeps: its own and the
/// three before. A retried write recognises itself as long as fewer than this
/// many writes to the same item landed between its attempts (a few seconds).
pub const REVISION_HISTORY: usize = 1 + attr::PREVIOUS_REVISIONS.len();

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

/// Timeout of a whole DynamoDB operation, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);

/// Timeouts for every DynamoDB call: fail fast when the endpoint is
/// unreachable (2 s to connect, `attempt` per attempt, 3 s by default:
/// DynamoDB answers in milliseconds, so an attempt that takes seconds is
/// stuck) and give up on an operation after 8 s in all, inside the service's
/// 10 s request timeout, so clients see a clean 503 instead of a cut
/// connection. An attempt that times out may still have been applied; see the
/// module documentation for how writes stay truthful when it is retried.
pub fn timeout_config(attempt: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(attempt.min(OPERATION_TIMEOUT))
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Builds a client from the standard AWS chain: region and credentials from
/// the environment, profile or task role, and `AWS_ENDPOINT_URL` (or
/// `AWS_ENDPOINT_URL_DYNAMODB`) to point at a local emulator; `attempt` is the
/// per-attempt timeout (see [`timeout_config`]).
pub async fn client_from_environment(attempt: Duration) -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config(attempt))
        .load()
        .await;
    Client::new(&config)
}

/// Records, across the attempts of one operation, whether any attempt ended
/// without a definite "not applied": no response (timeout, connection
/// error), a 5xx, or a response that could not be read. Only a modelled 4xx
/// error proves that DynamoDB did not apply an attempt.
#[derive(Debug, Clone, Default)]
struct AttemptLog {
    outcome_unknown: Arc<AtomicBool>,
}

impl AttemptLog {
    fn some_attempt_may_have_been_applied(&self) -> bool {
        self.outcome_unknown.load(Ordering::SeqCst)
    }
}

impl Intercept for AttemptLog {
    fn name(&self) -> &'static str {
        "vault-api attempt log"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let definite = match context.output_or_error() {
            Some(Ok(_)) => true,
            Some(Err(e)) => e.is_operation_error() && context.response().is_some_and(|r| r.status().is_client_error()),
            None => false,
        };
        if !definite {
            self.outcome_unknown.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// The error for a failed condition after an attempt whose outcome is
/// unknown: a 404 or 412 might be false, because that attempt may have been
/// the one that changed the item.
fn outcome_unknown(operation: &str, id: &ItemId) -> StoreError {
    StoreError::Unavailable(format!(
        "{operation} of {id}: the condition failed on a retry after an attempt with an unknown outcome; \
         the earlier attempt may have been applied"
    ))
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

/// If `current` (the item as it is now) carries `token` among its recent
/// revisions, an earlier attempt of this write was applied: returns the item
/// as that write left it (`k` writes ago, the version is `k` lower; the data
/// and timestamp are this write's own).
fn own_write(
    current: &HashMap<String, AttributeValue>,
    token: &str,
    id: &ItemId,
    data: Box<RawValue>,
    now: &str,
) -> Option<Result<Written, StoreError>> {
    let k = std::iter::once(attr::REVISION)
        .chain(attr::PREVIOUS_REVISIONS)
        .position(|name| matches!(current.get(name), Some(AttributeValue::S(t)) if t == token))?;
    Some(decode_item(current).and_then(|now_item| {
        let version = now_item
            .version
            .checked_sub(k as u64)
            .filter(|v| *v >= 1)
            .ok_or_else(|| StoreError::Unavailable(format!("item {id}: revision history inconsistent with version")))?;
        let created_at = if version == 1 {
            now.to_owned()
        } else {
            now_item.created_at
        };
        Ok(Written {
            created: version == 1,
            item: Item {
                id: id.clone(),
                version,
                revision: token.to_owned(),
                created_at,
                updated_at: now.to_owned(),
                data,
            },
        })
    }))
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
            a if a == attr::PREVIOUS_REVISIONS[0] => "#r1",
            a if a == attr::PREVIOUS_REVISIONS[1] => "#r2",
            a if a == attr::PREVIOUS_REVISIONS[2] => "#r3",
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

    /// `NOT (revision = t OR revision_1 = t OR …)`: the write with token `t`
    /// has not been applied yet (as far as the history reaches). Missing
    /// attributes compare unequal, so a new item passes.
    fn not_yet_written(&mut self, token: &str) -> String {
        let t = self.value(AttributeValue::S(token.to_owned()));
        let names: Vec<String> = std::iter::once(attr::REVISION)
            .chain(attr::PREVIOUS_REVISIONS)
            .map(|a| self.name(a))
            .collect();
        let tests: Vec<String> = names.iter().map(|n| format!("{n} = {t}")).collect();
        format!("NOT ({})", tests.join(" OR "))
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
            // The new revision doubles as this write's token (module docs).
            let token = new_revision();
            let now = now_timestamp();
            let mut expr = Expression::default();
            let now_value = expr.value(AttributeValue::S(now.clone()));
            let zero = expr.value(AttributeValue::N("0".into()));
            let one = expr.value(AttributeValue::N("1".into()));
            let none = expr.value(AttributeValue::S(String::new()));
            let revision = expr.value(AttributeValue::S(token.clone()));
            let data_value = expr.value(AttributeValue::S(data.get().to_owned()));
            let (d, u, r, c, v) = (
                expr.name(attr::DATA),
                expr.name(attr::UPDATED_AT),
                expr.name(attr::REVISION),
                expr.name(attr::CREATED_AT),
                expr.name(attr::VERSION),
            );
            let [r1, r2, r3] = attr::PREVIOUS_REVISIONS.map(|a| expr.name(a));
            // Version and creation time are derived inside DynamoDB from the
            // stored item, so no read is needed and no writer can interleave.
            // The revision history shifts by one; DynamoDB evaluates every
            // action against the item as it was before the update (the order
            // here, oldest first, also suits emulators that apply in order).
            let update = format!(
                "SET {d} = {data_value}, {u} = {now_value}, \
                 {r3} = if_not_exists({r2}, {none}), {r2} = if_not_exists({r1}, {none}), \
                 {r1} = if_not_exists({r}, {none}), {r} = {revision}, \
                 {c} = if_not_exists({c}, {now_value}), {v} = if_not_exists({v}, {zero}) + {one}"
            );
            let not_yet_written = expr.not_yet_written(&token);
            let condition = match expr.condition(&preconditions) {
                Some(user) => format!("{user} AND {not_yet_written}"),
                None => not_yet_written,
            };
            let attempts = AttemptLog::default();
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(id.as_str())))
                .update_expression(update)
                .condition_expression(condition)
                .set_expression_attribute_names(Some(expr.names))
                .set_expression_attribute_values(Some(expr.values))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .customize()
                .interceptor(attempts.clone())
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
                Err(e) => match e.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                        let current = failed.item().filter(|item| !item.is_empty());
                        if let Some(written) = current
                            .and_then(|c| own_write(c, &token, &id, data, &now))
                            .transpose()?
                        {
                            return Ok(written);
                        }
                        if attempts.some_attempt_may_have_been_applied() {
                            return Err(outcome_unknown("PUT", &id));
                        }
                        Err(StoreError::PreconditionFailed)
                    }
                    _ => Err(StoreError::Unavailable(describe(&e))),
                },
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
            let attempts = AttemptLog::default();
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
                .customize()
                .interceptor(attempts.clone())
                .send()
                .await;
            match result {
                Ok(_) => Ok(()),
                Err(e) => match e.as_service_error() {
                    Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                        // A delete leaves nothing to recognise it by: after an
                        // attempt with an unknown outcome, "gone" may be our
                        // own doing, and "there" may be a re-creation.
                        if attempts.some_attempt_may_have_been_applied() {
                            return Err(outcome_unknown("DELETE", &id));
                        }
                        let existed = failed.item().is_some_and(|item| !item.is_empty());
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
