//! The generated form's markup: the shell ([`SchemaFields`]), the parts every field shares
//! ([`Chrome`]) and one view per field kind.

mod choice;
mod group;
mod number;
mod text;

use leptos::prelude::*;

use super::node::Node;
use super::spec::{Field, Kind, Spec};
use crate::components::feedback::FieldError;
use crate::error::FieldIssue;

/// The state of a generated form: messages by field path.
#[derive(Clone, Copy)]
pub struct FormErrors(pub RwSignal<Vec<FieldIssue>>);

impl FormErrors {
    fn message(self, path: Signal<String>) -> Signal<Option<String>> {
        Signal::derive(move || {
            let path = path.get();
            self.0.with(|errors| {
                errors
                    .iter()
                    .find(|e| e.field == path)
                    .map(|e| e.message.clone())
            })
        })
    }
}

/// The generated form's fields (the `<form>` and its button belong to the caller).
#[component]
pub fn SchemaFields(spec: Spec, node: Node, errors: FormErrors) -> impl IntoView {
    match (&spec.kind, &node) {
        (Kind::Object(fields), Node::Object { fields: nodes, .. }) => fields
            .iter()
            .zip(nodes.iter())
            .map(|(field, node)| {
                let name = field.name.clone();
                field_view(
                    field,
                    node,
                    Signal::derive(move || name.clone()),
                    field.name.clone(),
                    errors,
                )
            })
            .collect_view()
            .into_any(),
        _ => view! { <p class="muted">"This agent takes no settings."</p> }.into_any(),
    }
}

/// One field's markup, by kind. `path` is where the agent reports it (`customers.0.name`,
/// by position); `stable` names its controls and keeps them while records move (by record id).
fn field_view(
    field: &Field,
    node: &Node,
    path: Signal<String>,
    stable: String,
    errors: FormErrors,
) -> AnyView {
    let chrome = Chrome::new(field, path, stable, errors);
    match (&field.spec.kind, node) {
        (
            Kind::Text {
                multiline,
                input_type,
                max_len,
                ..
            },
            Node::Text(value),
        ) => text::text_view(chrome, *value, *multiline, input_type, *max_len),
        (Kind::Integer(bounds), Node::Number(value)) => {
            number::number_view(chrome, *value, bounds, true)
        }
        (Kind::Number(bounds), Node::Number(value)) => {
            number::number_view(chrome, *value, bounds, false)
        }
        (Kind::Boolean, Node::Bool(value)) => choice::boolean_view(chrome, *value),
        (Kind::Choice(options), Node::Choice(value)) => {
            choice::select_view(chrome, *value, options)
        }
        (
            Kind::Object(fields),
            Node::Object {
                fields: nodes,
                enabled,
            },
        ) => group::object_view(chrome, fields, nodes, *enabled),
        (Kind::Lines { item, .. }, Node::Lines(value)) => {
            text::lines_view(chrome, *value, &item.kind)
        }
        (
            Kind::Records {
                fields,
                item_title,
                max_items,
                ..
            },
            Node::Records { items, next_id },
        ) => group::records_view(chrome, fields, item_title, *max_items, *items, *next_id),
        (Kind::Json { array }, Node::Json(value)) => text::json_view(chrome, *value, *array),
        _ => ().into_any(),
    }
}

/// What every field's markup shares: where it sits, its ids, label, hint and message.
struct Chrome {
    path: Signal<String>,
    /// Names the controls (`name`, `data-field`) and derives the ids.
    stable: String,
    errors: FormErrors,
    id: String,
    hint_id: String,
    error_id: String,
    label: String,
    required: bool,
    /// The schema's description, plus what the widget adds (ranges, list format).
    hint: String,
    message: Signal<Option<String>>,
}

impl Chrome {
    fn new(field: &Field, path: Signal<String>, stable: String, errors: FormErrors) -> Self {
        let id = dom_id(&stable);
        Self {
            path,
            hint_id: format!("{id}-hint"),
            error_id: format!("{id}-error"),
            id,
            stable,
            errors,
            label: field.label(),
            required: field.required,
            hint: field.spec.description.clone().unwrap_or_default(),
            message: errors.message(path),
        }
    }

    /// Adds `extra` after the description, `separator` between them.
    fn extend_hint(&mut self, separator: &str, extra: &str) {
        if extra.is_empty() {
            return;
        }
        self.hint = if self.hint.is_empty() {
            extra.to_owned()
        } else {
            format!("{}{separator}{extra}", self.hint)
        };
    }

    fn has_hint(&self) -> bool {
        !self.hint.is_empty()
    }

    /// `aria-invalid`.
    fn invalid(&self) -> impl Fn() -> String + Copy + Send + Sync + 'static {
        let message = self.message;
        move || message.get().is_some().to_string()
    }

    /// `aria-describedby`: the hint, if shown, and the error.
    fn described_by(&self, has_hint: bool) -> String {
        if has_hint {
            format!("{} {}", self.hint_id, self.error_id)
        } else {
            self.error_id.clone()
        }
    }

    fn required_mark(&self) -> Option<impl IntoView> {
        self.required.then(|| {
            view! { <span class="required" aria-hidden="true">" *"</span> }
        })
    }

    fn error_view(&self) -> impl IntoView {
        view! { <FieldError id=self.error_id.clone() message=self.message/> }
    }
}

/// A field inside a group: its path below `parent_path`, its name below `parent_stable`.
fn child_view(
    field: &Field,
    node: &Node,
    parent_path: Signal<String>,
    parent_stable: &str,
    errors: FormErrors,
) -> AnyView {
    let name = field.name.clone();
    let path = Signal::derive(move || super::join(&parent_path.get(), &name));
    field_view(
        field,
        node,
        path,
        format!("{parent_stable}.{}", field.name),
        errors,
    )
}

fn dom_id(stable: &str) -> String {
    let cleaned: String = stable
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("in-{cleaned}")
}
