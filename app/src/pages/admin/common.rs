//! Pieces shared by the admin tabs: pager, sortable headers, badges, pickers, outcome notices.

use leptos::prelude::*;

use super::list::admin_resource;
use crate::api::admin::{admin_pick_agents, admin_pick_users};
use crate::components::dialog::Dialog;
use crate::error::AppError;

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
                disabled=current <= 1
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))
            >
                "Previous"
            </button>
            <span class="muted">{format!("Page {current} of {pages} · {total} in all")}</span>
            <button
                type="button"
                class="button button-secondary button-small"
                disabled=current >= pages
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

/// The badge class for a status or severity word.
pub fn badge_class(word: &str) -> &'static str {
    match word {
        "active" | "approved" | "succeeded" | "available" | "published" | "resolved" | "low" => {
            "badge badge-ok"
        }
        "pending" | "suspended" | "running" | "medium" | "draft" => "badge badge-warn",
        "revoked" | "rejected" | "failed" | "expired" | "high" | "critical" | "unavailable"
        | "disabled" => "badge badge-danger",
        _ => "badge",
    }
}

#[component]
pub fn Badge(#[prop(into)] word: String) -> impl IntoView {
    let class = badge_class(&word);
    let label = word.replace('_', " ");
    view! { <span class=class data-testid="badge">{label}</span> }
}

/// What the last action did (or why it failed), announced politely.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Done(String),
    Failed(String),
}

#[component]
pub fn OutcomeNotice(outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    view! {
        <div role="status" aria-live="polite" class="admin-outcome">
            {move || outcome.get().map(|o| match o {
                Outcome::Done(text) => view! {
                    <p class="notice notice-ok" data-testid="admin-notice">{text}</p>
                }.into_any(),
                Outcome::Failed(text) => view! {
                    <p class="error" data-testid="admin-notice-error">{text}</p>
                }.into_any(),
            })}
        </div>
    }
}

/// Shows the error of a dialog's last attempt, if any.
pub fn error_text(error: Option<AppError>) -> impl IntoView {
    error.map(|e| view! { <p class="error" role="alert" data-testid="dialog-error">{e.display_message()}</p> })
}

