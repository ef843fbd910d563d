//! The `agent_catalog` table. The marketplace catalog: one row per agent, synced from the agent
//! service.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::enums::AgentStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agent_catalog")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub short_description: String,
    #[sea_orm(column_type = "Text")]
    pub long_description: String,
    pub category: String,
    pub price_cents: i64,
    #[sea_orm(column_type = "String(StringLen::N(3))")]
    pub currency: String,
    pub icon: String,
    /// A JSON array of strings.
    pub features: Json,
    /// JSON Schema of the input.
    pub input_schema: Json,
    /// JSON Schema of the output.
    pub output_schema: Json,
    pub version: String,
    pub published: bool,
    pub status: AgentStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user_agent_licenses::Entity")]
    Licenses,
    #[sea_orm(has_many = "super::module_executions::Entity")]
    Executions,
    #[sea_orm(has_many = "super::agent_access_requests::Entity")]
    AccessRequests,
    #[sea_orm(has_many = "super::agent_subscriptions::Entity")]
    Subscriptions,
    #[sea_orm(has_many = "super::modules::Entity")]
    Modules,
}

super::related!(user_agent_licenses => Licenses, module_executions => Executions, agent_access_requests => AccessRequests, agent_subscriptions => Subscriptions, modules => Modules);

impl ActiveModelBehavior for ActiveModel {}
