//! The `agent_subscriptions` table. An organisation's shared pool of calls to one agent, one
//! per organisation and agent; counted like a license (`api_call_limit = -1` is unlimited, the
//! same windows and expiry), with an optional cap per member (`subscription_member_usage`).

use sea_orm::entity::prelude::*;

use super::enums::QuotaWindow;

super::model! {
    table "agent_subscriptions";
    pub organization_id: String,
    pub agent_id: String,
    pub activated_by: Option<String>,
    pub created_at: DateTimeUtc,
    /// Per window; `-1` = unlimited.
    pub api_call_limit: i64,
    /// Calls used in the window starting at `window_start_unix`.
    pub api_calls_used: i64,
    /// What `api_call_limit` counts: the subscription's life, a calendar day or a month.
    pub quota_window: QuotaWindow,
    pub window_time_zone: String,
    pub reset_day: i32,
    /// Unix seconds of the start of the window `api_calls_used` counts (0 for lifetime).
    pub window_start_unix: i64,
    /// The most one member may take in a window; `None` = no cap.
    pub member_cap: Option<i64>,
    pub expires_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
}

super::relations! {
    Organization: belongs_to organizations via OrganizationId, on delete Cascade, named "fk_agent_subscriptions_organization_id";
    Agent: belongs_to agent_catalog via AgentId, on delete Cascade, named "fk_agent_subscriptions_agent_id";
    ActivatedBy: belongs_to users via ActivatedBy, on delete SetNull, named "fk_agent_subscriptions_activated_by";
    MemberUsage: has_many subscription_member_usage;
    Executions: has_many module_executions;
}

super::related!(
    organizations => Organization,
    agent_catalog => Agent,
    subscription_member_usage => MemberUsage,
    module_executions => Executions,
);

impl ActiveModelBehavior for ActiveModel {}
