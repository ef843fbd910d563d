//! Connecting to the database and migrating it. SQLite by default, PostgreSQL in production.
//! TLS to PostgreSQL (rustls) follows `sslmode` and `sslrootcert` in the URL, which sqlx reads.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::{
    self,
    postgres::{PgConnectOptions, PgSslMode},
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, PrimaryKeyTrait, RuntimeErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::time::Duration;

/// Opens a pool on `url`, creating the SQLite file's folder when needed, and migrates it.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // Several instances may start together on one database: one migrates at a time.
        // The lock lives on a dedicated connection so that the unlock reaches the same session.
        let mut options = ConnectOptions::new(url.to_owned());
        options.max_connections(1).sqlx_logging(false);
        let lock = Database::connect(options)
            .await
            .map_err(|e| explain_connect_failure(url, e))?;
        lock.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .await?;
        let migrated = Migrator::up(&db, None).await;
        let _ = lock
            .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
            .await;
        let _ = lock.close().await;
        migrated?;
    } else {
        Migrator::up(&db, None).await?;
    }
    Ok(db)
}

/// An arbitrary key for PostgreSQL's advisory lock around migrations.
const MIGRATION_LOCK_KEY: i64 = 0x0abe_7a0c;

/// Opens a pool on `url` without migrating.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file_path(url) {
        if let Some(dir) = std::path::Path::new(&path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 20 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .map_err(|e| explain_connect_failure(url, e))?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers and the single writer proceed together under load.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Ok(db)
}

/// A TLS failure says which setting asked for TLS, so whoever set DATABASE_URL knows what to
/// change. The URL itself is never echoed: it may hold a password.
fn explain_connect_failure(url: &str, err: DbErr) -> DbErr {
    let DbErr::Conn(RuntimeErr::SqlxError(cause)) = &err else {
        return err;
    };
    let Ok(mode) = url.parse::<PgConnectOptions>().map(|o| o.get_ssl_mode()) else {
        return err;
    };
    // sqlx reports a refused upgrade as `Tls`; rustls' handshake failures (an untrusted
    // certificate, a wrong host name) reach it as an I/O error of kind `InvalidData`.
    let tls_failed = match &**cause {
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Io(io) => {
            io.kind() == std::io::ErrorKind::InvalidData
                && !matches!(mode, PgSslMode::Disable | PgSslMode::Allow)
        }
        _ => false,
    };
    if !tls_failed {
        return err;
    }
    let mode = ssl_mode_name(mode);
    DbErr::Conn(RuntimeErr::Internal(format!(
        "DATABASE_URL asks for TLS (sslmode={mode}) but no secure connection to PostgreSQL \
         could be made ({cause}); turn ssl on in the server, point sslrootcert at the CA that \
         signed its certificate, or change sslmode"
    )))
}

fn ssl_mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// Opens a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so concurrent writers wait on the busy timeout instead of failing
/// with "database is locked" when a read lock cannot be upgraded. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The row of `E` whose id is `id`; `None`, without a query, for a text that is not an id.
pub(crate) async fn find_by_id<E>(
    conn: &impl ConnectionTrait,
    id: &str,
) -> crate::CoreResult<Option<E::Model>>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
{
    if !crate::ids::is_valid_id(id) {
        return Ok(None);
    }
    Ok(E::find_by_id(id.to_owned()).one(conn).await?)
}

/// The row of `E` whose id is `id`, or [`crate::CoreError::NotFound`] naming `entity` (a text
/// that is not an id is not found either).
pub(crate) async fn find_or_404<E>(
    conn: &impl ConnectionTrait,
    id: &str,
    entity: &'static str,
) -> crate::CoreResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
{
    find_by_id::<E>(conn, id)
        .await?
        .ok_or(crate::CoreError::NotFound { entity })
}

/// Runs `update` and reads back the rows it changed in the same statement (`RETURNING`, which
/// PostgreSQL and SQLite 3.35+ both have) instead of an UPDATE and a SELECT: the metered path
/// runs this on every call. Built here rather than with SeaORM's `exec_with_returning`, which
/// panics where it believes the backend lacks RETURNING (its SQLite check is a cargo feature).
pub(crate) async fn update_returning<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    update: sea_orm::UpdateMany<E>,
) -> crate::CoreResult<Vec<E::Model>> {
    let mut query = sea_orm::QueryTrait::into_query(update);
    query.returning_all();
    let statement = conn.get_database_backend().build(&query);
    Ok(E::find().from_raw_sql(statement).all(conn).await?)
}

/// Sets `field` of an active model to `value` when there is one: a change where `None` leaves
/// the column as it is.
pub(crate) fn set_if_some<V>(field: &mut sea_orm::ActiveValue<V>, value: Option<V>)
where
    V: Into<sea_orm::Value>,
{
    if let Some(value) = value {
        *field = sea_orm::ActiveValue::Set(value);
    }
}

/// Whether the database answers a trivial query (for `/readyz`).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

/// A unique-index violation is someone else winning the race: a conflict, not a failure.
pub fn unique_violation_as(err: DbErr, reason: crate::error::ConflictReason) -> crate::CoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => crate::CoreError::Conflict(reason),
        _ => crate::CoreError::Database(err),
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_file_path;

    #[test]
    fn the_sqlite_file_path_is_read_from_the_url() {
        assert_eq!(
            sqlite_file_path("sqlite://data/a.sqlite?mode=rwc").as_deref(),
            Some("data/a.sqlite")
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://x/y"), None);
    }
}
