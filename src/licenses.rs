//! Per-user licenses to run an agent: grant, list, change and revoke, each audited.
//!
//! At most one live (active or suspended) license per user and agent, enforced by the partial
//! unique index `ux_user_agent_licenses_live`; a violation reads as "already licensed".
//! "Expired" is never stored: it is `expires_at` in the past.
//!
//! A limit counts per window (see [`crate::quota::window`]); changes, top-ups and renewals live
//! in `change`, `top_ups` and `history`, each leaving a line of history in its transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect, Select,
};

use crate::actor::Actor;
use crate::audit::{self, AuditEntry};
use crate::db::{begin_write, unique_violation_as};
use crate::entities::enums::{LicenseEventKind, LicenseStatus, QuotaWindow};
use crate::entities::{agent_catalog, user_agent_licenses as licenses, users};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::{is_valid_id, new_id};
use crate::input::{id_filter, page_of, search_text};
use crate::pagination::{Page, PageRequest};
use crate::quota;
use crate::search::{like_contains, lower};
use crate::views::joined_with_user_and_agent;

mod change;
mod history;
mod sort;
mod top_ups;
pub(crate) use change::apply_change;
pub use change::{update, validate_plan, LicenseChange, MAX_BURST_PER_SECOND};
pub use history::history;
pub(crate) use history::record_event;
pub use sort::{LicenseSort, SortKey};
pub(crate) use top_ups::add_top_up;
pub use top_ups::{top_up, top_ups, NewTopUp, MAX_TOP_UP_NOTE_CHARS};

/// `api_call_limit` meaning "no limit".
pub const UNLIMITED: i64 = -1;
/// A license in force at or above this share of a finite limit is "near its limit".
pub const NEAR_LIMIT_PERCENT: i64 = 80;
/// The largest finite limit a license may carry.
pub const MAX_API_CALL_LIMIT: i64 = 10_000_000;

pub use abetworks_types::enums::EffectiveStatus;
pub use abetworks_types::inputs::QuotaPlan;
pub use abetworks_types::views::{LicenseEventView, LicenseView, TopUpView};

/// A license joined with its user and agent: every column of the license, so its standing in
/// the current window can be worked out from the row alone.
#[derive(Debug, FromQueryResult)]
struct LicenseRow {
    id: String,
    user_id: String,
    agent_id: String,
    api_call_limit: i64,
    api_calls_used: i64,
    status: LicenseStatus,
    granted_by: Option<String>,
    granted_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    quota_window: QuotaWindow,
    window_time_zone: String,
    reset_day: i32,
    burst_per_second: Option<i32>,
    window_start_unix: i64,
    top_up_calls: i64,
    top_up_expires_at: Option<DateTime<Utc>>,
    burst_second_unix: i64,
    burst_count: i32,
    user_email: String,
    user_name: String,
    agent_name: String,
    agent_slug: String,
    agent_icon: String,
}

impl LicenseRow {
    fn into_view(self, now: DateTime<Utc>) -> LicenseView {
        let license = licenses::Model {
            id: self.id,
            user_id: self.user_id,
            agent_id: self.agent_id,
            api_call_limit: self.api_call_limit,
            api_calls_used: self.api_calls_used,
            status: self.status,
            granted_by: self.granted_by,
            granted_at: self.granted_at,
            expires_at: self.expires_at,
            updated_at: self.updated_at,
            quota_window: self.quota_window,
            window_time_zone: self.window_time_zone,
            reset_day: self.reset_day,
            burst_per_second: self.burst_per_second,
            window_start_unix: self.window_start_unix,
            top_up_calls: self.top_up_calls,
            top_up_expires_at: self.top_up_expires_at,
            burst_second_unix: self.burst_second_unix,
            burst_count: self.burst_count,
        };
        // A stored window older than the current one reads as an empty current window.
        let usage = quota::standing(&license, now);
        let finite = license.api_call_limit != UNLIMITED;
        let allowed = license.api_call_limit + usage.top_ups;
        LicenseView {
            remaining: usage.remaining,
            status: EffectiveStatus::of(license.status, license.expires_at, now),
            near_limit: finite && usage.used * 100 >= allowed * NEAR_LIMIT_PERCENT,
            exhausted: usage.remaining == Some(0),
            id: license.id,
            user_id: license.user_id,
            user_email: self.user_email,
            user_name: self.user_name,
            agent_id: license.agent_id,
            agent_name: self.agent_name,
            agent_slug: self.agent_slug,
            agent_icon: self.agent_icon,
            api_call_limit: license.api_call_limit,
            api_calls_used: usage.used,
            granted_by: license.granted_by,
            granted_at: license.granted_at,
            expires_at: license.expires_at,
            window: license.quota_window,
            window_time_zone: license.window_time_zone,
            reset_day: license.reset_day,
            burst_per_second: license.burst_per_second,
            window_start: usage.window_start,
            resets_at: usage.resets_at,
            top_ups: usage.top_ups,
        }
    }
}

