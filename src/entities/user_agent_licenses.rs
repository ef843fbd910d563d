//! The `user_agent_licenses` table. Per-user licenses. `api_call_limit = -1` is unlimited. At most
//! one live (active or suspended) license per user and agent: a unique violation on insert means
//! "already licensed".

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::enums::LicenseStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_agent_licenses")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub agent_id: String,
    pub api_call_limit: i64,
    pub api_calls_used: i64,
    pub status: LicenseStatus,
    pub granted_by: Option<String>,
    pub granted_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_user_agent_licenses_user_id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_user_agent_licenses_agent_id"
    )]
    Agent,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::GrantedBy",
        to = "super::users::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_user_agent_licenses_granted_by"
    )]
    GrantedBy,
    #[sea_orm(has_many = "super::module_executions::Entity")]
    Executions,
}

super::related!(users => User, agent_catalog => Agent, module_executions => Executions);

impl ActiveModelBehavior for ActiveModel {}
