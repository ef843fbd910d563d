//! JSON Schema → [`Spec`]: follows `$ref`s, reads `anyOf: [X, null]` as an optional X, and
//! picks a widget per type. Unknown shapes become JSON fields, never errors.

use serde_json::Value;

use super::spec::{Bounds, Field, Kind, Spec};

/// Deeper schemas are edited as JSON.
const MAX_DEPTH: usize = 6;

/// Field names that usually hold prose, so get a text area when no length says otherwise.
const LONG_TEXT_NAMES: [&str; 7] = [
    "text",
    "body",
    "content",
    "message",
    "description",
    "notes",
    "prompt",
];

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
        Some("string") => string_kind(node, name),
        Some("integer") => Kind::Integer(bounds(node)),
        Some("number") => Kind::Number(bounds(node)),
        Some("boolean") => Kind::Boolean,
        Some("array") => array_kind(node, root, depth, name),
        Some("object") => object_kind(node, root, depth),
        _ => json_kind(node),
    };
    spec
}

fn string_kind(node: &Value, name: &str) -> Kind {
    let max_len = count(node, "maxLength");
    let long_name = LONG_TEXT_NAMES.iter().any(|hint| name.ends_with(hint));
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

/// Lists of plain values are typed one per line, lists of objects as repeated groups.
fn array_kind(node: &Value, root: &Value, depth: usize, name: &str) -> Kind {
    let min_items = count(node, "minItems");
    let max_items = count(node, "maxItems");
    let Some(items) = node.get("items") else {
        return Kind::Json { array: true };
    };
    let item = parse(items, root, depth + 1, name);
    match item.kind {
        Kind::Text { .. } | Kind::Integer(_) | Kind::Number(_) | Kind::Choice(_) => Kind::Lines {
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

/// An object with properties is a group of fields; a free-form map is typed as JSON.
fn object_kind(node: &Value, root: &Value, depth: usize) -> Kind {
    let props = match node.get("properties").and_then(Value::as_object) {
        Some(props) if !props.is_empty() => props,
        _ => return Kind::Json { array: false },
    };
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

/// Follows local `$ref`s (`#/$defs/Customer`); a reference it cannot follow stays as is.
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::churn_schema;
    use super::*;

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
}
