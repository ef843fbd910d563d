//! Access requests: the list, approve (granting the license, more calls on the one held, or
//! an organisation's pool) and reject.

use abetworks_types::inputs::QuotaPlan;
use abetworks_types::views::{AccessRequestView, ApprovedRequest};
use abetworks_types::Page;
use leptos::prelude::*;

use super::DateRange;
use crate::error::AppError;

/// Access requests, pending first.
#[server(endpoint = "admin-ui/requests")]
pub async fn admin_requests(
    status: Option<String>,
    agent_id: Option<String>,
    #[server(flatten)] dates: DateRange,
    page: Option<u64>,
) -> Result<Page<AccessRequestView>, AppError> {
    use super::form::{choice, page_request};
    use crate::server::{as_super_admin, core_error};
    let (state, _) = as_super_admin().await?;
    let filter = abetworks::access_requests::AccessRequestFilter {
        status: choice("status", status.as_deref())?,
        agent_id,
        from: dates.start()?,
        to: dates.end()?,
    };
    abetworks::access_requests::list(&state.db, &filter, page_request(page)?)
        .await
        .map_err(core_error)
}

/// Approves a pending request. A first access grants a license with `api_call_limit` and
/// `plan`; a request for more calls raises the limit to `api_call_limit` and/or adds
/// `top_up_calls` to the current window of the license held. A request for an organisation
/// creates its pool with `api_call_limit`, `plan` and an optional `member_cap`.
#[server(endpoint = "admin-ui/requests/approve")]
pub async fn admin_approve_request(
    id: String,
    api_call_limit: Option<i64>,
    expires_on: Option<String>,
    plan: Option<QuotaPlan>,
    top_up_calls: Option<i64>,
    member_cap: Option<i64>,
) -> Result<ApprovedRequest, AppError> {
    use super::form::time;
    use crate::server::{as_caller, core_error};
    use abetworks::input::DayBound;
    let (state, actor) = as_caller().await?;
    let approval = abetworks::access_requests::Approval {
        api_call_limit,
        expires_at: time("expiresAt", expires_on.as_deref(), DayBound::End)?,
        plan,
        top_up_calls,
        member_cap,
    };
    abetworks::access_requests::approve(&state.db, &actor, &id, approval)
        .await
        .map_err(core_error)
}

/// Rejects a pending request with a note the user sees.
#[server(endpoint = "admin-ui/requests/reject")]
pub async fn admin_reject_request(
    id: String,
    review_note: String,
) -> Result<AccessRequestView, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::access_requests::reject(&state.db, &actor, &id, &review_note)
        .await
        .map_err(core_error)
}
