//! The `api_usage_tracking` table. One row per API request, authenticated or not.

use sea_orm::entity::prelude::*;

super::model! {
    table "api_usage_tracking";
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub api_key_id: Option<String>,
    pub endpoint: String,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub method: String,
    pub status_code: i32,
    pub duration_ms: i64,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    User: belongs_to users via UserId, on delete SetNull, named "fk_api_usage_tracking_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete SetNull, named "fk_api_usage_tracking_agent_id";
    ApiKey: belongs_to api_keys via ApiKeyId, on delete SetNull, named "fk_api_usage_tracking_api_key_id";
}

super::related!(users => User, agent_catalog => Agent, api_keys => ApiKey);

impl ActiveModelBehavior for ActiveModel {}
