use chrono::Duration as Span;

use super::*;
use crate::entities::enums::{EventType, WebhookStatus};
use crate::entities::webhook_endpoints;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;
use crate::webhooks::tests::delivery_to;
use crate::webhooks::{self, NewWebhook, Reach};

fn settings(owner: &str) -> DeliverySettings {
    DeliverySettings {
        owner: owner.into(),
        lease: Duration::from_secs(30),
        retry_base: Duration::from_secs(5),
    }
}

fn failure(retry: bool) -> Attempt {
    Attempt::Failed {
        status_code: Some(503),
        latency_ms: 12,
        error: "HTTP 503: busy".into(),
        retry,
    }
}

/// A migrated database with one endpoint (public, never called here) and its id.
async fn with_endpoint(db: &TestDatabase) -> (DatabaseConnection, String) {
    let (db, admin, _, _) = fx::cast(db).await;
    let input = NewWebhook {
        url: "https://203.0.113.10/in".into(),
        events: vec![EventType::UsageThreshold],
        description: String::new(),
    };
    let created = webhooks::create(&db, &fx::actor(&admin), Reach::PublicOnly, input)
        .await
        .expect("the endpoint is created");
    (db, created.endpoint.id)
}

#[test]
fn the_backoff_doubles_per_failure_up_to_an_hour_within_half_and_one_and_a_half_times() {
    let base = Duration::from_secs(5);
    assert_eq!(backoff(base, 1, 0.5), Duration::from_secs(5));
    assert_eq!(backoff(base, 2, 0.5), Duration::from_secs(10));
    assert_eq!(backoff(base, 4, 0.5), Duration::from_secs(40));
    assert_eq!(backoff(base, 20, 0.5), MAX_BACKOFF);
    assert_eq!(backoff(base, i32::MAX, 0.5), MAX_BACKOFF);
    assert_eq!(backoff(base, 3, 0.0), Duration::from_secs(10));
    assert_eq!(backoff(base, 3, 1.0), Duration::from_secs(30));
    for _ in 0..100 {
        let wait = backoff(base, 3, random_jitter());
        assert!(
            (Duration::from_secs(10)..Duration::from_secs(30)).contains(&wait),
            "{wait:?}"
        );
    }
}

async fn two_instances_claim_different_deliveries_and_a_claimed_one_waits_for_its_lease(
    db: TestDatabase,
) {
    let (db, endpoint) = with_endpoint(&db).await;
    for _ in 0..6 {
        delivery_to(&db, &endpoint).await;
    }
    let now = Utc::now() + Span::seconds(1);
    let (a, b) = (settings("a"), settings("b"));
    let (first, second) = tokio::join!(claim_due(&db, &a, now, 4), claim_due(&db, &b, now, 4));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(
        first.len() + second.len(),
        6,
        "every due delivery is taken once"
    );
    assert!(first.iter().all(|d| d.lease_owner.as_deref() == Some("a")));
    assert!(second.iter().all(|d| d.lease_owner.as_deref() == Some("b")));
    assert!(
        first.iter().all(|d| second.iter().all(|e| e.id != d.id)),
        "no delivery twice"
    );

    assert!(
        claim_due(&db, &b, now, 10).await.unwrap().is_empty(),
        "held ones wait"
    );
    let after_the_lease = now + Span::seconds(31);
    let retaken = claim_due(&db, &b, after_the_lease, 10).await.unwrap();
    assert_eq!(
        retaken.len(),
        6,
        "a dead instance's deliveries are taken again"
    );
}
crate::on_every_database!(
    two_instances_claim_different_deliveries_and_a_claimed_one_waits_for_its_lease
);

