//! Agents: the whole catalog; publish / unpublish, edit the listing, sync from the service.

use leptos::prelude::*;

use super::common::*;
use super::list::{admin_resource, ListText, PagedList, SearchFilters};
use crate::api::admin::{
    admin_agents, AdminPublishAgent, AdminSyncAgents, AdminUpdateAgent, AgentRow,
};
use crate::components::dialog::Dialog;

fn price_text(cents: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", cents / 100, cents % 100)
}

#[component]
pub fn AgentsTab() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let outcome = RwSignal::new(None::<Outcome>);
    let publish = ServerAction::<AdminPublishAgent>::new();
    let update = ServerAction::<AdminUpdateAgent>::new();
    let sync = ServerAction::<AdminSyncAgents>::new();
    let agents = admin_resource(
        move || {
            (
                query.get(),
                page.get(),
                publish.version().get() + update.version().get() + sync.version().get(),
            )
        },
        |(q, page, _)| admin_agents(Some(q), Some(page)),
    );

    let unpublishing = RwSignal::new(None::<AgentRow>);
    let unpublish_open = RwSignal::new(false);
    let editing = RwSignal::new(None::<AgentRow>);
    let edit_open = RwSignal::new(false);
    let price = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let short = RwSignal::new(String::new());
    let long = RwSignal::new(String::new());
    let edit_problem = RwSignal::new(None::<String>);

    Effect::new(move |_| match publish.value().get() {
        Some(Ok(row)) => {
            unpublish_open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "{} is now {}.",
                row.name,
                if row.published {
                    "published: customers can find it"
                } else {
                    "unpublished: hidden from the marketplace"
                }
            ))));
        }
        Some(Err(e)) => {
            unpublish_open.set(false);
            outcome.set(Some(Outcome::Failed(e.display_message())));
        }
        None => {}
    });
    Effect::new(move |_| match update.value().get() {
        Some(Ok(row)) => {
            edit_open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Saved the listing of {}.",
                row.name
            ))));
        }
        Some(Err(e)) => edit_problem.set(Some(e.display_message())),
        None => {}
    });
    Effect::new(move |_| match sync.value().get() {
        Some(Ok(report)) => {
            let list = |names: &[String]| {
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            };
            outcome.set(Some(Outcome::Done(format!(
                "Synced from the agent service. Added: {}. Changed: {}. Unavailable: {}.",
                list(&report.added),
                list(&report.updated),
                list(&report.unavailable)
            ))));
        }
        Some(Err(e)) => outcome.set(Some(Outcome::Failed(e.display_message()))),
        None => {}
    });

    let on_edit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(row) = editing.get_untracked() else {
            return;
        };
        let cents = price
            .get_untracked()
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| *p >= 0.0)
            .map(|p| (p * 100.0).round() as i64);
        let Some(price_cents) = cents else {
            edit_problem.set(Some("Enter a price such as 9.99 (0 for free).".to_owned()));
            return;
        };
        edit_problem.set(None);
        update.dispatch(AdminUpdateAgent {
            id: row.id,
            price_cents,
            category: category.get_untracked(),
            short_description: short.get_untracked(),
            long_description: long.get_untracked(),
        });
    };

    view! {
        <section class="panel" aria-labelledby="agents-heading" data-testid="agents-tab">
            <div class="panel-head">
                <h2 id="agents-heading">"Agents"</h2>
                <button type="button" class="button" data-testid="sync-agents" disabled=move || sync.pending().get()
                    on:click=move |_| { sync.dispatch(AdminSyncAgents {}); }>
                    {move || if sync.pending().get() { "Syncing…" } else { "Sync from agent service" }}
                </button>
            </div>
            <SearchFilters id="agents-search" label="Name or slug" query page/>
            <OutcomeNotice outcome/>
            <PagedList list=agents page text={ListText {
                loading: "Loading the catalog…",
                empty_title: "No agents",
                empty_hint: "Sync from the agent service to fill the catalog.",
                empty_test_id: "agents-empty",
                label: "Agents",
            }} table={move |items: Vec<AgentRow>| view! {
                <table class="data-table stack-on-mobile" data-testid="agents-table">
                    <caption class="visually-hidden">"The catalog"</caption>
                    <thead><tr>
                        <th scope="col">"Agent"</th>
                        <th scope="col">"Category"</th>
                        <th scope="col">"Price"</th>
                        <th scope="col">"Service"</th>
                        <th scope="col">"Listing"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {items.into_iter().map(|row| {
                            let (r1, r2) = (row.clone(), row.clone());
                            let published = row.published;
                            view! {
                                <tr data-testid="agent-row" data-slug=row.slug.clone() data-published=published.to_string()>
                                    <th scope="row" data-label="Agent">{row.name.clone()}<br/><span class="muted small">{format!("{} · v{}", row.slug, row.version)}</span></th>
                                    <td data-label="Category">{row.category.clone()}</td>
                                    <td data-label="Price">{price_text(row.price_cents, &row.currency)}</td>
                                    <td data-label="Service"><Badge word=row.status.clone()/></td>
                                    <td data-label="Listing"><Badge word=if published { "published" } else { "draft" }/></td>
                                    <td data-label="Actions" class="row-actions">
                                        <button type="button" class="button button-secondary button-small" data-testid="agent-edit"
                                            aria-label=format!("Edit {}", r1.name)
                                            on:click={
                                                let r = r1.clone();
                                                move |_| {
                                                    price.set(format!("{}.{:02}", r.price_cents / 100, r.price_cents % 100));
                                                    category.set(r.category.clone());
                                                    short.set(r.short_description.clone());
                                                    long.set(r.long_description.clone());
                                                    edit_problem.set(None);
                                                    update.clear();
                                                    editing.set(Some(r.clone()));
                                                    edit_open.set(true);
                                                }
                                            }>"Edit"</button>
                                        {if published {
                                            let r = r2.clone();
                                            view! {
                                                <button type="button" class="button button-danger button-small" data-testid="agent-unpublish"
                                                    aria-label=format!("Unpublish {}", r.name)
                                                    on:click=move |_| { unpublishing.set(Some(r.clone())); unpublish_open.set(true); }>"Unpublish"</button>
                                            }.into_any()
                                        } else {
                                            let id = r2.id.clone();
                                            view! {
                                                <button type="button" class="button button-small" data-testid="agent-publish"
                                                    aria-label=format!("Publish {}", r2.name)
                                                    on:click=move |_| { publish.dispatch(AdminPublishAgent { id: id.clone(), published: true }); }>"Publish"</button>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }}/>
        </section>

        <ConfirmDialog open=unpublish_open subject=unpublishing title="Unpublish this agent?" id="unpublish-dialog" stem="unpublish"
            describe=|r: &AgentRow| format!("{} will disappear from the marketplace. Existing licenses are kept.", r.name)
            keep="Keep it published" confirm="Unpublish" pending=publish.pending()
            on_confirm=move |r: AgentRow| { publish.dispatch(AdminPublishAgent { id: r.id, published: false }); }/>

        <ClientOnly>
        <Dialog open=edit_open title="Edit the listing" id="edit-agent-dialog" test_id="edit-agent-dialog">
            <form class="form" on:submit=on_edit>
                <p>{move || editing.get().map(|r| r.name)}</p>
                <div class="field">
                    <label for="agent-price">{move || format!("Price ({})", editing.get().map(|r| r.currency).unwrap_or_default())}</label>
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
                {move || edit_problem.get().map(|m| view! { <p class="error" role="alert" data-testid="dialog-error">{m}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| edit_open.set(false)>"Cancel"</button>
                    <button type="submit" class="button" data-testid="agent-save" disabled=move || update.pending().get()>"Save"</button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>
    }
}
