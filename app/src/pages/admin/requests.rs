//! Access requests: pending first; approve with a limit and expiry, reject with a note.

use leptos::prelude::*;

use super::common::*;
use super::list::{
    admin_resource, AgentFilter, ChoiceFilter, DateRangeFilter, ListText, PagedList,
};
use crate::api::admin::{admin_requests, AdminApproveRequest, AdminRejectRequest, RequestRow};
use crate::api::format_time;
use crate::components::dialog::Dialog;

const STATUSES: [(&str, &str); 4] = [
    ("", "Any status (pending first)"),
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
];

#[component]
pub fn RequestsTab() -> impl IntoView {
    let status = RwSignal::new(String::new());
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
            admin_requests(Some(status), Some(agent), Some(from), Some(to), Some(page))
        },
    );

    let current = RwSignal::new(None::<RequestRow>);
    let approve_open = RwSignal::new(false);
    let limit = RwSignal::new("100".to_owned());
    let unlimited = RwSignal::new(false);
    let expiry = RwSignal::new(String::new());
    let approve_problem = RwSignal::new(None::<String>);
    let reject_open = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let reject_problem = RwSignal::new(None::<String>);

    Effect::new(move |_| match approve.value().get() {
        Some(Ok(row)) => {
            approve_open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Approved: {} may now run {} ({} calls).",
                row.user_email,
                row.agent_name,
                limit_text(row.api_call_limit)
            ))));
        }
        Some(Err(e)) => approve_problem.set(Some(e.display_message())),
        None => {}
    });
    Effect::new(move |_| match reject.value().get() {
        Some(Ok(row)) => {
            reject_open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Rejected the request of {} for {}; they will see your note.",
                row.user_email, row.agent_name
            ))));
        }
        Some(Err(e)) => reject_problem.set(Some(e.display_message())),
        None => {}
    });

    let on_approve = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(row) = current.get_untracked() else {
            return;
        };
        match parse_limit(&limit.get_untracked(), unlimited.get_untracked()) {
            Err(m) => approve_problem.set(Some(m)),
            Ok(api_call_limit) => {
                approve_problem.set(None);
                approve.dispatch(AdminApproveRequest {
                    id: row.id,
                    api_call_limit,
                    expires_on: non_blank(expiry.get_untracked()),
                });
            }
        }
    };
    let on_reject = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(row) = current.get_untracked() else {
            return;
        };
        let text = note.get_untracked();
        if text.trim().is_empty() {
            reject_problem.set(Some(
                "Write a note: the user sees why the request was rejected.".to_owned(),
            ));
            return;
        }
        reject_problem.set(None);
        reject.dispatch(AdminRejectRequest {
            id: row.id,
            review_note: text,
        });
    };

    view! {
        <section class="panel" aria-labelledby="requests-heading" data-testid="requests-tab">
            <div class="panel-head"><h2 id="requests-heading">"Access requests"</h2></div>
            <div class="filters admin-filters">
                <ChoiceFilter id="requests-status" label="Status" choices=&STATUSES selected=status page/>
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
            }} table={move |items: Vec<RequestRow>| view! {
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
                        {items.into_iter().map(|row| {
                            let pending = row.status == "pending";
                            let (r1, r2) = (row.clone(), row.clone());
                            view! {
                                <tr data-testid="admin-request-row" data-user=row.user_email.clone() data-agent=row.agent_name.clone() data-status=row.status.clone()>
                                    <th scope="row" data-label="User">{row.user_email.clone()}<br/><span class="muted small">{row.user_name.clone()}</span></th>
                                    <td data-label="Agent">{row.agent_name.clone()}</td>
                                    <td data-label="Reason" class="wrap">{row.reason.clone()}</td>
                                    <td data-label="Requested"><time datetime=row.requested_at.clone()>{format_time(&row.requested_at)}</time></td>
                                    <td data-label="Status">
                                        <Badge word=row.status.clone()/>
                                        {row.review_note.clone().map(|n| view! { <br/><span class="muted small">{n}</span> })}
                                    </td>
                                    <td data-label="Actions" class="row-actions">
                                        {pending.then(|| view! {
                                            <button type="button" class="button button-small" data-testid="request-approve"
                                                aria-label=format!("Approve {} for {}", r1.user_email, r1.agent_name)
                                                on:click={
                                                    let r = r1.clone();
                                                    move |_| {
                                                        approve.clear();
                                                        approve_problem.set(None);
                                                        current.set(Some(r.clone()));
                                                        approve_open.set(true);
                                                    }
                                                }>"Approve"</button>
                                            <button type="button" class="button button-danger button-small" data-testid="request-reject"
                                                aria-label=format!("Reject {} for {}", r2.user_email, r2.agent_name)
                                                on:click={
                                                    let r = r2.clone();
                                                    move |_| {
                                                        reject.clear();
                                                        reject_problem.set(None);
                                                        note.set(String::new());
                                                        current.set(Some(r.clone()));
                                                        reject_open.set(true);
                                                    }
                                                }>"Reject"</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }}/>
        </section>

        <ClientOnly>
        <Dialog open=approve_open title="Approve the request" id="approve-dialog" test_id="approve-dialog">
            <form class="form" on:submit=on_approve>
                <p>{move || current.get().map(|r| format!("{} asks for {}: “{}”", r.user_email, r.agent_name, r.reason))}</p>
                <LimitField id="approve-limit" limit unlimited/>
                <div class="field">
                    <label for="approve-expiry">"Expires on (optional)"</label>
                    <input id="approve-expiry" type="date" data-testid="approve-expiry" bind:value=expiry/>
                </div>
                {move || approve_problem.get().map(|m| view! { <p class="error" role="alert" data-testid="dialog-error">{m}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| approve_open.set(false)>"Cancel"</button>
                    <button type="submit" class="button" data-testid="approve-submit" disabled=move || approve.pending().get()>"Approve and grant"</button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>

        <ClientOnly>
        <Dialog open=reject_open title="Reject the request?" id="reject-dialog" test_id="reject-dialog">
            <form class="form" novalidate on:submit=on_reject>
                <p>{move || current.get().map(|r| format!("{} asked for {}. They will see your note.", r.user_email, r.agent_name))}</p>
                <div class="field">
                    <label for="reject-note">"Review note"<span class="required" aria-hidden="true">" *"</span></label>
                    <textarea id="reject-note" data-testid="reject-note" aria-required="true" maxlength="1000" bind:value=note></textarea>
                </div>
                {move || reject_problem.get().map(|m| view! { <p class="error" role="alert" data-testid="dialog-error">{m}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| reject_open.set(false)>"Cancel"</button>
                    <button type="submit" class="button button-danger" data-testid="reject-submit" disabled=move || reject.pending().get()>"Reject request"</button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>
    }
}
