//! Subscriptions, for the super admin: an organisation's shared pool of calls to an agent —
//! the list, subscribe, change and end.

use abetworks_types::inputs::QuotaPlan;
use abetworks_types::teams::SubscriptionView;
use abetworks_types::Page;
use leptos::prelude::*;

use crate::error::AppError;

/// The subscriptions of `organization_id` (blank: of every organisation), newest first.
#[server(endpoint = "admin-ui/subscriptions")]
pub async fn admin_subscriptions(
    organization_id: Option<String>,
    page: Option<u64>,
) -> Result<Page<SubscriptionView>, AppError> {
    use super::form::page_request;
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    let filter = abetworks::subscriptions::SubscriptionFilter {
        organization_id: organization_id.filter(|id| !id.trim().is_empty()),
    };
    abetworks::subscriptions::list(&state.db, &actor, &filter, page_request(page)?)
        .await
        .map_err(core_error)
}

/// Subscribes an organisation to an agent: `api_call_limit` -1 is unlimited, `member_cap`
/// (absent: none) limits each member, `expires_on` a date or blank; no `plan` is a lifetime
/// pool.
#[server(endpoint = "admin-ui/subscriptions/create")]
pub async fn admin_create_subscription(
    organization_id: String,
    agent_id: String,
    api_call_limit: i64,
    plan: Option<QuotaPlan>,
    member_cap: Option<i64>,
    expires_on: Option<String>,
) -> Result<SubscriptionView, AppError> {
    use super::form::{required, time};
    use crate::server::{as_caller, core_error};
    use abetworks::input::DayBound;
    use abetworks_types::teams::NewSubscription;
    let (state, actor) = as_caller().await?;
    let new = NewSubscription {
        organization_id: required("organizationId", organization_id, "Choose an organisation.")?,
        agent_id: required("agentId", agent_id, "Choose an agent.")?,
        api_call_limit,
        plan: plan.unwrap_or_default(),
        member_cap,
        expires_at: time("expiresAt", expires_on.as_deref(), DayBound::End)?,
    };
    abetworks::subscriptions::create(&state.db, &actor, new)
        .await
        .map_err(core_error)
}

/// Changes a subscription's limit, plan, member cap and/or expiry. `member_cap`: absent
/// leaves it, -1 removes it. `expires_on`: absent or blank leaves it, [`super::NO_EXPIRY`]
/// removes it, a date sets it. No `plan` leaves the plan.
#[server(endpoint = "admin-ui/subscriptions/update")]
pub async fn admin_update_subscription(
    id: String,
    api_call_limit: Option<i64>,
    plan: Option<QuotaPlan>,
    member_cap: Option<i64>,
    expires_on: Option<String>,
) -> Result<SubscriptionView, AppError> {
    use super::form::time;
    use super::NO_EXPIRY;
    use crate::server::{as_caller, core_error};
    use abetworks::input::DayBound;
    use abetworks_types::teams::SubscriptionChange;
    let (state, actor) = as_caller().await?;
    let expires_at = match expires_on.as_deref().map(str::trim) {
        Some(NO_EXPIRY) => Some(None),
        text => time("expiresAt", text, DayBound::End)?.map(Some),
    };
    let change = SubscriptionChange {
        api_call_limit,
        plan,
        member_cap: member_cap.map(|cap| (cap >= 0).then_some(cap)),
        expires_at,
    };
    abetworks::subscriptions::update_at(&state.db, &actor, &id, change, state.clock.now())
        .await
        .map_err(core_error)
}

/// Ends a subscription: the organisation's members can no longer run the agent on its pool.
#[server(endpoint = "admin-ui/subscriptions/delete")]
pub async fn admin_delete_subscription(id: String) -> Result<(), AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::subscriptions::delete(&state.db, &actor, &id)
        .await
        .map_err(core_error)
}
