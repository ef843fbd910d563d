//! Usage thresholds: told once per license, threshold and window, under concurrent calls on
//! both databases, never for refunded calls, and again in a new window.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::dispatch::dispatch_all;
use super::tests::events;
use crate::entities::enums::{EventType, ExecutionStatus, QuotaWindow};
use crate::executions::lease::{self, LeaseSettings, Settled};
use crate::executions::ExecutionOutcome;
use crate::licenses::QuotaPlan;
use crate::quota::QuotaContext;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

fn outcome(status: ExecutionStatus) -> ExecutionOutcome {
    ExecutionOutcome {
        status,
        output: None,
        error_code: None,
        error_message: None,
        duration_ms: 1,
    }
}

/// Admits one call of `user` to `agent` at `now`; its execution id and window.
async fn admitted(
    db: &DatabaseConnection,
    user: &crate::entities::users::Model,
    agent: &crate::entities::agent_catalog::Model,
    now: DateTime<Utc>,
    lease: &LeaseSettings,
) -> lease::Started {
    let ctx = QuotaContext {
        now,
        default_burst_per_second: None,
    };
    lease::admit_and_start(db, &ctx, fx::new_run(user, agent), lease)
        .await
        .expect("admission ran")
        .expect("the call is admitted")
}

/// The thresholds told so far, in order.
async fn thresholds(db: &DatabaseConnection) -> Vec<(i64, i64)> {
    events(db)
        .await
        .iter()
        .filter(|e| e.event_type == EventType::UsageThreshold)
        .map(|e| {
            let number = |key: &str| e.payload[key].as_i64().unwrap_or(-1);
            (number("threshold"), number("used"))
        })
        .collect()
}

async fn a_hundred_concurrent_calls_cross_each_threshold_exactly_once(db: TestDatabase) {
    let (db, _, ana, summarizer, license, _) = fx::licensed(&db, 100).await;
    let lease = Arc::new(LeaseSettings::default());
    let mut calls = Vec::new();
    for _ in 0..100 {
        let (db, ana, summarizer, lease) =
            (db.clone(), ana.clone(), summarizer.clone(), lease.clone());
        calls.push(tokio::spawn(async move {
            let started = admitted(&db, &ana, &summarizer, Utc::now(), &lease).await;
            lease::finish_success(
                &db,
                &started.execution.id,
                outcome(ExecutionStatus::Succeeded),
            )
            .await
            .expect("finished")
        }));
    }
    for call in calls {
        assert!(matches!(call.await.unwrap(), Settled::Finished(_)));
    }
    assert_eq!(fx::used(&db, &license.id).await, 100);
    let told: Vec<i64> = thresholds(&db).await.iter().map(|(t, _)| *t).collect();
    assert_eq!(told, vec![80, 90, 100]);
    // One notification each for the holder, after dispatch.
    dispatch_all(&db, true).await.unwrap();
    let bell = crate::notifications::list(&db, &fx::actor(&ana), true, fx::page())
        .await
        .unwrap();
    let kinds: Vec<EventType> = bell.items.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventType::UsageThreshold)
            .count(),
        3
    );
    assert_eq!(
        crate::notifications::unread_count(&db, &ana.id)
            .await
            .unwrap(),
        bell.total
    );
}
crate::on_every_database!(a_hundred_concurrent_calls_cross_each_threshold_exactly_once);

