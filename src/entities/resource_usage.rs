//! The `resource_usage` table. Daily roll-ups per user, agent and day (unique), upserted with `ON
//! CONFLICT`. `day` is a `date` (`chrono::NaiveDate`, UTC day); SQLite stores it as `YYYY-MM-DD`
//! text.

use sea_orm::entity::prelude::*;

super::model! {
    table "resource_usage";
    pub user_id: String,
    pub agent_id: String,
    pub day: Date,
    pub calls: i64,
    pub successes: i64,
    pub failures: i64,
    pub total_duration_ms: i64,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_resource_usage_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete NoAction, named "fk_resource_usage_agent_id";
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
