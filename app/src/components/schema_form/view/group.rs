//! Groups of fields: a nested object (optional ones behind an "Include" switch) and a list
//! of objects as repeated records with add and remove buttons.

use leptos::prelude::*;

use super::super::join;
use super::super::node::{record_nodes, Node};
use super::super::spec::Field;
use super::{child_view, Chrome};

pub(super) fn object_view(
    chrome: Chrome,
    fields: &[Field],
    nodes: &[Node],
    enabled: RwSignal<bool>,
) -> AnyView {
    let id = &chrome.id;
    let inner = fields
        .iter()
        .zip(nodes.iter())
        .map(|(field, node)| child_view(field, node, chrome.path, &chrome.stable, chrome.errors))
        .collect_view();
    let toggle_id = format!("{id}-include");
    let toggle = (!chrome.required).then(|| {
        view! {
            <div class="field field-check">
                <input
                    id=toggle_id.clone()
                    type="checkbox"
                    aria-controls=format!("{id}-group")
                    prop:checked=move || enabled.get()
                    on:change=move |ev| enabled.set(event_target_checked(&ev))
                />
                <label for=toggle_id>{format!("Include {}", chrome.label.to_lowercase())}</label>
            </div>
        }
    });
    let body = view! {
        {toggle}
        <div id=format!("{id}-group") class="field-group-body" hidden=move || !enabled.get()>
            {inner}
        </div>
    }
    .into_any();
    chrome.group_frame(body)
}

/// Records are keyed by a stable id (their controls' names), and numbered by position
/// (their paths), so removing one renumbers the rest without rebuilding them.
pub(super) fn records_view(
    chrome: Chrome,
    fields: &[Field],
    item_title: &str,
    max_items: Option<u64>,
    items: RwSignal<Vec<(u64, Vec<Node>)>>,
    next_id: RwSignal<u64>,
) -> AnyView {
    let (path, errors) = (chrome.path, chrome.errors);
    let fields_for_add = fields.to_vec();
    let fields = StoredValue::new(fields.to_vec());
    let add_label = format!("Add {}", item_title.to_lowercase());
    let stable_for_rows = chrome.stable.clone();
    let add = move |_| {
        let id = next_id.get_untracked();
        next_id.set(id + 1);
        items.update(|list| list.push((id, record_nodes(&fields_for_add))));
    };
    let title_for_rows = item_title.to_owned();
    let body = view! {
        <For
                each=move || items.get()
                key=|(id, _)| *id
                children=move |(item_id, nodes)| {
                    let index = Signal::derive(move || {
                        items.with(|list| list.iter().position(|(i, _)| *i == item_id).unwrap_or(0))
                    });
                    let item_path = Signal::derive(move || join(&path.get(), &index.get().to_string()));
                    let stable_item = format!("{stable_for_rows}.{item_id}");
                    let title = title_for_rows.clone();
                    let heading = move || format!("{} {}", title, index.get() + 1);
                    let inner = fields.with_value(|fields| {
                        fields
                            .iter()
                            .zip(nodes.iter())
                            .map(|(field, node)| child_view(field, node, item_path, &stable_item, errors))
                            .collect_view()
                    });
                    view! {
                        <fieldset class="record" data-testid="record">
                            <legend>{heading.clone()}</legend>
                            {inner}
                            <button
                                type="button"
                                class="button button-secondary button-small"
                                on:click=move |_| items.update(|list| list.retain(|(i, _)| *i != item_id))
                            >
                                "Remove "<span class="visually-hidden">{heading}</span>
                            </button>
                        </fieldset>
                    }
                }
            />
            <button
                type="button"
                class="button button-secondary button-small"
                disabled=move || max_items.is_some_and(|m| items.with(|l| l.len() as u64 >= m))
                on:click=add
            >
                {add_label}
            </button>
    }
    .into_any();
    chrome.group_frame(body)
}
