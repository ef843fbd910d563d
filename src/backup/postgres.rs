//! PostgreSQL: the machine's `pg_dump --format=custom` and `pg_restore`. The password goes to
//! them in `PGPASSWORD`, never on a command line (which `ps` shows) nor in a message.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{application_tables, check_signature, rows_held, BackupError};

/// What every custom-format dump starts with.
const SIGNATURE: &[u8] = b"PGDMP";
const EXPECTED: &str = "a PostgreSQL custom-format dump";
const PACKAGED_TOOLS: &str = "/usr/lib/postgresql";

/// The database to connect the tools to: its URL without the password, and the password.
pub(super) struct Connection {
    url: String,
    password: Option<String>,
}

impl Connection {
    pub(super) fn parse(database_url: &str) -> Result<Self, BackupError> {
        let mut url = url::Url::parse(database_url).map_err(|_| BackupError::UnsupportedUrl)?;
        let mut password = url.password().map(percent_decoded);
        url.set_password(None)
            .map_err(|()| BackupError::UnsupportedUrl)?;
        // libpq also takes `?password=`: that one moves to the environment too.
        let (secret, kept): (Vec<_>, Vec<_>) = url
            .query_pairs()
            .into_owned()
            .partition(|(key, _)| key == "password");
        if let Some((_, value)) = secret.into_iter().last() {
            password = Some(value);
            url.set_query(None);
            if !kept.is_empty() {
                url.query_pairs_mut().extend_pairs(kept);
            }
        }
        Ok(Self {
            url: url.into(),
            password,
        })
    }

    /// `pg_dump --format=custom` of the whole database into `into` (one consistent snapshot).
    pub(super) async fn dump(&self, into: &Path) -> Result<(), BackupError> {
        let args = vec![
            "--format=custom".into(),
            "--file".into(),
            into.as_os_str().to_owned(),
            "--dbname".into(),
            self.url.clone().into(),
        ];
        self.run(
            "pg_dump",
            args,
            "fix what it reports and run the backup again",
        )
        .await
    }

    /// `pg_restore` of `input`, in one transaction; refuses a database holding rows unless
    /// `force`. Existing tables (a migrated but empty database, or a forced restore) are
    /// dropped first with `--clean --if-exists`.
    pub(super) async fn restore(
        &self,
        database_url: &str,
        input: &Path,
        force: bool,
    ) -> Result<(), BackupError> {
        check_signature(input, SIGNATURE, EXPECTED)?;
        find_tool("pg_restore")?;
        let db = crate::db::connect(database_url)
            .await
            .map_err(BackupError::database("cannot open the database"))?;
        let tables = application_tables(&db).await;
        let held = match &tables {
            Ok(tables) if !force => rows_held(&db, tables).await,
            _ => Ok(String::new()),
        };
        let _ = db.close().await;
        let tables = tables.map_err(BackupError::database("cannot read the database"))?;
        let summary = held.map_err(BackupError::database("cannot read the database"))?;
        if !summary.is_empty() {
            return Err(BackupError::NotEmpty { summary });
        }
        let mut args = vec![
            "--dbname".into(),
            self.url.clone().into(),
            "--no-owner".into(),
            "--single-transaction".into(),
        ];
        if force || !tables.is_empty() {
            args.extend(["--clean".into(), "--if-exists".into()]);
        }
        args.push(input.as_os_str().to_owned());
        self.run(
            "pg_restore",
            args,
            "the database was left as it was (the restore runs in one transaction); fix what it \
             reports and run the restore again",
        )
        .await
    }

    /// Runs `tool` with `args` off the async threads; its stderr becomes the error's one line.
    async fn run(
        &self,
        tool: &'static str,
        args: Vec<std::ffi::OsString>,
        next: &'static str,
    ) -> Result<(), BackupError> {
        let program = find_tool(tool)?;
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(password) = &self.password {
            command.env("PGPASSWORD", password);
        }
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .map_err(|e| BackupError::ToolFailed {
                tool,
                detail: e.to_string(),
                next,
            })?
            .map_err(|e| BackupError::ToolFailed {
                tool,
                detail: format!("cannot start it ({e})"),
                next,
            })?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut detail = stderr
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
        if detail.is_empty() {
            detail = output.status.to_string();
        }
        Err(BackupError::ToolFailed { tool, detail, next })
    }
}

/// `tool` on PATH, or else the newest one the distribution's packages installed.
fn find_tool(tool: &'static str) -> Result<PathBuf, BackupError> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|folder| folder.join(tool))
        .find(|candidate| candidate.is_file());
    let packaged = || {
        std::fs::read_dir(PACKAGED_TOOLS)
            .ok()?
            .flatten()
            .filter_map(|entry| {
                let version: u32 = entry.file_name().to_str()?.parse().ok()?;
                let candidate = entry.path().join("bin").join(tool);
                candidate.is_file().then_some((version, candidate))
            })
            .max_by_key(|(version, _)| *version)
            .map(|(_, candidate)| candidate)
    };
    on_path
        .or_else(packaged)
        .ok_or(BackupError::ToolMissing { tool })
}

/// Undoes the `%XX` escapes of a URL's password (libpq would too).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_taken_out_of_the_url() {
        let connection =
            Connection::parse("postgres://app:p%40ss%2Fw@db.local:5432/abetworks?sslmode=require")
                .expect("a PostgreSQL URL");
        assert_eq!(
            connection.url,
            "postgres://app@db.local:5432/abetworks?sslmode=require"
        );
        assert_eq!(connection.password.as_deref(), Some("p@ss/w"));

        let connection = Connection::parse("postgres://app@h/db?password=s3cret&sslmode=disable")
            .expect("a PostgreSQL URL");
        assert_eq!(connection.url, "postgres://app@h/db?sslmode=disable");
        assert_eq!(connection.password.as_deref(), Some("s3cret"));

        let connection = Connection::parse("postgres://h/db").expect("a PostgreSQL URL");
        assert_eq!(connection.url, "postgres://h/db");
        assert_eq!(connection.password, None);
    }
}
