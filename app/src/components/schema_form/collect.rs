//! Form state → the agent's JSON input, with a message per field path the agent service
//! would report (`customers.0.tenure_months`). Empty optional fields are left out.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::join;
use super::node::Node;
use super::scalar::{datetime_text, read_scalar};
use super::spec::{Field, Kind, Spec};
use crate::error::FieldIssue;

/// The form's value as the agent's input, or a message per field.
pub fn collect(spec: &Spec, node: &Node) -> (Result<Value, Vec<FieldIssue>>, Vec<String>) {
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

/// What one field holds once read.
enum Collected {
    Empty,
    Value(Value),
    Invalid,
}

struct Reader {
    errors: Vec<FieldIssue>,
    /// Every path the form shows, so other messages go to the summary.
    paths: Vec<String>,
}

impl Reader {
    fn fail(&mut self, path: &str, message: impl Into<String>) -> Collected {
        self.errors.push(FieldIssue::new(path, message));
        Collected::Invalid
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
        ) => read_lines(
            reader,
            item,
            &value.get_untracked(),
            path,
            *min_items,
            *max_items,
        ),
        (
            Kind::Records {
                fields,
                min_items,
                max_items,
                ..
            },
            Node::Records { items, .. },
        ) => {
            let records: Vec<Vec<Node>> = items
                .get_untracked()
                .into_iter()
                .map(|(_, nodes)| nodes)
                .collect();
            read_records(reader, fields, &records, path, *min_items, *max_items)
        }
        (Kind::Json { array }, Node::Json(value)) => {
            read_json(reader, &value.get_untracked(), *array, path)
        }
        _ => Collected::Empty,
    }
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

/// One value per non-blank line; the first bad line is reported.
fn read_lines(
    reader: &mut Reader,
    item: &Spec,
    text: &str,
    path: &str,
    min_items: Option<u64>,
    max_items: Option<u64>,
) -> Collected {
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
    if !check_items(reader, path, values.len(), min_items, max_items) {
        return Collected::Invalid;
    }
    Collected::Value(Value::Array(values))
}

/// Each group is read at its position (`customers.0`), so every bad field is reported.
fn read_records(
    reader: &mut Reader,
    fields: &[Field],
    records: &[Vec<Node>],
    path: &str,
    min_items: Option<u64>,
    max_items: Option<u64>,
) -> Collected {
    if records.is_empty() {
        return Collected::Empty;
    }
    let mut values = Vec::with_capacity(records.len());
    let mut invalid = false;
    for (index, nodes) in records.iter().enumerate() {
        match read_fields(reader, fields, nodes, &join(path, &index.to_string())) {
            Collected::Value(v) => values.push(v),
            _ => invalid = true,
        }
    }
    if invalid || !check_items(reader, path, values.len(), min_items, max_items) {
        return Collected::Invalid;
    }
    Collected::Value(Value::Array(values))
}

fn read_json(reader: &mut Reader, text: &str, array: bool, path: &str) -> Collected {
    if text.trim().is_empty() {
        return Collected::Empty;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) if array && !v.is_array() => reader.fail(path, "Enter a JSON list, such as [ … ]."),
        Ok(v) => Collected::Value(v),
        Err(e) => reader.fail(path, format!("This is not valid JSON ({e}).")),
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
    let entries = |n: u64| plural(n, "entry").replace("entrys", "entries");
    let message = if let Some(min) = min.filter(|m| len < *m) {
        format!("Add at least {}.", entries(min))
    } else if let Some(max) = max.filter(|m| len > *m) {
        format!("Use at most {}.", entries(max))
    } else {
        return true;
    };
    reader.fail(path, message);
    false
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::churn_schema;
    use super::super::parse::parse_schema;
    use super::*;

    /// Runs `check` on a fresh form of the churn schema, inside a reactive owner.
    fn with_churn_form(check: impl FnOnce(&Spec, &Node)) {
        Owner::new().with(|| {
            let spec = parse_schema(&churn_schema());
            let node = Node::new(&spec, true);
            check(&spec, &node);
        });
    }

    #[test]
    fn required_fields_and_item_paths_are_reported() {
        with_churn_form(|spec, node| {
            let (result, paths) = collect(spec, node);
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
        with_churn_form(|spec, node| {
            let Node::Object { fields, .. } = node else {
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
            let (result, _) = collect(spec, node);
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
