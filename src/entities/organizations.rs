//! The `organizations` table. Organisations: every user belongs to one (a personal one by
//! default; a team organisation is made by a super admin and has `personal = false`).

use sea_orm::entity::prelude::*;

super::model! {
    table "organizations";
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub created_at: DateTimeUtc,
    /// A user's own organisation (no other members), as opposed to a team.
    pub personal: bool,
}

super::relations! {
    Users: has_many users;
    AgentSubscriptions: has_many agent_subscriptions;
    Invitations: has_many organization_invitations;
}

super::related!(
    users => Users,
    agent_subscriptions => AgentSubscriptions,
    organization_invitations => Invitations,
);

impl ActiveModelBehavior for ActiveModel {}
