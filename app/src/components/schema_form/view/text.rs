//! Typed-in fields: one line or long text, a list typed one value per line, and JSON.

use leptos::prelude::*;

use super::super::spec::Kind;
use super::{text_area, typed_into, Chrome};

pub(super) fn text_view(
    chrome: Chrome,
    value: RwSignal<String>,
    multiline: bool,
    input_type: &'static str,
    max_len: Option<u64>,
) -> AnyView {
    chrome.frame(|wiring| {
        if multiline {
            return text_area(wiring, value, "5", false);
        }
        view! {
            <input
                {..wiring.attributes()}
                {..typed_into(value)}
                type=input_type
                maxlength=max_len.map(|m| m.to_string())
                autocomplete=if input_type == "password" { "new-password" } else { "off" }
            />
        }
        .into_any()
    })
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
    chrome.frame(|wiring| text_area(wiring, value, "5", false))
}

/// Anything the form has no widget for (free-form maps, unions): typed as JSON.
pub(super) fn json_view(mut chrome: Chrome, value: RwSignal<String>, array: bool) -> AnyView {
    let what = if array {
        "JSON list, e.g. [{\"name\": \"Ann\"}]."
    } else {
        "JSON object, e.g. {\"key\": \"value\"}."
    };
    chrome.extend_hint(". ", what);
    chrome.frame(|wiring| text_area(wiring, value, "6", true))
}
