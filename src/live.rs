//! This instance's live feed of new notifications, for the event streams it serves
//! (`GET /api/notifications/stream`). One task polls the database (`notifications::recent_all`)
//! and broadcasts each new notification once to the streams of this instance. The database is
//! the one source: a notification written by another instance's dispatcher reaches this
//! instance's clients too; nothing lives only in memory.

use std::collections::HashMap;
use std::time::Duration;

use abetworks_types::views::NotificationView;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use crate::notifications;

/// How far back each poll looks, by `created_at`. A notification is stamped when its
/// dispatcher's transaction writes it but seen only once that transaction commits; a commit up
/// to this late is still sent (once: the seen-set remembers what was sent).
pub const LOOK_BACK: TimeDelta = TimeDelta::seconds(10);

/// How many notifications a slow stream may fall behind before it must catch up from the
/// database (it does, with `notifications::since`).
const CAPACITY: usize = 1024;

/// One new notification and its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveItem {
    pub user_id: String,
    pub notification: NotificationView,
}

/// This instance's feed; cheap to clone. Streams [`LiveFeed::subscribe`]; the task running
/// [`LiveFeed::run`] fills it.
#[derive(Clone, Debug)]
pub struct LiveFeed {
    sender: broadcast::Sender<LiveItem>,
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveFeed {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }

    /// Every notification broadcast from now on (a stream keeps only its user's).
    pub fn subscribe(&self) -> broadcast::Receiver<LiveItem> {
        self.sender.subscribe()
    }

    /// Polls every `every` until the task is dropped. A failed poll is logged and the next
    /// one looks over the same window again.
    pub async fn run(self, db: DatabaseConnection, every: Duration) {
        let mut seen = Seen::default();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = Utc::now();
            let since = now - LOOK_BACK;
            match notifications::recent_all(&db, since).await {
                Ok(rows) => {
                    for (user_id, notification) in seen.fresh(rows, since) {
                        // No receiver (nobody connected) is not an error.
                        let _ = self.sender.send(LiveItem {
                            user_id,
                            notification,
                        });
                    }
                }
                Err(e) => tracing::warn!("the live notification poll failed: {e}"),
            }
        }
    }
}

/// The ids already sent, with their creation time, forgotten once out of the window.
#[derive(Default)]
struct Seen(HashMap<String, DateTime<Utc>>);

impl Seen {
    /// The rows not sent before; remembers them and forgets those older than `since`
    /// (a later poll cannot return them again).
    fn fresh(
        &mut self,
        rows: Vec<(String, NotificationView)>,
        since: DateTime<Utc>,
    ) -> Vec<(String, NotificationView)> {
        self.0.retain(|_, created| *created >= since);
        rows.into_iter()
            .filter(|(_, n)| self.0.insert(n.id.clone(), n.created_at).is_none())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::enums::EventType;

    fn notification(id: &str, created_at: DateTime<Utc>) -> (String, NotificationView) {
        (
            "user".into(),
            NotificationView {
                id: id.into(),
                kind: EventType::AccessRequestApproved,
                title: "t".into(),
                body: "b".into(),
                link: None,
                created_at,
                read_at: None,
            },
        )
    }

    #[test]
    fn a_notification_seen_by_two_polls_is_sent_once_and_a_late_commit_is_still_sent() {
        let now = Utc::now();
        let since = now - LOOK_BACK;
        let mut seen = Seen::default();
        let first = seen.fresh(vec![notification("a", now)], since);
        // "b" was stamped before "a" but committed after the first poll.
        let second = seen.fresh(
            vec![
                notification("b", now - TimeDelta::seconds(1)),
                notification("a", now),
            ],
            since,
        );
        let ids = |rows: Vec<(String, NotificationView)>| -> Vec<String> {
            rows.into_iter().map(|(_, n)| n.id).collect()
        };
        assert_eq!(ids(first), ["a"]);
        assert_eq!(ids(second), ["b"]);
    }

    #[test]
    fn ids_older_than_the_window_are_forgotten() {
        let now = Utc::now();
        let mut seen = Seen::default();
        seen.fresh(
            vec![notification("old", now - LOOK_BACK * 2)],
            now - LOOK_BACK * 3,
        );
        seen.fresh(Vec::new(), now - LOOK_BACK);
        assert!(seen.0.is_empty());
    }
}
