//! The `user_agent_licenses` table. Per-user licenses. `api_call_limit = -1` is unlimited. At most
//! one live (active or suspended) license per user and agent: a unique violation on insert means
//! "already licensed".

use sea_orm::entity::prelude::*;

use super::enums::{LicenseStatus, QuotaWindow};

super::model! {
    table "user_agent_licenses";
    pub user_id: String,
    pub agent_id: String,
    pub api_call_limit: i64,
    pub api_calls_used: i64,
    pub status: LicenseStatus,
    pub granted_by: Option<String>,
    pub granted_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// What `api_call_limit` counts: the license's life, a calendar day or a month.
    pub quota_window: QuotaWindow,
    pub window_time_zone: String,
    pub reset_day: i32,
    pub burst_per_second: Option<i32>,
    /// Unix seconds of the start of the window `api_calls_used` counts (0 for lifetime).
    pub window_start_unix: i64,
    /// Calls added to that window, valid until `top_up_expires_at` (or the window's end).
    pub top_up_calls: i64,
    pub top_up_expires_at: Option<DateTimeUtc>,
    /// The burst limiter: the second it counts (unix) and the calls admitted in it.
    pub burst_second_unix: i64,
    pub burst_count: i32,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_user_agent_licenses_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete Cascade, named "fk_user_agent_licenses_agent_id";
    GrantedBy: belongs_to users via GrantedBy, on delete SetNull, named "fk_user_agent_licenses_granted_by";
    Executions: has_many module_executions;
    TopUps: has_many license_top_ups;
    Events: has_many license_events;
}

super::related!(
    users => User,
    agent_catalog => Agent,
    module_executions => Executions,
    license_top_ups => TopUps,
    license_events => Events,
);

impl ActiveModelBehavior for ActiveModel {}
