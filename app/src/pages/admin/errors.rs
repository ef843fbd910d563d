//! Error logs: stat cards, filters, expandable rows, resolve with a note. A new high or
//! critical error appears as it is logged (the live stream); a slow poll catches the rest.

use std::collections::HashSet;

use abetworks_types::enums::{ErrorKind, EventType, Severity};
use abetworks_types::views::{ErrorLogView, ErrorStats};
use leptos::prelude::*;

use super::common::{admin_resource, pretty_json, Badge, CodeBlock, StatusBadge};
use super::dialogs::{DialogTarget, NoteDialog};
use super::list::{
    filter_text, DateRangeFilter, ExpandButton, ListState, ListText, PagedTable, VocabularyFilter,
};
use crate::api::admin::errors::{admin_error_stats, admin_errors, AdminResolveError};
use crate::api::admin::DateRange;
use crate::components::badge::{words, Tone};
use crate::components::feedback::Loaded;
use crate::components::live::arrivals_of;
use crate::components::table::Moment;

/// How often the list and the statistics refresh without a live event: errors of low and
/// medium severity are not pushed, and a stream may be reconnecting.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

#[component]
pub fn ErrorsTab() -> impl IntoView {
    let severity = RwSignal::new(None::<Severity>);
    let kind = RwSignal::new(None::<ErrorKind>);
    let dates = RwSignal::new(DateRange::default());
    let resolved = RwSignal::new(None::<bool>);
    let list = ListState::new();
    let tick = RwSignal::new(0usize);
    list.reload_on(tick);
    list.reload_on(arrivals_of(&[EventType::ErrorLogged]));
    let resolve = list.action::<AdminResolveError>();
    // Which rows are expanded lives here, not in the rows: a refresh rebuilds the rows
    // and must not fold up the one the admin is reading.
    let expanded = RwSignal::new(HashSet::<String>::new());

    // The fallback poll: the list and the stats refresh every minute.
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(move || tick.update(|t| *t = t.wrapping_add(1)), REFRESH)
        {
            on_cleanup(move || handle.clear());
        }
    });

    let errors = list.rows(move |page| {
        admin_errors(
            filter_text(severity.get()),
            filter_text(kind.get()),
            dates.get(),
            resolved
                .get()
                .map(|r| if r { "yes" } else { "no" }.to_owned()),
            Some(page),
        )
    });
    let stats = admin_resource(move || list.changes(), |_| admin_error_stats());

    let resolving = DialogTarget::<ErrorLogView>::new();

    view! {
        <section class="panel" aria-labelledby="errors-heading" data-testid="errors-tab">
            <div class="panel-head"><h2 id="errors-heading">"Error logs"</h2></div>
            <Loaded resource=stats loading="Loading error statistics…" ready=|stats| view! { <StatCards stats/> }/>
            <div class="filters admin-filters">
                <VocabularyFilter id="errors-severity" label="Severity" any="Any severity" selected=severity page=list.page/>
                <VocabularyFilter id="errors-type" label="Type" any="Any type" selected=kind page=list.page/>
                <ResolvedFilter selected=resolved page=list.page/>
                <DateRangeFilter id="errors" dates page=list.page/>
            </div>
            <PagedTable rows=errors state=list text={ListText {
                loading: "Loading errors…",
                empty_title: "No errors match",
                empty_hint: "Nothing has gone wrong here — or the filters hide it.",
                empty_test_id: "errors-empty",
                label: "Errors",
            }} class="data-table" test_id="errors-table" caption="Error logs, newest first"
                columns=&["When", "Severity", "Type", "Message", "State"] details=true
                row=move |error: ErrorLogView| view! {
                    <ErrorTableRow error expanded on_resolve=move |e: ErrorLogView| resolving.show(e)/>
                }/>
        </section>

        // Marks the error resolved, with an optional note.
        <NoteDialog target=resolving action=resolve outcome=list.outcome
            title="Resolve this error" id="resolve-dialog" submit_id="resolve-submit" submit_text="Mark resolved"
            describe=|e: &ErrorLogView| format!("{} — {}", e.code, e.message)
            note_id="resolve-note" note_label="Resolution note (optional)"
            request=|e: ErrorLogView, note| Ok(AdminResolveError { id: e.id, note: Some(note) })
            done=|resolved: ErrorLogView| format!("Marked the error {} ({}) resolved.", resolved.code, resolved.id)/>
    }
}

