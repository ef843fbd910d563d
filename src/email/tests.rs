//! Email deliveries against a local SMTP sink, on SQLite and PostgreSQL.

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

use super::*;
use crate::agent_client::AgentClient;
use crate::config::Config;
use crate::entities::enums::{DeliveryChannel, EventType};
use crate::on_every_database;
use crate::outbox::{emit, NewEvent};
use crate::test_fixtures::{actor, member};
use crate::testing::smtp_sink::SmtpSink;
use crate::testing::TestDatabase;
use abetworks_types::inputs::{EmailChoice, NotificationSettingsChange};

const SITE: &str = "https://abetworks.example";

/// The application's state on `database`, mailing through `sink`.
async fn state_mailing_to(database: &TestDatabase, sink: &SmtpSink) -> AppState {
    let (url, smtp) = (database.url.clone(), sink.url());
    let config = Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "ABETWORKS_SMTP_URL" => Some(smtp.clone()),
        "ABETWORKS_PUBLIC_URL" => Some(SITE.to_owned()),
        _ => None,
    })
    .expect("a valid configuration");
    AppState {
        db: crate::db::connect_and_migrate(&database.url)
            .await
            .expect("the database"),
        agents: AgentClient::from_config(&config).expect("an agent client"),
        mailer: Mailer::from_settings(&config.mail).expect("a mailer"),
        config: Arc::new(config),
        clock: crate::clock::system(),
        instance_id: "email-tests".into(),
    }
}

/// A usage event for `user` and its pending email delivery.
async fn usage_email(
    db: &DatabaseConnection,
    user: &users::Model,
) -> (outbox_events::Model, deliveries::Model) {
    let payload = json!({"agentName": "Echo", "threshold": 90, "used": 90, "limit": 100});
    let event = NewEvent::new(EventType::UsageThreshold, Some(&user.id), payload);
    let event_id = emit(db, event).await.expect("an event");
    let event = outbox_events::Entity::find_by_id(event_id)
        .one(db)
        .await
        .expect("a query")
        .expect("the event");
    let delivery =
        crate::deliveries::pending(&event, DeliveryChannel::Email, Some(user.id.clone()), None)
            .insert(db)
            .await
            .expect("a delivery");
    (event, delivery)
}

async fn a_delivery_reaches_the_smtp_server_as_text_and_html_with_its_subject_and_unsubscribe_link(
    database: TestDatabase,
) {
    let sink = SmtpSink::start().await;
    let state = state_mailing_to(&database, &sink).await;
    let lea = member(&state.db, "lea@example.com").await;
    let (event, delivery) = usage_email(&state.db, &lea).await;

    let attempt = deliver(&state, &delivery, &event).await;

    assert!(
        matches!(
            attempt,
            Attempt::Delivered {
                status_code: Some(250),
                ..
            }
        ),
        "{attempt:?}"
    );
    let mail = sink.messages();
    assert_eq!(mail.len(), 1, "one message");
    let mail = &mail[0];
    assert_eq!(mail.to, vec!["lea@example.com".to_owned()]);
    assert_eq!(mail.from, "no-reply@localhost");
    let title = crate::outbox::message::of_event(&event).title;
    assert_eq!(mail.header("Subject").as_deref(), Some(title.as_str()));
    let one_click = format!("<{SITE}/api/unsubscribe/{}>", delivery.id);
    assert_eq!(mail.header("List-Unsubscribe"), Some(one_click));
    let text = mail.decoded();
    assert!(text.contains("multipart/alternative"), "{text}");
    assert!(text.contains("Content-Type: text/plain"), "{text}");
    assert!(text.contains("Content-Type: text/html"), "{text}");
    assert!(
        text.contains("You have used 90 of 100 calls of Echo"),
        "{text}"
    );
    assert!(text.contains(&format!("{SITE}/my-agents")), "{text}");
    assert!(
        text.contains(&format!("{SITE}/unsubscribe/{}", delivery.id)),
        "{text}"
    );
}
on_every_database!(
    a_delivery_reaches_the_smtp_server_as_text_and_html_with_its_subject_and_unsubscribe_link
);

