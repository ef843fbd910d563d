//! Top-ups: calls a super admin adds to the current window of a license, with a note and an
//! optional expiry. The license row keeps the window's running total (`top_up_calls`, valid
//! until `top_up_expires_at`), so admission reads one row; `license_top_ups` keeps each one.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::{
    find_changeable, record_event, require_exists, validate_calls, validate_expiry, TopUpView,
};
use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::begin_write;
use crate::entities::enums::{EventType, LicenseEventKind, LicenseStatus};
use crate::entities::{license_top_ups as top_up_rows, user_agent_licenses as licenses};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::new_id;
use crate::input::required_text;
use crate::outbox::payloads;
use crate::quota;

pub const MAX_TOP_UP_NOTE_CHARS: usize = 500;

/// What a super admin adds.
#[derive(Clone, Debug)]
pub struct NewTopUp {
    /// 1..=MAX_API_CALL_LIMIT.
    pub calls: i64,
    /// Why, 1..=500 characters once trimmed.
    pub note: String,
    /// In the future, or `None`: valid until the window ends.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Checks a top-up; returns its trimmed note.
fn validate(top_up: &NewTopUp, now: DateTime<Utc>) -> CoreResult<String> {
    validate_calls("calls", Some(top_up.calls))?;
    let note = required_text("note", &top_up.note, MAX_TOP_UP_NOTE_CHARS)?;
    validate_expiry(top_up.expires_at, now)?;
    Ok(note)
}

/// Adds calls to the license's current window (super admin). 404 for an unknown license, 409
/// when it is revoked. `now` is the application clock's time: it decides the window.
pub async fn top_up(
    db: &DatabaseConnection,
    actor: &Actor,
    license_id: &str,
    top_up: NewTopUp,
    now: DateTime<Utc>,
) -> CoreResult<TopUpView> {
    actor.require_super_admin()?;
    validate(&top_up, now)?;
    let txn = begin_write(db).await?;
    let license = find_changeable(&txn, license_id).await?;
    let view = add_top_up(&txn, actor, &license, &top_up, now, false).await?;
    txn.commit().await?;
    Ok(view)
}

/// Adds `top_up` to `license` (read in the caller's transaction) on `conn`: rolls a stored
/// window that is over forward first (nothing used, no top-ups), adds the calls, keeps the
/// top-up's row, an audit entry, a line of history and a `license.changed` event
/// (`via_request`: an approved request caused it). The caller has checked the role.
pub(crate) async fn add_top_up(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    license: &licenses::Model,
    top_up: &NewTopUp,
    now: DateTime<Utc>,
    via_request: bool,
) -> CoreResult<TopUpView> {
    use licenses::Column as C;
    let note = validate(top_up, now)?;
    // Never step back to an older window (a clock behind the one that stored it).
    let window = std::cmp::max(
        quota::plan_of(license).start_unix(now),
        license.window_start_unix,
    );
    // What is on the row no longer counts (a window that is over, top-ups past their expiry)
    // or is nothing at all: the new top-up replaces it, expiry included.
    let stale = || {
        Condition::any()
            .add(Expr::col(C::WindowStartUnix).lt(window))
            .add(C::TopUpCalls.lte(0))
            .add(
                Condition::all()
                    .add(C::TopUpExpiresAt.is_not_null())
                    .add(C::TopUpExpiresAt.lte(now)),
            )
    };
    let calls = top_up.calls;
    // Open-ended when either part is; otherwise valid until the later expiry.
    let expires: Expr = match top_up.expires_at {
        None => Expr::value(Option::<DateTime<Utc>>::None),
        Some(at) => Expr::case(stale(), Expr::value(at))
            .case(
                C::TopUpExpiresAt.is_null(),
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .case(C::TopUpExpiresAt.gt(at), Expr::col(C::TopUpExpiresAt))
            .finally(Expr::value(at))
            .into(),
    };
    let older = || Expr::col(C::WindowStartUnix).lt(window);
    let added = licenses::Entity::update_many()
        .col_expr(
            C::ApiCallsUsed,
            Expr::case(older(), Expr::value(0i64))
                .finally(Expr::col(C::ApiCallsUsed))
                .into(),
        )
        .col_expr(
            C::TopUpCalls,
            Expr::case(stale(), Expr::value(calls))
                .finally(Expr::col(C::TopUpCalls).add(calls))
                .into(),
        )
        .col_expr(C::TopUpExpiresAt, expires)
        .col_expr(
            C::WindowStartUnix,
            Expr::case(older(), Expr::value(window))
                .finally(Expr::col(C::WindowStartUnix))
                .into(),
        )
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(&license.id))
        .filter(C::Status.ne(LicenseStatus::Revoked))
        .exec(conn)
        .await?;
    if added.rows_affected != 1 {
        return Err(CoreError::Conflict(ConflictReason::LicenseRevoked));
    }
    let row = top_up_rows::ActiveModel {
        id: Set(new_id()),
        license_id: Set(license.id.clone()),
        calls: Set(calls),
        note: Set(note),
        expires_at: Set(top_up.expires_at),
        window_start_unix: Set(window),
        created_by: Set(Some(actor.user_id.clone())),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    AuditEntry::of("license.top_up", "license", &license.id)
        .by(actor)
        .after(&row)
        .record(conn)
        .await?;
    let view = TopUpView::from(row);
    let detail = json!({
        "calls": view.calls,
        "note": view.note,
        "expiresAt": view.expires_at,
        "windowStart": view.window_start,
        "topUpId": view.id,
    });
    record_event(conn, &license.id, LicenseEventKind::TopUp, actor, detail).await?;
    let after = licenses::Entity::find_by_id(&license.id)
        .one(conn)
        .await?
        .ok_or(CoreError::NotFound { entity: "license" })?;
    // More calls may put the window back under a threshold already told.
    crate::outbox::alerts::rearm(conn, &after, now).await?;
    let extra = json!({
        "change": LicenseEventKind::TopUp,
        "calls": view.calls,
        "viaRequest": via_request,
    });
    let event = payloads::license(conn, EventType::LicenseChanged, &after, extra).await?;
    crate::outbox::emit(conn, event).await?;
    Ok(view)
}

/// Every top-up of a license, newest first (super admin). 404 for an unknown license.
pub async fn top_ups(
    db: &impl ConnectionTrait,
    actor: &Actor,
    license_id: &str,
) -> CoreResult<Vec<TopUpView>> {
    actor.require_super_admin()?;
    require_exists(db, license_id).await?;
    let rows = top_up_rows::Entity::find()
        .filter(top_up_rows::Column::LicenseId.eq(license_id))
        .order_by_desc(top_up_rows::Column::CreatedAt)
        .order_by_desc(top_up_rows::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(TopUpView::from).collect())
}
