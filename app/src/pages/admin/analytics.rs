//! Usage analytics: stat cards, three charts (charming, drawn by ECharts served from
//! `/echarts.min.js`, loaded on this tab only), heavy users, a date range and a CSV export.

use leptos::prelude::*;
use leptos_meta::Script;

use abetworks_types::views::UsageOverview;
use chrono::SecondsFormat;

use super::common::{admin_resource, limit_text};
use super::dialogs::DateField;
use crate::api::admin::usage::admin_usage;
use crate::api::admin::DateRange;
use crate::api::{expiry_date, format_time};
use crate::components::badge::{Badge, Tone};
use crate::components::feedback::{EmptyState, Loaded};
use crate::components::table::DataTable;

#[component]
pub fn AnalyticsTab() -> impl IntoView {
    let from_draft = RwSignal::new(String::new());
    let to_draft = RwSignal::new(String::new());
    // (dates, window): a window (`day`, `month`) stands for the current UTC day or month.
    let range = RwSignal::new((DateRange::default(), String::new()));
    let usage = admin_resource(
        move || range.get(),
        |(dates, window)| admin_usage(dates, Some(window)),
    );
    let current = move |window: &'static str| {
        from_draft.set(String::new());
        to_draft.set(String::new());
        range.set((DateRange::default(), window.to_owned()));
    };

    view! {
        <Script src="/echarts.min.js"/>
        <section class="panel" aria-labelledby="analytics-heading" data-testid="analytics-tab">
            <div class="panel-head"><h2 id="analytics-heading">"Usage analytics"</h2></div>
            <form class="filters admin-filters" on:submit=move |ev| {
                ev.prevent_default();
                let dates = DateRange {
                    from: Some(from_draft.get_untracked()),
                    to: Some(to_draft.get_untracked()),
                };
                range.set((dates, String::new()));
            }>
                <DateField id="usage-from" label="From" value=from_draft/>
                <DateField id="usage-to" label="To" value=to_draft/>
                <div class="filters-actions">
                    <button type="submit" class="button button-secondary" data-testid="usage-apply">"Show range"</button>
                    <button type="button" class="button button-secondary" data-testid="usage-this-day"
                        on:click=move |_| current("day")>"This day (UTC)"</button>
                    <button type="button" class="button button-secondary" data-testid="usage-this-month"
                        on:click=move |_| current("month")>"This month (UTC)"</button>
                </div>
            </form>
            <Loaded resource=usage loading="Loading usage…" ready=|data| view! { <UsageView data/> }/>
        </section>
    }
}

