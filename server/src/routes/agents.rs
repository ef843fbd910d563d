//! `/api/agents/{agentId}/*`: running an agent through the metered gateway, and the caller's
//! own executions.

use abetworks::executions::{self, ExecutionView};
use abetworks::gateway::{self, ExecuteFailure, ExecuteRequest, ExecuteSuccess, EXECUTE_ENDPOINT};
use abetworks::pagination::Page;
use abetworks::CoreError;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::PageQuery;
use crate::error::ApiError;
use crate::extract::{Caller, CurrentUser, RequestId};
use crate::input::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteBody {
    input: Value,
}

/// The gateway's failure as the caller sees it; a quota says how far it went.
pub fn failure_response(failure: &ExecuteFailure) -> ApiError {
    let error = ApiError::from(failure.public());
    match failure {
        ExecuteFailure::QuotaExceeded { limit, used } => {
            error.with_detail("limit", limit).with_detail("used", used)
        }
        _ => error,
    }
}

/// Runs the agent. Calls refused before the gateway (no credentials, malformed body) are
/// tracked here, so every call writes one usage row.
pub async fn execute(
    State(state): State<AppState>,
    RequestId(request_id): RequestId,
    current: Result<CurrentUser, ApiError>,
    ApiPath(agent): ApiPath<String>,
    body: Result<ApiJson<ExecuteBody>, ApiError>,
) -> Result<Json<ExecuteSuccess>, ApiError> {
    let current = match current {
        Ok(current) => current,
        Err(error) => {
            gateway::track_refused(&state.db, None, None, error.body()).await;
            return Err(error);
        }
    };
    let body = match body {
        Ok(ApiJson(body)) => body,
        Err(error) => {
            let (user_id, key_id) = (Some(current.id()), current.api_key_id());
            gateway::track_refused(&state.db, user_id, key_id, error.body()).await;
            return Err(error);
        }
    };
    let outcome = gateway::execute(
        &state.db,
        &state.agents,
        ExecuteRequest {
            user_id: current.id(),
            api_key_id: current.api_key_id(),
            key_agent_scope: current.agent_scope(),
            agent: &agent,
            input: body.input,
            request_id: request_id.as_deref(),
            endpoint: EXECUTE_ENDPOINT,
            method: "POST",
        },
    )
    .await?;
    match outcome {
        Ok(success) => Ok(Json(success)),
        Err(failure) => Err(failure_response(&failure)),
    }
}

pub async fn my_executions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(agent): ApiPath<String>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<ExecutionView>>, ApiError> {
    let page = paging.request()?;
    let agent = abetworks::catalog::find_agent(&state.db, &agent)
        .await?
        .ok_or(CoreError::NotFound { entity: "agent" })?;
    Ok(Json(
        executions::list_mine(&state.db, &actor, Some(&agent.id), page).await?,
    ))
}

/// The gateway's routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::{ExecuteSuccess, ExecutionView};
    api.add(
        Route::post(
            EXECUTE_ENDPOINT,
            Access::SignedIn,
            "Run an agent through the metered gateway",
        )
        .body::<ExecuteBody>()
        .answers::<ExecuteSuccess>(200)
        .fails(&[409, 429, 502, 503, 504]),
        execute,
    )
    .add(
        Route::get(
            "/api/agents/{agentId}/executions",
            Access::SignedIn,
            "The caller's own executions of an agent",
        )
        .query::<PageQuery>()
        .answers_page::<ExecutionView>(200),
        my_executions,
    )
}