async fn a_user_who_turned_the_kind_off_gets_no_email_and_it_is_not_retried(
    database: TestDatabase,
) {
    let sink = SmtpSink::start().await;
    let state = state_mailing_to(&database, &sink).await;
    let lea = member(&state.db, "lea@example.com").await;
    let (event, delivery) = usage_email(&state.db, &lea).await;
    let off = NotificationSettingsChange {
        kinds: vec![EmailChoice {
            kind: EventType::UsageThreshold,
            email: false,
        }],
    };
    crate::notifications::update_settings(&state.db, &actor(&lea), off, true)
        .await
        .expect("the choice is saved");

    let attempt = deliver(&state, &delivery, &event).await;

    assert!(
        matches!(&attempt, Attempt::Failed { retry: false, error, .. } if error == "unsubscribed"),
        "{attempt:?}"
    );
    assert!(sink.messages().is_empty(), "nothing was sent");
}
on_every_database!(a_user_who_turned_the_kind_off_gets_no_email_and_it_is_not_retried);

async fn the_unsubscribe_link_turns_off_that_kind_for_its_recipient_only(database: TestDatabase) {
    let sink = SmtpSink::start().await;
    let state = state_mailing_to(&database, &sink).await;
    let (lea, max) = (
        member(&state.db, "lea@example.com").await,
        member(&state.db, "max@example.com").await,
    );
    let (_, delivery) = usage_email(&state.db, &lea).await;
    let enabled = |user: &users::Model, kind| {
        let (db, id) = (state.db.clone(), user.id.clone());
        async move {
            crate::notifications::email_enabled(&db, &id, kind)
                .await
                .expect("a query")
        }
    };

    let kind = crate::notifications::unsubscribe(&state.db, &delivery.id)
        .await
        .expect("the link works");

    assert_eq!(kind, EventType::UsageThreshold);
    assert!(!enabled(&lea, EventType::UsageThreshold).await);
    assert!(
        enabled(&lea, EventType::LicenseRevoked).await,
        "other kinds stay"
    );
    assert!(
        enabled(&max, EventType::UsageThreshold).await,
        "other users stay"
    );
    for unknown in [crate::ids::new_id(), "not-an-id".to_owned()] {
        let refused = crate::notifications::unsubscribe(&state.db, &unknown).await;
        assert!(
            matches!(refused, Err(crate::CoreError::NotFound { .. })),
            "{refused:?}"
        );
    }
    let mut webhook = delivery.into_active_model();
    webhook.channel = Set(DeliveryChannel::Webhook);
    let webhook = webhook.update(&state.db).await.expect("an update");
    let refused = crate::notifications::unsubscribe(&state.db, &webhook.id).await;
    assert!(
        matches!(refused, Err(crate::CoreError::NotFound { .. })),
        "a webhook delivery is no unsubscribe link: {refused:?}"
    );
}
on_every_database!(the_unsubscribe_link_turns_off_that_kind_for_its_recipient_only);

async fn a_transient_refusal_is_retried_and_a_disabled_recipient_is_not(database: TestDatabase) {
    let sink = SmtpSink::start().await;
    let state = state_mailing_to(&database, &sink).await;
    let lea = member(&state.db, "lea@example.com").await;
    let (event, delivery) = usage_email(&state.db, &lea).await;
    sink.refuse_next(1);

    let refused = deliver(&state, &delivery, &event).await;
    let retried = deliver(&state, &delivery, &event).await;
    let mut disabled = lea.into_active_model();
    disabled.disabled = Set(true);
    disabled.update(&state.db).await.expect("an update");
    let gone = deliver(&state, &delivery, &event).await;

    assert!(
        matches!(
            refused,
            Attempt::Failed {
                retry: true,
                status_code: Some(451),
                ..
            }
        ),
        "{refused:?}"
    );
    assert!(matches!(retried, Attempt::Delivered { .. }), "{retried:?}");
    assert!(
        matches!(gone, Attempt::Failed { retry: false, .. }),
        "{gone:?}"
    );
    assert_eq!(sink.messages().len(), 1, "only the accepted message");
}
on_every_database!(a_transient_refusal_is_retried_and_a_disabled_recipient_is_not);
