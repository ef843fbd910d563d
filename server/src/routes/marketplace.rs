//! `/api/marketplace/*` and `/api/usage/my-usage`: what a signed-in customer sees.

use abetworks::access_requests::{self, AccessRequestView, NewAccessRequest};
use abetworks::catalog::CatalogFilter;
use abetworks::licenses::LicenseView;
use abetworks::marketplace::{self, MarketplaceAgent};
use abetworks::pagination::{Page, PageRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::{whole_list, PageQuery, Paging};
use crate::error::ApiError;
use crate::extract::{Caller, CurrentUser};
use crate::input::{ApiJson, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentQuery {
    q: Option<String>,
    category: Option<String>,
    /// In cents.
    min_price: Option<i64>,
    max_price: Option<i64>,
    /// With `pageSize`, one page of the matches; without either, every match on one page.
    page: Option<i64>,
    page_size: Option<i64>,
}

/// The matches, one page of them when `page` or `pageSize` is given, otherwise all of them
/// (as the contract has always answered).
pub async fn agents(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<AgentQuery>,
) -> Result<Json<Page<MarketplaceAgent>>, ApiError> {
    let filter = CatalogFilter {
        query: query.q,
        category: query.category,
        min_price_cents: query.min_price,
        max_price_cents: query.max_price,
    };
    if query.page.is_some() || query.page_size.is_some() {
        let page = PageRequest::new(query.page, query.page_size)?;
        let found = marketplace::page_for(&state.db, Some(current.id()), &filter, page).await?;
        return Ok(Json(found));
    }
    let items = marketplace::list_for_user(&state.db, current.id(), &filter).await?;
    Ok(Json(whole_list(items)))
}

pub async fn my_agents(
    Caller { state, actor }: Caller,
) -> Result<Json<Vec<LicenseView>>, ApiError> {
    Ok(Json(
        abetworks::licenses::list_for_holder(&state.db, &actor).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestAccessBody {
    agent_id: String,
    request_reason: String,
    /// The calls wanted; when the caller already holds a license this asks for more calls.
    requested_calls: Option<i64>,
    /// An organisation admin asks for a pool for their team organisation, not for themselves
    /// (default false; 403 for a member, 409 for a personal organisation).
    #[serde(default)]
    for_organization: bool,
}

pub async fn request_access(
    Caller { state, actor }: Caller,
    ApiJson(body): ApiJson<RequestAccessBody>,
) -> Result<(StatusCode, Json<AccessRequestView>), ApiError> {
    let created = access_requests::create(
        &state.db,
        &actor,
        NewAccessRequest {
            agent_id: body.agent_id,
            reason: body.request_reason,
            requested_calls: body.requested_calls,
            for_organization: body.for_organization,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn my_requests(
    Caller { state, actor }: Caller,
    Paging(page): Paging,
) -> Result<Json<Page<AccessRequestView>>, ApiError> {
    Ok(Json(
        access_requests::list_mine(&state.db, &actor, page).await?,
    ))
}

/// The customer's routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::{AccessRequestView, LicenseView, MarketplaceAgent};
    api.add(
        Route::get(
            "/api/marketplace/agents",
            Access::SignedIn,
            "Published agents with the caller's access (q, category, minPrice, maxPrice)",
        )
        .query::<AgentQuery>()
        .answers_page::<MarketplaceAgent>(200),
        agents,
    )
    .add(
        Route::get(
            "/api/marketplace/my-agents",
            Access::SignedIn,
            "The caller's licenses with limit, used, remaining and status",
        )
        .answers::<Vec<LicenseView>>(200),
        my_agents,
    )
    .add(
        Route::post(
            "/api/marketplace/request-access",
            Access::SignedIn,
            "Ask for access to an agent, for more calls on a license held, or (an organisation admin) for a pool for the team",
        )
        .body::<RequestAccessBody>()
        .answers::<AccessRequestView>(201)
        .fails(&[404, 409]),
        request_access,
    )
    .add(
        Route::get(
            "/api/marketplace/my-requests",
            Access::SignedIn,
            "The caller's access requests",
        )
        .query::<PageQuery>()
        .answers_page::<AccessRequestView>(200),
        my_requests,
    )
    .add(
        Route::get(
            "/api/usage/my-usage",
            Access::SignedIn,
            "The caller's usage by agent",
        )
        .answers::<Vec<LicenseView>>(200),
        my_agents,
    )
}
