//! Licenses: the list, the grant dialog's pickers, grant, update, revoke, top-ups and history.

use abetworks_types::inputs::QuotaPlan;
use abetworks_types::views::{LicenseEventView, LicenseView, PickOption, TopUpView};
use abetworks_types::Page;
use leptos::prelude::*;

use crate::error::AppError;

/// Every license matching the filters, newest first unless `sort` says otherwise
/// (`user`, `-used`, … as the REST list takes it).
#[server(endpoint = "admin-ui/licenses")]
pub async fn admin_licenses(
    query: Option<String>,
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<u64>,
) -> Result<Page<LicenseView>, AppError> {
    use super::form::{choice, page_request};
    use crate::server::{as_super_admin, core_error};
    use abetworks::licenses::{LicenseFilter, LicenseSort};
    let (state, _) = as_super_admin().await?;
    let sort = match sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => LicenseSort::default(),
        Some(text) => LicenseSort::parse(text).map_err(core_error)?,
    };
    let filter = LicenseFilter {
        user_id,
        agent_id,
        status: choice("status", status.as_deref())?,
        query,
        sort,
    };
    abetworks::licenses::list(&state.db, &filter, page_request(page)?)
        .await
        .map_err(core_error)
}

/// Users matching a search, for the grant dialog's picker.
#[server(endpoint = "admin-ui/pick-users")]
pub async fn admin_pick_users(query: String) -> Result<Vec<PickOption>, AppError> {
    use super::form::pick_request;
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    let filter = abetworks::users::UserFilter {
        query: Some(query),
        ..Default::default()
    };
    let users = abetworks::users::list_users(&state.db, &actor, &filter, pick_request()?)
        .await
        .map_err(core_error)?;
    Ok(users
        .items
        .into_iter()
        .map(|user| PickOption {
            id: user.id,
            label: user.email,
            detail: user.name,
        })
        .collect())
}

/// Agents matching a search, for the grant dialog's picker (drafts too).
#[server(endpoint = "admin-ui/pick-agents")]
pub async fn admin_pick_agents(query: String) -> Result<Vec<PickOption>, AppError> {
    use super::form::pick_request;
    use crate::api::agent_option;
    use crate::server::{as_super_admin, core_error};
    let (state, _) = as_super_admin().await?;
    let agents = abetworks::catalog::list_all(&state.db, Some(&query), pick_request()?)
        .await
        .map_err(core_error)?;
    Ok(agents.items.into_iter().map(agent_option).collect())
}

/// Grants a license; `api_call_limit` -1 is unlimited; `expires_on` a date or blank; no
/// `plan` means a lifetime limit (the REST default).
#[server(endpoint = "admin-ui/licenses/grant")]
pub async fn admin_grant_license(
    user_id: String,
    agent_id: String,
    api_call_limit: i64,
    expires_on: Option<String>,
    plan: Option<QuotaPlan>,
) -> Result<LicenseView, AppError> {
    use super::form::{required, time};
    use crate::server::{as_caller, core_error};
    use abetworks::input::DayBound;
    let (state, actor) = as_caller().await?;
    let grant = abetworks::licenses::GrantLicense {
        user_id: required("userId", user_id, "Choose a user.")?,
        agent_id: required("agentId", agent_id, "Choose an agent.")?,
        api_call_limit,
        expires_at: time("expiresAt", expires_on.as_deref(), DayBound::End)?,
        plan: plan.unwrap_or_default(),
    };
    abetworks::licenses::grant(&state.db, &actor, grant)
        .await
        .map_err(core_error)
}

/// Changes a license's limit, expiry, status (`active` or `suspended`) and/or quota plan.
/// `expires_on`: absent or blank leaves the expiry, [`super::NO_EXPIRY`] removes it, a date
/// sets it. No `plan` leaves the plan; `reset_usage` starts the current window again at zero.
#[server(endpoint = "admin-ui/licenses/update")]
pub async fn admin_update_license(
    id: String,
    api_call_limit: Option<i64>,
    expires_on: Option<String>,
    status: Option<String>,
    plan: Option<QuotaPlan>,
    reset_usage: Option<bool>,
) -> Result<LicenseView, AppError> {
    use super::form::{choice, time};
    use super::NO_EXPIRY;
    use crate::server::{as_caller, core_error};
    use abetworks::input::DayBound;
    let (state, actor) = as_caller().await?;
    let expires_at = match expires_on.as_deref().map(str::trim) {
        Some(NO_EXPIRY) => Some(None),
        text => time("expiresAt", text, DayBound::End)?.map(Some),
    };
    let change = abetworks::licenses::LicenseChange {
        api_call_limit,
        expires_at,
        status: choice("status", status.as_deref())?,
        plan,
        reset_usage: reset_usage.unwrap_or(false),
    };
    abetworks::licenses::update(&state.db, &actor, &id, change, state.clock.now())
        .await
        .map_err(core_error)
}

/// Revokes a license for good.
#[server(endpoint = "admin-ui/licenses/revoke")]
pub async fn admin_revoke_license(id: String) -> Result<LicenseView, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::licenses::revoke(&state.db, &actor, &id)
        .await
        .map_err(core_error)
}

/// Adds `calls` to the license's current window, with a note; `expires_on` (a date or blank)
/// ends the top-up at the end of that day.
#[server(endpoint = "admin-ui/licenses/top-up")]
pub async fn admin_top_up_license(
    id: String,
    calls: i64,
    note: String,
    expires_on: Option<String>,
) -> Result<TopUpView, AppError> {
    use super::form::time;
    use crate::server::{as_caller, core_error};
    use abetworks::input::DayBound;
    let (state, actor) = as_caller().await?;
    let top_up = abetworks::licenses::NewTopUp {
        calls,
        note,
        expires_at: time("expiresAt", expires_on.as_deref(), DayBound::End)?,
    };
    abetworks::licenses::top_up(&state.db, &actor, &id, top_up, state.clock.now())
        .await
        .map_err(core_error)
}

/// What happened to a license (grants, changes, top-ups, renewals), newest first.
#[server(endpoint = "admin-ui/licenses/history")]
pub async fn admin_license_history(id: String) -> Result<Vec<LicenseEventView>, AppError> {
    license_records(&id, abetworks::licenses::history).await
}

/// The calls added to a license, newest first.
#[server(endpoint = "admin-ui/licenses/top-ups")]
pub async fn admin_license_top_ups(id: String) -> Result<Vec<TopUpView>, AppError> {
    license_records(&id, abetworks::licenses::top_ups).await
}

/// What `read` finds about the license `id` (its history, its top-ups), for the super admin.
#[cfg(feature = "ssr")]
async fn license_records<T>(
    id: &str,
    read: impl AsyncFnOnce(
        &sea_orm::DatabaseConnection,
        &abetworks::Actor,
        &str,
    ) -> abetworks::CoreResult<T>,
) -> Result<T, AppError> {
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    read(&state.db, &actor, id).await.map_err(core_error)
}
