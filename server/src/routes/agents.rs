//! `/api/agents/{agentId}/*`: running an agent through the metered gateway, and the caller's
//! own executions.

use abetworks::executions::{self, ExecutionView};
use abetworks::gateway::{self, ExecuteFailure, ExecuteRequest, ExecuteSuccess};
use abetworks::pagination::{Page, PageRequest};
use abetworks::usage::{self, TrackCall};
use abetworks::CoreError;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::extract::{CurrentUser, RequestId};
use crate::input::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

pub const EXECUTE_ENDPOINT: &str = "/api/agents/{agentId}/execute";

#[derive(Deserialize)]
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
            track_refused(&state, None, &error).await;
            return Err(error);
        }
    };
    let body = match body {
        Ok(ApiJson(body)) => body,
        Err(error) => {
            track_refused(&state, Some(&current), &error).await;
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

async fn track_refused(state: &AppState, current: Option<&CurrentUser>, error: &ApiError) {
    let tracked = usage::track(
        &state.db,
        TrackCall {
            user_id: current.map(|c| c.id().to_owned()),
            agent_id: None,
            api_key_id: current.and_then(|c| c.api_key_id().map(str::to_owned)),
            endpoint: EXECUTE_ENDPOINT.to_owned(),
            method: "POST".to_owned(),
            status_code: error.status().as_u16(),
            duration_ms: 0,
            error: Some(error.code().as_str().to_owned()),
        },
    )
    .await;
    if let Err(e) = tracked {
        tracing::warn!("could not track a refused call: {e}");
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PageQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn my_executions(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(agent): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<ExecutionView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let agent = abetworks::catalog::find_agent(&state.db, &agent)
        .await?
        .ok_or(CoreError::NotFound { entity: "agent" })?;
    Ok(Json(
        executions::list_mine(&state.db, current.id(), Some(&agent.id), page).await?,
    ))
}
