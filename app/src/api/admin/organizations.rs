//! Organisations, for the super admin: the list, create (optionally moving a user in as its
//! admin), rename, and the members of one.

use abetworks_types::teams::{MemberView, OrganizationView};
use abetworks_types::Page;
use leptos::prelude::*;

use crate::error::AppError;

/// Organisations whose name or slug matches `query`, newest first.
#[server(endpoint = "admin-ui/organizations")]
pub async fn admin_organizations(
    query: Option<String>,
    page: Option<u64>,
) -> Result<Page<OrganizationView>, AppError> {
    use super::form::page_request;
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    abetworks::organizations::list(&state.db, &actor, query.as_deref(), page_request(page)?)
        .await
        .map_err(core_error)
}

/// Creates a team organisation; `admin_user_id` (blank: none) moves that user in as its admin.
#[server(endpoint = "admin-ui/organizations/create")]
pub async fn admin_create_organization(
    name: String,
    admin_user_id: Option<String>,
) -> Result<OrganizationView, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks_types::teams::NewOrganization;
    let (state, actor) = as_caller().await?;
    let new = NewOrganization {
        name,
        admin_user_id: admin_user_id
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty()),
    };
    abetworks::organizations::create(&state.db, &actor, new)
        .await
        .map_err(core_error)
}

/// Renames an organisation.
#[server(endpoint = "admin-ui/organizations/rename")]
pub async fn admin_rename_organization(
    id: String,
    name: String,
) -> Result<OrganizationView, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks_types::teams::OrganizationChange;
    let (state, actor) = as_caller().await?;
    abetworks::organizations::rename(&state.db, &actor, &id, OrganizationChange { name })
        .await
        .map_err(core_error)
}

/// The members of one organisation.
#[server(endpoint = "admin-ui/organizations/members")]
pub async fn admin_organization_members(id: String) -> Result<Vec<MemberView>, AppError> {
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    abetworks::organizations::members_of(&state.db, &actor, &id)
        .await
        .map_err(core_error)
}
