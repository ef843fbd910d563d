//! `/api/admin/users`: super admins list and change users; organisation admins list their own
//! organisation's members, read-only (the core scopes the list by the caller).

use abetworks::entities::enums::Role;
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::Vocabulary;
use abetworks::users::{self, UserChange, UserFilter};
use abetworks::views::UserView;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{AdminUser, SuperAdmin};
use crate::input::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserListQuery {
    q: Option<String>,
    role: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    AdminUser { state, actor }: AdminUser,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> Result<Json<Page<UserView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = UserFilter {
        query: query.q,
        role: Role::parse_optional("role", query.role.as_deref())?,
    };
    Ok(Json(
        users::list_users(&state.db, &actor, &filter, page).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserPatch {
    role: Option<Role>,
    disabled: Option<bool>,
}

pub async fn update(
    SuperAdmin { state, actor }: SuperAdmin,
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
    let user = users::change_user(&state.db, &actor, &id, change).await?;
    Ok(Json(user.into()))
}

/// The user administration routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::UserView;
    api.add(
        Route::get(
            "/api/admin/users",
            Access::Admin,
            "Users (an organisation admin sees their organisation only)",
        )
        .query::<UserListQuery>()
        .answers_page::<UserView>(200),
        list,
    )
    .add(
        Route::patch(
            "/api/admin/users/{id}",
            Access::SuperAdmin,
            "Change a user's role or disable them",
        )
        .body::<UserPatch>()
        .answers::<UserView>(200)
        .fails(&[409]),
        update,
    )
}
