//! How long browsers may keep what the server sends. The bundle files named by their content
//! (`pkg/abetworks.<hash>.wasm`, made by `deploy/site_assets.py`) never change under their
//! name: a year, `immutable`. Pages and every other file are revalidated on each use
//! (`no-cache`), so a new release is seen at once. API answers are left as they are.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// A year, the longest lifetime caches honour.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

pub async fn cache_control(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers();
    if !response.status().is_success() || headers.contains_key(header::CACHE_CONTROL) {
        return response;
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = if is_content_hashed(&path) {
        IMMUTABLE
    } else if is_html || !path.starts_with("/api/") {
        REVALIDATE
    } else {
        return response;
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

/// `/pkg/<name>.<16 hex digits>.<ext>`: a bundle file named by its content.
fn is_content_hashed(path: &str) -> bool {
    let Some(file) = path.strip_prefix("/pkg/") else {
        return false;
    };
    let parts: Vec<&str> = file.split('.').collect();
    parts.len() == 3 && parts[1].len() == 16 && parts[1].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_content_hashed;

    #[test]
    fn only_bundle_files_named_by_their_content_count_as_hashed() {
        assert!(is_content_hashed("/pkg/abetworks.0123456789abcdef.wasm"));
        assert!(is_content_hashed("/pkg/abetworks.0123456789abcdef.css"));
        assert!(!is_content_hashed("/pkg/abetworks.wasm"));
        assert!(!is_content_hashed("/pkg/abetworks.notahashatall!.js"));
        assert!(!is_content_hashed("/echarts.0123456789abcdef.js"));
        assert!(!is_content_hashed("/pkg/a.0123456789abcdef.js.map"));
    }
}
