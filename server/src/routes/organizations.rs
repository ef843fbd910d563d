//! `/api/orgs/current*`: the caller's own organisation. Every member sees it, its members and
//! the agents its subscriptions give them, and may leave it; its admins manage members and
//! see its usage, executions and licenses (read-only). The core scopes every call by the
//! caller, so an admin never reaches another organisation.

use abetworks::executions::ExecutionView;
use abetworks::input::id_filter;
use abetworks::licenses::{EffectiveStatus, LicenseFilter, LicenseView};
use abetworks::organizations::{self, activity};
use abetworks::pagination::{Page, PageRequest};
use abetworks::subscriptions;
use abetworks::types::teams::{
    MemberRoleChange, MemberView, OrgAgentView, OrgUsage, OrganizationView,
};
use abetworks::types::Vocabulary;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::admin_executions::ExecutionQuery;
use super::range_or_last_30_days;
use crate::error::ApiError;
use crate::extract::{AdminUser, Caller};
use crate::input::{ApiJson, ApiPath, ApiQuery};

pub async fn current(Caller { state, actor }: Caller) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(organizations::current(&state.db, &actor).await?))
}

pub async fn members(Caller { state, actor }: Caller) -> Result<Json<Vec<MemberView>>, ApiError> {
    Ok(Json(organizations::members(&state.db, &actor).await?))
}

/// The agents the organisation's subscriptions give the caller, with the pool's standing and
/// the caller's own against a per-member cap.
pub async fn agents(Caller { state, actor }: Caller) -> Result<Json<Vec<OrgAgentView>>, ApiError> {
    Ok(Json(subscriptions::for_member(&state.db, &actor).await?))
}

/// Leaves the organisation for a new personal one of the caller's own.
pub async fn leave(Caller { state, actor }: Caller) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(organizations::leave(&state.db, &actor).await?))
}

pub async fn remove_member(
    AdminUser { state, actor }: AdminUser,
    ApiPath(user_id): ApiPath<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    organizations::remove_member(&state.db, &actor, &user_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

pub async fn change_role(
    AdminUser { state, actor }: AdminUser,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(change): ApiJson<MemberRoleChange>,
) -> Result<Json<MemberView>, ApiError> {
    Ok(Json(
        organizations::change_role(&state.db, &actor, &user_id, change).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// A date or time; 30 days ago when absent.
    from: Option<String>,
    /// A date (through its end) or time; now when absent.
    to: Option<String>,
}

pub async fn usage(
    AdminUser { state, actor }: AdminUser,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> Result<Json<OrgUsage>, ApiError> {
    let range = range_or_last_30_days(query.from.as_deref(), query.to.as_deref())?;
    Ok(Json(activity::usage(&state.db, &actor, range).await?))
}

pub async fn usage_csv(
    AdminUser { state, actor }: AdminUser,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> Result<Response, ApiError> {
    let range = range_or_last_30_days(query.from.as_deref(), query.to.as_deref())?;
    let csv = activity::usage_csv(&state.db, &actor, range).await?;
    let filename = format!(
        "attachment; filename=\"organisation-usage-{}-{}.csv\"",
        range.from.format("%Y%m%d"),
        range.to.format("%Y%m%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        csv,
    )
        .into_response())
}

/// The executions of the organisation's members, filtered as the super admin's log is.
pub async fn executions(
    AdminUser { state, actor }: AdminUser,
    ApiQuery(query): ApiQuery<ExecutionQuery>,
) -> Result<Json<Page<ExecutionView>>, ApiError> {
    let (filter, page) = query.parse()?;
    Ok(Json(
        activity::executions(&state.db, &actor, &filter, page).await?,
    ))
}

/// One execution of a member; another organisation's reads as not found.
pub async fn execution(
    AdminUser { state, actor }: AdminUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ExecutionView>, ApiError> {
    Ok(Json(activity::execution(&state.db, &actor, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LicenseQuery {
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn licenses(
    AdminUser { state, actor }: AdminUser,
    ApiQuery(query): ApiQuery<LicenseQuery>,
) -> Result<Json<Page<LicenseView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = LicenseFilter {
        user_id: id_filter("userId", query.user_id.as_deref())?,
        agent_id: id_filter("agentId", query.agent_id.as_deref())?,
        status: EffectiveStatus::parse_optional("status", query.status.as_deref())?,
        ..LicenseFilter::default()
    };
    Ok(Json(
        activity::licenses(&state.db, &actor, &filter, page).await?,
    ))
}

/// The caller's organisation's routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    api.add(
        Route::get(
            "/api/orgs/current",
            Access::SignedIn,
            "The caller's organisation",
        )
        .answers::<OrganizationView>(200),
        current,
    )
    .add(
        Route::get(
            "/api/orgs/current/members",
            Access::SignedIn,
            "The caller's organisation's members",
        )
        .answers::<Vec<MemberView>>(200),
        members,
    )
    .add(
        Route::get(
            "/api/orgs/current/agents",
            Access::SignedIn,
            "The agents the organisation's subscriptions give the caller, with the pool's standing and the caller's own against a per-member cap",
        )
        .answers::<Vec<OrgAgentView>>(200),
        agents,
    )
    .add(
        Route::post(
            "/api/orgs/current/leave",
            Access::SignedIn,
            "Leave the organisation for a new personal one (409 for its last admin)",
        )
        .answers::<OrganizationView>(200)
        .fails(&[409]),
        leave,
    )
    .add(
        Route::delete(
            "/api/orgs/current/members/{userId}",
            Access::Admin,
            "Remove a member: they get a personal organisation of their own",
        )
        .answers_nothing()
        .fails(&[409]),
        remove_member,
    )
    .add(
        Route::patch(
            "/api/orgs/current/members/{userId}",
            Access::Admin,
            "Make a member an admin or an admin a member (409 for the last admin)",
        )
        .body::<MemberRoleChange>()
        .answers::<MemberView>(200)
        .fails(&[409]),
        change_role,
    )
    .add(
        Route::get(
            "/api/orgs/current/usage",
            Access::Admin,
            "Calls by member and by day over a range (from, to; the last 30 days by default)",
        )
        .query::<UsageQuery>()
        .answers::<OrgUsage>(200),
        usage,
    )
    .add(
        Route::get(
            "/api/orgs/current/usage.csv",
            Access::Admin,
            "Calls by member over a range, as CSV",
        )
        .query::<UsageQuery>()
        .answers_csv(),
        usage_csv,
    )
    .add(
        Route::get(
            "/api/orgs/current/executions",
            Access::Admin,
            "The executions of the organisation's members, filtered",
        )
        .query::<ExecutionQuery>()
        .answers_page::<ExecutionView>(200),
        executions,
    )
    .add(
        Route::get(
            "/api/orgs/current/executions/{id}",
            Access::Admin,
            "One execution of a member (another organisation's is not found)",
        )
        .answers::<ExecutionView>(200),
        execution,
    )
    .add(
        Route::get(
            "/api/orgs/current/licenses",
            Access::Admin,
            "The licenses of the organisation's members, read-only",
        )
        .query::<LicenseQuery>()
        .answers_page::<LicenseView>(200),
        licenses,
    )
}
