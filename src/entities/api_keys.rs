//! The `api_keys` table. API keys: only a hash is stored; `prefix` lets the owner recognise a key.
//! `agent_id` set = the key works for that agent only.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_keys")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_api_keys_user_id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_api_keys_agent_id"
    )]
    Agent,
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
