//! The `license_alerts` table. The usage thresholds (per quota window: `period_unix` is the
//! window's start) and expiry notices (`period_unix` is the expiry) already emitted for a
//! license; unique per license, alert and period, so each is emitted once.

use sea_orm::entity::prelude::*;

use super::enums::LicenseAlert;

super::model! {
    table "license_alerts";
    pub license_id: String,
    pub alert: LicenseAlert,
    pub period_unix: i64,
    pub created_at: DateTimeUtc,
}

super::relations! {
    License: belongs_to user_agent_licenses via LicenseId, on delete Cascade, named "fk_license_alerts_license_id";
}

super::related!(user_agent_licenses => License);

impl ActiveModelBehavior for ActiveModel {}
