//! Request extractors that turn malformed input into [`ApiError`]s with the
//! right status instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, IF_MATCH, IF_NONE_MATCH};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::OwnedSemaphorePermit;

use crate::error::ApiError;
use crate::item::{EtagMatch, ItemId, Preconditions};
use crate::store::Cursor;
use crate::AppState;

/// Deepest nesting of objects and arrays accepted in a document, the
/// top-level object counting as level 1. Deeper documents are refused with
/// 400 `document_too_deep`: they are legal JSON, but common clients cannot
/// read them back (Python's `json` raises `RecursionError` near 1000 levels,
/// and a listing would carry them to every client). 64 is far beyond what
/// real documents use.
pub const MAX_DOCUMENT_DEPTH: usize = 64;

/// A JSON object from a request body with a JSON content type, within the
/// body-size limit and [`MAX_DOCUMENT_DEPTH`].
///
/// The body is read before any storage permit is taken, within the body read
/// timeout, after reserving its size from the body budget (see
/// [`crate::Limits`]). `budget` holds that reservation: keep it alive until
/// the document is no longer needed.
pub struct JsonDocument {
    pub data: Box<RawValue>,
    pub budget: OwnedSemaphorePermit,
}

/// Whether `json` (valid JSON) nests objects and arrays deeper than `max`.
/// A linear scan that skips strings, so it costs no recursion whatever the
/// depth.
pub fn nesting_exceeds(json: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The declared `Content-Length`, if there is one (hyper has already refused
/// malformed or conflicting ones).
fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

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
        let declared = content_length(req.headers());
        if declared.is_some_and(|n| n > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        // A chunked body may be as large as the limit.
        let budget = state.reserve_body_bytes(declared.unwrap_or(limit)).await?;
        let read = tokio::time::timeout(state.limits().body_read_timeout, Bytes::from_request(req, state));
        let bytes = read.await.map_err(|_| ApiError::BodyTimeout)?.map_err(|rejection| {
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
        if nesting_exceeds(raw.get().as_bytes(), MAX_DOCUMENT_DEPTH) {
            return Err(ApiError::DocumentTooDeep {
                limit: MAX_DOCUMENT_DEPTH,
            });
        }
        Ok(JsonDocument { data: raw, budget })
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
    fn nesting_depth_counts_objects_and_arrays_but_not_strings() {
        assert!(!nesting_exceeds(br#"{}"#, 1));
        assert!(nesting_exceeds(br#"{"a":{}}"#, 1));
        assert!(!nesting_exceeds(br#"{"a":{}}"#, 2));
        assert!(nesting_exceeds(br#"{"a":[[]]}"#, 2));
        assert!(!nesting_exceeds(br#"{"a":"[[[[{{{{"}"#, 1));
        assert!(
            !nesting_exceeds(br#"{"a":"\"[[[["}"#, 1),
            "escaped quotes stay inside the string"
        );
        assert!(
            !nesting_exceeds(br#"{"a":"\\","b":{}}"#, 2),
            "an escaped backslash ends the escape"
        );
        assert!(nesting_exceeds(br#"{"a":"\\","b":{"c":[]}}"#, 2));
        assert!(
            !nesting_exceeds(br#"{"a":[],"b":[],"c":{}}"#, 2),
            "siblings do not add up"
        );
    }

    #[test]
    fn raw_documents_exclude_surrounding_whitespace() {
        // The object check looks at the first byte of the raw value.
        let raw: Box<RawValue> = serde_json::from_slice(b" \n\t {\"a\": 1} \n").unwrap();
        assert!(raw.get().starts_with('{'));
    }
}
