//! The `webhook_endpoints` table. Where super admins want events sent, which types each
//! wants (`event_types`, a JSON array of dotted names) and the signing secret (`whsec_…`).

use sea_orm::entity::prelude::*;

use super::enums::WebhookStatus;

super::model! {
    table "webhook_endpoints";
    #[sea_orm(column_type = "Text")]
    pub url: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub event_types: Json,
    pub secret: String,
    pub status: WebhookStatus,
    pub failing_since: Option<DateTimeUtc>,
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

super::relations! {
    CreatedBy: belongs_to users via CreatedBy, on delete SetNull, named "fk_webhook_endpoints_created_by";
    Deliveries: has_many deliveries;
}

super::related!(deliveries => Deliveries);

impl ActiveModelBehavior for ActiveModel {}
