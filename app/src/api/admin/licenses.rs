//! Licenses: the list, the grant dialog's pickers, grant, update and revoke.

use abetworks_types::views::{LicenseView, PickOption};
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
    use crate::server::{core_error, require_super_admin, state};
    use abetworks::licenses::{LicenseFilter, LicenseSort};
    require_super_admin().await?;
    let state = state()?;
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
    use crate::server::{core_error, require_super_admin, state};
    let actor = require_super_admin().await?;
    let state = state()?;
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
    use crate::server::{core_error, require_super_admin, state};
    require_super_admin().await?;
    let state = state()?;
    let agents = abetworks::catalog::list_all(&state.db, Some(&query), pick_request()?)
        .await
        .map_err(core_error)?;
    Ok(agents
        .items
        .into_iter()
        .map(|agent| PickOption {
            id: agent.id,
            label: agent.name,
            detail: agent.slug,
        })
        .collect())
}

/// Grants a license; `api_call_limit` -1 is unlimited; `expires_on` a date or blank.
#[server(endpoint = "admin-ui/licenses/grant")]
pub async fn admin_grant_license(
    user_id: String,
    agent_id: String,
    api_call_limit: i64,
    expires_on: Option<String>,
) -> Result<LicenseView, AppError> {
    use super::form::{required, time};
    use crate::server::{actor, core_error, state};
    use abetworks::input::DayBound;
    let (_, actor) = actor().await?;
    let state = state()?;
    let grant = abetworks::licenses::GrantLicense {
        user_id: required("userId", user_id, "Choose a user.")?,
        agent_id: required("agentId", agent_id, "Choose an agent.")?,
        api_call_limit,
        expires_at: time("expiresAt", expires_on.as_deref(), DayBound::End)?,
    };
    abetworks::licenses::grant(&state.db, &actor, grant)
        .await
        .map_err(core_error)
}

/// Changes a license's limit, expiry and/or status (`active` or `suspended`). `expires_on`:
/// absent or blank leaves the expiry, [`super::NO_EXPIRY`] removes it, a date sets it.
#[server(endpoint = "admin-ui/licenses/update")]
pub async fn admin_update_license(
    id: String,
    api_call_limit: Option<i64>,
    expires_on: Option<String>,
    status: Option<String>,
) -> Result<LicenseView, AppError> {
    use super::form::{choice, time};
    use super::NO_EXPIRY;
    use crate::server::{actor, core_error, state};
    use abetworks::input::DayBound;
    let (_, actor) = actor().await?;
    let state = state()?;
    let expires_at = match expires_on.as_deref().map(str::trim) {
        Some(NO_EXPIRY) => Some(None),
        text => time("expiresAt", text, DayBound::End)?.map(Some),
    };
    let change = abetworks::licenses::LicenseChange {
        api_call_limit,
        expires_at,
        status: choice("status", status.as_deref())?,
    };
    abetworks::licenses::update(&state.db, &actor, &id, change)
        .await
        .map_err(core_error)
}

/// Revokes a license for good.
#[server(endpoint = "admin-ui/licenses/revoke")]
pub async fn admin_revoke_license(id: String) -> Result<LicenseView, AppError> {
    use crate::server::{actor, core_error, state};
    let (_, actor) = actor().await?;
    let state = state()?;
    abetworks::licenses::revoke(&state.db, &actor, &id)
        .await
        .map_err(core_error)
}
