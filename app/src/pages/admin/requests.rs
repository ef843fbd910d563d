//! Access requests: pending first; approve with a limit and expiry, reject with a note.

use abetworks_types::enums::AccessRequestStatus;
use abetworks_types::views::AccessRequestView;
use leptos::prelude::*;

use super::common::{
    admin_resource, datetime_attr, limit_text, parse_limit, ClientOnly, DialogProblem, LimitField,
    Outcome, OutcomeNotice, StatusBadge,
};
use super::list::{
    filter_text, AgentFilter, DateRangeFilter, ListText, PagedList, VocabularyFilter,
};
use crate::api::admin::requests::{admin_requests, AdminApproveRequest, AdminRejectRequest};
use crate::api::format_time;
use crate::components::dialog::Dialog;

/// The limit an approval starts with.
const DEFAULT_LIMIT: &str = "100";

#[component]
pub fn RequestsTab() -> impl IntoView {
    let status = RwSignal::new(None::<AccessRequestStatus>);
    let agent = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let outcome = RwSignal::new(None::<Outcome>);
    let approve = ServerAction::<AdminApproveRequest>::new();
    let reject = ServerAction::<AdminRejectRequest>::new();

    let requests = admin_resource(
        move || {
            (
                status.get(),
                agent.get(),
                from.get(),
                to.get(),
                page.get(),
                approve.version().get() + reject.version().get(),
            )
        },
        |(status, agent, from, to, page, _)| {
            admin_requests(
                filter_text(status),
                Some(agent),
                Some(from),
                Some(to),
                Some(page),
            )
        },
    );

    let actions = RowActions {
        current: RwSignal::new(None),
        approve_open: RwSignal::new(false),
        reject_open: RwSignal::new(false),
    };

    view! {
        <section class="panel" aria-labelledby="requests-heading" data-testid="requests-tab">
            <div class="panel-head"><h2 id="requests-heading">"Access requests"</h2></div>
            <div class="filters admin-filters">
                <VocabularyFilter id="requests-status" label="Status" any="Any status (pending first)" selected=status page/>
                <AgentFilter id="requests-agent" selected=agent page/>
                <DateRangeFilter id="requests" from to page/>
            </div>
            <OutcomeNotice outcome/>
            <PagedList list=requests page text={ListText {
                loading: "Loading requests…",
                empty_title: "No requests match",
                empty_hint: "New requests from users appear here.",
                empty_test_id: "requests-empty",
                label: "Requests",
            }} table={move |items: Vec<AccessRequestView>| view! {
                <table class="data-table stack-on-mobile" data-testid="admin-requests-table">
                    <caption class="visually-hidden">"Access requests, pending first"</caption>
                    <thead><tr>
                        <th scope="col">"User"</th>
                        <th scope="col">"Agent"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Requested"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {items.into_iter().map(|request| view! { <RequestTableRow request actions/> }).collect_view()}
                    </tbody>
                </table>
            }}/>
        </section>

        <ApproveRequestDialog open=actions.approve_open request=actions.current action=approve outcome/>
        <RejectRequestDialog open=actions.reject_open request=actions.current action=reject outcome/>
    }
}

/// Which request a dialog is about, and the dialogs the row buttons open.
#[derive(Clone, Copy)]
struct RowActions {
    current: RwSignal<Option<AccessRequestView>>,
    approve_open: RwSignal<bool>,
    reject_open: RwSignal<bool>,
}

/// One request; a pending one can be approved or rejected.
#[component]
fn RequestTableRow(request: AccessRequestView, actions: RowActions) -> impl IntoView {
    let pending = matches!(request.status, AccessRequestStatus::Pending);
    let who = format!("{} for {}", request.user_email, request.agent_name);
    let buttons = pending.then(|| {
        let (to_approve, to_reject) = (request.clone(), request.clone());
        view! {
            <button type="button" class="button button-small" data-testid="request-approve"
                aria-label=format!("Approve {who}")
                on:click=move |_| {
                    actions.current.set(Some(to_approve.clone()));
                    actions.approve_open.set(true);
                }>"Approve"</button>
            <button type="button" class="button button-danger button-small" data-testid="request-reject"
                aria-label=format!("Reject {who}")
                on:click=move |_| {
                    actions.current.set(Some(to_reject.clone()));
                    actions.reject_open.set(true);
                }>"Reject"</button>
        }
    });
    view! {
        <tr data-testid="admin-request-row" data-user=request.user_email.clone() data-agent=request.agent_name.clone() data-status=request.status.as_str()>
            <th scope="row" data-label="User">{request.user_email.clone()}<br/><span class="muted small">{request.user_name.clone()}</span></th>
            <td data-label="Agent">{request.agent_name.clone()}</td>
            <td data-label="Reason" class="wrap">{request.request_reason.clone()}</td>
            <td data-label="Requested"><time datetime=datetime_attr(&request.requested_at)>{format_time(&request.requested_at)}</time></td>
            <td data-label="Status">
                <StatusBadge status=request.status/>
                {request.review_note.clone().map(|n| view! { <br/><span class="muted small">{n}</span> })}
            </td>
            <td data-label="Actions" class="row-actions">{buttons}</td>
        </tr>
    }
}

