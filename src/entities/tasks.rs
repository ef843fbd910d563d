//! The `tasks` table. Asynchronous execution jobs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::enums::TaskStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tasks")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_tasks_user_id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "NoAction",
        fk_name = "fk_tasks_agent_id"
    )]
    Agent,
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
