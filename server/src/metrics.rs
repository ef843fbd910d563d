//! Prometheus metrics of this instance: requests by status class and their total duration.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

static REQUESTS: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];
static DURATION_MICROS: AtomicU64 = AtomicU64::new(0);

pub async fn count_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let class = (response.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    REQUESTS[class].fetch_add(1, Ordering::Relaxed);
    DURATION_MICROS.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    response
}

pub async fn metrics() -> Response {
    let mut text = String::from(
        "# HELP abetworks_http_requests_total HTTP requests answered, by status class.\n\
         # TYPE abetworks_http_requests_total counter\n",
    );
    for (i, counter) in REQUESTS.iter().enumerate() {
        text.push_str(&format!(
            "abetworks_http_requests_total{{status=\"{}xx\"}} {}\n",
            i + 1,
            counter.load(Ordering::Relaxed)
        ));
    }
    text.push_str(&format!(
        "# HELP abetworks_http_request_duration_seconds_sum Time spent answering requests.\n\
         # TYPE abetworks_http_request_duration_seconds_sum counter\n\
         abetworks_http_request_duration_seconds_sum {:.6}\n",
        DURATION_MICROS.load(Ordering::Relaxed) as f64 / 1e6
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
