//! The `logs` table. The audit trail, e.g. `action = "license.grant"` on `target_type = "license"`.

use sea_orm::entity::prelude::*;

super::model! {
    table "logs";
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub ip: Option<String>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    Actor: belongs_to users via ActorId, on delete SetNull, named "fk_logs_actor_id";
}

super::related!(users => Actor);

impl ActiveModelBehavior for ActiveModel {}
