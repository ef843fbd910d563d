//! A small JSON Schema checker for the subset the OpenAPI document uses (type, properties,
//! required, items, enum, const, $ref, oneOf/anyOf/allOf, additionalProperties, nullable
//! types), so the test can check real answers against the document without a
//! network-fetching validator.
//!
//! Stricter than JSON Schema's default on one point: an object schema that lists
//! `properties` is closed, so an answer carrying a property the document does not name is a
//! violation (unless `additionalProperties` says otherwise). A part of an `allOf` only
//! describes some of the properties (that is how a flattened type is written), so its own
//! list does not close it; the `allOf` as a whole is closed by the union of its parts' lists.

use serde_json::{Map, Value};

/// Every way `value` breaks `schema` (empty when it conforms), with JSON-pointer-like paths.
pub fn violations(document: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    check(document, schema, value, "", Closed::Yes, &mut found);
    found
}

/// Whether an object schema's `properties` list every property allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Closed {
    Yes,
    /// Inside an `allOf`: the siblings describe the rest.
    ByTheWhole,
}

fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    document.pointer(reference.strip_prefix('#')?)
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// The property names an `allOf` part allows, following `$ref`s and nested `allOf`s; `None`
/// when the part leaves the object open (no list, or `additionalProperties` allowing more).
fn allowed_names(document: &Value, schema: &Value, depth: usize) -> Option<Vec<String>> {
    let schema = schema.as_object()?;
    if depth > 32 {
        return None;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return allowed_names(document, resolve(document, reference)?, depth + 1);
    }
    if matches!(
        schema.get("additionalProperties"),
        Some(Value::Bool(true) | Value::Object(_))
    ) {
        return None;
    }
    let mut names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    match schema.get("allOf").and_then(Value::as_array) {
        Some(parts) => {
            for part in parts {
                names.extend(allowed_names(document, part, depth + 1)?);
            }
        }
        None if !schema.contains_key("properties") => return None,
        None => {}
    }
    Some(names)
}

fn check(
    document: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    closed: Closed,
    found: &mut Vec<String>,
) {
    let Some(schema) = schema.as_object() else {
        return; // `true` / `{}`-like schemas accept anything
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        match resolve(document, reference) {
            Some(target) => check(document, target, value, at, closed, found),
            None => found.push(format!("{at}: unresolved {reference}")),
        }
        return;
    }
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
        let fits = names.is_empty()
            || names.iter().any(|n| type_matches(n, value))
            || (nullable && value.is_null());
        if !fits {
            found.push(format!("{at}: expected {names:?}, got {value}"));
            return;
        }
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        if !choices.contains(value) {
            found.push(format!("{at}: {value} is not one of {choices:?}"));
        }
    }
    if let Some(constant) = schema.get("const") {
        if constant != value {
            found.push(format!("{at}: {value} is not {constant}"));
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        if let (Closed::Yes, Some(object)) = (closed, value.as_object()) {
            if let Some(names) = allowed_names(document, &Value::Object(schema.clone()), 0) {
                undocumented(object, |name| names.iter().any(|n| n == name), at, found);
            }
        }
        for part in all {
            check(document, part, value, at, Closed::ByTheWhole, found);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits = options.iter().any(|option| {
                let mut inner = Vec::new();
                check(document, option, value, at, closed, &mut inner);
                inner.is_empty()
            });
            if !fits {
                found.push(format!("{at}: {value} fits none of the {key} options"));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(
                document,
                items,
                item,
                &format!("{at}/{i}"),
                Closed::Yes,
                found,
            );
        }
    }
    if let Some(object) = value.as_object() {
        check_object(document, schema, object, at, closed, found);
    }
}

fn check_object(
    document: &Value,
    schema: &Map<String, Value>,
    object: &Map<String, Value>,
    at: &str,
    closed: Closed,
    found: &mut Vec<String>,
) {
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                found.push(format!("{at}: missing required `{name}`"));
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, field) in object {
        let inner = format!("{at}/{name}");
        match properties.and_then(|p| p.get(name)) {
            Some(field_schema) => check(document, field_schema, field, &inner, Closed::Yes, found),
            None => match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    found.push(format!("{at}: undocumented property `{name}`"))
                }
                Some(extra @ Value::Object(_)) => {
                    check(document, extra, field, &inner, Closed::Yes, found)
                }
                // Listed properties close the object, unless an allOf's sibling may list it
                // (the allOf as a whole is checked above) or the schema names none at all.
                None if properties.is_some()
                    && closed == Closed::Yes
                    && !schema.contains_key("allOf") =>
                {
                    found.push(format!("{at}: undocumented property `{name}`"))
                }
                _ => {}
            },
        }
    }
}

fn undocumented(
    object: &Map<String, Value>,
    allowed: impl Fn(&str) -> bool,
    at: &str,
    found: &mut Vec<String>,
) {
    for name in object.keys().filter(|name| !allowed(name)) {
        found.push(format!("{at}: undocumented property `{name}`"));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn document() -> serde_json::Value {
        json!({"components": {"schemas": {
            "AgentView": {"type": "object", "required": ["id"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
            "MarketplaceAgent": {"allOf": [
                {"$ref": "#/components/schemas/AgentView"},
                {"type": "object", "required": ["access"],
                    "properties": {"access": {"type": "string", "enum": ["available"]}}}
            ]},
            "Loose": {"type": "object"}
        }}})
    }

    #[test]
    fn a_property_the_schema_does_not_list_is_a_violation() {
        let doc = document();
        let schema = json!({"$ref": "#/components/schemas/AgentView"});
        assert!(super::violations(&doc, &schema, &json!({"id": "a", "name": "b"})).is_empty());
        let found = super::violations(&doc, &schema, &json!({"id": "a", "secret": 1}));
        assert_eq!(found, vec![": undocumented property `secret`"]);
    }

    #[test]
    fn a_flattened_type_passes_and_stays_closed_as_a_whole() {
        let doc = document();
        let schema = json!({"$ref": "#/components/schemas/MarketplaceAgent"});
        let agent = json!({"id": "a", "name": "b", "access": "available"});
        assert!(super::violations(&doc, &schema, &agent).is_empty());
        let extra = json!({"id": "a", "access": "available", "price": 3});
        assert_eq!(
            super::violations(&doc, &schema, &extra),
            vec![": undocumented property `price`"]
        );
        assert!(!super::violations(&doc, &schema, &json!({"id": "a"})).is_empty());
    }

    #[test]
    fn nested_lists_and_open_objects_are_checked_as_written() {
        let doc = document();
        let schema = json!({"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/AgentView"}},
            "context": {"$ref": "#/components/schemas/Loose"}
        }});
        let ok = json!({"items": [{"id": "a"}], "context": {"anything": true}});
        assert!(super::violations(&doc, &schema, &ok).is_empty());
        let bad = json!({"items": [{"id": 1}]});
        assert_eq!(
            super::violations(&doc, &schema, &bad),
            vec!["/items/0/id: expected [\"string\"], got 1"]
        );
    }
}
