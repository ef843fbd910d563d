//! Pieces shared by the admin tabs: browser-only data and rendering, badges, outcome notices,
//! and the fields of dialogs (pickers, limits). The list frame and the filters are in
//! `list.rs`, the dialog frames in `dialogs.rs`; both build on this file (never the other way
//! round).

use std::future::Future;

use abetworks_types::views::LicenseView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::api::admin::licenses::{admin_pick_agents, admin_pick_users};
use crate::components::badge::{self, Tone, Toned};
use crate::components::feedback::{described_by, FieldError};
use crate::error::AppError;

/// Data for the admin tabs, fetched in the browser only: `fetch(source())`, again whenever a
/// signal `source` reads changes. Not from the server's render: the tabs sit behind the
/// asynchronous role check, which the server may run more than once; resources made there get
/// different ids than the browser's, and hydration then read another resource's value.
pub fn admin_resource<S, T, Fut>(
    source: impl Fn() -> S + 'static,
    fetch: impl Fn(S) -> Fut + 'static,
) -> LocalResource<T>
where
    T: 'static,
    Fut: Future<Output = T> + 'static,
{
    LocalResource::new(move || fetch(source()))
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

/// A JSON payload indented for reading.
pub fn pretty_json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// A labelled block of text kept as it is (a payload, a stack trace), scrollable by keyboard.
#[component]
pub fn CodeBlock(
    title: &'static str,
    #[prop(into)] text: String,
    #[prop(optional)] test_id: Option<&'static str>,
) -> impl IntoView {
    view! { <h3 class="small">{title}</h3><pre class="code-block" tabindex="0" data-testid=test_id>{text}</pre> }
}

/// A badge of the admin tabs (test id `badge`).
#[component]
pub fn Badge(#[prop(into)] label: String, tone: Tone) -> impl IntoView {
    view! { <badge::Badge label tone test_id="badge"/> }
}

/// A status or severity as its badge ("suspended", "agent failed", …).
#[component]
pub fn StatusBadge<T: Toned + 'static>(status: T) -> impl IntoView {
    view! { <Badge label=status.as_str().replace('_', " ") tone=status.tone()/> }
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

/// A server function an admin tab runs from a dialog or a button: it fails with an
/// [`AppError`], and what it answers is kept (and reported) in signals.
pub trait AdminAction:
    ServerFn<Error = AppError, Output: Clone + Send + Sync + 'static> + Clone + Send + Sync + 'static
{
}

impl<S> AdminAction for S where
    S: ServerFn<Error = AppError, Output: Clone + Send + Sync + 'static>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// After each run of `action`: `settle()` (closes what it came from), then `outcome` says
/// what `done` makes of the result, or why it failed.
pub fn report_outcome<S: AdminAction>(
    action: ServerAction<S>,
    outcome: RwSignal<Option<Outcome>>,
    settle: impl Fn() + 'static,
    done: impl Fn(S::Output) -> String + 'static,
) {
    Effect::new(move |_| {
        let Some(result) = action.value().get() else {
            return;
        };
        settle();
        outcome.set(Some(match result {
            Ok(value) => Outcome::Done(done(value)),
            Err(e) => Outcome::Failed(e.display_message()),
        }));
    });
}

/// What a [`Picker`] chooses from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerKind {
    Users,
    Agents,
}

/// A searchable picker: a search box and a list of the matches to choose from.
#[component]
pub fn Picker(
    kind: PickerKind,
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    selected: RwSignal<String>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let options = admin_resource(
        move || search.get(),
        move |q| async move {
            match kind {
                PickerKind::Users => admin_pick_users(q).await,
                PickerKind::Agents => admin_pick_agents(q).await,
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

/// What a call limit's fields hold: a number, or the "Unlimited" switch.
#[derive(Clone, Copy)]
pub struct LimitInput {
    pub limit: RwSignal<String>,
    pub unlimited: RwSignal<bool>,
}

impl LimitInput {
    pub fn new(limit: &str) -> Self {
        Self {
            limit: RwSignal::new(limit.to_owned()),
            unlimited: RwSignal::new(false),
        }
    }

    /// Shows the limit of `license`.
    pub fn fill(self, license: &LicenseView) {
        self.unlimited.set(license.is_unlimited());
        self.limit.set(if license.is_unlimited() {
            String::new()
        } else {
            license.api_call_limit.to_string()
        });
    }

    /// The limit typed in (-1: unlimited), or what is wrong with it.
    pub fn read(self) -> Result<i64, String> {
        parse_limit(&self.limit.get_untracked(), self.unlimited.get_untracked())
    }
}

/// A call limit with an "Unlimited" switch (-1). `error` is the server's message about the
/// limit, if any; `label` replaces "Call limit".
#[component]
pub fn LimitField(
    #[prop(into)] id: String,
    input: LimitInput,
    #[prop(optional)] error: Option<Signal<Option<String>>>,
    #[prop(optional)] label: Option<&'static str>,
) -> impl IntoView {
    let LimitInput { limit, unlimited } = input;
    let switch_id = format!("{id}-unlimited");
    let error_id = format!("{id}-error");
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    view! {
        <div class="field">
            <label for=id.clone()>{label.unwrap_or("Call limit")}</label>
            <input
                id=id.clone()
                data-testid=id.clone()
                type="number"
                min="0"
                step="1"
                inputmode="numeric"
                {..described_by(error, error_id.clone())}
                prop:value=move || limit.get()
                on:input=move |ev| limit.set(event_target_value(&ev))
                disabled=move || unlimited.get()
            />
            <FieldError id=error_id message=error/>
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

/// A license's limit as text: "Unlimited", or the number.
pub fn limit_text(license: &LicenseView) -> String {
    if license.is_unlimited() {
        "Unlimited".to_owned()
    } else {
        license.api_call_limit.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_a_count_of_zero_or_more_or_unlimited() {
        assert_eq!(parse_limit(" 42 ", false), Ok(42));
        assert_eq!(parse_limit("anything", true), Ok(-1));
        assert!(parse_limit("-3", false).is_err());
        assert!(parse_limit("", false).is_err());
    }

    #[test]
    fn json_payloads_are_indented() {
        let value = serde_json::json!({ "label": "positive" });
        assert_eq!(pretty_json(&value), "{\n  \"label\": \"positive\"\n}");
    }
}
