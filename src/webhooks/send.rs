//! Sending one webhook: a signed POST with a 10 s limit, straight to the receiver (no proxy,
//! no redirects), whose address is checked against the private-address rule as it connects.

use std::error::Error as _;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

use super::address::{self, Reach};
use super::signing;
use crate::deliveries::Attempt;
use crate::entities::{outbox_events, webhook_endpoints};
use crate::metric_names;

/// How long one attempt may take, connection and answer together.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an error (with the receiver's answer) is kept in the delivery log.
pub const MAX_ERROR_CHARS: usize = 200;

/// The HTTP client webhooks are sent with, one per worker.
#[derive(Clone, Debug)]
pub struct WebhookClient {
    http: reqwest::Client,
    reach: Reach,
}

impl WebhookClient {
    pub fn new(reach: Reach) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .connect_timeout(WEBHOOK_TIMEOUT)
            // A proxy would connect for us, unchecked; a redirect could lead anywhere.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Abetworks-Webhooks/", env!("CARGO_PKG_VERSION")));
        if reach == Reach::PublicOnly {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            http: builder.build()?,
            reach,
        })
    }
}

/// Resolves host names for the webhook client and refuses private answers, so the address
/// checked is the address connected to.
struct PublicOnly;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(String);

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = address::resolve_public(&host).await.map_err(Refused)?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// Sends `event` to `endpoint` once, signed with its secret, and says how it went. Never
/// keeps more than [`MAX_ERROR_CHARS`] of what the receiver answered.
pub async fn deliver(
    client: &WebhookClient,
    endpoint: &webhook_endpoints::Model,
    event: &outbox_events::Model,
) -> Attempt {
    let started = Instant::now();
    let failed = |status_code, error: String, retry| Attempt::Failed {
        status_code,
        latency_ms: elapsed_ms(started),
        error: shorten(&error),
        retry,
    };
    let Ok(url) = address::parse_url(&endpoint.url) else {
        return failed(None, "the endpoint's URL is not valid".into(), false);
    };
    // Literal addresses never reach the resolver: checked here.
    let literal = match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) =
        literal.filter(|ip| client.reach == Reach::PublicOnly && address::is_private(*ip))
    {
        let problem = format!("refused: {ip} is a loopback or private address");
        return failed(None, problem, true);
    }
    let body = signing::body(event);
    let timestamp = Utc::now().timestamp();
    let Some(signature) = signing::signature(&endpoint.secret, &event.id, timestamp, &body) else {
        return failed(None, "the endpoint's secret is not readable".into(), false);
    };
    let sent = client
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &event.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let attempt = match sent {
        Ok(response) => {
            let status = response.status();
            let code = Some(i32::from(status.as_u16()));
            if status.is_success() {
                Attempt::Delivered {
                    status_code: code,
                    latency_ms: elapsed_ms(started),
                }
            } else {
                let answer = first_chars(response).await;
                let error = if answer.is_empty() {
                    format!("HTTP {}", status.as_u16())
                } else {
                    format!("HTTP {}: {answer}", status.as_u16())
                };
                failed(code, error, true)
            }
        }
        Err(e) => failed(None, describe(&e), true),
    };
    metrics::histogram!(metric_names::WEBHOOK_LATENCY_SECONDS)
        .record(started.elapsed().as_secs_f64());
    attempt
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The start of the receiver's answer, read no further than needed.
async fn first_chars(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < MAX_ERROR_CHARS * 4 {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    String::from_utf8_lossy(&bytes).trim().to_owned()
}

/// What went wrong with a request that got no answer, in a few words.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("no answer within {} s", WEBHOOK_TIMEOUT.as_secs());
    }
    let mut cause = error.source();
    let mut innermost = None;
    while let Some(inner) = cause {
        if let Some(refused) = inner.downcast_ref::<Refused>() {
            return format!("refused: {refused}");
        }
        innermost = Some(inner.to_string());
        cause = inner.source();
    }
    let what = if error.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    match innermost {
        Some(inner) => format!("{what}: {inner}"),
        None => what.to_owned(),
    }
}

/// `text` cut to [`MAX_ERROR_CHARS`] characters.
fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(MAX_ERROR_CHARS).collect();
    if chars.next().is_some() {
        format!("{short}…")
    } else {
        short
    }
}
