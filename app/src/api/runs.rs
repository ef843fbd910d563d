//! Running an agent from the browser: what the run page needs, the run itself (through the
//! core's gateway, the same pipeline as `POST /api/agents/:id/execute`) and recent executions.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::marketplace::LicenseInfo;
use crate::error::AppError;

/// How many recent executions the run page lists.
pub const RECENT_EXECUTIONS: u64 = 10;
/// Outputs larger than this (serialised) are left out of the history list.
#[cfg(feature = "ssr")]
const MAX_HISTORY_OUTPUT_BYTES: usize = 20_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPageData {
    pub agent_id: String,
    pub name: String,
    pub icon: String,
    pub short_description: String,
    /// The agent's input JSON Schema; the form is generated from it.
    pub input_schema: Value,
    /// The caller's license for this agent, if any.
    pub license: Option<LicenseInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageInfo {
    /// `-1` when unlimited.
    pub limit: i64,
    pub used: i64,
    /// `None` when unlimited.
    pub remaining: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub execution_id: String,
    pub output: Value,
    pub duration_ms: i64,
    pub usage: UsageInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionInfo {
    pub id: String,
    /// `pending`, `running`, `succeeded` or `failed`.
    pub status: String,
    pub created_at: String,
    pub duration_ms: Option<i64>,
    pub error_code: Option<String>,
    /// The output when small enough to show in the list.
    pub output: Option<Value>,
}

/// The agent, its input schema and the caller's license. 404 for an agent not in the catalog.
#[server(endpoint = "ui/agents/run-page")]
pub async fn run_page(agent_id: String) -> Result<RunPageData, AppError> {
    use crate::server::{core_error, require_user, state};
    let user = require_user().await?;
    let state = state()?;
    let agents = abetworks::catalog::list_published(&state.db, &Default::default())
        .await
        .map_err(core_error)?;
    let icons = agents
        .iter()
        .map(|a| (a.id.clone(), a.icon.clone()))
        .collect();
    let agent = agents
        .into_iter()
        .find(|a| a.id == agent_id || a.slug == agent_id)
        .ok_or_else(|| AppError::new("NOT_FOUND", "This agent is not in the marketplace."))?;
    let license = abetworks::usage::my_usage(&state.db, &user.id)
        .await
        .map_err(core_error)?
        .into_iter()
        .find(|l| {
            l.agent_id == agent.id && l.status != abetworks::licenses::EffectiveStatus::Revoked
        })
        .map(|l| super::marketplace::license_info(l, &icons));
    Ok(RunPageData {
        agent_id: agent.id,
        name: agent.name,
        icon: agent.icon,
        short_description: agent.short_description,
        input_schema: agent.input_schema,
        license,
    })
}

/// Runs the agent on `input_json` (a JSON object) as the signed-in user.
#[server(endpoint = "ui/agents/run")]
pub async fn run_agent(agent_id: String, input_json: String) -> Result<RunResult, AppError> {
    use crate::server::require_user;
    let user = require_user().await?;
    let input: Value = serde_json::from_str(&input_json)
        .map_err(|e| AppError::field("input", format!("The input is not valid JSON: {e}.")))?;
    if !input.is_object() {
        return Err(AppError::field("input", "The input must be a JSON object."));
    }
    crate::gateway_bridge::execute(&user, &agent_id, input).await
}

/// The caller's most recent executions of this agent, newest first.
#[server(endpoint = "ui/agents/executions")]
pub async fn recent_executions(agent_id: String) -> Result<Vec<ExecutionInfo>, AppError> {
    use crate::server::{core_error, require_user, rfc3339, state};
    use abetworks::pagination::PageRequest;
    let user = require_user().await?;
    let state = state()?;
    let page = abetworks::executions::list_mine(
        &state.db,
        &user.id,
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
        .map(|e| ExecutionInfo {
            id: e.id,
            status: e.status.as_str().to_owned(),
            created_at: rfc3339(e.created_at),
            duration_ms: e.duration_ms,
            error_code: e.error_code,
            output: e.output.filter(|o| {
                serde_json::to_vec(o).map(|b| b.len()).unwrap_or(usize::MAX)
                    <= MAX_HISTORY_OUTPUT_BYTES
            }),
        })
        .collect())
}
