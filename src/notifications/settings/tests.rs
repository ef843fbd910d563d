//! Email settings per kind, on SQLite and PostgreSQL.

use abetworks_types::inputs::{EmailChoice, NotificationSettingsChange};
use sea_orm::{DatabaseConnection, EntityTrait};

use super::*;
use crate::db::connect_and_migrate;
use crate::on_every_database;
use crate::test_fixtures::{actor, member, super_admin};
use crate::testing::TestDatabase;

fn change(choices: &[(EventType, bool)]) -> NotificationSettingsChange {
    NotificationSettingsChange {
        kinds: choices
            .iter()
            .map(|&(kind, email)| EmailChoice { kind, email })
            .collect(),
    }
}

fn email_of(settings: &NotificationSettings, kind: EventType) -> Option<bool> {
    settings
        .kinds
        .iter()
        .find(|s| s.kind == kind)
        .map(|s| s.email)
}

async fn db_of(database: &TestDatabase) -> DatabaseConnection {
    connect_and_migrate(&database.url)
        .await
        .expect("the database")
}

#[test]
fn new_requests_and_logged_errors_reach_super_admins_only() {
    for kind in [EventType::AccessRequestCreated, EventType::ErrorLogged] {
        assert!(reaches(kind, Role::SuperAdmin));
        assert!(!reaches(kind, Role::Admin) && !reaches(kind, Role::Member));
    }
    assert!(reaches(EventType::UsageThreshold, Role::Member));
    assert_eq!(kinds_for(Role::SuperAdmin).len(), EventType::all().len());
    assert_eq!(kinds_for(Role::Member).len(), EventType::all().len() - 2);
}

async fn settings_list_the_kinds_that_reach_the_user_with_the_defaults(database: TestDatabase) {
    let db = db_of(&database).await;
    let lea = member(&db, "lea@example.com").await;
    let root = super_admin(&db, "root@example.com").await;

    let mine = settings(&db, &actor(&lea), false).await.expect("settings");
    let roots = settings(&db, &actor(&root), true).await.expect("settings");

    assert!(!mine.email_configured && roots.email_configured);
    assert_eq!(email_of(&mine, EventType::AccessRequestCreated), None);
    assert_eq!(
        email_of(&roots, EventType::AccessRequestCreated),
        Some(true)
    );
    assert_eq!(email_of(&mine, EventType::UsageThreshold), Some(true));
    assert_eq!(
        email_of(&mine, EventType::AgentPublished),
        Some(false),
        "the catalog's news is not emailed unless asked for"
    );
    let usage = mine
        .kinds
        .iter()
        .find(|s| s.kind == EventType::UsageThreshold);
    assert_eq!(
        usage.map(|s| s.label.as_str()),
        Some(EventType::UsageThreshold.label())
    );
}
on_every_database!(settings_list_the_kinds_that_reach_the_user_with_the_defaults);

async fn a_change_is_kept_per_user_and_kind_and_changed_again_in_place(database: TestDatabase) {
    let db = db_of(&database).await;
    let (lea, max) = (
        member(&db, "lea@example.com").await,
        member(&db, "max@example.com").await,
    );
    let lea_actor = actor(&lea);

    let first = change(&[
        (EventType::UsageThreshold, false),
        (EventType::AgentPublished, true),
    ]);
    let after = update_settings(&db, &lea_actor, first, true)
        .await
        .expect("a change");
    let again = change(&[(EventType::UsageThreshold, true)]);
    let last = update_settings(&db, &lea_actor, again, true)
        .await
        .expect("a change");

    assert_eq!(email_of(&after, EventType::UsageThreshold), Some(false));
    assert_eq!(email_of(&after, EventType::AgentPublished), Some(true));
    assert_eq!(email_of(&last, EventType::UsageThreshold), Some(true));
    assert_eq!(email_of(&last, EventType::AgentPublished), Some(true));
    let rows = preferences::Entity::find().all(&db).await.expect("rows");
    assert_eq!(rows.len(), 2, "one row per user and kind: {rows:?}");
    let maxs = settings(&db, &actor(&max), true).await.expect("settings");
    assert_eq!(email_of(&maxs, EventType::UsageThreshold), Some(true));
    assert_eq!(email_of(&maxs, EventType::AgentPublished), Some(false));
}
on_every_database!(a_change_is_kept_per_user_and_kind_and_changed_again_in_place);

async fn a_kind_that_cannot_reach_the_user_is_refused_and_nothing_changes(database: TestDatabase) {
    let db = db_of(&database).await;
    let lea = member(&db, "lea@example.com").await;
    let mixed = change(&[
        (EventType::UsageThreshold, false),
        (EventType::ErrorLogged, false),
    ]);

    let refused = update_settings(&db, &actor(&lea), mixed, true).await;

    assert!(
        matches!(&refused, Err(CoreError::Invalid { field, .. }) if field == "kinds"),
        "{refused:?}"
    );
    let unchanged = settings(&db, &actor(&lea), true).await.expect("settings");
    assert_eq!(email_of(&unchanged, EventType::UsageThreshold), Some(true));
}
on_every_database!(a_kind_that_cannot_reach_the_user_is_refused_and_nothing_changes);
