//! `/api/admin/licenses*`: the super admin grants, lists, changes and revokes licenses.

use abetworks::entities::enums::LicenseStatus;
use abetworks::input::{id_filter, search_text};
use abetworks::licenses::{
    self, EffectiveStatus, GrantLicense, LicenseChange, LicenseFilter, LicenseSort, LicenseView,
};
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::Vocabulary;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::PageQuery;
use crate::error::ApiError;
use crate::extract::{Caller, SuperAdmin};
use crate::input::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LicenseQuery {
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    q: Option<String>,
    /// `granted`, `user`, `agent`, `used`, `status` or `expires`; `-` first for descending.
    sort: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    _: SuperAdmin,
    ApiQuery(query): ApiQuery<LicenseQuery>,
) -> Result<Json<Page<LicenseView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = LicenseFilter {
        user_id: id_filter("userId", query.user_id.as_deref())?,
        agent_id: id_filter("agentId", query.agent_id.as_deref())?,
        status: EffectiveStatus::parse_optional("status", query.status.as_deref())?,
        query: search_text("q", query.q.as_deref())?,
        sort: query
            .sort
            .as_deref()
            .map(LicenseSort::parse)
            .transpose()?
            .unwrap_or_default(),
    };
    Ok(Json(licenses::list(&state.db, &filter, page).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GrantBody {
    user_id: String,
    agent_id: String,
    api_call_limit: i64,
    expires_at: Option<DateTime<Utc>>,
}

pub async fn grant(
    State(state): State<AppState>,
    _: SuperAdmin,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<GrantBody>,
) -> Result<(StatusCode, Json<LicenseView>), ApiError> {
    let grant = GrantLicense {
        user_id: body.user_id,
        agent_id: body.agent_id,
        api_call_limit: body.api_call_limit,
        expires_at: body.expires_at,
    };
    let license = licenses::grant(&state.db, &actor, grant).await?;
    Ok((StatusCode::CREATED, Json(license)))
}

/// `Some(None)` when the field is present and null ("no expiry"), `None` when absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LicensePatch {
    api_call_limit: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<DateTime<Utc>>>,
    status: Option<LicenseStatus>,
}

pub async fn update(
    State(state): State<AppState>,
    _: SuperAdmin,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<LicensePatch>,
) -> Result<Json<LicenseView>, ApiError> {
    let change = LicenseChange {
        api_call_limit: patch.api_call_limit,
        expires_at: patch.expires_at,
        status: patch.status,
    };
    Ok(Json(
        licenses::update(&state.db, &actor, &id, change).await?,
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    _: SuperAdmin,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<LicenseView>, ApiError> {
    Ok(Json(licenses::revoke(&state.db, &actor, &id).await?))
}

pub async fn by_user(
    State(state): State<AppState>,
    _: SuperAdmin,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<LicenseView>>, ApiError> {
    let page = paging.request()?;
    Ok(Json(
        licenses::list_by_user(&state.db, &user_id, page).await?,
    ))
}

pub async fn by_agent(
    State(state): State<AppState>,
    _: SuperAdmin,
    ApiPath(agent_id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<LicenseView>>, ApiError> {
    let page = paging.request()?;
    Ok(Json(
        licenses::list_by_agent(&state.db, &agent_id, page).await?,
    ))
}

/// The license administration routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::LicenseView;
    api.add(
        Route::get(
            "/api/admin/licenses",
            Access::SuperAdmin,
            "Every license, filtered and paginated",
        )
        .query::<LicenseQuery>()
        .answers_page::<LicenseView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/admin/licenses",
            Access::SuperAdmin,
            "Grant a license (apiCallLimit -1 = unlimited)",
        )
        .body::<GrantBody>()
        .answers::<LicenseView>(201)
        .fails(&[404, 409]),
        grant,
    )
    .add(
        Route::patch(
            "/api/admin/licenses/{id}",
            Access::SuperAdmin,
            "Change a license's limit, expiry or status",
        )
        .body::<LicensePatch>()
        .answers::<LicenseView>(200)
        .fails(&[409]),
        update,
    )
    .add(
        Route::delete(
            "/api/admin/licenses/{id}",
            Access::SuperAdmin,
            "Revoke a license",
        )
        .answers::<LicenseView>(200)
        .fails(&[409]),
        revoke,
    )
    .add(
        Route::get(
            "/api/admin/licenses/user/{userId}",
            Access::SuperAdmin,
            "A user's licenses",
        )
        .query::<PageQuery>()
        .answers_page::<LicenseView>(200),
        by_user,
    )
    .add(
        Route::get(
            "/api/admin/licenses/agent/{agentId}",
            Access::SuperAdmin,
            "An agent's licenses",
        )
        .query::<PageQuery>()
        .answers_page::<LicenseView>(200),
        by_agent,
    )
}
