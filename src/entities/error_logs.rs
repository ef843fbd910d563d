//! The `error_logs` table. Every 5xx, panic, agent failure and timeout, with a severity.

use sea_orm::entity::prelude::*;

use super::enums::Severity;

super::model! {
    table "error_logs";
    pub error_type: String,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    #[sea_orm(column_type = "Text")]
    pub stack_trace: Option<String>,
    pub severity: Severity,
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub request_id: Option<String>,
    pub context: Option<Json>,
    pub resolved: bool,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub resolution_note: Option<String>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    User: belongs_to users via UserId, on delete SetNull, named "fk_error_logs_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete SetNull, named "fk_error_logs_agent_id";
    ResolvedBy: belongs_to users via ResolvedBy, on delete SetNull, named "fk_error_logs_resolved_by";
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
