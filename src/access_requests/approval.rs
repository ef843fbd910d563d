//! Approving a request: what it gives (a license, a change of the license held, or an
//! organisation's subscription) is written in the transaction that marks it approved.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{audit_review, find_pending, get, mark_reviewed, Approval, APPROVED_TOP_UP_NOTE};
use crate::actor::Actor;
use crate::db::begin_write;
use crate::entities::agent_access_requests as requests;
use crate::entities::enums::{AccessRequestKind, AccessRequestStatus, EventType};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::licenses::{self, GrantLicense, LicenseChange, NewTopUp};
use crate::outbox::{self, payloads};
use crate::subscriptions::{self, NewSubscription};
use abetworks_types::views::ApprovedRequest;

/// Approves a pending request (super admin), in one transaction with what it gives: a request
/// for an organisation creates its subscription (`api_call_limit` required, `member_cap`
/// optional; 409 `already_subscribed` when it has one meanwhile); an
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
    if request.organization_id.is_none() && approval.member_cap.is_some() {
        return Err(CoreError::invalid(
            "memberCap",
            "only a request for an organisation can be approved with a member cap",
        ));
    }
    let given = match (&request.organization_id, request.kind) {
        (Some(organization_id), _) => {
            let pool = subscribe(&txn, actor, &request, organization_id, approval, now).await?;
            Given::Subscription(pool)
        }
        (None, AccessRequestKind::Access) => {
            Given::License(grant_access(&txn, actor, &request, approval).await?)
        }
        (None, AccessRequestKind::Increase) => {
            Given::License(increase(&txn, actor, &request, approval, now).await?)
        }
    };
    let extra = match &given {
        Given::License(id) => serde_json::json!({ "licenseId": id }),
        Given::Subscription(id) => serde_json::json!({
            "subscriptionId": id,
            "organizationId": request.organization_id,
        }),
    };
    let event =
        payloads::access_request(&txn, EventType::AccessRequestApproved, &request, extra).await?;
    outbox::emit(&txn, event).await?;
    audit_review(&txn, actor, "access_request.approve", &request).await?;
    txn.commit().await?;
    let (license, subscription) = match given {
        Given::License(id) => (Some(licenses::get_at(db, &id, now).await?), None),
        Given::Subscription(id) => (None, Some(subscriptions::view_at(db, &id, now).await?)),
    };
    Ok(ApprovedRequest {
        request: get(db, request_id).await?,
        license,
        subscription,
    })
}

/// What an approval gave: a license (granted or changed), or an organisation's subscription;
/// its id.
enum Given {
    License(String),
    Subscription(String),
}

/// The organisation's subscription an approved request for an organisation creates; its id.
async fn subscribe(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    request: &requests::Model,
    organization_id: &str,
    approval: Approval,
    now: DateTime<Utc>,
) -> CoreResult<String> {
    if approval.top_up_calls.is_some() {
        return Err(CoreError::invalid(
            "topUpCalls",
            "only a request for more calls can be approved with a top-up",
        ));
    }
    let api_call_limit = approval.api_call_limit.ok_or_else(|| {
        CoreError::invalid("apiCallLimit", "is required to subscribe an organisation")
    })?;
    let new = NewSubscription {
        organization_id: organization_id.to_owned(),
        agent_id: request.agent_id.clone(),
        api_call_limit,
        plan: approval.plan.unwrap_or_default(),
        member_cap: approval.member_cap,
        expires_at: approval.expires_at,
    };
    Ok(subscriptions::insert_subscription(conn, actor, &new, now)
        .await?
        .id)
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
