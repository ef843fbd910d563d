//! Each cause emits exactly its event, in its own transaction; the dispatcher fans events out
//! to the right people once, however often and by however many dispatchers it runs.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::dispatch::{dispatch_all, dispatch_batch};
use crate::access_requests::{self, Approval, NewAccessRequest};
use crate::clock::Clock;
use crate::entities::enums::{
    DeliveryChannel, EventType, ExecutionStatus, LicenseStatus, WebhookStatus,
};
use crate::entities::{deliveries, notifications, outbox_events, webhook_endpoints};
use crate::error_logs::{log_error, ErrorKind, NewErrorLog};
use crate::ids::new_id;
use crate::licenses::{self, LicenseChange, NewTopUp};
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

/// Every event so far, oldest first.
pub(super) async fn events(db: &DatabaseConnection) -> Vec<outbox_events::Model> {
    outbox_events::Entity::find()
        .order_by_asc(outbox_events::Column::CreatedAt)
        .order_by_asc(outbox_events::Column::Id)
        .all(db)
        .await
        .expect("events read")
}

/// The types of every event so far, oldest first.
async fn types(db: &DatabaseConnection) -> Vec<EventType> {
    events(db).await.iter().map(|e| e.event_type).collect()
}

/// The one event of `kind`; the test fails unless there is exactly one.
async fn the_event(db: &DatabaseConnection, kind: EventType) -> outbox_events::Model {
    let mut found: Vec<_> = events(db)
        .await
        .into_iter()
        .filter(|e| e.event_type == kind)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} event: {found:?}");
    found.remove(0)
}

fn asking(agent_id: &str) -> NewAccessRequest {
    NewAccessRequest {
        agent_id: agent_id.to_owned(),
        reason: "For the monthly report".into(),
        requested_calls: Some(50),
        for_organization: false,
    }
}

async fn access_requests_emit_created_rejected_and_approved_with_the_license(db: TestDatabase) {
    let (db, admin, ana, bob, summarizer, _) = fx::crowd(&db).await;
    let asked = access_requests::create(&db, &fx::actor(&ana), asking(&summarizer.id))
        .await
        .unwrap();
    let created = the_event(&db, EventType::AccessRequestCreated).await;
    assert_eq!(created.subject_user_id.as_deref(), Some(ana.id.as_str()));
    assert_eq!(created.payload["requestId"], json!(asked.id));
    assert_eq!(created.payload["userEmail"], json!("ana@example.com"));
    assert_eq!(created.payload["agentName"], json!(summarizer.name));

    access_requests::reject(&db, &fx::actor(&admin), &asked.id, "Use the team license")
        .await
        .unwrap();
    let rejected = the_event(&db, EventType::AccessRequestRejected).await;
    assert_eq!(
        rejected.payload["reviewNote"],
        json!("Use the team license")
    );

    let bobs = access_requests::create(&db, &fx::actor(&bob), asking(&summarizer.id))
        .await
        .unwrap();
    let approval = Approval {
        api_call_limit: Some(100),
        ..Default::default()
    };
    let approved = access_requests::approve(&db, &fx::actor(&admin), &bobs.id, approval)
        .await
        .unwrap();
    let event = the_event(&db, EventType::AccessRequestApproved).await;
    assert_eq!(
        event.payload["licenseId"],
        json!(approved.license.map(|license| license.id))
    );
    let granted = the_event(&db, EventType::LicenseGranted).await;
    assert_eq!(granted.payload["viaRequest"], json!(true));
    assert_eq!(events(&db).await.len(), 5, "{:?}", types(&db).await);
}
crate::on_every_database!(access_requests_emit_created_rejected_and_approved_with_the_license);

