//! Tracing set-up: pretty or JSON lines, filtered by `RUST_LOG`.

use abetworks::config::{Config, Environment, LogFormat};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true))
            .try_init(),
    };
    // A second initialisation (tests build several apps) keeps the first subscriber.
    let _ = result;
}

/// Error tracking, only with `SENTRY_DSN`: panics (Sentry's panic hook) and the 5xx that
/// `error_log_layer` writes to `error_logs` go to Sentry as well. Keep the guard for the
/// process's life: dropping it sends what is pending.
pub fn init_sentry(config: &Config) -> Option<sentry::ClientInitGuard> {
    let configured = config.sentry_dsn.as_ref()?;
    let dsn = match configured.expose().parse::<sentry::types::Dsn>() {
        Ok(dsn) => dsn,
        Err(e) => {
            tracing::error!("SENTRY_DSN is not usable, error tracking is off: {e}");
            return None;
        }
    };
    let environment = match config.environment {
        Environment::Production => "production",
        Environment::Development => "development",
    };
    let mut options = sentry::ClientOptions::new();
    options.dsn = Some(dsn);
    options.release = sentry::release_name!();
    options.environment = Some(environment.into());
    Some(sentry::init(options))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
