//! `/api/keys`: the caller's API keys. The key text is returned once, at creation.

use abetworks::api_keys::{self, NewKey};
use abetworks::pagination::Page;
use abetworks::views::{ApiKeyView, CreatedKey};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::whole_list;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::input::{ApiJson, ApiPath};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKeyBody {
    name: String,
    agent_id: Option<String>,
    expires_at: Option<DateTime<Utc>>,
}

pub async fn list(Caller { state, actor }: Caller) -> Result<Json<Page<ApiKeyView>>, ApiError> {
    Ok(Json(whole_list(
        api_keys::key_views(&state.db, &actor).await?,
    )))
}

pub async fn create(
    Caller { state, actor }: Caller,
    ApiJson(body): ApiJson<CreateKeyBody>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let new = NewKey {
        name: &body.name,
        agent_id: body.agent_id.as_deref(),
        expires_at: body.expires_at,
    };
    let created = api_keys::create_key(&state.db, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn revoke(
    Caller { state, actor }: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    api_keys::revoke_key(&state.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The API key routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::ApiKeyView;
    api.add(
        Route::get("/api/keys", Access::SignedIn, "The caller's API keys")
            .answers_page::<ApiKeyView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/keys",
            Access::SignedIn,
            "Create an API key; its text is returned once",
        )
        .body::<CreateKeyBody>()
        .answers::<CreatedKey>(201)
        .fails(&[404]),
        create,
    )
    .add(
        Route::delete(
            "/api/keys/{id}",
            Access::SignedIn,
            "Revoke one of the caller's API keys",
        )
        .answers_nothing(),
        revoke,
    )
}
