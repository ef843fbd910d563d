//! The `module_executions` table. Every execution of an agent. Rows keep their agent (the agent
//! cannot be deleted).

use sea_orm::entity::prelude::*;

use super::enums::ExecutionStatus;

super::model! {
    table "module_executions";
    pub user_id: String,
    pub agent_id: String,
    pub license_id: Option<String>,
    pub api_key_id: Option<String>,
    pub input: Json,
    pub output: Option<Json>,
    pub status: ExecutionStatus,
    pub duration_ms: Option<i64>,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_module_executions_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete NoAction, named "fk_module_executions_agent_id";
    License: belongs_to user_agent_licenses via LicenseId, on delete SetNull, named "fk_module_executions_license_id";
    ApiKey: belongs_to api_keys via ApiKeyId, on delete SetNull, named "fk_module_executions_api_key_id";
}

super::related!(users => User, agent_catalog => Agent, user_agent_licenses => License, api_keys => ApiKey);

impl ActiveModelBehavior for ActiveModel {}
