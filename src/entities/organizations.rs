//! The `organizations` table. Organisations: every user belongs to one (a personal one by default).

use sea_orm::entity::prelude::*;

super::model! {
    table "organizations";
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub created_at: DateTimeUtc,
}

super::relations! {
    Users: has_many users;
    AgentSubscriptions: has_many agent_subscriptions;
}

super::related!(users => Users, agent_subscriptions => AgentSubscriptions);

impl ActiveModelBehavior for ActiveModel {}
