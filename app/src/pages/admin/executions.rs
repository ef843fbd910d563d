//! Executions: every run system-wide, filterable, with input, output and error on expand.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::common::*;
use super::list::{
    admin_resource, AgentFilter, ChoiceFilter, DateRangeFilter, ExpandButton, ListText, PagedList,
};
use crate::api::admin::{admin_executions, ExecutionRow};
use crate::api::format_time;

const STATUSES: [(&str, &str); 5] = [
    ("", "Any status"),
    ("succeeded", "Succeeded"),
    ("failed", "Failed"),
    ("running", "Running"),
    ("pending", "Pending"),
];

#[component]
pub fn ExecutionsTab() -> impl IntoView {
    let query = use_query_map();
    // `?user=<id>&agent=<id>` comes from the licenses tab's "Usage" link.
    let user = RwSignal::new(query.read_untracked().get("user").unwrap_or_default());
    let agent = RwSignal::new(query.read_untracked().get("agent").unwrap_or_default());
    let status = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let executions = admin_resource(
        move || {
            (
                user.get(),
                agent.get(),
                status.get(),
                from.get(),
                to.get(),
                page.get(),
            )
        },
        |(user, agent, status, from, to, page)| {
            admin_executions(
                Some(user),
                Some(agent),
                Some(status),
                Some(from),
                Some(to),
                Some(page),
            )
        },
    );

    view! {
        <section class="panel" aria-labelledby="executions-heading" data-testid="executions-tab">
            <div class="panel-head"><h2 id="executions-heading">"Executions"</h2></div>
            <div class="filters admin-filters">
                <Picker kind="users" id="exec-user" label="User" selected=user/>
                <AgentFilter id="executions-agent" selected=agent page/>
                <ChoiceFilter id="executions-status" label="Status" choices=&STATUSES selected=status page/>
                <DateRangeFilter id="executions" from to page/>
            </div>
            <PagedList list=executions page text={ListText {
                loading: "Loading executions…",
                empty_title: "No executions match",
                empty_hint: "Runs of any agent by any user appear here.",
                empty_test_id: "executions-empty",
                label: "Executions",
            }} table={move |items: Vec<ExecutionRow>| view! {
                <table class="data-table" data-testid="executions-table">
                    <caption class="visually-hidden">"Executions, newest first"</caption>
                    <thead><tr>
                        <th scope="col"><span class="visually-hidden">"Details"</span></th>
                        <th scope="col">"When"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"Agent"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Duration"</th>
                    </tr></thead>
                    {items.into_iter().map(|row| view! { <ExecutionRowView row/> }).collect_view()}
                </table>
            }}/>
        </section>
    }
}

#[component]
fn ExecutionRowView(row: ExecutionRow) -> impl IntoView {
    let open = RwSignal::new(false);
    let details_id = format!("execution-details-{}", row.id);
    view! {
        <tbody data-testid="execution-row" data-status=row.status.clone()>
            <tr>
                <td>
                    <ExpandButton expanded=open on_toggle=move || open.update(|o| *o = !*o)
                        controls=details_id.clone() label=format!("Details of execution {}", row.id) test_id="execution-expand"/>
                </td>
                <td><time datetime=row.created_at.clone()>{format_time(&row.created_at)}</time></td>
                <td>{row.user_email.clone()}</td>
                <td>{row.agent_name.clone()}</td>
                <td><Badge word=row.status.clone()/></td>
                <td>{row.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "—".into())}</td>
            </tr>
            <tr id=details_id hidden=move || !open.get() class="details-row">
                <td colspan="6">
                    <h3 class="small">"Input"</h3>
                    <pre class="code-block" tabindex="0">{row.input.clone()}</pre>
                    {row.output.clone().map(|o| view! { <h3 class="small">"Output"</h3><pre class="code-block" tabindex="0">{o}</pre> })}
                    {row.error_message.clone().map(|m| view! {
                        <h3 class="small">"Error"</h3>
                        <p class="error"><code>{row.error_code.clone().unwrap_or_default()}</code>" "{m}</p>
                    })}
                </td>
            </tr>
        </tbody>
    }
}
