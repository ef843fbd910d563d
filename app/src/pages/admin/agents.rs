//! Agents: the whole catalog; publish / unpublish, edit the listing, sync from the service.

use abetworks_types::views::AgentView;
use leptos::prelude::*;

use super::common::{report_outcome, Badge, Outcome, StatusBadge};
use super::dialogs::{ConfirmDialog, DialogButton, DialogTarget, FormDialog};
use super::list::{ListState, ListText, PagedTable, SearchFilters};
use crate::api::admin::agents::{
    admin_agents, AdminPublishAgent, AdminSyncAgents, AdminUpdateAgent,
};
use crate::components::badge::Tone;

#[component]
pub fn AgentsTab() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let list = ListState::new();
    let publish = list.action::<AdminPublishAgent>();
    let update = list.action::<AdminUpdateAgent>();
    let sync = list.action::<AdminSyncAgents>();
    let agents = list.rows(move |page| admin_agents(Some(query.get()), Some(page)));
    let actions = RowActions {
        unpublishing: DialogTarget::new(),
        editing: DialogTarget::new(),
        publish,
    };

    let close_unpublish = move || actions.unpublishing.open.set(false);
    report_outcome(publish, list.outcome, close_unpublish, |agent| {
        format!(
            "{} is now {}.",
            agent.name,
            if agent.published {
                "published: customers can find it"
            } else {
                "unpublished: hidden from the marketplace"
            }
        )
    });
    report_outcome(
        sync,
        list.outcome,
        || {},
        |report| {
            let list = |slugs: &[String]| {
                if slugs.is_empty() {
                    "none".to_owned()
                } else {
                    slugs.join(", ")
                }
            };
            format!(
                "Synced from the agent service. Added: {}. Changed: {}. Unavailable: {}.",
                list(&report.added),
                list(&report.updated),
                list(&report.unavailable)
            )
        },
    );

    view! {
        <section class="panel" aria-labelledby="agents-heading" data-testid="agents-tab">
            <div class="panel-head">
                <h2 id="agents-heading">"Agents"</h2>
                <button type="button" class="button" data-testid="sync-agents" disabled=move || sync.pending().get()
                    on:click=move |_| { sync.dispatch(AdminSyncAgents {}); }>
                    {move || if sync.pending().get() { "Syncing…" } else { "Sync from agent service" }}
                </button>
            </div>
            <SearchFilters id="agents-search" label="Name or slug" query page=list.page/>
            <PagedTable rows=agents state=list text={ListText {
                loading: "Loading the catalog…",
                empty_title: "No agents",
                empty_hint: "Sync from the agent service to fill the catalog.",
                empty_test_id: "agents-empty",
                label: "Agents",
            }} class="data-table stack-on-mobile" test_id="agents-table" caption="The catalog"
                columns=&["Agent", "Category", "Price", "Service", "Listing"] actions=true
                row=move |agent: AgentView| view! { <AgentTableRow agent actions/> }/>
        </section>

        <ConfirmDialog target=actions.unpublishing title="Unpublish this agent?" id="unpublish-dialog" stem="unpublish"
            describe=|a: &AgentView| format!("{} will disappear from the marketplace. Existing licenses are kept.", a.name)
            keep="Keep it published" confirm="Unpublish" pending=publish.pending()
            on_confirm=move |a: AgentView| { publish.dispatch(AdminPublishAgent { id: a.id, published: false }); }/>

        <EditAgentDialog target=actions.editing action=update outcome=list.outcome/>
    }
}

/// What a row's buttons open or do.
#[derive(Clone, Copy)]
struct RowActions {
    unpublishing: DialogTarget<AgentView>,
    editing: DialogTarget<AgentView>,
    publish: ServerAction<AdminPublishAgent>,
}

