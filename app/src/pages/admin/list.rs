//! The frame every admin list shares: its state (page, outcome, what reloads it), loading,
//! error and empty states around a table (which brings its own wrapper, see `DataTable`), then
//! the pager and sortable headers; and the filters several tabs repeat (agent, date range, a
//! choice of a vocabulary, search). Builds on `common.rs`.

use std::future::Future;

use abetworks_types::{Page, Vocabulary};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::common::{admin_resource, Outcome, OutcomeNotice};
use crate::api::admin::licenses::admin_pick_agents;
use crate::api::admin::DateRange;
use crate::components::badge::words;
use crate::components::feedback::{EmptyState, Loaded};
use crate::components::table::DataTable;
use crate::error::AppError;

/// What every admin list keeps: the page shown, what the last action did (a list with actions
/// says so above its table), and the counters whose every change reloads it (its actions' runs,
/// a timer, …).
#[derive(Clone, Copy)]
pub struct ListState {
    pub page: RwSignal<u64>,
    pub outcome: RwSignal<Option<Outcome>>,
    reloads: StoredValue<Vec<RwSignal<usize>>>,
    has_actions: StoredValue<bool>,
}

impl ListState {
    /// Page 1, nothing done yet.
    pub fn new() -> Self {
        Self {
            page: RwSignal::new(1),
            outcome: RwSignal::new(None),
            reloads: StoredValue::new(Vec::new()),
            has_actions: StoredValue::new(false),
        }
    }

    /// A server action of the list: its every run reloads the list.
    pub fn action<S>(self) -> ServerAction<S>
    where
        S: ServerFn + Clone + Send + Sync + 'static,
        S::Output: Send + Sync + 'static,
        S::Error: Send + Sync + 'static,
    {
        let action = ServerAction::new();
        self.reload_on(action.version());
        self.has_actions.set_value(true);
        action
    }

    /// Reloads the list whenever `counter` changes.
    pub fn reload_on(self, counter: RwSignal<usize>) {
        self.reloads.update_value(|counters| counters.push(counter));
    }

    /// A number that changes whenever the list should reload: read in a resource's source, it
    /// fetches again after each.
    pub fn changes(self) -> usize {
        self.reloads
            .with_value(|counters| counters.iter().map(|c| c.get()).sum())
    }

    /// The list's rows: `fetch(page)`, again whenever the page changes, the list should reload
    /// ([`Self::changes`]) or a signal changes that `fetch` reads before it awaits (the
    /// filters it passes to the server function).
    pub fn rows<T, Fut>(self, fetch: impl Fn(u64) -> Fut + 'static) -> LocalResource<T>
    where
        T: 'static,
        Fut: Future<Output = T> + 'static,
    {
        admin_resource(
            move || (self.page.get(), self.changes()),
            move |(page, _)| fetch(page),
        )
    }
}

impl Default for ListState {
    fn default() -> Self {
        Self::new()
    }
}

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

/// A page of `rows` (the list of `state`), drawn by `table`, then the pager; earlier content
/// stays up while the next page loads. A list with actions says above it what the last one
/// did.
#[component]
pub fn PagedList<P, F, V>(
    rows: LocalResource<Result<P, AppError>>,
    state: ListState,
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
        view! { {table(found)} <Pager page=state.page total pages label/> }.into_any()
    };
    let notice = state
        .has_actions
        .get_value()
        .then(|| view! { <OutcomeNotice outcome=state.outcome/> });
    view! { {notice} <Loaded resource=rows loading ready/> }
}

/// A [`PagedList`] of `Page<T>` in a [`DataTable`], one `row` a row. Rows with `details`
/// bring their own `<tbody>` (the row and its details row); the others share one.
#[component]
pub fn PagedTable<T, F, V>(
    rows: LocalResource<Result<Page<T>, AppError>>,
    state: ListState,
    text: ListText,
    /// The table's `class`, test id, caption and columns, as [`DataTable`] takes them.
    class: &'static str,
    test_id: &'static str,
    caption: &'static str,
    columns: &'static [&'static str],
    #[prop(optional)] details: bool,
    #[prop(optional)] actions: bool,
    row: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let table = move |found: Page<T>| {
        let drawn = found.items.into_iter().map(row.clone()).collect_view();
        let body = if details {
            drawn.into_any()
        } else {
            view! { <tbody>{drawn}</tbody> }.into_any()
        };
        view! {
            <DataTable class test_id caption columns details actions>{body}</DataTable>
        }
    };
    view! { <PagedList rows state text table/> }
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
    dates: RwSignal<DateRange>,
    page: RwSignal<u64>,
) -> impl IntoView {
    let (from_id, to_id) = (format!("{id}-from"), format!("{id}-to"));
    // Sets one end of the range (`end` picks which) and goes back to page 1.
    let set = move |end: fn(&mut DateRange) -> &mut Option<String>, ev: leptos::ev::Event| {
        dates.update(|dates| *end(dates) = Some(event_target_value(&ev)));
        page.set(1);
    };
    view! {
        <div class="field">
            <label for=from_id.clone()>"From"</label>
            <input id=from_id.clone() data-testid=from_id type="date"
                on:change=move |ev| set(|d| &mut d.from, ev)/>
        </div>
        <div class="field">
            <label for=to_id.clone()>"To"</label>
            <input id=to_id.clone() data-testid=to_id type="date"
                on:change=move |ev| set(|d| &mut d.to, ev)/>
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
