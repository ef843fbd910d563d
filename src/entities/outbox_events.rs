//! The `outbox_events` table. Every event, written in the transaction of the change that causes
//! it; `dispatched_at` is set when the dispatcher has fanned it out into notifications and
//! deliveries (in one transaction).

use sea_orm::entity::prelude::*;

use super::enums::EventType;

super::model! {
    table "outbox_events";
    pub event_type: EventType,
    /// The webhook body's `data`.
    pub payload: Json,
    /// The user the event is about, if any (the requester, the license holder, the run owner).
    pub subject_user_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub dispatched_at: Option<DateTimeUtc>,
}

super::relations! {
    SubjectUser: belongs_to users via SubjectUserId, on delete SetNull, named "fk_outbox_events_subject_user_id";
    Deliveries: has_many deliveries;
}

super::related!(deliveries => Deliveries);

impl ActiveModelBehavior for ActiveModel {}
