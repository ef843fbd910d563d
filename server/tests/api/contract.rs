//! Every answer of the role matrix, allowed and refused, checked against the OpenAPI document
//! the server publishes: its status must be documented for the operation and a JSON body
//! must fit the documented schema. Lists every violation, not just the first.

use std::collections::BTreeMap;

use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use serde_json::Value;

use crate::common::schema_check::violations;
use crate::roles::{checked_world, coverage_problems, walk};
use crate::world::Answer;

const JSON: &str = "application/json";

fn resolve<'a>(document: &'a Value, node: &'a Value) -> &'a Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| document.pointer(r.strip_prefix('#')?))
        .unwrap_or(node)
}

/// The documented response for `status`: the exact code, then its range (`4XX`), then
/// `default`, as OpenAPI reads them.
fn documented_response(responses: &Value, status: u16) -> Option<&Value> {
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    responses
        .get(&exact)
        .or_else(|| responses.get(&range))
        .or_else(|| responses.get("default"))
}

/// How `answer` of `method path` breaks the document (empty when it conforms).
pub fn contract_violations(
    document: &Value,
    method: &str,
    path: &str,
    answer: &Answer,
) -> Vec<String> {
    let operation = &document["paths"][path][method.to_ascii_lowercase()];
    if !operation.is_object() {
        return vec!["the operation is not in the document".into()];
    }
    let responses = &operation["responses"];
    let Some(response) = documented_response(responses, answer.status) else {
        let listed: Vec<&String> = responses
            .as_object()
            .map(|r| r.keys().collect())
            .unwrap_or_default();
        return vec![format!(
            "the status is not documented (documented: {listed:?})"
        )];
    };
    let response = resolve(document, response);
    let content = response.get("content").and_then(Value::as_object);
    let listed: Vec<&String> = content.map(|c| c.keys().collect()).unwrap_or_default();
    let Some(text) = &answer.text else {
        return match content.filter(|c| !c.is_empty()) {
            Some(_) => vec![format!(
                "an empty body where the document promises {listed:?}"
            )],
            None => Vec::new(),
        };
    };
    let media = answer
        .content_type
        .as_deref()
        .unwrap_or("(no content type)");
    let Some(documented) = content.and_then(|c| c.get(media)) else {
        return vec![format!("a {media} body; the document lists {listed:?}")];
    };
    if media != JSON {
        return Vec::new();
    }
    let Some(schema) = documented.get("schema") else {
        return vec!["a JSON body, but the document gives no schema for it".into()];
    };
    match serde_json::from_str::<Value>(text) {
        Ok(body) => violations(document, schema, &body)
            .into_iter()
            .map(|v| format!("body{v}"))
            .collect(),
        Err(e) => vec![format!("the body is not JSON ({e})")],
    }
}

/// A violation with its array indices as `*`, so a fault of every item is listed once.
fn without_indices(violation: &str) -> String {
    let Some((at, what)) = violation.split_once(": ") else {
        return violation.to_owned();
    };
    let at: Vec<&str> = at
        .split('/')
        .map(
            |step| match !step.is_empty() && step.bytes().all(|b| b.is_ascii_digit()) {
                true => "*",
                false => step,
            },
        )
        .collect();
    format!("{}: {what}", at.join("/"))
}

async fn every_answer_of_the_role_matrix_has_a_documented_status_and_fits_its_schema(
    database: TestDatabase,
) {
    let world = checked_world(coverage_problems(), database).await;
    let document = world
        .app
        .get_json(&world.app.client, "/api/openapi.json")
        .await;
    // One line per route, status and violation, naming the callers that met it.
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for exchange in walk(&world).await {
        let (method, path) = (exchange.method, exchange.path);
        for violation in contract_violations(&document, method, path, &exchange.answer) {
            let violation = without_indices(&violation);
            let line = format!("{method} {path} → {}: {violation}", exchange.answer.status);
            found.entry(line).or_default().push(exchange.caller());
        }
    }
    let report: Vec<String> = found
        .iter()
        .map(|(line, callers)| format!("{line}  [{}]", callers.join(", ")))
        .collect();
    assert!(
        report.is_empty(),
        "{} answers break the OpenAPI document:\n{}",
        report.len(),
        report.join("\n")
    );
}
on_every_database!(every_answer_of_the_role_matrix_has_a_documented_status_and_fits_its_schema);

#[cfg(test)]
mod tests {
    use super::contract_violations;
    use crate::world::Answer;
    use serde_json::json;

    fn answer(status: u16, body: Option<&str>) -> Answer {
        Answer {
            status,
            content_type: body.map(|_| "application/json".into()),
            text: body.map(str::to_owned),
        }
    }

    #[test]
    fn a_json_answer_whose_documented_response_has_no_schema_is_a_violation() {
        let document = json!({"paths": {"/x": {"get": {"responses": {
            "200": {"description": "ok", "content": {"application/json": {}}},
            "401": {"description": "no"}
        }}}}});
        let found = contract_violations(&document, "GET", "/x", &answer(200, Some("{}")));
        assert_eq!(
            found,
            vec!["a JSON body, but the document gives no schema for it"]
        );
        let found = contract_violations(&document, "GET", "/x", &answer(401, Some("{}")));
        assert_eq!(
            found,
            vec!["a application/json body; the document lists []"]
        );
        let found = contract_violations(&document, "GET", "/x", &answer(404, None));
        assert_eq!(
            found,
            vec!["the status is not documented (documented: [\"200\", \"401\"])"]
        );
    }

    #[test]
    fn an_answer_fitting_its_documented_schema_passes() {
        let document = json!({"paths": {"/x": {"get": {"responses": {
            "204": {"description": "none"},
            "default": {"description": "error", "content": {"application/json": {"schema":
                {"type": "object", "properties": {"error": {"type": "object"}}}}}}
        }}}}});
        assert!(contract_violations(&document, "GET", "/x", &answer(204, None)).is_empty());
        let error = answer(403, Some(r#"{"error": {"code": "FORBIDDEN"}}"#));
        assert!(contract_violations(&document, "GET", "/x", &error).is_empty());
        let extra = answer(403, Some(r#"{"error": {}, "debug": 1}"#));
        assert_eq!(
            contract_violations(&document, "GET", "/x", &extra),
            vec!["body: undocumented property `debug`"]
        );
    }
}
