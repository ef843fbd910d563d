//! The caller's notifications (`abetworks::notifications`): `GET /api/notifications` lists
//! them, `POST /api/notifications/{id}/read` and `POST /api/notifications/read-all` mark them
//! read, and `GET /api/notifications/stream` pushes new ones as server-sent events, resumable
//! with `Last-Event-ID`.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use abetworks::live::{LiveFeed, LiveItem};
use abetworks::notifications;
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::views::{LiveNotification, NotificationView};
use abetworks::CoreResult;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiError;
use crate::extract::Caller;
use crate::input::{ApiPath, ApiQuery};
use crate::state::AppState;

/// The most notifications one replay sends (after `Last-Event-ID`, or after the stream fell
/// behind); older ones are in the list.
const REPLAY_LIMIT: u64 = 100;

/// How soon a browser reconnects after the stream ended (sent first, as `retry`).
const RECONNECT: Duration = Duration::from_secs(2);

/// The longest `Last-Event-ID` taken (an id is a UUID); anything longer is ignored.
const MAX_EVENT_ID_CHARS: usize = 64;

/// `?unread=&page=&pageSize=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NotificationQuery {
    /// `true`: only the unread ones.
    unread: Option<bool>,
    page: Option<i64>,
    page_size: Option<i64>,
}

/// The caller's notifications, newest first.
pub async fn list(
    Caller { state, actor }: Caller,
    ApiQuery(query): ApiQuery<NotificationQuery>,
) -> Result<Json<Page<NotificationView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let unread_only = query.unread.unwrap_or(false);
    Ok(Json(
        notifications::list(&state.db, &actor, unread_only, page).await?,
    ))
}

/// Marks one of the caller's notifications read; anyone else's is 404.
pub async fn mark_read(
    Caller { state, actor }: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<NotificationView>, ApiError> {
    Ok(Json(
        notifications::mark_read(&state.db, &actor, &id).await?,
    ))
}

/// Marks every notification of the caller read.
pub async fn mark_all_read(Caller { state, actor }: Caller) -> Result<StatusCode, ApiError> {
    notifications::mark_all_read(&state.db, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's new notifications as server-sent events (`event: notification`, `id` = the
/// notification's id, `data` = a [`LiveNotification`]); after `Last-Event-ID`, those written
/// since that one first. Each instance reads new notifications from the database
/// (`abetworks::live`), so a notification written through any instance arrives.
pub async fn stream(
    State(live): State<LiveFeed>,
    Caller { state, actor }: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Subscribed before the replay is read: nothing written in between is missed (a
    // notification in both is sent once).
    let receiver = live.subscribe();
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= MAX_EVENT_ID_CHARS)
        .map(str::to_owned);
    let mut follow = Follow {
        state,
        user_id: actor.user_id,
        receiver,
        queue: VecDeque::new(),
        replayed: HashSet::new(),
        last_id: after.clone(),
    };
    if after.is_some() {
        follow.replay().await?;
    }
    let events = futures_util::stream::unfold(follow, |mut follow| async move {
        let event = follow.next_event().await?;
        Some((Ok::<_, Infallible>(event), follow))
    });
    // The first bytes go out at once: the client knows the stream is open.
    let opening = futures_util::stream::once(async { Ok(Event::default().retry(RECONNECT)) });
    Ok(Sse::new(opening.chain(events)).keep_alive(KeepAlive::default()))
}

/// An open stream: its user, the feed, notifications read but not sent yet, and the ids sent
/// by a replay (the feed may bring them again).
struct Follow {
    state: AppState,
    user_id: String,
    receiver: tokio::sync::broadcast::Receiver<LiveItem>,
    queue: VecDeque<NotificationView>,
    replayed: HashSet<String>,
    last_id: Option<String>,
}

impl Follow {
    /// Queues the user's notifications after the last one sent.
    async fn replay(&mut self) -> CoreResult<()> {
        let missed = notifications::since(
            &self.state.db,
            &self.user_id,
            self.last_id.as_deref(),
            REPLAY_LIMIT,
        )
        .await?;
        for notification in missed {
            if self.replayed.insert(notification.id.clone()) {
                self.queue.push_back(notification);
            }
        }
        Ok(())
    }

    /// The next event to send; `None` ends the stream (the browser reconnects with
    /// `Last-Event-ID` and the replay sends what it missed).
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(notification) = self.queue.pop_front() {
                return self.event(notification).await;
            }
            match self.receiver.recv().await {
                Ok(item) if item.user_id == self.user_id => {
                    if !self.replayed.contains(&item.notification.id) {
                        self.queue.push_back(item.notification);
                    }
                }
                Ok(_) => {}
                // Fell behind the feed: what it dropped is read from the database.
                Err(RecvError::Lagged(_)) => {
                    if let Err(e) = self.replay().await {
                        tracing::warn!("a notification stream could not catch up: {e}");
                        return None;
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// `notification` with the user's unread count now.
    async fn event(&mut self, notification: NotificationView) -> Option<Event> {
        let unread = match notifications::unread_count(&self.state.db, &self.user_id).await {
            Ok(unread) => unread,
            Err(e) => {
                tracing::warn!("a notification stream could not count the unread: {e}");
                return None;
            }
        };
        self.last_id = Some(notification.id.clone());
        let id = notification.id.clone();
        let live = LiveNotification {
            notification,
            unread,
        };
        let data = serde_json::to_string(&live).ok()?;
        Some(Event::default().id(id).event("notification").data(data))
    }
}

/// The notification routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    api.add(
        Route::get(
            "/api/notifications",
            Access::SignedIn,
            "The caller's notifications, newest first (only the unread with unread=true)",
        )
        .query::<NotificationQuery>()
        .answers_page::<NotificationView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/notifications/{id}/read",
            Access::SignedIn,
            "Mark one of the caller's notifications read",
        )
        .answers::<NotificationView>(200),
        mark_read,
    )
    .add(
        Route::post(
            "/api/notifications/read-all",
            Access::SignedIn,
            "Mark every notification of the caller read",
        )
        .answers_nothing(),
        mark_all_read,
    )
    .add(
        Route::get(
            "/api/notifications/stream",
            Access::SignedIn,
            "The caller's new notifications as server-sent events, resumable with Last-Event-ID",
        )
        .answers_event_stream(),
        stream,
    )
}
