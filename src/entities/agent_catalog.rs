//! The `agent_catalog` table. The marketplace catalog: one row per agent, synced from the agent
//! service.

use sea_orm::entity::prelude::*;

use super::enums::AgentStatus;

super::model! {
    table "agent_catalog";
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

super::relations! {
    Licenses: has_many user_agent_licenses;
    Executions: has_many module_executions;
    AccessRequests: has_many agent_access_requests;
    Subscriptions: has_many agent_subscriptions;
    Modules: has_many modules;
}

super::related!(user_agent_licenses => Licenses, module_executions => Executions, agent_access_requests => AccessRequests, agent_subscriptions => Subscriptions, modules => Modules);

impl ActiveModelBehavior for ActiveModel {}
