//! Running an agent from the browser: what the run page needs, the run itself (through the
//! core's gateway, the same pipeline as `POST /api/agents/:id/execute`) and recent executions.

use abetworks_types::enums::UsageSource;
use abetworks_types::views::{
    AgentView, ExecuteSuccess, ExecutionView, LicenseView, RunAccepted, RunView,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::AppError;

/// How many recent executions the run page lists.
pub const RECENT_EXECUTIONS: u64 = 10;
/// Outputs larger than this (serialised) are left out of the history list, to keep the page
/// light; the execution itself keeps them.
#[cfg(feature = "ssr")]
const MAX_HISTORY_OUTPUT_BYTES: usize = 20_000;

/// Everything the run page shows before a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPageData {
    pub agent: AgentView,
    /// The agent's input JSON Schema; the form is generated from it.
    pub input_schema: Value,
    /// The caller's license for this agent, if they hold one they may see.
    pub license: Option<LicenseView>,
    /// What is left in the license's window, in words, the reset in the license's zone
    /// ("37 calls left today, resets at 00:00 Europe/Berlin").
    pub quota_text: Option<String>,
    /// The organisation's shared pool for this agent, if it has one (used when the caller's
    /// own license does not admit).
    #[serde(default)]
    pub pool: Option<abetworks_types::teams::OrgAgentView>,
    /// What the next call is counted against, as the core decides: the license or the pool.
    #[serde(default)]
    pub next_source: Option<UsageSource>,
}

/// The agent, its input schema, the caller's license and pool, and which the next call counts
/// against. 404 for an agent not in the catalog.
#[server(endpoint = "ui/agents/run-page")]
pub async fn run_page(agent_id: String) -> Result<RunPageData, AppError> {
    use crate::error::ErrorCode;
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    let agent = abetworks::catalog::list_published(&state.db, &Default::default())
        .await
        .map_err(core_error)?
        .into_iter()
        .find(|a| a.id == agent_id || a.slug == agent_id)
        .ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, "This agent is not in the marketplace.")
        })?;
    let units = abetworks::subscriptions::units_for(&state.db, &actor, &agent.id)
        .await
        .map_err(core_error)?;
    Ok(RunPageData {
        input_schema: agent.input_schema.clone(),
        agent: agent.into(),
        quota_text: units.license.as_ref().map(super::quota::quota_text_now),
        license: units.license,
        pool: units.pool,
        next_source: units.next_source,
    })
}

/// Runs the agent on `input_json` (a JSON object) as the signed-in user.
#[server(endpoint = "ui/agents/run")]
pub async fn run_agent(agent_id: String, input_json: String) -> Result<ExecuteSuccess, AppError> {
    use crate::server::require_user;
    let user = require_user().await?;
    let input = input_object(&input_json)?;
    crate::gateway_bridge::execute(&user, &agent_id, input).await
}

/// The run's input: `input_json` must be a JSON object.
#[cfg(feature = "ssr")]
fn input_object(input_json: &str) -> Result<Value, AppError> {
    let input: Value = serde_json::from_str(input_json)
        .map_err(|e| AppError::field("input", format!("The input is not valid JSON: {e}.")))?;
    if !input.is_object() {
        return Err(AppError::field("input", "The input must be a JSON object."));
    }
    Ok(input)
}

/// Starts a background run of the agent on `input_json` as the signed-in user: admitted and
/// queued at once (`POST /api/agents/:id/runs`, the same core function).
#[server(endpoint = "ui/runs/start")]
pub async fn start_background_run(
    agent_id: String,
    input_json: String,
) -> Result<RunAccepted, AppError> {
    use crate::server::{core_error, require_user, state};
    let user = require_user().await?;
    let input = input_object(&input_json)?;
    let state = state()?;
    let outcome = abetworks::runs::enqueue(
        &state.db,
        abetworks::runs::RunRequest {
            user_id: &user.id,
            api_key_id: None,
            key_agent_scope: None,
            agent: &agent_id,
            input,
            quota: state.quota_context(),
        },
    )
    .await
    .map_err(core_error)?;
    outcome.map_err(|failure| failure.public())
}

/// A background run of the caller's (any run for a super admin).
#[server(endpoint = "ui/runs/get")]
pub async fn background_run(id: String) -> Result<RunView, AppError> {
    on_run(&id, false).await
}

/// Cancels a background run of the caller's; its unit is given back.
#[server(endpoint = "ui/runs/cancel")]
pub async fn cancel_background_run(id: String) -> Result<RunView, AppError> {
    on_run(&id, true).await
}

/// The run `id` as the caller may see it (their own; any for a super admin), after cancelling
/// it when `cancel` (the same core functions as `GET /api/runs/{runId}` and its cancel).
#[cfg(feature = "ssr")]
async fn on_run(id: &str, cancel: bool) -> Result<RunView, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    let run = if cancel {
        abetworks::runs::cancel(&state.db, &actor, id, state.clock.now()).await
    } else {
        abetworks::runs::get(&state.db, &actor, id).await
    };
    run.map_err(core_error)
}

/// How many runs the runs page lists.
pub const RUNS_PAGE_SIZE: u64 = 50;

/// The caller's most recent background runs, newest first.
#[server(endpoint = "ui/runs/mine")]
pub async fn my_background_runs() -> Result<Vec<RunView>, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks::pagination::PageRequest;
    let (state, actor) = as_caller().await?;
    let page = abetworks::runs::list_mine(
        &state.db,
        &actor,
        None,
        None,
        PageRequest {
            page: 1,
            page_size: RUNS_PAGE_SIZE,
        },
    )
    .await
    .map_err(core_error)?;
    Ok(page.items)
}

/// The caller's most recent executions of this agent, newest first.
#[server(endpoint = "ui/agents/executions")]
pub async fn recent_executions(agent_id: String) -> Result<Vec<ExecutionView>, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks::pagination::PageRequest;
    let (state, actor) = as_caller().await?;
    let page = abetworks::executions::list_mine(
        &state.db,
        &actor,
        Some(&agent_id),
        PageRequest {
            page: 1,
            page_size: RECENT_EXECUTIONS,
        },
    )
    .await
    .map_err(core_error)?;
    Ok(page
        .items
        .into_iter()
        .map(|mut execution| {
            execution.output = execution.output.filter(|output| {
                serde_json::to_vec(output).map_or(usize::MAX, |bytes| bytes.len())
                    <= MAX_HISTORY_OUTPUT_BYTES
            });
            execution
        })
        .collect())
}
