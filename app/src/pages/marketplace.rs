//! `/marketplace`: search, filters and page kept in the URL
//! (`?q=&category=&minPrice=&maxPrice=&page=`), a grid of agent cards, a details dialog and a
//! request dialog.

use abetworks_types::enums::AgentAccess;
use abetworks_types::views::{AccessRequestView, AgentView, MarketplaceAgent};
use abetworks_types::{Page, MAX_PAGE};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;
use leptos_router::NavigateOptions;

use crate::api::marketplace::{
    marketplace_agents, marketplace_categories, parse_price, RequestAccess,
};
use crate::components::agent_icon::AgentIcon;
use crate::components::dialog::Dialog;
use crate::components::feedback::{
    described_by, EmptyState, ErrorPanel, FieldError, FormFailure, Loading, WaitingSelect,
};
use crate::components::page_intro::PageIntro;
use crate::error::{AppError, ConflictReason, ErrorCode};
use crate::pages::request_form::{AskableTeam, RequestDialogForm, TeamAsk, TeamChoice};

const FILTER_KEYS: [&str; 4] = ["q", "category", "minPrice", "maxPrice"];

#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    q: String,
    category: String,
    min_price: String,
    max_price: String,
}

impl Filters {
    fn get(&self, key: &str) -> &str {
        match key {
            "q" => &self.q,
            "category" => &self.category,
            "minPrice" => &self.min_price,
            _ => &self.max_price,
        }
    }

    fn set(&mut self, key: &str, value: String) {
        match key {
            "q" => self.q = value,
            "category" => self.category = value,
            "minPrice" => self.min_price = value,
            _ => self.max_price = value,
        }
    }

    fn is_empty(&self) -> bool {
        FILTER_KEYS.iter().all(|k| self.get(k).trim().is_empty())
    }

    /// `/marketplace?…` with the non-empty filters: their first page.
    fn href(&self) -> String {
        self.page_href(1)
    }

