//! The `user_agent_licenses` table. Per-user licenses. `api_call_limit = -1` is unlimited. At most
//! one live (active or suspended) license per user and agent: a unique violation on insert means
//! "already licensed".

use sea_orm::entity::prelude::*;

use super::enums::LicenseStatus;

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
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_user_agent_licenses_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete Cascade, named "fk_user_agent_licenses_agent_id";
    GrantedBy: belongs_to users via GrantedBy, on delete SetNull, named "fk_user_agent_licenses_granted_by";
    Executions: has_many module_executions;
}

super::related!(users => User, agent_catalog => Agent, module_executions => Executions);

impl ActiveModelBehavior for ActiveModel {}
