//! Users: the list (the super admin's, or an organisation admin's own organisation) and
//! changing a role or the disabled flag.

use abetworks_types::views::UserView;
use abetworks_types::Page;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The rows of the users list, whether the caller may change them, and the caller's id (their
/// own row has no controls: nobody locks themselves out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsersData {
    pub page: Page<UserView>,
    pub can_edit: bool,
    pub me: String,
}

/// Users matching a search. The super admin sees everyone; an organisation admin sees their
/// own organisation, read-only (the core scopes it); members are refused.
#[server(endpoint = "admin-ui/users")]
pub async fn admin_users(query: Option<String>, page: Option<u64>) -> Result<UsersData, AppError> {
    use super::form::page_request;
    use crate::server::{as_admin, core_error};
    let (state, actor) = as_admin().await?;
    let filter = abetworks::users::UserFilter {
        query,
        ..Default::default()
    };
    let page = abetworks::users::list_users(&state.db, &actor, &filter, page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(UsersData {
        page,
        can_edit: actor.role.is_super_admin(),
        me: actor.user_id,
    })
}

/// Changes a user's role (`member`, `admin`, `super_admin`) and/or disables or enables them.
#[server(endpoint = "admin-ui/users/change")]
pub async fn admin_change_user(
    id: String,
    role: Option<String>,
    disabled: Option<bool>,
) -> Result<UserView, AppError> {
    use super::form::choice;
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    let change = abetworks::users::UserChange {
        role: choice("role", role.as_deref())?,
        disabled,
    };
    abetworks::users::change_user(&state.db, &actor, &id, change)
        .await
        .map(UserView::from)
        .map_err(core_error)
}
