//! One typed value read from text: numbers against their bounds, enum values, dates.

use serde_json::Value;

use super::spec::{Bounds, Kind, Spec};
use crate::components::json_view::scalar_text;

/// A bound as the user reads it: `7`, not `7.0`.
pub(super) fn fmt_bound(n: f64) -> String {
    scalar_text(&serde_json::json!(n))
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

pub(super) fn read_scalar(spec: &Spec, text: &str) -> Result<Value, String> {
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
pub(super) fn datetime_text(input_type: &str, text: &str) -> String {
    if input_type == "datetime-local" && text.len() == 16 {
        format!("{text}:00Z")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
