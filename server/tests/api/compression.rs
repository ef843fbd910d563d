//! Compression and socket settings: answers go out in brotli or gzip when the client asks for
//! it (`Accept-Encoding`) and as they are when it does not; server-sent events are never
//! compressed, so each event still arrives when it happens; accepted sockets have
//! `TCP_NODELAY`. The workspace's reqwest has no decoding features, so bodies arrive as sent.

use std::io::Read;
use std::time::Duration;

use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use reqwest::Client;
use serde_json::{json, Value};

use crate::common::{script_client, spawn_app, spawn_app_with_settings, stand_in, TestApp};

/// Every wait of these tests ends by then.
const PATIENCE: Duration = Duration::from_secs(30);

/// GET `path` as `client` with `Accept-Encoding: accept` (none when `None`).
async fn fetch(app: &TestApp, client: &Client, path: &str, accept: Option<&str>) -> Seen {
    let mut request = client.get(app.url(path));
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    let response = request.send().await.expect("the server answers");
    assert_eq!(response.status(), 200, "{path} answers");
    let header = |name: &str| {
        response
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let encoding = header("content-encoding");
    let vary = header("vary");
    let length = response.headers().get("content-length").is_some();
    let body = response.bytes().await.expect("the body is read").to_vec();
    Seen {
        encoding,
        vary,
        length,
        body,
    }
}

/// What [`fetch`] saw: `Content-Encoding`, `Vary`, whether a `Content-Length` came, the body.
struct Seen {
    encoding: String,
    vary: String,
    length: bool,
    body: Vec<u8>,
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut plain)
        .expect("a gzip body");
    plain
}

fn unbrotli(body: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    brotli::Decompressor::new(body, 4096)
        .read_to_end(&mut plain)
        .expect("a brotli body");
    plain
}

/// `path` asked for in brotli, in gzip and with no encoding: the first two come compressed in
/// that encoding (no `Content-Length`, `Vary: accept-encoding`) and decode to what the third
/// brings as it is. `same` compares two plain bodies.
async fn compressed_when_asked(
    app: &TestApp,
    client: &Client,
    path: &str,
    same: impl Fn(&[u8], &[u8]),
) {
    let plain = fetch(app, client, path, None).await;
    assert_eq!(
        plain.encoding, "",
        "{path} is not compressed when not asked"
    );
    for (accept, encoding, decode) in [
        ("br", "br", unbrotli as fn(&[u8]) -> Vec<u8>),
        ("gzip", "gzip", gunzip),
        ("gzip, deflate, br", "br", unbrotli),
    ] {
        let answer = fetch(app, client, path, Some(accept)).await;
        assert_eq!(answer.encoding, encoding, "{path} asked with {accept}");
        assert!(
            answer.vary.to_ascii_lowercase().contains("accept-encoding"),
            "{path} varies by Accept-Encoding: {:?}",
            answer.vary
        );
        assert!(
            !answer.length,
            "a compressed {path} has no Content-Length of the plain body"
        );
        assert!(
            answer.body.len() < plain.body.len(),
            "{path} in {encoding} is smaller ({} < {})",
            answer.body.len(),
            plain.body.len()
        );
        same(&decode(&answer.body), &plain.body);
    }
    let identity = fetch(app, client, path, Some("identity")).await;
    assert_eq!(identity.encoding, "", "{path} asked with identity");
}

fn same_json(decoded: &[u8], plain: &[u8]) {
    let decoded: Value = serde_json::from_slice(decoded).expect("the decoded body is JSON");
    let plain: Value = serde_json::from_slice(plain).expect("the plain body is JSON");
    assert_eq!(decoded, plain);
}

/// A streamed page differs from one rendering to the next (what is resolved before the shell
/// goes out): both are whole pages.
fn both_whole_pages(decoded: &[u8], plain: &[u8]) {
    for page in [decoded, plain] {
        let page = String::from_utf8_lossy(page);
        let skip = page.chars().count().saturating_sub(200);
        let tail: String = page.chars().skip(skip).collect();
        assert!(
            page.trim_start()
                .to_ascii_lowercase()
                .starts_with("<!doctype html>")
                && page.contains("</html>"),
            "a whole page, ending: {tail}"
        );
    }
}

