//! The one client of the Python agent service: pooled, with timeouts, signing every call.
//! Execute calls are never retried: running an agent is not idempotent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
        let started = std::time::Instant::now();
        let result = self.call_agent(execution_id, user_id, slug, input).await;
        let outcome = match &result {
            Ok(_) => crate::metric_names::CALL_OK,
            Err(error) => error.code().as_str(),
        };
        let labels = [("agent", slug.to_owned()), ("outcome", outcome.to_owned())];
        metrics::histogram!(crate::metric_names::AGENT_CALL_SECONDS, &labels)
            .record(started.elapsed());
        result
    }

    async fn call_agent(
        &self,
        execution_id: &str,
        user_id: &str,
        slug: &str,
        input: &Value,
    ) -> Result<AgentOutput, AgentError> {
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
        let request = self
            .http
            .post(self.url(&format!("/agents/{slug}/execute"))?)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER_EXECUTION_ID, execution_id)
            .header(HEADER_USER_ID, user_id)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature)
            .body(body);
        json_answer(request).await
    }
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
    fn an_unreadable_error_body_is_malformed() {
        assert!(matches!(
            error_from_status(500, b"<html>"),
            AgentError::Malformed(_)
        ));
    }
}
