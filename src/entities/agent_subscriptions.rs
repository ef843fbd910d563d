//! The `agent_subscriptions` table. Organisation-level activations of an agent; one per
//! organisation and agent.

use sea_orm::entity::prelude::*;

super::model! {
    table "agent_subscriptions";
    pub organization_id: String,
    pub agent_id: String,
    pub activated_by: Option<String>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    Organization: belongs_to organizations via OrganizationId, on delete Cascade, named "fk_agent_subscriptions_organization_id";
    Agent: belongs_to agent_catalog via AgentId, on delete Cascade, named "fk_agent_subscriptions_agent_id";
    ActivatedBy: belongs_to users via ActivatedBy, on delete SetNull, named "fk_agent_subscriptions_activated_by";
}

super::related!(organizations => Organization, agent_catalog => Agent);

impl ActiveModelBehavior for ActiveModel {}
