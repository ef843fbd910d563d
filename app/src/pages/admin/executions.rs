//! Executions: every run system-wide, filterable, with input, output and error on expand.

use abetworks_types::enums::ExecutionStatus;
use abetworks_types::views::ExecutionView;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::common::{pretty_json, CodeBlock, Picker, PickerKind, StatusBadge};
use super::list::{
    filter_text, AgentFilter, DateRangeFilter, ExpandButton, ListState, ListText, PagedTable,
    VocabularyFilter,
};
use crate::api::admin::executions::admin_executions;
use crate::api::admin::DateRange;
use crate::components::table::Moment;

#[component]
pub fn ExecutionsTab() -> impl IntoView {
    let query = use_query_map();
    // `?user=<id>&agent=<id>` comes from the licenses tab's "Usage" link.
    let user = RwSignal::new(query.read_untracked().get("user").unwrap_or_default());
    let agent = RwSignal::new(query.read_untracked().get("agent").unwrap_or_default());
    let status = RwSignal::new(None::<ExecutionStatus>);
    let dates = RwSignal::new(DateRange::default());
    let list = ListState::new();
    let executions = list.rows(move |page| {
        admin_executions(
            Some(user.get()),
            Some(agent.get()),
            filter_text(status.get()),
            dates.get(),
            Some(page),
        )
    });

    view! {
        <section class="panel" aria-labelledby="executions-heading" data-testid="executions-tab">
            <div class="panel-head"><h2 id="executions-heading">"Executions"</h2></div>
            <div class="filters admin-filters">
                <Picker kind=PickerKind::Users id="exec-user" label="User" selected=user/>
                <AgentFilter id="executions-agent" selected=agent page=list.page/>
                <VocabularyFilter id="executions-status" label="Status" any="Any status" selected=status page=list.page/>
                <DateRangeFilter id="executions" dates page=list.page/>
            </div>
            <PagedTable rows=executions state=list text={ListText {
                loading: "Loading executions…",
                empty_title: "No executions match",
                empty_hint: "Runs of any agent by any user appear here.",
                empty_test_id: "executions-empty",
                label: "Executions",
            }} class="data-table" test_id="executions-table" caption="Executions, newest first"
                columns=&["When", "User", "Agent", "Status", "Duration"] details=true
                row=|execution: ExecutionView| view! { <ExecutionTableRow execution/> }/>
        </section>
    }
}

/// One execution: a summary row, and its input, output and error on demand.
#[component]
fn ExecutionTableRow(execution: ExecutionView) -> impl IntoView {
    let open = RwSignal::new(false);
    let details_id = format!("execution-details-{}", execution.id);
    let error = execution.error_message.clone().map(|message| {
        let code = execution.error_code.clone().unwrap_or_default();
        view! {
            <h3 class="small">"Error"</h3>
            <p class="error"><code>{code}</code>" "{message}</p>
        }
    });
    view! {
        <tbody data-testid="execution-row" data-status=execution.status.as_str()>
            <tr>
                <td>
                    <ExpandButton expanded=open on_toggle=move || open.update(|o| *o = !*o)
                        controls=details_id.clone() label=format!("Details of execution {}", execution.id) test_id="execution-expand"/>
                </td>
                <td><Moment at=execution.created_at/></td>
                <td>{execution.user_email.clone()}</td>
                <td>{execution.agent_name.clone()}</td>
                <td><StatusBadge status=execution.status/></td>
                <td>{execution.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "—".into())}</td>
            </tr>
            <tr id=details_id hidden=move || !open.get() class="details-row">
                <td colspan="6">
                    <CodeBlock title="Input" text=pretty_json(&execution.input)/>
                    {execution.output.as_ref().map(|o| view! { <CodeBlock title="Output" text=pretty_json(o)/> })}
                    {error}
                </td>
            </tr>
        </tbody>
    }
}
