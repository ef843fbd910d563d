//! The `agent_access_requests` table. Requests for access to an agent. At most one pending per user
//! and agent: a unique violation on insert means "already pending".

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::enums::AccessRequestStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agent_access_requests")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub agent_id: String,
    #[sea_orm(column_type = "Text")]
    pub request_reason: String,
    pub status: AccessRequestStatus,
    pub requested_at: DateTimeUtc,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub review_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_agent_access_requests_user_id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_agent_access_requests_agent_id"
    )]
    Agent,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ReviewedBy",
        to = "super::users::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_agent_access_requests_reviewed_by"
    )]
    ReviewedBy,
}

super::related!(users => User, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
