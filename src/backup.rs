//! `server backup` and `server restore`: a consistent copy of the whole database, taken while
//! the server keeps serving, and putting one back.
//!
//! SQLite is copied with `VACUUM INTO` (a read transaction, so writers carry on under WAL);
//! PostgreSQL with the machine's `pg_dump --format=custom` and `pg_restore`. A restore never
//! replaces rows unless forced, and migrates the restored database so it fits this build.
//! Every error reads as one line that says what to do next.

mod postgres;
mod sqlite;

use std::io::Read;
use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// Why a backup or restore did not happen (or only partly did).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("DATABASE_URL must start with sqlite: or postgres://; set it to the database to use")]
    UnsupportedUrl,
    #[error(
        "DATABASE_URL names an in-memory SQLite database, which has nothing to back up or \
         restore into; point DATABASE_URL at a file"
    )]
    InMemory,
    #[error("there is no SQLite database at {}; check DATABASE_URL", .0.display())]
    NoSqliteDatabase(PathBuf),
    #[error("{} already exists; choose another --output or add --force to replace it", .0.display())]
    OutputExists(PathBuf),
    #[error("{} is not a file name; give --output a file name", .0.display())]
    NotAFileName(PathBuf),
    #[error("the folder {} does not exist; create it or choose another --output", .0.display())]
    NoSuchFolder(PathBuf),
    #[error("{} is not valid UTF-8; choose a plainer --output path", .0.display())]
    PathNotUtf8(PathBuf),
    #[error("{} does not exist; check --input", .0.display())]
    InputMissing(PathBuf),
    #[error(
        "{} is not {expected}; pass a file written by `server backup` on the same kind of database",
        path.display()
    )]
    NotABackup {
        path: PathBuf,
        expected: &'static str,
    },
    #[error(
        "the database is not empty (rows: {summary}); restore into an empty database or add --force \
         to replace its contents"
    )]
    NotEmpty { summary: String },
    #[error(
        "{tool} was not found on PATH or under /usr/lib/postgresql/*/bin; install the PostgreSQL \
         client tools (e.g. apt-get install postgresql-client) of the server's major version or newer"
    )]
    ToolMissing { tool: &'static str },
    #[error("{tool} failed: {detail}; {next}")]
    ToolFailed {
        tool: &'static str,
        detail: String,
        next: &'static str,
    },
    #[error("{action}: {source}; check DATABASE_URL and that the database is reachable")]
    Database { action: &'static str, source: DbErr },
    #[error("{action} {}: {source}; check the path and its permissions", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the backup was put in place but migrating it failed: {0}; restore it with the server \
         version that wrote it (or a newer one)"
    )]
    Migrate(DbErr),
}

impl BackupError {
    fn database(action: &'static str) -> impl FnOnce(DbErr) -> Self {
        move |source| Self::Database { action, source }
    }

    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}

/// The database `DATABASE_URL` names.
enum Target {
    Sqlite(PathBuf),
    Postgres(postgres::Connection),
}

impl Target {
    fn of(database_url: &str) -> Result<Self, BackupError> {
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            return postgres::Connection::parse(database_url).map(Self::Postgres);
        }
        let rest = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .ok_or(BackupError::UnsupportedUrl)?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return Err(BackupError::InMemory);
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }
}

