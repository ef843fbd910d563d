//! Error logs: stat cards, filters, expandable rows, resolve with a note; polled every 10 s.

use leptos::prelude::*;

use super::common::*;
use super::list::{
    admin_resource, ChoiceFilter, DateRangeFilter, ExpandButton, ListText, PagedList,
};
use crate::api::admin::{admin_error_stats, admin_errors, AdminResolveError, ErrorRow};
use crate::api::format_time;
use crate::components::dialog::Dialog;
use crate::components::feedback::{ErrorPanel, Loading};

const SEVERITIES: [(&str, &str); 5] = [
    ("", "Any severity"),
    ("critical", "Critical"),
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
];

const KINDS: [(&str, &str); 11] = [
    ("", "Any type"),
    ("database_unavailable", "database unavailable"),
    ("panic", "panic"),
    ("internal", "internal"),
    ("agent_unauthorized", "agent unauthorized"),
    ("agent_failed", "agent failed"),
    ("agent_unavailable", "agent unavailable"),
    ("agent_malformed_response", "agent malformed response"),
    ("agent_unknown", "agent unknown"),
    ("agent_timeout", "agent timeout"),
    ("agent_rejected_input", "agent rejected input"),
];

const RESOLVED: [(&str, &str); 3] = [("", "Either"), ("no", "Unresolved"), ("yes", "Resolved")];

