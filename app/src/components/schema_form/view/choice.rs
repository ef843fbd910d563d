//! Fields with fixed answers: a checkbox for booleans, a select for enums.

use leptos::prelude::*;
use serde_json::Value;

use super::Chrome;

pub(super) fn boolean_view(chrome: Chrome, value: RwSignal<bool>) -> AnyView {
    let has_hint = chrome.has_hint();
    let described = chrome.described_by(has_hint);
    let error_view = chrome.error_view();
    let Chrome {
        id,
        stable,
        hint_id,
        label,
        hint,
        ..
    } = chrome;
    let data_field = stable.clone();
    view! {
        <div class="field field-check" data-field=data_field>
            <input
                id=id.clone()
                name=stable
                type="checkbox"
                aria-describedby=described
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))
            />
            <label for=id>{label}</label>
            {has_hint.then(|| view! { <p class="hint" id=hint_id>{hint}</p> })}
            {error_view}
        </div>
    }
    .into_any()
}

/// An enum: the select's values are option indexes, so any JSON value can be an option.
pub(super) fn select_view(chrome: Chrome, value: RwSignal<String>, options: &[Value]) -> AnyView {
    let has_hint = chrome.has_hint();
    let described = chrome.described_by(has_hint);
    let invalid = chrome.invalid();
    let required_mark = chrome.required_mark();
    let error_view = chrome.error_view();
    let Chrome {
        id,
        stable,
        hint_id,
        label,
        required,
        hint,
        ..
    } = chrome;
    let data_field = stable.clone();
    let none =
        (!required || options.is_empty()).then(|| view! { <option value="">"— None —"</option> });
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
    view! {
        <div class="field" data-field=data_field>
            <label for=id.clone()>{label}{required_mark}</label>
            <select
                id=id
                name=stable
                aria-required=required.to_string()
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {none}
                {opts}
            </select>
            {has_hint.then(|| view! { <p class="hint" id=hint_id>{hint}</p> })}
            {error_view}
        </div>
    }
    .into_any()
}
