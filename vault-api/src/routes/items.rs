//! Item routes: create, read, replace, delete and list.

use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, ETAG, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::ApiError;
use crate::extract::{Conditional, ItemIdPath, JsonDocument, ListQuery};
use crate::item::{EtagMatch, Item, ItemId, Preconditions};
use crate::representation::{ItemPage, ItemRepresentation};
use crate::store::Written;
use crate::AppState;

fn location(id: &ItemId) -> HeaderValue {
    // Ids are restricted to URL-safe ASCII, so this never fails.
    HeaderValue::try_from(format!("{}/{}", super::ITEMS_PATH, id))
        .unwrap_or(HeaderValue::from_static(super::ITEMS_PATH))
}

fn etag_header(item: &Item) -> HeaderValue {
    let text = crate::item::EtagText {
        version: item.version,
        revision: &item.revision,
    };
    HeaderValue::try_from(text.to_string()).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Room for an item's fields besides its document in the JSON body.
const ITEM_JSON_OVERHEAD: usize = 256;

/// An item response: status, `ETag`, optionally `Location`, and the body
/// (serialized into a buffer sized for it up front).
fn item_response(status: StatusCode, item: Item, with_location: bool) -> Response {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ETAG, etag_header(&item));
    if with_location {
        headers.insert(LOCATION, location(&item.id));
    }
    let mut body = Vec::with_capacity(item.data.get().len() + ITEM_JSON_OVERHEAD);
    if let Err(e) = serde_json::to_writer(&mut body, &ItemRepresentation::from(item)) {
        tracing::error!(error = %e, request_id = %crate::middleware::current_request_id(), "serializing an item");
        return ApiError::Internal.into_response();
    }
    (status, headers, body).into_response()
}

/// `POST /vault/items`: stores a new item under a server-generated id.
pub async fn create(State(state): State<AppState>, document: JsonDocument) -> Result<Response, ApiError> {
    let JsonDocument { data, budget: _budget } = document;
    let _permit = state.storage_permit().await?;
    let id = ItemId::generate();
    // Create-only, so even a (practically impossible) id collision can never
    // overwrite an existing item.
    let written = state
        .store()
        .put(id, data, Preconditions::create_only())
        .await
        .map_err(|e| match e {
            crate::store::StoreError::PreconditionFailed => {
                tracing::error!(
                    request_id = %crate::middleware::current_request_id(),
                    "generated item id collided with an existing item"
                );
                ApiError::Internal
            }
            other => other.into(),
        })?;
    Ok(item_response(StatusCode::CREATED, written.item, true))
}

/// `GET /vault/items/{id}`. Honours `If-None-Match` with 304.
pub async fn read(
    State(state): State<AppState>,
    ItemIdPath(id): ItemIdPath,
    Conditional(preconditions): Conditional,
) -> Result<Response, ApiError> {
    let _permit = state.storage_permit().await?;
    let item = state.store().get(id).await?.ok_or(ApiError::NotFound)?;
    if let Some(m) = &preconditions.if_none_match {
        let matched = match m {
            EtagMatch::Any => true,
            EtagMatch::Tags(tags) => tags.contains(&item.etag()),
        };
        if matched {
            return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag_header(&item))]).into_response());
        }
    }
    Ok(item_response(StatusCode::OK, item, false))
}

/// `PUT /vault/items/{id}`: creates (201) or replaces (200), subject to
/// `If-Match` / `If-None-Match`.
pub async fn replace(
    State(state): State<AppState>,
    ItemIdPath(id): ItemIdPath,
    Conditional(preconditions): Conditional,
    document: JsonDocument,
) -> Result<Response, ApiError> {
    let JsonDocument { data, budget: _budget } = document;
    let _permit = state.storage_permit().await?;
    let Written { item, created } = state.store().put(id, data, preconditions).await?;
    Ok(if created {
        item_response(StatusCode::CREATED, item, true)
    } else {
        item_response(StatusCode::OK, item, false)
    })
}

/// `DELETE /vault/items/{id}`, subject to `If-Match`.
pub async fn delete(
    State(state): State<AppState>,
    ItemIdPath(id): ItemIdPath,
    Conditional(preconditions): Conditional,
) -> Result<StatusCode, ApiError> {
    let _permit = state.storage_permit().await?;
    state.store().delete(id, preconditions).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /vault/items?limit=N&cursor=C`: one page in the store's stable
/// order (id order on the embedded store, hash order on DynamoDB).
pub async fn list(State(state): State<AppState>, query: ListQuery) -> Result<Json<ItemPage>, ApiError> {
    let _permit = state.storage_permit().await?;
    let page = state.store().list(query.cursor, query.limit).await?;
    Ok(Json(ItemPage {
        items: page.items.into_iter().map(ItemRepresentation::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}
