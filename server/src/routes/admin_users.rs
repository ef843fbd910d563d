//! `/api/admin/users`: super admins list and change users; organisation admins list their own
//! organisation's members, read-only.

use abetworks::entities::enums::Role;
use abetworks::pagination::{Page, PageRequest};
use abetworks::users::{self, UserChange, UserFilter};
use app::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::auth::UserView;
use crate::error::ApiError;
use crate::extract::{AdminUser, ClientIp, SuperAdmin};
use crate::input::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserListQuery {
    q: Option<String>,
    role: Option<Role>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    AdminUser(current): AdminUser,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> Result<Json<Page<UserView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let organization_id =
        (current.user.role != Role::SuperAdmin).then(|| current.user.organization_id.clone());
    let filter = UserFilter {
        query: query.q,
        role: query.role,
        organization_id,
    };
    Ok(Json(
        users::list_users(&state.db, &filter, page)
            .await?
            .map(UserView::from),
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
        return Err(ApiError::Validation(vec![
            abetworks::error::FieldIssue::new("body", "give role or disabled"),
        ]));
    }
    let change = UserChange {
        role: patch.role,
        disabled: patch.disabled,
    };
    let user = users::change_user(&state.db, current.id(), &id, change, Some(&ip)).await?;
    Ok(Json(user.into()))
}
