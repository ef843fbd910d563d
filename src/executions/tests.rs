use serde_json::json;

use super::*;
use crate::entities::resource_usage;
use crate::test_fixtures::{self as fx, page};
use crate::testing::TestDatabase;

fn succeeded(ms: i64) -> ExecutionOutcome {
    ExecutionOutcome {
        status: ExecutionStatus::Succeeded,
        output: Some(json!({"summary": "hi"})),
        error_code: None,
        error_message: None,
        duration_ms: ms,
    }
}

fn failed(ms: i64) -> ExecutionOutcome {
    ExecutionOutcome {
        status: ExecutionStatus::Failed,
        output: None,
        error_code: Some("AGENT_FAILED".into()),
        error_message: Some("boom\0 with a NUL".into()),
        duration_ms: ms,
    }
}

/// The one daily roll-up row there is.
async fn the_roll_up(db: &DatabaseConnection) -> resource_usage::Model {
    let roll_ups = resource_usage::Entity::find().all(db).await.unwrap();
    assert_eq!(roll_ups.len(), 1, "one roll-up row: {roll_ups:?}");
    roll_ups.into_iter().next().expect("a roll-up row")
}

async fn an_execution_runs_then_finishes_and_feeds_the_daily_roll_up(db: TestDatabase) {
    let (db, user, agent) = fx::customer(&db).await;
    let first = start(&db, fx::new_run(&user, &agent)).await.unwrap();
    assert_eq!(first.status, ExecutionStatus::Running);
    let done = finish(&db, &first.id, succeeded(120)).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output, Some(json!({"summary": "hi"})));
    assert_eq!(done.duration_ms, Some(120));
    assert!(done.finished_at.is_some());

    let second = start(&db, fx::new_run(&user, &agent)).await.unwrap();
    let broken = finish(&db, &second.id, failed(30)).await.unwrap();
    assert_eq!(broken.error_code.as_deref(), Some("AGENT_FAILED"));
    assert_eq!(broken.error_message.as_deref(), Some("boom with a NUL"));

    let day = the_roll_up(&db).await;
    assert_eq!(
        (
            day.calls,
            day.successes,
            day.failures,
            day.total_duration_ms
        ),
        (2, 1, 1, 150)
    );
    assert_eq!(day.day, Utc::now().date_naive());
}
crate::on_every_database!(an_execution_runs_then_finishes_and_feeds_the_daily_roll_up);

async fn finishing_twice_is_a_conflict_and_bad_outcomes_are_invalid(db: TestDatabase) {
    let (db, user, agent) = fx::customer(&db).await;
    let run = start(&db, fx::new_run(&user, &agent)).await.unwrap();
    let running = ExecutionOutcome {
        status: ExecutionStatus::Running,
        ..succeeded(1)
    };
    fx::assert_invalid(&finish(&db, &run.id, running).await, "status");
    fx::assert_invalid(&finish(&db, &run.id, succeeded(-1)).await, "durationMs");
    finish(&db, &run.id, succeeded(5)).await.unwrap();
    assert!(matches!(
        finish(&db, &run.id, failed(5)).await,
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        finish(&db, &new_id(), succeeded(5)).await,
        Err(CoreError::NotFound { .. })
    ));
    assert!(matches!(
        finish(&db, "nope", succeeded(5)).await,
        Err(CoreError::NotFound { .. })
    ));
    let roll_up = the_roll_up(&db).await;
    assert_eq!(roll_up.calls, 1);
}
crate::on_every_database!(finishing_twice_is_a_conflict_and_bad_outcomes_are_invalid);

async fn concurrent_finishes_add_up_in_the_roll_up(db: TestDatabase) {
    let (db, user, agent) = fx::customer(&db).await;
    let mut runs = Vec::new();
    for _ in 0..20 {
        runs.push(start(&db, fx::new_run(&user, &agent)).await.unwrap().id);
    }
    let tasks: Vec<_> = runs
        .into_iter()
        .map(|id| {
            let db = db.clone();
            tokio::spawn(async move { finish(&db, &id, succeeded(10)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let roll_up = the_roll_up(&db).await;
    assert_eq!(
        (roll_up.calls, roll_up.successes, roll_up.total_duration_ms),
        (20, 20, 200)
    );
}
crate::on_every_database!(concurrent_finishes_add_up_in_the_roll_up);

async fn a_user_sees_only_their_own_executions_newest_first(db: TestDatabase) {
    let (db, _, ana, bob, summarizer, translator) = fx::crowd(&db).await;
    let older = start(&db, fx::new_run(&ana, &summarizer)).await.unwrap();
    let newer = start(&db, fx::new_run(&ana, &translator)).await.unwrap();
    start(&db, fx::new_run(&bob, &summarizer)).await.unwrap();

    let mine = list_mine(&db, &fx::actor(&ana), None, page())
        .await
        .unwrap();
    assert_eq!(
        mine.items.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        vec![newer.id, older.id.clone()]
    );
    assert!(mine.items.iter().all(|e| e.user_id == ana.id));
    let of_summarizer = list_mine(&db, &fx::actor(&ana), Some(&summarizer.id), page())
        .await
        .unwrap();
    assert_eq!(of_summarizer.items.len(), 1);
    assert_eq!(of_summarizer.items[0].agent_slug, "summarizer");
    assert!(matches!(
        list_mine(&db, &fx::actor(&ana), Some("bad"), page()).await,
        Err(CoreError::NotFound { entity: "agent" })
    ));
    assert!(matches!(
        list_mine(&db, &fx::actor(&ana), Some(&new_id()), page()).await,
        Err(CoreError::NotFound { entity: "agent" })
    ));
    let json = serde_json::to_value(&of_summarizer.items[0]).unwrap();
    assert_eq!(json["status"], "running");
    assert!(json.get("agentSlug").is_some());
}
crate::on_every_database!(a_user_sees_only_their_own_executions_newest_first);

async fn the_admin_list_filters_by_user_agent_status_and_dates(db: TestDatabase) {
    let (db, _, ana, bob, agent, _) = fx::crowd(&db).await;
    let ana_run = start(&db, fx::new_run(&ana, &agent)).await.unwrap();
    let bob_run = start(&db, fx::new_run(&bob, &agent)).await.unwrap();
    finish(&db, &bob_run.id, failed(3)).await.unwrap();

    assert_eq!(
        list_all(&db, &ExecutionFilter::default(), page())
            .await
            .unwrap()
            .total,
        2
    );
    let by_user = fx::default_with(|f: &mut ExecutionFilter| f.user_id = Some(ana.id.clone()));
    assert_eq!(
        list_all(&db, &by_user, page()).await.unwrap().items[0].id,
        ana_run.id
    );
    let failures =
        fx::default_with(|f: &mut ExecutionFilter| f.status = Some(ExecutionStatus::Failed));
    assert_eq!(
        list_all(&db, &failures, page()).await.unwrap().items[0].id,
        bob_run.id
    );
    let by_agent = fx::default_with(|f: &mut ExecutionFilter| f.agent_id = Some(agent.id.clone()));
    assert_eq!(list_all(&db, &by_agent, page()).await.unwrap().total, 2);
    let found = async |filter: ExecutionFilter| Ok(list_all(&db, &filter, page()).await?.total);
    fx::assert_dates_checked(found).await;
    let bad_user = fx::default_with(|f: &mut ExecutionFilter| f.user_id = Some("1 OR 1=1".into()));
    fx::assert_invalid(&list_all(&db, &bad_user, page()).await, "userId");
}
crate::on_every_database!(the_admin_list_filters_by_user_agent_status_and_dates);
