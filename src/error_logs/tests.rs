use chrono::{Duration, TimeZone};
use sea_orm::ActiveModelTrait;
use serde_json::json;

use super::*;
use crate::entities::logs;
use crate::error::ConflictReason;
use crate::test_fixtures::{self as fx, page};
use crate::testing::TestDatabase;
use abetworks_types::Vocabulary;

#[test]
fn an_unreachable_database_is_critical() {
    assert_eq!(classify(ErrorKind::DatabaseUnavailable), Severity::Critical);
}

#[test]
fn a_panic_is_critical() {
    assert_eq!(classify(ErrorKind::Panic), Severity::Critical);
}

#[test]
fn a_refused_gateway_signature_is_critical() {
    assert_eq!(classify(ErrorKind::AgentUnauthorized), Severity::Critical);
}

#[test]
fn an_internal_error_is_high() {
    assert_eq!(classify(ErrorKind::Internal), Severity::High);
}

#[test]
fn an_agent_failure_is_high() {
    assert_eq!(classify(ErrorKind::AgentFailed), Severity::High);
}

#[test]
fn an_unavailable_agent_service_is_high() {
    assert_eq!(classify(ErrorKind::AgentUnavailable), Severity::High);
}

#[test]
fn a_malformed_agent_answer_is_high() {
    assert_eq!(classify(ErrorKind::AgentMalformedResponse), Severity::High);
}

#[test]
fn an_agent_unknown_to_the_service_is_high() {
    assert_eq!(classify(ErrorKind::AgentUnknown), Severity::High);
}

#[test]
fn an_agent_timeout_is_medium() {
    assert_eq!(classify(ErrorKind::AgentTimeout), Severity::Medium);
}

#[test]
fn input_the_agent_rejected_is_low() {
    assert_eq!(classify(ErrorKind::AgentRejectedInput), Severity::Low);
}

#[test]
fn every_kind_reads_back_from_its_text_and_unknown_types_are_invalid() {
    for &kind in ErrorKind::all() {
        assert_eq!(ErrorKind::parse_field("type", kind.as_str()).unwrap(), kind);
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
    assert!(
        matches!(ErrorKind::parse_field("type", "panic'; --"), Err(issue) if issue.field == "type")
    );
}

#[test]
fn agent_errors_and_core_errors_map_to_their_kind() {
    assert_eq!(
        kind_of_agent_error(&AgentError::Timeout),
        ErrorKind::AgentTimeout
    );
    assert_eq!(
        kind_of_agent_error(&AgentError::Unavailable("down".into())),
        ErrorKind::AgentUnavailable
    );
    assert_eq!(
        kind_of_agent_error(&AgentError::Malformed("x".into())),
        ErrorKind::AgentMalformedResponse
    );
    let down = CoreError::Database(DbErr::Conn(sea_orm::RuntimeErr::Internal("refused".into())));
    assert_eq!(kind_of_core_error(&down), ErrorKind::DatabaseUnavailable);
    assert_eq!(
        kind_of_core_error(&CoreError::Conflict(ConflictReason::AlreadyResolved)),
        ErrorKind::Internal
    );
}

fn failure(kind: ErrorKind) -> NewErrorLog {
    NewErrorLog {
        kind,
        code: "AGENT_FAILED".into(),
        message: "the agent failed".into(),
        stack_trace: Some("Traceback (most recent call last):\n  File \"agent.py\"".into()),
        user_id: None,
        agent_id: None,
        request_id: Some("req-1".into()),
        context: Some(json!({"endpoint": "/api/agents/x/execute"})),
    }
}

/// Logs a failure of `kind`; its reference id.
async fn logged(db: &DatabaseConnection, kind: ErrorKind) -> String {
    log_error(db, failure(kind))
        .await
        .expect("the error is logged")
}

async fn logging_returns_the_reference_id_and_classifies_the_error(db: TestDatabase) {
    let (db, user, agent) = fx::customer(&db).await;
    let entry = NewErrorLog {
        user_id: Some(user.id.clone()),
        agent_id: Some(agent.id.clone()),
        ..failure(ErrorKind::AgentFailed)
    };
    let id = log_error(&db, entry).await.unwrap();
    let row = get(&db, &id).await.unwrap();
    assert_eq!(
        (row.error_type.as_str(), row.severity),
        ("agent_failed", Severity::High)
    );
    assert!(row.stack_trace.unwrap().starts_with("Traceback"));
    assert_eq!((row.user_id, row.agent_id), (Some(user.id), Some(agent.id)));
    assert_eq!(row.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        row.context,
        Some(json!({"endpoint": "/api/agents/x/execute"}))
    );
    assert!(!row.resolved);
}
crate::on_every_database!(logging_returns_the_reference_id_and_classifies_the_error);

async fn logging_never_fails_on_what_it_logs(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let entry = NewErrorLog {
        message: format!("nul\0byte {}", "m".repeat(MAX_MESSAGE_CHARS)),
        stack_trace: Some("t\0".repeat(MAX_STACK_TRACE_CHARS)),
        user_id: Some(new_id()),
        agent_id: Some("not-an-id".into()),
        ..failure(ErrorKind::Panic)
    };
    let id = log_error(&db, entry).await.unwrap();
    let row = get(&db, &id).await.unwrap();
    assert_eq!((row.user_id, row.agent_id), (None, None));
    assert!(row.message.starts_with("nulbyte") && row.message.chars().count() == MAX_MESSAGE_CHARS);
    assert_eq!(
        row.stack_trace.map(|t| t.chars().count()),
        Some(MAX_STACK_TRACE_CHARS)
    );
    assert_eq!(row.severity, Severity::Critical);
}
crate::on_every_database!(logging_never_fails_on_what_it_logs);

async fn the_list_filters_by_severity_type_dates_and_resolution_newest_first(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let admin = fx::super_admin(&db, "admin@example.com").await;
    let timeout = logged(&db, ErrorKind::AgentTimeout).await;
    let panic = logged(&db, ErrorKind::Panic).await;
    let rejected = logged(&db, ErrorKind::AgentRejectedInput).await;
    resolve(&db, &fx::actor(&admin), &rejected, None)
        .await
        .unwrap();

    let all = list(&db, &ErrorFilter::default(), page()).await.unwrap();
    assert_eq!(
        all.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        vec![rejected.clone(), panic.clone(), timeout.clone()]
    );
    let critical = fx::default_with(|f: &mut ErrorFilter| f.severity = Some(Severity::Critical));
    assert_eq!(
        list(&db, &critical, page()).await.unwrap().items[0].id,
        panic
    );
    let timeouts = fx::default_with(|f: &mut ErrorFilter| f.kind = Some(ErrorKind::AgentTimeout));
    assert_eq!(
        list(&db, &timeouts, page()).await.unwrap().items[0].id,
        timeout
    );
    let open = fx::default_with(|f: &mut ErrorFilter| f.resolved = Some(false));
    assert_eq!(list(&db, &open, page()).await.unwrap().total, 2);
    let found = async |filter: ErrorFilter| Ok(list(&db, &filter, page()).await?.total);
    fx::assert_dates_checked(found).await;
}
crate::on_every_database!(the_list_filters_by_severity_type_dates_and_resolution_newest_first);

async fn resolving_is_audited_once_and_a_second_time_is_a_conflict(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let admin = fx::super_admin(&db, "admin@example.com").await;
    let id = logged(&db, ErrorKind::AgentFailed).await;
    let bad_note = resolve(&db, &fx::actor(&admin), &id, Some("x\0y")).await;
    fx::assert_invalid(&bad_note, "resolutionNote");
    let long_note = "n".repeat(MAX_RESOLUTION_NOTE_CHARS + 1);
    assert!(resolve(&db, &fx::actor(&admin), &id, Some(&long_note))
        .await
        .is_err());
    assert!(!get(&db, &id).await.unwrap().resolved);

    let resolved = resolve(
        &db,
        &fx::actor_from(&admin, "10.1.1.1"),
        &id,
        Some("restarted the agent service"),
    )
    .await
    .unwrap();
    assert!(resolved.resolved);
    assert_eq!(resolved.resolved_by.as_deref(), Some(admin.id.as_str()));
    assert_eq!(
        resolved.resolution_note.as_deref(),
        Some("restarted the agent service")
    );
    assert!(resolved.resolved_at.is_some());
    assert!(matches!(
        resolve(&db, &fx::actor(&admin), &id, None).await,
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        resolve(&db, &fx::actor(&admin), "1;--", None).await,
        Err(CoreError::NotFound { .. })
    ));
    assert!(matches!(
        resolve(&db, &fx::actor(&admin), &new_id(), None).await,
        Err(CoreError::NotFound { .. })
    ));
    let audit = logs::Entity::find().all(&db).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].target_id.as_deref()),
        ("error.resolve", Some(id.as_str()))
    );
}
crate::on_every_database!(resolving_is_audited_once_and_a_second_time_is_a_conflict);

