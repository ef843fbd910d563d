//! Executions: every run system-wide, filterable, with input, output and error on expand.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::common::*;
use crate::api::admin::{admin_executions, admin_pick_agents, ExecutionRow};
use crate::api::format_time;
use crate::components::feedback::{EmptyState, ErrorPanel, Loading};

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
    let executions = Resource::new(
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
    let agents = Resource::new(|| (), |_| admin_pick_agents(String::new()));

    view! {
        <section class="panel" aria-labelledby="executions-heading" data-testid="executions-tab">
            <div class="panel-head"><h2 id="executions-heading">"Executions"</h2></div>
            <div class="filters admin-filters">
                <Picker kind="users" id="exec-user" label="User" selected=user/>
                <div class="field">
                    <label for="exec-agent">"Agent"</label>
                    <select id="exec-agent" data-testid="executions-agent" on:change=move |ev| { agent.set(event_target_value(&ev)); page.set(1); }>
                        <option value="">"All agents"</option>
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let chosen = agent.get_untracked();
                                agents.await.unwrap_or_default().into_iter().map(|a| view! {
                                    <option selected=a.id == chosen value=a.id>{a.label}</option>
                                }).collect_view()
                            })}
                        </Suspense>
                    </select>
                </div>
                <div class="field">
                    <label for="exec-status">"Status"</label>
                    <select id="exec-status" data-testid="executions-status" on:change=move |ev| { status.set(event_target_value(&ev)); page.set(1); }>
                        <option value="">"Any status"</option>
                        <option value="succeeded">"Succeeded"</option>
                        <option value="failed">"Failed"</option>
                        <option value="running">"Running"</option>
                        <option value="pending">"Pending"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="exec-from">"From"</label>
                    <input id="exec-from" type="date" on:change=move |ev| { from.set(event_target_value(&ev)); page.set(1); }/>
                </div>
                <div class="field">
                    <label for="exec-to">"To"</label>
                    <input id="exec-to" type="date" on:change=move |ev| { to.set(event_target_value(&ev)); page.set(1); }/>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading executions…"/> }>
                {move || Suspend::new(async move {
                    match executions.await {
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        Ok(list) if list.items.is_empty() => view! {
                            <EmptyState title="No executions match" test_id="executions-empty">
                                <p>"Runs of any agent by any user appear here."</p>
                            </EmptyState>
                        }.into_any(),
                        Ok(list) => {
                            let (total, pages) = (list.total, list.pages());
                            view! {
                                <div class="table-wrap">
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
                                        {list.items.into_iter().map(|row| view! { <ExecutionRowView row/> }).collect_view()}
                                    </table>
                                </div>
                                <Pager page total pages label="Executions"/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
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
                    <button type="button" class="button button-secondary button-small" data-testid="execution-expand"
                        aria-expanded=move || open.get().to_string() aria-controls=details_id.clone()
                        on:click=move |_| open.update(|o| *o = !*o)>
                        <span aria-hidden="true">{move || if open.get() { "▾" } else { "▸" }}</span>
                        <span class="visually-hidden">{format!("Details of execution {}", row.id)}</span>
                    </button>
                </td>
                <td><time datetime=row.created_at.clone()>{format_time(&row.created_at)}</time></td>
                <td>{row.user_email.clone()}</td>
                <td>{row.agent_name.clone()}</td>
                <td><Badge word=row.status.clone()/></td>
                <td>{row.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "—".into())}</td>
            </tr>
            <tr id=format!("execution-details-{}", row.id) hidden=move || !open.get() class="details-row">
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
