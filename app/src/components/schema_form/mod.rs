//! A form generated from an agent's input JSON Schema (as pydantic writes it): text, long
//! text, numbers with bounds, booleans, enums as selects, lists (one value per line, or
//! repeated groups for lists of objects), nested objects, and JSON for anything free-form.
//!
//! [`parse_schema`] turns the schema into a [`Spec`]; [`Node::new`] makes the editable state;
//! [`collect`] reads it back into the JSON input, with a message per field path
//! (`customers.0.tenure_months`, the same paths the agent service reports);
//! [`SchemaFields`] shows it.

mod collect;
mod node;
mod parse;
mod scalar;
mod spec;
mod view;

pub use collect::collect;
pub use node::Node;
pub use parse::parse_schema;
pub use spec::{Bounds, Field, Kind, Spec};
pub use view::{FormErrors, SchemaFields};

/// A field's path below `path`: `customers` + `0` is `customers.0`.
fn join(path: &str, part: &str) -> String {
    if path.is_empty() {
        part.to_owned()
    } else {
        format!("{path}.{part}")
    }
}

/// The schema the tests share: a pydantic churn model with refs, unions, lists and maps.
#[cfg(test)]
mod fixtures;