async fn json_answers_and_the_marketplace_page_are_compressed_with_brotli_or_gzip_only_when_asked(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let root = app.signed_in_as_root().await;
    compressed_when_asked(&app, &root, "/api/auth/me", same_json).await;
    compressed_when_asked(&app, &script_client(), "/api/openapi.json", same_json).await;
    compressed_when_asked(&app, &script_client(), "/marketplace", both_whole_pages).await;
}
on_every_database!(
    json_answers_and_the_marketplace_page_are_compressed_with_brotli_or_gzip_only_when_asked
);

async fn a_run_s_server_sent_events_are_not_compressed_and_arrive_one_by_one_as_it_goes(
    database: TestDatabase,
) {
    let steps = 4;
    let every = Duration::from_millis(400);
    let agents = stand_in::streaming_service(steps, every).await;
    let settings = [
        ("ABETWORKS_RUN_WORKERS", "2"),
        ("AGENT_SERVICE_URL", agents.as_str()),
    ];
    let app = spawn_app_with_settings(database, &settings).await;
    app.sync_catalog().await;
    let admin = app.signed_in_as_root().await;
    let (member, member_id) = app.signed_in("lea@example.com", Role::Member).await;
    let batch = app.agent_id("batch").await;
    app.grant(&admin, &member_id, &batch, json!({"apiCallLimit": 5}))
        .await;
    let key = app.api_key(&member, json!({"name": "runs"})).await;

    let started = script_client()
        .post(app.url("/api/agents/batch/runs"))
        .bearer_auth(&key)
        .json(&json!({"input": {"leads": steps}}))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(started.status(), 202, "a run is accepted at once");
    let body: Value = started.json().await.expect("JSON");
    let run_id = body["runId"].as_str().expect("a run id").to_owned();

    let mut response = tokio::time::timeout(
        PATIENCE,
        Client::new()
            .get(app.url(&format!("/api/runs/{run_id}/events")))
            .bearer_auth(&key)
            .header("accept-encoding", "br, gzip")
            .send(),
    )
    .await
    .expect("the stream opens in time")
    .expect("the server answers");
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("content-type").as_deref(), Some("text/event-stream"));
    assert_eq!(
        header("content-encoding"),
        None,
        "events are not compressed"
    );

    // Each event is read as soon as it is written: when the first progress event arrives,
    // the run still has its other steps ahead of it.
    let opened = tokio::time::Instant::now();
    let mut text = String::new();
    let mut first_progress = None;
    while let Some(chunk) = tokio::time::timeout(PATIENCE, response.chunk())
        .await
        .expect("the next part of the stream comes in time")
        .expect("the stream is read")
    {
        text.push_str(std::str::from_utf8(&chunk).expect("events are plain text"));
        if first_progress.is_none() && text.contains("event: progress") {
            first_progress = Some(opened.elapsed());
        }
    }
    let ended = opened.elapsed();
    let first_progress = first_progress.expect("progress events were streamed");
    assert!(
        text.contains("event: progress") && text.contains("\"succeeded\""),
        "the whole run was streamed: {text}"
    );
    assert!(
        ended - first_progress >= every * 2,
        "the first progress event came {first_progress:?} after opening, the stream ended at \
         {ended:?}: events were held back"
    );
}
on_every_database!(a_run_s_server_sent_events_are_not_compressed_and_arrive_one_by_one_as_it_goes);

#[tokio::test]
async fn every_socket_the_server_accepts_has_tcp_nodelay_set() {
    use axum::serve::Listener;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    let mut listener = server::startup::without_delay(listener);
    for _ in 0..2 {
        let client = tokio::net::TcpStream::connect(address);
        let ((accepted, _), connected) = tokio::join!(listener.accept(), client);
        let _client = connected.expect("the client connects");
        assert!(
            accepted.nodelay().expect("the option is read"),
            "TCP_NODELAY is set on the accepted socket"
        );
    }
}
