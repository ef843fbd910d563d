//! The error log: every 5xx, panic, agent failure and timeout, with a severity from one
//! classification function. A row's id is the reference id the user is shown.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession,
    TransactionTrait,
};
use serde_json::Value as Json;

use crate::actor::Actor;
use crate::agent_client::AgentError;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_or_404};
use crate::entities::enums::Severity;
use crate::entities::error_logs;
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::new_id;
use crate::input::{optional_range, optional_text, page_of, storable_text, TimeRange};
use crate::pagination::{Page, PageRequest};
use crate::usage::{count_per_bucket, insert_with_existing_refs, Granularity, Refs};

pub const MAX_MESSAGE_CHARS: usize = 10_000;
pub const MAX_STACK_TRACE_CHARS: usize = 100_000;
pub const MAX_RESOLUTION_NOTE_CHARS: usize = 1000;
const MAX_CODE_CHARS: usize = 100;
const MAX_REQUEST_ID_CHARS: usize = 200;

pub use abetworks_types::enums::ErrorKind;
pub use abetworks_types::views::{DayCount, ErrorStats, KeyCount};

/// The kind of a core error the server could not handle.
pub fn kind_of_core_error(error: &CoreError) -> ErrorKind {
    match error {
        CoreError::Database(error) if database_unreachable(error) => ErrorKind::DatabaseUnavailable,
        CoreError::Agent(agent) => kind_of_agent_error(agent),
        _ => ErrorKind::Internal,
    }
}

