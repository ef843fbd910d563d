//! The editable state of a generated form: one signal per field, parallel to its [`Spec`].

use leptos::prelude::*;
use serde_json::Value;

use super::spec::{Field, Kind, Spec};

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

pub(super) fn record_nodes(fields: &[Field]) -> Vec<Node> {
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
