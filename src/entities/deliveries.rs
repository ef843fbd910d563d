//! The `deliveries` table. One email (to `user_id`) or webhook (to `endpoint_id`) delivery of
//! one outbox event: claimed by any instance under a lease (`lease_owner`, `lease_expires_at`),
//! attempted, and retried at `next_attempt_at` until it succeeds or is given up on.

use sea_orm::entity::prelude::*;

use super::enums::{DeliveryChannel, DeliveryStatus};

super::model! {
    table "deliveries";
    pub event_id: String,
    pub channel: DeliveryChannel,
    pub user_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i64>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

super::relations! {
    Event: belongs_to outbox_events via EventId, on delete Cascade, named "fk_deliveries_event_id";
    User: belongs_to users via UserId, on delete Cascade, named "fk_deliveries_user_id";
    Endpoint: belongs_to webhook_endpoints via EndpointId, on delete Cascade, named "fk_deliveries_endpoint_id";
}

super::related!(outbox_events => Event, users => User, webhook_endpoints => Endpoint);

impl ActiveModelBehavior for ActiveModel {}
