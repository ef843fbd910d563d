//! The server binary run as a process of its own (its commands, or a whole server), through
//! tokio and killed when the test drops it: a test that fails or times out leaves no process
//! behind, and no blocked thread that the runtime would wait for when it shuts down.

use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

/// How long one command of the binary (`backup`, `restore`, `create-admin`) may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// How long a server started by [`ServerProcess::start`] may take to answer `/healthz`.
const START_LIMIT: Duration = Duration::from_secs(30);

/// The server binary, killed when the returned command's child is dropped.
fn server_binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.kill_on_drop(true);
    command
}

/// Starts `command` with each of its standard streams made by `stream` (piped or null).
fn spawn(command: &mut Command, stream: fn() -> Stdio) -> Child {
    let command = command.stdin(stream()).stdout(stream()).stderr(stream());
    command.spawn().expect("the server binary starts")
}

/// A command of the server binary on `database_url`, without the settings that a developer's
/// shell may hold and that would change what it does.
pub fn server_command(database_url: &str) -> Command {
    let mut command = server_binary();
    command
        .env("DATABASE_URL", database_url)
        .env_remove("ABETWORKS_ADMIN_EMAIL")
        .env_remove("ABETWORKS_ADMIN_PASSWORD")
        .env_remove("ABETWORKS_ENV");
    command
}

/// Runs `command` to its end with `stdin` as its input and returns what it wrote; fails the
/// test (and kills the process) when it takes longer than [`COMMAND_LIMIT`].
pub async fn run_to_end(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = spawn(&mut command, Stdio::piped);
    let mut input = child.stdin.take().expect("the binary's stdin is piped");
    // A command that does not read its input may have ended already: that is its business.
    let _ = input.write_all(stdin).await;
    drop(input);
    tokio::time::timeout(COMMAND_LIMIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the server binary did not finish within {} s",
                COMMAND_LIMIT.as_secs()
            )
        })
        .expect("the server binary runs")
}

/// The server binary serving on a free port of its own, on `database_url`: its counters count
/// this test's requests only (the apps of the other tests share the test process's counters).
/// Killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub address: String,
}

impl ServerProcess {
    /// Starts the server with nothing but the settings it needs, and waits for `/healthz`.
    pub async fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[]).await
    }

    /// [`ServerProcess::start`] with more settings (`(variable, value)`), which win over the
    /// defaults (no agent service, no demo data, no sync at start).
    pub async fn start_with(database_url: &str, settings: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let site_root = std::env::temp_dir().join("abetworks-test-site");
        let defaults = [
            ("DATABASE_URL", database_url.to_owned()),
            ("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}")),
            ("LEPTOS_SITE_ROOT", site_root.display().to_string()),
            ("AGENT_SERVICE_URL", super::NO_AGENT_SERVICE.to_owned()),
            (
                "AGENT_SERVICE_SECRET",
                "test-shared-secret-0123456789".to_owned(),
            ),
            ("ABETWORKS_DEMO_DATA", "false".to_owned()),
            ("ABETWORKS_SYNC_ON_START", "false".to_owned()),
        ];
        let mut command = server_binary();
        command
            .env_clear()
            .envs(defaults)
            .envs(settings.iter().copied());
        let mut child = spawn(&mut command, Stdio::null);
        let address = format!("http://127.0.0.1:{port}");
        let health = format!("{address}/healthz");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("a client");
        let started = tokio::time::Instant::now();
        while started.elapsed() < START_LIMIT {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the server binary ended ({status}) before answering /healthz");
            }
            if let Ok(response) = client.get(&health).send().await {
                if response.status().is_success() {
                    return Self { child, address };
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the server binary did not answer /healthz within {} seconds",
            START_LIMIT.as_secs()
        );
    }

    /// The server's process id (`None` once it has ended), to read its memory in /proc.
    // Only the load benchmark (server/benches/load) reads it.
    #[allow(dead_code)]
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no clean-up, as when a machine or a container dies.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("the server is killed");
    }
}
