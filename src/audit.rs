//! The audit trail: who did what to which thing, with the state before and after.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use crate::entities::logs;
use crate::error::CoreResult;
use crate::ids::new_id;

/// One audit entry. `actor_id` is `None` for the system itself (start-up, sync).
#[derive(Debug, Default)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<&'a str>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<&'a str>,
}

/// Writes `entry` on `db`, which may be a transaction so the entry commits with the change.
pub async fn record(db: &impl ConnectionTrait, entry: AuditEntry<'_>) -> CoreResult<()> {
    logs::ActiveModel {
        id: Set(new_id()),
        actor_id: Set(entry.actor_id.map(str::to_owned)),
        action: Set(entry.action.to_owned()),
        target_type: Set(entry.target_type.to_owned()),
        target_id: Set(entry.target_id.map(str::to_owned)),
        before: Set(entry.before),
        after: Set(entry.after),
        ip: Set(entry.ip.map(str::to_owned)),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}
