//! The `notifications` table. A user's notifications; unread ones have no `read_at`.

use sea_orm::entity::prelude::*;

super::model! {
    table "notifications";
    pub user_id: String,
    pub kind: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub link: Option<String>,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_notifications_user_id";
}

super::related!(users => User);

impl ActiveModelBehavior for ActiveModel {}