/// A searchable picker: a search box and a list of the matches to choose from.
#[component]
pub fn Picker(
    /// `users` or `agents`.
    kind: &'static str,
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    selected: RwSignal<String>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let options = admin_resource(
        move || search.get(),
        move |q| async move {
            if kind == "users" {
                admin_pick_users(q).await
            } else {
                admin_pick_agents(q).await
            }
        },
    );
    let search_id = format!("{id}-search");
    let search_label = format!("Search {}", label.to_lowercase());
    let select_id = id.clone();
    view! {
        <div class="field picker">
            <label for=search_id.clone()>{search_label}</label>
            <input
                id=search_id.clone()
                type="search"
                autocomplete="off"
                data-testid=search_id
                prop:value=move || search.get()
                on:input=move |ev| {
                    search.set(event_target_value(&ev));
                    selected.set(String::new());
                }
            />
            <label for=select_id.clone()>{label.clone()}</label>
            <Transition fallback=|| view! { <p class="muted">"Searching…"</p> }>
                {move || {
                    let select_id = select_id.clone();
                    Suspend::new(async move {
                        match options.await {
                            Err(e) => view! { <p class="error">{e.display_message()}</p> }.into_any(),
                            Ok(list) => view! {
                                <select
                                    id=select_id.clone()
                                    data-testid=select_id
                                    on:change=move |ev| selected.set(event_target_value(&ev))
                                >
                                    <option value="" selected=move || selected.get().is_empty()>
                                        {if list.is_empty() { "No matches" } else { "Choose…" }}
                                    </option>
                                    {list.into_iter().map(|o| {
                                        let value = o.id.clone();
                                        let is = move || selected.get() == value;
                                        view! {
                                            <option value=o.id.clone() selected=is>
                                                {format!("{} — {}", o.label, o.detail)}
                                            </option>
                                        }
                                    }).collect_view()}
                                </select>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
}

/// A call limit with an "Unlimited" switch (-1).
#[component]
pub fn LimitField(
    #[prop(into)] id: String,
    limit: RwSignal<String>,
    unlimited: RwSignal<bool>,
) -> impl IntoView {
    let switch_id = format!("{id}-unlimited");
    view! {
        <div class="field">
            <label for=id.clone()>"Call limit"</label>
            <input
                id=id.clone()
                data-testid=id.clone()
                type="number"
                min="0"
                step="1"
                inputmode="numeric"
                prop:value=move || limit.get()
                on:input=move |ev| limit.set(event_target_value(&ev))
                disabled=move || unlimited.get()
            />
        </div>
        <div class="field field-check">
            <input
                id=switch_id.clone()
                data-testid=switch_id.clone()
                type="checkbox"
                role="switch"
                prop:checked=move || unlimited.get()
                on:change=move |ev| unlimited.set(event_target_checked(&ev))
            />
            <label for=switch_id>"Unlimited"</label>
        </div>
    }
}

/// The limit the fields describe: -1 when unlimited, else the number (or a message).
pub fn parse_limit(limit: &str, unlimited: bool) -> Result<i64, String> {
    if unlimited {
        return Ok(-1);
    }
    limit
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| "Enter a call limit of 0 or more, or switch on Unlimited.".to_owned())
}

/// A limit as text: "Unlimited" for -1.
pub fn limit_text(limit: i64) -> String {
    if limit < 0 {
        "Unlimited".to_owned()
    } else {
        limit.to_string()
    }
}

/// `Some(text)` unless blank.
pub fn non_blank(text: String) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Renders its children in the browser only, after hydration. The dialogs go through this:
/// nothing of them is needed in the server's HTML, and their browser-only state must never be
/// created (and dropped on another thread) during server rendering.
#[component]
pub fn ClientOnly(children: ChildrenFn, #[prop(optional, into)] fallback: ViewFn) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || {
        if mounted.get() {
            children().into_any()
        } else {
            fallback.run().into_any()
        }
    }
}

/// A yes/no question about `subject` (set while the dialog is open), drawn in the browser
/// only like every admin dialog. `describe` says what will happen; `on_confirm` does it.
#[component]
pub fn ConfirmDialog<T>(
    open: RwSignal<bool>,
    subject: RwSignal<Option<T>>,
    title: &'static str,
    /// The dialog's id and test id; the confirm button's test id is `{stem}-confirm`.
    id: &'static str,
    stem: &'static str,
    describe: impl Fn(&T) -> String + Send + Sync + 'static,
    keep: &'static str,
    confirm: &'static str,
    #[prop(into)] pending: Signal<bool>,
    on_confirm: impl Fn(T) + Send + Sync + 'static,
    /// The confirm button is red unless the action is not destructive.
    #[prop(optional)]
    not_destructive: bool,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    // Stored, so the view's nested closures copy a handle instead of moving the functions.
    let describe = StoredValue::new(describe);
    let on_confirm = StoredValue::new(on_confirm);
    let class = if not_destructive {
        "button"
    } else {
        "button button-danger"
    };
    view! {
        <ClientOnly>
        <Dialog open title=title id=id test_id=id>
            <p>{move || subject.with(|s| s.as_ref().map(|s| describe.with_value(|d| d(s))))}</p>
            <div class="dialog-actions">
                <button type="button" class="button button-secondary" on:click=move |_| open.set(false)>{keep}</button>
                <button type="button" class=class data-testid=format!("{stem}-confirm") disabled=move || pending.get()
                    on:click=move |_| { if let Some(s) = subject.get_untracked() { on_confirm.with_value(|f| f(s)); } }>
                    {confirm}
                </button>
            </div>
        </Dialog>
        </ClientOnly>
    }
}
