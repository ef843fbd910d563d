//! `/my-agents`: the licensed agents with their usage, status and a way to run them.

use abetworks_types::enums::EffectiveStatus;
use abetworks_types::views::LicenseView;
use leptos::prelude::*;

use crate::api::marketplace::my_agents;
use crate::components::feedback::{EmptyState, LoadedList};
use crate::components::page_intro::PageIntro;
use crate::components::usage::{expiry_text, LicenseBadges, UsageBar};

#[component]
pub fn MyAgentsPage() -> impl IntoView {
    let agents = Resource::new(|| (), |_| my_agents());
    view! {
        <PageIntro title="My agents" heading="My agents"
            lead="The agents you are licensed to run, and how much of each license you have used."/>
        <LoadedList resource=agents loading="Loading your agents…" empty=|| view! {
            <EmptyState title="No licensed agents yet" test_id="my-agents-empty">
                <p>"Ask for access to an agent in the marketplace; once approved it appears here."</p>
                <p><a class="button" href="/marketplace">"Browse the marketplace"</a></p>
            </EmptyState>
        } ready={|list: Vec<LicenseView>| view! {
            <ul class="license-grid" data-testid="my-agents">
                {list.into_iter().map(|license| view! { <LicenseCard license/> }).collect_view()}
            </ul>
        }}/>
    }
}

#[component]
fn LicenseCard(license: LicenseView) -> impl IntoView {
    let run_href = format!("/agents/{}/run", license.agent_id);
    let history_href = format!("/agents/{}/run#history", license.agent_id);
    let can_run = license.can_run();
    let why_not = match (license.status, license.exhausted) {
        (EffectiveStatus::Expired, _) => {
            Some("This license has expired. Ask for access again in the marketplace.")
        }
        (EffectiveStatus::Suspended, _) => {
            Some("This license is suspended. Contact your administrator.")
        }
        (EffectiveStatus::Revoked, _) => Some("This license has been revoked."),
        (EffectiveStatus::Active, true) => {
            Some("All calls of this license are used. Ask your administrator for more.")
        }
        (EffectiveStatus::Active, false) => None,
    };
    let name = license.agent_name.clone();
    view! {
        <li class="license-card" data-testid="license-card" data-agent=license.agent_name.clone()>
            <div class="agent-card-head">
                <span class="agent-icon" aria-hidden="true">{license.agent_icon.clone()}</span>
                <h2>{license.agent_name.clone()}</h2>
            </div>
            <LicenseBadges license=license.clone()/>
            <UsageBar limit=license.api_call_limit used=license.api_calls_used label=format!("Usage of {}", license.agent_name)/>
            <p class="muted small">{expiry_text(&license)}</p>
            {why_not.map(|text| view! { <p class="notice notice-warn small">{text}</p> })}
            <div class="card-actions">
                {if can_run {
                    view! {
                        <a class="button" href=run_href data-testid="run-agent">
                            "Run"<span class="visually-hidden">{format!(" {name}")}</span>
                        </a>
                    }.into_any()
                } else {
                    view! {
                        <span class="button button-static" aria-disabled="true" data-testid="run-agent-disabled">"Run"</span>
                    }.into_any()
                }}
                <a class="button button-secondary" href=history_href data-testid="history-link">
                    "History"<span class="visually-hidden">{format!(" of {}", license.agent_name)}</span>
                </a>
            </div>
        </li>
    }
}