async fn a_change_that_rolls_back_emits_nothing(db: TestDatabase) {
    let (db, admin, ana, summarizer) = fx::cast(&db).await;
    let asked = access_requests::create(&db, &fx::actor(&ana), asking(&summarizer.id))
        .await
        .unwrap();
    // Marked approved, then refused for want of a limit: the transaction rolls back whole.
    let refused =
        access_requests::approve(&db, &fx::actor(&admin), &asked.id, Approval::default()).await;
    fx::assert_invalid(&refused, "apiCallLimit");
    // An error logged inside a transaction that rolls back leaves no event either.
    let txn = crate::db::begin_write(&db).await.unwrap();
    log_error(&txn, failure(ErrorKind::Panic)).await.unwrap();
    drop(txn);
    assert_eq!(types(&db).await, vec![EventType::AccessRequestCreated]);
}
crate::on_every_database!(a_change_that_rolls_back_emits_nothing);

async fn license_changes_emit_granted_changed_and_revoked(db: TestDatabase) {
    let (db, admin, ana, summarizer) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &ana, &summarizer, 10).await;
    let by = fx::actor(&admin);
    let suspend = LicenseChange {
        status: Some(LicenseStatus::Suspended),
        ..Default::default()
    };
    licenses::update(&db, &by, &license.id, suspend, Utc::now())
        .await
        .unwrap();
    let top_up = NewTopUp {
        calls: 5,
        note: "Launch week".into(),
        expires_at: None,
    };
    licenses::top_up(&db, &by, &license.id, top_up, Utc::now())
        .await
        .unwrap();
    licenses::revoke(&db, &by, &license.id).await.unwrap();
    let all = events(&db).await;
    assert_eq!(
        fx::pairs(&all, |e| (e.event_type, e.payload["change"].clone())),
        vec![
            (EventType::LicenseGranted, json!(null)),
            (EventType::LicenseChanged, json!("suspended")),
            (EventType::LicenseChanged, json!("top_up")),
            (EventType::LicenseRevoked, json!(null)),
        ]
    );
    assert!(all.iter().all(|e| e.payload["viaRequest"] == json!(false)));
    assert!(all
        .iter()
        .all(|e| e.subject_user_id.as_deref() == Some(ana.id.as_str())));
}
crate::on_every_database!(license_changes_emit_granted_changed_and_revoked);

async fn publishing_an_agent_by_hand_or_by_sync_emits_agent_published(db: TestDatabase) {
    let (db, admin, _, _) = fx::cast(&db).await;
    let draft = fx::agent(&db, "drafty", false).await;
    let publish = crate::catalog::AgentChange {
        published: Some(true),
        ..Default::default()
    };
    crate::catalog::update_agent(&db, &fx::actor(&admin), &draft.id, publish.clone())
        .await
        .unwrap();
    // Publishing what is published already is no news.
    crate::catalog::update_agent(&db, &fx::actor(&admin), &draft.id, publish)
        .await
        .unwrap();
    let offered: crate::agent_client::AgentDescriptor =
        serde_json::from_value(json!({ "slug": "fresh", "name": "Fresh" })).unwrap();
    crate::catalog::apply_sync(&db, &[offered], true)
        .await
        .unwrap();
    let all = events(&db).await;
    assert_eq!(
        fx::pairs(&all, |e| (e.event_type, e.payload["agentSlug"].clone())),
        vec![
            (EventType::AgentPublished, json!("drafty")),
            (EventType::AgentPublished, json!("fresh")),
        ]
    );
}
crate::on_every_database!(publishing_an_agent_by_hand_or_by_sync_emits_agent_published);

fn failure(kind: ErrorKind) -> NewErrorLog {
    NewErrorLog {
        kind,
        code: "AGENT_FAILED".into(),
        message: "boom".into(),
        stack_trace: None,
        user_id: Some(new_id()),
        agent_id: None,
        request_id: None,
        context: None,
    }
}

