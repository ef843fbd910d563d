//! Background runs (`abetworks::runs`): `POST /api/agents/{agentId}/runs` admits and queues a
//! run (202 with its id and `Location`), `GET /api/runs/{runId}` shows it, its events stream as
//! server-sent events (resumable with `Last-Event-ID`), `POST /api/runs/{runId}/cancel` stops it
//! and refunds, `GET /api/runs` lists the caller's own.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use abetworks::entities::enums::ExecutionStatus;
use abetworks::entities::run_events;
use abetworks::pagination::{Page, PageRequest};
use abetworks::runs::{self, RunRequest, RunView};
use abetworks::types::Vocabulary;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::Value;

use super::agents::{rate_limit_headers, refused_response, GatewayCall};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::input::{ApiPath, ApiQuery};
use crate::state::AppState;

/// How often an open event stream looks for the run's new events (they may be written by a
/// worker of another instance, so the database is the one source).
const EVENT_POLL: Duration = Duration::from_millis(250);

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    input: Value,
}

/// `?status=&agentId=&page=&pageSize=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RunQuery {
    /// queued, running, succeeded, failed, cancelled or abandoned.
    status: Option<String>,
    /// The agent's id or slug.
    agent_id: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

/// Admits the run and queues it: 202 with its id, `Location` and the license's standing (and
/// the RateLimit headers, as execute); the same refusals as execute.
pub async fn start_run(
    GatewayCall(state, current, agent, body): GatewayCall<RunBody>,
) -> Result<Response, ApiError> {
    let quota = state.quota_context();
    let outcome = runs::enqueue(
        &state.db,
        RunRequest {
            user_id: current.id(),
            api_key_id: current.api_key_id(),
            key_agent_scope: current.agent_scope(),
            agent: &agent,
            input: body.input,
            quota,
        },
    )
    .await?;
    Ok(match outcome {
        Ok(accepted) => {
            let mut headers = rate_limit_headers(&accepted.usage, quota.now);
            if let Ok(location) = HeaderValue::from_str(&format!("/api/runs/{}", accepted.run_id)) {
                headers.insert(header::LOCATION, location);
            }
            (StatusCode::ACCEPTED, headers, Json(accepted)).into_response()
        }
        Err(failure) => refused_response(&failure, quota.now),
    })
}

pub async fn get_run(
    Caller { state, actor }: Caller,
    ApiPath(run_id): ApiPath<String>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(runs::get(&state.db, &actor, &run_id).await?))
}

pub async fn my_runs(
    Caller { state, actor }: Caller,
    ApiQuery(query): ApiQuery<RunQuery>,
) -> Result<Json<Page<RunView>>, ApiError> {
    let status = ExecutionStatus::parse_optional("status", query.status.as_deref())?;
    let page = PageRequest::new(query.page, query.page_size)?;
    Ok(Json(
        runs::list_mine(&state.db, &actor, status, query.agent_id.as_deref(), page).await?,
    ))
}

pub async fn cancel_run(
    Caller { state, actor }: Caller,
    ApiPath(run_id): ApiPath<String>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(
        runs::cancel(&state.db, &actor, &run_id, state.clock.now()).await?,
    ))
}

/// The run's events as server-sent events (`id` = the event's number, `event` = its kind,
/// `data` = its JSON), after `Last-Event-ID` when given; the stream ends after the run's final
/// status.
pub async fn run_events(
    Caller { state, actor }: Caller,
    ApiPath(run_id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|seq| *seq >= 0)
        .unwrap_or(0);
    // Checks who asks (404 for anyone but the owner and a super admin) before streaming. The
    // final status and its event commit together: a finished run without events after
    // `after` has nothing more to say.
    let finished = runs::get(&state.db, &actor, &run_id).await?.is_finished();
    let first = runs::events_since(&state.db, &run_id, after).await?;
    let follow = Follow {
        state,
        run_id,
        after,
        ended: finished && first.is_empty(),
        queue: first.into(),
    };
    let stream = futures_util::stream::unfold(follow, |mut follow| async move {
        loop {
            if follow.ended {
                return None;
            }
            if let Some(event) = follow.queue.pop_front() {
                follow.after = event.seq;
                follow.ended = runs::is_final_event(&event);
                return Some((Ok(sse_event(&event)), follow));
            }
            tokio::time::sleep(EVENT_POLL).await;
            match runs::events_since(&follow.state.db, &follow.run_id, follow.after).await {
                Ok(events) => follow.queue.extend(events),
                Err(e) => {
                    tracing::warn!(run_id = %follow.run_id, "could not read a run's events: {e}")
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// An open event stream: the run, the last event sent, those read but not yet sent.
struct Follow {
    state: AppState,
    run_id: String,
    after: i64,
    queue: VecDeque<run_events::Model>,
    ended: bool,
}

fn sse_event(event: &run_events::Model) -> Event {
    Event::default()
        .id(event.seq.to_string())
        .event(event.kind.as_str())
        .data(event.data.to_string())
}

/// The runs' routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::{RunAccepted, RunView};
    api.add(
        Route::post(
            "/api/agents/{agentId}/runs",
            Access::SignedIn,
            "Start a background run of an agent (admitted and queued at once)",
        )
        .body::<RunBody>()
        .answers::<RunAccepted>(202)
        .fails(&[429]),
        start_run,
    )
    .add(
        Route::get(
            "/api/runs",
            Access::SignedIn,
            "The caller's own background runs",
        )
        .query::<RunQuery>()
        .answers_page::<RunView>(200),
        my_runs,
    )
    .add(
        Route::get(
            "/api/runs/{runId}",
            Access::SignedIn,
            "A background run: status, progress, output or error (its owner, a super admin)",
        )
        .answers::<RunView>(200),
        get_run,
    )
    .add(
        Route::get(
            "/api/runs/{runId}/events",
            Access::SignedIn,
            "A background run's events as server-sent events, resumable with Last-Event-ID",
        )
        .answers_event_stream(),
        run_events,
    )
    .add(
        Route::post(
            "/api/runs/{runId}/cancel",
            Access::SignedIn,
            "Cancel a background run and give its unit back (409 when it has finished)",
        )
        .answers::<RunView>(200)
        .fails(&[409]),
        cancel_run,
    )
}
