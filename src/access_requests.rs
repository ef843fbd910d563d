//! Requests for access to an agent: a user asks, the super admin approves (which grants the
//! license in the same transaction) or rejects with a note the user sees. A user who already
//! holds a license in force asks for more calls instead (`kind: increase`); approving that
//! changes the license held, in place.
//!
//! At most one pending request per user and agent, enforced by the partial unique index
//! `ux_agent_access_requests_pending`; a violation reads as "already pending".

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_by_id, find_or_404, unique_violation_as};
use crate::entities::agent_access_requests as requests;
use crate::entities::enums::{AccessRequestKind, AccessRequestStatus, EventType};
use crate::entities::{agent_catalog, users};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::{is_valid_id, new_id};
use crate::input::{id_filter_on, optional_range, page_of, required_text};
#[cfg(test)] // the tests' `use super::*`
use crate::licenses::MAX_API_CALL_LIMIT;
use crate::licenses::{self, EffectiveStatus, GrantLicense, LicenseChange, NewTopUp, QuotaPlan};
use crate::outbox::{self, payloads};
use crate::pagination::{Page, PageRequest};
use crate::views::joined_with_user_and_agent;
pub use abetworks_types::views::{AccessRequestView, ApprovedRequest};

pub const MAX_REASON_CHARS: usize = 1000;
pub const MAX_REVIEW_NOTE_CHARS: usize = 1000;

/// The note on the top-up an approved increase adds.
pub const APPROVED_TOP_UP_NOTE: &str = "Approved request";

/// What a user sends to ask for an agent, or for more calls on the license they hold.
#[derive(Clone, Debug)]
pub struct NewAccessRequest {
    pub agent_id: String,
    /// 1..=1000 characters once trimmed.
    pub reason: String,
    /// How many calls the user asks for (1..=MAX_API_CALL_LIMIT), if they say.
    pub requested_calls: Option<i64>,
}

/// What an approval gives. For a first license (`access`) `api_call_limit` is required; for an
/// `increase` a new limit, top-up calls or both change the license held, in place.
#[derive(Clone, Debug, Default)]
pub struct Approval {
    pub api_call_limit: Option<i64>,
    /// The license's expiry: for an increase, `None` leaves it as it is.
    pub expires_at: Option<DateTime<Utc>>,
    /// `None`: a new license counts for its lifetime; an increase keeps its plan.
    pub plan: Option<QuotaPlan>,
    /// Calls added to the current window of the license held (increase only).
    pub top_up_calls: Option<i64>,
}

/// Admin list filters; the date range applies to `requested_at`.
#[derive(Clone, Debug, Default)]
pub struct AccessRequestFilter {
    pub status: Option<AccessRequestStatus>,
    pub agent_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The actor asks for access for themselves, or, holding a license in force, for more calls
/// (an `increase`). 404 for an unknown or unpublished agent; 409 when a request is pending.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    request: NewAccessRequest,
) -> CoreResult<AccessRequestView> {
    let user_id = actor.user_id.as_str();
    let reason = required_text("requestReason", &request.reason, MAX_REASON_CHARS)?;
    licenses::validate_calls("requestedCalls", request.requested_calls)?;
    let agent_id = request.agent_id.trim();
    let published = find_by_id::<agent_catalog::Entity>(db, agent_id).await?;
    if !published.is_some_and(|agent| agent.published) {
        return Err(CoreError::NotFound { entity: "agent" });
    }
    find_or_404::<users::Entity>(db, user_id, "user").await?;
    // An expired license does not count: asking again is how a user gets a new one.
    let in_force = licenses::find_live(db, user_id, agent_id)
        .await?
        .is_some_and(|live| {
            EffectiveStatus::of(live.status, live.expires_at, Utc::now())
                != EffectiveStatus::Expired
        });
    let kind = match in_force {
        true => AccessRequestKind::Increase,
        false => AccessRequestKind::Access,
    };
    let txn = begin_write(db).await?;
    let created = requests::ActiveModel {
        id: sea_orm::Set(new_id()),
        user_id: sea_orm::Set(user_id.to_owned()),
        agent_id: sea_orm::Set(agent_id.to_owned()),
        request_reason: sea_orm::Set(reason),
        status: sea_orm::Set(AccessRequestStatus::Pending),
        requested_at: sea_orm::Set(Utc::now()),
        reviewed_by: sea_orm::Set(None),
        reviewed_at: sea_orm::Set(None),
        review_note: sea_orm::Set(None),
        kind: sea_orm::Set(kind),
        requested_calls: sea_orm::Set(request.requested_calls),
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_violation_as(e, ConflictReason::AlreadyPending))?;
    let event = payloads::access_request(
        &txn,
        EventType::AccessRequestCreated,
        &created,
        serde_json::json!({}),
    )
    .await?;
    outbox::emit(&txn, event).await?;
    AuditEntry::of("access_request.create", "access_request", &created.id)
        .by(actor)
        .after(&created)
        .record(&txn)
        .await?;
    txn.commit().await?;
    get(db, &created.id).await
}

