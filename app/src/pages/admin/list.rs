//! The frame every admin list shares: loading, error and empty states around a table (which
//! brings its own wrapper, see `DataTable`), then the pager and sortable headers; and the
//! filters several tabs repeat (agent, date range, a choice of a vocabulary, search). Builds on
//! `common.rs`.

use abetworks_types::{Page, Vocabulary};
use leptos::prelude::*;

use super::common::admin_resource;
use crate::api::admin::licenses::admin_pick_agents;
use crate::components::badge::words;
use crate::components::feedback::{EmptyState, Loaded};
use crate::error::AppError;

/// What a list shows while loading and when nothing matches.
pub struct ListText {
    /// "Loading licenses…"
    pub loading: &'static str,
    /// "No licenses match"
    pub empty_title: &'static str,
    /// What to do about an empty list.
    pub empty_hint: &'static str,
    /// `data-testid` of the empty state.
    pub empty_test_id: &'static str,
    /// Names the pager: "Licenses pages".
    pub label: &'static str,
}

/// What a list's server function answers: a page of rows, and for some lists more.
pub trait PagedAnswer: Clone + Send + Sync + 'static {
    type Row;
    fn rows(&self) -> &Page<Self::Row>;
}

impl<T: Clone + Send + Sync + 'static> PagedAnswer for Page<T> {
    type Row = T;
    fn rows(&self) -> &Page<T> {
        self
    }
}

/// A page from `list`, drawn by `table`, then the pager; earlier content stays up while the
/// next page loads.
#[component]
pub fn PagedList<P, F, V>(
    list: LocalResource<Result<P, AppError>>,
    page: RwSignal<u64>,
    text: ListText,
    table: F,
) -> impl IntoView
where
    P: PagedAnswer,
    F: Fn(P) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let ListText {
        loading,
        empty_title,
        empty_hint,
        empty_test_id,
        label,
    } = text;
    let ready = move |found: P| {
        if found.rows().items.is_empty() {
            return view! {
                <EmptyState title=empty_title test_id=empty_test_id>
                    <p>{empty_hint}</p>
                </EmptyState>
            }
            .into_any();
        }
        let (total, pages) = (found.rows().total, found.rows().pages());
        view! { {table(found)} <Pager page total pages label/> }.into_any()
    };
    view! { <Loaded resource=list loading ready/> }
}

/// Previous / next page, with "page x of y".
#[component]
pub fn Pager(
    page: RwSignal<u64>,
    total: u64,
    pages: u64,
    #[prop(into)] label: String,
) -> impl IntoView {
    let current = page.get_untracked();
    view! {
        <nav class="pager" aria-label=format!("{label} pages") data-testid="pager">
            <button
                type="button"
                class="button button-secondary button-small"
                disabled={current <= 1}
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))
            >
                "Previous"
            </button>
            <span class="muted">{format!("Page {current} of {pages} · {total} in all")}</span>
            <button
                type="button"
                class="button button-secondary button-small"
                disabled={current >= pages}
                on:click=move |_| page.update(|p| *p += 1)
            >
                "Next"
            </button>
        </nav>
    }
}

/// A column header that sorts the list by `key`: the first click sorts ascending, the next
/// descending. `sort` holds the list's sort parameter (`key` or `-key`); sorting goes back to
/// page 1.
#[component]
pub fn SortHeader(
    #[prop(into)] label: String,
    key: &'static str,
    sort: RwSignal<String>,
    page: RwSignal<u64>,
) -> impl IntoView {
    let direction = move || {
        sort.with(|s| match s.strip_prefix('-') {
            Some(rest) if rest == key => Some(false),
            None if s == key => Some(true),
            _ => None,
        })
    };
    let aria_sort = move || match direction() {
        Some(true) => "ascending",
        Some(false) => "descending",
        None => "none",
    };
    let arrow = move || match direction() {
        Some(true) => "▲",
        Some(false) => "▼",
        None => "↕",
    };
    let next = move |_| {
        let next = if direction() == Some(true) {
            format!("-{key}")
        } else {
            key.to_owned()
        };
        sort.set(next);
        page.set(1);
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <button type="button" class="sort-button" data-testid=format!("sort-{key}") on:click=next>
                {label}
                <span class="sort-arrow" aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
}

/// Sets a filter and goes back to page 1.
fn set_filter<T: Send + Sync + 'static>(filter: RwSignal<T>, page: RwSignal<u64>, value: T) {
    filter.set(value);
    page.set(1);
}

