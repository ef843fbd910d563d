//! `/api/admin/users`: super admins list and change users; organisation admins list their own
//! organisation's members, read-only (the core scopes the list by the caller).

use abetworks::entities::enums::Role;
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::Vocabulary;
use abetworks::users::{self, UserChange, UserFilter};
use abetworks::views::UserView;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{AdminUser, ClientIp, RequestId, SuperAdmin};
use crate::input::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserListQuery {
    q: Option<String>,
    role: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    AdminUser(current): AdminUser,
    ClientIp(ip): ClientIp,
    RequestId(request_id): RequestId,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> Result<Json<Page<UserView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = UserFilter {
        query: query.q,
        role: Role::parse_optional("role", query.role.as_deref())?,
    };
    let actor = current.actor(ip, request_id);
    Ok(Json(
        users::list_users(&state.db, &actor, &filter, page).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserPatch {
    role: Option<Role>,
    disabled: Option<bool>,
}

pub async fn update(
    State(state): State<AppState>,
    SuperAdmin(current): SuperAdmin,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    if patch.role.is_none() && patch.disabled.is_none() {
        return Err(ApiError::field("body", "give role or disabled"));
    }
    let change = UserChange {
        role: patch.role,
        disabled: patch.disabled,
    };
    let user = users::change_user(&state.db, current.id(), &id, change, Some(&ip)).await?;
    Ok(Json(user.into()))
}
