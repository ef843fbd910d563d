//! Typed-in fields: one line or long text, a list typed one value per line, and JSON.

use leptos::prelude::*;

use super::super::spec::Kind;
use super::Chrome;

pub(super) fn text_view(
    chrome: Chrome,
    value: RwSignal<String>,
    multiline: bool,
    input_type: &'static str,
    max_len: Option<u64>,
) -> AnyView {
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
    let control = if multiline {
        view! {
            <textarea
                id=id.clone()
                name=stable.clone()
                rows="5"
                aria-required=required.to_string()
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                name=stable.clone()
                type=input_type
                maxlength=max_len.map(|m| m.to_string())
                autocomplete=if input_type == "password" { "new-password" } else { "off" }
                aria-required=required.to_string()
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
        .into_any()
    };
    view! {
        <div class="field" data-field=stable>
            <label for=id>{label}{required_mark}</label>
            {control}
            {has_hint.then(|| view! { <p class="hint" id=hint_id>{hint}</p> })}
            {error_view}
        </div>
    }
    .into_any()
}

/// A list of plain values: a text area, one value per line.
pub(super) fn lines_view(mut chrome: Chrome, value: RwSignal<String>, item: &Kind) -> AnyView {
    let what = match item {
        Kind::Integer(_) => "One whole number per line.",
        Kind::Number(_) => "One number per line.",
        Kind::Choice(_) => "One value per line.",
        _ => "One entry per line.",
    };
    chrome.extend_hint(". ", what);
    let described = chrome.described_by(true);
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
    view! {
        <div class="field" data-field=data_field>
            <label for=id.clone()>{label}{required_mark}</label>
            <textarea
                id=id
                name=stable
                rows="5"
                aria-required=required.to_string()
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            <p class="hint" id=hint_id>{hint}</p>
            {error_view}
        </div>
    }
    .into_any()
}

/// Anything the form has no widget for (free-form maps, unions): typed as JSON.
pub(super) fn json_view(mut chrome: Chrome, value: RwSignal<String>, array: bool) -> AnyView {
    let what = if array {
        "JSON list, e.g. [{\"name\": \"Ann\"}]."
    } else {
        "JSON object, e.g. {\"key\": \"value\"}."
    };
    chrome.extend_hint(". ", what);
    let described = chrome.described_by(true);
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
    view! {
        <div class="field" data-field=data_field>
            <label for=id.clone()>{label}{required_mark}</label>
            <textarea
                id=id
                name=stable
                class="code"
                rows="6"
                spellcheck="false"
                aria-required=required.to_string()
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            <p class="hint" id=hint_id>{hint}</p>
            {error_view}
        </div>
    }
    .into_any()
}