#[component]
pub fn ErrorsTab() -> impl IntoView {
    let severity = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let resolved = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let tick = RwSignal::new(0u32);
    let outcome = RwSignal::new(None::<Outcome>);
    let resolve = ServerAction::<AdminResolveError>::new();
    // Which rows are expanded lives here, not in the rows: the 10 s refresh rebuilds the rows
    // and must not fold up the one the admin is reading.
    let expanded = RwSignal::new(std::collections::HashSet::<String>::new());

    // New errors appear without a reload: the list and the stats refresh every 10 seconds.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || tick.update(|t| *t = t.wrapping_add(1)),
            std::time::Duration::from_secs(10),
        ) {
            on_cleanup(move || handle.clear());
        }
    });

    let errors = admin_resource(
        move || {
            (
                severity.get(),
                kind.get(),
                from.get(),
                to.get(),
                resolved.get(),
                page.get(),
                tick.get() as usize + resolve.version().get(),
            )
        },
        |(severity, kind, from, to, resolved, page, _)| {
            admin_errors(
                Some(severity),
                Some(kind),
                Some(from),
                Some(to),
                Some(resolved),
                Some(page),
            )
        },
    );
    let stats = admin_resource(
        move || tick.get() as usize + resolve.version().get(),
        |_| admin_error_stats(),
    );

    let current = RwSignal::new(None::<ErrorRow>);
    let resolve_open = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| match resolve.value().get() {
        Some(Ok(row)) => {
            resolve_open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Marked the error {} ({}) resolved.",
                row.code, row.id
            ))));
        }
        Some(Err(e)) => problem.set(Some(e.display_message())),
        None => {}
    });
    let on_resolve = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(row) = current.get_untracked() else {
            return;
        };
        resolve.dispatch(AdminResolveError {
            id: row.id,
            note: non_blank(note.get_untracked()),
        });
    };

    view! {
        <section class="panel" aria-labelledby="errors-heading" data-testid="errors-tab">
            <div class="panel-head"><h2 id="errors-heading">"Error logs"</h2></div>
            <Transition fallback=|| view! { <Loading label="Loading error statistics…"/> }>
                {move || Suspend::new(async move {
                    match stats.await {
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        Ok(s) => {
                            let count = |name: &str| s.by_severity.iter().find(|(k, _)| k == name).map(|(_, c)| *c).unwrap_or(0);
                            view! {
                                <ul class="stat-cards" data-testid="error-stats" aria-label="Errors in the last 30 days">
                                    <li class="stat-card"><span class="stat-label">"Total (30 days)"</span><span class="stat-value" data-testid="errors-total">{s.total}</span></li>
                                    <li class="stat-card"><span class="stat-label">"Unresolved"</span><span class="stat-value">{s.unresolved}</span></li>
                                    <li class="stat-card"><span class="stat-label">"Resolution rate"</span><span class="stat-value">{format!("{:.0}%", s.resolution_rate * 100.0)}</span></li>
                                    <li class="stat-card"><span class="stat-label">"Critical / high"</span><span class="stat-value">{format!("{} / {}", count("critical"), count("high"))}</span></li>
                                    <li class="stat-card"><span class="stat-label">"Medium / low"</span><span class="stat-value">{format!("{} / {}", count("medium"), count("low"))}</span></li>
                                </ul>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <div class="filters admin-filters">
                <ChoiceFilter id="errors-severity" label="Severity" choices=&SEVERITIES selected=severity page/>
                <ChoiceFilter id="errors-type" label="Type" choices=&KINDS selected=kind page/>
                <ChoiceFilter id="errors-resolved" label="Resolved" choices=&RESOLVED selected=resolved page/>
                <DateRangeFilter id="errors" from to page/>
            </div>
            <OutcomeNotice outcome/>
            <PagedList list=errors page text={ListText {
                loading: "Loading errors…",
                empty_title: "No errors match",
                empty_hint: "Nothing has gone wrong here — or the filters hide it.",
                empty_test_id: "errors-empty",
                label: "Errors",
            }} table={move |items: Vec<ErrorRow>| view! {
                <table class="data-table" data-testid="errors-table">
                    <caption class="visually-hidden">"Error logs, newest first"</caption>
                    <thead><tr>
                        <th scope="col"><span class="visually-hidden">"Details"</span></th>
                        <th scope="col">"When"</th>
                        <th scope="col">"Severity"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Message"</th>
                        <th scope="col">"State"</th>
                    </tr></thead>
                    {items.into_iter().map(|row| view! {
                        <ErrorRowView row expanded on_resolve=move |r: ErrorRow| {
                            resolve.clear();
                            problem.set(None);
                            note.set(String::new());
                            current.set(Some(r));
                            resolve_open.set(true);
                        }/>
                    }).collect_view()}
                </table>
            }}/>
        </section>

        <ClientOnly>
        <Dialog open=resolve_open title="Resolve this error" id="resolve-dialog" test_id="resolve-dialog">
            <form class="form" on:submit=on_resolve>
                <p>{move || current.get().map(|r| format!("{} — {}", r.code, r.message))}</p>
                <div class="field">
                    <label for="resolve-note">"Resolution note (optional)"</label>
                    <textarea id="resolve-note" data-testid="resolve-note" maxlength="1000" bind:value=note></textarea>
                </div>
                {move || problem.get().map(|m| view! { <p class="error" role="alert" data-testid="dialog-error">{m}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| resolve_open.set(false)>"Cancel"</button>
                    <button type="submit" class="button" data-testid="resolve-submit" disabled=move || resolve.pending().get()>"Mark resolved"</button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>
    }
}

/// One error: a summary row, and a details row shown on demand.
#[component]
fn ErrorRowView(
    row: ErrorRow,
    expanded: RwSignal<std::collections::HashSet<String>>,
    on_resolve: impl Fn(ErrorRow) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let id = row.id.clone();
    let open = Memo::new(move |_| expanded.with(|e| e.contains(&id)));
    let toggle_id = row.id.clone();
    let toggle = move || {
        expanded.update(|e| {
            if !e.remove(&toggle_id) {
                e.insert(toggle_id.clone());
            }
        })
    };
    let details_id = format!("error-details-{}", row.id);
    let r = row.clone();
    view! {
        <tbody data-testid="error-row" data-severity=row.severity.clone() data-resolved=row.resolved.to_string() data-id=row.id.clone()>
            <tr>
                <td>
                    <ExpandButton expanded=open on_toggle=toggle
                        controls=details_id.clone() label=format!("Details of error {}", row.code) test_id="error-expand"/>
                </td>
                <td><time datetime=row.created_at.clone()>{format_time(&row.created_at)}</time></td>
                <td><Badge word=row.severity.clone()/></td>
                <td>{row.error_type.replace('_', " ")}</td>
                <td class="wrap">{row.message.clone()}</td>
                <td>
                    {if row.resolved {
                        view! { <Badge word="resolved"/> }.into_any()
                    } else {
                        let on_resolve = on_resolve.clone();
                        let r = r.clone();
                        view! {
                            <button type="button" class="button button-small" data-testid="error-resolve"
                                on:click=move |_| on_resolve(r.clone())>"Resolve"</button>
                        }.into_any()
                    }}
                </td>
            </tr>
            <tr id=details_id hidden=move || !open.get() class="details-row">
                <td colspan="6">
                    <dl class="kv admin-details">
                        <dt>"Id"</dt><dd><code>{row.id.clone()}</code></dd>
                        <dt>"Code"</dt><dd><code>{row.code.clone()}</code></dd>
                        <dt>"Message"</dt><dd class="wrap">{row.message.clone()}</dd>
                        <dt>"User"</dt><dd>{row.user_id.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Agent"</dt><dd>{row.agent_id.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Request"</dt><dd>{row.request_id.clone().unwrap_or_else(|| "—".into())}</dd>
                        {row.resolution_note.clone().map(|n| view! { <dt>"Resolution note"</dt><dd>{n}</dd> })}
                    </dl>
                    {row.context.clone().map(|c| view! { <h3 class="small">"Context"</h3><pre class="code-block" tabindex="0">{c}</pre> })}
                    {row.stack_trace.clone().map(|t| view! { <h3 class="small">"Stack trace"</h3><pre class="code-block" tabindex="0" data-testid="error-stack">{t}</pre> })}
                </td>
            </tr>
        </tbody>
    }
}
