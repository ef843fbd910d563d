//! The `resource_usage` table. Daily roll-ups per user, agent and day (unique), upserted with `ON
//! CONFLICT`. `day` is a `date` (`chrono::NaiveDate`, UTC day); SQLite stores it as `YYYY-MM-DD`
//! text.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "resource_usage")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub agent_id: String,
    pub day: Date,
    pub calls: i64,
    pub successes: i64,
    pub failures: i64,
    pub total_duration_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_resource_usage_user_id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "NoAction",
        fk_name = "fk_resource_usage_agent_id"
    )]
    Agent,
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