/// What the admin grants.
#[derive(Clone, Debug)]
pub struct GrantLicense {
    pub user_id: String,
    pub agent_id: String,
    /// [`UNLIMITED`] or `0..=MAX_API_CALL_LIMIT`.
    pub api_call_limit: i64,
    /// In the future, or `None` for no expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// What the limit counts per (lifetime, day or month) and the burst rate.
    pub plan: QuotaPlan,
}

/// List filters; `status` is the effective status, `query` searches user email and agent name.
#[derive(Clone, Debug, Default)]
pub struct LicenseFilter {
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub status: Option<EffectiveStatus>,
    pub query: Option<String>,
    pub sort: LicenseSort,
}

pub fn validate_limit(limit: i64) -> CoreResult<()> {
    if limit == UNLIMITED || (0..=MAX_API_CALL_LIMIT).contains(&limit) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "apiCallLimit",
            format!("must be -1 (unlimited) or between 0 and {MAX_API_CALL_LIMIT}"),
        ))
    }
}

pub fn validate_expiry(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> CoreResult<()> {
    match expires_at {
        Some(at) if at <= now => Err(CoreError::invalid("expiresAt", "must be in the future")),
        _ => Ok(()),
    }
}

/// Grants a license (super admin). 404 for an unknown user or agent, 409 when a live license
/// exists.
pub async fn grant(
    db: &DatabaseConnection,
    actor: &Actor,
    grant: GrantLicense,
) -> CoreResult<LicenseView> {
    actor.require_super_admin()?;
    let txn = begin_write(db).await?;
    let license = insert_license(&txn, actor, &grant).await?;
    txn.commit().await?;
    get(db, &license.id).await
}

/// Inserts a license on `conn` (a transaction when part of a larger change) and audits it.
/// A live license that has already expired is revoked first, so the user can be licensed
/// again; one still in force is a conflict. The caller has checked the actor's role.
pub(crate) async fn insert_license(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    grant: &GrantLicense,
) -> CoreResult<licenses::Model> {
    let now = Utc::now();
    validate_limit(grant.api_call_limit)?;
    validate_expiry(grant.expires_at, now)?;
    let plan = change::normalized_plan(&grant.plan)?;
    if !is_valid_id(&grant.user_id)
        || users::Entity::find_by_id(&grant.user_id)
            .one(conn)
            .await?
            .is_none()
    {
        return Err(CoreError::NotFound { entity: "user" });
    }
    if !is_valid_id(&grant.agent_id)
        || agent_catalog::Entity::find_by_id(&grant.agent_id)
            .one(conn)
            .await?
            .is_none()
    {
        return Err(CoreError::NotFound { entity: "agent" });
    }
    if let Some(live) = find_live(conn, &grant.user_id, &grant.agent_id).await? {
        if EffectiveStatus::of(live.status, live.expires_at, now) != EffectiveStatus::Expired {
            return Err(CoreError::Conflict(ConflictReason::AlreadyLicensed));
        }
        set_status(
            conn,
            actor,
            &live,
            LicenseStatus::Revoked,
            "license.replace_expired",
        )
        .await?;
    }
    let license = licenses::Model {
        id: new_id(),
        user_id: grant.user_id.clone(),
        agent_id: grant.agent_id.clone(),
        api_call_limit: grant.api_call_limit,
        api_calls_used: 0,
        status: LicenseStatus::Active,
        granted_by: Some(actor.user_id.clone()),
        granted_at: now,
        expires_at: grant.expires_at,
        updated_at: now,
        quota_window: plan.window,
        window_time_zone: plan.window_time_zone,
        reset_day: plan.reset_day,
        burst_per_second: plan.burst_per_second,
        // The first admission starts the window (and the counter) it falls in.
        window_start_unix: 0,
        top_up_calls: 0,
        top_up_expires_at: None,
        burst_second_unix: 0,
        burst_count: 0,
    };
    licenses::Entity::insert(licenses::ActiveModel::from(license.clone()).reset_all())
        .exec_without_returning(conn)
        .await
        .map_err(|e| unique_violation_as(e, ConflictReason::AlreadyLicensed))?;
    audit::record(
        conn,
        AuditEntry {
            actor_id: Some(&actor.user_id),
            action: "license.grant",
            target_type: "license",
            target_id: Some(&license.id),
            before: None,
            after: serde_json::to_value(&license).ok(),
            ip: actor.ip(),
        },
    )
    .await?;
    let granted = change::tracked_fields(&license);
    record_event(
        conn,
        &license.id,
        LicenseEventKind::Granted,
        actor,
        serde_json::json!({ "after": granted }),
    )
    .await?;
    Ok(license)
}

/// The live (active or suspended) license of a user for an agent, if any.
pub(crate) async fn find_live(
    conn: &impl ConnectionTrait,
    user_id: &str,
    agent_id: &str,
) -> CoreResult<Option<licenses::Model>> {
    Ok(licenses::Entity::find()
        .filter(licenses::Column::UserId.eq(user_id))
        .filter(licenses::Column::AgentId.eq(agent_id))
        .filter(licenses::Column::Status.is_in([LicenseStatus::Active, LicenseStatus::Suspended]))
        .one(conn)
        .await?)
}

/// Moves a live license to `status` if it is still live, auditing before and after.
async fn set_status(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    before: &licenses::Model,
    status: LicenseStatus,
    action: &str,
) -> CoreResult<licenses::Model> {
    let now = Utc::now();
    let changed = licenses::Entity::update_many()
        .col_expr(licenses::Column::Status, Expr::value(status))
        .col_expr(licenses::Column::UpdatedAt, Expr::value(now))
        .filter(licenses::Column::Id.eq(&before.id))
        .filter(licenses::Column::Status.ne(LicenseStatus::Revoked))
        .exec(conn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(CoreError::Conflict(ConflictReason::AlreadyRevoked));
    }
    let after = licenses::Model {
        status,
        updated_at: now,
        ..before.clone()
    };
    audit::record(
        conn,
        AuditEntry {
            actor_id: Some(&actor.user_id),
            action,
            target_type: "license",
            target_id: Some(&before.id),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(&after).ok(),
            ip: actor.ip(),
        },
    )
    .await?;
    if status == LicenseStatus::Revoked {
        let detail = serde_json::json!({
            "before": { "status": before.status },
            "after": { "status": status },
            "action": action,
        });
        record_event(conn, &before.id, LicenseEventKind::Revoked, actor, detail).await?;
    }
    Ok(after)
}

/// Licenses joined with their user and agent, unordered.
fn joined() -> Select<licenses::Entity> {
    joined_with_user_and_agent(licenses::Relation::User, licenses::Relation::Agent)
        .column_as(users::Column::Name, "user_name")
        .column_as(agent_catalog::Column::Icon, "agent_icon")
}

/// Joined licenses, newest grant first.
fn newest_first() -> Select<licenses::Entity> {
    LicenseSort::default().apply(joined())
}

fn not_expired(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(licenses::Column::ExpiresAt.is_null())
        .add(licenses::Column::ExpiresAt.gt(now))
}

/// The SQL form of "reads as `status`".
fn effective_status_condition(status: EffectiveStatus, now: DateTime<Utc>) -> Condition {
    let stored = |s: LicenseStatus| Condition::all().add(licenses::Column::Status.eq(s));
    match status {
        EffectiveStatus::Active => stored(LicenseStatus::Active).add(not_expired(now)),
        EffectiveStatus::Suspended => stored(LicenseStatus::Suspended).add(not_expired(now)),
        EffectiveStatus::Revoked => stored(LicenseStatus::Revoked),
        EffectiveStatus::Expired => Condition::all()
            .add(licenses::Column::Status.ne(LicenseStatus::Revoked))
            .add(licenses::Column::ExpiresAt.lte(now)),
    }
}

/// One license as a view. 404 for an unknown id.
pub async fn get(db: &impl ConnectionTrait, license_id: &str) -> CoreResult<LicenseView> {
    get_at(db, license_id, Utc::now()).await
}

/// One license as it stands at `now` (the application clock's time). 404 for an unknown id.
pub async fn get_at(
    db: &impl ConnectionTrait,
    license_id: &str,
    now: DateTime<Utc>,
) -> CoreResult<LicenseView> {
    if !is_valid_id(license_id) {
        return Err(CoreError::NotFound { entity: "license" });
    }
    let row = joined()
        .filter(licenses::Column::Id.eq(license_id))
        .into_model::<LicenseRow>()
        .one(db)
        .await?
        .ok_or(CoreError::NotFound { entity: "license" })?;
    Ok(row.into_view(now))
}

/// Licenses matching `filter`, in `filter.sort` order. Malformed filters are `Invalid` naming the field.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &LicenseFilter,
    page: PageRequest,
) -> CoreResult<Page<LicenseView>> {
    let now = Utc::now();
    let mut condition = Condition::all();
    if let Some(user_id) = id_filter("userId", filter.user_id.as_deref())? {
        condition = condition.add(licenses::Column::UserId.eq(user_id));
    }
    if let Some(agent_id) = id_filter("agentId", filter.agent_id.as_deref())? {
        condition = condition.add(licenses::Column::AgentId.eq(agent_id));
    }
    if let Some(status) = filter.status {
        condition = condition.add(effective_status_condition(status, now));
    }
    if let Some(q) = search_text("q", filter.query.as_deref())? {
        condition = condition.add(
            Condition::any()
                .add(lower(users::Column::Email).like(like_contains(&q)))
                .add(lower(agent_catalog::Column::Name).like(like_contains(&q))),
        );
    }
    let rows = page_of(
        db,
        filter
            .sort
            .apply(joined())
            .filter(condition)
            .into_model::<LicenseRow>(),
        page,
    )
    .await?;
    Ok(rows.map(|row| row.into_view(now)))
}

