//! A user's notifications: listed newest first, read one by one or all at once, replayed after
//! an id; nobody reads anyone else's.

use chrono::{Duration, Utc};

use super::*;
use crate::outbox::dispatch::dispatch_all;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

async fn a_user_reads_their_own_notifications_and_nobody_elses(db: TestDatabase) {
    let (db, admin, ana, bob, summarizer, translator) = fx::crowd(&db).await;
    let started = Utc::now() - Duration::seconds(1);
    fx::license(&db, &admin, &ana, &summarizer, 10).await;
    fx::license(&db, &admin, &ana, &translator, 10).await;
    fx::license(&db, &admin, &bob, &summarizer, 10).await;
    dispatch_all(&db, false).await.unwrap();
    let (ana_actor, bob_actor) = (fx::actor(&ana), fx::actor(&bob));

    let mine = list(&db, &ana_actor, false, fx::page()).await.unwrap();
    assert_eq!(mine.total, 2);
    assert!(
        mine.items[0].title.contains(&translator.name),
        "newest first"
    );
    let bobs = list(&db, &bob_actor, true, fx::page()).await.unwrap();
    let someone_elses = mark_read(&db, &ana_actor, &bobs.items[0].id).await;
    assert!(matches!(someone_elses, Err(CoreError::NotFound { .. })));

    let oldest = &mine.items[1];
    let read = mark_read(&db, &ana_actor, &oldest.id).await.unwrap();
    assert!(read.read_at.is_some());
    assert_eq!(unread_count(&db, &ana.id).await.unwrap(), 1);
    let unread = list(&db, &ana_actor, true, fx::page()).await.unwrap();
    assert_eq!(unread.items.len(), 1);
    assert_eq!(mark_all_read(&db, &ana_actor).await.unwrap(), 1);
    assert_eq!(unread_count(&db, &ana.id).await.unwrap(), 0);
    assert_eq!(unread_count(&db, &bob.id).await.unwrap(), 1);

    let replayed = since(&db, &ana.id, Some(&oldest.id), 10).await.unwrap();
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0].id, mine.items[0].id);
    assert_eq!(since(&db, &ana.id, None, 10).await.unwrap().len(), 2);
    let recent = recent_all(&db, started).await.unwrap();
    let owners: Vec<&str> = recent.iter().map(|(user, _)| user.as_str()).collect();
    assert_eq!(
        owners,
        vec![ana.id.as_str(), ana.id.as_str(), bob.id.as_str()]
    );
}
crate::on_every_database!(a_user_reads_their_own_notifications_and_nobody_elses);
