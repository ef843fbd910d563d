//! The `modules` table. Agent modules discovered in the agent service.

use sea_orm::entity::prelude::*;

super::model! {
    table "modules";
    #[sea_orm(unique)]
    pub slug: String,
    pub module_name: String,
    pub agent_id: Option<String>,
    pub schema_hash: String,
    pub discovered_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub available: bool,
}

super::relations! {
    Agent: belongs_to agent_catalog via AgentId, on delete SetNull, named "fk_modules_agent_id";
}

super::related!(agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
