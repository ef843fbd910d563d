//! The one client of the Python agent service: pooled, with timeouts, signing every call.
//! Execute calls are never retried: running an agent is not idempotent.
//!
//! A call runs either plainly (`execute`: one JSON answer) or streamed (`execute_streaming`:
//! the service's `/execute/stream` answers NDJSON, progress lines then one output or error
//! line; see `python-agents/README.md`).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::{Config, Secret};
use abetworks_types::error::sentence;
use abetworks_types::{ErrorBody, ErrorCode};

pub const HEADER_EXECUTION_ID: &str = "x-abetworks-execution-id";
pub const HEADER_USER_ID: &str = "x-abetworks-user-id";
pub const HEADER_TIMESTAMP: &str = "x-abetworks-timestamp";
pub const HEADER_SIGNATURE: &str = "x-abetworks-signature";

/// One agent as the service describes it in `GET /agents`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AgentDescriptor {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub short_description: String,
    #[serde(default)]
    pub long_description: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub price_cents: i64,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default)]
    pub icon: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub input_schema: Value,
    #[serde(default)]
    pub output_schema: Value,
}

fn default_currency() -> String {
    "USD".into()
}

#[derive(Deserialize)]
struct AgentList {
    agents: Vec<AgentDescriptor>,
}

/// A field the agent's input model rejected.
pub type FieldError = abetworks_types::FieldIssue;

#[derive(Debug, Deserialize)]
struct ServiceErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize, Default)]
struct ErrorDetail {
    #[serde(default, rename = "type")]
    error_type: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    traceback: Option<String>,
    #[serde(default)]
    fields: Vec<FieldError>,
}

/// A successful run.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentOutput {
    pub output: Value,
    #[serde(default)]
    pub duration_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("the agent service is unreachable: {0}")]
    Unavailable(String),
    #[error("the agent service did not answer in time")]
    Timeout,
    #[error("the agent rejected the input: {message}")]
    Rejected {
        message: String,
        fields: Vec<FieldError>,
    },
    #[error("the agent service refused the gateway's signature")]
    Unauthorized,
    #[error("the agent service does not know this agent")]
    UnknownAgent,
    #[error("the agent failed ({error_type}): {message}")]
    Failed {
        status: u16,
        error_type: String,
        message: String,
        traceback: Option<String>,
    },
    #[error("the agent service sent an unreadable answer: {0}")]
    Malformed(String),
}

impl AgentError {
    /// The code a caller sees for a failed agent call.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unavailable(_) => ErrorCode::AgentUnavailable,
            Self::Timeout => ErrorCode::AgentTimeout,
            Self::Rejected { .. } => ErrorCode::InvalidInput,
            Self::Unauthorized | Self::UnknownAgent | Self::Failed { .. } | Self::Malformed(_) => {
                ErrorCode::AgentFailed
            }
        }
    }

    /// What the caller reads: the agent's own words only for rejected input.
    pub fn public(&self) -> ErrorBody {
        match self {
            Self::Rejected { message, fields } => {
                let message = if fields.is_empty() {
                    sentence(message)
                } else {
                    "The agent rejected the input: please correct the highlighted fields.".into()
                };
                ErrorBody {
                    fields: fields.clone(),
                    ..ErrorBody::new(ErrorCode::InvalidInput, message)
                }
            }
            other => ErrorBody::of(other.code()),
        }
    }
}

#[derive(Clone)]
pub struct AgentClient {
    http: reqwest::Client,
    base: url::Url,
    secret: Secret,
}

impl std::fmt::Debug for AgentClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentClient")
            .field("base", &self.base.as_str())
            .finish()
    }
}

