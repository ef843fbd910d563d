//! The metered gateway: one function runs an agent for a caller, in the contract's order:
//! license check → atomic admission → signed call → record → refund on failure → track.
//! REST handlers and server functions both call [`execute`]; neither holds these rules.

use std::time::Instant;

use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::Value;

use crate::agent_client::{AgentClient, AgentError, FieldError};
use crate::entities::agent_catalog;
use crate::entities::enums::{AgentStatus, ExecutionStatus};
use crate::error::CoreResult;
use crate::error_logs::{self, ErrorKind, NewErrorLog};
use crate::executions::{self, ExecutionOutcome, NewExecution};
use crate::quota::{self, Admission, LicenseDenial};
use crate::usage::{self, TrackCall};

/// Who asks to run what.
#[derive(Clone, Debug)]
pub struct ExecuteRequest<'a> {
    pub user_id: &'a str,
    pub api_key_id: Option<&'a str>,
    /// The one agent a scoped API key may run.
    pub key_agent_scope: Option<&'a str>,
    /// The agent's id or slug.
    pub agent: &'a str,
    pub input: Value,
    pub request_id: Option<&'a str>,
    /// What the usage row records as the endpoint, e.g. `/api/agents/{agentId}/execute`.
    pub endpoint: &'a str,
    pub method: &'a str,
}

/// The license's standing after the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageSnapshot {
    pub limit: i64,
    pub used: i64,
    /// `None` when the license is unlimited.
    pub remaining: Option<i64>,
}

impl UsageSnapshot {
    fn new(limit: i64, used: i64) -> Self {
        Self {
            limit,
            used,
            remaining: quota::remaining(limit, used),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteSuccess {
    pub execution_id: String,
    pub output: Value,
    pub duration_ms: i64,
    pub usage: UsageSnapshot,
}

/// Why a call did not run or did not succeed. Each maps to one status and code.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecuteFailure {
    UnknownAgent,
    KeyScopeMismatch,
    License(LicenseDenial),
    QuotaExceeded {
        limit: i64,
        used: i64,
    },
    InvalidInput {
        message: String,
        fields: Vec<FieldError>,
        reference_id: String,
    },
    AgentFailed {
        message: String,
        reference_id: String,
    },
    AgentUnavailable {
        reference_id: String,
    },
    AgentTimeout {
        reference_id: String,
    },
}

impl ExecuteFailure {
    /// The HTTP status of the REST contract.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::UnknownAgent => 404,
            Self::KeyScopeMismatch | Self::License(_) => 403,
            Self::QuotaExceeded { .. } => 429,
            Self::InvalidInput { .. } => 422,
            Self::AgentFailed { .. } => 502,
            Self::AgentUnavailable { .. } => 503,
            Self::AgentTimeout { .. } => 504,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownAgent => "AGENT_NOT_FOUND",
            Self::KeyScopeMismatch => "KEY_SCOPE_MISMATCH",
            Self::License(denial) => denial.code(),
            Self::QuotaExceeded { .. } => "QUOTA_EXCEEDED",
            Self::InvalidInput { .. } => "INVALID_INPUT",
            Self::AgentFailed { .. } => "AGENT_FAILED",
            Self::AgentUnavailable { .. } => "AGENT_UNAVAILABLE",
            Self::AgentTimeout { .. } => "AGENT_TIMEOUT",
        }
    }

    /// A message for the caller: clear, without internals.
    pub fn message(&self) -> String {
        match self {
            Self::UnknownAgent => "There is no such agent.".into(),
            Self::KeyScopeMismatch => "This API key is limited to another agent.".into(),
            Self::License(denial) => format!("{}.", capitalise(&denial.to_string())),
            Self::QuotaExceeded { limit, used } => {
                format!("You have used {used} of {limit} calls for this agent. Ask for a higher limit to continue.")
            }
            Self::InvalidInput { message, .. } => format!("The agent rejected the input: {message}"),
            Self::AgentFailed { .. } => "The agent failed while running. Your call was not counted.".into(),
            Self::AgentUnavailable { .. } => {
                "The agent service is unavailable right now. Your call was not counted; try again shortly.".into()
            }
            Self::AgentTimeout { .. } => "The agent took too long to answer. Your call was not counted.".into(),
        }
    }

