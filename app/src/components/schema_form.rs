//! A form generated from an agent's input JSON Schema (as pydantic writes it): text, long
//! text, numbers with bounds, booleans, enums as selects, lists (one value per line, or
//! repeated groups for lists of objects), nested objects, and JSON for anything free-form.
//!
//! [`parse_schema`] turns the schema into a [`Spec`]; [`Node::new`] makes the editable state;
//! [`collect`] reads it back into the JSON input, with a message per field path
//! (`customers.0.tenure_months`, the same paths the agent service reports).

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::json_view::humanize;
use crate::error::FieldMessage;

/// Deeper schemas are edited as JSON.
const MAX_DEPTH: usize = 6;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub exclusive_min: Option<f64>,
    pub exclusive_max: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Text {
        multiline: bool,
        /// The `<input type>`: text, date, datetime-local, email, url or password.
        input_type: &'static str,
        min_len: Option<u64>,
        max_len: Option<u64>,
    },
    Integer(Bounds),
    Number(Bounds),
    Boolean,
    /// An enum: one of these values.
    Choice(Vec<Value>),
    Object(Vec<Field>),
    /// A list of plain values, typed one per line.
    Lines {
        item: Box<Spec>,
        min_items: Option<u64>,
        max_items: Option<u64>,
    },
    /// A list of objects, edited as repeated groups.
    Records {
        fields: Vec<Field>,
        item_title: String,
        min_items: Option<u64>,
        max_items: Option<u64>,
    },
    /// Anything else (free-form maps, unions), typed as JSON.
    Json {
        array: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub kind: Kind,
    pub title: Option<String>,
    pub description: Option<String>,
    pub default: Option<Value>,
    pub nullable: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub required: bool,
    pub spec: Spec,
}

impl Field {
    pub fn label(&self) -> String {
        self.spec
            .title
            .clone()
            .unwrap_or_else(|| humanize(&self.name))
    }
}

fn resolve<'a>(mut node: &'a Value, root: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
            return node;
        };
        let Some(path) = reference.strip_prefix("#/") else {
            return node;
        };
        let mut target = root;
        for part in path.split('/') {
            match target.get(part.replace("~1", "/").replace("~0", "~")) {
                Some(next) => target = next,
                None => return node,
            }
        }
        node = target;
    }
    node
}

fn is_null_schema(node: &Value, root: &Value) -> bool {
    resolve(node, root).get("type").and_then(Value::as_str) == Some("null")
}

