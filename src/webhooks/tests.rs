use abetworks_types::enums::DeliveryChannel;
use sea_orm::PaginatorTrait;

use super::*;
use crate::entities::{logs, outbox_events};
use crate::outbox::{self, NewEvent};
use crate::test_fixtures::{self as fx, page};
use crate::testing::TestDatabase;

fn new_webhook(url: &str) -> NewWebhook {
    NewWebhook {
        url: url.to_owned(),
        events: vec![EventType::UsageThreshold, EventType::LicenseGranted],
        description: "billing system".to_owned(),
    }
}

/// The database and its super admin, who may manage webhooks.
async fn with_admin(db: &TestDatabase) -> (DatabaseConnection, Actor) {
    let (db, admin, _, _) = fx::cast(db).await;
    (db, fx::actor(&admin))
}

/// An endpoint at the public address `url`, created by `admin`.
async fn created(db: &DatabaseConnection, admin: &Actor, url: &str) -> WebhookCreated {
    create(db, admin, Reach::PublicOnly, new_webhook(url))
        .await
        .expect("the endpoint is created")
}

/// A pending webhook delivery of a new `usage.threshold` event to `endpoint_id`.
pub(crate) async fn delivery_to(db: &DatabaseConnection, endpoint_id: &str) -> deliveries::Model {
    let event = NewEvent::new(
        EventType::UsageThreshold,
        None,
        serde_json::json!({"threshold": 80}),
    );
    let event_id = outbox::emit(db, event).await.expect("the event is written");
    let now = Utc::now();
    let delivery = deliveries::Model {
        id: new_id(),
        event_id,
        channel: DeliveryChannel::Webhook,
        user_id: None,
        endpoint_id: Some(endpoint_id.to_owned()),
        status: crate::entities::enums::DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        lease_owner: None,
        lease_expires_at: None,
        last_status_code: None,
        last_error: None,
        last_latency_ms: None,
        created_at: now,
        delivered_at: None,
    };
    deliveries::Entity::insert(deliveries::ActiveModel::from(delivery.clone()).reset_all())
        .exec_without_returning(db)
        .await
        .expect("the delivery is written");
    delivery
}

async fn creating_shows_the_secret_once_and_audits_the_endpoint_without_it(db: TestDatabase) {
    let (db, admin) = with_admin(&db).await;
    let created = created(&db, &admin, "https://203.0.113.10/in").await;
    assert!(
        created.secret.starts_with(SECRET_PREFIX),
        "{}",
        created.secret
    );
    assert_eq!(created.endpoint.url, "https://203.0.113.10/in");
    assert_eq!(created.endpoint.status, WebhookStatus::Active);
    assert_eq!(
        created.endpoint.events,
        vec![EventType::UsageThreshold, EventType::LicenseGranted]
    );

    let listed = list(&db, &admin, page()).await.expect("listed");
    assert_eq!(listed.total, 1);
    assert_eq!(listed.items[0], created.endpoint);
    let stored = fx::row::<endpoints::Entity>(&db, &created.endpoint.id).await;
    assert_eq!(
        stored.secret, created.secret,
        "the secret is kept for signing"
    );
    let audit = logs::Entity::find()
        .filter(logs::Column::Action.eq("webhook.create"))
        .one(&db)
        .await
        .unwrap()
        .expect("the creation is audited");
    let after = audit.after.expect("the endpoint after").to_string();
    assert!(after.contains("203.0.113.10"), "{after}");
    assert!(
        !after.contains(&created.secret),
        "the audit trail never holds the secret"
    );
}
crate::on_every_database!(creating_shows_the_secret_once_and_audits_the_endpoint_without_it);

async fn invalid_endpoints_are_refused_naming_the_field_and_members_are_forbidden(
    db: TestDatabase,
) {
    let (db, admin, member, _) = fx::cast(&db).await;
    let admin = fx::actor(&admin);
    let refused = |input| create(&db, &admin, Reach::PublicOnly, input);
    fx::assert_invalid(&refused(new_webhook("ftp://203.0.113.10/")).await, "url");
    fx::assert_invalid(&refused(new_webhook("http://127.0.0.1:8080/")).await, "url");
    fx::assert_invalid(&refused(new_webhook("http://192.168.0.10/")).await, "url");
    let mut none = new_webhook("https://203.0.113.10/");
    none.events.clear();
    fx::assert_invalid(&refused(none).await, "events");
    let mut long = new_webhook("https://203.0.113.10/");
    long.description = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
    fx::assert_invalid(&refused(long).await, "description");
    let by_member = create(
        &db,
        &fx::actor(&member),
        Reach::Anywhere,
        new_webhook("https://203.0.113.10/"),
    )
    .await;
    assert!(
        matches!(by_member, Err(CoreError::Forbidden(_))),
        "{by_member:?}"
    );
    assert_eq!(endpoints::Entity::find().count(&db).await.unwrap(), 0);

    let loopback = create(
        &db,
        &admin,
        Reach::Anywhere,
        new_webhook("http://127.0.0.1:8080/"),
    )
    .await
    .expect("loopback is allowed when private addresses are");
    assert_eq!(loopback.endpoint.url, "http://127.0.0.1:8080/");
}
crate::on_every_database!(invalid_endpoints_are_refused_naming_the_field_and_members_are_forbidden);

