//! The OpenAPI document, built with utoipa from the router's own route table (so it cannot
//! drift from what is served) and the shared types' schemas, and a plain HTML page to browse
//! it, served from here.

use abetworks::error::{ErrorBody, ErrorCode};
use abetworks::types::Vocabulary;
use axum::http::Method;
use axum::response::Html;
use axum::Json;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    Required, Schema,
};
use utoipa::{PartialSchema, ToSchema};

use crate::routes::{self, Access, Answer, Route, SchemaList};
use crate::session_store::SESSION_COOKIE;

/// The component every error answer refers to: `{"error": ErrorBody}`.
pub const ERROR_RESPONSE: &str = "ErrorResponse";
const JSON: &str = "application/json";

fn http_method(method: &Method) -> HttpMethod {
    match *method {
        Method::POST => HttpMethod::Post,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::PUT => HttpMethod::Put,
        _ => HttpMethod::Get,
    }
}

fn access_text(access: Access) -> &'static str {
    match access {
        Access::Anyone => "anyone",
        Access::SignedIn => "any signed-in user (session cookie or API key)",
        Access::Admin => "organisation admins and super admins",
        Access::SuperAdmin => "super admins",
    }
}

/// Every error code the API knows, in declaration order.
fn error_codes() -> &'static [ErrorCode] {
    ErrorCode::all()
}

/// The codes answered with `status`, e.g. "`NOT_FOUND`, `AGENT_NOT_FOUND`".
fn codes_of(status: u16) -> String {
    error_codes()
        .iter()
        .filter(|code| code.status() == status)
        .map(|code| format!("`{}`", code.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error-code table, in Markdown, for the document's description.
fn error_code_markdown() -> String {
    let mut table = String::from("| Code | HTTP status | Default message |\n|---|---|---|\n");
    for code in error_codes() {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            code.status(),
            code.default_message()
        ));
    }
    table
}

fn path_parameters(route: &Route) -> Vec<Parameter> {
    route
        .path_parameters()
        .map(|name| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("an opaque id"))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build()
        })
        .collect()
}

fn json_content(schema: impl Into<RefOr<Schema>>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn tag(route: &Route) -> String {
    let depth = if route.path.starts_with("/api/admin/") {
        2
    } else {
        1
    };
    route
        .path
        .trim_start_matches("/api/")
        .split('/')
        .take(depth)
        .collect::<Vec<_>>()
        .join("/")
}

/// `post /api/keys/{id}` → `post_api_keys_id`.
fn operation_id(route: &Route) -> String {
    let words: Vec<String> = route
        .path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect();
    format!(
        "{}_{}",
        route.method.as_str().to_ascii_lowercase(),
        words.join("_")
    )
}

/// The route's operation; the named schemas it refers to are added to `references`.
fn operation(route: &Route, references: &mut SchemaList) -> Operation {
    let mut parameters = path_parameters(route);
    if let Some(query) = route.query {
        parameters.extend(query());
    }
    let mut builder = OperationBuilder::new()
        .operation_id(Some(operation_id(route)))
        .summary(Some(route.summary))
        .description(Some(format!("Allowed for {}.", access_text(route.access))))
        .tag(tag(route))
        .parameters(Some(parameters));
    if let Some(body) = route.body {
        (body.references)(references);
        builder = builder.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(JSON, json_content((body.schema)()))
                .build(),
        ));
    }
    let success = ResponseBuilder::new().description(match route.success_status {
        201 => "Created",
        204 => "Done; no body",
        _ => "Success",
    });
    let success = match route.answer {
        Answer::Json(answer) => {
            (answer.references)(references);
            success.content(JSON, json_content((answer.schema)()))
        }
        Answer::Csv => success.content(
            "text/csv",
            json_content(ObjectBuilder::new().schema_type(Type::String)),
        ),
        Answer::EventStream => success.content(
            "text/event-stream",
            json_content(ObjectBuilder::new().schema_type(Type::String)),
        ),
        Answer::Nothing => success,
    };
    builder = builder.response(route.success_status.to_string(), success);
    for status in route.error_statuses() {
        builder = builder.response(
            status.to_string(),
            ResponseBuilder::new()
                .description(format!("Error: {}", codes_of(status)))
                .content(JSON, json_content(Ref::from_schema_name(ERROR_RESPONSE))),
        );
    }
    if route.access != Access::Anyone {
        builder = builder
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .security(SecurityRequirement::new("session", Vec::<String>::new()));
    }
    builder.build()
}

/// `{"error": ErrorBody}`.
fn error_response_schema() -> Schema {
    ObjectBuilder::new()
        .property("error", Ref::from_schema_name(ErrorBody::name()))
        .required("error")
        .into()
}

/// The document for every served REST route.
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    let mut references = SchemaList::new();
    for route in routes::api().served() {
        paths.add_path_operation(
            route.path,
            vec![http_method(&route.method)],
            operation(route, &mut references),
        );
    }
    references.push((ErrorBody::name().into_owned(), ErrorBody::schema()));
    ErrorBody::schemas(&mut references);
    let components = ComponentsBuilder::new()
        .schemas_from_iter(references)
        .schema(ERROR_RESPONSE, error_response_schema())
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: `Authorization: Bearer abk_…`"))
                    .build(),
            ),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        )
        .build();
    let description = format!(
        "JSON in camelCase; lists take page and pageSize. Every error answers \
         `{{\"error\": {{\"code\", \"message\", ...}}}}` with the status of its code:\n\n{}",
        error_code_markdown()
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Abetworks API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(description))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

pub async fn openapi_json() -> Json<OpenApi> {
    Json(document())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn operation_rows() -> String {
    let mut rows = String::new();
    for route in routes::api().served() {
        let errors: Vec<String> = route.error_statuses().iter().map(u16::to_string).collect();
        rows.push_str(&format!(
            "<tr><td><code class=\"method\">{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            route.method,
            escape(route.path),
            escape(route.summary),
            escape(access_text(route.access)),
            route.success_status,
            errors.join(", "),
        ));
    }
    rows
}

fn error_code_rows() -> String {
    error_codes()
        .iter()
        .map(|code| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                code.as_str(),
                code.status(),
                escape(code.default_message()),
            )
        })
        .collect()
}

/// A browsable list of every operation and error code, rendered here (no external viewer,
/// no script).
pub async fn docs_page() -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Abetworks API</title><link rel=\"stylesheet\" href=\"/pkg/abetworks.css\"></head><body><main class=\"page\">\
<h1>Abetworks API</h1><p>The machine-readable document, with every request and answer schema, is <a href=\"/api/openapi.json\">/api/openapi.json</a>. \
Authenticate with a session cookie (same-origin writes only) or <code>Authorization: Bearer &lt;API key&gt;</code>. \
Errors are <code>{{\"error\": {{\"code\", \"message\"}}}}</code>; lists take <code>page</code> and <code>pageSize</code>.</p>\
<h2>Operations</h2>\
<div class=\"table-wrap\"><table class=\"data-table\"><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">Path</th><th scope=\"col\">What it does</th><th scope=\"col\">Who</th><th scope=\"col\">Success</th><th scope=\"col\">Errors</th></tr></thead>\
<tbody>{operations}</tbody></table></div>\
<h2>Error codes</h2>\
<div class=\"table-wrap\"><table class=\"data-table\"><thead><tr><th scope=\"col\">Code</th><th scope=\"col\">HTTP status</th><th scope=\"col\">Default message</th></tr></thead>\
<tbody>{codes}</tbody></table></div></main></body></html>",
        operations = operation_rows(),
        codes = error_code_rows(),
    ))
}