/// The totals of the last 30 days, by severity too.
#[component]
fn StatCards(stats: ErrorStats) -> impl IntoView {
    let count = |severity: Severity| {
        stats
            .by_severity
            .iter()
            .find(|k| k.key.parse::<Severity>().ok() == Some(severity))
            .map_or(0, |k| k.count)
    };
    let (critical, high) = (count(Severity::Critical), count(Severity::High));
    let (medium, low) = (count(Severity::Medium), count(Severity::Low));
    view! {
        <ul class="stat-cards" data-testid="error-stats" aria-label="Errors in the last 30 days">
            <li class="stat-card"><span class="stat-label">"Total (30 days)"</span><span class="stat-value" data-testid="errors-total">{stats.total}</span></li>
            <li class="stat-card"><span class="stat-label">"Unresolved"</span><span class="stat-value">{stats.unresolved}</span></li>
            <li class="stat-card"><span class="stat-label">"Resolution rate"</span><span class="stat-value">{format!("{:.0}%", stats.resolution_rate * 100.0)}</span></li>
            <li class="stat-card"><span class="stat-label">"Critical / high"</span><span class="stat-value">{format!("{critical} / {high}")}</span></li>
            <li class="stat-card"><span class="stat-label">"Medium / low"</span><span class="stat-value">{format!("{medium} / {low}")}</span></li>
        </ul>
    }
}

/// "Resolved": either, unresolved (`no`) or resolved (`yes`).
#[component]
fn ResolvedFilter(selected: RwSignal<Option<bool>>, page: RwSignal<u64>) -> impl IntoView {
    let choose = move |ev| {
        let value = match event_target_value(&ev).as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        selected.set(value);
        page.set(1);
    };
    view! {
        <div class="field">
            <label for="errors-resolved">"Resolved"</label>
            <select id="errors-resolved" data-testid="errors-resolved" on:change=choose>
                <option value="">"Either"</option>
                <option value="no">"Unresolved"</option>
                <option value="yes">"Resolved"</option>
            </select>
        </div>
    }
}

/// One error: a summary row, and a details row shown on demand.
#[component]
fn ErrorTableRow(
    error: ErrorLogView,
    expanded: RwSignal<HashSet<String>>,
    on_resolve: impl Fn(ErrorLogView) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let id = error.id.clone();
    let open = Memo::new(move |_| expanded.with(|e| e.contains(&id)));
    let toggle_id = error.id.clone();
    let toggle = move || {
        expanded.update(|e| {
            if !e.remove(&toggle_id) {
                e.insert(toggle_id.clone());
            }
        })
    };
    let details_id = format!("error-details-{}", error.id);
    let state = if error.resolved {
        view! { <Badge label="resolved" tone=Tone::Ok/> }.into_any()
    } else {
        let to_resolve = error.clone();
        view! {
            <button type="button" class="button button-small" data-testid="error-resolve"
                on:click=move |_| on_resolve(to_resolve.clone())>"Resolve"</button>
        }
        .into_any()
    };
    let or_dash = |text: &Option<String>| text.clone().unwrap_or_else(|| "—".into());
    view! {
        <tbody data-testid="error-row" data-severity=error.severity.as_str() data-resolved=error.resolved.to_string() data-id=error.id.clone()>
            <tr>
                <td>
                    <ExpandButton expanded=open on_toggle=toggle
                        controls=details_id.clone() label=format!("Details of error {}", error.code) test_id="error-expand"/>
                </td>
                <td><Moment at=error.created_at/></td>
                <td><StatusBadge status=error.severity/></td>
                <td>{words(error.kind)}</td>
                <td class="wrap">{error.message.clone()}</td>
                <td>{state}</td>
            </tr>
            <tr id=details_id hidden=move || !open.get() class="details-row">
                <td colspan="6">
                    <dl class="kv admin-details">
                        <dt>"Id"</dt><dd><code>{error.id.clone()}</code></dd>
                        <dt>"Code"</dt><dd><code>{error.code.clone()}</code></dd>
                        <dt>"Message"</dt><dd class="wrap">{error.message.clone()}</dd>
                        <dt>"User"</dt><dd>{or_dash(&error.user_id)}</dd>
                        <dt>"Agent"</dt><dd>{or_dash(&error.agent_id)}</dd>
                        <dt>"Request"</dt><dd>{or_dash(&error.request_id)}</dd>
                        {error.resolution_note.clone().map(|n| view! { <dt>"Resolution note"</dt><dd>{n}</dd> })}
                    </dl>
                    {error.context.as_ref().map(|c| view! { <CodeBlock title="Context" text=pretty_json(c)/> })}
                    {error.stack_trace.clone().map(|t| view! { <CodeBlock title="Stack trace" text=t test_id="error-stack"/> })}
                </td>
            </tr>
        </tbody>
    }
}
