//! The one place the app calls the core's execute pipeline (license check → atomic admission →
//! agent call → record → refund on failure), [`abetworks::gateway::execute`], and maps its
//! outcome to what the run page shows. The REST route calls the same function.

use abetworks::entities::users;
use abetworks::gateway::{execute as gateway_execute, ExecuteFailure, ExecuteRequest};
use serde_json::Value;

use crate::api::runs::{RunResult, UsageInfo};
use crate::error::{AppError, FieldMessage};
use crate::server::{core_error, request_meta, state};

/// How a refused or failed call reads on the run page.
pub fn failure_error(failure: &ExecuteFailure) -> AppError {
    let mut error = match failure {
        ExecuteFailure::UnknownAgent => AppError::new("NOT_FOUND", failure.message()),
        ExecuteFailure::KeyScopeMismatch => AppError::new("FORBIDDEN", failure.message()),
        ExecuteFailure::InvalidInput { fields, .. } => {
            let mut error = AppError::validation(
                fields
                    .iter()
                    .map(|f| FieldMessage {
                        field: f.field.clone(),
                        message: f.message.clone(),
                    })
                    .collect(),
            );
            error.message = failure.message();
            error
        }
        other => AppError::new(other.code(), other.message()),
    };
    error.reference = failure.reference_id().map(str::to_owned);
    error
}

/// Runs `agent_id` (id or slug) on `input` for `user`, signed in with a session.
pub async fn execute(
    user: &users::Model,
    agent_id: &str,
    input: Value,
) -> Result<RunResult, AppError> {
    let state = state()?;
    let (request_id, mut endpoint) = request_meta();
    if endpoint.is_empty() {
        endpoint = "/api/ui/agents/run".to_owned();
    }
    let outcome = gateway_execute(
        &state.db,
        &state.agents,
        ExecuteRequest {
            user_id: &user.id,
            api_key_id: None,
            key_agent_scope: None,
            agent: agent_id,
            input,
            request_id: request_id.as_deref(),
            endpoint: &endpoint,
            method: "POST",
        },
    )
    .await
    .map_err(core_error)?;
    match outcome {
        Ok(success) => Ok(RunResult {
            execution_id: success.execution_id,
            output: success.output,
            duration_ms: success.duration_ms,
            usage: UsageInfo {
                limit: success.usage.limit,
                used: success.usage.used,
                remaining: success.usage.remaining,
            },
        }),
        Err(failure) => Err(failure_error(&failure)),
    }
}
