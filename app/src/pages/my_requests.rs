//! `/my-requests`: the caller's access requests with their status and the reviewer's note.

use abetworks_types::enums::AccessRequestStatus;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::marketplace::my_requests;
use crate::api::{format_time, iso_time};
use crate::components::feedback::{EmptyState, ErrorPanel, Loading};

fn status_badge(status: AccessRequestStatus) -> (&'static str, &'static str) {
    match status {
        AccessRequestStatus::Pending => ("badge badge-warn", "Pending"),
        AccessRequestStatus::Approved => ("badge badge-ok", "Approved"),
        AccessRequestStatus::Rejected => ("badge badge-danger", "Rejected"),
    }
}

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    let requests = Resource::new(|| (), |_| my_requests());
    view! {
        <Title text="My requests — Abetworks"/>
        <section class="page-intro">
            <h1>"My requests"</h1>
            <p class="muted">"Your requests for access to agents, and what the reviewers decided."</p>
        </section>
        <Transition fallback=|| view! { <Loading label="Loading your requests…"/> }>
            {move || Suspend::new(async move {
                match requests.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No requests yet" test_id="requests-empty">
                            <p>"Find an agent you need and ask for access."</p>
                            <p><a class="button" href="/marketplace">"Browse the marketplace"</a></p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="data-table stack-on-mobile" data-testid="requests-table">
                                <caption class="visually-hidden">"Your access requests, newest first"</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Agent"</th>
                                        <th scope="col">"Requested"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Reason"</th>
                                        <th scope="col">"Review note"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let (class, label) = status_badge(r.status);
                                        let licensed = r.status == AccessRequestStatus::Approved;
                                        view! {
                                            <tr data-testid="request-row" data-agent=r.agent_name.clone() data-status=r.status.as_str()>
                                                <th scope="row" data-label="Agent">
                                                    {if licensed {
                                                        view! { <a href=format!("/agents/{}/run", r.agent_id)>{r.agent_name.clone()}</a> }.into_any()
                                                    } else {
                                                        r.agent_name.clone().into_any()
                                                    }}
                                                </th>
                                                <td data-label="Requested">
                                                    <time datetime=iso_time(&r.requested_at)>{format_time(&r.requested_at)}</time>
                                                </td>
                                                <td data-label="Status"><span class=class data-testid="request-status">{label}</span></td>
                                                <td data-label="Reason" class="wrap">{r.request_reason.clone()}</td>
                                                <td data-label="Review note" class="wrap">
                                                    {r.review_note.clone().unwrap_or_else(|| "—".to_owned())}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
