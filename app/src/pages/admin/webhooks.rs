//! Webhook endpoints: the list with each one's status; register one (URL, events,
//! description; its signing secret is shown once); edit, disable or enable, delete with
//! confirmation; and per endpoint its delivery log (`webhook_deliveries.rs`).

use abetworks_types::enums::{EventType, WebhookStatus};
use abetworks_types::views::{WebhookCreated, WebhookEndpointView};
use abetworks_types::Vocabulary;
use leptos::prelude::*;

use super::common::{report_outcome, Badge, StatusBadge};
use super::dialogs::{ConfirmDialog, DialogButton, DialogTarget, FormDialog};
use super::list::{ListState, ListText, PagedTable};
use super::webhook_deliveries::Deliveries;
use crate::api::admin::webhooks::{
    admin_webhooks, AdminCreateWebhook, AdminDeleteWebhook, AdminUpdateWebhook,
};
use crate::components::badge::Tone;
use crate::components::copy_button::CopyButton;
use crate::components::table::Moment;

#[component]
pub fn WebhooksTab() -> impl IntoView {
    let list = ListState::new();
    let create = list.action::<AdminCreateWebhook>();
    let update = list.action::<AdminUpdateWebhook>();
    let delete = list.action::<AdminDeleteWebhook>();
    let endpoints = list.rows(move |page| admin_webhooks(Some(page)));
    let actions = RowActions {
        editing: DialogTarget::new(),
        deleting: DialogTarget::new(),
        update,
        log: RwSignal::new(None),
    };
    let creating = DialogTarget::<()>::new();
    // The secret of the endpoint just registered: kept only here, never reloaded.
    let created = RwSignal::new(None::<WebhookCreated>);
    report_outcome(
        delete,
        list.outcome,
        move || actions.deleting.open.set(false),
        |()| "Deleted the endpoint and its delivery log.".to_owned(),
    );
    Effect::new(move |_| {
        if let Some(Ok(endpoint)) = update.value().get() {
            if actions
                .log
                .with_untracked(|l| l.as_ref().map(|e: &WebhookEndpointView| e.id.clone()))
                == Some(endpoint.id.clone())
            {
                actions.log.set(Some(endpoint));
            }
        }
    });

    view! {
        <section class="panel" aria-labelledby="webhooks-heading" data-testid="webhooks-tab">
            <div class="panel-head">
                <h2 id="webhooks-heading">"Webhooks"</h2>
                <button type="button" class="button" data-testid="webhook-create" on:click=move |_| creating.show(())>
                    "Add endpoint"
                </button>
            </div>
            <p class="muted">
                "Each event is POSTed as JSON, signed per Standard Webhooks (" <code>"webhook-id"</code> ", "
                <code>"webhook-timestamp"</code> ", " <code>"webhook-signature"</code>
                "). Failed deliveries are retried with backoff for a day; then the endpoint is marked failing."
            </p>
            {move || created.get().map(|c| view! { <SecretNotice created=c on_dismiss=move || created.set(None)/> })}
            <PagedTable rows=endpoints state=list text={ListText {
                loading: "Loading webhook endpoints…",
                empty_title: "No webhook endpoints",
                empty_hint: "Add an endpoint to have events POSTed to your own systems.",
                empty_test_id: "webhooks-empty",
                label: "Webhook endpoints",
            }} class="data-table stack-on-mobile" test_id="webhooks-table" caption="Webhook endpoints, newest first"
                columns=&["Endpoint", "Events", "Status", "Created"] actions=true
                row=move |endpoint: WebhookEndpointView| view! { <EndpointRow endpoint actions/> }/>
        </section>

        {move || actions.log.get().map(|endpoint| view! {
            <Deliveries endpoint on_close=move || actions.log.set(None)/>
        })}

        <EndpointDialog target=creating action=create outcome=list.outcome
            title="Add a webhook endpoint" id="webhook-create-dialog" submit_id="webhook-create-submit" submit_text="Add endpoint"
            fill=|_: &()| (String::new(), Vec::new(), String::new())
            request=|(), url, events, description| Ok(AdminCreateWebhook { url, events, description })
            done=move |c: WebhookCreated| {
                let text = format!("Added the endpoint {}.", c.endpoint.url);
                created.set(Some(c));
                text
            }/>

        <EndpointDialog target=actions.editing action=update outcome=list.outcome
            title="Edit the webhook endpoint" id="webhook-edit-dialog" submit_id="webhook-edit-submit" submit_text="Save"
            fill=|e: &WebhookEndpointView| (e.url.clone(), e.events.clone(), e.description.clone())
            request=|e: WebhookEndpointView, url, events, description| Ok(AdminUpdateWebhook {
                id: e.id, url: Some(url), events: Some(events), description: Some(description), status: None,
            })
            done=|e: WebhookEndpointView| format!("Saved the endpoint {}.", e.url)/>

        <ConfirmDialog target=actions.deleting title="Delete this endpoint?" id="webhook-delete-dialog" stem="webhook-delete"
            describe=|e: &WebhookEndpointView| format!("{} will receive nothing more, and its delivery log is deleted. This cannot be undone.", e.url)
            keep="Keep it" confirm="Delete endpoint" pending=delete.pending()
            on_confirm=move |e: WebhookEndpointView| { delete.dispatch(AdminDeleteWebhook { id: e.id }); }/>
    }
}

