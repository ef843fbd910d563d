//! The signed-in user's notifications (list, unread count, read one, read all) and their
//! email choices per kind. Thin: the rules are `abetworks::notifications`'.

use abetworks_types::inputs::NotificationSettingsChange;
use abetworks_types::views::{NotificationSettings, NotificationView};
use abetworks_types::Page;
use leptos::prelude::*;

use crate::error::AppError;

/// Notifications per page of the notification centre.
pub const PAGE_SIZE: u64 = 20;

/// The caller's notifications, newest first; only the unread ones when `unread` is true.
#[server(endpoint = "ui/notifications/list")]
pub async fn list_notifications(
    unread: Option<bool>,
    page: Option<u64>,
) -> Result<Page<NotificationView>, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks::pagination::PageRequest;
    let (state, actor) = as_caller().await?;
    let page = i64::try_from(page.unwrap_or(1).max(1)).unwrap_or(i64::MAX);
    let page = PageRequest::new(Some(page), Some(PAGE_SIZE as i64)).map_err(core_error)?;
    abetworks::notifications::list(&state.db, &actor, unread.unwrap_or(false), page)
        .await
        .map_err(core_error)
}

/// How many of the caller's notifications are unread (the bell's count when the page loads).
#[server(endpoint = "ui/notifications/unread")]
pub async fn unread_notifications() -> Result<u64, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::notifications::unread_count(&state.db, &actor.user_id)
        .await
        .map_err(core_error)
}

/// Marks one of the caller's notifications read.
#[server(endpoint = "ui/notifications/read")]
pub async fn read_notification(id: String) -> Result<NotificationView, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::notifications::mark_read(&state.db, &actor, &id)
        .await
        .map_err(core_error)
}

/// Marks every notification of the caller read: how many were unread.
#[server(endpoint = "ui/notifications/read-all")]
pub async fn read_all_notifications() -> Result<u64, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::notifications::mark_all_read(&state.db, &actor)
        .await
        .map_err(core_error)
}

/// The caller's email choice per kind, and whether this server sends email at all.
#[server(endpoint = "ui/account/notification-settings")]
pub async fn get_notification_settings() -> Result<NotificationSettings, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    let email_configured = state.mailer.is_some();
    abetworks::notifications::settings(&state.db, &actor, email_configured)
        .await
        .map_err(core_error)
}

/// Changes the caller's email choices; the settings after the change.
#[server(endpoint = "ui/account/notification-settings/update")]
pub async fn update_notification_settings(
    change: NotificationSettingsChange,
) -> Result<NotificationSettings, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    let email_configured = state.mailer.is_some();
    abetworks::notifications::update_settings(&state.db, &actor, change, email_configured)
        .await
        .map_err(core_error)
}
