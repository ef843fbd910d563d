//! The one durable event outbox. A change that causes an event writes it here, in its own
//! transaction ([`emit`] takes the caller's connection or transaction), so an event is never
//! lost when a request or an instance fails, nor invented for a change that rolled back.
//!
//! Any instance's dispatcher (`dispatch`) fans each event out, in one transaction, into
//! in-app notifications (`notifications`) and email and webhook deliveries (`deliveries`),
//! which their workers send at least once, claiming rows under a lease.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use crate::entities::enums::EventType;
use crate::entities::outbox_events;
use crate::error::CoreResult;
use crate::ids::new_id;

pub mod alerts;
pub mod dispatch;
pub mod message;
pub(crate) mod payloads;

pub use dispatch::run_dispatcher;

/// An event to write: its type, the user it is about (if any) and its data (the webhook
/// body's `data`, camelCase).
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub event_type: EventType,
    pub subject_user_id: Option<String>,
    pub payload: Value,
}

impl NewEvent {
    pub fn new(event_type: EventType, subject_user_id: Option<&str>, payload: Value) -> Self {
        Self {
            event_type,
            subject_user_id: subject_user_id.map(str::to_owned),
            payload,
        }
    }
}

/// Writes `event` through `conn` — the transaction of the change that causes it — and returns
/// its id (the webhook's `webhook-id`).
pub async fn emit(conn: &impl ConnectionTrait, event: NewEvent) -> CoreResult<String> {
    let id = new_id();
    outbox_events::ActiveModel {
        id: Set(id.clone()),
        event_type: Set(event.event_type),
        payload: Set(event.payload),
        subject_user_id: Set(event.subject_user_id),
        created_at: Set(Utc::now()),
        dispatched_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod threshold_tests;
