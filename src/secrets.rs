//! Secrets in agent input: a field the agent's input JSON Schema marks as secret
//! (`writeOnly: true` or `format: "password"`, as pydantic's `SecretStr` emits) is replaced by
//! [`MASK`] in what we store, log or show. The agent itself still receives the real value.
//!
//! The walk follows the schema alongside the value: `properties`, `additionalProperties`,
//! `items`/`prefixItems`, `anyOf`/`oneOf`/`allOf` and local `$ref`s (`#/$defs/…`). A secret
//! branch of a union masks whatever value it is given (null stays null: it reveals nothing).

use serde_json::{Map, Value};

/// What a secret reads as once masked.
pub const MASK: &str = "********";

/// How deep the walk may go (nesting and `$ref` hops together). A schema that loops on itself
/// without the value getting deeper ends here, and the value there is masked: when in doubt,
/// hide it.
const MAX_DEPTH: usize = 512;

/// `input` with every value its `schema` marks as secret replaced by [`MASK`].
pub fn mask_secrets(schema: &Value, input: &Value) -> Value {
    let mut masked = input.clone();
    mask(schema, schema, &mut masked, 0);
    masked
}

/// Whether `schema` itself marks its value as secret.
fn is_secret(schema: &Map<String, Value>) -> bool {
    schema.get("writeOnly").and_then(Value::as_bool) == Some(true)
        || schema.get("format").and_then(Value::as_str) == Some("password")
}

/// The schema a local `$ref` points at (`#/$defs/Name`, `#/definitions/Name`, `#`).
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

