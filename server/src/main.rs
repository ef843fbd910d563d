//! The Abetworks server binary: reads configuration, starts the application, waits for Ctrl-C.

#![recursion_limit = "256"]

use abetworks::config::Config;
use server::{startup::Application, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("abetworks: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let app = match Application::build(config, &site_root).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("start-up failed: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!("listening on http://{}", app.address());
    if let Err(e) = app.run_until_stopped(telemetry::shutdown_signal()).await {
        tracing::error!("server stopped with an error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
