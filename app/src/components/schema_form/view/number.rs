//! Integer and number fields: the range goes into the hint and the browser's own checks.

use leptos::prelude::*;

use super::super::scalar::fmt_bound;
use super::super::spec::Bounds;
use super::Chrome;

pub(super) fn number_view(
    mut chrome: Chrome,
    value: RwSignal<String>,
    bounds: &Bounds,
    integer: bool,
) -> AnyView {
    chrome.extend_hint(" ", &range_hint(bounds));
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
    view! {
        <div class="field" data-field=data_field>
            <label for=id.clone()>{label}{required_mark}</label>
            <input
                id=id
                name=stable
                type="number"
                inputmode=if integer { "numeric" } else { "decimal" }
                step=if integer { "1" } else { "any" }
                min=bounds.min.map(fmt_bound)
                max=bounds.max.map(fmt_bound)
                aria-required=required.to_string()
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {has_hint.then(|| view! { <p class="hint" id=hint_id>{hint}</p> })}
            {error_view}
        </div>
    }
    .into_any()
}

/// "From 1 to 7.", "At least 1.", "At most 7." — a lower bound of 0 goes without saying.
fn range_hint(b: &Bounds) -> String {
    match (b.min.or(b.exclusive_min), b.max.or(b.exclusive_max)) {
        (Some(lo), Some(hi)) => format!("From {} to {}.", fmt_bound(lo), fmt_bound(hi)),
        (Some(lo), None) if lo != 0.0 || b.exclusive_min.is_some() => {
            format!("At least {}.", fmt_bound(lo))
        }
        (None, Some(hi)) => format!("At most {}.", fmt_bound(hi)),
        _ => String::new(),
    }
}
