//! Cross-cutting layers: same-origin check for cookie-authenticated writes, security headers,
//! and the statuses of server functions' errors.

use abetworks::error::{ErrorBody, ErrorCode};
use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

use crate::error::ApiError;

/// The host[:port] an `Origin` or `Referer` value names.
fn authority_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    Some(
        rest.split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    )
}

fn is_same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(authority_of);
    source.is_some_and(|s| s == host.to_ascii_lowercase())
}

/// A state-changing request that carries a cookie and no bearer key must come from this site:
/// browsers attach cookies to cross-site requests, never our bearer keys.
pub async fn require_same_origin_for_cookie_writes(request: Request, next: Next) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    let has_cookie = headers.contains_key(header::COOKIE);
    let has_bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    if writes && has_cookie && !has_bearer && !is_same_origin(headers) {
        return ApiError::new(
            ErrorCode::CrossOriginRequest,
            "This request did not come from this site.",
        )
        .into_response();
    }
    next.run(request).await
}

/// An error body larger than this is not a server function's [`ErrorBody`]: left unread.
const MAX_SERVER_FN_ERROR_BYTES: u64 = 64 * 1024;

/// Server functions answer every error with 500 and the `serverfnerror` header; the body is
/// the shared [`ErrorBody`]. This gives the answer its code's status (the one table), so
/// browsers, logs and metrics see 401, 403 or 422 as for the REST API. Anything else,
/// including a plain form post's redirect, passes untouched.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_failed_server_fn = response.headers().contains_key(SERVER_FN_ERROR_HEADER)
        && (response.status().is_client_error() || response.status().is_server_error());
    let small = response
        .body()
        .size_hint()
        .upper()
        .is_some_and(|len| len <= MAX_SERVER_FN_ERROR_BYTES);
    if !is_failed_server_fn || !small {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_SERVER_FN_ERROR_BYTES as usize).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!("could not read a server function's error: {e}");
            return Response::from_parts(parts, Body::empty());
        }
    };
    if let Ok(error) = serde_json::from_slice::<ErrorBody>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Scripts and WASM only from this site (inline hydration scripts carry the request's nonce);
/// no framing; no plugins.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

pub async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    request
        .extensions_mut()
        .insert(app::CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Works out the request's client address, scheme and id once ([`RequestContext`]) for the
/// REST extractors and the server functions, believing forwarding headers only from the
/// trusted proxies. Runs inside the request-id layer.
pub async fn request_context(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    use abetworks::request::{ForwardingHeaders, RequestContext};
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    // A block, so no borrow of the (not `Sync`) request lives across the await below.
    let context = {
        let headers = request.headers();
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        RequestContext::resolve(
            peer,
            ForwardingHeaders {
                forwarded: text("forwarded"),
                x_forwarded_for: text("x-forwarded-for"),
                x_forwarded_proto: text("x-forwarded-proto"),
            },
            &state.config.trusted_proxies,
            text(crate::extract::REQUEST_ID_HEADER).map(str::to_owned),
        )
    };
    let forwarded_https = context.forwarded_https;
    request.extensions_mut().insert(context);
    let mut response = next.run(request).await;
    if forwarded_https {
        mark_cookies_secure(response.headers_mut());
    }
    response
}

/// Adds `Secure` to every cookie the answer sets: the client came over HTTPS through a
/// trusted proxy, so its cookies must never travel in clear text.
fn mark_cookies_secure(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        let secured = match cookie.to_str() {
            Ok(text) if !text.to_ascii_lowercase().contains("; secure") => {
                HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
            }
            _ => cookie,
        };
        headers.append(header::SET_COOKIE, secured);
    }
}

/// The body-limit layer answers an oversized `Content-Length` with plain text before any
/// handler runs; this gives that answer the API's JSON error shape like every other refusal.
pub async fn json_payload_too_large(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return ApiError::of(ErrorCode::PayloadTooLarge).into_response();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a request with these headers counts as coming from the site itself.
    fn same_origin(pairs: &[(header::HeaderName, &str)]) -> bool {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        is_same_origin(&map)
    }

    #[test]
    fn an_origin_matching_the_host_is_same_origin() {
        assert!(same_origin(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000"),
        ]));
    }

    #[test]
    fn a_foreign_origin_or_none_at_all_is_refused() {
        assert!(!same_origin(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "https://evil.example"),
        ]));
        assert!(!same_origin(&[(header::HOST, "127.0.0.1:3000")]));
    }

    fn server_fn_error(status: StatusCode, body: &'static str) -> Response {
        Response::builder()
            .status(status)
            .header(SERVER_FN_ERROR_HEADER, "/api/x")
            .body(Body::from(body))
            .unwrap()
    }

    /// What the layer makes of a handler's answer of `status` and `body`.
    async fn through_status_layer(status: StatusCode, body: &'static str) -> Response {
        use tower::ServiceExt;
        let router = axum::Router::new()
            .route(
                "/",
                axum::routing::post(move || async move { server_fn_error(status, body) }),
            )
            .layer(axum::middleware::from_fn(server_fn_error_status));
        let request = Request::post("/").body(Body::empty()).unwrap();
        router.oneshot(request).await.unwrap()
    }

    const FORBIDDEN_BODY: &str = r#"{"code":"FORBIDDEN","message":"No."}"#;

    #[tokio::test]
    async fn a_server_function_error_gets_the_status_of_its_code() {
        let response =
            through_status_layer(StatusCode::INTERNAL_SERVER_ERROR, FORBIDDEN_BODY).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&bytes[..], FORBIDDEN_BODY.as_bytes(), "the body is kept");
    }

    #[tokio::test]
    async fn redirects_and_unreadable_bodies_are_left_alone() {
        let redirect = through_status_layer(StatusCode::FOUND, FORBIDDEN_BODY).await;
        assert_eq!(redirect.status(), StatusCode::FOUND);
        let garbage = through_status_layer(StatusCode::INTERNAL_SERVER_ERROR, "oops").await;
        assert_eq!(garbage.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn the_referer_stands_in_when_origin_is_absent() {
        assert!(same_origin(&[
            (header::HOST, "shop.test"),
            (header::REFERER, "http://shop.test/account?x=1"),
        ]));
    }
}
