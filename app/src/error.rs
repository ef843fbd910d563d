//! The server functions' error is the shared [`ErrorBody`]: the same code, message, fields,
//! conflict reason and reference the REST API sends. The UI branches on its `code` and
//! `reason`, never on message text. Statuses come from the one table in `ErrorCode::status`
//! (the server sets them on server-function answers).

pub use abetworks_types::{ConflictReason, ErrorBody as AppError, ErrorCode, FieldIssue};

pub type AppResult<T> = Result<T, AppError>;
