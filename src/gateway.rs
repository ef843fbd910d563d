//! The metered gateway: one function runs an agent for a caller, in the contract's order:
//! license check → atomic admission → signed call → record → refund on failure → track.
//! REST handlers and server functions both call [`execute`]; neither holds these rules.
//!
//! Nothing is lost when the process dies (`executions::lease`): admission and the `running`
//! execution with its lease commit together; the lease is renewed while the agent runs; a
//! failure's status and refund commit together; an execution whose instance died is settled
//! by the sweeper (`executions::sweep`), which gives its unit back exactly once.

use std::time::Instant;

use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::agent_client::{AgentClient, AgentError, FieldError};
use crate::entities::agent_catalog;
use crate::entities::enums::{AgentStatus, ExecutionStatus};
use crate::error::{CoreResult, ErrorBody, ErrorCode};
use crate::error_logs::{self, NewErrorLog};
use crate::executions::lease::{self, LeaseSettings, Refusal, Settled, Started};
use crate::executions::{ExecutionOutcome, NewExecution};
use crate::metric_names;
use crate::quota::{LicenseDenial, QuotaContext};
use crate::secrets::mask_secrets;
use crate::usage::{self, TrackCall};
pub use abetworks_types::enums::UsageSource;
pub use abetworks_types::views::{ExecuteSuccess, UsageSnapshot};

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
    /// The time of the call (from the state's clock) and the default burst rate.
    pub quota: QuotaContext,
    /// The lease the execution is held under (`AppState::execution_lease`).
    pub lease: LeaseSettings,
}

