//! The `module_executions` table. Every execution of an agent. Rows keep their agent (the agent
//! cannot be deleted).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::enums::ExecutionStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "module_executions")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub agent_id: String,
    pub license_id: Option<String>,
    pub api_key_id: Option<String>,
    pub input: Json,
    pub output: Option<Json>,
    pub status: ExecutionStatus,
    pub duration_ms: Option<i64>,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_module_executions_user_id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "NoAction",
        fk_name = "fk_module_executions_agent_id"
    )]
    Agent,
    #[sea_orm(
        belongs_to = "super::user_agent_licenses::Entity",
        from = "Column::LicenseId",
        to = "super::user_agent_licenses::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_module_executions_license_id"
    )]
    License,
    #[sea_orm(
        belongs_to = "super::api_keys::Entity",
        from = "Column::ApiKeyId",
        to = "super::api_keys::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_module_executions_api_key_id"
    )]
    ApiKey,
}

super::related!(users => User, agent_catalog => Agent, user_agent_licenses => License, api_keys => ApiKey);

impl ActiveModelBehavior for ActiveModel {}
