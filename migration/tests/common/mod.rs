//! Fresh databases for the migration tests: a SQLite file in the temp folder, and a PostgreSQL
//! database created for one test and dropped after it when 127.0.0.1:5432 answers.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, SqlErr, Statement,
};

/// The maintenance database the PostgreSQL tests connect to first; `ABETWORKS_TEST_POSTGRES`
/// names another, or `skip` runs the SQLite half only (said on stdout).
const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A name no other test, run or process is using.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `body` on a new SQLite file, then deletes the file (also when `body` panics).
pub async fn on_sqlite<F, Fut>(body: F)
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let path: PathBuf =
        std::env::temp_dir().join(format!("{}.sqlite", unique_name("abetworks_migration")));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(url.as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    let outcome = tokio::spawn(body(db.clone())).await;
    db.close().await.ok();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        std::fs::remove_file(file).ok();
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs `body` on a new PostgreSQL database, then drops it (also when `body` panics). When
/// PostgreSQL does not answer, says so and returns.
pub async fn on_postgres<F, Fut>(test: &str, body: F)
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_url = match std::env::var("ABETWORKS_TEST_POSTGRES") {
        Ok(value) if value.trim() == "skip" => {
            println!("{test}: SKIPPED on PostgreSQL (ABETWORKS_TEST_POSTGRES=skip)");
            return;
        }
        Ok(value) if !value.trim().is_empty() => value,
        _ => DEFAULT_POSTGRES_ADMIN_URL.to_owned(),
    };
    let mut options = ConnectOptions::new(admin_url.clone());
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3))
        .sqlx_logging(false);
    let admin = match Database::connect(options).await {
        Ok(admin) => admin,
        Err(e) => panic!(
            "{test}: PostgreSQL is not reachable at {admin_url} ({e}): start it (make test \
             starts the local cluster) or set ABETWORKS_TEST_POSTGRES=skip"
        ),
    };
    let name = unique_name("abetworks_migration_test");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    let (server, _) = admin_url
        .rsplit_once('/')
        .expect("the PostgreSQL URL names a database");
    let url = format!("{server}/{name}");
    let outcome = match Database::connect(url.as_str()).await {
        Ok(db) => {
            let outcome = tokio::spawn(body(db.clone())).await;
            db.close().await.ok();
            outcome.map_err(|e| e.into_panic())
        }
        Err(e) => Err(Box::new(format!("cannot open {url}: {e}")) as Box<dyn std::any::Any + Send>),
    };
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .unwrap_or_else(|e| panic!("cannot drop database {name}: {e}"));
    admin.close().await.ok();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Runs one statement (or several, on SQLite) that must succeed.
pub async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"));
}

/// Runs one statement and hands back what the database said.
pub async fn try_exec(db: &DatabaseConnection, sql: &str) -> Result<(), DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

/// The first column of every row, as text.
pub async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"))
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
        .collect()
}

/// The single integer `sql` selects.
pub async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"))
        .expect("one row")
        .try_get_by_index::<i64>(0)
        .expect("an integer")
}

/// Asserts the statement was refused by a unique index or constraint.
pub fn assert_unique_violation(result: Result<(), DbErr>, what: &str) {
    match result {
        Ok(()) => panic!("{what}: the database accepted it"),
        Err(e) => assert!(
            matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
            "{what}: expected a unique violation, got {e}"
        ),
    }
}

/// Asserts the statement was refused by a foreign key.
pub fn assert_foreign_key_violation(result: Result<(), DbErr>, what: &str) {
    match result {
        Ok(()) => panic!("{what}: the database accepted it"),
        Err(e) => assert!(
            matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))),
            "{what}: expected a foreign key violation, got {e}"
        ),
    }
}

/// Asserts the statement was refused by a CHECK constraint.
pub fn assert_check_violation(result: Result<(), DbErr>, what: &str) {
    match result {
        Ok(()) => panic!("{what}: the database accepted it"),
        Err(e) => assert!(
            e.to_string().to_lowercase().contains("check"),
            "{what}: expected a check violation, got {e}"
        ),
    }
}
