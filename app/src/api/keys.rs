//! The signed-in user's API keys: list, create (the text is returned once) and revoke.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub expired: bool,
}

impl ApiKeyInfo {
    pub fn is_usable(&self) -> bool {
        self.revoked_at.is_none() && !self.expired
    }
}

/// A key just created, with its text: shown once, never again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: ApiKeyInfo,
    pub text: String,
}

/// An agent a key can be scoped to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentOption {
    pub id: String,
    pub name: String,
}

#[cfg(feature = "ssr")]
async fn agent_names(
    db: &sea_orm::DatabaseConnection,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let agents = abetworks::catalog::list_published(db, &Default::default())
        .await
        .map_err(crate::server::core_error)?;
    Ok(agents.into_iter().map(|a| (a.id, a.name)).collect())
}

#[cfg(feature = "ssr")]
fn key_info(
    key: abetworks::entities::api_keys::Model,
    names: &std::collections::HashMap<String, String>,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiKeyInfo {
    use crate::server::rfc3339;
    ApiKeyInfo {
        agent_name: key.agent_id.as_ref().map(|id| {
            names
                .get(id)
                .cloned()
                .unwrap_or_else(|| "An unlisted agent".to_owned())
        }),
        expired: key.expires_at.is_some_and(|at| at <= now),
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        agent_id: key.agent_id,
        created_at: rfc3339(key.created_at),
        last_used_at: key.last_used_at.map(rfc3339),
        expires_at: key.expires_at.map(rfc3339),
        revoked_at: key.revoked_at.map(rfc3339),
    }
}

/// The caller's keys, newest first, revoked ones included.
#[server(endpoint = "ui/keys/list")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyInfo>, AppError> {
    use crate::server::{core_error, require_user, state};
    let user = require_user().await?;
    let state = state()?;
    let keys = abetworks::api_keys::list_keys(&state.db, &user.id)
        .await
        .map_err(core_error)?;
    let names = agent_names(&state.db).await?;
    let now = chrono::Utc::now();
    Ok(keys.into_iter().map(|k| key_info(k, &names, now)).collect())
}

/// The agents a key may be scoped to: the published catalog.
#[server(endpoint = "ui/keys/agents")]
pub async fn key_scope_options() -> Result<Vec<AgentOption>, AppError> {
    use crate::server::{core_error, require_user, state};
    require_user().await?;
    let state = state()?;
    let agents = abetworks::catalog::list_published(&state.db, &Default::default())
        .await
        .map_err(core_error)?;
    Ok(agents
        .into_iter()
        .map(|a| AgentOption {
            id: a.id,
            name: a.name,
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

    let user = require_user().await?;
    let state = state()?;
    let agent_id = agent_id
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    let expires_at = match expires_on
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(text) => {
            let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| AppError::field("expiresAt", "Enter a date like 2027-01-31."))?;
            let end_of_day = date
                .and_hms_opt(23, 59, 59)
                .ok_or_else(|| AppError::field("expiresAt", "Enter a valid date."))?;
            Some(end_of_day.and_utc())
        }
    };
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
        key: key_info(key, &names, chrono::Utc::now()),
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
