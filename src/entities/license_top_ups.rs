//! The `license_top_ups` table. Calls a super admin added to one window of a license, with a
//! note and an optional expiry; the license row carries their running total for its window.

use sea_orm::entity::prelude::*;

super::model! {
    table "license_top_ups";
    pub license_id: String,
    pub calls: i64,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub expires_at: Option<DateTimeUtc>,
    /// The window the calls were added to (unix seconds of its start; 0 for lifetime).
    pub window_start_unix: i64,
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    License: belongs_to user_agent_licenses via LicenseId, on delete Cascade, named "fk_license_top_ups_license_id";
    CreatedBy: belongs_to users via CreatedBy, on delete SetNull, named "fk_license_top_ups_created_by";
}

super::related!(user_agent_licenses => License);

impl ActiveModelBehavior for ActiveModel {}
