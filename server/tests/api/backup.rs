//! `server backup` and `server restore`, run as the real binary on SQLite and on PostgreSQL:
//! a backup taken while the server keeps writing brings back every row that existed before it
//! began, and neither command replaces anything without `--force`.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use abetworks::on_every_database;
use abetworks::testing::{Backend, TestDatabase};
use sea_orm::{DatabaseConnection, Value};

use crate::common::database_rows::{
    assert_rows_kept, empty_tables, fill_every_table, insert, new_id, snapshot, sorted, Seeded,
    Snapshot,
};
use crate::common::{server_binary, spawn_app, TestApp};

/// Runs the server binary with `args` against `database_url`.
async fn server_command(database_url: &str, args: &[&Path]) -> Output {
    let mut command = server_binary::server_command(database_url);
    command.args(args);
    server_binary::run_to_end(command, b"").await
}

async fn backup(database_url: &str, file: &Path, force: bool) -> Output {
    let mut args = vec![Path::new("backup"), Path::new("--output"), file];
    if force {
        args.push(Path::new("--force"));
    }
    server_command(database_url, &args).await
}

async fn restore(database_url: &str, file: &Path, force: bool) -> Output {
    let mut args = vec![Path::new("restore"), Path::new("--input"), file];
    if force {
        args.push(Path::new("--force"));
    }
    server_command(database_url, &args).await
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

fn assert_succeeded(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} succeeds; stderr: {}",
        stderr(output)
    );
}

/// A refusal: a non-zero exit and one line on stderr that says to add `--force`.
fn assert_refused(output: &Output, what: &str, because: &str) {
    let message = stderr(output);
    assert!(!output.status.success(), "{what} is refused");
    assert_eq!(message.lines().count(), 1, "one line: {message}");
    assert!(
        message.contains(because) && message.contains("--force"),
        "{what}: the line says why and what to do: {message}"
    );
}

/// A backup file in the temporary folder, removed when the test ends.
struct BackupFile(PathBuf);

impl BackupFile {
    fn new(backend: Backend) -> Self {
        let extension = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "dump",
        };
        let name = format!("abetworks-backup-{}.{extension}", new_id());
        Self(std::env::temp_dir().join(name))
    }
}

impl Drop for BackupFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Rows inserted on another task, and calls to the server, until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    /// At most this long, in case the test never stops it.
    const LIMIT: Duration = Duration::from_secs(120);

    fn start(app: &TestApp, seeded: Seeded) -> Self {
        let (stop, written) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let (db, client, ready) = (app.state.db.clone(), app.new_client(), app.url("/readyz"));
        let (stopped, count) = (stop.clone(), written.clone());
        let task = tokio::spawn(async move {
            let started = Instant::now();
            while !stopped.load(Ordering::Relaxed) && started.elapsed() < Self::LIMIT {
                write_a_little(&db, &seeded).await;
                let response = client.get(&ready).send().await.expect("the server answers");
                assert_eq!(response.status(), 200, "the server keeps serving");
                count.fetch_add(1, Ordering::Relaxed);
            }
        });
        Self {
            stop,
            written,
            task,
        }
    }

    fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    async fn wait_for(&self, writes: u64) {
        while self.written() < writes {
            assert!(!self.task.is_finished(), "the load stopped early");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("the load ran without failing");
    }
}

/// New rows only: rows of the snapshot are never changed, so they must come back as they were.
async fn write_a_little(db: &DatabaseConnection, seeded: &Seeded) {
    let now = chrono::Utc::now();
    let v = |text: &str| Value::from(text.to_owned());
    let rows = [
        (
            "logs",
            vec![
                ("actor_id", v(&seeded.user_id)),
                ("action", v("load.write")),
                ("target_type", v("agent")),
                ("target_id", v(&seeded.agent_id)),
            ],
        ),
        (
            "api_usage_tracking",
            vec![
                ("user_id", v(&seeded.user_id)),
                ("agent_id", v(&seeded.agent_id)),
                ("api_key_id", v(&seeded.api_key_id)),
                ("endpoint", v("/api/v1/agents/x/execute")),
                ("method", v("POST")),
                ("status_code", 200i32.into()),
                ("duration_ms", 12i64.into()),
            ],
        ),
        (
            "login_attempts",
            vec![
                ("email", v("load@example.com")),
                ("ip", v("127.0.0.1")),
                ("succeeded", false.into()),
            ],
        ),
    ];
    for (table, mut columns) in rows {
        columns.extend([("id", v(&new_id())), ("created_at", now.into())]);
        insert(db, table, columns).await;
    }
}

/// The table-by-table rows of a whole database, each sorted (for exact comparisons).
fn sorted_tables(snapshot: &Snapshot) -> Vec<(&String, Vec<&serde_json::Value>)> {
    snapshot.iter().map(|(t, rows)| (t, sorted(rows))).collect()
}

