//! `/api/admin/access-requests*`: review of access requests by the super admin.

use abetworks::access_requests::{
    self, AccessRequestFilter, AccessRequestView, Approval, ApprovedRequest,
};
use abetworks::entities::enums::AccessRequestStatus;
use abetworks::input::{id_filter, parse_time, DayBound};
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::enums::QuotaWindow;
use abetworks::types::Vocabulary;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::admin_licenses::PlanFields;
use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestQuery {
    status: Option<String>,
    agent_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiQuery(query): ApiQuery<RequestQuery>,
) -> Result<Json<Page<AccessRequestView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = AccessRequestFilter {
        status: AccessRequestStatus::parse_optional("status", query.status.as_deref())?,
        agent_id: id_filter("agentId", query.agent_id.as_deref())?,
        from: parse_time("from", query.from.as_deref(), DayBound::Start)?,
        to: parse_time("to", query.to.as_deref(), DayBound::End)?,
    };
    Ok(Json(access_requests::list(&state.db, &filter, page).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApproveBody {
    /// Required for an access request (`-1` = unlimited); for an increase, the new limit.
    api_call_limit: Option<i64>,
    expires_at: Option<DateTime<Utc>>,
    /// The plan to grant (access) or switch to (increase); absent fields take the defaults
    /// (lifetime, UTC, day 1, the server's burst rate). None sent: an increase keeps its plan.
    window: Option<QuotaWindow>,
    window_time_zone: Option<String>,
    reset_day: Option<i32>,
    burst_per_second: Option<i32>,
    /// For an increase: calls added to the current window.
    top_up_calls: Option<i64>,
    /// For a request for an organisation: the most calls one member may take from its pool
    /// per window (absent: no cap).
    member_cap: Option<i64>,
}

pub async fn approve(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> Result<Json<ApprovedRequest>, ApiError> {
    let plan = PlanFields {
        window: body.window,
        window_time_zone: body.window_time_zone,
        reset_day: body.reset_day,
        burst_per_second: body.burst_per_second.map(Some),
    }
    .plan_if_any();
    let approval = Approval {
        api_call_limit: body.api_call_limit,
        expires_at: body.expires_at,
        plan,
        top_up_calls: body.top_up_calls,
        member_cap: body.member_cap,
    };
    Ok(Json(
        access_requests::approve(&state.db, &actor, &id, approval).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RejectBody {
    review_note: String,
}

pub async fn reject(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RejectBody>,
) -> Result<Json<AccessRequestView>, ApiError> {
    Ok(Json(
        access_requests::reject(&state.db, &actor, &id, &body.review_note).await?,
    ))
}

/// The access-request review routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::{AccessRequestView, ApprovedRequest};
    api.add(
        Route::get(
            "/api/admin/access-requests",
            Access::SuperAdmin,
            "Access requests, pending first",
        )
        .query::<RequestQuery>()
        .answers_page::<AccessRequestView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/admin/access-requests/{id}/approve",
            Access::SuperAdmin,
            "Approve a request: an access request creates its license, an increase raises the limit or tops it up, a request for an organisation creates its pool",
        )
        .body::<ApproveBody>()
        .answers::<ApprovedRequest>(200)
        .fails(&[409]),
        approve,
    )
    .add(
        Route::post(
            "/api/admin/access-requests/{id}/reject",
            Access::SuperAdmin,
            "Reject a request with a review note",
        )
        .body::<RejectBody>()
        .answers::<AccessRequestView>(200)
        .fails(&[409]),
        reject,
    )
}