/// Why a call did not run or did not succeed. Each maps to one status and code.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecuteFailure {
    UnknownAgent,
    KeyScopeMismatch,
    License(LicenseDenial),
    /// The caller's organisation's pool for the agent has expired (403, as an expired license).
    SubscriptionExpired,
    /// The window's limit is reached; `retry_after_secs` until it resets (none for lifetime).
    QuotaExceeded {
        usage: UsageSnapshot,
        retry_after_secs: Option<i64>,
    },
    /// Over the license's burst rate this second.
    RateLimited {
        retry_after_secs: i64,
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
        self.code().status()
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnknownAgent => ErrorCode::AgentNotFound,
            Self::KeyScopeMismatch => ErrorCode::KeyScopeMismatch,
            Self::License(denial) => denial.code(),
            Self::SubscriptionExpired => ErrorCode::LicenseExpired,
            Self::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::AgentFailed { .. } => ErrorCode::AgentFailed,
            Self::AgentUnavailable { .. } => ErrorCode::AgentUnavailable,
            Self::AgentTimeout { .. } => ErrorCode::AgentTimeout,
        }
    }

    /// What the caller sees: code, message, the rejected fields and the reference to quote.
    pub fn public(&self) -> ErrorBody {
        let fields = match self {
            Self::InvalidInput { fields, .. } => fields.clone(),
            _ => Vec::new(),
        };
        let usage = match self {
            Self::QuotaExceeded { usage, .. } => Some(Box::new(*usage)),
            _ => None,
        };
        ErrorBody {
            fields,
            reference_id: self.reference_id().map(str::to_owned),
            usage,
            ..ErrorBody::new(self.code(), self.message())
        }
    }

    /// A message for the caller: clear, without internals.
    pub fn message(&self) -> String {
        match self {
            Self::License(denial) => denial.code().default_message().into(),
            Self::SubscriptionExpired => {
                "Your organisation's subscription to this agent has expired; ask your organisation's admin to renew it.".into()
            }
            Self::QuotaExceeded {
                usage,
                retry_after_secs,
            } => quota_message(usage, *retry_after_secs),
            Self::RateLimited { .. } => {
                "Too many calls this second for this license; wait a moment and try again.".into()
            }
            Self::InvalidInput { message, .. } => {
                format!("The agent rejected the input: {message}")
            }
            other => other.code().default_message().into(),
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

/// "You have used 50 of 50 calls today. The limit resets in 2 h 5 min (at 2026-12-02 00:00
/// UTC)": relative first, since the caller's zone is unknown here. A pool's refusal (the pool
/// or the member's cap) says so, and who to ask.
fn quota_message(usage: &UsageSnapshot, retry_after_secs: Option<i64>) -> String {
    let allowed = usage.limit + usage.top_ups;
    let period = usage.window.period_word();
    let (used, ask) = match usage.source {
        UsageSource::License => (
            format!("You have used {} of {allowed} calls {period}.", usage.used),
            "ask for more calls",
        ),
        UsageSource::Subscription => (
            format!(
                "No calls are left for you from your organisation's subscription ({} of {allowed} calls used {period}).",
                usage.used
            ),
            "ask your organisation's admin for more calls",
        ),
    };
    match usage.resets_at {
        Some(at) => format!(
            "{used} The limit resets in {} (at {} UTC); {ask} to continue sooner.",
            duration_words(retry_after_secs.unwrap_or(0)),
            at.format("%Y-%m-%d %H:%M"),
        ),
        None => {
            let mut ask = ask.to_owned();
            ask[..1].make_ascii_uppercase();
            format!("{used} {ask} to continue.")
        }
    }
}

/// "3 days 4 h", "2 h 5 min", "12 min", "40 s".
fn duration_words(secs: i64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{} s", secs.max(0)),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (1, h, _) => format!("1 day {h} h"),
        (d, h, _) => format!("{d} days {h} h"),
    }
}

impl ExecuteFailure {
    /// The seconds a caller should wait before trying again, when waiting helps.
    pub fn retry_after_secs(&self) -> Option<i64> {
        match self {
            Self::QuotaExceeded {
                retry_after_secs, ..
            } => *retry_after_secs,
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

/// The REST route of the synchronous call, as usage rows record it.
pub const EXECUTE_ENDPOINT: &str = "/api/agents/{agentId}/execute";

/// Records an execute call refused before it reached [`execute`] (no or a bad credential, a
/// malformed body), so usage shows every call. Never fails the caller: a lost row is logged.
pub async fn track_refused(
    db: &DatabaseConnection,
    user_id: Option<&str>,
    api_key_id: Option<&str>,
    refusal: &ErrorBody,
) {
    let tracked = usage::track(
        db,
        TrackCall {
            user_id: user_id.map(str::to_owned),
            agent_id: None,
            api_key_id: api_key_id.map(str::to_owned),
            endpoint: EXECUTE_ENDPOINT.to_owned(),
            method: "POST".to_owned(),
            status_code: refusal.status(),
            duration_ms: 0,
            error: Some(refusal.code.as_str().to_owned()),
        },
    )
    .await;
    if let Err(e) = tracked {
        tracing::warn!("could not track a refused call: {e}");
    }
}

/// Runs the agent for the caller. The outer `Err` is a fault of our own (database); the inner
/// result is the call's outcome. Every call, admitted or not, writes one usage row: an admitted
/// call's in the transaction that finishes it, any other's on its own.
pub async fn execute(
    db: &DatabaseConnection,
    agents: &AgentClient,
    request: ExecuteRequest<'_>,
) -> CoreResult<Result<ExecuteSuccess, ExecuteFailure>> {
    let started = Instant::now();
    // Each stage's future is boxed, so a call holds only the one it is in: inline, every call
    // would hold them all from its start (kilobytes each, a thousand calls at once under load).
    let agent = Box::pin(crate::catalog::find_agent(db, request.agent)).await?;
    let call = CallRecord {
        request: &request,
        agent_id: agent.as_ref().map(|a| a.id.clone()),
        started,
    };
    let (outcome, tracked) = match Box::pin(run(db, agents, &call, agent.as_ref())).await {
        Ok(ran) => (Ok(ran.result), ran.tracked),
        Err(e) => (Err(e), false),
    };
    record_outcome(agent.as_ref(), &outcome);
    if !tracked {
        let (status, error) = match &outcome {
            Ok(Ok(_)) => (200, None),
            Ok(Err(failure)) => (
                failure.status_code(),
                Some(failure.code().as_str().to_owned()),
            ),
            Err(e) => (500, Some(e.to_string())),
        };
        Box::pin(usage::track(db, call.track(status, error))).await?;
    }
    outcome
}

/// What a call's usage row records, kept until its outcome is known.
struct CallRecord<'a> {
    request: &'a ExecuteRequest<'a>,
    agent_id: Option<String>,
    started: Instant,
}

impl CallRecord<'_> {
    /// The usage row of the call, ending now with `status_code` (and `error`'s code).
    fn track(&self, status_code: u16, error: Option<String>) -> TrackCall {
        TrackCall {
            user_id: Some(self.request.user_id.to_owned()),
            agent_id: self.agent_id.clone(),
            api_key_id: self.request.api_key_id.map(str::to_owned),
            endpoint: self.request.endpoint.to_owned(),
            method: self.request.method.to_owned(),
            status_code,
            duration_ms: self.started.elapsed().as_millis() as i64,
            error,
        }
    }

    /// The usage row of a call that ended in `failure`.
    fn track_failure(&self, failure: &ExecuteFailure) -> TrackCall {
        self.track(
            failure.status_code(),
            Some(failure.code().as_str().to_owned()),
        )
    }
}

/// A call's outcome, and whether its usage row was written with it.
struct Ran {
    result: Result<ExecuteSuccess, ExecuteFailure>,
    tracked: bool,
}

impl Ran {
    fn untracked(result: Result<ExecuteSuccess, ExecuteFailure>) -> Self {
        Self {
            result,
            tracked: false,
        }
    }
}

/// Counts the run by agent and outcome; quota and license refusals also on their own.
fn record_outcome(
    agent: Option<&agent_catalog::Model>,
    outcome: &CoreResult<Result<ExecuteSuccess, ExecuteFailure>>,
) {
    let agent = agent.map_or(metric_names::UNKNOWN_AGENT, |a| a.slug.as_str());
    let code = match outcome {
        Ok(Ok(_)) => metric_names::SUCCEEDED,
        Ok(Err(failure)) => failure.code().as_str(),
        Err(_) => ErrorCode::InternalError.as_str(),
    };
    metrics::counter!(metric_names::EXECUTIONS, "agent" => agent.to_owned(), "outcome" => code)
        .increment(1);
    match outcome {
        Ok(Err(ExecuteFailure::QuotaExceeded { .. })) => {
            metrics::counter!(metric_names::QUOTA_REJECTIONS, "agent" => agent.to_owned())
                .increment(1);
        }
        Ok(Err(ExecuteFailure::License(_) | ExecuteFailure::SubscriptionExpired)) => {
            let labels = [("agent", agent.to_owned()), ("code", code.to_owned())];
            metrics::counter!(metric_names::LICENSE_DENIALS, &labels).increment(1);
        }
        _ => {}
    }
}

/// The agent a call names, when there is one and the caller's key may run it (a scoped key
/// runs its one agent only); the caller's failure otherwise. Execute and background runs.
pub(crate) fn agent_in_scope<'a>(
    agent: Option<&'a agent_catalog::Model>,
    key_agent_scope: Option<&str>,
) -> Result<&'a agent_catalog::Model, ExecuteFailure> {
    let agent = agent.ok_or(ExecuteFailure::UnknownAgent)?;
    if key_agent_scope.is_some_and(|scope| scope != agent.id) {
        return Err(ExecuteFailure::KeyScopeMismatch);
    }
    Ok(agent)
}