async fn activating_a_failing_endpoint_clears_failing_and_failing_cannot_be_chosen(
    db: TestDatabase,
) {
    let (db, admin) = with_admin(&db).await;
    let created = created(&db, &admin, "https://203.0.113.10/").await;
    let id = created.endpoint.id;
    mark_failing(&db, &id).await.unwrap();
    let failing = get(&db, &admin, &id).await.unwrap();
    assert_eq!(failing.status, WebhookStatus::Failing);
    assert!(failing.failing_since.is_some());

    let choose = |status| WebhookChange {
        status: Some(status),
        ..Default::default()
    };
    let refused = update(
        &db,
        &admin,
        Reach::PublicOnly,
        &id,
        choose(WebhookStatus::Failing),
    )
    .await;
    fx::assert_invalid(&refused, "status");
    let active = update(
        &db,
        &admin,
        Reach::PublicOnly,
        &id,
        choose(WebhookStatus::Active),
    )
    .await
    .unwrap();
    assert_eq!(
        (active.status, active.failing_since),
        (WebhookStatus::Active, None)
    );

    let change = WebhookChange {
        url: Some("https://198.51.100.7/new".into()),
        events: Some(vec![EventType::ErrorLogged, EventType::ErrorLogged]),
        description: Some("  ops  ".into()),
        status: Some(WebhookStatus::Disabled),
    };
    let changed = update(&db, &admin, Reach::PublicOnly, &id, change)
        .await
        .unwrap();
    assert_eq!(changed.url, "https://198.51.100.7/new");
    assert_eq!(changed.events, vec![EventType::ErrorLogged]);
    assert_eq!(changed.description, "ops");
    assert_eq!(changed.status, WebhookStatus::Disabled);
    let stored = fx::row::<endpoints::Entity>(&db, &id).await;
    assert_eq!(stored.status, WebhookStatus::Disabled);
    assert_eq!(event_types(&stored), vec![EventType::ErrorLogged]);
    let private = WebhookChange {
        url: Some("http://10.0.0.1/".into()),
        ..Default::default()
    };
    fx::assert_invalid(
        &update(&db, &admin, Reach::PublicOnly, &id, private).await,
        "url",
    );
    let unknown = update(
        &db,
        &admin,
        Reach::PublicOnly,
        &new_id(),
        choose(WebhookStatus::Active),
    )
    .await;
    assert!(
        matches!(unknown, Err(CoreError::NotFound { .. })),
        "{unknown:?}"
    );
}
crate::on_every_database!(
    activating_a_failing_endpoint_clears_failing_and_failing_cannot_be_chosen
);

async fn deleting_an_endpoint_removes_its_deliveries_and_keeps_the_event(db: TestDatabase) {
    let (db, admin) = with_admin(&db).await;
    let created = created(&db, &admin, "https://203.0.113.10/").await;
    let delivery = delivery_to(&db, &created.endpoint.id).await;
    delete(&db, &admin, &created.endpoint.id).await.unwrap();
    assert_eq!(endpoints::Entity::find().count(&db).await.unwrap(), 0);
    assert_eq!(deliveries::Entity::find().count(&db).await.unwrap(), 0);
    fx::row::<outbox_events::Entity>(&db, &delivery.event_id).await;
    let again = delete(&db, &admin, &created.endpoint.id).await;
    assert!(
        matches!(again, Err(CoreError::NotFound { .. })),
        "{again:?}"
    );
}
crate::on_every_database!(deleting_an_endpoint_removes_its_deliveries_and_keeps_the_event);

async fn redelivering_makes_a_delivery_due_now_keeping_its_attempts_and_only_for_its_endpoint(
    db: TestDatabase,
) {
    let (db, admin) = with_admin(&db).await;
    let mine = created(&db, &admin, "https://203.0.113.10/").await.endpoint;
    let other = created(&db, &admin, "https://203.0.113.11/").await.endpoint;
    let delivery = delivery_to(&db, &mine.id).await;
    let later = Utc::now() + chrono::Duration::hours(1);
    deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::Status,
            Expr::value(crate::entities::enums::DeliveryStatus::Failed),
        )
        .col_expr(deliveries::Column::Attempts, Expr::value(7))
        .col_expr(deliveries::Column::NextAttemptAt, Expr::value(later))
        .filter(deliveries::Column::Id.eq(&delivery.id))
        .exec(&db)
        .await
        .unwrap();

    let wrong = redeliver(&db, &admin, &other.id, &delivery.id).await;
    assert!(
        matches!(wrong, Err(CoreError::NotFound { entity: "delivery" })),
        "{wrong:?}"
    );
    let again = redeliver(&db, &admin, &mine.id, &delivery.id)
        .await
        .unwrap();
    assert_eq!(
        again.status,
        crate::entities::enums::DeliveryStatus::Pending
    );
    assert_eq!(again.attempts, 7);
    assert_eq!(again.event_type, EventType::UsageThreshold);
    let stored = fx::row::<deliveries::Entity>(&db, &delivery.id).await;
    assert!(stored.next_attempt_at <= Utc::now(), "due now");

    let log = delivery_log(&db, &admin, &mine.id, page()).await.unwrap();
    assert_eq!(log.total, 1);
    assert_eq!(log.items[0], again);
    assert_eq!(
        delivery_log(&db, &admin, &other.id, page())
            .await
            .unwrap()
            .total,
        0
    );
}
crate::on_every_database!(
    redelivering_makes_a_delivery_due_now_keeping_its_attempts_and_only_for_its_endpoint
);
