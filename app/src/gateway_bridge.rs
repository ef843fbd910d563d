//! The one place the app calls the core's execute pipeline (license check → atomic admission →
//! agent call → record → refund on failure), [`abetworks::gateway::execute`]. The REST route
//! calls the same function; a refused or failed call reads as [`abetworks::gateway::ExecuteFailure::public`] says.

use abetworks::entities::users;
use abetworks::gateway::{execute as gateway_execute, ExecuteRequest};
use abetworks_types::views::ExecuteSuccess;
use serde_json::Value;

use crate::error::AppError;
use crate::server::{core_error, request_meta, state};

/// Runs `agent_id` (id or slug) on `input` for `user`, signed in with a session.
pub async fn execute(
    user: &users::Model,
    agent_id: &str,
    input: Value,
) -> Result<ExecuteSuccess, AppError> {
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
            quota: state.quota_context(),
            lease: state.execution_lease(),
        },
    )
    .await
    .map_err(core_error)?;
    outcome.map_err(|failure| failure.public())
}
