//! The `error_logs` table. Every 5xx, panic, agent failure and timeout, with a severity.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::enums::Severity;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "error_logs")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub error_type: String,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    #[sea_orm(column_type = "Text")]
    pub stack_trace: Option<String>,
    pub severity: Severity,
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub request_id: Option<String>,
    pub context: Option<Json>,
    pub resolved: bool,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub resolution_note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_error_logs_user_id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_error_logs_agent_id"
    )]
    Agent,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ResolvedBy",
        to = "super::users::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_error_logs_resolved_by"
    )]
    ResolvedBy,
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
