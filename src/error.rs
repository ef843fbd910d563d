//! The core's one error type, and the one place it becomes what a caller may see
//! ([`CoreError::public`]): both surfaces call that, so a fault reads the same everywhere.
//! Internals (SQL, hashing, agent details) stay in logs.

use sea_orm::DbErr;

pub use abetworks_types::error::sentence;
pub use abetworks_types::{ConflictReason, ErrorBody, ErrorCode, FieldIssue};

use crate::agent_client::AgentError;

pub type CoreResult<T> = Result<T, CoreError>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    #[error("{}", .0.message())]
    Conflict(ConflictReason),
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    #[error("the input is invalid")]
    Validation(Vec<FieldIssue>),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Agent(#[from] AgentError),
}

impl From<FieldIssue> for CoreError {
    fn from(issue: FieldIssue) -> Self {
        Self::Invalid {
            field: issue.field,
            message: issue.message,
        }
    }
}

impl CoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A fault of ours, to be logged with a reference rather than explained.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Database(_) | Self::Hashing(_))
    }

    /// What the caller sees. Internal faults read as [`ErrorCode::InternalError`] with no
    /// detail; the caller adds the reference once the fault is logged.
    pub fn public(&self) -> ErrorBody {
        match self {
            Self::NotFound { entity } => ErrorBody::new(
                ErrorCode::NotFound,
                sentence(&format!("this {entity} was not found")),
            ),
            Self::Conflict(reason) => ErrorBody::conflict(*reason),
            Self::Invalid { field, message } => ErrorBody::field(field, sentence(message)),
            Self::Validation(issues) => ErrorBody::validation(issues.clone()),
            Self::Forbidden(message) => ErrorBody::new(ErrorCode::Forbidden, sentence(message)),
            Self::Agent(agent) => agent.public(),
            Self::Database(_) | Self::Hashing(_) => ErrorBody::of(ErrorCode::InternalError),
        }
    }
}
