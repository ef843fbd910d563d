//! Pieces shared by the admin tabs: browser-only data and rendering, badges, outcome notices,
//! and the parts of dialogs (pickers, limit fields, confirmations). The list frame and the
//! filters are in `list.rs`, which builds on this file (never the other way round).

use std::future::Future;

use abetworks_types::enums::{
    AccessRequestStatus, AgentStatus, EffectiveStatus, ExecutionStatus, Severity,
};
use abetworks_types::views::LicenseView;
use abetworks_types::Vocabulary;
use chrono::{DateTime, SecondsFormat, Utc};
use leptos::prelude::*;

use crate::api::admin::licenses::{admin_pick_agents, admin_pick_users};
use crate::components::dialog::Dialog;

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

/// A vocabulary value as words: `agent_rejected_input` → "Agent rejected input".
pub fn words<E: Vocabulary>(value: E) -> String {
    let text = value.as_str().replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// A time for a `<time datetime>` attribute.
pub fn datetime_attr(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A JSON payload indented for reading.
pub fn pretty_json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// How a badge reads at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warn,
    Danger,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Self::Ok => "badge badge-ok",
            Self::Warn => "badge badge-warn",
            Self::Danger => "badge badge-danger",
        }
    }
}

/// A status or severity shown as a badge, with its tone.
pub trait Toned: Vocabulary + Send + Sync {
    fn tone(self) -> Tone;
}

impl Toned for EffectiveStatus {
    fn tone(self) -> Tone {
        match self {
            Self::Active => Tone::Ok,
            Self::Suspended => Tone::Warn,
            Self::Revoked | Self::Expired => Tone::Danger,
        }
    }
}

impl Toned for AccessRequestStatus {
    fn tone(self) -> Tone {
        match self {
            Self::Approved => Tone::Ok,
            Self::Pending => Tone::Warn,
            Self::Rejected => Tone::Danger,
        }
    }
}

impl Toned for ExecutionStatus {
    fn tone(self) -> Tone {
        match self {
            Self::Succeeded => Tone::Ok,
            Self::Pending | Self::Running => Tone::Warn,
            Self::Failed => Tone::Danger,
        }
    }
}

impl Toned for AgentStatus {
    fn tone(self) -> Tone {
        match self {
            Self::Available => Tone::Ok,
            Self::Unavailable => Tone::Danger,
        }
    }
}

impl Toned for Severity {
    fn tone(self) -> Tone {
        match self {
            Self::Low => Tone::Ok,
            Self::Medium => Tone::Warn,
            Self::High | Self::Critical => Tone::Danger,
        }
    }
}

#[component]
pub fn Badge(#[prop(into)] label: String, tone: Tone) -> impl IntoView {
    view! { <span class=tone.class() data-testid="badge">{label}</span> }
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

/// Why a dialog's last attempt failed, if it did.
#[component]
pub fn DialogProblem(problem: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        problem
            .get()
            .map(|m| view! { <p class="error" role="alert" data-testid="dialog-error">{m}</p> })
    }
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

/// A license's limit as text: "Unlimited", or the number.
pub fn limit_text(license: &LicenseView) -> String {
    if license.is_unlimited() {
        "Unlimited".to_owned()
    } else {
        license.api_call_limit.to_string()
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

#[cfg(test)]
mod tests {
    use super::*;
    use abetworks_types::enums::{ErrorKind, Role};

    #[test]
    fn a_vocabulary_value_reads_as_words() {
        assert_eq!(words(ErrorKind::AgentRejectedInput), "Agent rejected input");
        assert_eq!(words(Role::SuperAdmin), "Super admin");
    }

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