async fn an_outcome_is_recorded_only_by_the_holder_and_a_failure_waits_for_its_backoff(
    db: TestDatabase,
) {
    let (db, endpoint) = with_endpoint(&db).await;
    delivery_to(&db, &endpoint).await;
    let now = Utc::now() + Span::seconds(1);
    let holder = settings("holder");
    let claimed = claim_due(&db, &holder, now, 1).await.unwrap().remove(0);

    let stranger = record(&db, &settings("stranger"), &claimed, &failure(true), now).await;
    assert_eq!(stranger.unwrap(), Recorded::NotHeld);
    let Recorded::Retrying(next) = record(&db, &holder, &claimed, &failure(true), now)
        .await
        .unwrap()
    else {
        panic!("a failure is retried");
    };
    assert!(next >= now + Span::milliseconds(2_500) && next <= now + Span::milliseconds(7_500));
    let row = fx::row::<deliveries::Entity>(&db, &claimed.id).await;
    assert_eq!(row.status, DeliveryStatus::Pending);
    assert_eq!(
        (row.attempts, row.last_status_code, row.last_latency_ms),
        (1, Some(503), Some(12))
    );
    assert_eq!(row.last_error.as_deref(), Some("HTTP 503: busy"));
    assert_eq!(row.lease_owner, None);
    assert!(
        claim_due(&db, &holder, now, 1).await.unwrap().is_empty(),
        "not due before backoff"
    );

    let again = claim_due(&db, &holder, next, 1).await.unwrap().remove(0);
    let delivered = Attempt::Delivered {
        status_code: Some(204),
        latency_ms: 3,
    };
    assert_eq!(
        record(&db, &holder, &again, &delivered, next)
            .await
            .unwrap(),
        Recorded::Delivered
    );
    let row = fx::row::<deliveries::Entity>(&db, &claimed.id).await;
    assert_eq!(row.status, DeliveryStatus::Succeeded);
    assert_eq!(
        (row.attempts, row.last_status_code, row.last_error),
        (2, Some(204), None)
    );
    assert!(row.delivered_at.is_some());
    let late = record(&db, &holder, &again, &failure(true), next)
        .await
        .unwrap();
    assert_eq!(
        late,
        Recorded::NotHeld,
        "a finished delivery is not changed again"
    );
}
crate::on_every_database!(
    an_outcome_is_recorded_only_by_the_holder_and_a_failure_waits_for_its_backoff
);

async fn a_delivery_failing_for_a_day_is_given_up_and_marks_its_endpoint_failing_until_one_succeeds(
    db: TestDatabase,
) {
    let (db, endpoint) = with_endpoint(&db).await;
    let old = delivery_to(&db, &endpoint).await;
    let holder = settings("holder");
    let a_day_later = old.created_at + Span::hours(24) + Span::seconds(1);
    let claimed = claim_due(&db, &holder, a_day_later, 1)
        .await
        .unwrap()
        .remove(0);
    let outcome = record(&db, &holder, &claimed, &failure(true), a_day_later).await;
    assert_eq!(outcome.unwrap(), Recorded::GaveUp);
    assert_eq!(
        fx::row::<deliveries::Entity>(&db, &old.id).await.status,
        DeliveryStatus::Failed
    );
    let marked = fx::row::<webhook_endpoints::Entity>(&db, &endpoint).await;
    assert_eq!(marked.status, WebhookStatus::Failing);
    assert!(marked.failing_since.is_some());

    let hopeless = delivery_to(&db, &endpoint).await;
    let now = Utc::now() + Span::seconds(1);
    let claimed = claim_due(&db, &holder, now, 1).await.unwrap().remove(0);
    assert_eq!(claimed.id, hopeless.id);
    let outcome = record(&db, &holder, &claimed, &failure(false), now).await;
    assert_eq!(
        outcome.unwrap(),
        Recorded::GaveUp,
        "a failure that cannot mend is final"
    );

    let fresh = delivery_to(&db, &endpoint).await;
    let claimed = claim_due(&db, &holder, now + Span::seconds(1), 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(claimed.id, fresh.id);
    let delivered = Attempt::Delivered {
        status_code: Some(200),
        latency_ms: 1,
    };
    record(&db, &holder, &claimed, &delivered, now)
        .await
        .unwrap();
    let recovered = fx::row::<webhook_endpoints::Entity>(&db, &endpoint).await;
    assert_eq!(
        (recovered.status, recovered.failing_since),
        (WebhookStatus::Active, None)
    );
}
crate::on_every_database!(
    a_delivery_failing_for_a_day_is_given_up_and_marks_its_endpoint_failing_until_one_succeeds
);
