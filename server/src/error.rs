//! The REST layer's one error type. Internals go to the log; users get a code, a clear
//! message and, for server faults, a reference id to quote.

use abetworks::error::FieldIssue;
use abetworks::error_logs::ErrorKind;
use abetworks::CoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in to continue")]
    Unauthenticated,
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the input is invalid")]
    Validation(Vec<FieldIssue>),
    #[error("{message}")]
    TooManyRequests {
        code: &'static str,
        message: String,
        retry_after_secs: Option<u64>,
        details: Map<String, Value>,
    },
    #[error("{message}")]
    Upstream {
        status: StatusCode,
        code: &'static str,
        message: String,
        details: Map<String, Value>,
    },
    #[error("internal error: {detail}")]
    Internal { detail: String, kind: ErrorKind },
}

impl ApiError {
    /// A fault of our own; logged to `error_logs` by the middleware, shown with a reference.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal {
            detail: detail.into(),
            kind: ErrorKind::Internal,
        }
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Upstream { status, .. } => *status,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::TooManyRequests { code, .. }
            | Self::Upstream { code, .. } => code,
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::BadRequest(_) => "BAD_REQUEST",
            Self::Validation(_) => "VALIDATION_FAILED",
            Self::Internal { .. } => "INTERNAL_ERROR",
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::NotFound { entity } => Self::NotFound(entity.to_owned()),
            CoreError::Conflict(message) => Self::Conflict(message),
            CoreError::Invalid { field, message } => {
                Self::Validation(vec![FieldIssue { field, message }])
            }
            CoreError::Validation(issues) => Self::Validation(issues),
            CoreError::Forbidden(message) => Self::forbidden("FORBIDDEN", message),
            other => Self::Internal {
                kind: ErrorKind::of_core_error(&other),
                detail: other.to_string(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code()));
        let mut retry_after = None;
        match &self {
            Self::Internal { .. } => {
                // The error-log middleware writes the row and adds its id as `referenceId`.
                error.insert("message".into(), json!(INTERNAL_MESSAGE));
            }
            Self::Validation(issues) => {
                let summary = issues
                    .iter()
                    .map(|i| format!("{}: {}", i.field, i.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                error.insert("message".into(), json!(summary));
                error.insert("fields".into(), json!(issues));
            }
            Self::TooManyRequests {
                retry_after_secs,
                details,
                ..
            } => {
                error.insert("message".into(), json!(self.to_string()));
                error.extend(details.clone());
                retry_after = *retry_after_secs;
            }
            Self::Upstream { details, .. } => {
                error.insert("message".into(), json!(self.to_string()));
                error.extend(details.clone());
            }
            _ => {
                error.insert("message".into(), json!(self.to_string()));
            }
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if let Some(secs) = retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if let Self::Internal { detail, kind } = self {
            response.extensions_mut().insert(InternalFailure {
                detail,
                kind,
                backtrace: std::backtrace::Backtrace::force_capture().to_string(),
            });
        }
        response
    }
}

/// What users read for any fault of ours; the details stay in the log.
pub const INTERNAL_MESSAGE: &str =
    "Something went wrong on our side. Quote the reference if it persists.";

/// A 5xx of our own, carried to the error-log middleware on the response.
#[derive(Clone, Debug)]
pub struct InternalFailure {
    pub detail: String,
    pub kind: ErrorKind,
    pub backtrace: String,
}
