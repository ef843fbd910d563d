use leptos::prelude::*;

use crate::api::{marketplace_agents, AgentCard};

#[component]
pub fn MarketplacePage() -> impl IntoView {
    let (query, set_query) = signal(String::new());
    let agents = Resource::new(
        move || query.get(),
        |q| marketplace_agents((!q.trim().is_empty()).then_some(q)),
    );
    view! {
        <section class="page-intro">
            <h1>"Agent marketplace"</h1>
            <p class="muted">"Browse AI agents and ask for access to the ones you need."</p>
            <label class="search">
                <span class="visually-hidden">"Search agents"</span>
                <input
                    type="search"
                    placeholder="Search agents"
                    data-testid="marketplace-search"
                    prop:value=query
                    on:input=move |ev| set_query.set(event_target_value(&ev))
                />
            </label>
        </section>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading agents…"</p> }>
            {move || Suspend::new(async move {
                match agents.await {
                    Err(e) => view! {
                        <p class="error" role="alert">
                            {e.to_string().trim_start_matches("error running server function: ").to_owned()}
                        </p>
                    }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state" data-testid="marketplace-empty">
                            <h2>"No agents match"</h2>
                            <p>"Try another search, or come back when new agents are published."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="agent-grid" data-testid="agent-grid">
                            {list.into_iter().map(|agent| view! { <AgentCardView agent/> }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AgentCardView(agent: AgentCard) -> impl IntoView {
    let (open, set_open) = signal(false);
    let details_id = format!("details-{}", agent.slug);
    let price = agent.price_label();
    view! {
        <li class="agent-card" data-testid="agent-card" data-slug=agent.slug.clone()>
            <div class="agent-card-head">
                <span class="agent-icon" aria-hidden="true">{agent.icon.clone()}</span>
                <h2>{agent.name.clone()}</h2>
            </div>
            <p>{agent.short_description.clone()}</p>
            <div class="badges">
                <span class="badge badge-price">{price}</span>
                <span class="badge badge-category">{agent.category.clone()}</span>
            </div>
            <button
                type="button"
                class="button button-secondary"
                data-testid="details-toggle"
                aria-expanded=move || open.get().to_string()
                aria-controls=details_id.clone()
                on:click=move |_| set_open.update(|o| *o = !*o)
            >
                {move || if open.get() { "Hide details" } else { "Details" }}
            </button>
            <div id=details_id class="agent-details" data-testid="agent-details" hidden=move || !open.get()>
                <p>{agent.long_description.clone()}</p>
                <ul class="features">
                    {agent.features.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view()}
                </ul>
            </div>
        </li>
    }
}
