//! The team's activity, for its admins: usage by member over a date range (two charts, a
//! table and a CSV export) and the members' executions.

use abetworks_types::enums::ExecutionStatus;
use abetworks_types::teams::{MemberUsage, OrgUsage};
use abetworks_types::views::ExecutionView;
use leptos::prelude::*;
use leptos_meta::Script;

use crate::api::admin::DateRange;
use crate::api::teams::{team_executions, team_usage};
use crate::components::feedback::{EmptyState, Loaded};
use crate::components::table::{DataTable, Moment};
use crate::pages::admin::common::{admin_resource, StatusBadge};
use crate::pages::admin::dialogs::DateField;
use crate::pages::admin::list::{filter_text, ListState, ListText, PagedTable, VocabularyFilter};

/// Where the CSV of the range is served (the REST route, on the same session).
const USAGE_CSV: &str = "/api/orgs/current/usage.csv";

#[component]
pub fn TeamUsage() -> impl IntoView {
    let from_draft = RwSignal::new(String::new());
    let to_draft = RwSignal::new(String::new());
    let dates = RwSignal::new(DateRange::default());
    let usage = admin_resource(move || dates.get(), team_usage);
    let export = move || {
        let DateRange { from, to } = dates.get();
        let query: Vec<String> = [("from", from), ("to", to)]
            .into_iter()
            .filter_map(|(key, value)| {
                value
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{key}={v}"))
            })
            .collect();
        if query.is_empty() {
            USAGE_CSV.to_owned()
        } else {
            format!("{USAGE_CSV}?{}", query.join("&"))
        }
    };
    view! {
        <Script src="/echarts.min.js"/>
        <section class="panel" aria-labelledby="team-usage-heading" data-testid="team-usage">
            <div class="panel-head">
                <h2 id="team-usage-heading">"Usage by member"</h2>
                <a class="button button-secondary button-small" href=export download data-testid="team-usage-export">"Export CSV"</a>
            </div>
            <form class="filters admin-filters" on:submit=move |ev| {
                ev.prevent_default();
                dates.set(DateRange {
                    from: Some(from_draft.get_untracked()),
                    to: Some(to_draft.get_untracked()),
                });
            }>
                <DateField id="team-usage-from" label="From" value=from_draft/>
                <DateField id="team-usage-to" label="To" value=to_draft/>
                <div class="filters-actions">
                    <button type="submit" class="button button-secondary" data-testid="team-usage-apply">"Show range"</button>
                </div>
            </form>
            <p class="muted small">"Blank dates: the last 30 days."</p>
            <Loaded resource=usage loading="Loading usage…" ready=|data: OrgUsage| view! { <UsageView data/> }/>
        </section>
    }
}

#[component]
fn UsageView(data: OrgUsage) -> impl IntoView {
    if data.members.iter().all(|m| m.calls == 0) {
        return view! {
            <EmptyState title="No calls in this range" test_id="team-usage-empty">
                <p>"Calls your members make appear here, by member and by day."</p>
            </EmptyState>
        }
        .into_any();
    }
    let total: i64 = data.members.iter().map(|m| m.calls).sum();
    let members_label = format!(
        "Bar chart of calls by member: {}.",
        data.members
            .iter()
            .take(10)
            .map(|m| format!("{} {}", m.email, m.calls))
            .collect::<Vec<_>>()
            .join(", ")
    );
    draw_charts(data.clone());
    view! {
        <p class="muted" data-testid="team-usage-total">{format!("{total} calls in the range.")}</p>
        <div class="chart-grid">
            <figure class="chart-figure">
                <figcaption>"Calls by member"</figcaption>
                <div id="chart-team-members" class="chart" role="img" aria-label=members_label data-testid="chart-team-members"></div>
            </figure>
            <figure class="chart-figure">
                <figcaption>"Calls per day"</figcaption>
                <div id="chart-team-daily" class="chart" role="img" aria-label="Line chart of the organisation's calls per day over the range." data-testid="chart-team-daily"></div>
            </figure>
        </div>
        <DataTable class="data-table stack-on-mobile" test_id="team-usage-table" caption="Calls by member"
            columns=&["Member", "Calls", "Succeeded", "Failed"]>
            <tbody>
                {data.members.into_iter().map(|member| view! { <UsageRow member/> }).collect_view()}
            </tbody>
        </DataTable>
    }
    .into_any()
}

#[component]
fn UsageRow(member: MemberUsage) -> impl IntoView {
    view! {
        <tr data-testid="team-usage-row" data-email=member.email.clone()>
            <th scope="row" data-label="Member">{member.email.clone()}<br/><span class="muted small">{member.name.clone()}</span></th>
            <td data-label="Calls" class="num" data-testid="team-usage-calls">{member.calls}</td>
            <td data-label="Succeeded" class="num">{member.succeeded}</td>
            <td data-label="Failed" class="num">{member.failed}</td>
        </tr>
    }
}

/// Draws the two charts once the DOM and ECharts are there (browser only).
#[cfg(not(feature = "hydrate"))]
fn draw_charts(_data: OrgUsage) {}

#[cfg(feature = "hydrate")]
fn draw_charts(data: OrgUsage) {
    Effect::new(move |_| {
        let data = data.clone();
        crate::components::chart::when_echarts_ready(
            "chart-team-members",
            move || render(&data),
            100,
        );
    });
}

#[cfg(feature = "hydrate")]
fn render(data: &OrgUsage) {
    use crate::components::chart::calls;

    let top: Vec<&MemberUsage> = data.members.iter().take(10).collect();
    calls::draw(vec![
        (
            "chart-team-members",
            calls::per_person(
                top.iter().map(|m| m.email.clone()).collect(),
                top.iter().map(|m| m.calls).collect(),
            ),
        ),
        (
            "chart-team-daily",
            calls::over_time(
                data.daily.iter().map(|d| d.day.to_string()).collect(),
                data.daily
                    .iter()
                    .map(|d| i64::try_from(d.count).unwrap_or(i64::MAX))
                    .collect(),
            ),
        ),
    ]);
}

/// The members' executions, newest first, filterable by status.
#[component]
pub fn TeamExecutions() -> impl IntoView {
    let status = RwSignal::new(None::<ExecutionStatus>);
    let list = ListState::new();
    let executions =
        list.rows(move |page| team_executions(None, filter_text(status.get()), Some(page)));
    view! {
        <section class="panel" aria-labelledby="team-executions-heading" data-testid="team-executions">
            <h2 id="team-executions-heading">"Executions"</h2>
            <div class="filters admin-filters">
                <VocabularyFilter id="team-executions-status" label="Status" any="Any status" selected=status page=list.page/>
            </div>
            <PagedTable rows=executions state=list text={ListText {
                loading: "Loading executions…",
                empty_title: "No executions yet",
                empty_hint: "Runs of any agent by your members appear here.",
                empty_test_id: "team-executions-empty",
                label: "Executions",
            }} class="data-table stack-on-mobile" test_id="team-executions-table" caption="The members' executions, newest first"
                columns=&["When", "Member", "Agent", "Status", "Duration"]
                row=|execution: ExecutionView| view! {
                    <tr data-testid="team-execution-row" data-email=execution.user_email.clone() data-status=execution.status.as_str()>
                        <td data-label="When"><Moment at=execution.created_at/></td>
                        <td data-label="Member">{execution.user_email.clone()}</td>
                        <td data-label="Agent">{execution.agent_name.clone()}</td>
                        <td data-label="Status"><StatusBadge status=execution.status/></td>
                        <td data-label="Duration">{execution.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }/>
        </section>
    }
}
