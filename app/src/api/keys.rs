//! The signed-in user's API keys: list, create (the text is returned once) and revoke.

use abetworks_types::views::{ApiKeyView, CreatedKey, PickOption};
use leptos::prelude::*;

use crate::error::AppError;

/// Names of the published agents by id, for the keys' scope.
#[cfg(feature = "ssr")]
async fn agent_names(
    db: &sea_orm::DatabaseConnection,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let agents = abetworks::catalog::list_published(db, &Default::default())
        .await
        .map_err(crate::server::core_error)?;
    Ok(agents.into_iter().map(|a| (a.id, a.name)).collect())
}

/// A key as its owner sees it, with the name of the agent it is scoped to.
#[cfg(feature = "ssr")]
fn key_view(
    key: abetworks::entities::api_keys::Model,
    names: &std::collections::HashMap<String, String>,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiKeyView {
    let agent_name = key.agent_id.as_ref().map(|id| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "An unlisted agent".to_owned())
    });
    abetworks::views::api_key_view(key, agent_name, now)
}

/// The caller's keys, newest first, revoked ones included.
#[server(endpoint = "ui/keys/list")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::server::{core_error, require_user, state};
    let user = require_user().await?;
    let state = state()?;
    let keys = abetworks::api_keys::list_keys(&state.db, &user.id)
        .await
        .map_err(core_error)?;
    let names = agent_names(&state.db).await?;
    let now = chrono::Utc::now();
    Ok(keys.into_iter().map(|k| key_view(k, &names, now)).collect())
}

/// The agents a key may be scoped to: the published catalog.
#[server(endpoint = "ui/keys/agents")]
pub async fn key_scope_options() -> Result<Vec<PickOption>, AppError> {
    use crate::server::{core_error, require_user, state};
    require_user().await?;
    let state = state()?;
    let agents = abetworks::catalog::list_published(&state.db, &Default::default())
        .await
        .map_err(core_error)?;
    Ok(agents
        .into_iter()
        .map(|agent| PickOption {
            id: agent.id,
            label: agent.name,
            detail: agent.slug,
        })
        .collect())
}

/// Creates a key. `expires_on` is a date (`YYYY-MM-DD`): the key works until the end of that
/// day, UTC. Blank scope or expiry mean "any agent" and "never".
#[server(endpoint = "ui/keys/create")]
pub async fn create_api_key(
    name: String,
    agent_id: Option<String>,
    expires_on: Option<String>,
) -> Result<CreatedKey, AppError> {
    use crate::server::{client_ip, core_error, require_user, state};
    use abetworks::api_keys::{create_key, NewKey};
    use abetworks::input::{parse_time, DayBound};

    let user = require_user().await?;
    let state = state()?;
    let agent_id = agent_id
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    let expires_at =
        parse_time("expiresAt", expires_on.as_deref(), DayBound::End).map_err(core_error)?;
    let ip = client_ip().await;
    let (key, text) = create_key(
        &state.db,
        &user.id,
        NewKey {
            name: &name,
            agent_id: agent_id.as_deref(),
            expires_at,
        },
        Some(&ip),
    )
    .await
    .map_err(|e| match e {
        abetworks::CoreError::NotFound { .. } => {
            AppError::field("agentId", "Choose an agent from the list.")
        }
        other => core_error(other),
    })?;
    let names = agent_names(&state.db).await?;
    Ok(CreatedKey {
        key: key_view(key, &names, chrono::Utc::now()),
        text,
    })
}

/// Revokes one of the caller's keys; it stops working on the next request.
#[server(endpoint = "ui/keys/revoke")]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    use crate::server::{client_ip, core_error, require_user, state};
    let user = require_user().await?;
    let state = state()?;
    let ip = client_ip().await;
    abetworks::api_keys::revoke_key(&state.db, &user.id, &id, Some(&ip))
        .await
        .map_err(core_error)
}