    /// The error-log id the caller can quote, for failures that were logged.
    pub fn reference_id(&self) -> Option<&str> {
        match self {
            Self::InvalidInput { reference_id, .. }
            | Self::AgentFailed { reference_id, .. }
            | Self::AgentUnavailable { reference_id }
            | Self::AgentTimeout { reference_id } => Some(reference_id),
            _ => None,
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Runs the agent for the caller. The outer `Err` is a fault of our own (database); the inner
/// result is the call's outcome. Every call, admitted or not, writes one usage row.
pub async fn execute(
    db: &DatabaseConnection,
    agents: &AgentClient,
    request: ExecuteRequest<'_>,
) -> CoreResult<Result<ExecuteSuccess, ExecuteFailure>> {
    let started = Instant::now();
    let agent = crate::catalog::find_agent(db, request.agent).await?;
    let outcome = run(db, agents, &request, agent.as_ref()).await;
    let (status, error) = match &outcome {
        Ok(Ok(_)) => (200, None),
        Ok(Err(failure)) => (failure.status_code(), Some(failure.code().to_owned())),
        Err(e) => (500, Some(e.to_string())),
    };
    usage::track(
        db,
        TrackCall {
            user_id: Some(request.user_id.to_owned()),
            agent_id: agent.map(|a| a.id),
            api_key_id: request.api_key_id.map(str::to_owned),
            endpoint: request.endpoint.to_owned(),
            method: request.method.to_owned(),
            status_code: status,
            duration_ms: started.elapsed().as_millis() as i64,
            error,
        },
    )
    .await?;
    outcome
}

async fn run(
    db: &DatabaseConnection,
    agents: &AgentClient,
    request: &ExecuteRequest<'_>,
    agent: Option<&agent_catalog::Model>,
) -> CoreResult<Result<ExecuteSuccess, ExecuteFailure>> {
    let Some(agent) = agent else {
        return Ok(Err(ExecuteFailure::UnknownAgent));
    };
    if request
        .key_agent_scope
        .is_some_and(|scope| scope != agent.id)
    {
        return Ok(Err(ExecuteFailure::KeyScopeMismatch));
    }
    let license = match quota::check_license(db, request.user_id, &agent.id).await? {
        Ok(license) => license,
        Err(denial) => return Ok(Err(ExecuteFailure::License(denial))),
    };
    let (limit, used) = match quota::admit(db, &license.id).await? {
        Admission::Admitted { limit, used } => (limit, used),
        Admission::QuotaExceeded { limit, used } => {
            return Ok(Err(ExecuteFailure::QuotaExceeded { limit, used }))
        }
        Admission::Denied(denial) => return Ok(Err(ExecuteFailure::License(denial))),
    };
    // From here on the unit is taken: every way out that is not a success gives it back.
    let result = run_admitted(db, agents, request, agent, &license.id).await;
    match result {
        Ok(Ok(success)) => Ok(Ok(ExecuteSuccess {
            usage: UsageSnapshot::new(limit, used),
            ..success
        })),
        Ok(Err(failure)) => {
            quota::refund(db, &license.id).await?;
            Ok(Err(failure))
        }
        Err(e) => {
            let _ = quota::refund(db, &license.id).await;
            Err(e)
        }
    }
}

async fn run_admitted(
    db: &DatabaseConnection,
    agents: &AgentClient,
    request: &ExecuteRequest<'_>,
    agent: &agent_catalog::Model,
    license_id: &str,
) -> CoreResult<Result<ExecuteSuccess, ExecuteFailure>> {
    let execution = executions::start(
        db,
        NewExecution {
            user_id: request.user_id.to_owned(),
            agent_id: agent.id.clone(),
            license_id: Some(license_id.to_owned()),
            api_key_id: request.api_key_id.map(str::to_owned),
            input: request.input.clone(),
        },
    )
    .await?;
    let started = Instant::now();
    let called = if agent.status == AgentStatus::Unavailable {
        Err(AgentError::UnknownAgent)
    } else {
        agents
            .execute(&execution.id, request.user_id, &agent.slug, &request.input)
            .await
    };
    let duration_ms = started.elapsed().as_millis() as i64;
    match called {
        Ok(answer) => {
            executions::finish(
                db,
                &execution.id,
                ExecutionOutcome {
                    status: ExecutionStatus::Succeeded,
                    output: Some(answer.output.clone()),
                    error_code: None,
                    error_message: None,
                    duration_ms,
                },
            )
            .await?;
            Ok(Ok(ExecuteSuccess {
                execution_id: execution.id,
                output: answer.output,
                duration_ms,
                usage: UsageSnapshot::new(0, 0),
            }))
        }
        Err(error) => {
            let kind = ErrorKind::from(&error);
            let (stack_trace, message) = match &error {
                AgentError::Failed {
                    traceback,
                    message,
                    error_type,
                    ..
                } => (traceback.clone(), format!("{error_type}: {message}")),
                other => (None, other.to_string()),
            };
            let reference_id = error_logs::log_error(
                db,
                NewErrorLog {
                    kind,
                    code: failure_code(&error).to_owned(),
                    message: message.clone(),
                    stack_trace,
                    user_id: Some(request.user_id.to_owned()),
                    agent_id: Some(agent.id.clone()),
                    request_id: request.request_id.map(str::to_owned),
                    context: Some(
                        serde_json::json!({ "executionId": execution.id, "agent": agent.slug }),
                    ),
                },
            )
            .await?;
            let failure = match error {
                AgentError::Rejected { message, fields } => ExecuteFailure::InvalidInput {
                    message,
                    fields,
                    reference_id,
                },
                AgentError::Timeout => ExecuteFailure::AgentTimeout { reference_id },
                AgentError::Unavailable(_) | AgentError::UnknownAgent => {
                    ExecuteFailure::AgentUnavailable { reference_id }
                }
                AgentError::Failed { .. } | AgentError::Malformed(_) | AgentError::Unauthorized => {
                    ExecuteFailure::AgentFailed {
                        message,
                        reference_id,
                    }
                }
            };
            executions::finish(
                db,
                &execution.id,
                ExecutionOutcome {
                    status: ExecutionStatus::Failed,
                    output: None,
                    error_code: Some(failure.code().to_owned()),
                    error_message: Some(failure.message()),
                    duration_ms,
                },
            )
            .await?;
            Ok(Err(failure))
        }
    }
}

fn failure_code(error: &AgentError) -> &'static str {
    match error {
        AgentError::Rejected { .. } => "INVALID_INPUT",
        AgentError::Timeout => "AGENT_TIMEOUT",
        AgentError::Unavailable(_) | AgentError::UnknownAgent => "AGENT_UNAVAILABLE",
        AgentError::Unauthorized => "AGENT_SIGNATURE_REFUSED",
        AgentError::Failed { .. } | AgentError::Malformed(_) => "AGENT_FAILED",
    }
}