/// Approves `request` with a limit and an optional expiry, granting its license.
#[component]
fn ApproveRequestDialog(
    open: RwSignal<bool>,
    request: RwSignal<Option<AccessRequestView>>,
    action: ServerAction<AdminApproveRequest>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let limit = RwSignal::new(DEFAULT_LIMIT.to_owned());
    let unlimited = RwSignal::new(false);
    let expiry = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if open.get() {
            action.clear();
            problem.set(None);
        }
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(approved)) => {
            open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Approved: {} may now run {} ({} calls).",
                approved.license.user_email,
                approved.license.agent_name,
                limit_text(&approved.license)
            ))));
        }
        Some(Err(e)) => problem.set(Some(e.display_message())),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(r) = request.get_untracked() else {
            return;
        };
        match parse_limit(&limit.get_untracked(), unlimited.get_untracked()) {
            Err(message) => problem.set(Some(message)),
            Ok(api_call_limit) => {
                problem.set(None);
                action.dispatch(AdminApproveRequest {
                    id: r.id,
                    api_call_limit,
                    expires_on: Some(expiry.get_untracked()),
                });
            }
        }
    };
    view! {
        <ClientOnly>
        <Dialog open title="Approve the request" id="approve-dialog" test_id="approve-dialog">
            <form class="form" on:submit=on_submit>
                <p>{move || request.get().map(|r| format!("{} asks for {}: “{}”", r.user_email, r.agent_name, r.request_reason))}</p>
                <LimitField id="approve-limit" limit unlimited/>
                <div class="field">
                    <label for="approve-expiry">"Expires on (optional)"</label>
                    <input id="approve-expiry" type="date" data-testid="approve-expiry" bind:value=expiry/>
                </div>
                <DialogProblem problem/>
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button" data-testid="approve-submit" disabled=move || action.pending().get()>"Approve and grant"</button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>
    }
}

/// Rejects `request` with a note the user sees.
#[component]
fn RejectRequestDialog(
    open: RwSignal<bool>,
    request: RwSignal<Option<AccessRequestView>>,
    action: ServerAction<AdminRejectRequest>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let note = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if open.get() {
            action.clear();
            problem.set(None);
            note.set(String::new());
        }
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(rejected)) => {
            open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Rejected the request of {} for {}; they will see your note.",
                rejected.user_email, rejected.agent_name
            ))));
        }
        Some(Err(e)) => problem.set(Some(e.display_message())),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(r) = request.get_untracked() else {
            return;
        };
        let text = note.get_untracked();
        if text.trim().is_empty() {
            problem.set(Some(
                "Write a note: the user sees why the request was rejected.".to_owned(),
            ));
            return;
        }
        problem.set(None);
        action.dispatch(AdminRejectRequest {
            id: r.id,
            review_note: text,
        });
    };
    view! {
        <ClientOnly>
        <Dialog open title="Reject the request?" id="reject-dialog" test_id="reject-dialog">
            <form class="form" novalidate on:submit=on_submit>
                <p>{move || request.get().map(|r| format!("{} asked for {}. They will see your note.", r.user_email, r.agent_name))}</p>
                <div class="field">
                    <label for="reject-note">"Review note"<span class="required" aria-hidden="true">" *"</span></label>
                    <textarea id="reject-note" data-testid="reject-note" aria-required="true" maxlength="1000" bind:value=note></textarea>
                </div>
                <DialogProblem problem/>
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button button-danger" data-testid="reject-submit" disabled=move || action.pending().get()>"Reject request"</button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>
    }
}
