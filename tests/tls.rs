//! TLS out, for real: PostgreSQL servers of the test's own (initdb + pg_ctl from the machine's
//! PostgreSQL, in a temporary folder) and an HTTPS stand-in agent service, all with
//! certificates from a CA made here with rcgen.
//!
//! initdb refuses to run as root, so when the tests run as root (CI) the PostgreSQL commands
//! run as the `postgres` user through `runuser`, and the folder is handed to that user.
//! Each server is stopped and its folder deleted by a guard's `Drop`, also when a test fails.
//! Without PostgreSQL's binaries (`/usr/lib/postgresql/*/bin/initdb`) the database tests fail
//! with a message saying so: they never skip silently.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use abetworks::agent_client::{sign, AgentClient, AgentError};
use abetworks::config::Config;
use abetworks::db::{connect, connect_and_migrate};
use abetworks::testing::own_postgres::{
    append, chown_to_postgres, free_port, initdb, postgres_bin, postgres_command, server_settings,
    TempDir, TRUST_LOCAL,
};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{json, Value};
use tokio_rustls::rustls::{self, pki_types::CertificateDer, pki_types::PrivateKeyDer};

const AGENT_SECRET: &str = "tls-test-shared-secret-0123456789";

/// A CA and one server certificate it signed, for 127.0.0.1 and localhost.
struct TestCa {
    ca_pem: String,
    /// The server's certificate then the CA's, as PostgreSQL's `ssl_cert_file` takes them.
    server_chain_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: KeyPair,
}

impl TestCa {
    fn new() -> Self {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Abetworks test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().unwrap();
        let server_cert = params.signed_by(&server_key, &issuer).unwrap();
        Self {
            ca_pem: ca_cert.pem(),
            server_chain_pem: server_cert.pem() + &ca_cert.pem(),
            server_chain: vec![server_cert.der().clone(), ca_cert.der().clone()],
            server_key,
        }
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A PostgreSQL server of this test's own; stopped and deleted on drop.
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    started: bool,
    // Dropped after `drop` has stopped the server.
    dir: TempDir,
}

impl Postgres {
    /// Starts a server on a free port of 127.0.0.1; with `tls`, it serves `ca`'s certificate
    /// and refuses plain connections.
    fn start(name: &str, tls: Option<&TestCa>) -> Self {
        let mut server = Self {
            bin: postgres_bin(),
            data: PathBuf::new(),
            port: free_port(),
            started: false,
            dir: TempDir::new(name),
        };
        let dir = server.dir.0.clone();
        server.data = dir.join("data");
        if let Some(mut chown) = chown_to_postgres(&dir, false) {
            run(&mut chown, "chown");
        }
        run(&mut initdb(&server.bin, &server.data), "initdb");

        let mut settings = server_settings(server.port, &dir);
        let hba = match tls {
            Some(ca) => {
                let cert = server.dir.write("server.crt", &ca.server_chain_pem);
                let key = server
                    .dir
                    .write("server.key", &ca.server_key.serialize_pem());
                std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
                settings.push_str(&format!(
                    "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                    cert.display(),
                    key.display()
                ));
                "local all all trust\n\
                 hostssl all all 127.0.0.1/32 trust\n\
                 hostnossl all all 127.0.0.1/32 reject\n"
            }
            None => TRUST_LOCAL,
        };
        append(&server.data.join("postgresql.conf"), &settings);
        std::fs::write(server.data.join("pg_hba.conf"), hba).unwrap();
        if let Some(mut chown) = chown_to_postgres(&dir, true) {
            run(&mut chown, "chown");
        }

        let log = dir.join("server.log");
        let started = postgres_command(&server.bin.join("pg_ctl"))
            .args(["-w", "-t", "60", "-D"])
            .arg(&server.data)
            .arg("-l")
            .arg(&log)
            .arg("start")
            .output()
            .unwrap();
        server.started = true; // even a failed start may leave a postmaster to stop
        assert!(
            started.status.success(),
            "pg_ctl start failed: {}\n{}",
            String::from_utf8_lossy(&started.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        server
    }

    fn url(&self, query: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?{query}",
            self.port
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.started {
            let _ = postgres_command(&self.bin.join("pg_ctl"))
                .args(["-w", "-m", "immediate", "-D"])
                .arg(&self.data)
                .arg("stop")
                .output();
        }
    }
}

/// The message of `err` names each of `parts` (what to change, and why); the message.
#[track_caller]
fn assert_names_all(err: &impl std::fmt::Display, parts: &[&str]) -> String {
    let message = err.to_string();
    for part in parts {
        assert!(message.contains(part), "{part} in: {message}");
    }
    message
}

#[tokio::test]
async fn postgres_over_tls_is_verified_against_the_private_ca() {
    let ca = TestCa::new();
    let server = Postgres::start("verified", Some(&ca));
    let ca_file = server.dir.write("ca.pem", &ca.ca_pem);
    let verified = server.url(&format!(
        "sslmode=verify-full&sslrootcert={}",
        ca_file.display()
    ));

    let db = connect_and_migrate(&verified)
        .await
        .expect("verify-full with the CA connects and migrates");
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .unwrap()
        .expect("the session has a pg_stat_ssl row");
    assert!(
        row.try_get::<bool>("", "ssl").unwrap(),
        "the session is encrypted"
    );
    let _ = db.close().await;

    // Without the CA the certificate is not trusted, and the message says what to change.
    let err = connect(&server.url("sslmode=verify-full"))
        .await
        .expect_err("an unknown CA is refused");
    assert_names_all(
        &err,
        &["DATABASE_URL", "sslmode=verify-full", "certificate"],
    );

    // The server's own rule: plain connections are rejected.
    let err = connect(&server.url("sslmode=disable"))
        .await
        .expect_err("hostnossl reject");
    assert!(err.to_string().contains("no encryption"), "{err}");
}

#[tokio::test]
async fn a_plain_postgres_refuses_sslmode_require_with_a_clear_message() {
    let server = Postgres::start("plain", None);

    let err = connect_and_migrate(&server.url("sslmode=require"))
        .await
        .expect_err("require against a server without TLS fails");
    let message = assert_names_all(&err, &["TLS", "DATABASE_URL", "sslmode=require"]);
    println!("start-up would fail with: database: {message}");

    // prefer falls back to a plain connection, as libpq does.
    let db = connect(&server.url("sslmode=prefer"))
        .await
        .expect("prefer connects without TLS");
    assert!(abetworks::db::ping(&db).await);
    let _ = db.close().await;
}

/// The agent service's two calls, over HTTPS, checking the gateway's bearer and signature.
fn stand_in_agent_service() -> Router {
    async fn list(headers: HeaderMap) -> Result<Json<Value>, StatusCode> {
        let bearer = format!("Bearer {AGENT_SECRET}");
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&bearer) {
            return Err(StatusCode::UNAUTHORIZED);
        }
        Ok(Json(
            json!({ "agents": [{ "slug": "echo", "name": "Echo" }] }),
        ))
    }
    async fn execute(
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> Result<Json<Value>, StatusCode> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let timestamp = header("x-abetworks-timestamp").parse().unwrap_or_default();
        let expected = sign(
            AGENT_SECRET,
            &header("x-abetworks-execution-id"),
            &header("x-abetworks-user-id"),
            "echo",
            timestamp,
            &body,
        );
        if header("x-abetworks-signature") != expected {
            return Err(StatusCode::UNAUTHORIZED);
        }
        let request: Value = serde_json::from_slice(&body).map_err(|_| StatusCode::BAD_REQUEST)?;
        Ok(Json(
            json!({ "output": { "echo": request["input"] }, "durationMs": 3 }),
        ))
    }
    Router::new()
        .route("/agents", get(list))
        .route("/agents/echo/execute", post(execute))
}

/// Accepts TCP connections and completes the TLS handshake before handing them to axum.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, address)) = self.tcp.accept().await else {
                continue;
            };
            // A client that does not trust the certificate ends the handshake: wait for the next.
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Serves the stand-in on `https://127.0.0.1:<port>` with `ca`'s server certificate.
async fn serve_https(ca: &TestCa) -> (u16, tokio::task::JoinHandle<()>) {
    let key = PrivateKeyDer::try_from(ca.server_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(ca.server_chain.clone(), key)
    .unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, stand_in_agent_service()).await;
    });
    (port, task)
}

