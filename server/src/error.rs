//! The REST layer's error: the shared [`ErrorBody`] every surface sends, answered with the
//! status of its code (the one table, `ErrorCode::status`). Faults of our own go to the error
//! log with their backtrace; the caller reads a reference to quote instead.

use abetworks::error::{ErrorBody, ErrorCode, FieldIssue};
use abetworks::error_logs::{kind_of_core_error, ErrorKind};
use abetworks::CoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The `Retry-After` of a call refused because the database cannot be reached.
const DATABASE_RETRY_AFTER_SECS: u64 = 5;

/// Boxed, since it travels in every handler's `Result`.
#[derive(Debug)]
pub struct ApiError(Box<Failure>);

#[derive(Debug)]
struct Failure {
    body: ErrorBody,
    /// Members of the `error` object besides the body's (`limit` and `used` on QUOTA_EXCEEDED).
    details: Map<String, Value>,
    retry_after_secs: Option<u64>,
    /// What went wrong inside, for the error log only.
    internal: Option<(String, ErrorKind)>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody::new(code, message).into()
    }

    /// `code` with its default message.
    pub fn of(code: ErrorCode) -> Self {
        ErrorBody::of(code).into()
    }

    pub fn validation(fields: Vec<FieldIssue>) -> Self {
        ErrorBody::validation(fields).into()
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ErrorBody::field(field, message).into()
    }

    /// A fault of our own; logged to `error_logs` by the middleware, shown with a reference.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::internal_of_kind(detail.into(), ErrorKind::Internal)
    }

    fn internal_of_kind(detail: String, kind: ErrorKind) -> Self {
        let mut error = match kind {
            // An outage, not a bug: 503 and a hint to retry, until the database is back.
            ErrorKind::DatabaseUnavailable => {
                Self::of(ErrorCode::Busy).with_retry_after(DATABASE_RETRY_AFTER_SECS)
            }
            _ => Self::of(ErrorCode::InternalError),
        };
        error.0.internal = Some((detail, kind));
        error
    }

    /// Adds a member to the `error` object.
    pub fn with_detail(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(value) = serde_json::to_value(value) {
            self.0.details.insert(key.to_owned(), value);
        }
        self
    }

    /// Answers with a `Retry-After` header.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.0.retry_after_secs = Some(secs);
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.0.body.code
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.body.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn body(&self) -> &ErrorBody {
        &self.0.body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0.internal {
            Some((detail, _)) => write!(f, "internal error: {detail}"),
            None => write!(f, "{}: {}", self.0.body.code, self.0.body.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<ErrorBody> for ApiError {
    fn from(body: ErrorBody) -> Self {
        Self(Box::new(Failure {
            body,
            details: Map::new(),
            retry_after_secs: None,
            internal: None,
        }))
    }
}

impl From<FieldIssue> for ApiError {
    fn from(issue: FieldIssue) -> Self {
        Self::validation(vec![issue])
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        if error.is_internal() {
            Self::internal_of_kind(error.to_string(), kind_of_core_error(&error))
        } else {
            let answer = Self::from(error.public());
            match error.retry_after_secs() {
                Some(secs) => answer.with_retry_after(secs),
                None => answer,
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let failure = *self.0;
        let mut error = match serde_json::to_value(&failure.body) {
            Ok(Value::Object(members)) => members,
            _ => Map::new(),
        };
        error.extend(failure.details);
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if let Some(secs) = failure.retry_after_secs {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if let Some((detail, kind)) = failure.internal {
            // The error-log middleware writes the row and answers with its id as `referenceId`.
            response.extensions_mut().insert(InternalFailure {
                code: failure.body.code,
                detail,
                kind,
                backtrace: std::backtrace::Backtrace::force_capture().to_string(),
            });
        }
        response
    }
}

/// A 5xx of our own, carried to the error-log middleware on the response.
#[derive(Clone, Debug)]
pub struct InternalFailure {
    /// What the caller is answered: `INTERNAL_ERROR`, or `BUSY` while the database is down.
    pub code: ErrorCode,
    pub detail: String,
    pub kind: ErrorKind,
    pub backtrace: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use abetworks::error::ConflictReason;

    async fn error_object(error: ApiError) -> (StatusCode, Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        (status, body["error"].clone())
    }

    #[tokio::test]
    async fn a_conflict_answers_409_with_its_reason() {
        let error = ApiError::from(CoreError::Conflict(ConflictReason::EmailTaken));
        let (status, error) = error_object(error).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(error["code"], "CONFLICT");
        assert_eq!(error["reason"], "email_taken");
    }

    #[tokio::test]
    async fn throttled_and_busy_answer_429_and_503_with_retry_after() {
        for (error, status, code) in [
            (
                CoreError::Throttled {
                    retry_after_secs: 90,
                },
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
            ),
            (
                CoreError::Busy {
                    retry_after_secs: 90,
                },
                StatusCode::SERVICE_UNAVAILABLE,
                "BUSY",
            ),
        ] {
            let response = ApiError::from(error).into_response();
            assert_eq!(response.status(), status);
            assert_eq!(response.headers()[header::RETRY_AFTER], "90");
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(body["error"]["code"], code);
        }
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_reached_answers_503_busy_with_retry_after_and_is_logged() {
        let down = CoreError::Database(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout,
        ));
        let response = ApiError::from(down).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let failure = response
            .extensions()
            .get::<InternalFailure>()
            .cloned()
            .expect("a fault for the error log");
        assert_eq!(failure.kind, ErrorKind::DatabaseUnavailable);
        assert_eq!(failure.code, ErrorCode::Busy);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"]["code"], "BUSY");
        assert!(!body.to_string().contains("Timeout"), "{body}");
    }

    #[tokio::test]
    async fn details_sit_beside_the_body_and_internals_stay_hidden() {
        let quota = ApiError::of(ErrorCode::QuotaExceeded)
            .with_detail("limit", 3)
            .with_detail("used", 3);
        let (status, error) = error_object(quota).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            (error["limit"].as_i64(), error["used"].as_i64()),
            (Some(3), Some(3))
        );

        let (status, error) = error_object(ApiError::internal("SELECT went wrong")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error["code"], "INTERNAL_ERROR");
        assert!(!error.to_string().contains("SELECT"));
    }
}
