//! Requests for access to an agent: a user asks, the super admin approves (which grants the
//! license in the same transaction) or rejects with a note the user sees. A user who already
//! holds a license in force asks for more calls instead (`kind: increase`); approving that
//! changes the license held, in place. An organisation's admin may ask for their
//! organisation (`for_organization`): approving that creates the organisation's subscription
//! (a pool its members share, `crate::subscriptions`) instead of a license.
//!
//! At most one pending request per user and agent, enforced by the partial unique index
//! `ux_agent_access_requests_pending`; a violation reads as "already pending".

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_by_id, find_or_404, unique_violation_as};
use crate::entities::agent_access_requests as requests;
use crate::entities::enums::{AccessRequestKind, AccessRequestStatus, EventType};
use crate::entities::{agent_catalog, agent_subscriptions, organizations, users};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::{is_valid_id, new_id};
use crate::input::{id_filter_on, optional_range, page_of, required_text};
#[cfg(test)] // the tests' `use super::*`
use crate::licenses::MAX_API_CALL_LIMIT;
use crate::licenses::{self, EffectiveStatus, QuotaPlan};
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
    /// An organisation admin asks for a pool for their (team) organisation, not for themselves.
    pub for_organization: bool,
}

/// What an approval gives. For a first license (`access`) or an organisation's subscription
/// `api_call_limit` is required; for an `increase` a new limit, top-up calls or both change the
/// license held, in place.
#[derive(Clone, Debug, Default)]
pub struct Approval {
    pub api_call_limit: Option<i64>,
    /// The license's expiry: for an increase, `None` leaves it as it is.
    pub expires_at: Option<DateTime<Utc>>,
    /// `None`: a new license counts for its lifetime; an increase keeps its plan.
    pub plan: Option<QuotaPlan>,
    /// Calls added to the current window of the license held (increase only).
    pub top_up_calls: Option<i64>,
    /// The most calls one member may take from an organisation's pool per window (a request
    /// for an organisation only); `None`: no cap.
    pub member_cap: Option<i64>,
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
/// (an `increase`); or, as an organisation admin, for a pool for their organisation
/// (`for_organization`). 404 for an unknown or unpublished agent; 409 when a request is
/// pending, when the organisation is a personal one or already has a pool for the agent.
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
    let organization_id = match request.for_organization {
        true => Some(organization_to_ask_for(db, actor, agent_id).await?),
        false => None,
    };
    // An expired license does not count: asking again is how a user gets a new one.
    let in_force = organization_id.is_none()
        && licenses::find_live(db, user_id, agent_id)
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
        organization_id: sea_orm::Set(organization_id),
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

/// Whether `actor` may ask for a pool for `organization`, their own: an admin of a team (a
/// personal organisation has no one to share it with). The request dialog offers the choice
/// by the same rule (`organizations::session`).
pub fn may_ask_for(actor: &Actor, organization: &organizations::Model) -> CoreResult<()> {
    actor.require_admin()?;
    if organization.personal {
        return Err(CoreError::Conflict(ConflictReason::PersonalOrganization));
    }
    Ok(())
}

/// The organisation an admin asks a pool for: their own, a team one without a pool for the
/// agent yet.
async fn organization_to_ask_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    agent_id: &str,
) -> CoreResult<String> {
    let organization =
        find_or_404::<organizations::Entity>(db, &actor.organization_id, "organization").await?;
    may_ask_for(actor, &organization)?;
    let subscribed = agent_subscriptions::Entity::find()
        .filter(agent_subscriptions::Column::OrganizationId.eq(&organization.id))
        .filter(agent_subscriptions::Column::AgentId.eq(agent_id))
        .one(db)
        .await?;
    if subscribed.is_some() {
        return Err(CoreError::Conflict(ConflictReason::AlreadySubscribed));
    }
    Ok(organization.id)
}

/// Requests joined with their user and agent, and the organisation asked for, if any.
fn joined() -> Select<requests::Entity> {
    joined_with_user_and_agent(requests::Relation::User, requests::Relation::Agent)
        .join(JoinType::LeftJoin, requests::Relation::Organization.def())
        .column_as(users::Column::Name, "user_name")
        .column_as(organizations::Column::Name, "organization_name")
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

mod approval;
pub use approval::approve;

#[cfg(test)]
mod tests;
