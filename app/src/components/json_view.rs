//! Renders an agent's JSON output readably: objects as labelled fields, lists of records as
//! tables, plain values formatted. The raw JSON stays one click away.

use leptos::prelude::*;
use serde_json::{Map, Value};

/// Most rows shown in one table; the raw JSON has the rest.
const MAX_ROWS: usize = 200;
/// Most columns in one table.
const MAX_COLUMNS: usize = 12;

/// `churn_probability` → "Churn probability", `fitScore` → "Fit score".
pub fn humanize(key: &str) -> String {
    let mut words = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.chars() {
        if c == '_' || c == '-' {
            words.push(' ');
            prev_lower = false;
        } else if c.is_uppercase() && prev_lower {
            words.push(' ');
            words.extend(c.to_lowercase());
            prev_lower = false;
        } else {
            words.push(c);
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    let trimmed = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => key.to_owned(),
    }
}

/// A plain value as text: numbers without noise, booleans as Yes/No, null as a dash.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            (None, Some(f)) => {
                let text = format!("{f:.4}");
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// The columns of a list of records: keys in first-seen order.
fn columns(rows: &[Value]) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for row in rows.iter().take(MAX_ROWS) {
        if let Value::Object(map) = row {
            for key in map.keys() {
                if !cols.contains(key) {
                    cols.push(key.clone());
                }
            }
        }
    }
    // Keys keep no order of their own here: identifiers first, then text, numbers, nested data.
    let first = rows.iter().find_map(|r| r.as_object());
    let rank = |key: &str| -> u8 {
        let lower = key.to_ascii_lowercase();
        if ["index", "id", "name", "email", "date", "step", "row"].contains(&lower.as_str())
            || lower.ends_with("_id")
            || lower.ends_with("id") && lower.len() <= 4
        {
            return 0;
        }
        match first.and_then(|m| m.get(key)) {
            Some(Value::String(_)) => 1,
            Some(Value::Array(_) | Value::Object(_)) => 3,
            _ => 2,
        }
    };
    cols.sort_by_key(|c| rank(c));
    cols.truncate(MAX_COLUMNS);
    cols
}

fn cell(value: &Value) -> AnyView {
    match value {
        Value::Array(items) if items.iter().all(is_scalar) => items
            .iter()
            .map(scalar_text)
            .collect::<Vec<_>>()
            .join(", ")
            .into_any(),
        Value::Array(_) | Value::Object(_) => view! {
            <details class="cell-details">
                <summary>"Show"</summary>
                {value_view(value.clone(), 1)}
            </details>
        }
        .into_any(),
        other => scalar_text(other).into_any(),
    }
}

