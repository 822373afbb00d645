//! Errors as clients see them: `{"error":{"code","message"}}` with the right
//! status. Messages are written here, never copied from internal errors, so no
//! storage or library detail reaches a client; internal detail is logged.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// Machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    InvalidDocument,
    DocumentTooDeep,
    InvalidId,
    InvalidQuery,
    InvalidHeader,
    /// The request could not be parsed as HTTP (answered by the HTTP layer).
    BadRequest,
    NotFound,
    MethodNotAllowed,
    BodyTimeout,
    PreconditionFailed,
    PayloadTooLarge,
    UriTooLong,
    UnsupportedMediaType,
    HeadersTooLarge,
    StorageUnavailable,
    ShuttingDown,
    Timeout,
    Internal,
}

/// The error object inside an error response.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// Human-readable explanation, safe to show to end users.
    pub message: String,
}

/// Body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// Everything a request can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not valid JSON; carries the parser's position message,
    /// which describes the client's input only.
    InvalidJson(String),
    /// The body is JSON but not an object.
    InvalidDocument,
    /// The document nests objects and arrays deeper than the limit.
    DocumentTooDeep {
        limit: usize,
    },
    InvalidId,
    /// A query parameter is malformed; says which and why.
    InvalidQuery(String),
    /// A header is malformed; says which.
    InvalidHeader(&'static str),
    /// Not parseable as HTTP; see [`crate::rejections`].
    BadRequest,
    NotFound,
    MethodNotAllowed,
    /// The request body did not arrive within the body read timeout.
    BodyTimeout,
    PreconditionFailed,
    PayloadTooLarge {
        limit: usize,
    },
    /// The request target is longer than the HTTP layer accepts.
    UriTooLong,
    UnsupportedMediaType,
    /// The request head is larger (or has more fields) than the HTTP layer accepts.
    HeadersTooLarge,
    StorageUnavailable,
    /// The process received SIGTERM and is draining (readiness only).
    ShuttingDown,
    Timeout,
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_)
            | ApiError::InvalidDocument
            | ApiError::DocumentTooDeep { .. }
            | ApiError::InvalidId
            | ApiError::InvalidQuery(_)
            | ApiError::InvalidHeader(_)
            | ApiError::BadRequest => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UriTooLong => StatusCode::URI_TOO_LONG,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::StorageUnavailable | ApiError::ShuttingDown | ApiError::Timeout => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::InvalidJson(_) => ErrorCode::InvalidJson,
            ApiError::InvalidDocument => ErrorCode::InvalidDocument,
            ApiError::DocumentTooDeep { .. } => ErrorCode::DocumentTooDeep,
            ApiError::InvalidId => ErrorCode::InvalidId,
            ApiError::InvalidQuery(_) => ErrorCode::InvalidQuery,
            ApiError::InvalidHeader(_) => ErrorCode::InvalidHeader,
            ApiError::BadRequest => ErrorCode::BadRequest,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::BodyTimeout => ErrorCode::BodyTimeout,
            ApiError::PreconditionFailed => ErrorCode::PreconditionFailed,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::UriTooLong => ErrorCode::UriTooLong,
            ApiError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            ApiError::HeadersTooLarge => ErrorCode::HeadersTooLarge,
            ApiError::StorageUnavailable => ErrorCode::StorageUnavailable,
            ApiError::ShuttingDown => ErrorCode::ShuttingDown,
            ApiError::Timeout => ErrorCode::Timeout,
            ApiError::Internal => ErrorCode::Internal,
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::InvalidJson(detail) => format!("request body is not valid JSON: {detail}"),
            ApiError::InvalidDocument => "the document must be a JSON object".into(),
            ApiError::DocumentTooDeep { limit } => {
                format!("the document nests objects and arrays deeper than {limit} levels")
            }
            ApiError::InvalidId => {
                "item ids are 1-128 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots".into()
            }
            ApiError::InvalidQuery(detail) => format!("invalid query: {detail}"),
            ApiError::InvalidHeader(name) => format!("invalid {name} header"),
            ApiError::BadRequest => "the request is not valid HTTP/1.1".into(),
            ApiError::NotFound => "not found".into(),
            ApiError::MethodNotAllowed => "method not allowed for this resource".into(),
            ApiError::BodyTimeout => "the request body did not arrive in time".into(),
            ApiError::PreconditionFailed => {
                "the item's current version does not satisfy the request's preconditions".into()
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("request body exceeds the limit of {limit} bytes")
            }
            ApiError::UriTooLong => "the request target is too long".into(),
            ApiError::UnsupportedMediaType => "request body must have Content-Type: application/json".into(),
            ApiError::HeadersTooLarge => "the request header section is too large or has too many fields".into(),
            ApiError::StorageUnavailable => "storage is unavailable, retry later".into(),
            ApiError::ShuttingDown => "this instance is shutting down".into(),
            ApiError::Timeout => "the request took too long, retry later".into(),
            ApiError::Internal => "internal error".into(),
        }
    }

    /// The response body for this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.message(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::PreconditionFailed => ApiError::PreconditionFailed,
            StoreError::Unavailable(detail) => {
                // The detail goes to the logs, with the request id, never to
                // the client.
                tracing::error!(
                    error = %detail,
                    request_id = %crate::middleware::current_request_id(),
                    "storage operation failed"
                );
                ApiError::StorageUnavailable
            }
        }
    }
}