/// The HMAC-SHA256 signature over execution id, user id, agent slug, timestamp and body hash.
pub fn sign(
    secret: &str,
    execution_id: &str,
    user_id: &str,
    slug: &str,
    timestamp: u64,
    body: &[u8],
) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    let message = format!("{execution_id}\n{user_id}\n{slug}\n{timestamp}\n{body_hash}");
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl AgentClient {
    pub fn new(
        base: url::Url,
        secret: Secret,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Self, AgentError> {
        Self::with_roots(base, secret, connect_timeout, request_timeout, &[])
    }

    /// Like `new`, trusting `extra_roots` (a private CA) besides the public web roots.
    pub fn with_roots(
        base: url::Url,
        secret: Secret,
        connect_timeout: Duration,
        request_timeout: Duration,
        extra_roots: &[reqwest::Certificate],
    ) -> Result<Self, AgentError> {
        let builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .pool_max_idle_per_host(64);
        let http = extra_roots
            .iter()
            .fold(builder, |builder, root| {
                builder.add_root_certificate(root.clone())
            })
            .build()
            .map_err(|e| AgentError::Unavailable(with_causes(&e)))?;
        Ok(Self { http, base, secret })
    }

    /// The client for `AGENT_SERVICE_URL`, trusting `AGENT_SERVICE_CA_FILE` when it is set.
    pub fn from_config(config: &Config) -> Result<Self, AgentError> {
        let ca = config.agent_service_ca.as_ref();
        Self::with_roots(
            config.agent_service_url.clone(),
            config.agent_service_secret.clone(),
            config.agent_connect_timeout,
            config.agent_request_timeout,
            ca.map(|ca| ca.certificates.as_slice()).unwrap_or_default(),
        )
        .map_err(|e| match (e, ca) {
            (AgentError::Unavailable(why), Some(ca)) => AgentError::Unavailable(format!(
                "AGENT_SERVICE_CA_FILE {}: {why}",
                ca.path.display()
            )),
            (e, _) => e,
        })
    }

    fn url(&self, path: &str) -> Result<url::Url, AgentError> {
        self.base
            .join(path)
            .map_err(|e| AgentError::Malformed(format!("bad agent URL: {e}")))
    }

    /// Whether the service answers `/health`.
    pub async fn is_healthy(&self) -> bool {
        let Ok(url) = self.url("/health") else {
            return false;
        };
        matches!(self.http.get(url).timeout(Duration::from_secs(2)).send().await,
            Ok(r) if r.status().is_success())
    }

    /// The agents the service offers.
    pub async fn list_agents(&self) -> Result<Vec<AgentDescriptor>, AgentError> {
        let request = self
            .http
            .get(self.url("/agents")?)
            .bearer_auth(self.secret.expose());
        let list: AgentList = json_answer(request).await?;
        Ok(list.agents)
    }

    /// Runs agent `slug` on `input`, signed for `execution_id` and `user_id`; the call's
    /// duration is recorded by agent and outcome.
    pub async fn execute(
        &self,
        execution_id: &str,
        user_id: &str,
        slug: &str,
        input: &Value,
    ) -> Result<AgentOutput, AgentError> {
        let started = Instant::now();
        let result = match self.signed_call(EXECUTE, execution_id, user_id, slug, input) {
            Ok(request) => json_answer(request).await,
            Err(error) => Err(error),
        };
        record_call(slug, started, result.as_ref().err());
        result
    }

    /// Runs agent `slug` on `input` like `execute`, streamed: the events come as the agent
    /// works (progress, if the agent reports it, then its output), all within `time_limit`
    /// (instead of the client's request timeout). A refusal (signature, unknown agent,
    /// rejected input) is the `Err` here, before any event.
    pub async fn execute_streaming(
        &self,
        execution_id: &str,
        user_id: &str,
        slug: &str,
        input: &Value,
        time_limit: Duration,
    ) -> Result<AgentEventStream, AgentError> {
        let started = Instant::now();
        let response = match self.signed_call(EXECUTE_STREAM, execution_id, user_id, slug, input) {
            Ok(request) => stream_answer(request.timeout(time_limit)).await,
            Err(error) => Err(error),
        };
        match response {
            Ok(response) => Ok(AgentEventStream {
                response: Some(response),
                pending: Vec::new(),
                slug: slug.to_owned(),
                started,
            }),
            Err(error) => {
                record_call(slug, started, Some(&error));
                Err(error)
            }
        }
    }

    /// The request to `endpoint` (`EXECUTE` or `EXECUTE_STREAM`) of agent `slug` on `input`,
    /// signed for `execution_id` and `user_id`.
    fn signed_call(
        &self,
        endpoint: &str,
        execution_id: &str,
        user_id: &str,
        slug: &str,
        input: &Value,
    ) -> Result<reqwest::RequestBuilder, AgentError> {
        let body = serde_json::to_vec(&serde_json::json!({ "input": input }))
            .map_err(|e| AgentError::Malformed(e.to_string()))?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let signature = sign(
            self.secret.expose(),
            execution_id,
            user_id,
            slug,
            timestamp,
            &body,
        );
        Ok(self
            .http
            .post(self.url(&format!("/agents/{slug}/{endpoint}"))?)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER_EXECUTION_ID, execution_id)
            .header(HEADER_USER_ID, user_id)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature)
            .body(body))
    }
}

/// The plain execute's path under `/agents/{slug}/`, and its streamed form's.
const EXECUTE: &str = "execute";
const EXECUTE_STREAM: &str = "execute/stream";

/// Records an execute call's duration by agent and outcome.
fn record_call(slug: &str, started: Instant, error: Option<&AgentError>) {
    let outcome = error.map_or(crate::metric_names::CALL_OK, |e| e.code().as_str());
    let labels = [("agent", slug.to_owned()), ("outcome", outcome.to_owned())];
    metrics::histogram!(crate::metric_names::AGENT_CALL_SECONDS, &labels).record(started.elapsed());
}

