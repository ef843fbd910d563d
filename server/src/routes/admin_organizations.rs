//! `/api/admin/organizations*`: the super admin creates and renames organisations and sees
//! their members. `adminUserId` moves that user in as the new organisation's admin.

use abetworks::organizations;
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::teams::{MemberView, NewOrganization, OrganizationChange, OrganizationView};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrganizationQuery {
    /// Part of the name or slug.
    q: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiQuery(query): ApiQuery<OrganizationQuery>,
) -> Result<Json<Page<OrganizationView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    Ok(Json(
        organizations::list(&state.db, &actor, query.q.as_deref(), page).await?,
    ))
}

pub async fn create(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiJson(body): ApiJson<NewOrganization>,
) -> Result<(StatusCode, Json<OrganizationView>), ApiError> {
    let created = organizations::create(&state.db, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn rename(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<OrganizationChange>,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(
        organizations::rename(&state.db, &actor, &id, change).await?,
    ))
}

pub async fn members(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    Ok(Json(
        organizations::members_of(&state.db, &actor, &id).await?,
    ))
}

/// The organisation administration routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    api.add(
        Route::get(
            "/api/admin/organizations",
            Access::SuperAdmin,
            "Organisations (teams first), searched by name or slug, with member and admin counts",
        )
        .query::<OrganizationQuery>()
        .answers_page::<OrganizationView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/admin/organizations",
            Access::SuperAdmin,
            "Create a team organisation; adminUserId moves that user in as its admin",
        )
        .body::<NewOrganization>()
        .answers::<OrganizationView>(201)
        .fails(&[404, 409]),
        create,
    )
    .add(
        Route::patch(
            "/api/admin/organizations/{id}",
            Access::SuperAdmin,
            "Rename an organisation",
        )
        .body::<OrganizationChange>()
        .answers::<OrganizationView>(200)
        .fails(&[409]),
        rename,
    )
    .add(
        Route::get(
            "/api/admin/organizations/{id}/members",
            Access::SuperAdmin,
            "An organisation's members",
        )
        .answers::<Vec<MemberView>>(200),
        members,
    )
}
