//! The real server binary killed with SIGKILL while a receiver holds its webhook request
//! open: once started again, it sends the same event (the same `webhook-id`) again, because the
//! dead instance's claim on the delivery ends with its lease.

use std::sync::atomic::Ordering;

use abetworks::actor::Actor;
use abetworks::entities::deliveries;
use abetworks::entities::enums::{DeliveryStatus, EventType, Role};
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use abetworks::webhooks::{self, NewWebhook, Reach};
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::receiver::{signed_correctly, Receiver};
use super::{publish_event, wait_until, QUICK};
use crate::common::server_binary::ServerProcess;

/// The real server binary on `database_url` with quick deliveries and a delivery lease of
/// `lease_secs`; killed (SIGKILL) when dropped.
async fn start_server(database_url: &str, lease_secs: &str) -> ServerProcess {
    let mut settings = QUICK.to_vec();
    settings.retain(|(name, _)| *name != "ABETWORKS_DELIVERY_LEASE_SECS");
    settings.push(("ABETWORKS_DELIVERY_LEASE_SECS", lease_secs));
    ServerProcess::start_with(database_url, &settings).await
}

async fn the_server_killed_mid_delivery_sends_the_same_webhook_again_after_restart(
    database: TestDatabase,
) {
    let receiver = Receiver::start(|_| StatusCode::NO_CONTENT).await;
    receiver.hold.store(true, Ordering::SeqCst);
    let db = abetworks::db::connect_and_migrate(&database.url)
        .await
        .expect("the test database migrates");
    let admin = abetworks::users::create_user(
        &db,
        abetworks::users::NewUser {
            email: "root@example.com",
            name: "Root",
            password: crate::common::PASSWORD,
            role: Role::SuperAdmin,
        },
    )
    .await
    .expect("the admin");
    let input = NewWebhook {
        url: receiver.url.clone(),
        events: vec![EventType::AgentPublished],
        description: String::new(),
    };
    let created = webhooks::create(&db, &Actor::new(&admin, None, None), Reach::Anywhere, input)
        .await
        .expect("the endpoint");

    let first = start_server(&database.url, "3").await;
    let event_id = publish_event(&db).await;
    wait_until("the first server sends the webhook", || async {
        !receiver.received().is_empty()
    })
    .await;
    first.kill().await;
    let before_restart = receiver.received().len();
    receiver.hold.store(false, Ordering::SeqCst);

    let second = start_server(&database.url, "2").await;
    let delivered = || async {
        deliveries::Entity::find()
            .filter(deliveries::Column::EventId.eq(&event_id))
            .one(&db)
            .await
            .expect("the delivery is read")
            .is_some_and(|d| d.status == DeliveryStatus::Succeeded)
    };
    wait_until("the restarted server delivers the webhook", delivered).await;

    let got = receiver.received();
    assert!(
        got.len() > before_restart,
        "sent again after the restart: {got:?}"
    );
    assert!(
        got.iter().all(|r| r.id == event_id),
        "the same webhook-id: {got:?}"
    );
    assert!(got.iter().all(|r| signed_correctly(&created.secret, r)));
    second.kill().await;
    db.close().await.ok();
}
on_every_database!(the_server_killed_mid_delivery_sends_the_same_webhook_again_after_restart);
