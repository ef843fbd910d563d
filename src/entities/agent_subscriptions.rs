//! The `agent_subscriptions` table. Organisation-level activations of an agent; one per
//! organisation and agent.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agent_subscriptions")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    pub agent_id: String,
    pub activated_by: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_agent_subscriptions_organization_id"
    )]
    Organization,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_agent_subscriptions_agent_id"
    )]
    Agent,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::ActivatedBy",
        to = "super::users::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_agent_subscriptions_activated_by"
    )]
    ActivatedBy,
}

super::related!(organizations => Organization, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
