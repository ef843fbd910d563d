//! `/api/account/*`: the caller's own account settings. Today: which kinds of notification
//! are also emailed (in-app notifications are always on).

use abetworks::notifications;
use abetworks::types::inputs::NotificationSettingsChange;
use abetworks::types::views::NotificationSettings;
use axum::Json;

use crate::error::ApiError;
use crate::extract::Caller;
use crate::input::ApiJson;

/// The kinds that can reach the caller, each with its email choice.
pub async fn notification_settings(
    Caller { state, actor }: Caller,
) -> Result<Json<NotificationSettings>, ApiError> {
    let configured = state.mailer.is_some();
    Ok(Json(
        notifications::settings(&state.db, &actor, configured).await?,
    ))
}

/// Changes some email choices (all or none); answers every setting after the change.
pub async fn change_notification_settings(
    Caller { state, actor }: Caller,
    ApiJson(change): ApiJson<NotificationSettingsChange>,
) -> Result<Json<NotificationSettings>, ApiError> {
    let configured = state.mailer.is_some();
    Ok(Json(
        notifications::update_settings(&state.db, &actor, change, configured).await?,
    ))
}

/// The account routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    api.add(
        Route::get(
            "/api/account/notification-settings",
            Access::SignedIn,
            "The caller's notification settings: each kind that can reach them, emailed or not",
        )
        .answers::<NotificationSettings>(200),
        notification_settings,
    )
    .add(
        Route::patch(
            "/api/account/notification-settings",
            Access::SignedIn,
            "Turn email on or off per kind (422 for a kind that cannot reach the caller)",
        )
        .body::<NotificationSettingsChange>()
        .answers::<NotificationSettings>(200),
        change_notification_settings,
    )
}