fn table(rows: Vec<Value>) -> AnyView {
    let cols = columns(&rows);
    let total = rows.len();
    let shown: Vec<Map<String, Value>> = rows
        .into_iter()
        .take(MAX_ROWS)
        .filter_map(|r| match r {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .collect();
    let header = cols
        .iter()
        .map(|c| view! { <th scope="col">{humanize(c)}</th> })
        .collect_view();
    let body = shown
        .into_iter()
        .map(|row| {
            let cells = cols
                .iter()
                .map(|c| {
                    let v = row.get(c).cloned().unwrap_or(Value::Null);
                    let numeric = matches!(v, Value::Number(_));
                    view! { <td class:num=numeric data-label=humanize(c)>{cell(&v)}</td> }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Result table">
            <table class="data-table">
                <thead><tr>{header}</tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        {(total > MAX_ROWS).then(|| view! {
            <p class="muted">{format!("Showing {MAX_ROWS} of {total} rows; the raw JSON has them all.")}</p>
        })}
    }
    .into_any()
}

/// Any JSON value, readably. `depth` limits nesting of headings.
pub fn value_view(value: Value, depth: usize) -> AnyView {
    match value {
        Value::Object(map) => {
            if map.is_empty() {
                return view! { <p class="muted">"(empty)"</p> }.into_any();
            }
            let (plain, nested): (Vec<_>, Vec<_>) = map
                .into_iter()
                .partition(|(_, v)| is_scalar(v) || is_scalar_list(v));
            let fields = (!plain.is_empty()).then(|| {
                let items = plain
                    .into_iter()
                    .map(|(k, v)| {
                        let text = match &v {
                            Value::Array(items) => {
                                items.iter().map(scalar_text).collect::<Vec<_>>().join(", ")
                            }
                            other => scalar_text(other),
                        };
                        view! {
                            <div class="kv">
                                <dt>{humanize(&k)}</dt>
                                <dd>{text}</dd>
                            </div>
                        }
                    })
                    .collect_view();
                view! { <dl class="kv-list">{items}</dl> }
            });
            let sections = nested
                .into_iter()
                .map(|(k, v)| {
                    let title = humanize(&k);
                    let heading = if depth == 0 {
                        view! { <h3>{title}</h3> }.into_any()
                    } else {
                        view! { <h4>{title}</h4> }.into_any()
                    };
                    view! {
                        <section class="result-section">
                            {heading}
                            {value_view(v, depth + 1)}
                        </section>
                    }
                })
                .collect_view();
            view! { {fields} {sections} }.into_any()
        }
        Value::Array(items) => {
            if items.is_empty() {
                view! { <p class="muted">"(none)"</p> }.into_any()
            } else if items.iter().all(|v| v.is_object()) {
                table(items)
            } else if items.iter().all(is_scalar) {
                let list = items
                    .iter()
                    .map(|v| view! { <li>{scalar_text(v)}</li> })
                    .collect_view();
                view! { <ul class="plain-list">{list}</ul> }.into_any()
            } else {
                let list = items
                    .into_iter()
                    .map(|v| view! { <li>{value_view(v, depth + 1)}</li> })
                    .collect_view();
                view! { <ol class="plain-list">{list}</ol> }.into_any()
            }
        }
        other => view! { <p class="scalar">{scalar_text(&other)}</p> }.into_any(),
    }
}

fn is_scalar_list(value: &Value) -> bool {
    matches!(value, Value::Array(items) if items.len() <= 20 && items.iter().all(is_scalar))
}

/// The result and, behind a disclosure, its raw JSON.
#[component]
pub fn JsonView(value: Value) -> impl IntoView {
    let raw = serde_json::to_string_pretty(&value).unwrap_or_default();
    view! {
        <div class="json-view" data-testid="result-view">{value_view(value, 0)}</div>
        <details class="raw-json">
            <summary data-testid="raw-json-toggle">"Raw JSON"</summary>
            <pre data-testid="raw-json" tabindex="0"><code>{raw}</code></pre>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_read_as_words() {
        assert_eq!(humanize("churn_probability"), "Churn probability");
        assert_eq!(humanize("fitScore"), "Fit score");
        assert_eq!(humanize("top_factors"), "Top factors");
    }

    #[test]
    fn numbers_lose_their_noise() {
        assert_eq!(scalar_text(&json!(0.123456789)), "0.1235");
        assert_eq!(scalar_text(&json!(2.0)), "2");
        assert_eq!(scalar_text(&json!(7)), "7");
        assert_eq!(scalar_text(&json!(true)), "Yes");
        assert_eq!(scalar_text(&json!(null)), "—");
    }

    #[test]
    fn columns_are_the_union_of_keys_in_order() {
        let rows = vec![json!({"a": 1, "b": 2}), json!({"b": 3, "c": 4})];
        let cols = columns(&rows);
        assert_eq!(cols.len(), 3);
        assert!(cols.contains(&"c".to_owned()));
        let rows = vec![json!({"compound": 0.4, "index": 0, "label": "positive", "sentences": []})];
        assert_eq!(columns(&rows), ["index", "label", "compound", "sentences"]);
    }
}

/// An output as pretty JSON behind a "Show output" disclosure (history lists).
#[component]
pub fn RawOutput(output: Value) -> impl IntoView {
    let raw = serde_json::to_string_pretty(&output).unwrap_or_default();
    view! {
        <details>
            <summary>"Show output"</summary>
            <pre tabindex="0"><code>{raw}</code></pre>
        </details>
    }
}