fn text_of(node: &Value, key: &str) -> Option<String> {
    node.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

fn num(node: &Value, key: &str) -> Option<f64> {
    node.get(key).and_then(Value::as_f64)
}

fn count(node: &Value, key: &str) -> Option<u64> {
    node.get(key).and_then(Value::as_u64)
}

fn bounds(node: &Value) -> Bounds {
    Bounds {
        min: num(node, "minimum"),
        max: num(node, "maximum"),
        exclusive_min: num(node, "exclusiveMinimum"),
        exclusive_max: num(node, "exclusiveMaximum"),
    }
}

fn json_kind(node: &Value) -> Kind {
    Kind::Json {
        array: node.get("type").and_then(Value::as_str) == Some("array"),
    }
}

/// The schema as a [`Spec`]. Unknown shapes become JSON fields, never errors.
pub fn parse_schema(schema: &Value) -> Spec {
    parse(schema, schema, 0, "")
}

fn parse(node: &Value, root: &Value, depth: usize, name: &str) -> Spec {
    let node = resolve(node, root);
    let mut spec = Spec {
        kind: json_kind(node),
        title: text_of(node, "title"),
        description: text_of(node, "description"),
        default: node.get("default").cloned(),
        nullable: false,
    };
    if depth > MAX_DEPTH || !node.is_object() {
        return spec;
    }
    // `anyOf: [X, null]` is an optional X; other unions are typed as JSON.
    let union = node
        .get("anyOf")
        .or_else(|| node.get("oneOf"))
        .and_then(Value::as_array)
        .or_else(|| {
            node.get("allOf")
                .and_then(Value::as_array)
                .filter(|a| a.len() == 1)
        });
    if let Some(alternatives) = union {
        let concrete: Vec<&Value> = alternatives
            .iter()
            .filter(|a| !is_null_schema(a, root))
            .collect();
        let nullable = concrete.len() < alternatives.len();
        if let [only] = concrete.as_slice() {
            let inner = parse(only, root, depth + 1, name);
            return Spec {
                kind: inner.kind,
                // A referenced model's title is its class name: the field's own name reads better.
                title: spec.title,
                description: spec.description.or(inner.description),
                default: spec.default.or(inner.default),
                nullable: nullable || inner.nullable,
            };
        }
        spec.nullable = nullable;
        return spec;
    }
    if let Some(options) = node.get("enum").and_then(Value::as_array) {
        spec.kind = Kind::Choice(options.iter().filter(|v| !v.is_null()).cloned().collect());
        spec.nullable = options.iter().any(Value::is_null);
        return spec;
    }
    if let Some(constant) = node.get("const") {
        spec.kind = Kind::Choice(vec![constant.clone()]);
        return spec;
    }
    let ty = match node.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(types)) => {
            spec.nullable = types.iter().any(|t| t == "null");
            let concrete: Vec<&str> = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            match concrete.as_slice() {
                [only] => Some(*only),
                _ => return spec,
            }
        }
        _ if node.get("properties").is_some() => Some("object"),
        _ => None,
    };
    spec.kind = match ty {
        Some("string") => {
            let max_len = count(node, "maxLength");
            let long_name = [
                "text",
                "body",
                "content",
                "message",
                "description",
                "notes",
                "prompt",
            ]
            .iter()
            .any(|hint| name.ends_with(hint));
            let input_type = match node.get("format").and_then(Value::as_str) {
                _ if node.get("writeOnly").and_then(Value::as_bool) == Some(true) => "password",
                Some("date") => "date",
                Some("date-time") => "datetime-local",
                Some("email") => "email",
                Some("uri") => "url",
                Some("password") => "password",
                _ => "text",
            };
            Kind::Text {
                multiline: input_type == "text"
                    && (max_len.is_some_and(|m| m > 1000) || (max_len.is_none() && long_name)),
                input_type,
                min_len: count(node, "minLength"),
                max_len,
            }
        }
        Some("integer") => Kind::Integer(bounds(node)),
        Some("number") => Kind::Number(bounds(node)),
        Some("boolean") => Kind::Boolean,
        Some("array") => {
            let min_items = count(node, "minItems");
            let max_items = count(node, "maxItems");
            match node.get("items") {
                Some(items) => {
                    let item = parse(items, root, depth + 1, name);
                    match item.kind {
                        Kind::Text { .. }
                        | Kind::Integer(_)
                        | Kind::Number(_)
                        | Kind::Choice(_) => Kind::Lines {
                            item: Box::new(item),
                            min_items,
                            max_items,
                        },
                        Kind::Object(fields) => Kind::Records {
                            item_title: item.title.unwrap_or_else(|| "Item".to_owned()),
                            fields,
                            min_items,
                            max_items,
                        },
                        _ => Kind::Json { array: true },
                    }
                }
                None => Kind::Json { array: true },
            }
        }
        Some("object") => {
            let properties = node.get("properties").and_then(Value::as_object);
            match properties {
                Some(props) if !props.is_empty() => {
                    let required: Vec<&str> = node
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    // Required fields first, in the schema's order; then the optional ones.
                    let mut fields: Vec<Field> = required
                        .iter()
                        .filter_map(|r| props.get(*r).map(|p| (*r, p)))
                        .map(|(n, p)| Field {
                            name: n.to_owned(),
                            required: true,
                            spec: parse(p, root, depth + 1, n),
                        })
                        .collect();
                    fields.extend(
                        props
                            .iter()
                            .filter(|(n, _)| !required.contains(&n.as_str()))
                            .map(|(n, p)| Field {
                                name: n.clone(),
                                required: false,
                                spec: parse(p, root, depth + 1, n),
                            }),
                    );
                    Kind::Object(fields)
                }
                _ => Kind::Json { array: false },
            }
        }
        _ => json_kind(node),
    };
    spec
}