/// The database at `database_url` holds exactly `rows`, table by table.
async fn assert_holds(database_url: &str, rows: &Snapshot, what: &str) {
    assert_eq!(
        sorted_tables(&snapshot_of(database_url).await),
        sorted_tables(rows),
        "{what}"
    );
}

/// `what`, a restore of `file` into `database_url`, succeeds and leaves exactly `rows` there.
async fn assert_restores_exactly(
    database_url: &str,
    file: &Path,
    force: bool,
    rows: &Snapshot,
    what: &str,
) {
    assert_succeeded(&restore(database_url, file, force).await, what);
    let leaves = format!("{what} leaves exactly the backup's rows");
    assert_holds(database_url, rows, &leaves).await;
}

async fn snapshot_of(database_url: &str) -> Snapshot {
    let db = abetworks::db::connect(database_url)
        .await
        .expect("the database opens");
    let rows = snapshot(&db).await;
    let _ = db.close().await;
    rows
}

on_every_database!(a_backup_taken_while_the_server_writes_restores_every_earlier_row);

async fn a_backup_taken_while_the_server_writes_restores_every_earlier_row(database: TestDatabase) {
    let (backend, source_url) = (database.backend, database.url.clone());
    let app = spawn_app(database).await;
    let seeded = fill_every_table(&app.state.db).await;
    let before = snapshot(&app.state.db).await;
    assert_eq!(
        empty_tables(&before),
        Vec::<&str>::new(),
        "every table has a row before the backup (give new tables one in fill_every_table)"
    );

    // The load writes before the backup starts, all through it and after it ends. (How many
    // rows land inside the backup's own window is the scheduler's business on two cores.)
    let load = Load::start(&app, seeded);
    load.wait_for(3).await;
    let file = BackupFile::new(backend);
    let made = backup(&source_url, &file.0, false).await;
    assert!(
        !load.task.is_finished(),
        "the load ran all through the backup"
    );
    load.wait_for(load.written() + 3).await;
    load.stop().await;
    assert_succeeded(&made, "the backup");

    let target = TestDatabase::create(backend)
        .await
        .expect("a fresh database for the restore");
    assert_succeeded(
        &restore(&target.url, &file.0, false).await,
        "restoring into an empty database",
    );
    let after = snapshot_of(&target.url).await;
    assert_rows_kept(&before, &after);
    assert!(
        after["logs"].len() > before["logs"].len(),
        "the backup holds the rows the load wrote before it began"
    );
}

on_every_database!(neither_command_replaces_anything_without_force);

async fn neither_command_replaces_anything_without_force(database: TestDatabase) {
    let backend = database.backend;
    let source = abetworks::db::connect_and_migrate(&database.url)
        .await
        .expect("the source database migrates");
    fill_every_table(&source).await;
    let _ = source.close().await;
    let source_rows = snapshot_of(&database.url).await;

    let file = BackupFile::new(backend);
    assert_succeeded(&backup(&database.url, &file.0, false).await, "the backup");
    let written = std::fs::read(&file.0).expect("the backup file");
    assert_refused(
        &backup(&database.url, &file.0, false).await,
        "a backup over an existing file",
        "already exists",
    );
    assert_eq!(
        std::fs::read(&file.0).expect("the backup file"),
        written,
        "the refused backup left the file as it was"
    );
    assert_succeeded(
        &backup(&database.url, &file.0, true).await,
        "a forced backup over an existing file",
    );

    // A database with rows of its own keeps them unless the restore is forced.
    let target = TestDatabase::create(backend).await.expect("a target");
    let target_db = abetworks::db::connect_and_migrate(&target.url)
        .await
        .expect("the target migrates");
    let own = new_id();
    insert(
        &target_db,
        "organizations",
        vec![
            ("id", Value::from(own.clone())),
            ("name", Value::from("Target's own".to_owned())),
            ("slug", Value::from(format!("own-{own}"))),
            ("created_at", chrono::Utc::now().into()),
        ],
    )
    .await;
    let _ = target_db.close().await;
    let target_rows = snapshot_of(&target.url).await;
    assert_refused(
        &restore(&target.url, &file.0, false).await,
        "a restore over a database with rows",
        "not empty",
    );
    assert_holds(
        &target.url,
        &target_rows,
        "the refused restore changed nothing",
    )
    .await;
    assert_restores_exactly(&target.url, &file.0, true, &source_rows, "a forced restore").await;

    // A migrated but empty database (a server started on it once) needs no --force.
    let migrated = TestDatabase::create(backend).await.expect("a target");
    let migrated_db = abetworks::db::connect_and_migrate(&migrated.url)
        .await
        .expect("the target migrates");
    let _ = migrated_db.close().await;
    let into_empty = "a restore into a migrated, empty database";
    assert_restores_exactly(&migrated.url, &file.0, false, &source_rows, into_empty).await;
}