fn agent_config(url: &str, ca_file: Option<&Path>) -> Config {
    let ca_file = ca_file.map(|path| path.display().to_string());
    Config::from_lookup(|name| match name {
        "AGENT_SERVICE_URL" => Some(url.to_owned()),
        "AGENT_SERVICE_SECRET" => Some(AGENT_SECRET.to_owned()),
        "AGENT_SERVICE_CA_FILE" => ca_file.clone(),
        _ => None,
    })
    .expect("the configuration is valid")
}

#[tokio::test]
async fn the_agent_client_trusts_the_private_ca_named_in_its_config() {
    let ca = TestCa::new();
    let dir = TempDir::new("agent");
    let ca_file = dir.write("ca.pem", &ca.ca_pem);
    let (port, server) = serve_https(&ca).await;
    let url = format!("https://127.0.0.1:{port}");

    let client = AgentClient::from_config(&agent_config(&url, Some(&ca_file))).unwrap();
    let agents = client
        .list_agents()
        .await
        .expect("the agents are listed over https");
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0].slug, "echo");
    let input = json!({ "text": "over TLS" });
    let output = client
        .execute("execution-1", "user-1", "echo", &input)
        .await
        .expect("the agent runs over https");
    assert_eq!(output.output, json!({ "echo": input }));
    assert_eq!(output.duration_ms, 3);

    // Without the CA file the certificate is not trusted: the service counts as unavailable.
    let untrusting = AgentClient::from_config(&agent_config(&url, None)).unwrap();
    match untrusting.list_agents().await {
        Err(AgentError::Unavailable(why)) => assert!(why.contains("certificate"), "{why}"),
        other => panic!("expected an untrusted certificate, got {other:?}"),
    }
    server.abort();
}