async fn the_stats_count_by_type_severity_and_day_with_the_resolution_rate(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let admin = fx::super_admin(&db, "admin@example.com").await;
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap();
    let mut ids = Vec::new();
    for (kind, at) in [
        (ErrorKind::AgentTimeout, day(1, 9)),
        (ErrorKind::AgentTimeout, day(1, 23)),
        (ErrorKind::Panic, day(3, 0)),
        (ErrorKind::AgentFailed, day(3, 12)),
        (ErrorKind::AgentFailed, day(9, 12)), // outside the range
    ] {
        let id = logged(&db, kind).await;
        error_logs::ActiveModel {
            id: Set(id.clone()),
            created_at: Set(at),
            ..Default::default()
        }
        .update(&db)
        .await
        .unwrap();
        ids.push(id);
    }
    resolve(&db, &fx::actor(&admin), &ids[0], None)
        .await
        .unwrap();

    let range = TimeRange::new(day(1, 0), day(4, 0)).unwrap();
    let stats = stats(&db, range).await.unwrap();
    assert_eq!((stats.total, stats.resolved, stats.unresolved), (4, 1, 3));
    assert!((stats.resolution_rate - 0.25).abs() < 1e-9);
    let by_type_and_severity = [&stats.by_type, &stats.by_severity]
        .map(|counts| fx::pairs(counts, |k| (k.key.as_str(), k.count)));
    assert_eq!(
        by_type_and_severity,
        [
            vec![("agent_timeout", 2), ("agent_failed", 1), ("panic", 1)],
            vec![("medium", 2), ("critical", 1), ("high", 1)]
        ]
    );
    let per_day = fx::pairs(&stats.per_day, |d| (d.day.to_string(), d.count));
    assert_eq!(
        per_day,
        [
            ("2025-03-01".into(), 2),
            ("2025-03-02".into(), 0),
            ("2025-03-03".into(), 2),
            ("2025-03-04".into(), 0)
        ]
    );
    let empty = stats_of_nothing(&db).await;
    assert_eq!((empty.total, empty.resolution_rate), (0, 0.0));
}
async fn stats_of_nothing(db: &DatabaseConnection) -> ErrorStats {
    let range = TimeRange::new(
        Utc::now() + Duration::days(1),
        Utc::now() + Duration::days(2),
    )
    .unwrap();
    stats(db, range).await.unwrap()
}
crate::on_every_database!(the_stats_count_by_type_severity_and_day_with_the_resolution_rate);
