//! The delivery worker of one instance: every `ABETWORKS_DELIVERY_POLL_MS` it claims the
//! deliveries that are due ([`claim_due`]), attempts each by its channel — a webhook through
//! [`crate::webhooks::deliver`], an email through `crate::email::deliver` — at most
//! [`MAX_IN_FLIGHT`] at once, and records each outcome while it still holds the delivery.
//! Aborting the worker (the instance stops) drops the attempts in flight; their leases end and
//! any instance sends them again.

use chrono::Utc;
use sea_orm::EntityTrait;
use tokio::task::JoinSet;

use super::{claim_due, record, Attempt, DeliverySettings, Recorded, CLAIM_BATCH};
use crate::entities::enums::{DeliveryChannel, WebhookStatus};
use crate::entities::{deliveries, outbox_events, webhook_endpoints};
use crate::error::CoreResult;
use crate::metric_names;
use crate::state::AppState;
use crate::webhooks::{self, Reach, WebhookClient};

/// Attempts one instance makes at once.
pub const MAX_IN_FLIGHT: usize = 16;

/// Runs this instance's delivery worker until its task is aborted.
pub async fn run_delivery_worker(state: AppState) {
    let client = match WebhookClient::new(Reach::of(&state.config)) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "the webhook client cannot be built: no deliveries are sent");
            return;
        }
    };
    let settings = DeliverySettings::of(&state);
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        let free = MAX_IN_FLIGHT.saturating_sub(in_flight.len()) as u64;
        let claimed = claim_due(&state.db, &settings, Utc::now(), free.min(CLAIM_BATCH))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "deliveries could not be claimed");
                Vec::new()
            });
        let idle = claimed.is_empty();
        for delivery in claimed {
            let (state, client, settings) = (state.clone(), client.clone(), settings.clone());
            in_flight.spawn(async move {
                attempt_and_record(&state, &client, &settings, delivery).await
            });
        }
        if idle {
            tokio::time::sleep(state.config.delivery_poll).await;
        }
    }
}

async fn attempt_and_record(
    state: &AppState,
    client: &WebhookClient,
    settings: &DeliverySettings,
    delivery: deliveries::Model,
) {
    // A database fault leaves the delivery claimed: once its lease ends it is tried again.
    let attempt = match attempt(state, client, &delivery).await {
        Ok(attempt) => attempt,
        Err(e) => {
            tracing::warn!(delivery = %delivery.id, error = %e, "a delivery could not be attempted");
            return;
        }
    };
    match record(&state.db, settings, &delivery, &attempt, Utc::now()).await {
        Ok(recorded) => count(delivery.channel, recorded, &delivery, &attempt),
        Err(e) => {
            tracing::warn!(delivery = %delivery.id, error = %e, "a delivery's outcome could not be recorded");
        }
    }
}

/// One attempt at `delivery` by its channel.
async fn attempt(
    state: &AppState,
    client: &WebhookClient,
    delivery: &deliveries::Model,
) -> CoreResult<Attempt> {
    let event = outbox_events::Entity::find_by_id(delivery.event_id.clone())
        .one(&state.db)
        .await?;
    let Some(event) = event else {
        return Ok(hopeless("the event no longer exists"));
    };
    Ok(match delivery.channel {
        DeliveryChannel::Webhook => {
            let endpoint = match &delivery.endpoint_id {
                Some(id) => {
                    webhook_endpoints::Entity::find_by_id(id.clone())
                        .one(&state.db)
                        .await?
                }
                None => None,
            };
            match endpoint {
                None => hopeless("the endpoint no longer exists"),
                Some(e) if e.status == WebhookStatus::Disabled => {
                    hopeless("the endpoint is disabled")
                }
                Some(endpoint) => webhooks::deliver(client, &endpoint, &event).await,
            }
        }
        DeliveryChannel::Email => crate::email::deliver(state, delivery, &event).await,
    })
}

/// A failure that trying again cannot mend.
fn hopeless(error: &str) -> Attempt {
    Attempt::Failed {
        status_code: None,
        latency_ms: 0,
        error: error.to_owned(),
        retry: false,
    }
}

fn count(
    channel: DeliveryChannel,
    recorded: Recorded,
    delivery: &deliveries::Model,
    attempt: &Attempt,
) {
    let outcome = match recorded {
        Recorded::Delivered => metric_names::DELIVERED,
        Recorded::Retrying(_) => metric_names::RETRYING,
        Recorded::GaveUp => metric_names::GAVE_UP,
        Recorded::NotHeld => return,
    };
    metrics::counter!(metric_names::DELIVERIES, "channel" => channel.as_str(), "outcome" => outcome)
        .increment(1);
    if let (Recorded::GaveUp, Attempt::Failed { error, .. }) = (recorded, attempt) {
        tracing::warn!(delivery = %delivery.id, channel = channel.as_str(), %error, "a delivery was given up");
    }
}
