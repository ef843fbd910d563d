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
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_or_404, unique_violation_as};
#[cfg(test)] // the tests' `use super::*`
use crate::entities::enums::QuotaWindow;
use crate::entities::enums::{EventType, LicenseEventKind, LicenseStatus};
use crate::entities::{agent_catalog, user_agent_licenses as licenses, users};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::{is_valid_id, new_id};
use crate::input::{id_filter_on, page_of, search_text};
use crate::outbox::{self, payloads};
use crate::pagination::{Page, PageRequest};
use crate::quota;
use crate::search::{in_any, lower};
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

pub use crate::input::validate_expiry;
pub use abetworks_types::enums::EffectiveStatus;
pub use abetworks_types::inputs::QuotaPlan;
pub use abetworks_types::views::{LicenseEventView, LicenseView, TopUpView};

/// A license joined with its user and agent: every column of the license, so its standing in
/// the current window can be worked out from the row alone.
#[derive(Debug, FromQueryResult)]
struct LicenseRow {
    #[sea_orm(nested)]
    license: licenses::Model,
    user_email: String,
    user_name: String,
    agent_name: String,
    agent_slug: String,
    agent_icon: String,
}

impl LicenseRow {
    fn into_view(self, now: DateTime<Utc>) -> LicenseView {
        let license = self.license;
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

/// A count of calls a user asks for or an admin gives: 1..=MAX_API_CALL_LIMIT.
pub(crate) fn validate_calls(field: &str, calls: Option<i64>) -> CoreResult<()> {
    match calls {
        Some(n) if !(1..=MAX_API_CALL_LIMIT).contains(&n) => Err(CoreError::invalid(
            field,
            format!("must be between 1 and {MAX_API_CALL_LIMIT}"),
        )),
        _ => Ok(()),
    }
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

/// Grants a license (super admin). 404 for an unknown user or agent, 409 when a live license
/// exists.
pub async fn grant(
    db: &DatabaseConnection,
    actor: &Actor,
    grant: GrantLicense,
) -> CoreResult<LicenseView> {
    actor.require_super_admin()?;
    let txn = begin_write(db).await?;
    let license = insert_license(&txn, actor, &grant, false).await?;
    txn.commit().await?;
    get(db, &license.id).await
}

/// Inserts a license on `conn` (a transaction when part of a larger change), audits it and
/// emits `license.granted` (`via_request`: an approved request caused it). A live license that
/// has already expired is revoked first, so the user can be licensed again; one still in force
/// is a conflict. The caller has checked the actor's role.
pub(crate) async fn insert_license(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    grant: &GrantLicense,
    via_request: bool,
) -> CoreResult<licenses::Model> {
    let now = Utc::now();
    validate_limit(grant.api_call_limit)?;
    validate_expiry(grant.expires_at, now)?;
    let plan = change::normalized_plan(&grant.plan)?;
    find_or_404::<users::Entity>(conn, &grant.user_id, "user").await?;
    find_or_404::<agent_catalog::Entity>(conn, &grant.agent_id, "agent").await?;
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
    AuditEntry::of("license.grant", "license", &license.id)
        .by(actor)
        .after(&license)
        .record(conn)
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
    let extra = serde_json::json!({ "viaRequest": via_request });
    let event = payloads::license(conn, EventType::LicenseGranted, &license, extra).await?;
    outbox::emit(conn, event).await?;
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
    AuditEntry::of(action, "license", &before.id)
        .by(actor)
        .before(before)
        .after(&after)
        .record(conn)
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
    list_in(db, None, filter, page).await
}

/// [`list`], of the holders now in `organization_id` when given (an organisation's admin reads
/// its members' licenses). The caller has checked the actor.
pub(crate) async fn list_in(
    db: &impl ConnectionTrait,
    organization_id: Option<&str>,
    filter: &LicenseFilter,
    page: PageRequest,
) -> CoreResult<Page<LicenseView>> {
    let now = Utc::now();
    use licenses::Column as C;
    let user = id_filter_on(C::UserId, "userId", filter.user_id.as_deref())?;
    let agent = id_filter_on(C::AgentId, "agentId", filter.agent_id.as_deref())?;
    let status = filter.status.map(|s| effective_status_condition(s, now));
    let searched = search_text("q", filter.query.as_deref())?;
    let holder_or_agent = [
        lower(users::Column::Email),
        lower(agent_catalog::Column::Name),
    ];
    let condition = Condition::all()
        .add_option(user)
        .add_option(agent)
        .add_option(status)
        .add_option(searched.map(|q| in_any(&q, holder_or_agent)))
        .add_option(organization_id.map(|org| users::Column::OrganizationId.eq(org)));
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
    of_user(db, user_id, None).await
}

/// `user_id`'s licenses, newest first, for `agent_id` alone when it is given.
async fn of_user(
    db: &impl ConnectionTrait,
    user_id: &str,
    agent_id: Option<&str>,
) -> CoreResult<Vec<LicenseView>> {
    let now = Utc::now();
    let mut query = newest_first().filter(licenses::Column::UserId.eq(user_id));
    if let Some(agent_id) = agent_id {
        query = query.filter(licenses::Column::AgentId.eq(agent_id));
    }
    let rows = query.into_model::<LicenseRow>().all(db).await?;
    Ok(rows.into_iter().map(|row| row.into_view(now)).collect())
}

/// One license per agent out of `newest_first`: the first seen per agent wins unless a live
/// one comes later. By agent name.
fn current_per_agent(newest_first: Vec<LicenseView>) -> Vec<LicenseView> {
    let mut current: Vec<LicenseView> = Vec::new();
    for license in newest_first {
        let live = |l: &LicenseView| l.status != EffectiveStatus::Revoked;
        match current.iter_mut().find(|c| c.agent_id == license.agent_id) {
            Some(seen) if !live(seen) && live(&license) => *seen = license,
            Some(_) => {}
            None => current.push(license),
        }
    }
    current.sort_by(|a, b| a.agent_name.cmp(&b.agent_name));
    current
}

/// The user's quota per agent: the license in force (or the newest one), by agent name.
pub async fn my_usage(db: &impl ConnectionTrait, user_id: &str) -> CoreResult<Vec<LicenseView>> {
    if !is_valid_id(user_id) {
        return Ok(Vec::new());
    }
    Ok(current_per_agent(all_for_user(db, user_id).await?))
}

/// The licenses the actor holds, as My Agents and the run page show them: one per agent (as
/// [`my_usage`] picks it), revoked ones left out. Expired ones stay, so the
/// holder is told why the agent stopped and how to ask again.
pub async fn list_for_holder(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> CoreResult<Vec<LicenseView>> {
    if !is_valid_id(&actor.user_id) {
        return Ok(Vec::new());
    }
    Ok(held(all_for_user(db, &actor.user_id).await?))
}

/// The one license of [`list_for_holder`] for `agent_id`, read alone (the run page).
pub async fn held_for_agent(
    db: &impl ConnectionTrait,
    actor: &Actor,
    agent_id: &str,
) -> CoreResult<Option<LicenseView>> {
    if !is_valid_id(&actor.user_id) || !is_valid_id(agent_id) {
        return Ok(None);
    }
    let licenses = of_user(db, &actor.user_id, Some(agent_id)).await?;
    Ok(held(licenses).into_iter().next())
}

/// What a holder holds out of `newest_first`: one per agent ([`current_per_agent`]) unless
/// that one is revoked.
fn held(newest_first: Vec<LicenseView>) -> Vec<LicenseView> {
    let mut licenses = current_per_agent(newest_first);
    licenses.retain(|license| license.status != EffectiveStatus::Revoked);
    licenses
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
    find_or_404::<users::Entity>(db, user_id, "user").await?;
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
    find_or_404::<agent_catalog::Entity>(db, agent_id, "agent").await?;
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
    let license = find_or_404::<licenses::Entity>(conn, license_id, "license").await?;
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
    find_or_404::<licenses::Entity>(conn, license_id, "license")
        .await
        .map(drop)
}

/// Revokes a license for good (super admin). 404 for an unknown id, 409 when already revoked.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    license_id: &str,
) -> CoreResult<LicenseView> {
    actor.require_super_admin()?;
    let txn = begin_write(db).await?;
    let before = find_or_404::<licenses::Entity>(&txn, license_id, "license").await?;
    let revoked = set_status(
        &txn,
        actor,
        &before,
        LicenseStatus::Revoked,
        "license.revoke",
    )
    .await?;
    let event = payloads::license(
        &txn,
        EventType::LicenseRevoked,
        &revoked,
        serde_json::json!({}),
    )
    .await?;
    outbox::emit(&txn, event).await?;
    txn.commit().await?;
    get(db, license_id).await
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod window_tests;
