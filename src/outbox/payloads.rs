//! Every event's payload, in one place: the webhook body's `data` and what the messages are
//! written from. camelCase; ids first, then the names a person reads (so a message needs no
//! lookup and a receiver no second call).
//!
//! | type | payload |
//! |---|---|
//! | `access_request.created` | `requestId, kind, userId, userEmail, userName, agentId, agentName, reason, requestedCalls` |
//! | `access_request.approved` | the same, and `licenseId` (the license granted or changed) |
//! | `access_request.rejected` | the same as created, and `reviewNote` |
//! | `license.granted` | `licenseId, userId, userEmail, userName, agentId, agentName, apiCallLimit, window, expiresAt, status, viaRequest` |
//! | `license.changed` | the same, and `change` (`changed`, `renewed`, `suspended`, `resumed`, `top_up`), `before`/`after` (the fields that changed) or `calls` (a top-up) |
//! | `license.revoked` | the license fields |
//! | `usage.threshold` | the license fields, and `threshold` (80, 90, 100), `windowStart`, `limit` (with live top-ups), `used` |
//! | `license.expiring` | the license fields (`expiresAt` within 7 days) |
//! | `agent.published` | `agentId, agentName, agentSlug, category` |
//! | `error.logged` | `errorId, severity, errorType, code, message` (at most 300 characters), `userId, agentId, agentName, requestId` |
//! | `run.finished` | `runId, status, userId, agentId, agentName, errorCode` |
//!
//! `viaRequest` is true when an approved access request caused the license event: the
//! approval's own notification tells the holder, so the license event reaches webhooks only.

use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{json, Map, Value};

use super::NewEvent;
use crate::entities::agent_access_requests as requests;
use crate::entities::enums::{EventType, ExecutionStatus};
use crate::entities::{
    agent_catalog, error_logs, module_executions as executions, user_agent_licenses as licenses,
    users,
};
use crate::error::CoreResult;

/// The longest error message an `error.logged` payload carries.
const MAX_MESSAGE_CHARS: usize = 300;

/// The email and name of `user_id`, and the name of `agent_id`, as far as they exist.
async fn names(
    conn: &impl ConnectionTrait,
    user_id: Option<&str>,
    agent_id: Option<&str>,
) -> CoreResult<(Option<users::Model>, Option<String>)> {
    let user = match user_id {
        Some(id) => crate::db::find_by_id::<users::Entity>(conn, id).await?,
        None => None,
    };
    let agent = match agent_id {
        Some(id) => crate::db::find_by_id::<agent_catalog::Entity>(conn, id)
            .await?
            .map(|agent| agent.name),
        None => None,
    };
    Ok((user, agent))
}

/// `fields` with `extra` added (a later key wins).
fn merged(mut fields: Map<String, Value>, extra: Value) -> Value {
    if let Value::Object(extra) = extra {
        fields.extend(extra);
    }
    Value::Object(fields)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// An access request event (`created`, `approved`, `rejected`) about `request`, with `extra`
/// (`licenseId`, `reviewNote`).
pub(crate) async fn access_request(
    conn: &impl ConnectionTrait,
    event_type: EventType,
    request: &requests::Model,
    extra: Value,
) -> CoreResult<NewEvent> {
    let (user, agent_name) = names(conn, Some(&request.user_id), Some(&request.agent_id)).await?;
    let fields = object(json!({
        "requestId": request.id,
        "kind": request.kind,
        "userId": request.user_id,
        "userEmail": user.as_ref().map(|u| &u.email),
        "userName": user.as_ref().map(|u| &u.name),
        "agentId": request.agent_id,
        "agentName": agent_name,
        "reason": request.request_reason,
        "requestedCalls": request.requested_calls,
    }));
    Ok(NewEvent::new(
        event_type,
        Some(&request.user_id),
        merged(fields, extra),
    ))
}

/// A license event (`license.*`, `usage.threshold`, `license.expiring`) about `license`, with
/// `extra`.
pub(crate) async fn license(
    conn: &impl ConnectionTrait,
    event_type: EventType,
    license: &licenses::Model,
    extra: Value,
) -> CoreResult<NewEvent> {
    let (user, agent_name) = names(conn, Some(&license.user_id), Some(&license.agent_id)).await?;
    let fields = object(json!({
        "licenseId": license.id,
        "userId": license.user_id,
        "userEmail": user.as_ref().map(|u| &u.email),
        "userName": user.as_ref().map(|u| &u.name),
        "agentId": license.agent_id,
        "agentName": agent_name,
        "apiCallLimit": license.api_call_limit,
        "window": license.quota_window,
        "expiresAt": license.expires_at,
        "status": license.status,
        "viaRequest": false,
    }));
    Ok(NewEvent::new(
        event_type,
        Some(&license.user_id),
        merged(fields, extra),
    ))
}

/// `agent.published` for `agent`.
pub(crate) fn agent_published(agent: &agent_catalog::Model) -> NewEvent {
    NewEvent::new(
        EventType::AgentPublished,
        None,
        json!({
            "agentId": agent.id,
            "agentName": agent.name,
            "agentSlug": agent.slug,
            "category": agent.category,
        }),
    )
}

/// `error.logged` for the row `error` (the caller emits it for high and critical ones only).
pub(crate) async fn error_logged(
    conn: &impl ConnectionTrait,
    error: &error_logs::Model,
) -> CoreResult<NewEvent> {
    let (_, agent_name) = names(conn, None, error.agent_id.as_deref()).await?;
    let message: String = error.message.chars().take(MAX_MESSAGE_CHARS).collect();
    Ok(NewEvent::new(
        EventType::ErrorLogged,
        None,
        json!({
            "errorId": error.id,
            "severity": error.severity,
            "errorType": error.error_type,
            "code": error.code,
            "message": message,
            "userId": error.user_id,
            "agentId": error.agent_id,
            "agentName": agent_name,
            "requestId": error.request_id,
        }),
    ))
}

/// `run.finished` for `run`, which has just reached `status`.
pub(crate) async fn run_finished(
    conn: &impl ConnectionTrait,
    run: &executions::Model,
    status: ExecutionStatus,
) -> CoreResult<NewEvent> {
    let agent_name = agent_catalog::Entity::find_by_id(run.agent_id.clone())
        .one(conn)
        .await?
        .map(|agent| agent.name);
    // The row read before the change: the final error code is on the row now.
    let error_code = executions::Entity::find_by_id(run.id.clone())
        .one(conn)
        .await?
        .and_then(|row| row.error_code);
    Ok(NewEvent::new(
        EventType::RunFinished,
        Some(&run.user_id),
        json!({
            "runId": run.id,
            "status": status,
            "userId": run.user_id,
            "agentId": run.agent_id,
            "agentName": agent_name,
            "errorCode": error_code,
        }),
    ))
}
