//! Access requests: pending first; approve with a limit and expiry, reject with a note.

use abetworks_types::enums::AccessRequestStatus;
use abetworks_types::views::{AccessRequestView, ApprovedRequest};
use abetworks_types::Page;
use leptos::prelude::*;

use super::common::{
    admin_resource, limit_text, LimitField, LimitInput, Outcome, OutcomeNotice, StatusBadge,
};
use super::dialogs::{DateField, DialogTarget, FormDialog, NoteField};
use super::list::{
    filter_text, AgentFilter, DateRangeFilter, ListText, PagedList, VocabularyFilter,
};
use crate::api::admin::requests::{admin_requests, AdminApproveRequest, AdminRejectRequest};
use crate::components::table::{DataTable, Moment};

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
        approving: DialogTarget::new(),
        rejecting: DialogTarget::new(),
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
            }} table={move |found: Page<AccessRequestView>| view! {
                <DataTable class="data-table stack-on-mobile" test_id="admin-requests-table"
                    caption="Access requests, pending first" columns=&["User", "Agent", "Reason", "Requested", "Status"] actions=true>
                    <tbody>
                        {found.items.into_iter().map(|request| view! { <RequestTableRow request actions/> }).collect_view()}
                    </tbody>
                </DataTable>
            }}/>
        </section>

        <ApproveRequestDialog target=actions.approving action=approve outcome/>
        <RejectRequestDialog target=actions.rejecting action=reject outcome/>
    }
}

/// The dialogs the row buttons open.
#[derive(Clone, Copy)]
struct RowActions {
    approving: DialogTarget<AccessRequestView>,
    rejecting: DialogTarget<AccessRequestView>,
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
                on:click=move |_| actions.approving.show(to_approve.clone())>"Approve"</button>
            <button type="button" class="button button-danger button-small" data-testid="request-reject"
                aria-label=format!("Reject {who}")
                on:click=move |_| actions.rejecting.show(to_reject.clone())>"Reject"</button>
        }
    });
    view! {
        <tr data-testid="admin-request-row" data-user=request.user_email.clone() data-agent=request.agent_name.clone() data-status=request.status.as_str()>
            <th scope="row" data-label="User">{request.user_email.clone()}<br/><span class="muted small">{request.user_name.clone()}</span></th>
            <td data-label="Agent">{request.agent_name.clone()}</td>
            <td data-label="Reason" class="wrap">{request.request_reason.clone()}</td>
            <td data-label="Requested"><Moment at=request.requested_at/></td>
            <td data-label="Status">
                <StatusBadge status=request.status/>
                {request.review_note.clone().map(|n| view! { <br/><span class="muted small">{n}</span> })}
            </td>
            <td data-label="Actions" class="row-actions">{buttons}</td>
        </tr>
    }
}

/// Approves the target request with a limit and an optional expiry, granting its license.
#[component]
fn ApproveRequestDialog(
    target: DialogTarget<AccessRequestView>,
    action: ServerAction<AdminApproveRequest>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let limit = LimitInput::new(DEFAULT_LIMIT);
    let expiry = RwSignal::new(String::new());
    let request = move |r: AccessRequestView| {
        Ok(AdminApproveRequest {
            id: r.id,
            api_call_limit: limit.read()?,
            expires_on: Some(expiry.get_untracked()),
        })
    };
    let done = |approved: ApprovedRequest| {
        let license = approved.license;
        format!(
            "Approved: {} may now run {} ({} calls).",
            license.user_email,
            license.agent_name,
            limit_text(&license)
        )
    };
    let asks = target.says(|r| {
        format!(
            "{} asks for {}: “{}”",
            r.user_email, r.agent_name, r.request_reason
        )
    });
    view! {
        <FormDialog target action outcome reset=|| {} request done
            title="Approve the request" id="approve-dialog" submit_id="approve-submit" submit_text="Approve and grant">
            <p>{asks}</p>
            <LimitField id="approve-limit" input=limit/>
            <DateField id="approve-expiry" label="Expires on (optional)" value=expiry/>
        </FormDialog>
    }
}

/// Rejects the target request with a note the user sees.
#[component]
fn RejectRequestDialog(
    target: DialogTarget<AccessRequestView>,
    action: ServerAction<AdminRejectRequest>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let note = RwSignal::new(String::new());
    let request = move |r: AccessRequestView| {
        let review_note = note.get_untracked();
        if review_note.trim().is_empty() {
            return Err("Write a note: the user sees why the request was rejected.".to_owned());
        }
        Ok(AdminRejectRequest {
            id: r.id,
            review_note,
        })
    };
    let done = |rejected: AccessRequestView| {
        format!(
            "Rejected the request of {} for {}; they will see your note.",
            rejected.user_email, rejected.agent_name
        )
    };
    let asked = target.says(|r| {
        format!(
            "{} asked for {}. They will see your note.",
            r.user_email, r.agent_name
        )
    });
    view! {
        <FormDialog target action outcome reset=move || note.set(String::new()) request done
            title="Reject the request?" id="reject-dialog" submit_id="reject-submit" submit_text="Reject request"
            danger=true novalidate=true>
            <p>{asked}</p>
            <NoteField id="reject-note" label="Review note" value=note required=true/>
        </FormDialog>
    }
}