/// Writes a backup of the database at `database_url` to `output` and returns its size in
/// bytes. The copy is written beside `output` first and renamed into place, so `output` is
/// either absent, the old file, or a complete backup.
pub async fn backup(database_url: &str, output: &Path, force: bool) -> Result<u64, BackupError> {
    let target = Target::of(database_url)?;
    if !force && output.exists() {
        return Err(BackupError::OutputExists(output.to_owned()));
    }
    let partial = sibling(output, "partial")?;
    let written = match &target {
        Target::Sqlite(path) => sqlite::vacuum_into(database_url, path, &partial).await,
        Target::Postgres(connection) => connection.dump(&partial).await,
    };
    // Without --force, a file that appeared at `output` meanwhile is not replaced either.
    let written = written.and_then(|()| {
        if !force && output.exists() {
            return Err(BackupError::OutputExists(output.to_owned()));
        }
        std::fs::rename(&partial, output).map_err(BackupError::io("cannot write", output))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::metadata(output)
        .map(|m| m.len())
        .map_err(BackupError::io("cannot read", output))
}

/// Puts the backup `input` in place of the database at `database_url`, then migrates it.
/// Refuses when that database holds any application row, unless `force`.
pub async fn restore(database_url: &str, input: &Path, force: bool) -> Result<(), BackupError> {
    let target = Target::of(database_url)?;
    if !input.is_file() {
        return Err(BackupError::InputMissing(input.to_owned()));
    }
    match &target {
        Target::Sqlite(path) => sqlite::restore(database_url, path, input, force).await?,
        Target::Postgres(connection) => connection.restore(database_url, input, force).await?,
    }
    let db = crate::db::connect_and_migrate(database_url)
        .await
        .map_err(BackupError::Migrate)?;
    let _ = db.close().await;
    Ok(())
}

/// The application's tables (migration bookkeeping and the engine's own tables left out).
async fn application_tables(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = current_schema() \
             ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
              ORDER BY 1"
        }
    };
    let mut tables = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        let name: String = row.try_get_by_index(0)?;
        if name != "seaql_migrations" {
            tables.push(name);
        }
    }
    Ok(tables)
}

/// "users 12, logs 3": the tables of `tables` that hold rows; empty when none do.
async fn rows_held(db: &DatabaseConnection, tables: &[String]) -> Result<String, DbErr> {
    let backend = db.get_database_backend();
    let mut held = Vec::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", table.replace('"', "\"\""));
        let count: i64 = match db
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
        {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        if count > 0 {
            held.push(format!("{table} {count}"));
        }
    }
    Ok(held.join(", "))
}

/// A fresh name beside `path` for a file that becomes `path` once complete.
fn sibling(path: &Path, purpose: &str) -> Result<PathBuf, BackupError> {
    let name = path
        .file_name()
        .ok_or_else(|| BackupError::NotAFileName(path.to_owned()))?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(BackupError::NoSuchFolder(folder));
    }
    let mut sibling_name = name.to_owned();
    sibling_name.push(format!(".{purpose}-{}", uuid::Uuid::now_v7().simple()));
    Ok(folder.join(sibling_name))
}

/// Refuses `path` unless it starts with `magic`, its format's signature.
fn check_signature(path: &Path, magic: &[u8], expected: &'static str) -> Result<(), BackupError> {
    let mut head = vec![0; magic.len()];
    let read = std::fs::File::open(path).and_then(|mut file| file.read_exact(&mut head));
    if read.is_ok() && head == magic {
        return Ok(());
    }
    Err(BackupError::NotABackup {
        path: path.to_owned(),
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_read_from_the_url() {
        assert!(matches!(
            Target::of("sqlite://data/a.sqlite?mode=rwc"),
            Ok(Target::Sqlite(path)) if path == Path::new("data/a.sqlite")
        ));
        assert!(matches!(
            Target::of("sqlite::memory:"),
            Err(BackupError::InMemory)
        ));
        assert!(matches!(
            Target::of("mysql://x/y"),
            Err(BackupError::UnsupportedUrl)
        ));
        assert!(matches!(
            Target::of("postgres://u:p@h/db"),
            Ok(Target::Postgres(_))
        ));
    }

    #[test]
    fn a_backup_is_written_beside_its_final_name() {
        let partial = sibling(Path::new("backup.dump"), "partial").expect("a sibling");
        assert_eq!(partial.parent(), Some(Path::new(".")));
        assert!(partial.to_string_lossy().contains("backup.dump.partial-"));
        assert!(matches!(
            sibling(Path::new("/no/such/folder/x.dump"), "partial"),
            Err(BackupError::NoSuchFolder(_))
        ));
    }
}
