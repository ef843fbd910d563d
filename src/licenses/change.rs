//! Changing a license in place: its limit, expiry, status (active <-> suspended), quota plan,
//! or a renewal that starts the current window again at zero. One UPDATE, one audit entry and
//! one line of history per change, in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{json, Map, Value};

use super::{find_changeable, get_at, record_event, validate_expiry, validate_limit, QuotaPlan};
use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::begin_write;
use crate::entities::enums::{EventType, LicenseEventKind, LicenseStatus};
use crate::entities::user_agent_licenses as licenses;
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::licenses::LicenseView;
use crate::outbox::payloads;
use crate::quota::{self, window, WindowCounter};

/// The highest burst rate a license may carry (calls per second).
pub const MAX_BURST_PER_SECOND: i32 = 100_000;

/// What an update may change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct LicenseChange {
    pub api_call_limit: Option<i64>,
    /// `Some(None)` removes the expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// Only `active` <-> `suspended`; revoking has its own function.
    pub status: Option<LicenseStatus>,
    /// A new window, zone, reset day or burst rate; the calls used so far carry over into the
    /// new plan's current window.
    pub plan: Option<QuotaPlan>,
    /// A renewal: the current window starts again at zero, without top-ups.
    pub reset_usage: bool,
}

/// Checks a plan an admin sends: an IANA zone, a reset day that every month has, and a burst
/// rate of 1..=100000 when there is one.
pub fn validate_plan(plan: &QuotaPlan) -> CoreResult<()> {
    normalized_plan(plan).map(drop)
}

/// `plan` checked, with its zone under its canonical name (`" Europe/Berlin "` is stored as
/// `Europe/Berlin`).
pub(super) fn normalized_plan(plan: &QuotaPlan) -> CoreResult<QuotaPlan> {
    let zone = window::parse_time_zone("windowTimeZone", &plan.window_time_zone)?;
    window::validate_reset_day(plan.reset_day)?;
    if let Some(rate) = plan.burst_per_second {
        if !(1..=MAX_BURST_PER_SECOND).contains(&rate) {
            return Err(CoreError::invalid(
                "burstPerSecond",
                format!("must be between 1 and {MAX_BURST_PER_SECOND}"),
            ));
        }
    }
    Ok(QuotaPlan {
        window_time_zone: zone.name().to_owned(),
        ..plan.clone()
    })
}

/// Checks everything in `change` that does not need the row.
fn validate_change(change: &LicenseChange, now: DateTime<Utc>) -> CoreResult<Option<QuotaPlan>> {
    if let Some(limit) = change.api_call_limit {
        validate_limit(limit)?;
    }
    if let Some(expires_at) = change.expires_at {
        validate_expiry(expires_at, now)?;
    }
    if change.status == Some(LicenseStatus::Revoked) {
        return Err(CoreError::invalid(
            "status",
            "must be active or suspended; revoke instead",
        ));
    }
    change.plan.as_ref().map(normalized_plan).transpose()
}

/// Changes the limit, expiry, status (active <-> suspended) or plan of a license that is not
/// revoked, or renews it (super admin). `now` is the application clock's time: the window a
/// plan change or renewal starts from. Concurrent admissions are never lost: the counter is
/// only written by expressions on the row itself.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    license_id: &str,
    change: LicenseChange,
    now: DateTime<Utc>,
) -> CoreResult<LicenseView> {
    actor.require_super_admin()?;
    validate_change(&change, now)?;
    let txn = begin_write(db).await?;
    let before = find_changeable(&txn, license_id).await?;
    apply_change(&txn, actor, &before, &change, now, false).await?;
    txn.commit().await?;
    get_at(db, license_id, now).await
}