/// Requests joined with their user and agent.
fn joined() -> Select<requests::Entity> {
    joined_with_user_and_agent(requests::Relation::User, requests::Relation::Agent)
        .column_as(users::Column::Name, "user_name")
}

/// One request. 404 for an unknown id.
pub async fn get(db: &impl ConnectionTrait, request_id: &str) -> CoreResult<AccessRequestView> {
    if !is_valid_id(request_id) {
        return Err(CoreError::NotFound {
            entity: "access request",
        });
    }
    joined()
        .filter(requests::Column::Id.eq(request_id))
        .into_model::<AccessRequestView>()
        .one(db)
        .await?
        .ok_or(CoreError::NotFound {
            entity: "access request",
        })
}

/// The actor's own requests, newest first, with the review note when there is one.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    actor: &Actor,
    page: PageRequest,
) -> CoreResult<Page<AccessRequestView>> {
    let query = joined()
        .filter(requests::Column::UserId.eq(&actor.user_id))
        .order_by_desc(requests::Column::RequestedAt)
        .order_by_desc(requests::Column::Id);
    page_of(db, query.into_model(), page).await
}

/// Every request matching `filter`: pending first, then newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AccessRequestFilter,
    page: PageRequest,
) -> CoreResult<Page<AccessRequestView>> {
    use requests::Column as C;
    let in_range = optional_range(C::RequestedAt, filter.from, filter.to)?;
    let agent = id_filter_on(C::AgentId, "agentId", filter.agent_id.as_deref())?;
    let status = filter.status.map(|status| C::Status.eq(status));
    let condition = in_range.add_option(status).add_option(agent);
    let pending_first = Expr::case(
        Expr::col(requests::Column::Status.as_column_ref()).eq(AccessRequestStatus::Pending),
        0,
    )
    .finally(1);
    let query = joined()
        .filter(condition)
        .order_by(Into::<Expr>::into(pending_first), Order::Asc)
        .order_by_desc(requests::Column::RequestedAt)
        .order_by_desc(requests::Column::Id);
    page_of(db, query.into_model(), page).await
}

/// Marks a pending request reviewed, atomically: only one reviewer can win.
async fn mark_reviewed(
    conn: &impl ConnectionTrait,
    request_id: &str,
    reviewer: &Actor,
    status: AccessRequestStatus,
    note: Option<String>,
) -> CoreResult<()> {
    let reviewed = requests::Entity::update_many()
        .col_expr(requests::Column::Status, Expr::value(status))
        .col_expr(requests::Column::ReviewedBy, Expr::value(&reviewer.user_id))
        .col_expr(requests::Column::ReviewedAt, Expr::value(Utc::now()))
        .col_expr(requests::Column::ReviewNote, Expr::value(note))
        .filter(requests::Column::Id.eq(request_id))
        .filter(requests::Column::Status.eq(AccessRequestStatus::Pending))
        .exec(conn)
        .await?;
    if reviewed.rows_affected != 1 {
        return Err(CoreError::Conflict(ConflictReason::NotPending));
    }
    Ok(())
}

async fn find_pending(
    conn: &impl ConnectionTrait,
    request_id: &str,
) -> CoreResult<requests::Model> {
    let request = find_or_404::<requests::Entity>(conn, request_id, "access request").await?;
    if request.status != AccessRequestStatus::Pending {
        return Err(CoreError::Conflict(ConflictReason::NotPending));
    }
    Ok(request)
}

async fn audit_review(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    before: &requests::Model,
) -> CoreResult<()> {
    let after = requests::Entity::find_by_id(&before.id).one(conn).await?;
    AuditEntry::of(action, "access_request", &before.id)
        .by(actor)
        .before(before)
        .after(after)
        .record(conn)
        .await
}

