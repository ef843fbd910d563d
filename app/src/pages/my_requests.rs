//! `/my-requests`: the caller's access requests with their status and the reviewer's note.

use abetworks_types::enums::{AccessRequestKind, AccessRequestStatus};
use abetworks_types::views::AccessRequestView;
use leptos::prelude::*;

use crate::api::marketplace::my_requests;
use crate::components::badge::StatusWords;
use crate::components::feedback::{EmptyState, LoadedList};
use crate::components::page_intro::PageIntro;
use crate::components::table::{DataTable, Moment};

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    let requests = Resource::new(|| (), |_| my_requests());
    view! {
        <PageIntro title="My requests" heading="My requests"
            lead="Your requests for access to agents, and what the reviewers decided."/>
        <LoadedList resource=requests loading="Loading your requests…" empty=|| view! {
            <EmptyState title="No requests yet" test_id="requests-empty">
                <p>"Find an agent you need and ask for access."</p>
                <p><a class="button" href="/marketplace">"Browse the marketplace"</a></p>
            </EmptyState>
        } ready={|list: Vec<AccessRequestView>| view! {
            <DataTable class="data-table stack-on-mobile" test_id="requests-table"
                caption="Your access requests, newest first" columns=&["Agent", "Requested", "Status", "Reason", "Review note"]>
                <tbody>
                    {list.into_iter().map(|request| view! { <RequestRow request/> }).collect_view()}
                </tbody>
            </DataTable>
        }}/>
    }
}

/// One request; an approved one links to its agent's run page.
#[component]
fn RequestRow(request: AccessRequestView) -> impl IntoView {
    let licensed = request.status == AccessRequestStatus::Approved;
    let more = (request.kind == AccessRequestKind::Increase).then(|| {
        let wanted = request
            .requested_calls
            .map(|n| format!(": {n} calls"))
            .unwrap_or_default();
        view! { <br/><span class="muted small" data-testid="request-kind">{format!("More calls{wanted}")}</span> }
    });
    view! {
        <tr data-testid="request-row" data-agent=request.agent_name.clone() data-status=request.status.as_str()
            data-kind=request.kind.as_str()>
            <th scope="row" data-label="Agent">
                {if licensed {
                    view! { <a href=format!("/agents/{}/run", request.agent_id)>{request.agent_name.clone()}</a> }.into_any()
                } else {
                    request.agent_name.clone().into_any()
                }}
                {more}
            </th>
            <td data-label="Requested"><Moment at=request.requested_at/></td>
            <td data-label="Status"><StatusWords status=request.status test_id="request-status"/></td>
            <td data-label="Reason" class="wrap">{request.request_reason.clone()}</td>
            <td data-label="Review note" class="wrap">
                {request.review_note.clone().unwrap_or_else(|| "—".to_owned())}
            </td>
        </tr>
    }
}