/// One event of a streamed call.
#[derive(Clone, Debug)]
pub enum AgentEvent {
    /// How far the agent has got: `done` of `total` (never going back), with its message.
    Progress {
        done: u64,
        total: u64,
        message: Option<String>,
    },
    /// The agent's answer, the last event.
    Output(AgentOutput),
}

/// A line of the service's NDJSON stream.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum StreamLine {
    Progress {
        done: u64,
        total: u64,
        #[serde(default)]
        message: Option<String>,
    },
    Output {
        output: Value,
        #[serde(default, rename = "durationMs")]
        duration_ms: i64,
    },
    /// The line also holds `error`, the plain execute's error object.
    Error { status: u16 },
}

/// One line of the stream as an event, or as the error the plain execute would have been.
fn stream_event(line: &[u8]) -> Result<AgentEvent, AgentError> {
    let parsed = serde_json::from_slice::<StreamLine>(line)
        .map_err(|e| AgentError::Malformed(format!("a stream line: {e}")))?;
    match parsed {
        StreamLine::Progress {
            done,
            total,
            message,
        } => Ok(AgentEvent::Progress {
            done,
            total,
            message,
        }),
        StreamLine::Output {
            output,
            duration_ms,
        } => Ok(AgentEvent::Output(AgentOutput {
            output,
            duration_ms,
        })),
        StreamLine::Error { status } => Err(error_from_status(status, line)),
    }
}

/// The events of a streamed call, read as they arrive: any number of `Progress`, then one
/// `Output` or one error, then `None`. Dropping it closes the connection, which stops the
/// agent's work in the service.
#[derive(Debug)]
pub struct AgentEventStream {
    /// `None` once the last event was handed out.
    response: Option<reqwest::Response>,
    /// Bytes received after the last complete line.
    pending: Vec<u8>,
    slug: String,
    started: Instant,
}

impl AgentEventStream {
    /// The next event, `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<AgentEvent, AgentError>> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                if line.trim_ascii().is_empty() {
                    continue;
                }
                let event = stream_event(&line);
                if !matches!(event, Ok(AgentEvent::Progress { .. })) {
                    self.finish(event.as_ref().err());
                }
                return Some(event);
            }
            let chunk = self.response.as_mut()?.chunk().await;
            match chunk {
                Ok(Some(bytes)) => self.pending.extend_from_slice(&bytes),
                // A last line without its newline still counts.
                Ok(None) if !self.pending.trim_ascii().is_empty() => self.pending.push(b'\n'),
                Ok(None) => {
                    let cut = AgentError::Unavailable(
                        "the agent service ended the stream before the agent's answer".into(),
                    );
                    self.finish(Some(&cut));
                    return Some(Err(cut));
                }
                Err(error) => {
                    let error = transport_error(error);
                    self.finish(Some(&error));
                    return Some(Err(error));
                }
            }
        }
    }

    /// Reads the stream to its end: every progress report goes to `on_progress` (done, total,
    /// message), and the output or the error is the result.
    pub async fn until_output(
        mut self,
        mut on_progress: impl FnMut(u64, u64, Option<&str>),
    ) -> Result<AgentOutput, AgentError> {
        while let Some(event) = self.next().await {
            match event? {
                AgentEvent::Progress {
                    done,
                    total,
                    message,
                } => on_progress(done, total, message.as_deref()),
                AgentEvent::Output(output) => return Ok(output),
            }
        }
        Err(AgentError::Malformed(
            "the stream was already read to its end".into(),
        ))
    }

    /// Ends the stream after its last event and records the call.
    fn finish(&mut self, error: Option<&AgentError>) {
        self.response = None;
        self.pending.clear();
        record_call(&self.slug, self.started, error);
    }
}

/// Sends a streamed call: a refusal status becomes the service's error; an accepted call is
/// the response whose body is the stream.
async fn stream_answer(request: reqwest::RequestBuilder) -> Result<reqwest::Response, AgentError> {
    let response = request
        .header(reqwest::header::ACCEPT, "application/x-ndjson")
        .send()
        .await
        .map_err(transport_error)?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let bytes = response.bytes().await.map_err(transport_error)?;
    Err(error_from_status(status.as_u16(), &bytes))
}

/// Sends `request` and reads its JSON answer: an error status becomes the service's error,
/// a body that is not a `T` is malformed.
async fn json_answer<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, AgentError> {
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(transport_error)?;
    if !status.is_success() {
        return Err(error_from_status(status.as_u16(), &bytes));
    }
    serde_json::from_slice::<T>(&bytes).map_err(|e| AgentError::Malformed(e.to_string()))
}