async fn a_refunded_call_never_crosses_a_threshold(db: TestDatabase) {
    let (db, _, ana, summarizer, license, _) = fx::licensed(&db, 10).await;
    let lease = LeaseSettings::default();
    let mut started = Vec::new();
    for _ in 0..8 {
        started.push(admitted(&db, &ana, &summarizer, Utc::now(), &lease).await);
    }
    let last = started.pop().expect("eight calls");
    for call in &started {
        lease::finish_success(&db, &call.execution.id, outcome(ExecutionStatus::Succeeded))
            .await
            .unwrap();
    }
    // Seven of ten succeeded while the eighth ran: not 80 % yet. It fails and is refunded.
    lease::settle_failure(
        &db,
        &last.execution.id,
        outcome(ExecutionStatus::Failed),
        &last.unit,
        last.window_start_unix,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(fx::used(&db, &license.id).await, 7);
    assert_eq!(thresholds(&db).await, vec![]);
    // The next success is the eighth: 80 %.
    let eighth = admitted(&db, &ana, &summarizer, Utc::now(), &lease).await;
    lease::finish_success(
        &db,
        &eighth.execution.id,
        outcome(ExecutionStatus::Succeeded),
    )
    .await
    .unwrap();
    assert_eq!(thresholds(&db).await, vec![(80, 8)]);
}
crate::on_every_database!(a_refunded_call_never_crosses_a_threshold);

async fn a_new_window_is_told_again(db: TestDatabase) {
    let (db, admin, ana, summarizer) = fx::cast(&db).await;
    let daily = QuotaPlan {
        window: QuotaWindow::Day,
        ..Default::default()
    };
    let license = fx::license(&db, &admin, &ana, &summarizer, (5, daily)).await;
    let lease = LeaseSettings::default();
    let today = Utc::now();
    for day in [today, today + Duration::days(1)] {
        for _ in 0..4 {
            let call = admitted(&db, &ana, &summarizer, day, &lease).await;
            lease::finish_success(&db, &call.execution.id, outcome(ExecutionStatus::Succeeded))
                .await
                .unwrap();
        }
    }
    let told = events(&db).await;
    let starts: Vec<_> = told
        .iter()
        .filter(|e| e.event_type == EventType::UsageThreshold)
        .map(|e| {
            (
                e.payload["threshold"].clone(),
                e.payload["windowStart"].clone(),
            )
        })
        .collect();
    assert_eq!(starts.len(), 2, "{starts:?}");
    assert_eq!(starts[0].0, json!(80));
    assert_ne!(starts[0].1, starts[1].1, "one per window");
    assert_eq!(fx::used(&db, &license.id).await, 4);
}
crate::on_every_database!(a_new_window_is_told_again);

async fn a_renewal_lets_the_thresholds_be_told_again(db: TestDatabase) {
    let (db, admin, ana, summarizer, license, _) = fx::licensed(&db, 5).await;
    let lease = LeaseSettings::default();
    let run_calls = |n| {
        let (db, ana, summarizer, lease) = (&db, &ana, &summarizer, &lease);
        async move {
            for _ in 0..n {
                let call = admitted(db, ana, summarizer, Utc::now(), lease).await;
                lease::finish_success(db, &call.execution.id, outcome(ExecutionStatus::Succeeded))
                    .await
                    .unwrap();
            }
        }
    };
    run_calls(4).await;
    let renew = crate::licenses::LicenseChange {
        reset_usage: true,
        ..Default::default()
    };
    crate::licenses::update(&db, &fx::actor(&admin), &license.id, renew, Utc::now())
        .await
        .unwrap();
    run_calls(4).await;
    assert_eq!(thresholds(&db).await, vec![(80, 4), (80, 4)]);
}
crate::on_every_database!(a_renewal_lets_the_thresholds_be_told_again);

async fn a_top_up_while_the_last_call_finishes_leaves_each_new_threshold_told_once(
    db: TestDatabase,
) {
    let (db, admin, ana, summarizer, license, _) = fx::licensed(&db, 10).await;
    let lease = LeaseSettings::default();
    let mut calls = Vec::new();
    for _ in 0..10 {
        calls.push(admitted(&db, &ana, &summarizer, Utc::now(), &lease).await);
    }
    let succeed = |db: DatabaseConnection, id: String| async move {
        lease::finish_success(&db, &id, outcome(ExecutionStatus::Succeeded))
            .await
            .expect("finished")
    };
    for call in &calls[..9] {
        succeed(db.clone(), call.execution.id.clone()).await;
    }

    // The window's last call finishes while a top-up doubles its calls.
    let finishing = tokio::spawn(succeed(db.clone(), calls[9].execution.id.clone()));
    let (top_db, actor, id) = (db.clone(), fx::actor(&admin), license.id.clone());
    let topping_up = tokio::spawn(async move {
        let ten_more = crate::licenses::NewTopUp {
            calls: 10,
            note: "launch week".into(),
            expires_at: None,
        };
        crate::licenses::top_up(&top_db, &actor, &id, ten_more, Utc::now()).await
    });
    finishing.await.unwrap();
    topping_up.await.unwrap().expect("topped up");
    for _ in 0..10 {
        let call = admitted(&db, &ana, &summarizer, Utc::now(), &lease).await;
        succeed(db.clone(), call.execution.id).await;
    }

    // Whichever went first, the thresholds of the twenty calls are each told once.
    let after_top_up: Vec<_> = thresholds(&db)
        .await
        .into_iter()
        .filter(|(_, used)| *used > 10)
        .collect();
    assert_eq!(after_top_up, vec![(80, 16), (90, 18), (100, 20)]);
    assert_eq!(fx::used(&db, &license.id).await, 20);
}
crate::on_every_database!(
    a_top_up_while_the_last_call_finishes_leaves_each_new_threshold_told_once
);