/// The database could not be reached, or its connection was lost mid-statement (refused, pool
/// timed out, the socket closed, the server shutting down: SQLSTATE classes 08 and 57P), as
/// opposed to a statement that failed.
fn database_unreachable(error: &DbErr) -> bool {
    use sea_orm::{sqlx, RuntimeErr};
    let cause = match error {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            cause
        }
        _ => return false,
    };
    match &**cause {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// The kind of a failed agent call.
pub fn kind_of_agent_error(error: &AgentError) -> ErrorKind {
    match error {
        AgentError::Unavailable(_) => ErrorKind::AgentUnavailable,
        AgentError::Timeout => ErrorKind::AgentTimeout,
        AgentError::Rejected { .. } => ErrorKind::AgentRejectedInput,
        AgentError::Unauthorized => ErrorKind::AgentUnauthorized,
        AgentError::UnknownAgent => ErrorKind::AgentUnknown,
        AgentError::Failed { .. } => ErrorKind::AgentFailed,
        AgentError::Malformed(_) => ErrorKind::AgentMalformedResponse,
    }
}

/// How bad an error of `kind` is: the one place this is decided.
pub const fn classify(kind: ErrorKind) -> Severity {
    match kind {
        // Nothing works, or the process state is suspect.
        ErrorKind::DatabaseUnavailable | ErrorKind::Panic | ErrorKind::AgentUnauthorized => {
            Severity::Critical
        }
        // A call failed on our side or the agent's.
        ErrorKind::Internal
        | ErrorKind::AgentFailed
        | ErrorKind::AgentUnavailable
        | ErrorKind::AgentMalformedResponse
        | ErrorKind::AgentUnknown => Severity::High,
        // Often transient: the agent was slow.
        ErrorKind::AgentTimeout => Severity::Medium,
        // The caller's input, not a fault of the system.
        ErrorKind::AgentRejectedInput => Severity::Low,
    }
}

/// One error to log.
#[derive(Clone, Debug)]
pub struct NewErrorLog {
    pub kind: ErrorKind,
    /// The contract's code, e.g. `AGENT_FAILED`.
    pub code: String,
    pub message: String,
    /// A Rust backtrace or the agent's Python traceback.
    pub stack_trace: Option<String>,
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub request_id: Option<String>,
    pub context: Option<Json>,
}

/// Whether errors of `severity` are told to the super admins (`error.logged`).
pub fn is_told(severity: Severity) -> bool {
    matches!(severity, Severity::High | Severity::Critical)
}

/// Writes the error and returns its id, the reference id shown to the user. Logging must not
/// fail because of what it logs: text is cleaned and cut, and a user or agent that does not
/// exist is dropped from the row. A high or critical error and its `error.logged` event are
/// written together: in a transaction of their own, or a savepoint of the caller's.
pub async fn log_error(
    db: &(impl ConnectionTrait + TransactionTrait),
    entry: NewErrorLog,
) -> CoreResult<String> {
    let id = new_id();
    let refs = Refs::of(entry.user_id, entry.agent_id, None);
    let row = error_logs::ActiveModel {
        id: Set(id.clone()),
        error_type: Set(entry.kind.as_str().to_owned()),
        code: Set(storable_text(&entry.code, MAX_CODE_CHARS)),
        message: Set(storable_text(&entry.message, MAX_MESSAGE_CHARS)),
        stack_trace: Set(entry
            .stack_trace
            .map(|t| storable_text(&t, MAX_STACK_TRACE_CHARS))),
        severity: Set(classify(entry.kind)),
        request_id: Set(entry
            .request_id
            .map(|r| storable_text(&r, MAX_REQUEST_ID_CHARS))),
        context: Set(entry.context),
        resolved: Set(false),
        resolved_by: Set(None),
        resolved_at: Set(None),
        resolution_note: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    if is_told(classify(entry.kind)) {
        // The references are checked before the insert: a failed insert would abort the
        // transaction on PostgreSQL. The insert comes first in the transaction, so SQLite
        // takes its write lock at once.
        let refs = refs.existing(db).await?;
        let txn = db.begin().await?;
        let logged = error_logs::ActiveModel {
            user_id: Set(refs.user_id),
            agent_id: Set(refs.agent_id),
            ..row
        }
        .insert(&txn)
        .await?;
        let event = crate::outbox::payloads::error_logged(&txn, &logged).await?;
        crate::outbox::emit(&txn, event).await?;
        txn.commit().await?;
        return Ok(id);
    }
    insert_with_existing_refs(db, refs, |refs| error_logs::ActiveModel {
        user_id: Set(refs.user_id),
        agent_id: Set(refs.agent_id),
        ..row.clone()
    })
    .await?;
    Ok(id)
}

/// List filters; the date range applies to `created_at`.
#[derive(Clone, Debug, Default)]
pub struct ErrorFilter {
    pub severity: Option<Severity>,
    pub kind: Option<ErrorKind>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub resolved: Option<bool>,
}

/// One logged error. 404 for an unknown id.
pub async fn get(db: &impl ConnectionTrait, error_id: &str) -> CoreResult<error_logs::Model> {
    find_or_404::<error_logs::Entity>(db, error_id, "error").await
}

/// Errors matching `filter`, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &ErrorFilter,
    page: PageRequest,
) -> CoreResult<Page<error_logs::Model>> {
    use error_logs::Column as C;
    let condition = optional_range(C::CreatedAt, filter.from, filter.to)?
        .add_option(filter.severity.map(|severity| C::Severity.eq(severity)))
        .add_option(filter.kind.map(|kind| C::ErrorType.eq(kind.as_str())))
        .add_option(filter.resolved.map(|resolved| C::Resolved.eq(resolved)));
    let query = error_logs::Entity::find()
        .filter(condition)
        .order_by_desc(error_logs::Column::CreatedAt)
        .order_by_desc(error_logs::Column::Id);
    page_of(db, query.into_model(), page).await
}

/// Marks an error resolved, with an optional note (at most 1000 characters), audited
/// (super admin). 404 for an unknown id, 409 when already resolved.
pub async fn resolve(
    db: &DatabaseConnection,
    actor: &Actor,
    error_id: &str,
    note: Option<&str>,
) -> CoreResult<error_logs::Model> {
    actor.require_super_admin()?;
    let note = optional_text("resolutionNote", note, MAX_RESOLUTION_NOTE_CHARS)?;
    let txn = begin_write(db).await?;
    let before = get(&txn, error_id).await?;
    let resolved = error_logs::Entity::update_many()
        .col_expr(error_logs::Column::Resolved, Expr::value(true))
        .col_expr(error_logs::Column::ResolvedBy, Expr::value(&actor.user_id))
        .col_expr(error_logs::Column::ResolvedAt, Expr::value(Utc::now()))
        .col_expr(error_logs::Column::ResolutionNote, Expr::value(note))
        .filter(error_logs::Column::Id.eq(error_id))
        .filter(error_logs::Column::Resolved.eq(false))
        .exec(&txn)
        .await?;
    if resolved.rows_affected != 1 {
        return Err(CoreError::Conflict(ConflictReason::AlreadyResolved));
    }
    let after = get(&txn, error_id).await?;
    AuditEntry::of("error.resolve", "error_log", error_id)
        .by(actor)
        .before(&before)
        .after(&after)
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(after)
}

async fn count_by(
    db: &impl ConnectionTrait,
    column: error_logs::Column,
    range: Condition,
) -> CoreResult<Vec<KeyCount>> {
    let count = || {
        Expr::expr(Func::count(Expr::col(
            error_logs::Column::Id.as_column_ref(),
        )))
    };
    Ok(error_logs::Entity::find()
        .select_only()
        .column_as(column, "key")
        .expr_as(count(), "count")
        .filter(range)
        .group_by(column)
        .order_by(count(), sea_orm::sea_query::Order::Desc)
        .order_by_asc(column)
        .into_model::<KeyCount>()
        .all(db)
        .await?)
}

/// Totals by type, by severity and per day, and the resolution rate, of `range`
/// (see [`TimeRange::new`] and [`TimeRange::last_days`]).
pub async fn stats(db: &impl ConnectionTrait, range: TimeRange) -> CoreResult<ErrorStats> {
    let in_range = || range.on(error_logs::Column::CreatedAt);
    let total = error_logs::Entity::find()
        .filter(in_range())
        .count(db)
        .await?;
    let resolved = error_logs::Entity::find()
        .filter(in_range().add(error_logs::Column::Resolved.eq(true)))
        .count(db)
        .await?;
    let per_day = count_per_bucket::<error_logs::Entity>(db, in_range(), range, Granularity::Day)
        .await?
        .into_iter()
        .map(|point| DayCount {
            day: point.start.date_naive(),
            count: point.calls,
        })
        .collect();
    Ok(ErrorStats {
        from: range.from,
        to: range.to,
        total,
        resolved,
        unresolved: total.saturating_sub(resolved),
        resolution_rate: if total == 0 {
            0.0
        } else {
            resolved as f64 / total as f64
        },
        by_type: count_by(db, error_logs::Column::ErrorType, in_range()).await?,
        by_severity: count_by(db, error_logs::Column::Severity, in_range()).await?,
        per_day,
    })
}

#[cfg(test)]
mod tests;
