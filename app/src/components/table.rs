//! The parts every data table shares: its scrolling wrapper, caption and column headers, and
//! how a moment reads in a cell.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::api::{format_time, iso_time};

/// A data table in its scrolling wrapper: a caption for screen readers, one header per name
/// of `columns`, and `children` as the body (one `<tbody>`, or one per row).
#[component]
pub fn DataTable(
    /// The whole `class`: "data-table stack-on-mobile", "data-table", …
    class: &'static str,
    test_id: &'static str,
    #[prop(optional)] caption: Option<&'static str>,
    columns: &'static [&'static str],
    /// A first column without a visible name, for the rows' expand buttons.
    #[prop(optional)]
    details: bool,
    /// A last column without a visible name, for the rows' buttons.
    #[prop(optional)]
    actions: bool,
    children: Children,
) -> impl IntoView {
    let unnamed = |name: &'static str| {
        view! { <th scope="col"><span class="visually-hidden">{name}</span></th> }
    };
    view! {
        <div class="table-wrap">
            <table class=class data-testid=test_id>
                {caption.map(|text| view! { <caption class="visually-hidden">{text}</caption> })}
                <thead><tr>
                    {details.then(|| unnamed("Details"))}
                    {columns.iter().map(|name| view! { <th scope="col">{*name}</th> }).collect_view()}
                    {actions.then(|| unnamed("Actions"))}
                </tr></thead>
                {children()}
            </table>
        </div>
    }
}

/// A moment as a `<time>`: readable, with its exact value for machines.
#[component]
pub fn Moment(at: DateTime<Utc>) -> impl IntoView {
    view! { <time datetime=iso_time(&at)>{format_time(&at)}</time> }
}
