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
    /// Too many attempts from one client within a window (e.g. registrations per address).
    #[error("throttled; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// Saturated on purpose rather than queueing without bound (the password hashing queue).
    #[error("busy; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// A refusal that is exactly one code with its default message (`INVITATION_EXPIRED`…).
    #[error("{}", .0.default_message())]
    Code(ErrorCode),
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

    /// How long the caller should wait before trying again (the `Retry-After` header).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Throttled { retry_after_secs } | Self::Busy { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
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
            Self::Throttled { retry_after_secs } => ErrorBody::new(
                ErrorCode::RateLimited,
                format!(
                    "Too many attempts from your address. Try again in {} minute(s).",
                    retry_after_secs.div_ceil(60)
                ),
            ),
            Self::Busy { .. } => ErrorBody::of(ErrorCode::Busy),
            Self::Code(code) => ErrorBody::of(*code),
            Self::Database(_) | Self::Hashing(_) => ErrorBody::of(ErrorCode::InternalError),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_error_reads_as_its_code_status_and_default_message() {
        let body = CoreError::Code(ErrorCode::InvitationExpired).public();
        assert_eq!(body, ErrorBody::of(ErrorCode::InvitationExpired));
        assert_eq!(body.status(), 410);
        assert_eq!(
            body.message,
            "This invitation has expired. Ask your organisation's admin for a new one."
        );
        assert!(!CoreError::Code(ErrorCode::InvitationUsed).is_internal());
    }
}
