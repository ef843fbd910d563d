//! One scenario: a fixed number of requests kept `connections` in flight on kept-alive
//! connections, each answer read to its end; what each got and how long it took.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use reqwest::header::HeaderMap;
use reqwest::{Client, RequestBuilder};

/// How long one request may take before it counts as an error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A client that keeps up to `connections` connections open and sends `headers` with each
/// request. It does not decode compressed bodies (the workspace's reqwest cannot): a body's
/// length is what went over the wire.
pub fn client(connections: usize, headers: HeaderMap) -> Client {
    Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(connections)
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// Opens about `connections` connections to `url`'s server before a scenario, so the
/// scenario measures requests on kept-alive connections, not connection set-up.
pub async fn warm_up(client: &Client, url: &str, connections: usize) {
    stream::iter(0..connections * 2)
        .map(|_| async move {
            if let Ok(response) = client.get(url).send().await {
                let _ = response.bytes().await;
            }
        })
        .buffer_unordered(connections)
        .collect::<Vec<()>>()
        .await;
}

/// One request: its place in the scenario, its status or why it has none, its duration.
pub struct Sample {
    pub index: usize,
    pub outcome: Result<u16, String>,
    pub latency: Duration,
}

pub struct Run {
    pub planned: usize,
    pub samples: Vec<Sample>,
    pub elapsed: Duration,
}

/// Sends the requests `request(0..planned)`, `connections` at a time; none is sent after
/// `deadline`.
pub async fn run(
    planned: usize,
    connections: usize,
    deadline: Instant,
    request: impl Fn(usize) -> RequestBuilder,
) -> Run {
    let started = Instant::now();
    let samples = stream::iter((0..planned).take_while(|_| Instant::now() < deadline))
        .map(|index| {
            let request = request(index);
            async move {
                let sent = Instant::now();
                let outcome = match request.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        match response.bytes().await {
                            Ok(_) => Ok(status),
                            Err(e) => Err(format!("the body broke off: {}", described(&e))),
                        }
                    }
                    Err(e) => Err(described(&e)),
                };
                Sample {
                    index,
                    outcome,
                    latency: sent.elapsed(),
                }
            }
        })
        .buffer_unordered(connections)
        .collect()
        .await;
    Run {
        planned,
        samples,
        elapsed: started.elapsed(),
    }
}

/// A failed request in a few words: timed out, or the error and its causes.
fn described(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("no answer within {} s", REQUEST_TIMEOUT.as_secs());
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn is_success(outcome: &Result<u16, String>) -> bool {
    matches!(outcome, Ok(status) if (200..300).contains(status))
}

/// What a run adds up to. Throughput and latency are of the successful requests; refusals
/// for a spent quota (429) are expected and counted apart; anything else is an error.
pub struct Summary {
    pub planned: usize,
    pub sent: usize,
    pub refused: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Each kind of error ("HTTP 503", "no answer within 10 s", ...) and how often.
    pub error_kinds: BTreeMap<String, usize>,
}

impl Run {
    pub fn summary(&self) -> Summary {
        let mut latencies: Vec<Duration> = self
            .samples
            .iter()
            .filter(|s| is_success(&s.outcome))
            .map(|s| s.latency)
            .collect();
        latencies.sort();
        let mut error_kinds = BTreeMap::new();
        let mut refused = 0;
        for sample in &self.samples {
            match &sample.outcome {
                Ok(429) => refused += 1,
                Ok(status) if (200..300).contains(status) => {}
                Ok(status) => *error_kinds.entry(format!("HTTP {status}")).or_insert(0) += 1,
                Err(why) => *error_kinds.entry(why.clone()).or_insert(0) += 1,
            }
        }
        Summary {
            planned: self.planned,
            sent: self.samples.len(),
            refused,
            errors: error_kinds.values().sum(),
            per_second: latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9),
            p50_ms: quantile_ms(&latencies, 0.50),
            p99_ms: quantile_ms(&latencies, 0.99),
            error_kinds,
        }
    }
}

/// The `q` quantile of sorted durations, in milliseconds (nearest rank).
fn quantile_ms(sorted: &[Duration], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let index = (last as f64 * q).round() as usize;
    Some(sorted[index].as_secs_f64() * 1000.0)
}
