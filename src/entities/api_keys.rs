//! The `api_keys` table. API keys: only a hash is stored; `prefix` lets the owner recognise a key.
//! `agent_id` set = the key works for that agent only.

use sea_orm::entity::prelude::*;

super::model! {
    table "api_keys";
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    /// Never serialised.
    #[sea_orm(unique)]
    #[serde(skip_serializing, default)]
    pub key_hash: String,
    pub agent_id: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_api_keys_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete Cascade, named "fk_api_keys_agent_id";
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
