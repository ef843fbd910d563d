//! The generated form's markup: the shell ([`SchemaFields`]), the parts every field shares
//! ([`Chrome`]) and one view per field kind.

mod choice;
mod group;
mod number;
mod text;

use leptos::attr::Attribute;
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

/// What a control takes from its field: its id and name, and the aria wiring to the label,
/// the hint and the message.
struct Wiring {
    id: String,
    name: String,
    /// `aria-required`.
    required: String,
    /// `aria-describedby`: the hint, if shown, and the message.
    described_by: String,
    message: Signal<Option<String>>,
}

impl Wiring {
    /// The id, the name and the aria attributes, spread onto a control that can be invalid:
    /// `<input {..wiring.attributes()} …/>`.
    fn attributes(self) -> impl Attribute {
        let message = self.message;
        view! {
            <{..}
                id=self.id
                name=self.name
                aria-required=self.required
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=self.described_by
            />
        }
    }
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

    fn wiring(&self) -> Wiring {
        let described_by = if self.hint.is_empty() {
            self.error_id.clone()
        } else {
            format!("{} {}", self.hint_id, self.error_id)
        };
        Wiring {
            id: self.id.clone(),
            name: self.stable.clone(),
            required: self.required.to_string(),
            described_by,
            message: self.message,
        }
    }

    fn required_mark(&self) -> Option<impl IntoView> {
        self.required.then(|| {
            view! { <span class="required" aria-hidden="true">" *"</span> }
        })
    }

    /// The hint, with an id for `aria-describedby` when `linked`.
    fn hint_view(&self, linked: bool) -> Option<impl IntoView> {
        let id = linked.then(|| self.hint_id.clone());
        let hint = self.hint.clone();
        (!hint.is_empty()).then(|| view! { <p class="hint" id=id>{hint}</p> })
    }

    fn error_view(&self) -> impl IntoView {
        view! { <FieldError id=self.error_id.clone() message=self.message/> }
    }

    /// A field of one control: its label (marked when required), the control `control` draws
    /// from the wiring, the hint and the message.
    fn frame(self, control: impl FnOnce(Wiring) -> AnyView) -> AnyView {
        let label =
            view! { <label for=self.id.clone()>{self.label.clone()}{self.required_mark()}</label> };
        let (hint, error) = (self.hint_view(true), self.error_view());
        view! {
            <div class="field" data-field=self.stable.clone()>
                {label}
                {control(self.wiring())}
                {hint}
                {error}
            </div>
        }
        .into_any()
    }

    /// A checkbox field: the box, then its label, the hint and the message.
    fn check_frame(self, control: impl FnOnce(Wiring) -> AnyView) -> AnyView {
        let (hint, error) = (self.hint_view(true), self.error_view());
        view! {
            <div class="field field-check" data-field=self.stable.clone()>
                {control(self.wiring())}
                <label for=self.id>{self.label}</label>
                {hint}
                {error}
            </div>
        }
        .into_any()
    }

    /// A group of fields: a legend (marked when required), the hint, the `body` and the
    /// message.
    fn group_frame(self, body: AnyView) -> AnyView {
        let legend = view! { <legend>{self.label.clone()}{self.required_mark()}</legend> };
        let (hint, error) = (self.hint_view(false), self.error_view());
        view! {
            <fieldset class="field-group" data-field=self.stable>
                {legend}
                {hint}
                {body}
                {error}
            </fieldset>
        }
        .into_any()
    }
}

/// Keeps a typed-in control and `value` the same, to spread onto it.
fn typed_into(value: RwSignal<String>) -> impl Attribute {
    view! {
        <{..}
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        />
    }
}

/// A text area bound to `value`, for text and lists, or for JSON (`code`).
fn text_area(wiring: Wiring, value: RwSignal<String>, rows: &'static str, code: bool) -> AnyView {
    let attributes = wiring.attributes();
    if code {
        view! { <textarea {..attributes} {..typed_into(value)} class="code" rows=rows spellcheck="false"></textarea> }
            .into_any()
    } else {
        view! { <textarea {..attributes} {..typed_into(value)} rows=rows></textarea> }.into_any()
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

#[cfg(test)]
mod tests {
    use leptos::tachys::view::RenderHtml;
    use serde_json::json;

    use super::super::parse::parse_schema;
    use super::*;

    #[test]
    fn a_field_is_labelled_and_wired_to_its_hint_and_message() {
        Owner::new().with(|| {
            let schema = json!({
                "properties": {"age": {"type": "integer", "minimum": 1, "description": "Years."}},
                "required": ["age"],
                "type": "object"
            });
            let spec = parse_schema(&schema);
            let node = Node::new(&spec, true);
            let errors = FormErrors(RwSignal::new(vec![FieldIssue::new("age", "Too young.")]));
            // Without the hydration markers (`<!>`), which depend on how the view was compiled.
            let html = view! { <SchemaFields spec node errors/> }
                .to_html()
                .replace("<!>", "");
            for part in [
                r#"<label for="in-age">Age"#,
                r#"<span aria-hidden="true" class="required"> *</span>"#,
                r#"<input id="in-age" name="age" aria-required="true" aria-invalid="true" aria-describedby="in-age-hint in-age-error" type="number""#,
                r#"<p id="in-age-hint" class="hint">Years. At least 1.</p>"#,
                r#"<p id="in-age-error" class="field-error">Too young.</p>"#,
            ] {
                assert!(html.contains(part), "{part} is missing from {html}");
            }
        });
    }
}