    /// `/marketplace?…` with the non-empty filters and `page` (left out for the first).
    fn page_href(&self, page: u64) -> String {
        let mut query: Vec<String> = FILTER_KEYS
            .iter()
            .filter(|k| !self.get(k).trim().is_empty())
            .map(|k| format!("{k}={}", Url::escape(self.get(k))))
            .collect();
        if page > 1 {
            query.push(format!("page={page}"));
        }
        if query.is_empty() {
            "/marketplace".to_owned()
        } else {
            format!("/marketplace?{}", query.join("&"))
        }
    }
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

#[component]
pub fn MarketplacePage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        let mut f = Filters::default();
        for key in FILTER_KEYS {
            f.set(key, q.get(key).unwrap_or_default());
        }
        f
    });
    // A page that is not a whole number from 1 reads as the first; one past any list's last
    // page as that (the page then links to the real last one).
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|page| page.trim().parse::<u64>().ok())
            .filter(|&page| page >= 1)
            .map_or(1, |page| page.min(MAX_PAGE))
    });
    let agents = Resource::new(
        move || (filters.get(), page.get()),
        |(f, page)| {
            marketplace_agents(
                opt(&f.q),
                opt(&f.category),
                opt(&f.min_price),
                opt(&f.max_price),
                Some(page),
            )
        },
    );
    let categories = Resource::new(|| (), |_| marketplace_categories());
    // An organisation admin's request dialogs may ask for their team.
    AskableTeam::provide();

    let navigate = use_navigate();
    let apply = move |key: &'static str, value: String| {
        let mut next = filters.get_untracked();
        next.set(key, value);
        navigate(
            &next.href(),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    // Typing in the search box waits a moment before the URL (and the list) follow.
    let pending_search = StoredValue::new(None::<TimeoutHandle>);
    let apply_search = {
        let apply = apply.clone();
        move |value: String| {
            if let Some(handle) = pending_search.get_value() {
                handle.clear();
            }
            let apply = apply.clone();
            let handle = set_timeout_with_handle(
                move || apply("q", value),
                std::time::Duration::from_millis(250),
            )
            .ok();
            pending_search.set_value(handle);
        }
    };
    let apply_category = apply.clone();
    let apply_min = apply.clone();
    let apply_max = apply.clone();

    // The same checks the server makes, so the fields say what is wrong as soon as it is typed.
    let min_error = Signal::derive(move || parse_price(Some(&filters.get().min_price)).err());
    let max_error = Signal::derive(move || {
        let f = filters.get();
        match (
            parse_price(Some(&f.min_price)),
            parse_price(Some(&f.max_price)),
        ) {
            (_, Err(e)) => Some(e),
            (Ok(Some(min)), Ok(Some(max))) if min > max => {
                Some("Must not be below the minimum price.".to_owned())
            }
            _ => None,
        }
    });

    view! {
        <PageIntro title="Marketplace" heading="Agent marketplace"
            lead="Browse AI agents and ask for access to the ones you need."/>
        <form
            class="filters"
            role="search"
            aria-label="Filter agents"
            method="get"
            action="/marketplace"
            data-testid="marketplace-filters"
            on:submit=|ev| ev.prevent_default()
        >
            <div class="field field-search">
                <label for="filter-q">"Search"</label>
                <input
                    id="filter-q"
                    name="q"
                    type="search"
                    placeholder="Name or description"
                    data-testid="marketplace-search"
                    prop:value=move || filters.get().q
                    on:input=move |ev| apply_search(event_target_value(&ev))
                />
            </div>
            <div class="field">
                <label for="filter-category">"Category"</label>
                <Transition fallback=|| view! { <WaitingSelect id="filter-category" name="category" text="All categories"/> }>
                    {move || {
                        let apply_category = apply_category.clone();
                        Suspend::new(async move {
                            let list = categories.await.unwrap_or_default();
                            view! {
                                <select
                                    id="filter-category"
                                    name="category"
                                    data-testid="filter-category"
                                    prop:value=move || filters.get().category
                                    on:change=move |ev| apply_category("category", event_target_value(&ev))
                                >
                                    <option value="">"All categories"</option>
                                    {list.into_iter().map(|c| {
                                        let value = c.clone();
                                        view! {
                                            <option value=c.clone() selected=move || filters.get().category == value>{c.clone()}</option>
                                        }
                                    }).collect_view()}
                                </select>
                            }
                        })
                    }}
                </Transition>
            </div>
            <PriceFilter id="filter-min" key="minPrice" label="Min price (USD)" test_id="filter-min-price"
                value=Signal::derive(move || filters.get().min_price) error=min_error apply=apply_min/>
            <PriceFilter id="filter-max" key="maxPrice" label="Max price (USD)" test_id="filter-max-price"
                value=Signal::derive(move || filters.get().max_price) error=max_error apply=apply_max/>
            <div class="filters-actions" hidden=move || filters.get().is_empty()>
                <a href="/marketplace" class="button button-secondary" data-testid="clear-filters">"Clear filters"</a>
            </div>
        </form>
        <Transition fallback=|| view! { <Loading label="Loading agents…"/> }>
            {move || Suspend::new(async move {
                match agents.await {
                    Err(e) if e.is(ErrorCode::ValidationFailed) => view! {
                        <p class="notice" data-testid="filter-invalid">"Fix the filters above to see agents."</p>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(found) if found.items.is_empty() && found.total > 0 => {
                        let last = filters.get_untracked().page_href(found.pages());
                        view! {
                            <p class="notice" data-testid="marketplace-past-end">
                                "There is no page " {found.page} " of these agents. "
                                <a href=last>"Go to the last page"</a>
                            </p>
                        }.into_any()
                    }
                    Ok(found) if found.items.is_empty() => view! {
                        <EmptyState title="No agents match" test_id="marketplace-empty">
                            <p>"Try another search or fewer filters, or come back when new agents are published."</p>
                            {(!filters.get_untracked().is_empty()).then(|| view! {
                                <p><a href="/marketplace">"Show all agents"</a></p>
                            })}
                        </EmptyState>
                    }.into_any(),
                    Ok(found) => {
                        let count = result_count(&found);
                        let pager = view! {
                            <MarketplacePager filters=filters.get_untracked() page=found.page pages=found.pages()/>
                        };
                        view! {
                            <p class="result-count muted" role="status" data-testid="result-count">{count}</p>
                            <ul class="agent-grid" data-testid="agent-grid">
                                {found.items.into_iter().map(|agent| view! { <AgentCardView agent/> }).collect_view()}
                            </ul>
                            {pager}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// "30 agents", or "30 agents · 25–30 shown" when they take more than one page.
fn result_count<T>(found: &Page<T>) -> String {
    let total = found.total;
    let agents = format!("{total} agent{}", if total == 1 { "" } else { "s" });
    if total <= found.page_size {
        return agents;
    }
    let first = (found.page - 1) * found.page_size + 1;
    format!(
        "{agents} · {first}–{} shown",
        first + found.items.len() as u64 - 1
    )
}

/// Links to the previous and next page of the same filters, with "Page x of y"; nothing when
/// everything fits on one page. Links, so they work before the page is interactive.
#[component]
fn MarketplacePager(filters: Filters, page: u64, pages: u64) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Marketplace pages" data-testid="marketplace-pager">
                {(page > 1).then(|| view! {
                    <a class="button button-secondary button-small" rel="prev" data-testid="pager-previous"
                        href=filters.page_href(page - 1)>"Previous"</a>
                })}
                <span class="muted">{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! {
                    <a class="button button-secondary button-small" rel="next" data-testid="pager-next"
                        href=filters.page_href(page + 1)>"Next"</a>
                })}
            </nav>
        }
    })
}

/// A price bound in US dollars; `key` is its URL parameter and field name, `apply` puts a new
/// value in the URL.
#[component]
fn PriceFilter(
    id: &'static str,
    key: &'static str,
    label: &'static str,
    test_id: &'static str,
    value: Signal<String>,
    error: Signal<Option<String>>,
    apply: impl Fn(&'static str, String) + 'static,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field field-price">
            <label for=id>{label}</label>
            <input
                {..described_by(error, error_id.clone())}
                id=id
                name=key
                type="number"
                min="0"
                step="any"
                inputmode="decimal"
                data-testid=test_id
                prop:value=move || value.get()
                on:change=move |ev| apply(key, event_target_value(&ev))
            />
            <FieldError id=error_id message=error/>
        </div>
    }
}

#[component]
fn AccessButton(
    agent: AgentView,
    access: RwSignal<AgentAccess>,
    on_request: Callback<()>,
) -> impl IntoView {
    let name = agent.name.clone();
    let id = agent.id.clone();
    move || {
        match access.get() {
        AgentAccess::SignedOut => view! {
            <a class="button" href="/login?next=%2Fmarketplace" data-testid="access-button">
                "Sign in to request"<span class="visually-hidden">{format!(" {name}")}</span>
            </a>
        }
        .into_any(),
        AgentAccess::Available => view! {
            <button type="button" class="button" data-testid="access-button" on:click=move |_| on_request.run(())>
                "Request access"<span class="visually-hidden">{format!(" to {name}")}</span>
            </button>
        }
        .into_any(),
        AgentAccess::Pending => view! {
            <span class="button button-static" data-testid="access-button" data-state="pending">
                <span aria-hidden="true">"⏳ "</span>"Pending"<span class="visually-hidden">" review"</span>
            </span>
        }
        .into_any(),
        AgentAccess::Licensed => view! {
            <span class="access-licensed">
                <span class="badge badge-ok" data-testid="access-button" data-state="licensed">"✓ Licensed"</span>
                <a class="button button-secondary" href=format!("/agents/{id}/run") data-testid="run-link">
                    "Run"<span class="visually-hidden">{format!(" {name}")}</span>
                </a>
            </span>
        }
        .into_any(),
    }
    }
}

#[component]
fn AgentCardView(agent: MarketplaceAgent) -> impl IntoView {
    let MarketplaceAgent { agent, access } = agent;
    let access = RwSignal::new(access);
    let details_open = RwSignal::new(false);
    let request_open = RwSignal::new(false);
    let price = agent.price_label();
    let free = agent.price_cents == 0;
    let slug = agent.slug.clone();
    let details_agent = agent.clone();
    let request_agent = agent.clone();
    let button_agent = agent.clone();
    let dialog_button_agent = agent.clone();
    view! {
        <li class="agent-card" data-testid="agent-card" data-slug=slug.clone()>
            <div class="agent-card-head">
                <AgentIcon icon=agent.icon.clone() name=agent.name.clone()/>
                <h2>{agent.name.clone()}</h2>
            </div>
            <p class="agent-summary">{agent.short_description.clone()}</p>
            <div class="badges">
                <span class=if free { "badge badge-ok" } else { "badge badge-price" } data-testid="price-badge">{price.clone()}</span>
                <span class="badge badge-category" data-testid="category-badge">{agent.category.clone()}</span>
            </div>
            <div class="card-actions">
                <button type="button" class="button button-secondary" data-testid="details-toggle" aria-haspopup="dialog"
                    on:click=move |_| details_open.set(true)>
                    "Details"<span class="visually-hidden">{format!(" of {}", agent.name)}</span>
                </button>
                <AccessButton agent=button_agent access on_request=Callback::new(move |_| request_open.set(true))/>
            </div>
            <Dialog open=details_open title=details_agent.name.clone() id=format!("details-{slug}") test_id="agent-details">
                <p class="badges">
                    <span class="badge badge-price">{price.clone()}</span>
                    <span class="badge badge-category">{details_agent.category.clone()}</span>
                </p>
                <p>{details_agent.long_description.clone()}</p>
                {(!details_agent.features.is_empty()).then(|| view! {
                    <h3>"Features"</h3>
                    <ul class="features">
                        {details_agent.features.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view()}
                    </ul>
                })}
                <div class="dialog-actions">
                    <AccessButton
                        agent=dialog_button_agent.clone()
                        access
                        on_request=Callback::new(move |_| {
                            details_open.set(false);
                            request_open.set(true);
                        })
                    />
                </div>
            </Dialog>
            <Dialog open=request_open title=format!("Request access to {}", request_agent.name) id=format!("request-{slug}") test_id="request-dialog">
                <RequestForm agent=request_agent.clone() access open=request_open/>
            </Dialog>
        </li>
    }
}

/// Asks for access to `agent`, with a reason for the reviewer.
#[component]
fn RequestForm(
    agent: AgentView,
    access: RwSignal<AgentAccess>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let (reason, set_reason) = signal(String::new());
    let team = TeamAsk::from_context();
    let request = move || {
        Some(RequestAccess {
            agent_id: agent.id.clone(),
            reason: reason.get_untracked(),
            requested_calls: None,
            for_organization: team.for_organization(),
        })
    };
    let answered = move |answer: &Result<AccessRequestView, AppError>| match answer {
        Ok(_) => access.set(AgentAccess::Pending),
        // A conflict means the state changed elsewhere: show it as it is.
        Err(e) if e.is_conflict(ConflictReason::AlreadyPending) => access.set(AgentAccess::Pending),
        Err(e) if e.is_conflict(ConflictReason::AlreadyLicensed) => {
            access.set(AgentAccess::Licensed)
        }
        Err(_) => {}
    };
    let fields = move |failure: FormFailure| {
        let reason_error = failure.field("requestReason");
        view! {
            <div class="field">
                <label for="request-reason">"Reason" <span class="required" aria-hidden="true">" *"</span></label>
                <textarea
                    id="request-reason"
                    name="reason"
                    rows="4"
                    maxlength="1000"
                    required
                    autofocus
                    data-testid="request-reason"
                    {..described_by(reason_error, "request-reason-hint request-reason-error")}
                    prop:value=reason
                    on:input=move |ev| set_reason.set(event_target_value(&ev))
                ></textarea>
                <p class="hint" id="request-reason-hint">{move || format!("{} / 1000 characters", reason.get().chars().count())}</p>
                <FieldError id="request-reason-error" message=reason_error/>
            </div>
            <TeamChoice ask=team/>
        }
    };
    view! {
        <RequestDialogForm open form_id="request-form" submit_id="request-submit"
            submit_text="Send request" sent_id="request-sent" request answered fields
            lead="Tell the reviewer what you will use it for. You will see the decision under My requests."/>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_link_keeps_the_filters_and_leaves_out_the_first_page() {
        let filters = Filters {
            q: "sales bot".into(),
            category: "Sales".into(),
            ..Filters::default()
        };
        assert_eq!(filters.href(), "/marketplace?q=sales%20bot&category=Sales");
        assert_eq!(
            filters.page_href(3),
            "/marketplace?q=sales%20bot&category=Sales&page=3"
        );
        assert_eq!(Filters::default().page_href(2), "/marketplace?page=2");
        assert_eq!(Filters::default().page_href(1), "/marketplace");
    }

    #[test]
    fn the_count_says_which_agents_a_page_shows_once_there_are_pages() {
        let found = |total: u64, page: u64, shown: usize| Page {
            items: vec![(); shown],
            total,
            page,
            page_size: 24,
        };
        assert_eq!(result_count(&found(1, 1, 1)), "1 agent");
        assert_eq!(result_count(&found(24, 1, 24)), "24 agents");
        assert_eq!(result_count(&found(30, 2, 6)), "30 agents · 25–30 shown");
    }
}