/// The editable state of one field, parallel to its [`Spec`].
#[derive(Clone, Debug)]
pub enum Node {
    Text(RwSignal<String>),
    Number(RwSignal<String>),
    Bool(RwSignal<bool>),
    /// The index of the chosen option, or "" for none.
    Choice(RwSignal<String>),
    Object {
        fields: Vec<Node>,
        /// Optional groups start switched off.
        enabled: RwSignal<bool>,
    },
    Lines(RwSignal<String>),
    Records {
        items: RwSignal<Vec<(u64, Vec<Node>)>>,
        next_id: RwSignal<u64>,
    },
    Json(RwSignal<String>),
}

fn default_text(default: &Option<Value>) -> String {
    match default {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn record_nodes(fields: &[Field]) -> Vec<Node> {
    fields
        .iter()
        .map(|f| Node::new(&f.spec, f.required))
        .collect()
}

impl Node {
    pub fn new(spec: &Spec, required: bool) -> Self {
        match &spec.kind {
            Kind::Text { .. } => Node::Text(RwSignal::new(default_text(&spec.default))),
            Kind::Integer(_) | Kind::Number(_) => {
                Node::Number(RwSignal::new(default_text(&spec.default)))
            }
            Kind::Boolean => Node::Bool(RwSignal::new(
                spec.default
                    .as_ref()
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            )),
            Kind::Choice(options) => {
                let index = spec
                    .default
                    .as_ref()
                    .and_then(|d| options.iter().position(|o| o == d))
                    .or((required && !options.is_empty()).then_some(0));
                Node::Choice(RwSignal::new(
                    index.map(|i| i.to_string()).unwrap_or_default(),
                ))
            }
            Kind::Object(fields) => Node::Object {
                fields: record_nodes(fields),
                enabled: RwSignal::new(required || matches!(spec.default, Some(Value::Object(_)))),
            },
            Kind::Lines { .. } => {
                let text = match &spec.default {
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    _ => String::new(),
                };
                Node::Lines(RwSignal::new(text))
            }
            Kind::Records {
                fields, min_items, ..
            } => {
                let start = if required {
                    min_items.unwrap_or(1).clamp(1, 20)
                } else {
                    0
                };
                let items = (0..start).map(|i| (i, record_nodes(fields))).collect();
                Node::Records {
                    items: RwSignal::new(items),
                    next_id: RwSignal::new(start),
                }
            }
            Kind::Json { .. } => {
                let text = match &spec.default {
                    Some(Value::Null) | None => String::new(),
                    Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
                };
                Node::Json(RwSignal::new(text))
            }
        }
    }
}

/// What one field holds once read.
enum Collected {
    Empty,
    Value(Value),
    Invalid,
}

struct Reader {
    errors: Vec<FieldMessage>,
    /// Every path the form shows, so other messages go to the summary.
    paths: Vec<String>,
}

impl Reader {
    fn fail(&mut self, path: &str, message: impl Into<String>) -> Collected {
        self.errors.push(FieldMessage {
            field: path.to_owned(),
            message: message.into(),
        });
        Collected::Invalid
    }
}

fn join(path: &str, part: &str) -> String {
    if path.is_empty() {
        part.to_owned()
    } else {
        format!("{path}.{part}")
    }
}

fn fmt_bound(n: f64) -> String {
    crate::components::json_view::scalar_text(&serde_json::json!(n))
}

fn check_bounds(b: &Bounds, n: f64) -> Option<String> {
    if let Some(min) = b.min.filter(|m| n < *m) {
        return Some(format!("Must be at least {}.", fmt_bound(min)));
    }
    if let Some(max) = b.max.filter(|m| n > *m) {
        return Some(format!("Must be at most {}.", fmt_bound(max)));
    }
    if let Some(min) = b.exclusive_min.filter(|m| n <= *m) {
        return Some(format!("Must be greater than {}.", fmt_bound(min)));
    }
    if let Some(max) = b.exclusive_max.filter(|m| n >= *m) {
        return Some(format!("Must be less than {}.", fmt_bound(max)));
    }
    None
}

/// A number as typed, as JSON: integers must be whole.
fn read_number(text: &str, integer: bool, b: &Bounds) -> Result<Value, String> {
    let text = text.trim();
    let value = if integer {
        let n: i64 = text
            .parse()
            .map_err(|_| "Enter a whole number.".to_owned())?;
        if let Some(message) = check_bounds(b, n as f64) {
            return Err(message);
        }
        Value::from(n)
    } else {
        let n: f64 = text
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
            .ok_or_else(|| "Enter a number.".to_owned())?;
        if let Some(message) = check_bounds(b, n) {
            return Err(message);
        }
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| "Enter a number.".to_owned())?
    };
    Ok(value)
}

fn read_scalar(spec: &Spec, text: &str) -> Result<Value, String> {
    match &spec.kind {
        Kind::Integer(b) => read_number(text, true, b),
        Kind::Number(b) => read_number(text, false, b),
        Kind::Choice(options) => options
            .iter()
            .find(|o| match o {
                Value::String(s) => s == text,
                other => {
                    let rendered = other.to_string();
                    rendered == text
                }
            })
            .cloned()
            .ok_or_else(|| format!("“{text}” is not one of the allowed values.")),
        Kind::Text { input_type, .. } => Ok(Value::String(datetime_text(input_type, text))),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// `datetime-local` gives `2026-11-25T09:30`; the schema wants RFC 3339.
fn datetime_text(input_type: &str, text: &str) -> String {
    if input_type == "datetime-local" && text.len() == 16 {
        format!("{text}:00Z")
    } else {
        text.to_owned()
    }
}

fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn check_items(
    reader: &mut Reader,
    path: &str,
    len: usize,
    min: Option<u64>,
    max: Option<u64>,
) -> bool {
    let len = len as u64;
    if let Some(min) = min.filter(|m| len < *m) {
        reader.fail(
            path,
            format!(
                "Add at least {}.",
                plural(min, "entry").replace("entrys", "entries")
            ),
        );
        return false;
    }
    if let Some(max) = max.filter(|m| len > *m) {
        reader.fail(
            path,
            format!(
                "Use at most {}.",
                plural(max, "entry").replace("entrys", "entries")
            ),
        );
        return false;
    }
    true
}

fn read_fields(reader: &mut Reader, fields: &[Field], nodes: &[Node], path: &str) -> Collected {
    let mut map = Map::new();
    let mut invalid = false;
    for (field, node) in fields.iter().zip(nodes) {
        let field_path = join(path, &field.name);
        match read(reader, &field.spec, node, &field_path) {
            Collected::Value(v) => {
                map.insert(field.name.clone(), v);
            }
            Collected::Empty if field.required => {
                reader.fail(&field_path, "This field is required.");
                invalid = true;
            }
            Collected::Empty => {}
            Collected::Invalid => invalid = true,
        }
    }
    if invalid {
        Collected::Invalid
    } else {
        Collected::Value(Value::Object(map))
    }
}

fn read(reader: &mut Reader, spec: &Spec, node: &Node, path: &str) -> Collected {
    reader.paths.push(path.to_owned());
    match (&spec.kind, node) {
        (
            Kind::Text {
                min_len,
                max_len,
                input_type,
                ..
            },
            Node::Text(value),
        ) => {
            let text = value.get_untracked();
            if text.trim().is_empty() {
                return Collected::Empty;
            }
            let chars = text.chars().count() as u64;
            if let Some(min) = min_len.filter(|m| chars < *m) {
                return reader.fail(path, format!("Use at least {}.", plural(min, "character")));
            }
            if let Some(max) = max_len.filter(|m| chars > *m) {
                return reader.fail(path, format!("Use at most {}.", plural(max, "character")));
            }
            Collected::Value(Value::String(datetime_text(input_type, &text)))
        }
        (Kind::Integer(_) | Kind::Number(_), Node::Number(value)) => {
            let text = value.get_untracked();
            if text.trim().is_empty() {
                return Collected::Empty;
            }
            match read_scalar(spec, &text) {
                Ok(v) => Collected::Value(v),
                Err(message) => reader.fail(path, message),
            }
        }
        (Kind::Boolean, Node::Bool(value)) => Collected::Value(Value::Bool(value.get_untracked())),
        (Kind::Choice(options), Node::Choice(value)) => {
            match value
                .get_untracked()
                .parse::<usize>()
                .ok()
                .and_then(|i| options.get(i))
            {
                Some(v) => Collected::Value(v.clone()),
                None => Collected::Empty,
            }
        }
        (
            Kind::Object(fields),
            Node::Object {
                fields: nodes,
                enabled,
            },
        ) => {
            if !enabled.get_untracked() {
                return Collected::Empty;
            }
            read_fields(reader, fields, nodes, path)
        }
        (
            Kind::Lines {
                item,
                min_items,
                max_items,
            },
            Node::Lines(value),
        ) => {
            let text = value.get_untracked();
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if lines.is_empty() {
                return Collected::Empty;
            }
            let mut values = Vec::with_capacity(lines.len());
            for (i, line) in lines.iter().enumerate() {
                match read_scalar(item, line) {
                    Ok(v) => values.push(v),
                    Err(message) => return reader.fail(path, format!("Line {}: {message}", i + 1)),
                }
            }
            if !check_items(reader, path, values.len(), *min_items, *max_items) {
                return Collected::Invalid;
            }
            Collected::Value(Value::Array(values))
        }
        (
            Kind::Records {
                fields,
                min_items,
                max_items,
                ..
            },
            Node::Records { items, .. },
        ) => {
            let items = items.get_untracked();
            if items.is_empty() {
                return Collected::Empty;
            }
            let mut values = Vec::with_capacity(items.len());
            let mut invalid = false;
            for (index, (_, nodes)) in items.iter().enumerate() {
                match read_fields(reader, fields, nodes, &join(path, &index.to_string())) {
                    Collected::Value(v) => values.push(v),
                    _ => invalid = true,
                }
            }
            if invalid || !check_items(reader, path, values.len(), *min_items, *max_items) {
                return Collected::Invalid;
            }
            Collected::Value(Value::Array(values))
        }
        (Kind::Json { array }, Node::Json(value)) => {
            let text = value.get_untracked();
            if text.trim().is_empty() {
                return Collected::Empty;
            }
            match serde_json::from_str::<Value>(&text) {
                Ok(v) if *array && !v.is_array() => {
                    reader.fail(path, "Enter a JSON list, such as [ … ].")
                }
                Ok(v) => Collected::Value(v),
                Err(e) => reader.fail(path, format!("This is not valid JSON ({e}).")),
            }
        }
        _ => Collected::Empty,
    }
}

/// The form's value as the agent's input, or a message per field.
pub fn collect(spec: &Spec, node: &Node) -> (Result<Value, Vec<FieldMessage>>, Vec<String>) {
    let mut reader = Reader {
        errors: Vec::new(),
        paths: Vec::new(),
    };
    let result = match read(&mut reader, spec, node, "") {
        Collected::Value(v) if reader.errors.is_empty() => Ok(v),
        Collected::Empty => Ok(Value::Object(Map::new())),
        _ => Err(reader.errors),
    };
    (result, reader.paths)
}

/// The state of a generated form: messages by field path.
#[derive(Clone, Copy)]
pub struct FormErrors(pub RwSignal<Vec<FieldMessage>>);

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

fn dom_id(stable: &str) -> String {
    let cleaned: String = stable
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("in-{cleaned}")
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

fn describe(hint_id: &str, error_id: &str, has_hint: bool) -> String {
    if has_hint {
        format!("{hint_id} {error_id}")
    } else {
        error_id.to_owned()
    }
}

fn field_view(
    field: &Field,
    node: &Node,
    path: Signal<String>,
    stable: String,
    errors: FormErrors,
) -> AnyView {
    let id = dom_id(&stable);
    let data_field = stable.clone();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let label = field.label();
    let message = errors.message(path);
    let invalid = move || message.get().is_some().to_string();
    let required = field.required;
    let required_mark = required.then(|| {
        view! { <span class="required" aria-hidden="true">" *"</span> }
    });
    let mut hint = field.spec.description.clone().unwrap_or_default();
    let described_by_base = |has_hint: bool| describe(&hint_id, &error_id, has_hint);
    let error_view = view! { <super::feedback::FieldError id=error_id.clone() message/> };

    match (&field.spec.kind, node) {
        (
            Kind::Text {
                multiline,
                input_type,
                max_len,
                ..
            },
            Node::Text(value),
        ) => {
            let value = *value;
            let has_hint = !hint.is_empty();
            let described = described_by_base(has_hint);
            let control = if *multiline {
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
                        type=*input_type
                        maxlength=max_len.map(|m| m.to_string())
                        autocomplete=if *input_type == "password" { "new-password" } else { "off" }
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
                <div class="field" data-field=data_field>
                    <label for=id>{label}{required_mark}</label>
                    {control}
                    {has_hint.then(|| view! { <p class="hint" id=hint_id>{hint}</p> })}
                    {error_view}
                </div>
            }
            .into_any()
        }
        (Kind::Integer(b) | Kind::Number(b), Node::Number(value)) => {
            let value = *value;
            let integer = matches!(field.spec.kind, Kind::Integer(_));
            let range = match (b.min.or(b.exclusive_min), b.max.or(b.exclusive_max)) {
                (Some(lo), Some(hi)) => format!("From {} to {}.", fmt_bound(lo), fmt_bound(hi)),
                (Some(lo), None) if lo != 0.0 || b.exclusive_min.is_some() => {
                    format!("At least {}.", fmt_bound(lo))
                }
                (None, Some(hi)) => format!("At most {}.", fmt_bound(hi)),
                _ => String::new(),
            };
            if !range.is_empty() {
                hint = if hint.is_empty() {
                    range
                } else {
                    format!("{hint} {range}")
                };
            }
            let has_hint = !hint.is_empty();
            view! {
                <div class="field" data-field=data_field>
                    <label for=id.clone()>{label}{required_mark}</label>
                    <input
                        id=id
                        name=stable
                        type="number"
                        inputmode=if integer { "numeric" } else { "decimal" }
                        step=if integer { "1" } else { "any" }
                        min=b.min.map(fmt_bound)
                        max=b.max.map(fmt_bound)
                        aria-required=required.to_string()
                        aria-invalid=invalid
                        aria-describedby=described_by_base(has_hint)
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                    {has_hint.then(|| view! { <p class="hint" id=hint_id>{hint}</p> })}
                    {error_view}
                </div>
            }
            .into_any()
        }
        (Kind::Boolean, Node::Bool(value)) => {
            let value = *value;
            let has_hint = !hint.is_empty();
            view! {
                <div class="field field-check" data-field=data_field>
                    <input
                        id=id.clone()
                        name=stable
                        type="checkbox"
                        aria-describedby=described_by_base(has_hint)
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
        (Kind::Choice(options), Node::Choice(value)) => {
            let value = *value;
            let has_hint = !hint.is_empty();
            let none = (!required || options.is_empty())
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
            view! {
                <div class="field" data-field=data_field>
                    <label for=id.clone()>{label}{required_mark}</label>
                    <select
                        id=id
                        name=stable
                        aria-required=required.to_string()
                        aria-invalid=invalid
                        aria-describedby=described_by_base(has_hint)
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
        (
            Kind::Object(fields),
            Node::Object {
                fields: nodes,
                enabled,
            },
        ) => {
            let enabled = *enabled;
            let inner = fields
                .iter()
                .zip(nodes.iter())
                .map(|(f, n)| {
                    let name = f.name.clone();
                    let child_path = Signal::derive(move || join(&path.get(), &name));
                    field_view(f, n, child_path, format!("{stable}.{}", f.name), errors)
                })
                .collect_view();
            let toggle_id = format!("{id}-include");
            let toggle = (!required).then(|| {
                view! {
                    <div class="field field-check">
                        <input
                            id=toggle_id.clone()
                            type="checkbox"
                            aria-controls=format!("{id}-group")
                            prop:checked=move || enabled.get()
                            on:change=move |ev| enabled.set(event_target_checked(&ev))
                        />
                        <label for=toggle_id>{format!("Include {}", label.to_lowercase())}</label>
                    </div>
                }
            });
            view! {
                <fieldset class="field-group" data-field=data_field>
                    <legend>{label.clone()}{required_mark}</legend>
                    {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
                    {toggle}
                    <div id=format!("{id}-group") class="field-group-body" hidden=move || !enabled.get()>
                        {inner}
                    </div>
                    {error_view}
                </fieldset>
            }
            .into_any()
        }
        (Kind::Lines { item, .. }, Node::Lines(value)) => {
            let value = *value;
            let what = match item.kind {
                Kind::Integer(_) => "One whole number per line.",
                Kind::Number(_) => "One number per line.",
                Kind::Choice(_) => "One value per line.",
                _ => "One entry per line.",
            };
            hint = if hint.is_empty() {
                what.to_owned()
            } else {
                format!("{hint}. {what}")
            };
            view! {
                <div class="field" data-field=data_field>
                    <label for=id.clone()>{label}{required_mark}</label>
                    <textarea
                        id=id
                        name=stable
                        rows="5"
                        aria-required=required.to_string()
                        aria-invalid=invalid
                        aria-describedby=described_by_base(true)
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    ></textarea>
                    <p class="hint" id=hint_id>{hint}</p>
                    {error_view}
                </div>
            }
            .into_any()
        }
        (
            Kind::Records {
                fields,
                item_title,
                max_items,
                ..
            },
            Node::Records { items, next_id },
        ) => {
            let (items, next_id) = (*items, *next_id);
            let fields_for_add = fields.clone();
            let fields = StoredValue::new(fields.clone());
            let item_title = item_title.clone();
            let add_label = format!("Add {}", item_title.to_lowercase());
            let max_items = *max_items;
            let stable_for_rows = stable.clone();
            let add = move |_| {
                let id = next_id.get_untracked();
                next_id.set(id + 1);
                items.update(|list| list.push((id, record_nodes(&fields_for_add))));
            };
            let title_for_rows = item_title.clone();
            view! {
                <fieldset class="field-group" data-field=data_field>
                    <legend>{label}{required_mark}</legend>
                    {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
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
                                    .map(|(f, n)| {
                                        let name = f.name.clone();
                                        let child = Signal::derive(move || join(&item_path.get(), &name));
                                        field_view(f, n, child, format!("{stable_item}.{}", f.name), errors)
                                    })
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
                    {error_view}
                </fieldset>
            }
            .into_any()
        }
        (Kind::Json { array }, Node::Json(value)) => {
            let value = *value;
            let what = if *array {
                "JSON list, e.g. [{\"name\": \"Ann\"}]."
            } else {
                "JSON object, e.g. {\"key\": \"value\"}."
            };
            hint = if hint.is_empty() {
                what.to_owned()
            } else {
                format!("{hint}. {what}")
            };
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
                        aria-describedby=described_by_base(true)
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    ></textarea>
                    <p class="hint" id=hint_id>{hint}</p>
                    {error_view}
                </div>
            }
            .into_any()
        }
        _ => ().into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn churn_schema() -> Value {
        json!({
            "$defs": {"Customer": {"properties": {
                "customer_id": {"maxLength": 200, "minLength": 1, "type": "string"},
                "tenure_months": {"maximum": 600, "minimum": 0, "type": "integer"},
                "contract": {"enum": ["month-to-month", "one-year"], "type": "string"},
                "auto_pay": {"default": false, "type": "boolean"}
            }, "required": ["customer_id", "tenure_months", "contract"], "type": "object"}},
            "properties": {
                "customers": {"items": {"$ref": "#/$defs/Customer"}, "minItems": 1, "type": "array"},
                "top_factors": {"default": 3, "maximum": 7, "minimum": 1, "type": "integer"},
                "text": {"anyOf": [{"maxLength": 20000, "type": "string"}, {"type": "null"}], "default": null},
                "series": {"items": {"type": "number"}, "type": "array"},
                "fields": {"additionalProperties": {"type": "string"}, "type": "object"}
            },
            "required": ["customers"],
            "type": "object"
        })
    }

    #[test]
    fn refs_unions_lists_and_maps_get_their_widgets() {
        let spec = parse_schema(&churn_schema());
        let Kind::Object(fields) = &spec.kind else {
            panic!("root is an object")
        };
        assert_eq!(fields[0].name, "customers", "required fields come first");
        assert!(matches!(&fields[0].spec.kind, Kind::Records { fields, .. } if fields.len() == 4));
        let by_name = |n: &str| fields.iter().find(|f| f.name == n).unwrap();
        assert!(matches!(
            by_name("text").spec.kind,
            Kind::Text {
                multiline: true,
                ..
            }
        ));
        assert!(by_name("text").spec.nullable);
        assert!(matches!(by_name("series").spec.kind, Kind::Lines { .. }));
        assert!(matches!(
            by_name("fields").spec.kind,
            Kind::Json { array: false }
        ));
        assert!(matches!(
            by_name("top_factors").spec.kind,
            Kind::Integer(Bounds {
                min: Some(_),
                max: Some(_),
                ..
            })
        ));
    }

    #[test]
    fn numbers_are_checked_against_their_bounds() {
        let b = Bounds {
            min: Some(0.0),
            max: Some(7.0),
            ..Default::default()
        };
        assert_eq!(read_number("3", true, &b), Ok(json!(3)));
        assert!(read_number("8", true, &b)
            .unwrap_err()
            .contains("at most 7"));
        assert!(read_number("2.5", true, &b).is_err());
        let open = Bounds {
            exclusive_min: Some(0.5),
            exclusive_max: Some(1.0),
            ..Default::default()
        };
        assert!(read_number("0.5", false, &open).is_err());
        assert_eq!(read_number("0.9", false, &open), Ok(json!(0.9)));
    }

    #[test]
    fn required_fields_and_item_paths_are_reported() {
        let owner = Owner::new();
        owner.with(|| {
            let spec = parse_schema(&churn_schema());
            let node = Node::new(&spec, true);
            let (result, paths) = collect(&spec, &node);
            let errors = result.unwrap_err();
            assert!(errors.iter().any(|e| e.field == "customers.0.customer_id"));
            assert!(errors
                .iter()
                .any(|e| e.field == "customers.0.tenure_months"));
            assert!(paths.contains(&"customers.0.contract".to_owned()));
            // The required enum starts on its first value, so it is not reported.
            assert!(!errors.iter().any(|e| e.field == "customers.0.contract"));
        });
    }

    #[test]
    fn a_filled_form_reads_back_as_the_input() {
        let owner = Owner::new();
        owner.with(|| {
            let spec = parse_schema(&churn_schema());
            let node = Node::new(&spec, true);
            let Node::Object { fields, .. } = &node else {
                panic!()
            };
            let Node::Records { items, .. } = &fields[0] else {
                panic!()
            };
            let record = items.get_untracked()[0].1.clone();
            let (Node::Text(id), Node::Number(tenure)) = (&record[0], &record[1]) else {
                panic!()
            };
            id.set("c-1".into());
            tenure.set("12".into());
            let (result, _) = collect(&spec, &node);
            let input = result.unwrap();
            assert_eq!(input["customers"][0]["customer_id"], "c-1");
            assert_eq!(input["customers"][0]["tenure_months"], 12);
            assert_eq!(input["customers"][0]["contract"], "month-to-month");
            assert_eq!(input["top_factors"], 3);
            assert!(
                input.get("text").is_none(),
                "empty optional fields are left out"
            );
        });
    }
}
