//! `/api/keys`: the caller's API keys. The key text is returned once, at creation.

use abetworks::api_keys::{self, NewKey};
use abetworks::entities::api_keys as keys;
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::extract::{ClientIp, CurrentUser};
use crate::input::{ApiJson, ApiPath};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    id: String,
    name: String,
    prefix: String,
    agent_id: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<keys::Model> for KeyView {
    fn from(k: keys::Model) -> Self {
        Self {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            agent_id: k.agent_id,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyList {
    items: Vec<KeyView>,
    total: usize,
    page: u64,
    page_size: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKeyBody {
    name: String,
    agent_id: Option<String>,
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    key: KeyView,
    /// The key text: shown this once, never again.
    secret: String,
}

pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<KeyList>, ApiError> {
    let items: Vec<KeyView> = api_keys::list_keys(&state.db, current.id())
        .await?
        .into_iter()
        .map(KeyView::from)
        .collect();
    let total = items.len();
    Ok(Json(KeyList {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CreateKeyBody>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
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
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            key: key.into(),
            secret,
        }),
    ))
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
