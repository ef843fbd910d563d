//! Building the application: database, first admin, demo data, catalog sync, router.
//! `Application::build` binds the listener first, so tests can ask for port 0.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use abetworks::agent_client::AgentClient;
use abetworks::config::{Config, Environment};
use abetworks::users::AdminBootstrap;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::serve::{ListenerExt, TapIo};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::{TcpListener, TcpStream};
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel, DefaultPredicate};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::middleware;
use crate::routes::{self, health};
use crate::session_store::{SeaOrmSessionStore, SESSION_COOKIE};
use crate::state::{AppState, ServerState};

/// Bodies above this are refused with 413 before any handler reads them.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// A session ends after this long without a request.
pub const SESSION_IDLE_HOURS: i64 = 12;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("agent service client: {0}")]
    AgentClient(#[from] abetworks::agent_client::AgentError),
    #[error("start-up data: {0}")]
    Core(#[from] abetworks::CoreError),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    live: abetworks::live::LiveFeed,
}

impl Application {
    /// Connects and migrates the database, prepares start-up data and binds the listener.
    pub async fn build(config: Config, site_root: &str) -> Result<Self, StartupError> {
        Self::build_with_clock(config, site_root, abetworks::clock::system()).await
    }

    /// [`Application::build`] with quota windows read from `clock` (tests move it).
    pub async fn build_with_clock(
        config: Config,
        site_root: &str,
        clock: abetworks::clock::SharedClock,
    ) -> Result<Self, StartupError> {
        crate::error_log_layer::install_panic_hook();
        crate::metrics::install_recorder();
        let db = abetworks::db::connect_and_migrate(&config.database_url).await?;
        let agents = AgentClient::from_config(&config)?;
        let config = Arc::new(config);
        let state = AppState {
            db,
            agents,
            config: config.clone(),
            clock,
            instance_id: abetworks::executions::lease::new_instance_id().into(),
            mailer: abetworks::email::Mailer::from_settings(&config.mail)?,
        };

        prepare_data(&state).await?;
        // Executions left running by an instance that died are settled before serving.
        sweep_abandoned(&state).await;

        let listener = TcpListener::bind(config.site_addr)
            .await
            .map_err(|source| StartupError::Bind {
                addr: config.site_addr,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.site_addr,
            source,
        })?;
        let leptos = leptos_options(site_root, address);
        let live = abetworks::live::LiveFeed::new();
        let router = router(ServerState {
            app: state.clone(),
            leptos,
            live: live.clone(),
        });
        Ok(Self {
            listener,
            router,
            state,
            live,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves; the catalog sync starts in the background.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if self.state.config.sync_on_start {
            tokio::spawn(sync_catalog_with_retries(self.state.clone()));
        }
        tokio::spawn(housekeeping(self.state.clone()));
        // Stopped with the server, also when this future is dropped (its task aborted).
        let _sweeper = AbortOnDrop(tokio::spawn(sweep_periodically(self.state.clone())));
        // Outbox events fanned out into notifications and deliveries (`abetworks::outbox`).
        let _dispatcher = AbortOnDrop(tokio::spawn(abetworks::outbox::run_dispatcher(
            self.state.clone(),
        )));
        // Email and webhook deliveries that are due, by any instance (`abetworks::deliveries`).
        let _deliveries = AbortOnDrop(tokio::spawn(abetworks::deliveries::run_delivery_worker(
            self.state.clone(),
        )));
        // New notifications for this instance's event streams (`abetworks::live`).
        let _live = AbortOnDrop(tokio::spawn(
            self.live
                .clone()
                .run(self.state.db.clone(), self.state.config.live_poll),
        ));
        // Background runs: this instance's workers take queued runs (`abetworks::runs`).
        let _workers = AbortOnDrop(tokio::spawn(abetworks::runs::worker::run_workers(
            self.state.db.clone(),
            self.state.agents.clone(),
            self.state.execution_lease(),
            abetworks::runs::worker::WorkerSettings {
                workers: self.state.config.run_workers,
                per_agent: self.state.config.run_workers_per_agent,
            },
        )));
        axum::serve(
            without_delay(self.listener),
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// `listener` with `TCP_NODELAY` set on every accepted socket: small writes (a page's last
/// bytes, an event of a stream) leave at once instead of waiting for the peer's delayed ACK on
/// a kept-alive connection.
pub fn without_delay(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(set_nodelay)
}

/// A socket where the option cannot be set is served anyway.
fn set_nodelay(stream: &mut TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!("cannot set TCP_NODELAY on an accepted connection: {e}");
    }
}

/// A background task that ends with its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The site's options. A site finished by `deploy/site_assets.py` has a `hash.txt`: the pages
/// then load the bundle by its content-hashed names. Leptos looks for the file beside the
/// executable unless its path is absolute.
fn leptos_options(site_root: &str, address: SocketAddr) -> LeptosOptions {
    let hash_file = std::path::Path::new(site_root).join("hash.txt");
    let hash_files = hash_file.is_file();
    let hash_file = std::path::absolute(&hash_file).unwrap_or(hash_file);
    LeptosOptions::builder()
        .output_name("abetworks")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(address)
        .hash_files(hash_files)
        .hash_file(std::sync::Arc::from(hash_file.to_string_lossy().as_ref()))
        .build()
}

/// The first super admin and, when enabled, the demo member.
async fn prepare_data(state: &AppState) -> Result<(), StartupError> {
    let config = &state.config;
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) {
        match abetworks::users::ensure_first_super_admin(&state.db, email, password.expose()).await? {
            AdminBootstrap::Created => tracing::info!(%email, "created the first super admin"),
            AdminBootstrap::AlreadyPresent => {}
            AdminBootstrap::EmailTakenByNonAdmin => tracing::warn!(
                %email,
                "ABETWORKS_ADMIN_EMAIL belongs to an account that is not a super admin; left unchanged"
            ),
            AdminBootstrap::SkippedNotFresh => tracing::info!(
                "a super admin exists already; ABETWORKS_ADMIN_EMAIL is only used on a fresh database"
            ),
        }
    }
    if config.demo_data && abetworks::demo::seed_demo_member(&state.db).await? {
        tracing::info!(
            email = abetworks::demo::DEMO_MEMBER_EMAIL,
            "created the demo member"
        );
    }
    if config.demo_data && abetworks::demo::seed_demo_team(&state.db).await? {
        tracing::info!(
            team = abetworks::demo::DEMO_TEAM_NAME,
            "created the demo team"
        );
    }
    Ok(())
}

/// The agent service may still be starting: try for about a minute, then leave it to the
/// admin's "sync" action.
async fn sync_catalog_with_retries(state: AppState) {
    for attempt in 1..=20u32 {
        match abetworks::catalog::sync_from_service(
            &state.db,
            &state.agents,
            state.config.demo_data,
        )
        .await
        {
            Ok(report) => {
                tracing::info!(
                    added = report.added.len(),
                    updated = report.updated.len(),
                    unavailable = report.unavailable.len(),
                    "catalog synced from the agent service"
                );
                if state.config.demo_data {
                    if let Err(e) = abetworks::demo::seed_demo_subscription(&state.db).await {
                        tracing::warn!("the demo team's subscription was not added: {e}");
                    }
                }
                return;
            }
            Err(e) if attempt == 20 => {
                tracing::warn!("catalog sync gave up: {e}");
            }
            Err(e) => {
                tracing::debug!(attempt, "catalog sync failed, retrying: {e}");
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
        }
    }
}

/// One sweep of executions whose lease ended (`abetworks::executions::sweep`); a failure is
/// logged and the next sweep tries again.
async fn sweep_abandoned(state: &AppState) {
    match abetworks::executions::sweep::sweep_expired(&state.db, state.clock.now()).await {
        // The core logs what it settled.
        Ok(_) => {}
        Err(e) => tracing::warn!("the execution sweep failed: {e}"),
    }
}

/// Sweeps every `ABETWORKS_SWEEP_INTERVAL_SECS` until the application stops.
async fn sweep_periodically(state: AppState) {
    let every = state.config.sweep_interval;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        sweep_abandoned(&state).await;
    }
}

/// Expired sessions and old login attempts are removed every ten minutes.
async fn housekeeping(state: AppState) {
    use tower_sessions::session_store::ExpiredDeletion;
    let store = SeaOrmSessionStore::new(state.db.clone());
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!("expired-session cleanup failed: {e}");
        }
        if let Err(e) = abetworks::auth::prune_attempts(&state.db, chrono::Utc::now()).await {
            tracing::warn!("login-attempt cleanup failed: {e}");
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static(crate::extract::REQUEST_ID_HEADER);

/// Brotli quality and gzip level of responses compressed as they are sent.
const DYNAMIC_COMPRESSION_LEVEL: i32 = 4;

fn router(state: ServerState) -> Router {
    let routes = generate_route_list(app::App);
    let app_state = state.app.clone();
    let request_state = state.app.clone();
    let leptos = state.leptos.clone();
    let sessions = SessionManagerLayer::new(SeaOrmSessionStore::new(state.app.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.app.config.environment == Environment::Production)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(
            SESSION_IDLE_HOURS,
        )));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/api/openapi.json", get(crate::openapi::openapi_json))
        .route("/api/docs", get(crate::openapi::docs_page))
        // An email's unsubscribe link: a confirmation page and its button (`routes::unsubscribe`).
        .route(
            "/unsubscribe/{delivery_id}",
            get(routes::unsubscribe::page).post(routes::unsubscribe::confirm),
        )
        .merge(routes::api().into_router())
        .merge(crate::bench_baseline::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(app_state.clone()),
            move || app::shell(leptos.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(
            app::shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.app.clone(),
            crate::error_log_layer::log_server_errors,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(
            middleware::server_fn_error_status,
        ))
        .layer(axum::middleware::from_fn(
            middleware::require_same_origin_for_cookie_writes,
        ))
        .layer(sessions)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(
            middleware::json_payload_too_large,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn(crate::caching::cache_control))
        // Brotli or gzip as the client asks (Accept-Encoding), with `Vary: accept-encoding`
        // and no `Content-Length` on a compressed answer. The default predicate leaves alone
        // bodies under 32 bytes, images, gRPC and server-sent events (text/event-stream), so
        // event streams still go out event by event.
        // CSV exports are left alone too: Chromium cancelled the compressed, streamed download
        // of the usage export (Playwright: "analytics ... exports the calls as CSV").
        // Level 4 for what is compressed per response: the default is brotli's quality 11, its
        // slowest (`make bench`, marketplace at 64 connections: 260 pages/s at 11, 280 at 4).
        // Built files are precompressed at their best level once, at build time.
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(CompressionLevel::Precise(DYNAMIC_COMPRESSION_LEVEL))
                .compress_when(
                    DefaultPredicate::new().and(NotForContentType::const_new("text/csv")),
                ),
        )
        .layer(axum::middleware::from_fn(crate::metrics::record_requests))
        .layer(axum::middleware::from_fn_with_state(
            request_state,
            middleware::request_context,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                )
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
