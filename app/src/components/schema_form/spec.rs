//! What a schema says about each field, once parsed: the shape the form and the reader share.

use serde_json::Value;

use crate::components::json_view::humanize;

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
