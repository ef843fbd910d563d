//! A webhook receiver on loopback for the tests, and the signature check they verify its
//! requests with, written independently of the server's code.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tokio::time::Instant;

use crate::common::stand_in;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// A webhook receiver on loopback: answers the `n`-th request (from 0) with `answer(n)`, or
/// holds it open while `hold` is set.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    pub hold: Arc<AtomicBool>,
}

impl Receiver {
    pub async fn start(answer: fn(usize) -> StatusCode) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let hold = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let (log, held) = (got.clone(), hold.clone());
        let router = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: String| async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                log.lock().expect("the log").push(Received {
                    at: Instant::now(),
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp"),
                    signature: header("webhook-signature"),
                    body,
                });
                while held.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                answer(count.fetch_add(1, Ordering::SeqCst))
            }),
        );
        let address = stand_in::serve(router).await;
        Self {
            url: format!("{address}/hook"),
            got,
            hold,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("the log").clone()
    }
}

/// The Standard Webhooks check, written here independently of the server: base64 of
/// HMAC-SHA256 (ring) over `id.timestamp.body`, keyed with the secret's decoded bytes.
pub fn signed_correctly(secret: &str, request: &Received) -> bool {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("the secret is base64 after whsec_");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let message = format!("{}.{}.{}", request.id, request.timestamp, request.body);
    let expected = STANDARD.encode(ring::hmac::sign(&key, message.as_bytes()).as_ref());
    request
        .signature
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}