fn transport_error(error: reqwest::Error) -> AgentError {
    if error.is_timeout() {
        AgentError::Timeout
    } else if error.is_decode() || error.is_body() {
        AgentError::Malformed(error.to_string())
    } else {
        AgentError::Unavailable(with_causes(&error.without_url()))
    }
}

/// An error with its causes: reqwest's own text ("error sending request") hides why, such as
/// an untrusted certificate or a refused connection.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

fn error_from_status(status: u16, body: &[u8]) -> AgentError {
    let detail = serde_json::from_slice::<ServiceErrorBody>(body).map(|b| b.error);
    match (status, detail) {
        (401 | 403, _) => AgentError::Unauthorized,
        (404, _) => AgentError::UnknownAgent,
        (422, Ok(d)) => AgentError::Rejected {
            message: d.message,
            fields: d.fields,
        },
        (422, Err(_)) => AgentError::Rejected {
            message: "the input is invalid".into(),
            fields: vec![],
        },
        (504, _) => AgentError::Timeout,
        (502 | 503, Err(_)) => AgentError::Unavailable(format!("status {status}")),
        (_, Ok(d)) => AgentError::Failed {
            status,
            error_type: d.error_type,
            message: d.message,
            traceback: d.traceback,
        },
        (_, Err(e)) => AgentError::Malformed(format!("status {status}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_every_signed_part() {
        let base = sign("secret", "e1", "u1", "sentiment", 100, b"{}");
        assert_eq!(base.len(), 64);
        assert_eq!(base, sign("secret", "e1", "u1", "sentiment", 100, b"{}"));
        assert_ne!(base, sign("other", "e1", "u1", "sentiment", 100, b"{}"));
        assert_ne!(base, sign("secret", "e2", "u1", "sentiment", 100, b"{}"));
        assert_ne!(base, sign("secret", "e1", "u2", "sentiment", 100, b"{}"));
        assert_ne!(base, sign("secret", "e1", "u1", "churn", 100, b"{}"));
        assert_ne!(base, sign("secret", "e1", "u1", "sentiment", 101, b"{}"));
        assert_ne!(base, sign("secret", "e1", "u1", "sentiment", 100, b"{ }"));
    }

    #[test]
    fn a_python_traceback_is_kept_from_a_500() {
        let body = br#"{"error":{"type":"ZeroDivisionError","message":"division by zero","traceback":"Traceback (most recent call last):\n..."}}"#;
        match error_from_status(500, body) {
            AgentError::Failed {
                error_type,
                traceback,
                ..
            } => {
                assert_eq!(error_type, "ZeroDivisionError");
                assert!(traceback.unwrap().starts_with("Traceback"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn field_errors_are_kept_from_a_422() {
        let body = br#"{"error":{"type":"validation_error","message":"Input is invalid","fields":[{"field":"texts","message":"required"}]}}"#;
        match error_from_status(422, body) {
            AgentError::Rejected { fields, .. } => assert_eq!(fields[0].field, "texts"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn stream_lines_become_progress_output_or_the_plain_execute_error() {
        let progress = br#"{"type":"progress","done":50,"total":200,"message":"Scored 50"}"#;
        match stream_event(progress) {
            Ok(AgentEvent::Progress {
                done: 50,
                total: 200,
                message: Some(message),
            }) => assert_eq!(message, "Scored 50"),
            other => panic!("unexpected {other:?}"),
        }
        let output = br#"{"type":"output","output":{"scored":200},"durationMs":12}"#;
        match stream_event(output) {
            Ok(AgentEvent::Output(answer)) => {
                assert_eq!(answer.output["scored"], 200);
                assert_eq!(answer.duration_ms, 12);
            }
            other => panic!("unexpected {other:?}"),
        }
        let failed = br#"{"type":"error","status":500,"error":{"type":"KeyError","message":"'x'","traceback":"Traceback ..."}}"#;
        match stream_event(failed) {
            Err(AgentError::Failed {
                status: 500,
                error_type,
                traceback: Some(_),
                ..
            }) => assert_eq!(error_type, "KeyError"),
            other => panic!("unexpected {other:?}"),
        }
        let late = br#"{"type":"error","status":504,"error":{"type":"timeout","message":"late"}}"#;
        assert!(matches!(stream_event(late), Err(AgentError::Timeout)));
        for garbage in [
            &b"<html>"[..],
            br#"{"type":"party"}"#,
            br#"{"type":"progress"}"#,
        ] {
            assert!(matches!(
                stream_event(garbage),
                Err(AgentError::Malformed(_))
            ));
        }
    }

    #[test]
    fn an_unreadable_error_body_is_malformed() {
        assert!(matches!(
            error_from_status(500, b"<html>"),
            AgentError::Malformed(_)
        ));
    }
}
