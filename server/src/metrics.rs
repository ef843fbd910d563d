//! Prometheus metrics through the `metrics` facade: one recorder per process, the request
//! middleware, and GET /metrics, which refreshes the gauges read from the database and the
//! agent service before rendering. The core records its own counters (executions, refusals,
//! throttles, agent calls; names in `abetworks::metric_names`).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use abetworks::metric_names;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{sqlx, DatabaseBackend, DatabaseConnection};

use crate::state::AppState;

pub const HTTP_REQUESTS: &str = "abetworks_http_requests_total";
pub const HTTP_REQUEST_SECONDS: &str = "abetworks_http_request_duration_seconds";
pub const DB_POOL_SIZE: &str = "abetworks_db_pool_size";
pub const DB_POOL_IDLE: &str = "abetworks_db_pool_idle";
pub const DB_POOL_MAX: &str = "abetworks_db_pool_max";
pub const DB_POOL_WAITERS: &str = "abetworks_db_pool_waiters";
pub const LICENSES_NEAR_LIMIT: &str = "abetworks_licenses_near_limit";
pub const AGENT_SERVICE_UP: &str = "abetworks_agent_service_up";
pub const BUILD_INFO: &str = "abetworks_build_info";

/// The `route` of a request no route matched (static files, unknown paths): the raw path
/// would make one series per path anyone cares to ask for.
pub const UNMATCHED: &str = "unmatched";
/// The share of a limit at which a license counts in [`LICENSES_NEAR_LIMIT`].
pub const NEAR_LIMIT_ALERT_PERCENT: i64 = 90;

/// Histogram buckets in seconds, from a quick page to a slow agent run (30 s timeout).
const SECONDS_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];
/// Without an exporter task of its own the recorder is drained here, so histogram samples
/// do not pile up between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use. Tests build many applications in one
/// process: they share it. Should another recorder be installed already, that one keeps the
/// facade and this handle renders only what is set on it directly (a warning says so).
pub fn install_recorder() -> &'static PrometheusHandle {
    RECORDER.get_or_init(|| {
        let builder = match PrometheusBuilder::new().set_buckets(&SECONDS_BUCKETS) {
            Ok(builder) => builder,
            Err(e) => {
                tracing::warn!("metrics histograms fall back to summaries: {e}");
                PrometheusBuilder::new()
            }
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty: {e}");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        if let Err(e) = spawned {
            tracing::warn!("metrics upkeep thread not started (scrapes still drain): {e}");
        }
        handle
    })
}

/// Counters, histograms (in seconds) and gauges with their HELP lines.
const COUNTERS: [(&str, &str); 7] = [
    (HTTP_REQUESTS, "HTTP requests answered, by method, route template and status."),
    (
        metric_names::EXECUTIONS,
        "Agent runs through the gateway, by agent and outcome (succeeded or the error code).",
    ),
    (
        metric_names::QUOTA_REJECTIONS,
        "Agent runs refused with QUOTA_EXCEEDED, by agent.",
    ),
    (
        metric_names::LICENSE_DENIALS,
        "Agent runs refused for the license (required, revoked, suspended, expired), by agent and code.",
    ),
    (
        metric_names::EXECUTIONS_ABANDONED,
        "Executions settled as abandoned by the sweeper (their instance stopped; the unit was given back).",
    ),
    (
        metric_names::LOGIN_THROTTLES,
        "Logins refused because the email or the client address is throttled.",
    ),
    (
        metric_names::DELIVERIES,
        "Email and webhook delivery attempts, by channel and outcome (delivered, retrying, failed).",
    ),
];
const HISTOGRAMS: [(&str, &str); 3] = [
    (
        HTTP_REQUEST_SECONDS,
        "Time to answer HTTP requests, by method, route template and status.",
    ),
    (
        metric_names::AGENT_CALL_SECONDS,
        "Agent-service execute calls, by agent and outcome (ok or the error code).",
    ),
    (
        metric_names::WEBHOOK_LATENCY_SECONDS,
        "Webhook delivery attempts, from the request to the receiver's answer or the failure.",
    ),
];
const GAUGES: [(&str, &str); 8] = [
    (
        metric_names::OUTBOX_LAG_SECONDS,
        "Age in seconds of the oldest outbox event not yet fanned out (0 when none waits), set by this instance's dispatcher after each pass.",
    ),
    (DB_POOL_SIZE, "Open database connections (idle and in use), read at scrape time."),
    (DB_POOL_IDLE, "Idle database connections, read at scrape time."),
    (DB_POOL_MAX, "The database pool's connection limit."),
    (
        DB_POOL_WAITERS,
        "Tasks waiting for a database connection: sqlx does not expose it, so always 0; saturation is size at max with none idle.",
    ),
    (
        LICENSES_NEAR_LIMIT,
        "Licenses in force that have used at least `percent` of a finite call limit, read at scrape time.",
    ),
    (
        AGENT_SERVICE_UP,
        "1 when the agent service answered its health check at scrape time, else 0.",
    ),
    (BUILD_INFO, "Always 1; the server's version is the label."),
];

