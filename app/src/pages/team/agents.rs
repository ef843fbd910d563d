//! The agents the organisation shares: each pool's standing, the member's own cap and a Run
//! link. The team page lists them; My Agents shows the same cards under "From <org>".

use abetworks_types::teams::OrgAgentView;
use leptos::prelude::*;

use crate::api::teams::team_agents;
use crate::components::agent_icon::AgentIcon;
use crate::components::feedback::{EmptyState, LoadedList};
use crate::components::pool::{pool_plan_text, PoolStanding};
use crate::pages::admin::common::admin_resource;

/// The team page's list of shared agents.
#[component]
pub fn TeamAgents() -> impl IntoView {
    let agents = admin_resource(|| (), |_| team_agents());
    view! {
        <section class="panel" aria-labelledby="team-agents-heading" data-testid="team-agents">
            <h2 id="team-agents-heading">"Shared agents"</h2>
            <LoadedList resource=agents loading="Loading the shared agents…" empty=|| view! {
                <EmptyState title="No shared agents yet" test_id="team-agents-empty">
                    <p>"When the organisation is subscribed to an agent, every member can run it here."</p>
                </EmptyState>
            } ready={|list: Vec<OrgAgentView>| view! { <OrgAgentGrid list/> }}/>
        </section>
    }
}

/// The shared agents as cards.
#[component]
pub fn OrgAgentGrid(list: Vec<OrgAgentView>) -> impl IntoView {
    view! {
        <ul class="license-grid" data-testid="org-agents">
            {list.into_iter().map(|agent| view! { <OrgAgentCard agent/> }).collect_view()}
        </ul>
    }
}

/// One shared agent: the pool's standing, the caller's cap, and Run while it can run.
#[component]
pub fn OrgAgentCard(agent: OrgAgentView) -> impl IntoView {
    let pool = agent.subscription.clone();
    let name = pool.agent_name.clone();
    let run_href = format!("/agents/{}/run", pool.agent_id);
    let can_run = agent.can_run;
    view! {
        <li class="license-card pool-card" data-testid="org-agent-card" data-agent=name.clone()>
            <div class="agent-card-head">
                <AgentIcon icon=pool.agent_icon.clone() name=name.clone()/>
                <h2>{name.clone()}</h2>
            </div>
            <p class="muted small" data-testid="pool-plan">{format!("Shared pool: {}", pool_plan_text(&pool))}</p>
            <PoolStanding agent=agent.clone()/>
            <div class="card-actions">
                {if can_run {
                    view! {
                        <a class="button" href=run_href data-testid="run-org-agent">
                            "Run"<span class="visually-hidden">{format!(" {name}")}</span>
                        </a>
                    }.into_any()
                } else {
                    view! {
                        <span class="button button-static" aria-disabled="true" data-testid="run-org-agent-disabled">"Run"</span>
                    }.into_any()
                }}
            </div>
        </li>
    }
}
