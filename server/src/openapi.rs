//! The OpenAPI document, built with utoipa from the router's own route table (so it cannot
//! drift from what is served), and a plain HTML page to browse it, served from here.

use axum::http::Method;
use axum::response::Html;
use axum::Json;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Required};

use crate::routes::{self, Access, RouteDoc};

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

fn path_parameters(path: &str) -> Vec<utoipa::openapi::path::Parameter> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("an opaque id"))
                .build()
        })
        .collect()
}

fn operation(route: &RouteDoc) -> utoipa::openapi::path::Operation {
    let tag = route
        .path
        .trim_start_matches("/api/")
        .split('/')
        .take(if route.path.starts_with("/api/admin/") {
            2
        } else {
            1
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut builder = OperationBuilder::new()
        .summary(Some(route.summary))
        .description(Some(format!("Allowed for {}.", access_text(route.access))))
        .tag(tag)
        .parameters(Some(path_parameters(route.path)))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Success (201 for creations, 204 for deletions without a body)"),
        )
        .response(
            "4XX",
            ResponseBuilder::new().description("`{\"error\": {\"code\", \"message\", ...}}`"),
        );
    if route.access != Access::Anyone {
        builder = builder
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .security(SecurityRequirement::new("session", Vec::<String>::new()));
    }
    builder.build()
}

/// The document for every served REST route.
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for route in routes::api().served() {
        paths.add_path_operation(
            route.path,
            vec![http_method(&route.method)],
            operation(route),
        );
    }
    let components = ComponentsBuilder::new()
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
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::startup::SESSION_COOKIE,
            ))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Abetworks API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("JSON in camelCase; errors are {\"error\": {\"code\", \"message\"}}; lists take page and pageSize."))
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

/// A browsable list of every operation, rendered here (no external viewer, no script).
pub async fn docs_page() -> Html<String> {
    let mut rows = String::new();
    for route in routes::api().served() {
        rows.push_str(&format!(
            "<tr><td><code class=\"method\">{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
            route.method,
            escape(route.path),
            escape(route.summary),
            escape(access_text(route.access)),
        ));
    }
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Abetworks API</title><link rel=\"stylesheet\" href=\"/pkg/abetworks.css\"></head><body><main class=\"page\">\
<h1>Abetworks API</h1><p>The machine-readable document is <a href=\"/api/openapi.json\">/api/openapi.json</a>. \
Authenticate with a session cookie (same-origin writes only) or <code>Authorization: Bearer &lt;API key&gt;</code>. \
Errors are <code>{{\"error\": {{\"code\", \"message\"}}}}</code>; lists take <code>page</code> and <code>pageSize</code>.</p>\
<div class=\"table-wrap\"><table class=\"data-table\"><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">Path</th><th scope=\"col\">What it does</th><th scope=\"col\">Who</th></tr></thead>\
<tbody>{rows}</tbody></table></div></main></body></html>"
    ))
}