/// What a row's buttons open or do.
#[derive(Clone, Copy)]
struct RowActions {
    editing: DialogTarget<WebhookEndpointView>,
    deleting: DialogTarget<WebhookEndpointView>,
    update: ServerAction<AdminUpdateWebhook>,
    /// The endpoint whose delivery log is shown.
    log: RwSignal<Option<WebhookEndpointView>>,
}

/// One endpoint: its URL and description, events, status; its log, edit, disable or enable,
/// delete.
#[component]
fn EndpointRow(endpoint: WebhookEndpointView, actions: RowActions) -> impl IntoView {
    let disabled = endpoint.status == WebhookStatus::Disabled;
    let (toggle_text, next_status) = if disabled {
        ("Enable", WebhookStatus::Active)
    } else {
        ("Disable", WebhookStatus::Disabled)
    };
    let toggle = {
        let id = endpoint.id.clone();
        move |_| {
            actions.update.dispatch(AdminUpdateWebhook {
                id: id.clone(),
                url: None,
                events: None,
                description: None,
                status: Some(next_status),
            });
        }
    };
    let events = endpoint
        .events
        .iter()
        .map(|e| view! { <li><code>{e.as_str()}</code></li> })
        .collect_view();
    let failing_since = endpoint
        .failing_since
        .map(|at| view! { <br/><span class="muted small">"failing since " <Moment at/></span> });
    let shown = endpoint.clone();
    let url = endpoint.url.clone();
    view! {
        <tr data-testid="webhook-row" data-url=endpoint.url.clone() data-status=endpoint.status.as_str()>
            <th scope="row" data-label="Endpoint" class="wrap">
                <code>{endpoint.url.clone()}</code>
                {(!endpoint.description.is_empty()).then(|| view! { <br/><span class="muted small">{endpoint.description.clone()}</span> })}
            </th>
            <td data-label="Events"><ul class="plain-list">{events}</ul></td>
            <td data-label="Status"><StatusBadge status=endpoint.status/>{failing_since}</td>
            <td data-label="Created"><Moment at=endpoint.created_at/></td>
            <td data-label="Actions" class="row-actions">
                <button type="button" class="button button-secondary button-small" data-testid="webhook-deliveries"
                    aria-label=format!("Deliveries to {url}") on:click=move |_| actions.log.set(Some(shown.clone()))>"Deliveries"</button>
                <DialogButton opens=actions.editing about=endpoint.clone() text="Edit" secondary=true
                    label=format!("Edit {}", endpoint.url) test_id="webhook-edit"/>
                <button type="button" class="button button-secondary button-small" data-testid="webhook-toggle"
                    aria-label=format!("{toggle_text} {}", endpoint.url) disabled=move || actions.update.pending().get()
                    on:click=toggle>{toggle_text}</button>
                <DialogButton opens=actions.deleting about=endpoint.clone() text="Delete" danger=true
                    label=format!("Delete {}", endpoint.url) test_id="webhook-delete"/>
            </td>
        </tr>
    }
}

