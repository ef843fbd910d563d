//! The OpenAPI document: every served route with its schemas, resolvable references, typed
//! path parameters and nothing a fuzzer (schemathesis) would trip over.

use std::collections::BTreeSet;

use abetworks::error::ErrorCode;
use abetworks::types::Vocabulary;
use serde_json::Value;
use server::routes::{self, Access, Answer, Route};

fn document() -> Value {
    serde_json::to_value(server::openapi::document()).expect("the document serialises")
}

fn method_key(route: &Route) -> String {
    route.method.as_str().to_ascii_lowercase()
}

fn operation<'a>(document: &'a Value, route: &Route) -> &'a Value {
    let operation = &document["paths"][route.path][method_key(route)];
    assert!(
        operation.is_object(),
        "{} {} is not documented",
        route.method,
        route.path
    );
    operation
}

/// Every operation in the document, as (path, method, operation).
fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            found.push((path.clone(), method.clone(), operation));
        }
    }
    found
}

fn parameters_in<'a>(operation: &'a Value, place: &str) -> Vec<&'a Value> {
    operation["parameters"]
        .as_array()
        .map(|all| all.iter().filter(|p| p["in"] == place).collect())
        .unwrap_or_default()
}

fn braces_of(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_document_lists_every_served_route_with_its_schemas() {
    let document = document();
    let api = routes::api();
    assert_eq!(
        operations(&document).len(),
        api.served().len(),
        "one operation per served route"
    );
    for route in api.served() {
        let operation = operation(&document, route);
        let at = format!("{} {}", route.method, route.path);
        if route.body.is_some() {
            assert!(
                operation["requestBody"]["content"]["application/json"]["schema"].is_object(),
                "{at}: request body schema"
            );
        }
        if route.query.is_some() {
            assert!(
                !parameters_in(operation, "query").is_empty(),
                "{at}: query parameters"
            );
        }
        let success = &operation["responses"][route.success_status.to_string()];
        assert!(success.is_object(), "{at}: success status");
        match route.answer {
            Answer::Json(_) => assert!(
                success["content"]["application/json"]["schema"].is_object(),
                "{at}: answer schema"
            ),
            Answer::Csv => assert!(success["content"]["text/csv"].is_object(), "{at}: CSV"),
            Answer::EventStream => assert!(
                success["content"]["text/event-stream"].is_object(),
                "{at}: server-sent events"
            ),
            Answer::Nothing => assert!(success.get("content").is_none(), "{at}: no body"),
        }
        for status in route.error_statuses() {
            let error = &operation["responses"][status.to_string()];
            assert_eq!(
                error["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorResponse",
                "{at}: error {status}"
            );
        }
    }
}

#[test]
fn statuses_follow_what_the_handlers_answer() {
    let document = document();
    let success = |path: &str, method: &str, status: &str| {
        assert!(
            document["paths"][path][method]["responses"][status].is_object(),
            "{method} {path} answers {status}"
        );
    };
    success("/api/auth/register", "post", "201");
    success("/api/auth/logout", "post", "204");
    success("/api/keys", "post", "201");
    success("/api/keys/{id}", "delete", "204");
    success("/api/admin/licenses", "post", "201");
    success("/api/marketplace/request-access", "post", "201");
    success("/api/admin/agents", "post", "201");
    success("/api/admin/licenses/{id}", "delete", "200");
    for status in ["402", "429", "502", "503", "504"] {
        let documented = document["paths"]["/api/agents/{agentId}/execute"]["post"]["responses"]
            [status]
            .is_object();
        assert_eq!(documented, status != "402", "execute and {status}");
    }
    for route in routes::api().served() {
        let statuses = route.error_statuses();
        for always in [400, 413, 422, 500] {
            assert!(
                statuses.contains(&always),
                "{} {}",
                route.method,
                route.path
            );
        }
        assert_eq!(
            statuses.contains(&401),
            route.access != Access::Anyone || route.path == "/api/auth/login",
            "401 of {} {}",
            route.method,
            route.path
        );
    }
}

#[test]
fn query_parameters_carry_their_wire_names() {
    let document = document();
    let names = |path: &str| -> Vec<String> {
        parameters_in(&document["paths"][path]["get"], "query")
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    let licenses = names("/api/admin/licenses");
    for name in [
        "userId", "agentId", "status", "q", "sort", "page", "pageSize",
    ] {
        assert!(licenses.contains(&name.to_owned()), "licenses take {name}");
    }
    assert!(names("/api/admin/errors").contains(&"type".to_owned()));
    assert!(names("/api/marketplace/agents").contains(&"minPrice".to_owned()));
}

/// Every `$ref` string anywhere under `value`.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                match (key.as_str(), member) {
                    ("$ref", Value::String(target)) => found.push(target),
                    _ => references(member, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let document = document();
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(found.len() > 20, "the answers refer to the shared types");
    for target in found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{target} is not local"));
        assert!(
            document.pointer(pointer).is_some(),
            "{target} does not resolve"
        );
    }
    let schemas = &document["components"]["schemas"];
    for name in [
        "ErrorResponse",
        "ErrorBody",
        "ErrorCode",
        "LicenseView",
        "UserView",
    ] {
        assert!(schemas[name].is_object(), "component {name}");
    }
}

#[test]
fn every_path_parameter_has_a_string_schema() {
    let document = document();
    for (path, method, operation) in operations(&document) {
        for parameter in parameters_in(operation, "path") {
            assert_eq!(
                parameter["schema"]["type"], "string",
                "{method} {path}: {parameter}"
            );
            assert_eq!(parameter["required"], true, "{method} {path}: {parameter}");
        }
    }
}

#[test]
fn no_operation_documents_a_parameter_its_path_lacks() {
    let document = document();
    for (path, method, operation) in operations(&document) {
        let documented: BTreeSet<String> = parameters_in(operation, "path")
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(documented, braces_of(&path), "{method} {path}");
    }
    assert!(parameters_in(&document["paths"]["/api/admin/agents/sync"]["post"], "path").is_empty());
}

#[test]
fn the_document_is_one_a_fuzzer_can_load() {
    let text = serde_json::to_string(&server::openapi::document()).unwrap();
    let document: Value = serde_json::from_str(&text).expect("valid JSON");
    let version = document["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "openapi version {version}");
    assert!(document["info"]["title"].is_string());
    assert!(document["info"]["version"].is_string());
    let mut operation_ids = BTreeSet::new();
    for (path, method, operation) in operations(&document) {
        let responses = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} has no responses"));
        assert!(!responses.is_empty(), "{method} {path}");
        for status in responses.keys() {
            assert!(
                status.len() == 3 && status.parse::<u16>().is_ok(),
                "{method} {path}: status {status}"
            );
        }
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(
            operation_ids.insert(id.to_owned()),
            "unique operationId {id}"
        );
    }
}

#[test]
fn the_description_carries_every_error_code() {
    let document = document();
    let description = document["info"]["description"].as_str().unwrap_or_default();
    for code in ErrorCode::all() {
        assert!(
            description.contains(&format!("| `{}` | {} |", code.as_str(), code.status())),
            "{code} in the description"
        );
    }
}

#[tokio::test]
async fn the_docs_page_shows_the_operations_and_the_error_codes() {
    let page = server::openapi::docs_page().await.0;
    for route in routes::api().served() {
        assert!(page.contains(route.path), "{} on the page", route.path);
    }
    for code in ErrorCode::all() {
        assert!(page.contains(code.as_str()), "{code} on the page");
    }
}
