//! One webhook endpoint's delivery log: each delivery's status, attempts, last response code,
//! latency and next attempt, newest first, with a manual redeliver.

use abetworks_types::enums::DeliveryStatus;
use abetworks_types::views::{DeliveryView, WebhookEndpointView};
use leptos::prelude::*;

use super::common::{report_outcome, StatusBadge};
use super::list::{ListState, ListText, PagedTable};
use crate::api::admin::webhooks::{admin_webhook_deliveries, AdminRedeliver};
use crate::components::table::Moment;

/// How often the log refreshes while open: retries are due on their own.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

#[component]
pub fn Deliveries(
    endpoint: WebhookEndpointView,
    on_close: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let list = ListState::new();
    let redeliver = list.action::<AdminRedeliver>();
    let tick = RwSignal::new(0usize);
    list.reload_on(tick);
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(move || tick.update(|t| *t = t.wrapping_add(1)), REFRESH)
        {
            on_cleanup(move || handle.clear());
        }
    });
    report_outcome(
        redeliver,
        list.outcome,
        || (),
        |d: DeliveryView| format!("Delivery {} is due again now.", d.id),
    );
    let endpoint_id = endpoint.id.clone();
    let rows = list.rows(move |page| admin_webhook_deliveries(endpoint_id.clone(), Some(page)));
    let id = StoredValue::new(endpoint.id.clone());
    view! {
        <section class="panel" aria-labelledby="deliveries-heading" data-testid="webhook-deliveries-log">
            <div class="panel-head">
                <h2 id="deliveries-heading">"Deliveries to " <code>{endpoint.url.clone()}</code></h2>
                <button type="button" class="button button-secondary button-small" data-testid="deliveries-close"
                    on:click=move |_| on_close()>"Close"</button>
            </div>
            <PagedTable rows state=list text={ListText {
                loading: "Loading deliveries…",
                empty_title: "No deliveries yet",
                empty_hint: "Events of the types this endpoint wants are delivered here as they happen.",
                empty_test_id: "deliveries-empty",
                label: "Deliveries",
            }} class="data-table stack-on-mobile" test_id="deliveries-table" caption="Deliveries, newest first"
                columns=&["Created", "Event", "Status", "Attempts", "Response", "Latency", "Next attempt"] actions=true
                row=move |delivery: DeliveryView| {
                    let endpoint_id = id.get_value();
                    view! { <DeliveryRow delivery on_redeliver=move |delivery_id| {
                        redeliver.dispatch(AdminRedeliver { id: endpoint_id.clone(), delivery_id });
                    } pending=redeliver.pending()/> }
                }/>
        </section>
    }
}

#[component]
fn DeliveryRow(
    delivery: DeliveryView,
    on_redeliver: impl Fn(String) + Send + Sync + 'static,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    let dash = || "—".to_owned();
    let response = delivery
        .last_status_code
        .map(|c| c.to_string())
        .unwrap_or_else(dash);
    let latency = delivery
        .last_latency_ms
        .map(|ms| format!("{ms} ms"))
        .unwrap_or_else(dash);
    let next = match (delivery.status, delivery.next_attempt_at) {
        (DeliveryStatus::Pending, Some(at)) => view! { <Moment at/> }.into_any(),
        _ => dash().into_any(),
    };
    let error = delivery
        .last_error
        .clone()
        .map(|e| view! { <br/><span class="muted small wrap">{e}</span> });
    let delivery_id = delivery.id.clone();
    view! {
        <tr data-testid="delivery-row" data-status=delivery.status.as_str()>
            <td data-label="Created"><Moment at=delivery.created_at/></td>
            <td data-label="Event"><code>{delivery.event_type.as_str()}</code><br/><span class="muted small">{delivery.event_id.clone()}</span></td>
            <td data-label="Status"><StatusBadge status=delivery.status/>{error}</td>
            <td data-label="Attempts">{delivery.attempts}</td>
            <td data-label="Response">{response}</td>
            <td data-label="Latency">{latency}</td>
            <td data-label="Next attempt">{next}</td>
            <td data-label="Actions" class="row-actions">
                <button type="button" class="button button-secondary button-small" data-testid="delivery-redeliver"
                    aria-label=format!("Redeliver event {}", delivery.event_id) disabled=move || pending.get()
                    on:click=move |_| on_redeliver(delivery_id.clone())>"Redeliver"</button>
            </td>
        </tr>
    }
}