/// The form of an endpoint, to add or edit one: URL, events (at least one), description.
/// `fill` gives the fields' first values from the target's subject; `request` makes the action.
#[component]
fn EndpointDialog<S, T>(
    target: DialogTarget<T>,
    action: ServerAction<S>,
    outcome: RwSignal<Option<super::common::Outcome>>,
    title: &'static str,
    id: &'static str,
    submit_id: &'static str,
    submit_text: &'static str,
    fill: fn(&T) -> (String, Vec<EventType>, String),
    request: fn(T, String, Vec<EventType>, String) -> Result<S, String>,
    done: impl Fn(S::Output) -> String + 'static,
) -> impl IntoView
where
    S: super::common::AdminAction,
    T: Clone + Send + Sync + 'static,
{
    let url = RwSignal::new(String::new());
    let events = RwSignal::new(Vec::<EventType>::new());
    let description = RwSignal::new(String::new());
    let subject = target.subject;
    let reset = move || {
        if let Some(s) = subject.get_untracked() {
            let (u, e, d) = fill(&s);
            url.set(u);
            events.set(e);
            description.set(d);
        }
    };
    let make = move |s: T| {
        let chosen = events.get_untracked();
        if chosen.is_empty() {
            return Err("Choose at least one event.".to_owned());
        }
        if url.get_untracked().trim().is_empty() {
            return Err("Enter the endpoint's URL.".to_owned());
        }
        request(s, url.get_untracked(), chosen, description.get_untracked())
    };
    let field = move |name: &str| format!("{id}-{name}");
    view! {
        <FormDialog target action outcome reset request=make done title id submit_id submit_text novalidate=true>
            <div class="field">
                <label for=field("url")>"URL" <span class="required" aria-hidden="true">" *"</span></label>
                <input id=field("url") type="url" required autofocus placeholder="https://example.com/hooks/abetworks"
                    data-testid="webhook-url" aria-describedby=field("url-hint") bind:value=url/>
                <p class="hint" id=field("url-hint")>"Loopback and private addresses are refused unless the server allows them."</p>
            </div>
            <fieldset class="checkbox-list">
                <legend>"Events" <span class="required" aria-hidden="true">" *"</span></legend>
                {EventType::all().iter().map(|kind| {
                    let kind = *kind;
                    let box_id = format!("{id}-event-{}", kind.as_str().replace('.', "-"));
                    let checked = move || events.with(|e| e.contains(&kind));
                    let toggle = move |ev| {
                        let on = event_target_checked(&ev);
                        events.update(|e| {
                            e.retain(|k| *k != kind);
                            if on {
                                e.push(kind);
                            }
                        });
                    };
                    view! {
                        <div class="checkbox-field">
                            <input type="checkbox" id=box_id.clone() data-testid=format!("webhook-event-{}", kind.as_str())
                                prop:checked=checked on:change=toggle/>
                            <label for=box_id>{kind.label()} " " <code class="muted small">{kind.as_str()}</code></label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <div class="field">
                <label for=field("description")>"Description"</label>
                <input id=field("description") type="text" maxlength="200" data-testid="webhook-description" bind:value=description/>
            </div>
        </FormDialog>
    }
}

/// The secret of the endpoint just registered, shown this once with a copy button.
#[component]
fn SecretNotice(
    created: WebhookCreated,
    on_dismiss: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let secret = created.secret.clone();
    view! {
        <div class="notice notice-ok" role="status" data-testid="webhook-secret">
            <h3>{format!("Signing secret of {}", created.endpoint.url)}</h3>
            <p>
                <Badge label="shown once" tone=Tone::Warn/>
                " "<strong>"Copy it now: it will not be shown again."</strong>
                " Your receiver verifies each delivery's signature with it."
            </p>
            <div class="key-reveal">
                <label for="webhook-secret-text" class="visually-hidden">"Signing secret"</label>
                <input id="webhook-secret-text" class="code" type="text" readonly value=secret.clone() data-testid="webhook-secret-text"/>
                <CopyButton text=secret label="Copy secret" test_id="copy-webhook-secret"/>
            </div>
            <button type="button" class="button button-secondary button-small" data-testid="dismiss-webhook-secret" on:click=move |_| on_dismiss()>
                "I have saved it"
            </button>
        </div>
    }
}
