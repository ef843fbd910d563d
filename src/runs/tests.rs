//! Background runs on every backend: enqueued with their unit, claimed once, run by a worker
//! to their end, cancelled with a refund, and taken again when their instance dies; the used
//! count always equals the runs that succeeded, are queued, or run under a live lease.

use std::time::Duration as StdDuration;

use chrono::Duration;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::*;
use crate::agent_client::AgentClient;
use crate::clock::{Clock, ManualClock};
use crate::config::Secret;
use crate::entities::users;
use crate::executions::sweep::sweep_expired;
use crate::test_fixtures::{self as fx, lease_of, start_clock, used, LEASE_SECS};
use crate::testing::TestDatabase;

fn request<'a>(user: &'a users::Model, agent: &'a str, clock: &ManualClock) -> RunRequest<'a> {
    RunRequest {
        user_id: &user.id,
        api_key_id: None,
        key_agent_scope: None,
        agent,
        input: json!({"leads": 3}),
        quota: QuotaContext {
            now: clock.now(),
            default_burst_per_second: None,
        },
    }
}

async fn enqueued(
    db: &DatabaseConnection,
    user: &users::Model,
    agent: &agent_catalog::Model,
    clock: &ManualClock,
) -> String {
    enqueue(db, request(user, &agent.id, clock))
        .await
        .expect("enqueue ran")
        .expect("the run is admitted")
        .run_id
}

async fn run_row(db: &DatabaseConnection, id: &str) -> executions::Model {
    fx::row::<executions::Entity>(db, id).await
}

/// Claims the next queued run under `lease` and runs it to its end on `agents`.
async fn claim_and_run(db: &DatabaseConnection, agents: &AgentClient, lease: &LeaseSettings) {
    let run = claim_next(db, lease, &[]).await.unwrap().expect("the run");
    worker::execute_run(db, agents, lease, run).await.unwrap();
}

/// The run's events as (seq, kind, status or "").
async fn events(db: &DatabaseConnection, id: &str) -> Vec<(i64, RunEventKind, String)> {
    events_since(db, id, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let status = e.data["status"].as_str().unwrap_or_default().to_owned();
            (e.seq, e.kind, status)
        })
        .collect()
}