#[component]
fn UsageView(data: UsageOverview) -> impl IntoView {
    // Full precision, so the export covers exactly the calls counted here. UTC with `Z`: no
    // `+` to escape in the query.
    let export = format!(
        "/api/admin/usage/export.csv?from={}&to={}",
        data.from.to_rfc3339_opts(SecondsFormat::Nanos, true),
        data.to.to_rfc3339_opts(SecondsFormat::Nanos, true)
    );
    let heavy = data.heavy_users.clone();
    let summary = format!(
        "{} calls from {} to {} ({} succeeded, {} failed).",
        data.total_calls,
        format_time(&data.from),
        format_time(&data.to),
        data.successful_calls,
        data.failed_calls
    );
    let trend_label = format!(
        "Line chart of calls per {} over the range.",
        data.granularity
    );
    let agent_label = format!(
        "Bar chart of calls by agent: {}.",
        first_bars(data.by_agent.iter().map(|a| (&a.agent_name, a.calls)))
    );
    let user_label = format!(
        "Bar chart of the top users by calls: {}.",
        first_bars(data.by_user.iter().map(|u| (&u.user_email, u.calls)))
    );
    draw_charts(data.clone());
    view! {
        <ul class="stat-cards" aria-label="Calls" data-testid="usage-stats">
            <li class="stat-card"><span class="stat-label">"Today"</span><span class="stat-value" data-testid="calls-today">{data.calls_today}</span></li>
            <li class="stat-card"><span class="stat-label">"This week"</span><span class="stat-value" data-testid="calls-week">{data.calls_this_week}</span></li>
            <li class="stat-card"><span class="stat-label">"This month"</span><span class="stat-value" data-testid="calls-month">{data.calls_this_month}</span></li>
            <li class="stat-card"><span class="stat-label">"In the range"</span><span class="stat-value" data-testid="calls-range">{data.total_calls}</span></li>
        </ul>
        <p class="muted" data-testid="usage-summary">{summary}" "
            <a class="button button-secondary button-small" href=export download data-testid="usage-export">"Export CSV"</a>
        </p>
        <div class="chart-grid">
            <figure class="chart-figure">
                <figcaption>"Calls over time"</figcaption>
                <div id="chart-trend" class="chart" role="img" aria-label=trend_label data-testid="chart-trend"></div>
            </figure>
            <figure class="chart-figure">
                <figcaption>"Usage by agent"</figcaption>
                <div id="chart-agents" class="chart" role="img" aria-label=agent_label data-testid="chart-agents"></div>
            </figure>
            <figure class="chart-figure">
                <figcaption>"Top users"</figcaption>
                <div id="chart-users" class="chart" role="img" aria-label=user_label data-testid="chart-users"></div>
            </figure>
        </div>
        <h3>"Heavy users"</h3>
        <p class="muted">"Licenses in force at 80% or more of their limit."</p>
        {if heavy.is_empty() {
            view! {
                <EmptyState title="No one is near a limit" test_id="heavy-empty">
                    <p>"Licenses at 80% of their limit show here."</p>
                </EmptyState>
            }.into_any()
        } else {
            view! {
                    <DataTable class="data-table stack-on-mobile" test_id="heavy-table" caption="Heavy users"
                        columns=&["User", "Agent", "Used / limit", "Expires"]>
                        <tbody>
                            {heavy.into_iter().map(|row| {
                                let share = if row.api_call_limit > 0 { row.api_calls_used * 100 / row.api_call_limit } else { 0 };
                                view! {
                                    <tr data-testid="heavy-row">
                                        <th scope="row" data-label="User">{row.user_email.clone()}</th>
                                        <td data-label="Agent">{row.agent_name.clone()}</td>
                                        <td data-label="Used / limit">
                                            {format!("{} / {} ({share}%)", row.api_calls_used, limit_text(&row))}" "
                                            <Badge label=if row.exhausted { "at limit" } else { "80%+" } tone=Tone::Warn/>
                                        </td>
                                        <td data-label="Expires">{expiry_date(row.expires_at.as_ref())}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </DataTable>
            }.into_any()
        }}
    }
}

/// The first ten bars of a chart as "name calls, …", for its text alternative.
fn first_bars<'a, N: std::fmt::Display + 'a>(
    bars: impl Iterator<Item = (&'a String, N)>,
) -> String {
    bars.take(10)
        .map(|(name, calls)| format!("{name} {calls}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Draws the three charts once the DOM and ECharts are there (browser only).
#[cfg(not(feature = "hydrate"))]
fn draw_charts(_data: UsageOverview) {}

#[cfg(feature = "hydrate")]
fn draw_charts(data: UsageOverview) {
    Effect::new(move |_| {
        let data = data.clone();
        crate::components::chart::when_echarts_ready("chart-trend", move || render_all(&data), 100);
    });
}

#[cfg(feature = "hydrate")]
fn render_all(data: &UsageOverview) {
    use crate::components::chart::calls;
    use abetworks_types::enums::Granularity;

    let label_format = match data.granularity {
        Granularity::Hour => "%m-%d %H:%M",
        Granularity::Day => "%Y-%m-%d",
    };
    let labels: Vec<String> = data
        .trend
        .iter()
        .map(|point| point.start.format(label_format).to_string())
        .collect();
    let values: Vec<i64> = data
        .trend
        .iter()
        .map(|point| i64::try_from(point.calls).unwrap_or(i64::MAX))
        .collect();
    let top: Vec<_> = data.by_user.iter().take(10).collect();
    calls::draw(vec![
        ("chart-trend", calls::over_time(labels, values)),
        (
            "chart-agents",
            calls::per_column(
                data.by_agent.iter().map(|a| a.agent_name.clone()).collect(),
                data.by_agent.iter().map(|a| a.calls).collect(),
            ),
        ),
        (
            "chart-users",
            calls::per_person(
                top.iter().map(|u| u.user_email.clone()).collect(),
                top.iter().map(|u| u.calls).collect(),
            ),
        ),
    ]);
}
