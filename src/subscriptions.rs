//! Subscriptions: an organisation's shared pool of calls to one agent (one per organisation
//! and agent), counted like a license — a limit or unlimited, per lifetime, day or month in a
//! time zone, an expiry — with an optional cap per member. The super admin creates, changes
//! and ends them; every member of the organisation may run the agent from the pool once their
//! own license (always tried first) does not admit the call (`executions::lease::admit_in`).
//!
//! Admission, the member's share and refunds live in [`admission`]; changes in `change`; which
//! unit a member's next call takes (the run page) in [`units`].
//! Usage thresholds (`outbox::alerts`) are told for licenses only, not for pools.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_or_404, unique_violation_as};
use crate::entities::enums::LicenseStatus;
use crate::entities::{
    agent_catalog, agent_subscriptions as subscriptions, organizations, subscription_member_usage,
};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::{is_valid_id, new_id};
use crate::input::page_of;
use crate::licenses::{self, EffectiveStatus, QuotaPlan};
use crate::pagination::{Page, PageRequest};
use crate::quota::window;
pub use abetworks_types::teams::{
    NewSubscription, OrgAgentView, SubscriptionChange, SubscriptionView,
};

pub mod admission;
mod change;
pub mod units;
pub use change::{update, update_at};
pub use units::{next_source, units_for, AgentUnits};

/// Which subscriptions a list shows: those of one organisation, or all (super admin).
#[derive(Clone, Debug, Default)]
pub struct SubscriptionFilter {
    pub organization_id: Option<String>,
}

/// A subscription joined with its organisation and agent: every column of the pool, so its
/// standing can be worked out from the row alone.
#[derive(Debug, FromQueryResult)]
struct SubscriptionRow {
    #[sea_orm(nested)]
    subscription: subscriptions::Model,
    organization_name: String,
    agent_name: String,
    agent_slug: String,
    agent_icon: String,
}

impl SubscriptionRow {
    fn into_view(self, now: DateTime<Utc>) -> SubscriptionView {
        let pool = self.subscription;
        SubscriptionView {
            usage: admission::standing(&pool, now),
            // A pool is never suspended or revoked: it is in force until it expires or ends.
            status: EffectiveStatus::of(LicenseStatus::Active, pool.expires_at, now),
            id: pool.id,
            organization_id: pool.organization_id,
            organization_name: self.organization_name,
            agent_id: pool.agent_id,
            agent_name: self.agent_name,
            agent_slug: self.agent_slug,
            agent_icon: self.agent_icon,
            api_call_limit: pool.api_call_limit,
            member_cap: pool.member_cap,
            expires_at: pool.expires_at,
            window: pool.quota_window,
            window_time_zone: pool.window_time_zone,
            reset_day: pool.reset_day,
            activated_by: pool.activated_by,
            created_at: pool.created_at,
        }
    }
}

/// Subscriptions joined with their organisation and agent, unordered.
fn joined() -> Select<subscriptions::Entity> {
    subscriptions::Entity::find()
        .join(
            JoinType::InnerJoin,
            subscriptions::Relation::Organization.def(),
        )
        .join(JoinType::InnerJoin, subscriptions::Relation::Agent.def())
        .column_as(organizations::Column::Name, "organization_name")
        .column_as(agent_catalog::Column::Name, "agent_name")
        .column_as(agent_catalog::Column::Slug, "agent_slug")
        .column_as(agent_catalog::Column::Icon, "agent_icon")
}

/// The plan a subscription counts by, checked: its zone under its canonical name, a reset day
/// every month has. A pool has no burst rate: one sent is ignored.
pub(crate) fn checked_plan(plan: &QuotaPlan) -> CoreResult<QuotaPlan> {
    let plan = QuotaPlan {
        burst_per_second: None,
        ..plan.clone()
    };
    licenses::validate_plan(&plan)?;
    let zone = window::parse_time_zone("windowTimeZone", &plan.window_time_zone)?;
    Ok(QuotaPlan {
        window_time_zone: zone.name().to_owned(),
        ..plan
    })
}