/// "Agent": every agent of the catalog, or all; starts on `selected`. The whole select waits
/// for the list: suspense markers inside a `<select>` do not survive the HTML parser, and
/// hydration would fail on them.
#[component]
pub fn AgentFilter(
    id: &'static str,
    selected: RwSignal<String>,
    page: RwSignal<u64>,
) -> impl IntoView {
    let agents = admin_resource(|| (), |_| admin_pick_agents(String::new()));
    view! {
        <div class="field">
            <label for=id>"Agent"</label>
            <Suspense fallback=move || view! {
                <select id=id data-testid=id disabled><option>"All agents"</option></select>
            }>
                {move || Suspend::new(async move {
                    let chosen = selected.get_untracked();
                    let options = agents.await.unwrap_or_default().into_iter().map(|a| view! {
                        <option selected=a.id == chosen value=a.id>{a.label}</option>
                    }).collect_view();
                    view! {
                        <select id=id data-testid=id on:change=move |ev| set_filter(selected, page, event_target_value(&ev))>
                            <option value="">"All agents"</option>
                            {options}
                        </select>
                    }
                })}
            </Suspense>
        </div>
    }
}

/// "From" and "To" dates, each inclusive.
#[component]
pub fn DateRangeFilter(
    id: &'static str,
    from: RwSignal<String>,
    to: RwSignal<String>,
    page: RwSignal<u64>,
) -> impl IntoView {
    let (from_id, to_id) = (format!("{id}-from"), format!("{id}-to"));
    view! {
        <div class="field">
            <label for=from_id.clone()>"From"</label>
            <input id=from_id.clone() data-testid=from_id type="date"
                on:change=move |ev| set_filter(from, page, event_target_value(&ev))/>
        </div>
        <div class="field">
            <label for=to_id.clone()>"To"</label>
            <input id=to_id.clone() data-testid=to_id type="date"
                on:change=move |ev| set_filter(to, page, event_target_value(&ev))/>
        </div>
    }
}

/// A select of every value of `E`, or any (`None`).
#[component]
pub fn VocabularyFilter<E>(
    id: &'static str,
    label: &'static str,
    /// The first option's text, meaning "no filter".
    any: &'static str,
    selected: RwSignal<Option<E>>,
    page: RwSignal<u64>,
) -> impl IntoView
where
    E: Vocabulary + Send + Sync + 'static,
{
    let choose = move |ev| {
        let text = event_target_value(&ev);
        let value = E::parse_optional(id, Some(&text)).ok().flatten();
        set_filter(selected, page, value);
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id data-testid=id on:change=choose>
                <option value="">{any}</option>
                {E::all().iter().map(|value| view! {
                    <option value=value.as_str()>{words(*value)}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// A filter's value as the server function takes it: its wire text, or nothing.
pub fn filter_text<E: Vocabulary>(value: Option<E>) -> Option<String> {
    value.map(|v| v.as_str().to_owned())
}

/// A search box that applies on Enter or "Search", with any other fields the form holds.
#[component]
pub fn SearchFilters(
    id: &'static str,
    label: &'static str,
    query: RwSignal<String>,
    page: RwSignal<u64>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let draft = RwSignal::new(query.get_untracked());
    view! {
        <form class="filters admin-filters" role="search" on:submit=move |ev| {
            ev.prevent_default();
            set_filter(query, page, draft.get_untracked());
        }>
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="search" data-testid=id bind:value=draft/>
            </div>
            {children.map(|c| c())}
            <div class="filters-actions">
                <button type="submit" class="button button-secondary">"Search"</button>
            </div>
        </form>
    }
}

/// The ▸/▾ button that shows and hides a row's details row (`controls` is its id).
#[component]
pub fn ExpandButton(
    #[prop(into)] expanded: Signal<bool>,
    on_toggle: impl Fn() + Send + Sync + 'static,
    controls: String,
    label: String,
    test_id: &'static str,
) -> impl IntoView {
    view! {
        <button type="button" class="button button-secondary button-small" data-testid=test_id
            aria-expanded=move || expanded.get().to_string() aria-controls=controls
            on:click=move |_| on_toggle()>
            <span aria-hidden="true">{move || if expanded.get() { "▾" } else { "▸" }}</span>
            <span class="visually-hidden">{label}</span>
        </button>
    }
}
