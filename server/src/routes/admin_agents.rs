//! `/api/admin/agents*`: the catalog for its owner, and the sync from the agent service.

use abetworks::agent_client::AgentDescriptor;
use abetworks::catalog::{self, AgentChange, SyncReport};
use abetworks::pagination::{Page, PageRequest};
use abetworks::views::AgentView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentQuery {
    q: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    _: SuperAdmin,
    ApiQuery(query): ApiQuery<AgentQuery>,
) -> Result<Json<Page<AgentView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let agents = catalog::list_all(&state.db, query.q.as_deref(), page).await?;
    Ok(Json(agents.map(AgentView::from)))
}

pub async fn create(
    State(state): State<AppState>,
    SuperAdmin(current): SuperAdmin,
    ApiJson(descriptor): ApiJson<AgentDescriptor>,
) -> Result<(StatusCode, Json<AgentView>), ApiError> {
    let agent = catalog::create_agent(&state.db, current.id(), descriptor).await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentPatch {
    name: Option<String>,
    short_description: Option<String>,
    long_description: Option<String>,
    category: Option<String>,
    price_cents: Option<i64>,
    currency: Option<String>,
    published: Option<bool>,
}

pub async fn update(
    State(state): State<AppState>,
    SuperAdmin(current): SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<AgentPatch>,
) -> Result<Json<AgentView>, ApiError> {
    let change = AgentChange {
        name: patch.name,
        short_description: patch.short_description,
        long_description: patch.long_description,
        category: patch.category,
        price_cents: patch.price_cents,
        currency: patch.currency,
        published: patch.published,
    };
    let agent = catalog::update_agent(&state.db, current.id(), &id, change).await?;
    Ok(Json(agent.into()))
}

/// New agents from a manual sync are drafts: the catalog owner publishes them. An agent
/// service that fails reads as its code (AGENT_UNAVAILABLE when it cannot be reached).
pub async fn sync(
    State(state): State<AppState>,
    _: SuperAdmin,
) -> Result<Json<SyncReport>, ApiError> {
    let report = catalog::sync_from_service(&state.db, &state.agents, false).await?;
    Ok(Json(report))
}