/// One agent of the catalog: edit its listing, publish or unpublish it.
#[component]
fn AgentTableRow(agent: AgentView, actions: RowActions) -> impl IntoView {
    let published = agent.published;
    let listing = if published {
        view! {
            <DialogButton opens=actions.unpublishing about=agent.clone() text="Unpublish" danger=true
                label=format!("Unpublish {}", agent.name) test_id="agent-unpublish"/>
        }
        .into_any()
    } else {
        let id = agent.id.clone();
        view! {
            <button type="button" class="button button-small" data-testid="agent-publish"
                aria-label=format!("Publish {}", agent.name)
                on:click=move |_| { actions.publish.dispatch(AdminPublishAgent { id: id.clone(), published: true }); }>"Publish"</button>
        }
        .into_any()
    };
    let (listing_label, listing_tone) = if published {
        ("published", Tone::Ok)
    } else {
        ("draft", Tone::Warn)
    };
    view! {
        <tr data-testid="agent-row" data-slug=agent.slug.clone() data-published=published.to_string()>
            <th scope="row" data-label="Agent">{agent.name.clone()}<br/><span class="muted small">{format!("{} · v{}", agent.slug, agent.version)}</span></th>
            <td data-label="Category">{agent.category.clone()}</td>
            <td data-label="Price">{agent.price_label()}</td>
            <td data-label="Service"><StatusBadge status=agent.status/></td>
            <td data-label="Listing"><Badge label=listing_label tone=listing_tone/></td>
            <td data-label="Actions" class="row-actions">
                <DialogButton opens=actions.editing about=agent.clone() text="Edit" secondary=true
                    label=format!("Edit {}", agent.name) test_id="agent-edit"/>
                {listing}
            </td>
        </tr>
    }
}

/// A price in cents as the price field shows it: "9.99".
fn price_field(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A price typed as "9.99" (0 for free), in cents.
fn parse_price(text: &str) -> Option<i64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p >= 0.0)
        .map(|p| (p * 100.0).round() as i64)
}

/// Edits the target agent's listing: price, category and descriptions. Filled from the agent
/// each time it opens; closes and reports on success.
#[component]
fn EditAgentDialog(
    target: DialogTarget<AgentView>,
    action: ServerAction<AdminUpdateAgent>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let agent = target.subject;
    let price = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let short = RwSignal::new(String::new());
    let long = RwSignal::new(String::new());
    let fill = move || {
        if let Some(a) = agent.get_untracked() {
            price.set(price_field(a.price_cents));
            category.set(a.category);
            short.set(a.short_description);
            long.set(a.long_description);
        }
    };
    let request = move |a: AgentView| {
        let price_cents = parse_price(&price.get_untracked())
            .ok_or_else(|| "Enter a price such as 9.99 (0 for free).".to_owned())?;
        Ok(AdminUpdateAgent {
            id: a.id,
            price_cents,
            category: category.get_untracked(),
            short_description: short.get_untracked(),
            long_description: long.get_untracked(),
        })
    };
    let done = |saved: AgentView| format!("Saved the listing of {}.", saved.name);
    let currency = move || agent.get().map(|a| a.currency).unwrap_or_default();
    view! {
        <FormDialog target action outcome reset=fill request done
            title="Edit the listing" id="edit-agent-dialog" submit_id="agent-save" submit_text="Save">
            <p>{move || agent.get().map(|a| a.name)}</p>
            <div class="field">
                <label for="agent-price">{move || format!("Price ({})", currency())}</label>
                <input id="agent-price" type="number" min="0" step="0.01" data-testid="agent-price" bind:value=price/>
            </div>
            <div class="field">
                <label for="agent-category">"Category"</label>
                <input id="agent-category" type="text" maxlength="60" data-testid="agent-category" bind:value=category/>
            </div>
            <div class="field">
                <label for="agent-short">"Short description"</label>
                <input id="agent-short" type="text" maxlength="300" bind:value=short/>
            </div>
            <div class="field">
                <label for="agent-long">"Long description"</label>
                <textarea id="agent-long" maxlength="10000" bind:value=long></textarea>
            </div>
        </FormDialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_field_reads_back_as_the_same_cents() {
        assert_eq!(price_field(4900), "49.00");
        assert_eq!(parse_price(&price_field(999)), Some(999));
        assert_eq!(parse_price("0"), Some(0));
        assert_eq!(parse_price("-1"), None);
        assert_eq!(parse_price("NaN"), None);
    }
}
