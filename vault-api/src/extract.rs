//! Request extractors that turn malformed input into [`ApiError`]s with the
//! right status instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::{CONTENT_TYPE, IF_MATCH, IF_NONE_MATCH};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::ApiError;
use crate::item::{EtagMatch, ItemId, Preconditions};
use crate::store::Cursor;
use crate::AppState;

/// A JSON object from a request body with a JSON content type, within the
/// body-size limit.
pub struct JsonDocument(pub Box<RawValue>);

/// True for `application/json` and `application/<anything>+json`, with any
/// parameters (such as `charset`).
fn is_json_media_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

impl FromRequest<AppState> for JsonDocument {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_json_media_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit = state.limits().body_limit_bytes;
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit }
            } else {
                // The client went away or sent a broken body.
                ApiError::InvalidJson("could not read the request body".into())
            }
        })?;
        let raw: Box<RawValue> = serde_json::from_slice(&bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        if !raw.get().starts_with('{') {
            return Err(ApiError::InvalidDocument);
        }
        Ok(JsonDocument(raw))
    }
}

/// The `{id}` path segment, validated.
pub struct ItemIdPath(pub ItemId);

impl<S: Send + Sync> FromRequestParts<S> for ItemIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::InvalidId)?;
        ItemId::parse(&raw).map(ItemIdPath).map_err(|_| ApiError::InvalidId)
    }
}

/// `If-Match` / `If-None-Match` of a request.
pub struct Conditional(pub Preconditions);

fn header_match(
    headers: &HeaderMap,
    name: axum::http::HeaderName,
    label: &'static str,
    strong: bool,
) -> Result<Option<EtagMatch>, ApiError> {
    let mut values = headers.get_all(&name).iter().peekable();
    if values.peek().is_none() {
        return Ok(None);
    }
    // Several header lines are one comma-separated list (RFC 9110 §5.3).
    let joined = values.map(|v| v.as_bytes()).collect::<Vec<_>>().join(&b","[..]);
    EtagMatch::parse(&joined, strong)
        .map(Some)
        .map_err(|_| ApiError::InvalidHeader(label))
}

impl<S: Send + Sync> FromRequestParts<S> for Conditional {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Conditional(Preconditions {
            if_match: header_match(&parts.headers, IF_MATCH, "If-Match", true)?,
            if_none_match: header_match(&parts.headers, IF_NONE_MATCH, "If-None-Match", false)?,
        }))
    }
}

/// Default page size of `GET /vault/items`: enough for a screenful, small
/// enough to answer quickly.
pub const DEFAULT_PAGE_LIMIT: usize = 50;

/// Largest page size a client may ask for, bounding response size and the
/// DynamoDB read capacity one request can consume.
pub const MAX_PAGE_LIMIT: usize = 1000;

#[derive(Deserialize)]
struct RawListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

/// The validated query of `GET /vault/items`.
pub struct ListQuery {
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Query(raw) = Query::<RawListQuery>::try_from_uri(&parts.uri)
            .map_err(|_| ApiError::InvalidQuery("malformed query string".into()))?;
        let limit = match raw.limit.as_deref() {
            None => DEFAULT_PAGE_LIMIT,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::InvalidQuery(format!(
                        "limit must be an integer from 1 to {MAX_PAGE_LIMIT}"
                    )))
                }
            },
        };
        let cursor = match raw.cursor.as_deref() {
            None => None,
            Some(text) => Some(
                Cursor::decode(text)
                    .map_err(|_| ApiError::InvalidQuery("cursor is not one this service issued".into()))?,
            ),
        };
        Ok(ListQuery { limit, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_content_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn json_media_types_are_recognised() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
            "application/vnd.example+JSON",
        ] {
            assert!(is_json_media_type(&with_content_type(ok)), "{ok}");
        }
        for bad in ["text/json", "application/jsonx", "text/plain", "application", ""] {
            assert!(!is_json_media_type(&with_content_type(bad)), "{bad}");
        }
        assert!(!is_json_media_type(&HeaderMap::new()));
    }

    #[test]
    fn raw_documents_exclude_surrounding_whitespace() {
        // The object check looks at the first byte of the raw value.
        let raw: Box<RawValue> = serde_json::from_slice(b" \n\t {\"a\": 1} \n").unwrap();
        assert!(raw.get().starts_with('{'));
    }
}