async fn run(
    db: &DatabaseConnection,
    agents: &AgentClient,
    call: &CallRecord<'_>,
    agent: Option<&agent_catalog::Model>,
) -> CoreResult<Ran> {
    let request = call.request;
    let agent = match agent_in_scope(agent, request.key_agent_scope) {
        Ok(agent) => agent,
        Err(failure) => return Ok(Ran::untracked(Err(failure))),
    };
    let new = NewExecution {
        user_id: request.user_id.to_owned(),
        agent_id: agent.id.clone(),
        license_id: None,
        api_key_id: request.api_key_id.map(str::to_owned),
        // Stored (and so shown and exported) with its secret fields masked; the agent below
        // still gets the real input.
        input: mask_secrets(&agent.input_schema, &request.input),
    };
    // The license check, the unit and the running execution with its lease: one transaction.
    let admitted = lease::admit_and_start(db, &request.quota, new, &request.lease);
    let started = match Box::pin(admitted).await? {
        Ok(started) => started,
        Err(refusal) => return Ok(Ran::untracked(Err(refusal.into()))),
    };
    // From here on the unit is taken: every way out that is not a success gives it back, to
    // the window it was taken from, together with the execution's failed status.
    let usage = started.usage;
    match Box::pin(run_admitted(db, agents, call, agent, &started)).await {
        Ok(Ran {
            result: Ok(success),
            tracked,
        }) => Ok(Ran {
            result: Ok(ExecuteSuccess { usage, ..success }),
            tracked,
        }),
        Ok(failed) => Ok(failed),
        Err(e) => {
            // A fault of ours (the database, most likely): settle it as failed if the database
            // answers; if not, the lease runs out and the sweeper settles it.
            let outcome = ExecutionOutcome {
                status: ExecutionStatus::Failed,
                output: None,
                error_code: Some(ErrorCode::InternalError.as_str().to_owned()),
                error_message: Some(ErrorCode::InternalError.default_message().to_owned()),
                duration_ms: 0,
            };
            let settled = Box::pin(settle_failure(db, request, &started, outcome, None)).await;
            if let Err(again) = settled {
                tracing::warn!(
                    execution_id = %started.execution.id,
                    "could not settle a failed execution; the sweeper will: {again}"
                );
            }
            Err(e)
        }
    }
}

