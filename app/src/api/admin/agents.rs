//! The catalog: the list, publish / unpublish, edit a listing and sync from the service.

use abetworks_types::views::{AgentView, SyncReport};
use abetworks_types::Page;
use leptos::prelude::*;

use crate::error::AppError;

/// The whole catalog, drafts and unavailable agents too.
#[server(endpoint = "admin-ui/agents")]
pub async fn admin_agents(
    query: Option<String>,
    page: Option<u64>,
) -> Result<Page<AgentView>, AppError> {
    use super::form::page_request;
    use crate::server::{as_super_admin, core_error};
    let (state, _) = as_super_admin().await?;
    let page = abetworks::catalog::list_all(&state.db, query.as_deref(), page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(page.map(AgentView::from))
}

/// Publishes or unpublishes an agent.
#[server(endpoint = "admin-ui/agents/publish")]
pub async fn admin_publish_agent(id: String, published: bool) -> Result<AgentView, AppError> {
    change_agent(
        &id,
        abetworks::catalog::AgentChange {
            published: Some(published),
            ..Default::default()
        },
    )
    .await
}

/// Edits an agent's listing: price (in cents), category and descriptions.
#[server(endpoint = "admin-ui/agents/update")]
pub async fn admin_update_agent(
    id: String,
    price_cents: i64,
    category: String,
    short_description: String,
    long_description: String,
) -> Result<AgentView, AppError> {
    change_agent(
        &id,
        abetworks::catalog::AgentChange {
            price_cents: Some(price_cents),
            category: Some(category),
            short_description: Some(short_description),
            long_description: Some(long_description),
            ..Default::default()
        },
    )
    .await
}

/// Applies `change` to the agent `id` for the caller (the core checks the role).
#[cfg(feature = "ssr")]
async fn change_agent(
    id: &str,
    change: abetworks::catalog::AgentChange,
) -> Result<AgentView, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::catalog::update_agent(&state.db, &actor, id, change)
        .await
        .map(AgentView::from)
        .map_err(core_error)
}

/// Syncs the catalog from the agent service (new agents stay unpublished).
#[server(endpoint = "admin-ui/agents/sync")]
pub async fn admin_sync_agents() -> Result<SyncReport, AppError> {
    use crate::server::{as_super_admin, core_error};
    let (state, _) = as_super_admin().await?;
    abetworks::catalog::sync_from_service(&state.db, &state.agents, false)
        .await
        .map_err(core_error)
}
