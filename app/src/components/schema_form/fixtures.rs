use serde_json::{json, Value};

pub fn churn_schema() -> Value {
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
