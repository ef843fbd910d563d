//! The pieces of a PostgreSQL server of a test's own (`initdb` and `pg_ctl` from the machine's
//! PostgreSQL, in a temporary folder), shared by the tests that start one: `tests/tls.rs` and
//! the fault tests of the server (`server/tests/api/common/own_postgres.rs`).
//!
//! initdb refuses to run as root, so when the tests run as root (CI) the PostgreSQL commands
//! run as the `postgres` user through `runuser`, and the folder is handed to that user.
//! Without PostgreSQL's binaries (`/usr/lib/postgresql/*/bin/initdb`) the test fails saying so.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `pg_hba.conf` trusting local connections, with or without TLS.
pub const TRUST_LOCAL: &str = "local all all trust\nhost all all 127.0.0.1/32 trust\n";

/// A temporary folder removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new, empty folder whose name holds `name`.
    pub fn new(name: &str) -> Self {
        let suffix = uuid::Uuid::now_v7().simple().to_string();
        let path = std::env::temp_dir().join(format!("abetworks-pg-{name}-{suffix}"));
        std::fs::create_dir_all(&path).expect("a temporary folder");
        Self(path)
    }

    /// Writes the file `name` in the folder; its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("a file of the temporary folder is written");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A PostgreSQL command, as the `postgres` user when the tests run as root.
pub fn postgres_command(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// `chown [-R] postgres:postgres dir` when the tests run as root (the PostgreSQL commands then
/// run as `postgres`); nothing otherwise.
pub fn chown_to_postgres(dir: &Path, recursive: bool) -> Option<Command> {
    running_as_root().then(|| {
        let mut chown = Command::new("chown");
        if recursive {
            chown.arg("-R");
        }
        chown.arg("postgres:postgres").arg(dir);
        chown
    })
}

/// The `initdb` of a cluster in `data` trusting local connections, superuser `postgres`.
pub fn initdb(bin: &Path, data: &Path) -> Command {
    let mut initdb = postgres_command(&bin.join("initdb"));
    initdb
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"])
        .arg("--no-sync")
        .arg("-D")
        .arg(data);
    initdb
}

/// What `postgresql.conf` gets: `port` on 127.0.0.1, the socket in `dir`, no fsync.
pub fn server_settings(port: u16, dir: &Path) -> String {
    format!(
        "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
         fsync = off\n",
        dir.display()
    )
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
pub fn postgres_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .expect("PostgreSQL's binaries are needed: /usr/lib/postgresql/*/bin/initdb")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// Appends `text` to the file at `path` (`postgresql.conf`).
pub fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("postgresql.conf opens");
    file.write_all(text.as_bytes())
        .expect("postgresql.conf is written");
}