fn mask(root: &Value, schema: &Value, value: &mut Value, depth: usize) {
    if value.is_null() {
        return;
    }
    let Some(schema) = schema.as_object() else {
        return; // `true`/`false` schemas say nothing about secrets
    };
    if depth > MAX_DEPTH || is_secret(schema) {
        *value = Value::String(MASK.to_owned());
        return;
    }
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| resolve(root, reference))
    {
        mask(root, target, value, depth + 1);
    }
    for union in ["anyOf", "oneOf", "allOf"] {
        for branch in schema
            .get(union)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            mask(root, branch, value, depth + 1);
        }
    }
    match value {
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let others = schema.get("additionalProperties");
            for (name, field) in fields.iter_mut() {
                if let Some(field_schema) = properties.and_then(|p| p.get(name)).or(others) {
                    mask(root, field_schema, field, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            let prefix = schema.get("prefixItems").and_then(Value::as_array);
            let rest = schema.get("items");
            for (index, item) in items.iter_mut().enumerate() {
                if let Some(item_schema) = prefix.and_then(|p| p.get(index)).or(rest) {
                    mask(root, item_schema, item, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The email agent's input schema as pydantic writes it (trimmed): `SecretStr | None`
    /// inside a `$ref`ed model.
    fn email_schema() -> Value {
        json!({
            "$defs": {
                "SmtpSettings": {
                    "type": "object",
                    "properties": {
                        "host": {"type": "string"},
                        "username": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "password": {
                            "anyOf": [
                                {"format": "password", "type": "string", "writeOnly": true},
                                {"type": "null"}
                            ],
                            "default": null
                        }
                    }
                },
                "Recipient": {
                    "type": "object",
                    "properties": {"email": {"type": "string"}}
                }
            },
            "type": "object",
            "properties": {
                "subject_template": {"type": "string"},
                "recipients": {"type": "array", "items": {"$ref": "#/$defs/Recipient"}},
                "smtp": {"anyOf": [{"$ref": "#/$defs/SmtpSettings"}, {"type": "null"}]}
            }
        })
    }

    #[test]
    fn a_secret_behind_a_ref_and_a_union_is_masked_and_the_rest_is_untouched() {
        let input = json!({
            "subject_template": "Hi {{ name }}",
            "recipients": [{"email": "ada@example.com"}],
            "smtp": {"host": "mail.example.com", "username": "ada", "password": "hunter2!"}
        });
        let masked = mask_secrets(&email_schema(), &input);
        assert_eq!(masked["smtp"]["password"], MASK);
        let mut expected = input.clone();
        expected["smtp"]["password"] = json!(MASK);
        assert_eq!(masked, expected, "nothing else changes");
        assert!(!masked.to_string().contains("hunter2"));
    }

    #[test]
    fn an_absent_or_null_secret_stays_as_it_was() {
        let schema = email_schema();
        let without = json!({"subject_template": "Hi", "smtp": {"host": "h"}});
        assert_eq!(mask_secrets(&schema, &without), without);
        let null = json!({"smtp": {"host": "h", "password": null}});
        assert_eq!(mask_secrets(&schema, &null), null);
        let no_smtp = json!({"smtp": null});
        assert_eq!(mask_secrets(&schema, &no_smtp), no_smtp);
    }

    #[test]
    fn secrets_in_arrays_of_objects_and_nested_objects_are_masked() {
        let schema = json!({
            "type": "object",
            "properties": {
                "accounts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "user": {"type": "string"},
                            "token": {"type": "string", "writeOnly": true},
                            "vault": {
                                "type": "object",
                                "properties": {"pin": {"type": "string", "format": "password"}}
                            }
                        }
                    }
                },
                "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string", "writeOnly": true}]},
                "headers": {"type": "object", "additionalProperties": {"type": "string", "writeOnly": true}}
            }
        });
        let input = json!({
            "accounts": [
                {"user": "a", "token": "t-1", "vault": {"pin": "1234"}},
                {"user": "b", "token": "t-2"}
            ],
            "pair": ["visible", "hidden"],
            "headers": {"Authorization": "Bearer x"}
        });
        let masked = mask_secrets(&schema, &input);
        assert_eq!(
            masked,
            json!({
                "accounts": [
                    {"user": "a", "token": MASK, "vault": {"pin": MASK}},
                    {"user": "b", "token": MASK}
                ],
                "pair": ["visible", MASK],
                "headers": {"Authorization": MASK}
            })
        );
    }

    #[test]
    fn a_secret_object_is_masked_whole_and_a_schema_without_secrets_changes_nothing() {
        let schema = json!({
            "type": "object",
            "properties": {"credentials": {"type": "object", "writeOnly": true}}
        });
        let input = json!({"credentials": {"key": "k", "secret": "s"}, "extra": 1});
        assert_eq!(
            mask_secrets(&schema, &input),
            json!({"credentials": MASK, "extra": 1})
        );
        let plain = json!({"type": "object", "properties": {"text": {"type": "string"}}});
        let input = json!({"text": "hello", "n": [1, 2]});
        assert_eq!(mask_secrets(&plain, &input), input);
        assert_eq!(mask_secrets(&json!({}), &input), input);
    }

    #[test]
    fn a_ref_that_loops_on_itself_ends_masked_rather_than_overflowing() {
        let schema = json!({
            "$defs": {"Loop": {"$ref": "#/$defs/Loop"}},
            "type": "object",
            "properties": {"x": {"$ref": "#/$defs/Loop"}, "y": {"type": "string"}}
        });
        let masked = mask_secrets(&schema, &json!({"x": "?", "y": "kept"}));
        assert_eq!(masked, json!({"x": MASK, "y": "kept"}));
    }

    #[test]
    fn a_recursive_model_is_walked_through_its_ref() {
        let schema = json!({
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "secret": {"type": "string", "writeOnly": true},
                        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
                    }
                }
            },
            "$ref": "#/$defs/Node"
        });
        let input = json!({"secret": "a", "children": [{"secret": "b", "children": []}]});
        assert_eq!(
            mask_secrets(&schema, &input),
            json!({"secret": MASK, "children": [{"secret": MASK, "children": []}]})
        );
    }
}
