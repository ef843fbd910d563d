//! The `license_events` table. A license's history: grants, changes, top-ups, renewals,
//! suspensions and revocations, each with who and when, written in the change's transaction.

use sea_orm::entity::prelude::*;

use super::enums::LicenseEventKind;

super::model! {
    table "license_events";
    pub license_id: String,
    pub kind: LicenseEventKind,
    pub actor_id: Option<String>,
    pub detail: Option<Json>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    License: belongs_to user_agent_licenses via LicenseId, on delete Cascade, named "fk_license_events_license_id";
    Actor: belongs_to users via ActorId, on delete SetNull, named "fk_license_events_actor_id";
}

super::related!(user_agent_licenses => License, users => Actor);

impl ActiveModelBehavior for ActiveModel {}