/// A cap per member is 1..=MAX_API_CALL_LIMIT calls per window.
pub(crate) fn validate_member_cap(cap: Option<i64>) -> CoreResult<()> {
    licenses::validate_calls("memberCap", cap)
}

/// Subscribes an organisation to an agent (super admin). 404 for an unknown organisation or
/// agent, 409 (`already_subscribed`) when the organisation has a pool for the agent.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewSubscription,
) -> CoreResult<SubscriptionView> {
    actor.require_super_admin()?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let pool = insert_subscription(&txn, actor, &new, now).await?;
    txn.commit().await?;
    view_at(db, &pool.id, now).await
}

/// Inserts a subscription on `conn` (a transaction when part of a larger change, such as an
/// approved request) and audits it. The caller has checked the actor's role.
pub(crate) async fn insert_subscription(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    new: &NewSubscription,
    now: DateTime<Utc>,
) -> CoreResult<subscriptions::Model> {
    licenses::validate_limit(new.api_call_limit)?;
    let plan = checked_plan(&new.plan)?;
    validate_member_cap(new.member_cap)?;
    licenses::validate_expiry(new.expires_at, now)?;
    let organization_id = new.organization_id.trim();
    let agent_id = new.agent_id.trim();
    find_or_404::<organizations::Entity>(conn, organization_id, "organization").await?;
    find_or_404::<agent_catalog::Entity>(conn, agent_id, "agent").await?;
    let pool = subscriptions::Model {
        id: new_id(),
        organization_id: organization_id.to_owned(),
        agent_id: agent_id.to_owned(),
        activated_by: Some(actor.user_id.clone()),
        created_at: now,
        api_call_limit: new.api_call_limit,
        api_calls_used: 0,
        quota_window: plan.window,
        window_time_zone: plan.window_time_zone,
        reset_day: plan.reset_day,
        // The first admission starts the window (and the counter) it falls in.
        window_start_unix: 0,
        member_cap: new.member_cap,
        expires_at: new.expires_at,
        updated_at: Some(now),
    };
    subscriptions::ActiveModel::from(pool.clone())
        .reset_all()
        .insert(conn)
        .await
        .map_err(|e| unique_violation_as(e, ConflictReason::AlreadySubscribed))?;
    AuditEntry::of("subscription.create", "subscription", &pool.id)
        .by(actor)
        .after(&pool)
        .record(conn)
        .await?;
    Ok(pool)
}

/// One subscription as a view at `now` (the caller has checked who asks). 404 for an unknown id.
pub(crate) async fn view_at(
    db: &impl ConnectionTrait,
    subscription_id: &str,
    now: DateTime<Utc>,
) -> CoreResult<SubscriptionView> {
    let not_found = CoreError::NotFound {
        entity: "subscription",
    };
    if !is_valid_id(subscription_id) {
        return Err(not_found);
    }
    let row = joined()
        .filter(subscriptions::Column::Id.eq(subscription_id))
        .into_model::<SubscriptionRow>()
        .one(db)
        .await?
        .ok_or(not_found)?;
    Ok(row.into_view(now))
}

/// One subscription: any for the super admin, one of their own organisation for anyone else
/// (404 otherwise, as for an unknown id).
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subscription_id: &str,
) -> CoreResult<SubscriptionView> {
    let view = view_at(db, subscription_id, Utc::now()).await?;
    match actor.organization_scope() {
        Some(own) if own != view.organization_id => Err(CoreError::NotFound {
            entity: "subscription",
        }),
        _ => Ok(view),
    }
}

