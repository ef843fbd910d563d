//! The `modules` table. Agent modules discovered in the agent service.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "modules")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub module_name: String,
    pub agent_id: Option<String>,
    pub schema_hash: String,
    pub discovered_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub available: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_modules_agent_id"
    )]
    Agent,
}

super::related!(agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
