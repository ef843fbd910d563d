//! Cross-cutting layers: same-origin check for cookie-authenticated writes, security headers.

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
        return ApiError::forbidden(
            "CROSS_ORIGIN_REQUEST",
            "This request did not come from this site.",
        )
        .into_response();
    }
    next.run(request).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn an_origin_matching_the_host_is_same_origin() {
        let h = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000"),
        ]);
        assert!(is_same_origin(&h));
    }

    #[test]
    fn a_foreign_origin_or_none_at_all_is_refused() {
        let h = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "https://evil.example"),
        ]);
        assert!(!is_same_origin(&h));
        let h = headers(&[(header::HOST, "127.0.0.1:3000")]);
        assert!(!is_same_origin(&h));
    }

    #[test]
    fn the_referer_stands_in_when_origin_is_absent() {
        let h = headers(&[
            (header::HOST, "shop.test"),
            (header::REFERER, "http://shop.test/account?x=1"),
        ]);
        assert!(is_same_origin(&h));
    }
}
