//! The caller's team: their organisation, its members and invitations (the organisation
//! admin changes them), the agents it shares, its usage, executions and licenses; and an invitation
//! link's preview and acceptance. Thin: the core decides who may do what.

use abetworks_types::teams::{
    InvitationCreated, InvitationView, MemberView, OrgAgentView, OrgUsage, OrganizationView,
};
use abetworks_types::views::{ExecutionView, LicenseView};
use abetworks_types::Page;
use leptos::prelude::*;

use super::admin::DateRange;
use crate::error::AppError;

/// The caller's organisation with its counts (the team page; the header reads the session's);
/// `None` when nobody is signed in.
#[server(endpoint = "ui/team/current")]
pub async fn my_organization() -> Result<Option<OrganizationView>, AppError> {
    use crate::error::ErrorCode;
    use crate::server::{actor, core_error, state};
    let actor = match actor().await {
        Ok((_, actor)) => actor,
        Err(e) if e.is(ErrorCode::Unauthenticated) => return Ok(None),
        Err(e) => return Err(e),
    };
    let state = state()?;
    abetworks::organizations::current(&state.db, &actor)
        .await
        .map(Some)
        .map_err(core_error)
}

/// The members of the caller's organisation.
#[server(endpoint = "ui/team/members")]
pub async fn team_members() -> Result<Vec<MemberView>, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::organizations::members(&state.db, &actor)
        .await
        .map_err(core_error)
}

/// Invites `email` into the caller's organisation as `role` (`member` or `admin`). The answer
/// holds the accept link, this once.
#[server(endpoint = "ui/team/invite")]
pub async fn invite_member(email: String, role: String) -> Result<InvitationCreated, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks_types::enums::Role;
    use abetworks_types::teams::NewInvitation;
    use abetworks_types::Vocabulary;
    let (state, actor) = as_caller().await?;
    let role = Role::parse_field("role", &role).map_err(|i| core_error(i.into()))?;
    abetworks::organizations::invite(&state, &actor, NewInvitation { email, role })
        .await
        .map_err(core_error)
}

/// The invitations of the caller's organisation, newest first.
#[server(endpoint = "ui/team/invitations")]
pub async fn team_invitations() -> Result<Vec<InvitationView>, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::organizations::invitations(&state.db, &actor)
        .await
        .map_err(core_error)
}

/// Revokes a pending invitation: its link stops working.
#[server(endpoint = "ui/team/invitations/revoke")]
pub async fn revoke_invitation(id: String) -> Result<InvitationView, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::organizations::revoke_invitation(&state.db, &actor, &id)
        .await
        .map_err(core_error)
}

/// Moves a member out of the caller's organisation (into a new personal one).
#[server(endpoint = "ui/team/members/remove")]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::organizations::remove_member(&state.db, &actor, &user_id)
        .await
        .map_err(core_error)
}

/// Makes a member an admin of the organisation, or an admin a member.
#[server(endpoint = "ui/team/members/role")]
pub async fn change_member_role(user_id: String, role: String) -> Result<MemberView, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks_types::enums::Role;
    use abetworks_types::teams::MemberRoleChange;
    use abetworks_types::Vocabulary;
    let (state, actor) = as_caller().await?;
    let role = Role::parse_field("role", &role).map_err(|i| core_error(i.into()))?;
    abetworks::organizations::change_role(&state.db, &actor, &user_id, MemberRoleChange { role })
        .await
        .map_err(core_error)
}

/// Leaves the organisation for a personal one of the caller's own.
#[server(endpoint = "ui/team/leave")]
pub async fn leave_team() -> Result<(), AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::organizations::leave(&state.db, &actor)
        .await
        .map(|_| ())
        .map_err(core_error)
}

/// The agents the caller's organisation shares, with the pool's and the caller's standing.
#[server(endpoint = "ui/team/agents")]
pub async fn team_agents() -> Result<Vec<OrgAgentView>, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::subscriptions::for_member(&state.db, &actor)
        .await
        .map_err(core_error)
}

/// Calls by member over `[from, to]` (dates; blank: the last 30 days), with the daily counts.
#[server(endpoint = "ui/team/usage")]
pub async fn team_usage(#[server(flatten)] dates: DateRange) -> Result<OrgUsage, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    let range = dates.time_range()?;
    abetworks::organizations::activity::usage(&state.db, &actor, range)
        .await
        .map_err(core_error)
}

/// The executions of the organisation's members, newest first.
#[server(endpoint = "ui/team/executions")]
pub async fn team_executions(
    user_id: Option<String>,
    status: Option<String>,
    page: Option<u64>,
) -> Result<Page<ExecutionView>, AppError> {
    use super::admin::form::{choice, page_request};
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    let filter = abetworks::executions::ExecutionFilter {
        user_id,
        status: choice("status", status.as_deref())?,
        ..Default::default()
    };
    abetworks::organizations::activity::executions(&state.db, &actor, &filter, page_request(page)?)
        .await
        .map_err(core_error)
}

/// The licenses of the organisation's members, read-only, newest first (filtered by
/// `status`: active, suspended, expired, revoked).
#[server(endpoint = "ui/team/licenses")]
pub async fn team_licenses(
    status: Option<String>,
    page: Option<u64>,
) -> Result<Page<LicenseView>, AppError> {
    use super::admin::form::{choice, page_request};
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    let filter = abetworks::licenses::LicenseFilter {
        status: choice("status", status.as_deref())?,
        ..Default::default()
    };
    abetworks::organizations::activity::licenses(&state.db, &actor, &filter, page_request(page)?)
        .await
        .map_err(core_error)
}

/// What an invitation link is for; anyone holding the link may look.
#[server(endpoint = "ui/invitations/preview")]
pub async fn invitation_preview(token: String) -> Result<InvitationView, AppError> {
    use crate::server::{core_error, state};
    let state = state()?;
    abetworks::organizations::preview(&state.db, &token)
        .await
        .map_err(core_error)
}

/// Accepts the invitation as the signed-in caller: they move into its organisation.
#[server(endpoint = "ui/invitations/accept")]
pub async fn accept_invitation(token: String) -> Result<OrganizationView, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks_types::teams::AcceptInvitation;
    let (state, actor) = as_caller().await?;
    abetworks::organizations::accept(&state.db, &actor, &token, AcceptInvitation::default())
        .await
        .map_err(core_error)
}
