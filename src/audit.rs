//! The audit trail: who did what to which thing, with the state before and after.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;
use serde_json::Value;

use crate::actor::Actor;
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

impl<'a> AuditEntry<'a> {
    /// An entry of `action` on one `target_type` row, by no one yet (the system) and with no
    /// state: [`by`](Self::by) or [`by_user`](Self::by_user) say who, `before`/`after` what.
    pub fn of(action: &'a str, target_type: &'a str, target_id: &'a str) -> Self {
        Self {
            action,
            target_type,
            target_id: Some(target_id),
            ..Default::default()
        }
    }

    /// Done by `actor`, from the actor's address.
    pub fn by(self, actor: &'a Actor) -> Self {
        self.by_user(&actor.user_id, actor.ip())
    }

    /// Done by the user with `user_id` from `ip` (a user acting before there is an `Actor`,
    /// e.g. signing up or in).
    pub fn by_user(self, user_id: &'a str, ip: Option<&'a str>) -> Self {
        Self {
            actor_id: Some(user_id),
            ip,
            ..self
        }
    }

    /// The state before, as JSON (none for `None`).
    pub fn before(self, state: impl Serialize) -> Self {
        Self {
            before: as_state(state),
            ..self
        }
    }

    /// The state after, as JSON (none for `None`).
    pub fn after(self, state: impl Serialize) -> Self {
        Self {
            after: as_state(state),
            ..self
        }
    }

    /// Writes the entry: see [`record`].
    pub async fn record(self, db: &impl ConnectionTrait) -> CoreResult<()> {
        record(db, self).await
    }
}

fn as_state(state: impl Serialize) -> Option<Value> {
    serde_json::to_value(state).ok().filter(|v| !v.is_null())
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
