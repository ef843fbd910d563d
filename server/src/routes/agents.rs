//! `/api/agents/{agentId}/*`: running an agent through the metered gateway, and the caller's
//! own executions.

use abetworks::executions::{self, ExecutionView};
use abetworks::gateway::UsageSnapshot;
use abetworks::gateway::{self, ExecuteFailure, ExecuteRequest, EXECUTE_ENDPOINT};
use abetworks::pagination::Page;
use abetworks::CoreError;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::{PageQuery, Paging};
use crate::error::ApiError;
use crate::extract::{Caller, CurrentUser, RequestId};
use crate::input::{ApiJson, ApiPath};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteBody {
    input: Value,
}

/// The gateway's failure as the caller sees it (a quota's says where the license stands), and
/// for a 429 how long to wait when waiting helps.
pub fn failure_response(failure: &ExecuteFailure) -> ApiError {
    let error = ApiError::from(failure.public());
    match failure.retry_after_secs() {
        Some(secs) => error.with_retry_after(secs.max(1) as u64),
        None => error,
    }
}

/// `RateLimit-Limit`, `-Remaining` and `-Reset` (seconds) for the quota window: none for an
/// unlimited license, no `-Reset` for a lifetime limit (it never resets).
pub fn rate_limit_headers(usage: &UsageSnapshot, now: DateTime<Utc>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some(remaining) = usage.remaining else {
        return headers;
    };
    let reset = usage.resets_at.map(|at| {
        ((at - now).num_milliseconds() + 999)
            .div_euclid(1000)
            .max(0)
    });
    for (name, value) in [
        ("ratelimit-limit", Some(usage.limit + usage.top_ups)),
        ("ratelimit-remaining", Some(remaining)),
        ("ratelimit-reset", reset),
    ] {
        if let Some(value) = value {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
    headers
}

/// A call through the gateway (execute, start a run): the state, the caller, the agent of the
/// path (its id or slug) and the body. A call refused before the gateway (no credentials,
/// malformed body) is tracked here first, so every call writes one usage row.
pub struct GatewayCall<T>(pub AppState, pub CurrentUser, pub String, pub T);

impl<T, S> FromRequest<S> for GatewayCall<T>
where
    T: DeserializeOwned + Send,
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        // Boxed, as the writes below: only while it runs does a call hold its future.
        let current = Box::pin(CurrentUser::from_request_parts(&mut parts, state)).await;
        let ApiPath(agent) = ApiPath::<String>::from_request_parts(&mut parts, state).await?;
        let body = ApiJson::<T>::from_request(Request::from_parts(parts, body), state).await;
        let app = AppState::from_ref(state);
        let current = match current {
            Ok(current) => current,
            Err(error) => {
                // Boxed: inline, this rare write's future would be part of every call's,
                // kilobytes each for a thousand calls waiting at once.
                Box::pin(gateway::track_refused(&app.db, None, None, error.body())).await;
                return Err(error);
            }
        };
        match body {
            Ok(ApiJson(body)) => Ok(Self(app, current, agent, body)),
            Err(error) => {
                let (user_id, key_id) = (Some(current.id()), current.api_key_id());
                Box::pin(gateway::track_refused(
                    &app.db,
                    user_id,
                    key_id,
                    error.body(),
                ))
                .await;
                Err(error)
            }
        }
    }
}

/// The answer to a call the gateway refused: its error, with the RateLimit headers when it is
/// over its quota.
pub fn refused_response(failure: &ExecuteFailure, now: DateTime<Utc>) -> Response {
    let headers = match failure {
        ExecuteFailure::QuotaExceeded { usage, .. } => rate_limit_headers(usage, now),
        _ => HeaderMap::new(),
    };
    (headers, failure_response(failure)).into_response()
}

/// Runs the agent. Calls refused before the gateway (no credentials, malformed body) are
/// tracked here, so every call writes one usage row.
pub async fn execute(
    RequestId(request_id): RequestId,
    GatewayCall(state, current, agent, body): GatewayCall<ExecuteBody>,
) -> Result<Response, ApiError> {
    let quota = state.quota_context();
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
            quota,
            lease: state.execution_lease(),
        },
    )
    .await?;
    Ok(match outcome {
        Ok(success) => {
            (rate_limit_headers(&success.usage, quota.now), Json(success)).into_response()
        }
        Err(failure) => refused_response(&failure, quota.now),
    })
}

pub async fn my_executions(
    Caller { state, actor }: Caller,
    ApiPath(agent): ApiPath<String>,
    Paging(page): Paging,
) -> Result<Json<Page<ExecutionView>>, ApiError> {
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