/// Approves a pending request (super admin), in one transaction with what it gives: an
/// `access` request grants a license (`api_call_limit` required); an `increase` changes the
/// license held in place (a new limit or plan, top-up calls, or both; at least one of the
/// limit and the top-up). 409 when the request is no longer pending, when an access request's
/// user already holds a license in force, or when an increase's license has been revoked.
pub async fn approve(
    db: &DatabaseConnection,
    actor: &Actor,
    request_id: &str,
    approval: Approval,
) -> CoreResult<ApprovedRequest> {
    actor.require_super_admin()?;
    let now = Utc::now();
    if let Some(limit) = approval.api_call_limit {
        licenses::validate_limit(limit)?;
    }
    licenses::validate_expiry(approval.expires_at, now)?;
    if let Some(plan) = &approval.plan {
        licenses::validate_plan(plan)?;
    }
    licenses::validate_calls("topUpCalls", approval.top_up_calls)?;
    let txn = begin_write(db).await?;
    let request = find_pending(&txn, request_id).await?;
    // Marked first: of two reviewers racing, the second stops here, before changing anything.
    mark_reviewed(&txn, request_id, actor, AccessRequestStatus::Approved, None).await?;
    let license_id = match request.kind {
        AccessRequestKind::Access => grant_access(&txn, actor, &request, approval).await?,
        AccessRequestKind::Increase => increase(&txn, actor, &request, approval, now).await?,
    };
    let event = payloads::access_request(
        &txn,
        EventType::AccessRequestApproved,
        &request,
        serde_json::json!({ "licenseId": license_id }),
    )
    .await?;
    outbox::emit(&txn, event).await?;
    audit_review(&txn, actor, "access_request.approve", &request).await?;
    txn.commit().await?;
    Ok(ApprovedRequest {
        request: get(db, request_id).await?,
        license: licenses::get_at(db, &license_id, now).await?,
    })
}

/// The first license of an approved `access` request; its id.
async fn grant_access(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    request: &requests::Model,
    approval: Approval,
) -> CoreResult<String> {
    if approval.top_up_calls.is_some() {
        return Err(CoreError::invalid(
            "topUpCalls",
            "only a request for more calls can be approved with a top-up",
        ));
    }
    let api_call_limit = approval
        .api_call_limit
        .ok_or_else(|| CoreError::invalid("apiCallLimit", "is required to grant a license"))?;
    let grant = GrantLicense {
        user_id: request.user_id.clone(),
        agent_id: request.agent_id.clone(),
        api_call_limit,
        expires_at: approval.expires_at,
        plan: approval.plan.unwrap_or_default(),
    };
    Ok(licenses::insert_license(conn, actor, &grant, true)
        .await?
        .id)
}

/// Changes the license an approved `increase` is about, in place; its id.
async fn increase(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    request: &requests::Model,
    approval: Approval,
    now: DateTime<Utc>,
) -> CoreResult<String> {
    if approval.api_call_limit.is_none() && approval.top_up_calls.is_none() {
        return Err(CoreError::invalid(
            "topUpCalls",
            "give a new apiCallLimit, topUpCalls or both to approve a request for more calls",
        ));
    }
    let live = licenses::find_live(conn, &request.user_id, &request.agent_id)
        .await?
        .ok_or(CoreError::Conflict(ConflictReason::LicenseRevoked))?;
    let change = LicenseChange {
        api_call_limit: approval.api_call_limit,
        expires_at: approval.expires_at.map(Some),
        plan: approval.plan,
        ..Default::default()
    };
    let changes_license =
        change.api_call_limit.is_some() || change.expires_at.is_some() || change.plan.is_some();
    let license = match changes_license {
        true => licenses::apply_change(conn, actor, &live, &change, now, true).await?,
        false => live,
    };
    if let Some(calls) = approval.top_up_calls {
        let top_up = NewTopUp {
            calls,
            note: APPROVED_TOP_UP_NOTE.to_owned(),
            expires_at: None,
        };
        licenses::add_top_up(conn, actor, &license, &top_up, now, true).await?;
    }
    Ok(license.id)
}

/// Rejects a pending request with a note the user sees (1..=1000 characters; super admin).
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    request_id: &str,
    review_note: &str,
) -> CoreResult<AccessRequestView> {
    actor.require_super_admin()?;
    let note = required_text("reviewNote", review_note, MAX_REVIEW_NOTE_CHARS)?;
    let txn = begin_write(db).await?;
    let request = find_pending(&txn, request_id).await?;
    mark_reviewed(
        &txn,
        request_id,
        actor,
        AccessRequestStatus::Rejected,
        Some(note.clone()),
    )
    .await?;
    let event = payloads::access_request(
        &txn,
        EventType::AccessRequestRejected,
        &request,
        serde_json::json!({ "reviewNote": note }),
    )
    .await?;
    outbox::emit(&txn, event).await?;
    audit_review(&txn, actor, "access_request.reject", &request).await?;
    txn.commit().await?;
    get(db, request_id).await
}

#[cfg(test)]
mod tests;
