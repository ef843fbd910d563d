//! Fields with fixed answers: a checkbox for booleans, a select for enums.

use leptos::prelude::*;
use serde_json::Value;

use super::Chrome;

pub(super) fn boolean_view(chrome: Chrome, value: RwSignal<bool>) -> AnyView {
    chrome.check_frame(|wiring| {
        view! {
            <input
                id=wiring.id
                name=wiring.name
                type="checkbox"
                aria-describedby=wiring.described_by
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))
            />
        }
        .into_any()
    })
}

/// An enum: the select's values are option indexes, so any JSON value can be an option.
pub(super) fn select_view(chrome: Chrome, value: RwSignal<String>, options: &[Value]) -> AnyView {
    let none = (!chrome.required || options.is_empty())
        .then(|| view! { <option value="">"— None —"</option> });
    let opts = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let text = match o {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let index = i.to_string();
            let selected_index = index.clone();
            view! { <option value=index selected=move || value.get() == selected_index>{text}</option> }
        })
        .collect_view();
    chrome.frame(|wiring| {
        view! {
            <select
                {..wiring.attributes()}
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {none}
                {opts}
            </select>
        }
        .into_any()
    })
}
