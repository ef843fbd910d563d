//! The `tasks` table. Asynchronous execution jobs.

use sea_orm::entity::prelude::*;

use super::enums::TaskStatus;

super::model! {
    table "tasks";
    pub user_id: String,
    pub agent_id: String,
    pub status: TaskStatus,
    pub input: Json,
    pub output: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_tasks_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete NoAction, named "fk_tasks_agent_id";
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