/// A refused admission as the caller's failure (execute's and a background run's).
impl From<Refusal> for ExecuteFailure {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::QuotaExceeded {
                usage,
                retry_after_secs,
            } => Self::QuotaExceeded {
                usage,
                retry_after_secs,
            },
            Refusal::RateLimited { retry_after_secs } => Self::RateLimited { retry_after_secs },
            Refusal::License(denial) => Self::License(denial),
            Refusal::SubscriptionExpired => Self::SubscriptionExpired,
        }
    }
}

/// Finishes the execution `failed` and gives its unit back, in one transaction (with the
/// call's usage row when `track` is given).
async fn settle_failure(
    db: &DatabaseConnection,
    request: &ExecuteRequest<'_>,
    started: &Started,
    outcome: ExecutionOutcome,
    track: Option<TrackCall>,
) -> CoreResult<Settled> {
    let refund = lease::Refund {
        unit: &started.unit,
        window_start_unix: started.window_start_unix,
        now: request.lease.clock.now(),
    };
    lease::settle_failure_and_track(db, &started.execution.id, outcome, refund, track).await
}

async fn run_admitted(
    db: &DatabaseConnection,
    agents: &AgentClient,
    call: &CallRecord<'_>,
    agent: &agent_catalog::Model,
    started: &Started,
) -> CoreResult<Ran> {
    let request = call.request;
    let execution = &started.execution;
    let began = Instant::now();
    let called = if agent.status == AgentStatus::Unavailable {
        Err(AgentError::UnknownAgent)
    } else {
        Box::pin(lease::hold_while(
            db,
            &execution.id,
            &request.lease,
            agents.execute(&execution.id, request.user_id, &agent.slug, &request.input),
        ))
        .await
    };
    let duration_ms = began.elapsed().as_millis() as i64;
    match called {
        Ok(answer) => {
            // A late success (the execution was swept as abandoned meanwhile) stays abandoned
            // and uncounted; the caller still gets the agent's answer.
            let settled = Box::pin(lease::finish_success_and_track(
                db,
                &execution.id,
                ExecutionOutcome {
                    status: ExecutionStatus::Succeeded,
                    output: Some(answer.output.clone()),
                    error_code: None,
                    error_message: None,
                    duration_ms,
                },
                Some(call.track(200, None)),
            ))
            .await?;
            Ok(Ran {
                result: Ok(ExecuteSuccess {
                    execution_id: execution.id.clone(),
                    output: answer.output,
                    duration_ms,
                    usage: UsageSnapshot::new(0, 0),
                }),
                tracked: matches!(settled, Settled::Finished(_)),
            })
        }
        Err(error) => {
            let failure = Box::pin(agent_failure(
                db,
                error,
                request.user_id,
                agent,
                request.request_id,
                &execution.id,
            ))
            .await?;
            // The failed status, the refund and the usage row commit together; one already
            // swept (and so refunded) is left as it is.
            let settled = Box::pin(settle_failure(
                db,
                request,
                started,
                ExecutionOutcome {
                    status: ExecutionStatus::Failed,
                    output: None,
                    error_code: Some(failure.code().as_str().to_owned()),
                    error_message: Some(failure.message()),
                    duration_ms,
                },
                Some(call.track_failure(&failure)),
            ))
            .await?;
            Ok(Ran {
                tracked: matches!(settled, Settled::Finished(_)),
                result: Err(failure),
            })
        }
    }
}

/// Logs a failed agent call (with the agent's traceback and a severity from its kind) and
/// turns it into the failure its caller sees, with the log's reference id.
pub(crate) async fn agent_failure(
    db: &(impl sea_orm::ConnectionTrait + sea_orm::TransactionTrait),
    error: AgentError,
    user_id: &str,
    agent: &agent_catalog::Model,
    request_id: Option<&str>,
    execution_id: &str,
) -> CoreResult<ExecuteFailure> {
    let kind = error_logs::kind_of_agent_error(&error);
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
            user_id: Some(user_id.to_owned()),
            agent_id: Some(agent.id.clone()),
            request_id: request_id.map(str::to_owned),
            context: Some(serde_json::json!({ "executionId": execution_id, "agent": agent.slug })),
        },
    )
    .await?;
    Ok(match error {
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
    })
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
