//! Integer and number fields: the range goes into the hint and the browser's own checks.

use leptos::prelude::*;

use super::super::scalar::fmt_bound;
use super::super::spec::Bounds;
use super::{typed_into, Chrome};

pub(super) fn number_view(
    mut chrome: Chrome,
    value: RwSignal<String>,
    bounds: &Bounds,
    integer: bool,
) -> AnyView {
    chrome.extend_hint(" ", &range_hint(bounds));
    let (min, max) = (bounds.min.map(fmt_bound), bounds.max.map(fmt_bound));
    chrome.frame(|wiring| {
        view! {
            <input
                {..wiring.attributes()}
                {..typed_into(value)}
                type="number"
                inputmode=if integer { "numeric" } else { "decimal" }
                step=if integer { "1" } else { "any" }
                min=min
                max=max
            />
        }
        .into_any()
    })
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
