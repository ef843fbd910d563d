//! SQLite: `VACUUM INTO` for the backup, a file copy swapped into place for the restore.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use super::{application_tables, check_signature, rows_held, sibling, BackupError};

const SIGNATURE: &[u8] = b"SQLite format 3\0";
const EXPECTED: &str = "an SQLite database";

/// Copies the live database at `path` into the new file `into`. `VACUUM INTO` reads one
/// consistent snapshot while the server goes on writing (WAL), and writes a compact file.
pub(super) async fn vacuum_into(
    database_url: &str,
    path: &Path,
    into: &Path,
) -> Result<(), BackupError> {
    // Connecting with `mode=rwc` would create an empty database where none was.
    if !path.is_file() {
        return Err(BackupError::NoSqliteDatabase(path.to_owned()));
    }
    // An absolute path can never be read as a `file:` URI; bound as a value, it needs no quoting.
    let into = std::path::absolute(into).map_err(BackupError::io("cannot write", into))?;
    let into_text = into
        .to_str()
        .ok_or_else(|| BackupError::PathNotUtf8(into.clone()))?
        .to_owned();
    let db = crate::db::connect(database_url)
        .await
        .map_err(BackupError::database("cannot open the database"))?;
    let copied = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [into_text.into()],
        ))
        .await;
    let _ = db.close().await;
    copied
        .map(|_| ())
        .map_err(BackupError::database("the backup (VACUUM INTO) failed"))
}

/// Replaces the database file at `path` with a verified copy of `input`.
pub(super) async fn restore(
    database_url: &str,
    path: &Path,
    input: &Path,
    force: bool,
) -> Result<(), BackupError> {
    check_signature(input, SIGNATURE, EXPECTED)?;
    if !force && path.exists() {
        let db = crate::db::connect(database_url)
            .await
            .map_err(BackupError::database("cannot open the database"))?;
        let held = match application_tables(&db).await {
            Ok(tables) => rows_held(&db, &tables).await,
            Err(e) => Err(e),
        };
        let _ = db.close().await;
        let summary = held.map_err(BackupError::database("cannot read the database"))?;
        if !summary.is_empty() {
            return Err(BackupError::NotEmpty { summary });
        }
    }
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(BackupError::io("cannot create", folder))?;
    }
    let incoming = sibling(path, "restore")?;
    let swapped = put_in_place(input, &incoming, path).await;
    if swapped.is_err() {
        for file in with_journals(&incoming) {
            let _ = std::fs::remove_file(file);
        }
    }
    swapped
}

/// Copies `input` to `incoming`, checks it, and renames it over `path`.
async fn put_in_place(input: &Path, incoming: &Path, path: &Path) -> Result<(), BackupError> {
    std::fs::copy(input, incoming).map_err(BackupError::io("cannot write", incoming))?;
    verify(incoming, input).await?;
    // A write-ahead log left by the old database would be replayed onto the new file.
    for journal in with_journals(path).into_iter().skip(1) {
        match std::fs::remove_file(&journal) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(BackupError::io("cannot remove", &journal)(e))
            }
            _ => {}
        }
    }
    std::fs::rename(incoming, path).map_err(BackupError::io("cannot replace", path))
}

/// The copy opens, passes SQLite's quick check and was made by this application.
async fn verify(copy: &Path, input: &Path) -> Result<(), BackupError> {
    let not_a_backup = || BackupError::NotABackup {
        path: input.to_owned(),
        expected: "an intact Abetworks SQLite backup",
    };
    let db = Database::connect(format!("sqlite://{}?mode=rw", copy.display()))
        .await
        .map_err(|_| not_a_backup())?;
    let check = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_owned());
    let quick_check = db.query_one_raw(check("PRAGMA quick_check")).await;
    let migrations = db
        .query_one_raw(check(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
        ))
        .await;
    let _ = db.close().await;
    let intact = matches!(
        quick_check.map(|row| row.and_then(|r| r.try_get_by_index::<String>(0).ok())),
        Ok(Some(verdict)) if verdict == "ok"
    );
    if intact && matches!(migrations, Ok(Some(_))) {
        return Ok(());
    }
    Err(not_a_backup())
}

/// `path` and the journal files SQLite keeps beside it.
fn with_journals(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm", "-journal"]
        .into_iter()
        .map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        })
        .collect()
}
