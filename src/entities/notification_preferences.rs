//! The `notification_preferences` table. A user's email choice per event type; no row means
//! the default (`notifications::email_by_default`). In-app notifications are always on.

use sea_orm::entity::prelude::*;

use super::enums::EventType;

super::model! {
    table "notification_preferences";
    pub user_id: String,
    pub event_type: EventType,
    pub email_enabled: bool,
    pub updated_at: DateTimeUtc,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_notification_preferences_user_id";
}

super::related!(users => User);

impl ActiveModelBehavior for ActiveModel {}