/// Every license of a user, newest first (a user holds a handful).
pub(crate) async fn all_for_user(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> CoreResult<Vec<LicenseView>> {
    let now = Utc::now();
    let rows = newest_first()
        .filter(licenses::Column::UserId.eq(user_id))
        .into_model::<LicenseRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| row.into_view(now)).collect())
}

/// The user's quota per agent: the license in force (or the newest one), by agent name.
pub async fn my_usage(db: &impl ConnectionTrait, user_id: &str) -> CoreResult<Vec<LicenseView>> {
    if !is_valid_id(user_id) {
        return Ok(Vec::new());
    }
    let mut current: Vec<LicenseView> = Vec::new();
    // Newest first: the first license seen per agent wins unless a live one comes later.
    for license in all_for_user(db, user_id).await? {
        let live = |l: &LicenseView| l.status != EffectiveStatus::Revoked;
        match current.iter_mut().find(|c| c.agent_id == license.agent_id) {
            Some(seen) if !live(seen) && live(&license) => *seen = license,
            Some(_) => {}
            None => current.push(license),
        }
    }
    current.sort_by(|a, b| a.agent_name.cmp(&b.agent_name));
    Ok(current)
}

/// The licenses the actor holds, as My Agents and the run page show them: one per agent (as
/// [`my_usage`] picks it), revoked ones left out. Expired ones stay, so the
/// holder is told why the agent stopped and how to ask again.
pub async fn list_for_holder(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> CoreResult<Vec<LicenseView>> {
    let mut licenses = my_usage(db, &actor.user_id).await?;
    licenses.retain(|license| license.status != EffectiveStatus::Revoked);
    Ok(licenses)
}

/// In force, with a finite limit of which at least `percent` is used.
fn in_force_with_share_used(percent: i64, now: DateTime<Utc>) -> Condition {
    let used = || Expr::col(licenses::Column::ApiCallsUsed.as_column_ref());
    let limit = || Expr::col(licenses::Column::ApiCallLimit.as_column_ref());
    effective_status_condition(EffectiveStatus::Active, now)
        .add(licenses::Column::ApiCallLimit.ne(UNLIMITED))
        .add(used().mul(100).gte(limit().mul(percent)))
}

/// How many licenses in force have used at least `percent` of a finite limit (the metrics
/// gauge behind the "users near their limit" alert).
pub async fn count_with_share_used(db: &impl ConnectionTrait, percent: i64) -> CoreResult<u64> {
    Ok(licenses::Entity::find()
        .filter(in_force_with_share_used(percent, Utc::now()))
        .count(db)
        .await?)
}

/// Licenses in force with at least 80% of a finite limit used in their current window, newest
/// first. The SQL share ignores windows and top-ups (a superset), the view decides.
pub(crate) async fn near_their_limit(
    db: &impl ConnectionTrait,
    at_most: u64,
) -> CoreResult<Vec<LicenseView>> {
    let now = Utc::now();
    let rows = newest_first()
        .filter(in_force_with_share_used(NEAR_LIMIT_PERCENT, now))
        .limit(at_most)
        .into_model::<LicenseRow>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| row.into_view(now))
        .filter(|view| view.near_limit)
        .collect())
}