fn describe() {
    for (name, help) in COUNTERS {
        describe_counter!(name, help);
    }
    for (name, help) in HISTOGRAMS {
        describe_histogram!(name, Unit::Seconds, help);
    }
    for (name, help) in GAUGES {
        describe_gauge!(name, help);
    }
}

/// Counts every answer and its duration by method, route template and status.
pub async fn record_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_str().to_owned()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_REQUEST_SECONDS, &labels).record(started.elapsed());
    response
}

/// The standard methods by name, anything else as `other` (a method is any token).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", |known| known.as_str())
}

/// GET /metrics: the gauges are refreshed, then everything is rendered in the text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let handle = install_recorder();
    refresh_gauges(&state).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

async fn refresh_gauges(state: &AppState) {
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    if let Some(pool) = pool_stats(&state.db) {
        metrics::gauge!(DB_POOL_SIZE).set(pool.size);
        metrics::gauge!(DB_POOL_IDLE).set(pool.idle);
        metrics::gauge!(DB_POOL_MAX).set(pool.max);
        // sqlx 0.9 keeps its waiters private; the gauge is there so dashboards need not change
        // when a version exposes it.
        metrics::gauge!(DB_POOL_WAITERS).set(0.0);
    }
    let (near_limit, agents_up) = tokio::join!(
        abetworks::licenses::count_with_share_used(&state.db, NEAR_LIMIT_ALERT_PERCENT),
        state.agents.is_healthy(),
    );
    match near_limit {
        Ok(count) => {
            let percent = NEAR_LIMIT_ALERT_PERCENT.to_string();
            metrics::gauge!(LICENSES_NEAR_LIMIT, "percent" => percent).set(count as f64);
        }
        // The other metrics are still worth serving; the gauge keeps its last value.
        Err(e) => tracing::warn!("metrics: near-limit licenses not counted: {e}"),
    }
    metrics::gauge!(AGENT_SERVICE_UP).set(if agents_up { 1.0 } else { 0.0 });
}

struct PoolStats {
    size: f64,
    idle: f64,
    max: f64,
}

/// The sqlx pool behind the connection. The backend is checked first: SeaORM's accessors
/// panic on a connection of another kind.
fn pool_stats(db: &DatabaseConnection) -> Option<PoolStats> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => Some(stats_of(db.get_postgres_connection_pool())),
        DatabaseBackend::Sqlite => Some(stats_of(db.get_sqlite_connection_pool())),
        _ => None,
    }
}

/// The size, idle and maximum connections of a pool of either backend.
fn stats_of<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> PoolStats {
    PoolStats {
        size: f64::from(pool.size()),
        idle: pool.num_idle() as f64,
        max: f64::from(pool.options().get_max_connections()),
    }
}