/// Subscriptions, newest first: every organisation's (or `filter`'s one) for the super admin,
/// their own organisation's for anyone else (read-only).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &SubscriptionFilter,
    page: PageRequest,
) -> CoreResult<Page<SubscriptionView>> {
    let now = Utc::now();
    let in_organization = |id: &str| subscriptions::Column::OrganizationId.eq(id.trim());
    let condition = Condition::all()
        .add_option(actor.organization_scope().map(in_organization))
        .add_option(filter.organization_id.as_deref().map(in_organization));
    let query = joined()
        .filter(condition)
        .order_by_desc(subscriptions::Column::CreatedAt)
        .order_by_desc(subscriptions::Column::Id);
    let rows = page_of(db, query.into_model::<SubscriptionRow>(), page).await?;
    Ok(rows.map(|row| row.into_view(now)))
}

/// Ends a subscription (super admin): its members can no longer run the agent from the pool;
/// the members' shares go with it. Calls in flight keep their result, and their refunds find
/// no pool. 404 for an unknown id.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    subscription_id: &str,
) -> CoreResult<()> {
    actor.require_super_admin()?;
    let txn = begin_write(db).await?;
    let pool = find_or_404::<subscriptions::Entity>(&txn, subscription_id, "subscription").await?;
    subscriptions::Entity::delete_by_id(&pool.id)
        .exec(&txn)
        .await?;
    AuditEntry::of("subscription.delete", "subscription", &pool.id)
        .by(actor)
        .before(&pool)
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The agents the actor may run from their organisation's pools (My Agents), by agent name,
/// each with the actor's own standing against the cap. Expired pools stay, so members are
/// told why the agent stopped.
pub async fn for_member(db: &impl ConnectionTrait, actor: &Actor) -> CoreResult<Vec<OrgAgentView>> {
    of_member(db, actor, None).await
}

/// The pool of the actor's organisation for `agent_id`, as [`for_member`] shows it, read alone.
pub async fn for_member_and_agent(
    db: &impl ConnectionTrait,
    actor: &Actor,
    agent_id: &str,
) -> CoreResult<Option<OrgAgentView>> {
    Ok(of_member(db, actor, Some(agent_id))
        .await?
        .into_iter()
        .next())
}

/// The pools of [`for_member`], for `agent_id` alone when it is given.
async fn of_member(
    db: &impl ConnectionTrait,
    actor: &Actor,
    agent_id: Option<&str>,
) -> CoreResult<Vec<OrgAgentView>> {
    let now = Utc::now();
    let mut pools =
        joined().filter(subscriptions::Column::OrganizationId.eq(&actor.organization_id));
    if let Some(agent_id) = agent_id {
        pools = pools.filter(subscriptions::Column::AgentId.eq(agent_id));
    }
    let rows = pools
        .order_by_asc(agent_catalog::Column::Name)
        .order_by_asc(subscriptions::Column::Id)
        .into_model::<SubscriptionRow>()
        .all(db)
        .await?;
    // A member holds one share per pool they took from: few rows, read whole.
    let shares = subscription_member_usage::Entity::find()
        .filter(subscription_member_usage::Column::UserId.eq(&actor.user_id))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let share = shares
                .iter()
                .find(|share| share.subscription_id == row.subscription.id);
            let member_used = admission::member_used(&row.subscription, share, now);
            let member_remaining = row
                .subscription
                .member_cap
                .map(|cap| std::cmp::max(cap - member_used, 0));
            let subscription = row.into_view(now);
            OrgAgentView {
                can_run: pool_admits(&subscription, member_remaining),
                subscription,
                member_used,
                member_remaining,
            }
        })
        .collect())
}

/// Whether `pool` takes a member's call now (what admission checks, read from the view): in
/// force, with calls left in the pool and under the member's cap (`member_remaining`).
pub(crate) fn pool_admits(pool: &SubscriptionView, member_remaining: Option<i64>) -> bool {
    pool.status == EffectiveStatus::Active
        && pool.usage.remaining != Some(0)
        && member_remaining != Some(0)
}

#[cfg(test)]
mod tests;