async fn only_high_and_critical_errors_emit_error_logged(db: TestDatabase) {
    let (db, _, _, _) = fx::cast(&db).await;
    log_error(&db, failure(ErrorKind::AgentRejectedInput))
        .await
        .unwrap();
    log_error(&db, failure(ErrorKind::AgentTimeout))
        .await
        .unwrap();
    // A user that does not exist is dropped from the row, as before.
    let high = log_error(&db, failure(ErrorKind::AgentFailed))
        .await
        .unwrap();
    // Inside a caller's transaction the error and its event commit with it.
    let txn = crate::db::begin_write(&db).await.unwrap();
    let critical = log_error(&txn, failure(ErrorKind::Panic)).await.unwrap();
    txn.commit().await.unwrap();
    let all = events(&db).await;
    assert_eq!(
        fx::pairs(&all, |e| (
            e.payload["errorId"].clone(),
            e.payload["severity"].clone()
        )),
        vec![
            (json!(high), json!("high")),
            (json!(critical), json!("critical"))
        ]
    );
}
crate::on_every_database!(only_high_and_critical_errors_emit_error_logged);

async fn a_background_run_reaching_its_end_emits_run_finished(db: TestDatabase) {
    let (db, _, ana, summarizer, _, clock) = fx::licensed(&db, 10).await;
    let request = crate::runs::RunRequest {
        user_id: &ana.id,
        api_key_id: None,
        key_agent_scope: None,
        agent: &summarizer.id,
        input: json!({}),
        quota: crate::quota::QuotaContext {
            now: clock.now(),
            default_burst_per_second: None,
        },
    };
    let run = crate::runs::enqueue(&db, request)
        .await
        .unwrap()
        .unwrap()
        .run_id;
    crate::runs::cancel(&db, &fx::actor(&ana), &run, clock.now())
        .await
        .unwrap();
    let finished = the_event(&db, EventType::RunFinished).await;
    assert_eq!(finished.payload["runId"], json!(run));
    assert_eq!(
        finished.payload["status"],
        json!(ExecutionStatus::Cancelled)
    );
    assert_eq!(finished.subject_user_id.as_deref(), Some(ana.id.as_str()));
}
crate::on_every_database!(a_background_run_reaching_its_end_emits_run_finished);

