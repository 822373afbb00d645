//! Item routes: create, read, replace, delete and list.

use axum::extract::State;
use axum::http::header::{ETAG, LOCATION};
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
    HeaderValue::try_from(item.etag().to_string()).unwrap_or(HeaderValue::from_static("\"\""))
}

/// An item response: status, `ETag`, optionally `Location`, and the body.
fn item_response(status: StatusCode, item: Item, with_location: bool) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(ETAG, etag_header(&item));
    if with_location {
        headers.insert(LOCATION, location(&item.id));
    }
    (status, headers, Json(ItemRepresentation::from(item))).into_response()
}

/// `POST /vault/items`: stores a new item under a server-generated id.
pub async fn create(State(state): State<AppState>, JsonDocument(data): JsonDocument) -> Result<Response, ApiError> {
    let id = ItemId::generate();
    // Create-only, so even a (practically impossible) id collision can never
    // overwrite an existing item.
    let written = state
        .store()
        .put(id, data, Preconditions::create_only())
        .await
        .map_err(|e| match e {
            crate::store::StoreError::PreconditionFailed => {
                tracing::error!("generated item id collided with an existing item");
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
    JsonDocument(data): JsonDocument,
) -> Result<Response, ApiError> {
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
    state.store().delete(id, preconditions).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /vault/items?limit=N&cursor=C`: one page in stable id order.
pub async fn list(State(state): State<AppState>, query: ListQuery) -> Result<Json<ItemPage>, ApiError> {
    let page = state.store().list(query.cursor, query.limit).await?;
    Ok(Json(ItemPage {
        items: page.items.into_iter().map(ItemRepresentation::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}
