//! A PostgreSQL server of a test's own, for tests that stop and start it (the shared server on
//! 5432 must never be restarted): `initdb` and `pg_ctl` from the machine's PostgreSQL, in a
//! temporary folder deleted when the test drops the server, as `tests/tls.rs` does.
//!
//! initdb refuses to run as root, so when the tests run as root (CI) the PostgreSQL commands
//! run as the `postgres` user through `runuser`, and the folder is handed to that user. Every
//! command is bounded by [`COMMAND_LIMIT`] and killed when it overruns; the server itself is
//! stopped (`pg_ctl stop -m immediate`) by `Drop`, also when the test fails. Without
//! PostgreSQL's binaries (`/usr/lib/postgresql/*/bin/initdb`) the test fails saying so.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use abetworks::testing::own_postgres::{
    self as pg, append, chown_to_postgres, free_port, postgres_bin, server_settings, TempDir,
};
use tokio::process::Command;

/// How long one of `initdb`, `pg_ctl start` or `pg_ctl stop` may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(90);

/// A PostgreSQL server on a free port of 127.0.0.1, trusting local connections; stopped and
/// deleted on drop.
pub struct OwnPostgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
    /// A postmaster may be running (stopped again on drop).
    maybe_running: bool,
    // Declared last, so dropped after `drop` has stopped the server.
    dir: TempDir,
}

impl OwnPostgres {
    /// Creates a cluster and starts it.
    pub async fn start(name: &str) -> Self {
        let dir = TempDir::new(name);
        let mut server = Self {
            bin: postgres_bin(),
            data: dir.0.join("data"),
            log: dir.0.join("server.log"),
            port: free_port(),
            maybe_running: false,
            dir,
        };
        let root = server.dir.0.clone();
        if let Some(chown) = chown_to_postgres(&root, false) {
            run(chown.into(), "chown").await;
        }
        run(pg::initdb(&server.bin, &server.data).into(), "initdb").await;
        append(
            &server.data.join("postgresql.conf"),
            &server_settings(server.port, &root),
        );
        std::fs::write(server.data.join("pg_hba.conf"), pg::TRUST_LOCAL)
            .expect("pg_hba.conf is written");
        if let Some(chown) = chown_to_postgres(&root, true) {
            run(chown.into(), "chown").await;
        }
        server.start_again().await;
        server
    }

    /// The URL of the `postgres` database of this server.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl start`, waiting until the server accepts connections.
    pub async fn start_again(&mut self) {
        let mut start = self.pg_ctl();
        start
            .args(["-w", "-t", "60", "-D"])
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .arg("start");
        self.maybe_running = true; // even a failed start may leave a postmaster to stop
        let output = bounded(start, "pg_ctl start").await;
        assert!(
            output.status.success(),
            "pg_ctl start failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// `pg_ctl stop -m fast`: open sessions are ended and the server shuts down cleanly, as
    /// an operator's restart does.
    pub async fn stop_fast(&mut self) {
        let mut stop = self.pg_ctl();
        stop.args(["-w", "-t", "60", "-m", "fast", "-D"])
            .arg(&self.data)
            .arg("stop");
        run(stop, "pg_ctl stop").await;
        self.maybe_running = false;
    }

    fn pg_ctl(&self) -> Command {
        postgres_command(&self.bin.join("pg_ctl"))
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if self.maybe_running {
            // Drop cannot await: a blocking call, bounded by pg_ctl's own wait.
            let mut stop = pg::postgres_command(&self.bin.join("pg_ctl"));
            let _ = stop
                .args(["-w", "-t", "30", "-m", "immediate", "-D"])
                .arg(&self.data)
                .arg("stop")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A PostgreSQL command, as the `postgres` user when the tests run as root; killed if dropped.
fn postgres_command(program: &std::path::Path) -> Command {
    let mut command = Command::from(pg::postgres_command(program));
    command.kill_on_drop(true);
    command
}

/// Runs `command` to its end within [`COMMAND_LIMIT`] (killed when it overruns).
async fn bounded(mut command: Command, what: &str) -> std::process::Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{what} starts: {e}"));
    tokio::time::timeout(COMMAND_LIMIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {COMMAND_LIMIT:?}"))
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// [`bounded`], failing the test when the command fails.
async fn run(command: Command, what: &str) {
    let output = bounded(command, what).await;
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
