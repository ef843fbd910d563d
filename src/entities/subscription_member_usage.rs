//! The `subscription_member_usage` table. What one member took from an organisation's pool in
//! the pool's current window, for the per-member cap; one row per subscription and user.

use sea_orm::entity::prelude::*;

super::model! {
    table "subscription_member_usage";
    pub subscription_id: String,
    pub user_id: String,
    /// Unix seconds of the start of the window `calls_used` counts (0 for lifetime).
    pub window_start_unix: i64,
    pub calls_used: i64,
}

super::relations! {
    Subscription: belongs_to agent_subscriptions via SubscriptionId, on delete Cascade, named "fk_subscription_member_usage_subscription_id";
    User: belongs_to users via UserId, on delete Cascade, named "fk_subscription_member_usage_user_id";
}

super::related!(agent_subscriptions => Subscription, users => User);

impl ActiveModelBehavior for ActiveModel {}
