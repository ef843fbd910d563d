//! The signed-in user's API keys: list, create (the text is returned once) and revoke.

use abetworks_types::views::{ApiKeyView, CreatedKey, PickOption};
use leptos::prelude::*;

use crate::error::AppError;

/// The caller's keys, newest first, revoked ones included.
#[server(endpoint = "ui/keys/list")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::api_keys::key_views(&state.db, &actor)
        .await
        .map_err(core_error)
}

/// The agents a key may be scoped to: the published catalog.
#[server(endpoint = "ui/keys/agents")]
pub async fn key_scope_options() -> Result<Vec<PickOption>, AppError> {
    use crate::api::agent_option;
    use crate::server::{core_error, require_user, state};
    require_user().await?;
    let state = state()?;
    let agents = abetworks::catalog::list_published(&state.db, &Default::default())
        .await
        .map_err(core_error)?;
    Ok(agents.into_iter().map(agent_option).collect())
}

/// Creates a key. `expires_on` is a date (`YYYY-MM-DD`): the key works until the end of that
/// day, UTC. Blank scope or expiry mean "any agent" and "never".
#[server(endpoint = "ui/keys/create")]
pub async fn create_api_key(
    name: String,
    agent_id: Option<String>,
    expires_on: Option<String>,
) -> Result<CreatedKey, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks::api_keys::{create_key, NewKey};
    use abetworks::input::{parse_time, DayBound};

    let (state, actor) = as_caller().await?;
    let agent_id = agent_id
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    let expires_at =
        parse_time("expiresAt", expires_on.as_deref(), DayBound::End).map_err(core_error)?;
    let new = NewKey {
        name: &name,
        agent_id: agent_id.as_deref(),
        expires_at,
    };
    create_key(&state.db, &actor, new)
        .await
        .map_err(|e| match e {
            abetworks::CoreError::NotFound { .. } => {
                AppError::field("agentId", "Choose an agent from the list.")
            }
            other => core_error(other),
        })
}

/// Revokes one of the caller's keys; it stops working on the next request.
#[server(endpoint = "ui/keys/revoke")]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::api_keys::revoke_key(&state.db, &actor, &id)
        .await
        .map_err(core_error)
}
