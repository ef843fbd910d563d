//! `/api/admin/agents*`: the catalog for its owner, and the sync from the agent service.

use abetworks::agent_client::AgentDescriptor;
use abetworks::catalog::{self, AgentChange, SyncReport};
use abetworks::entities::agent_catalog::Model as Agent;
use abetworks::pagination::{Page, PageRequest};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath, ApiQuery};

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
) -> Result<Json<Page<Agent>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    Ok(Json(
        catalog::list_all(&state.db, query.q.as_deref(), page).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    SuperAdmin(current): SuperAdmin,
    ApiJson(descriptor): ApiJson<AgentDescriptor>,
) -> Result<(StatusCode, Json<Agent>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(catalog::create_agent(&state.db, current.id(), descriptor).await?),
    ))
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
) -> Result<Json<Agent>, ApiError> {
    let change = AgentChange {
        name: patch.name,
        short_description: patch.short_description,
        long_description: patch.long_description,
        category: patch.category,
        price_cents: patch.price_cents,
        currency: patch.currency,
        published: patch.published,
    };
    Ok(Json(
        catalog::update_agent(&state.db, current.id(), &id, change).await?,
    ))
}

/// New agents from a manual sync are drafts: the catalog owner publishes them.
pub async fn sync(
    State(state): State<AppState>,
    _: SuperAdmin,
) -> Result<Json<SyncReport>, ApiError> {
    match catalog::sync_from_service(&state.db, &state.agents, false).await {
        Ok(report) => Ok(Json(report)),
        Err(abetworks::CoreError::Agent(e)) => Err(ApiError::Upstream {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "AGENT_UNAVAILABLE",
            message: format!("The agent service could not be reached: {e}"),
            details: Default::default(),
        }),
        Err(e) => Err(e.into()),
    }
}