/// A user's licenses, newest first. 404 for an unknown user.
pub async fn list_by_user(
    db: &impl ConnectionTrait,
    user_id: &str,
    page: PageRequest,
) -> CoreResult<Page<LicenseView>> {
    if !is_valid_id(user_id) || users::Entity::find_by_id(user_id).one(db).await?.is_none() {
        return Err(CoreError::NotFound { entity: "user" });
    }
    let filter = LicenseFilter {
        user_id: Some(user_id.to_owned()),
        ..Default::default()
    };
    list(db, &filter, page).await
}

/// An agent's licenses, newest first. 404 for an unknown agent.
pub async fn list_by_agent(
    db: &impl ConnectionTrait,
    agent_id: &str,
    page: PageRequest,
) -> CoreResult<Page<LicenseView>> {
    if !is_valid_id(agent_id)
        || agent_catalog::Entity::find_by_id(agent_id)
            .one(db)
            .await?
            .is_none()
    {
        return Err(CoreError::NotFound { entity: "agent" });
    }
    let filter = LicenseFilter {
        agent_id: Some(agent_id.to_owned()),
        ..Default::default()
    };
    list(db, &filter, page).await
}

/// The license row with `license_id`, to be changed on `conn`: 404 for an unknown id, 409 when
/// it is revoked.
pub(crate) async fn find_changeable(
    conn: &impl ConnectionTrait,
    license_id: &str,
) -> CoreResult<licenses::Model> {
    let license = match is_valid_id(license_id) {
        true => licenses::Entity::find_by_id(license_id).one(conn).await?,
        false => None,
    }
    .ok_or(CoreError::NotFound { entity: "license" })?;
    if license.status == LicenseStatus::Revoked {
        return Err(CoreError::Conflict(ConflictReason::LicenseRevoked));
    }
    Ok(license)
}

/// 404 unless a license with `license_id` exists (any status).
pub(crate) async fn require_exists(
    conn: &impl ConnectionTrait,
    license_id: &str,
) -> CoreResult<()> {
    let found = match is_valid_id(license_id) {
        true => licenses::Entity::find_by_id(license_id).one(conn).await?,
        false => None,
    };
    found
        .map(drop)
        .ok_or(CoreError::NotFound { entity: "license" })
}

/// Revokes a license for good (super admin). 404 for an unknown id, 409 when already revoked.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    license_id: &str,
) -> CoreResult<LicenseView> {
    actor.require_super_admin()?;
    if !is_valid_id(license_id) {
        return Err(CoreError::NotFound { entity: "license" });
    }
    let txn = begin_write(db).await?;
    let before = licenses::Entity::find_by_id(license_id)
        .one(&txn)
        .await?
        .ok_or(CoreError::NotFound { entity: "license" })?;
    set_status(
        &txn,
        actor,
        &before,
        LicenseStatus::Revoked,
        "license.revoke",
    )
    .await?;
    txn.commit().await?;
    get(db, license_id).await
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod window_tests;
