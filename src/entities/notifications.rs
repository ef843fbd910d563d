//! The `notifications` table. A user's in-app notifications, written by the outbox
//! dispatcher (one per event and user: `event_id` is unique with `user_id`); unread ones have
//! no `read_at`.

use sea_orm::entity::prelude::*;

use super::enums::EventType;

super::model! {
    table "notifications";
    pub user_id: String,
    pub kind: EventType,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub link: Option<String>,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The outbox event it was made from (none for rows older than the outbox).
    pub event_id: Option<String>,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_notifications_user_id";
}

super::related!(users => User);

impl ActiveModelBehavior for ActiveModel {}