/// Used == succeeded + queued + running under a live lease, for the license.
async fn assert_invariant(db: &DatabaseConnection, license_id: &str, now: DateTime<Utc>) {
    let counted = executions::Entity::find()
        .filter(executions::Column::LicenseId.eq(license_id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| match e.status {
            ExecutionStatus::Succeeded | ExecutionStatus::Queued => true,
            ExecutionStatus::Running => e.lease_expires_at.is_some_and(|at| at >= now),
            _ => false,
        })
        .count() as i64;
    assert_eq!(
        used(db, license_id).await,
        counted,
        "used = counted executions"
    );
}

async fn a_run_is_admitted_and_queued_with_its_unit_and_first_event(db: TestDatabase) {
    let (db, _, user, agent, license, clock) = fx::licensed(&db, 1).await;
    let accepted = enqueue(&db, request(&user, &agent.slug, &clock))
        .await
        .unwrap()
        .expect("admitted");
    assert_eq!(accepted.status, ExecutionStatus::Queued);
    assert_eq!(accepted.usage.used, 1);
    let run = run_row(&db, &accepted.run_id).await;
    assert_eq!(run.mode, ExecutionMode::Background);
    assert_eq!(run.status, ExecutionStatus::Queued);
    assert_eq!(run.attempts, 0);
    assert_eq!(run.run_input, Some(json!({"leads": 3})));
    assert_eq!(
        events(&db, &run.id).await,
        vec![(1, RunEventKind::Status, "queued".into())]
    );
    assert_invariant(&db, &license.id, clock.now()).await;

    // Over the limit: refused like execute, nothing written.
    let refused = enqueue(&db, request(&user, &agent.id, &clock))
        .await
        .unwrap();
    assert!(matches!(refused, Err(ExecuteFailure::QuotaExceeded { .. })));
    let other = fx::member(&db, "bob@example.com").await;
    let unlicensed = enqueue(&db, request(&other, &agent.id, &clock))
        .await
        .unwrap();
    assert!(matches!(unlicensed, Err(ExecuteFailure::License(_))));
    let unknown = enqueue(&db, request(&user, "no-such-agent", &clock))
        .await
        .unwrap();
    assert!(matches!(unknown, Err(ExecuteFailure::UnknownAgent)));
    assert_eq!(
        executions::Entity::find().count(&db).await.unwrap(),
        1,
        "a refused run writes no execution"
    );
    assert_eq!(used(&db, &license.id).await, 1);
}
crate::on_every_database!(a_run_is_admitted_and_queued_with_its_unit_and_first_event);

async fn workers_take_the_oldest_queued_run_each_once(db: TestDatabase) {
    let (db, _, user, agent, license, clock) = fx::licensed(&db, 5).await;
    let first = enqueued(&db, &user, &agent, &clock).await;
    let second = enqueued(&db, &user, &agent, &clock).await;
    let (a, b) = (
        lease_of("instance-a", &clock),
        lease_of("instance-b", &clock),
    );

    let busy = [agent.id.clone()];
    assert!(
        claim_next(&db, &a, &busy).await.unwrap().is_none(),
        "an agent at its limit is skipped"
    );
    let taken = claim_next(&db, &a, &[]).await.unwrap().expect("a run");
    assert_eq!(taken.id, first);
    assert_eq!(taken.status, ExecutionStatus::Running);
    assert_eq!(taken.attempts, 1);
    assert_eq!(taken.lease_owner.as_deref(), Some("instance-a"));
    assert_eq!(taken.started_at, Some(clock.now()));
    let next = claim_next(&db, &b, &[]).await.unwrap().expect("a run");
    assert_eq!(next.id, second);
    assert!(claim_next(&db, &b, &[]).await.unwrap().is_none());
    assert_eq!(
        events(&db, &first).await,
        vec![
            (1, RunEventKind::Status, "queued".into()),
            (2, RunEventKind::Status, "running".into())
        ]
    );
    assert_invariant(&db, &license.id, clock.now()).await;
}
crate::on_every_database!(workers_take_the_oldest_queued_run_each_once);

async fn a_cancelled_run_is_refunded_and_a_finished_one_cannot_be_cancelled(db: TestDatabase) {
    let (db, admin, user, agent, license, clock) = fx::licensed(&db, 5).await;
    let owner = fx::actor(&user);
    let queued = enqueued(&db, &user, &agent, &clock).await;
    assert_eq!(used(&db, &license.id).await, 1);

    // Someone else's run is not found; the super admin may cancel it.
    let bob = fx::member(&db, "bob@example.com").await;
    assert!(matches!(
        cancel(&db, &fx::actor(&bob), &queued, clock.now()).await,
        Err(CoreError::NotFound { .. })
    ));
    let view = cancel(&db, &owner, &queued, clock.now()).await.unwrap();
    assert_eq!(view.status, ExecutionStatus::Cancelled);
    assert_eq!(
        used(&db, &license.id).await,
        0,
        "a queued run is refunded at once"
    );
    assert!(matches!(
        cancel(&db, &fx::actor(&admin), &queued, clock.now()).await,
        Err(CoreError::Conflict(ConflictReason::AlreadyFinished))
    ));
    assert_eq!(used(&db, &license.id).await, 0, "refunded once");
    assert_eq!(
        events(&db, &queued).await.last(),
        Some(&(2, RunEventKind::Status, "cancelled".into()))
    );

    // A running run is marked; its instance died, so the sweep settles it cancelled.
    let running = enqueued(&db, &user, &agent, &clock).await;
    let lease = lease_of("instance-a", &clock);
    claim_next(&db, &lease, &[]).await.unwrap().expect("a run");
    let view = cancel(&db, &owner, &running, clock.now()).await.unwrap();
    assert_eq!(view.status, ExecutionStatus::Running);
    assert!(view.cancel_requested);
    assert_eq!(used(&db, &license.id).await, 1);
    clock.advance(Duration::seconds(LEASE_SECS + 1));
    assert_eq!(sweep_expired(&db, clock.now()).await.unwrap(), 1);
    assert_eq!(
        run_row(&db, &running).await.status,
        ExecutionStatus::Cancelled
    );
    assert_eq!(used(&db, &license.id).await, 0);
    assert_invariant(&db, &license.id, clock.now()).await;
}
crate::on_every_database!(a_cancelled_run_is_refunded_and_a_finished_one_cannot_be_cancelled);

async fn a_run_whose_instance_dies_is_queued_again_then_abandoned_after_three_attempts(
    db: TestDatabase,
) {
    let (db, _, user, agent, license, clock) = fx::licensed(&db, 5).await;
    let id = enqueued(&db, &user, &agent, &clock).await;
    for attempt in 1..=MAX_ATTEMPTS {
        let lease = lease_of(&format!("instance-{attempt}"), &clock);
        let run = claim_next(&db, &lease, &[])
            .await
            .unwrap()
            .expect("the run");
        assert_eq!((run.id.as_str(), run.attempts), (id.as_str(), attempt));
        // The instance dies: its lease ends and a sweep settles the run.
        clock.advance(Duration::seconds(LEASE_SECS + 1));
        assert_eq!(sweep_expired(&db, clock.now()).await.unwrap(), 1);
        assert_invariant(&db, &license.id, clock.now()).await;
        let row = run_row(&db, &id).await;
        if attempt < MAX_ATTEMPTS {
            assert_eq!(row.status, ExecutionStatus::Queued);
            assert_eq!(row.lease_owner, None);
            assert_eq!(
                used(&db, &license.id).await,
                1,
                "the unit stays for the retry"
            );
        } else {
            assert_eq!(row.status, ExecutionStatus::Abandoned);
            assert_eq!(row.run_input, None);
            assert_eq!(used(&db, &license.id).await, 0, "refunded once abandoned");
        }
    }
    let kinds: Vec<String> = events(&db, &id)
        .await
        .into_iter()
        .map(|(_, kind, status)| format!("{kind}:{status}"))
        .collect();
    assert_eq!(
        kinds,
        [
            "status:queued",
            "status:running",
            "status:queued",
            "status:running",
            "status:queued",
            "status:running",
            "error:",
            "status:abandoned"
        ]
    );
    assert!(claim_next(&db, &lease_of("late", &clock), &[])
        .await
        .unwrap()
        .is_none());
}
crate::on_every_database!(
    a_run_whose_instance_dies_is_queued_again_then_abandoned_after_three_attempts
);

/// A stand-in agent service whose `/execute/stream` reports three steps then answers, and
/// whose agent `broken` fails with a traceback.
async fn streaming_agent_service() -> AgentClient {
    use axum::routing::post;
    async fn stream(axum::extract::Path(slug): axum::extract::Path<String>) -> String {
        if slug == "broken" {
            return "{\"type\":\"progress\",\"done\":1,\"total\":3}\n{\"type\":\"error\",\"status\":500,\"error\":{\"type\":\"KeyError\",\"message\":\"'x'\",\"traceback\":\"Traceback\"}}\n".into();
        }
        let mut body = String::new();
        for done in 1..=3 {
            body.push_str(&format!(
                "{{\"type\":\"progress\",\"done\":{done},\"total\":3,\"message\":\"Scored {done}\"}}\n"
            ));
        }
        body.push_str("{\"type\":\"output\",\"output\":{\"scored\":3},\"durationMs\":5}\n");
        body
    }
    let router = axum::Router::new().route("/agents/{slug}/execute/stream", post(stream));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    AgentClient::new(
        format!("http://{address}").parse().unwrap(),
        Secret::new("test-secret"),
        StdDuration::from_secs(2),
        StdDuration::from_secs(10),
    )
    .unwrap()
}

async fn a_worker_runs_a_claimed_run_to_its_output_or_its_refunded_failure(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 5).await;
    let broken = fx::agent(&db, "broken", true).await;
    let broken_license = fx::license(&db, &admin, &user, &broken, 5).await;
    let agents = streaming_agent_service().await;
    let clock = start_clock();
    let lease = lease_of("instance-a", &clock);

    let id = enqueued(&db, &user, &agent, &clock).await;
    claim_and_run(&db, &agents, &lease).await;
    let view = get(&db, &fx::actor(&user), &id).await.unwrap();
    assert_eq!(view.status, ExecutionStatus::Succeeded);
    assert_eq!(view.output, Some(json!({"scored": 3})));
    let progress = view.progress.expect("progress was written");
    assert_eq!((progress.done, progress.total), (3, 3));
    let kinds: Vec<RunEventKind> = events(&db, &id).await.into_iter().map(|e| e.1).collect();
    assert_eq!(kinds.first(), Some(&RunEventKind::Status));
    assert!(kinds.contains(&RunEventKind::Progress));
    assert_eq!(
        &kinds[kinds.len() - 2..],
        [RunEventKind::Output, RunEventKind::Status]
    );
    let all = events_since(&db, &id, 0).await.unwrap();
    assert!(is_final_event(all.last().unwrap()));
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    assert_eq!(run_row(&db, &id).await.run_input, None);
    assert_eq!(used(&db, &license.id).await, 1);
    assert_invariant(&db, &license.id, clock.now()).await;

    let id = enqueued(&db, &user, &broken, &clock).await;
    claim_and_run(&db, &agents, &lease).await;
    let view = get(&db, &fx::actor(&user), &id).await.unwrap();
    assert_eq!(view.status, ExecutionStatus::Failed);
    assert_eq!(view.error.map(|e| e.code), Some("AGENT_FAILED".into()));
    assert_eq!(
        used(&db, &broken_license.id).await,
        0,
        "a failed run is refunded"
    );
    assert_invariant(&db, &broken_license.id, clock.now()).await;

    let mine = list_mine(&db, &fx::actor(&user), None, None, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(mine.total, 2);
    let failed = list_mine(
        &db,
        &fx::actor(&user),
        Some(ExecutionStatus::Failed),
        Some(&broken.slug),
        PageRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!(failed.items.len(), 1);
    assert_eq!(failed.items[0].agent_slug, "broken");
}
crate::on_every_database!(a_worker_runs_a_claimed_run_to_its_output_or_its_refunded_failure);
