//! `/api/keys`: the caller's API keys. The key text is returned once, at creation.

use std::collections::HashMap;

use abetworks::api_keys::{self, NewKey};
use abetworks::entities::api_keys as keys;
use abetworks::pagination::Page;
use abetworks::views::{api_key_view, ApiKeyView};
use abetworks::CoreResult;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use super::whole_list;
use crate::error::ApiError;
use crate::extract::{ClientIp, CurrentUser};
use crate::input::{ApiJson, ApiPath};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKeyBody {
    name: String,
    agent_id: Option<String>,
    expires_at: Option<DateTime<Utc>>,
}

/// A key just created, with its text under `secret`: shown this once, never again.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKeyAnswer {
    key: ApiKeyView,
    secret: String,
}

/// The name of the agent a key is scoped to, if it has one and the agent still exists.
async fn agent_name(db: &DatabaseConnection, key: &keys::Model) -> CoreResult<Option<String>> {
    match &key.agent_id {
        Some(agent_id) => Ok(abetworks::catalog::find_agent(db, agent_id)
            .await?
            .map(|agent| agent.name)),
        None => Ok(None),
    }
}

/// The keys as their owner sees them, each with the name of the agent it is scoped to.
async fn key_views(db: &DatabaseConnection, keys: Vec<keys::Model>) -> CoreResult<Vec<ApiKeyView>> {
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    for key in &keys {
        if let Some(agent_id) = &key.agent_id {
            if !names.contains_key(agent_id) {
                names.insert(agent_id.clone(), agent_name(db, key).await?);
            }
        }
    }
    let now = Utc::now();
    Ok(keys
        .into_iter()
        .map(|key| {
            let agent_name = key
                .agent_id
                .as_ref()
                .and_then(|id| names.get(id).cloned().flatten());
            api_key_view(key, agent_name, now)
        })
        .collect())
}

pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Page<ApiKeyView>>, ApiError> {
    let keys = api_keys::list_keys(&state.db, current.id()).await?;
    Ok(Json(whole_list(key_views(&state.db, keys).await?)))
}

pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CreateKeyBody>,
) -> Result<(StatusCode, Json<CreatedKeyAnswer>), ApiError> {
    let (key, secret) = api_keys::create_key(
        &state.db,
        current.id(),
        NewKey {
            name: &body.name,
            agent_id: body.agent_id.as_deref(),
            expires_at: body.expires_at,
        },
        Some(&ip),
    )
    .await?;
    let agent_name = agent_name(&state.db, &key).await?;
    let key = api_key_view(key, agent_name, Utc::now());
    Ok((StatusCode::CREATED, Json(CreatedKeyAnswer { key, secret })))
}

pub async fn revoke(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    api_keys::revoke_key(&state.db, current.id(), &id, Some(&ip)).await?;
    Ok(StatusCode::NO_CONTENT)
}