/// Applies `change` to `before` (read in the caller's transaction, not revoked): one UPDATE,
/// audited as `license.update`, with one line of history and a `license.changed` event
/// (`via_request`: an approved request caused it) when something changed. The caller has
/// checked the actor's role. Returns the row as it is now.
pub(crate) async fn apply_change(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    before: &licenses::Model,
    change: &LicenseChange,
    now: DateTime<Utc>,
    via_request: bool,
) -> CoreResult<licenses::Model> {
    use licenses::Column as C;
    let plan = validate_change(change, now)?;
    let mut update = licenses::Entity::update_many()
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(&before.id))
        .filter(C::Status.ne(LicenseStatus::Revoked));
    if let Some(limit) = change.api_call_limit {
        update = update.col_expr(C::ApiCallLimit, Expr::value(limit));
    }
    if let Some(expires_at) = change.expires_at {
        update = update.col_expr(C::ExpiresAt, Expr::value(expires_at));
    }
    if let Some(status) = change.status {
        update = update.col_expr(C::Status, Expr::value(status));
    }
    let old_start = quota::plan_of(before).start_unix(now);
    // The window the counter belongs to after the change: the new plan's current one.
    let mut new_start = None;
    if let Some(plan) = &plan {
        update = update
            .col_expr(C::QuotaWindow, Expr::value(plan.window))
            .col_expr(
                C::WindowTimeZone,
                Expr::value(plan.window_time_zone.clone()),
            )
            .col_expr(C::ResetDay, Expr::value(plan.reset_day))
            .col_expr(C::BurstPerSecond, Expr::value(plan.burst_per_second));
        new_start = window::start_after_change(
            before.quota_window,
            &before.window_time_zone,
            before.reset_day,
            plan,
            now,
        );
    }
    if change.reset_usage {
        let start = new_start.unwrap_or(old_start);
        update = update
            .col_expr(C::ApiCallsUsed, Expr::value(0i64))
            .col_expr(C::TopUpCalls, Expr::value(0i64))
            .col_expr(
                C::TopUpExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(C::WindowStartUnix, Expr::value(start));
    } else if let Some(start) = new_start {
        // Carry what the current window used (and its live top-ups) over into the new plan's
        // window; a stored window that is already over carries nothing.
        let counter = WindowCounter {
            start: C::WindowStartUnix,
            used: C::ApiCallsUsed,
        };
        let carried = update.col_expr(C::ApiCallsUsed, counter.carried_over(old_start));
        update = quota::keep_top_ups_if(carried, || counter.counts_since(old_start))
            .col_expr(C::WindowStartUnix, Expr::value(start));
    }
    if update.exec(conn).await?.rows_affected != 1 {
        return Err(CoreError::Conflict(ConflictReason::LicenseRevoked));
    }
    let after = licenses::Entity::find_by_id(&before.id)
        .one(conn)
        .await?
        .ok_or(CoreError::NotFound { entity: "license" })?;
    AuditEntry::of("license.update", "license", &before.id)
        .by(actor)
        .before(before)
        .after(&after)
        .record(conn)
        .await?;
    let (mut was, mut is) = changed_fields(before, &after);
    if change.reset_usage {
        let usage = quota::standing(before, now);
        was.insert("apiCallsUsed".into(), json!(usage.used));
        was.insert("topUps".into(), json!(usage.top_ups));
        is.insert("apiCallsUsed".into(), json!(0));
        is.insert("topUps".into(), json!(0));
    }
    if !is.is_empty() {
        let kind = event_kind(before, &after, change.reset_usage);
        let detail = json!({ "before": was, "after": is });
        record_event(conn, &before.id, kind, actor, detail.clone()).await?;
        // A renewal or a new limit may put the window back under a threshold already told.
        crate::outbox::alerts::rearm(conn, &after, now).await?;
        let extra = json!({
            "change": kind,
            "before": detail["before"],
            "after": detail["after"],
            "viaRequest": via_request,
        });
        let event = payloads::license(conn, EventType::LicenseChanged, &after, extra).await?;
        crate::outbox::emit(conn, event).await?;
    }
    Ok(after)
}

/// What a change is called in the history: a renewal or a status move wins over the rest.
fn event_kind(
    before: &licenses::Model,
    after: &licenses::Model,
    renewed: bool,
) -> LicenseEventKind {
    match (renewed, before.status, after.status) {
        (true, _, _) => LicenseEventKind::Renewed,
        (_, LicenseStatus::Active, LicenseStatus::Suspended) => LicenseEventKind::Suspended,
        (_, LicenseStatus::Suspended, LicenseStatus::Active) => LicenseEventKind::Resumed,
        _ => LicenseEventKind::Changed,
    }
}

/// The fields an admin sets, under their wire names: what the history shows of a license.
pub(super) fn tracked_fields(license: &licenses::Model) -> Map<String, Value> {
    let mut fields = Map::new();
    let mut put = |name: &str, value: Value| {
        fields.insert(name.to_owned(), value);
    };
    put("apiCallLimit", json!(license.api_call_limit));
    put("expiresAt", json!(license.expires_at));
    put("status", json!(license.status));
    put("window", json!(license.quota_window));
    put("windowTimeZone", json!(license.window_time_zone));
    put("resetDay", json!(license.reset_day));
    put("burstPerSecond", json!(license.burst_per_second));
    fields
}

/// The tracked fields that differ, as (before, after).
fn changed_fields(
    before: &licenses::Model,
    after: &licenses::Model,
) -> (Map<String, Value>, Map<String, Value>) {
    let (old, new) = (tracked_fields(before), tracked_fields(after));
    let mut was = Map::new();
    let mut is = Map::new();
    for (name, value) in new {
        let previous = old.get(&name).cloned().unwrap_or(Value::Null);
        if previous != value {
            was.insert(name.clone(), previous);
            is.insert(name, value);
        }
    }
    (was, is)
}
