//! Test support (feature `testing`): a fresh database per test on SQLite, and on PostgreSQL
//! when it answers, dropped again when the test ends.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};

pub mod own_postgres;
pub mod smtp_sink;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The one switch for the PostgreSQL half of the tests: the maintenance database's URL, or
/// `skip` to run the SQLite half only. Unset means the local server, which is then required.
pub const POSTGRES_SWITCH: &str = "ABETWORKS_TEST_POSTGRES";
const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The maintenance database used to create and drop test databases; `None` when skipped.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_SWITCH) {
        Ok(value) if value.trim() == "skip" => None,
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => Some(DEFAULT_POSTGRES_ADMIN_URL.into()),
    }
}

fn postgres_reachable(admin_url: &str) -> bool {
    let Ok(url) = url::Url::parse(admin_url) else {
        return false;
    };
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port().unwrap_or(5432);
    let Ok(addr) = format!("{host}:{port}").parse::<SocketAddr>() else {
        return false;
    };
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// A database of its own for one test.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh, empty database; `None` only when PostgreSQL was skipped on purpose
    /// (`ABETWORKS_TEST_POSTGRES=skip`, said on stderr). An unreachable PostgreSQL fails the
    /// test: a storage test must never pass because its database was absent.
    pub async fn create(backend: Backend) -> Option<Self> {
        let suffix = uuid::Uuid::now_v7().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("abetworks-test-{suffix}.sqlite"));
                Some(Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    backend,
                    cleanup: Cleanup::File(path),
                })
            }
            Backend::Postgres => {
                let Some(admin_url) = postgres_admin_url() else {
                    eprintln!("SKIPPED: the PostgreSQL half of this test ({POSTGRES_SWITCH}=skip)");
                    return None;
                };
                assert!(
                    postgres_reachable(&admin_url),
                    "PostgreSQL is not reachable at {admin_url}: start it (make test starts the \
                     local cluster) or set {POSTGRES_SWITCH}=skip to run the SQLite half only"
                );
                let name = format!("abetworks_test_{suffix}");
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {admin_url}: {e}"));
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
                let _ = admin.close().await;
                let mut url = url::Url::parse(&admin_url).ok()?;
                url.set_path(&name);
                Some(Self {
                    url: url.to_string(),
                    backend,
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for extra in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(extra);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with a runtime of its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// How long one test body may run on one backend before it fails instead of hanging.
pub const DEFAULT_TEST_TIMEOUT_SECS: u64 = 180;
/// Overrides [`DEFAULT_TEST_TIMEOUT_SECS`] (whole seconds), e.g. for a slow machine.
pub const TEST_TIMEOUT_SWITCH: &str = "ABETWORKS_TEST_TIMEOUT_SECS";

/// The time limit of one test body: `ABETWORKS_TEST_TIMEOUT_SECS` when it is a positive
/// number of seconds, else [`DEFAULT_TEST_TIMEOUT_SECS`].
pub fn test_timeout() -> Duration {
    timeout_from(std::env::var(TEST_TIMEOUT_SWITCH).ok().as_deref())
}

fn timeout_from(switch: Option<&str>) -> Duration {
    let seconds = switch
        .and_then(|value| value.trim().parse::<u64>().ok())
        .filter(|seconds| *seconds > 0)
        .unwrap_or(DEFAULT_TEST_TIMEOUT_SECS);
    Duration::from_secs(seconds)
}

/// Runs one test body on `db`, failing (with the backend's name) when it takes longer than
/// [`test_timeout`], instead of letting a stuck test hang the whole run.
pub async fn run_with_timeout<F, Fut>(db: TestDatabase, body: F)
where
    F: FnOnce(TestDatabase) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let on = format!("on {:?}", db.backend);
    within_test_timeout(&on, body(db)).await;
}

/// Awaits `test`, failing with `what` (where it ran) in the message when it takes longer than
/// [`test_timeout`]. For tests outside [`on_every_database!`](crate::on_every_database).
pub async fn within_test_timeout<T>(what: &str, test: impl std::future::Future<Output = T>) -> T {
    within(test_timeout(), what, test).await
}

async fn within<T>(limit: Duration, what: &str, test: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(limit, test).await {
        Ok(done) => done,
        Err(_) => panic!(
            "the test did not finish within {} s {what} (the limit is set by \
             {TEST_TIMEOUT_SWITCH})",
            limit.as_secs_f64()
        ),
    }
}

/// Runs `$body(TestDatabase)` once on SQLite and once on PostgreSQL (failing when PostgreSQL
/// does not answer, unless skipped on purpose with `ABETWORKS_TEST_POSTGRES=skip`), each within
/// [`test_timeout`]. Creates `mod $name { on_sqlite, on_postgres }`; with the name alone, the
/// body is the function of that name beside the macro (`super::$name`).
#[macro_export]
macro_rules! on_every_database {
    ($name:ident) => {
        $crate::on_every_database!($name, super::$name);
    };
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let db = $crate::testing::TestDatabase::create($crate::testing::Backend::Sqlite)
                    .await
                    .expect("a temporary SQLite database");
                $crate::testing::run_with_timeout(db, $body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                if let Some(db) =
                    $crate::testing::TestDatabase::create($crate::testing::Backend::Postgres).await
                {
                    $crate::testing::run_with_timeout(db, $body).await;
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_limit_is_the_switch_when_it_is_a_positive_number_of_seconds_and_180_otherwise() {
        let seconds = |switch| timeout_from(switch).as_secs();
        assert_eq!(seconds(Some("5")), 5);
        assert_eq!(seconds(Some(" 7 ")), 7);
        for fallback in [None, Some(""), Some("0"), Some("-3"), Some("soon")] {
            assert_eq!(seconds(fallback), DEFAULT_TEST_TIMEOUT_SECS, "{fallback:?}");
        }
    }

    #[tokio::test]
    async fn a_test_body_over_its_time_limit_fails_and_says_where_it_ran() {
        let slow = tokio::time::sleep(Duration::from_secs(30));
        let failed = tokio::spawn(within(Duration::from_millis(20), "on Sqlite", slow))
            .await
            .expect_err("the body is stopped");
        let message = failed.into_panic();
        let message = message.downcast_ref::<String>().expect("a panic message");
        assert!(
            message.contains("did not finish within 0.02 s on Sqlite"),
            "{message}"
        );
        let quick = within(Duration::from_secs(5), "on Sqlite", async { 42 }).await;
        assert_eq!(quick, 42, "a body in time gives its result");
    }
}