async fn an_endpoint(db: &DatabaseConnection, types: &[&str], status: WebhookStatus) -> String {
    let id = new_id();
    webhook_endpoints::ActiveModel {
        id: Set(id.clone()),
        url: Set("https://hooks.example.com/in".into()),
        description: Set(String::new()),
        event_types: Set(json!(types)),
        secret: Set("whsec_test".into()),
        status: Set(status),
        failing_since: Set(None),
        created_by: Set(None),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .expect("endpoint inserted");
    id
}

async fn rows_of(
    db: &DatabaseConnection,
    event: &outbox_events::Model,
) -> (Vec<String>, usize, usize) {
    let mut told: Vec<String> = notifications::Entity::find()
        .filter(notifications::Column::EventId.eq(&event.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.user_id)
        .collect();
    told.sort();
    let sent = deliveries::Entity::find()
        .filter(deliveries::Column::EventId.eq(&event.id))
        .all(db)
        .await
        .unwrap();
    let count = |channel| sent.iter().filter(|d| d.channel == channel).count();
    (
        told,
        count(DeliveryChannel::Email),
        count(DeliveryChannel::Webhook),
    )
}

async fn dispatch_tells_the_right_people_once_however_often_it_runs(db: TestDatabase) {
    let (db, admin, ana, bob, summarizer, _) = fx::crowd(&db).await;
    let hook = an_endpoint(
        &db,
        &["access_request.created", "license.granted"],
        WebhookStatus::Active,
    )
    .await;
    an_endpoint(&db, &["access_request.created"], WebhookStatus::Disabled).await;
    let asked = access_requests::create(&db, &fx::actor(&ana), asking(&summarizer.id))
        .await
        .unwrap();
    let approval = Approval {
        api_call_limit: Some(10),
        ..Default::default()
    };
    access_requests::approve(&db, &fx::actor(&admin), &asked.id, approval)
        .await
        .unwrap();
    let draft = fx::agent(&db, "drafty", false).await;
    let publish = crate::catalog::AgentChange {
        published: Some(true),
        ..Default::default()
    };
    crate::catalog::update_agent(&db, &fx::actor(&admin), &draft.id, publish)
        .await
        .unwrap();

    // Two dispatchers at once, then again: each event is fanned out once.
    let (first, second) = tokio::join!(dispatch_all(&db, true), dispatch_all(&db, true));
    assert_eq!(first.unwrap() + second.unwrap(), 4);
    assert_eq!(dispatch_batch(&db, true).await.unwrap(), 0);

    let mut everyone = vec![admin.id.clone(), ana.id.clone(), bob.id.clone()];
    everyone.sort();
    let expect = [
        (
            EventType::AccessRequestCreated,
            vec![admin.id.clone()],
            1,
            1,
        ),
        (EventType::AccessRequestApproved, vec![ana.id.clone()], 1, 0),
        // The approval tells the holder; the grant reaches webhooks only.
        (EventType::LicenseGranted, vec![], 0, 1),
        // The catalog's news: in-app for all, email only for those who asked for it.
        (EventType::AgentPublished, everyone, 0, 0),
    ];
    for (kind, told, emails, hooks) in expect {
        let event = the_event(&db, kind).await;
        assert!(event.dispatched_at.is_some(), "{kind} dispatched");
        assert_eq!(rows_of(&db, &event).await, (told, emails, hooks), "{kind}");
    }
    let hooked = deliveries::Entity::find()
        .filter(deliveries::Column::Channel.eq(DeliveryChannel::Webhook))
        .all(&db)
        .await
        .unwrap();
    assert!(hooked
        .iter()
        .all(|d| d.endpoint_id.as_deref() == Some(hook.as_str())));
    let bell = crate::notifications::list(&db, &fx::actor(&ana), true, fx::page())
        .await
        .unwrap();
    assert_eq!(bell.items[0].link.as_deref(), Some("/marketplace"));
    assert_eq!(bell.items[1].link.as_deref(), Some("/my-agents"));
}
crate::on_every_database!(dispatch_tells_the_right_people_once_however_often_it_runs);

async fn without_smtp_no_email_delivery_is_made(db: TestDatabase) {
    let (db, admin, ana, summarizer) = fx::cast(&db).await;
    fx::license(&db, &admin, &ana, &summarizer, 10).await;
    dispatch_all(&db, false).await.unwrap();
    let granted = the_event(&db, EventType::LicenseGranted).await;
    assert_eq!(rows_of(&db, &granted).await, (vec![ana.id.clone()], 0, 0));
}
crate::on_every_database!(without_smtp_no_email_delivery_is_made);

async fn a_license_expiring_within_a_week_is_told_once_per_expiry(db: TestDatabase) {
    let (db, admin, ana, bob, summarizer, translator) = fx::crowd(&db).await;
    let soon = fx::license(&db, &admin, &ana, &summarizer, 10).await;
    let later = fx::license(&db, &admin, &bob, &translator, 10).await;
    let now = Utc::now();
    fx::set_license_expiry(&db, &soon.id, Some(now + Duration::days(3))).await;
    fx::set_license_expiry(&db, &later.id, Some(now + Duration::days(30))).await;
    let before = events(&db).await.len();
    crate::executions::sweep::sweep_expired(&db, now)
        .await
        .unwrap();
    crate::executions::sweep::sweep_expired(&db, now)
        .await
        .unwrap();
    let expiring = the_event(&db, EventType::LicenseExpiring).await;
    assert_eq!(expiring.payload["licenseId"], json!(soon.id));
    // Renewed to a new date that is again within the week: told again.
    fx::set_license_expiry(&db, &soon.id, Some(now + Duration::days(6))).await;
    super::alerts::scan_expiring(&db, now).await.unwrap();
    assert_eq!(events(&db).await.len(), before + 2);
}
crate::on_every_database!(a_license_expiring_within_a_week_is_told_once_per_expiry);
