//! Live notifications in the browser: one `EventSource` on `/api/notifications/stream` while a
//! signed-in page is open (the header's bell opens it), shared through context so the bell's
//! count and any page can react to what arrives. The browser reconnects by itself and sends
//! `Last-Event-ID`, so nothing is missed across a reconnect.

use abetworks_types::enums::EventType;
use abetworks_types::views::{LiveNotification, NotificationView};
use leptos::prelude::*;

/// The stream the bell follows.
const STREAM: &str = "/api/notifications/stream";

/// What has arrived, for whoever reads it.
#[derive(Clone, Copy)]
pub struct Live {
    /// The unread count as last counted or pushed; `None` until known.
    pub unread: RwSignal<Option<u64>>,
    /// The latest notification pushed.
    pub last: RwSignal<Option<NotificationView>>,
    /// Changes when the user read notifications here: the bell counts again.
    recount: RwSignal<usize>,
}

/// Creates the context; called once by `App`.
pub fn provide_live() -> Live {
    let live = Live {
        unread: RwSignal::new(None),
        last: RwSignal::new(None),
        recount: RwSignal::new(0),
    };
    provide_context(live);
    live
}

/// The context, if `App` made one (always in the app; absent in an isolated component).
pub fn use_live() -> Option<Live> {
    use_context::<Live>()
}

impl Live {
    /// Asks the bell to count the unread again (after marking some read).
    pub fn recount(self) {
        self.recount.update(|n| *n = n.wrapping_add(1));
    }

    /// Tracked: changes whenever [`Live::recount`] is called.
    pub fn recounts(self) -> usize {
        self.recount.get()
    }

    fn receive(self, data: &str) {
        match serde_json::from_str::<LiveNotification>(data) {
            Ok(pushed) => {
                self.unread.set(Some(pushed.unread));
                self.last.set(Some(pushed.notification));
            }
            Err(e) => leptos::logging::warn!("an unreadable live notification: {e}"),
        }
    }
}

/// Follows the stream while the calling component lives (the browser only; closed on
/// unmount).
pub fn follow_stream(live: Live) {
    Effect::new(move |_| {
        use leptos::wasm_bindgen::closure::Closure;
        use leptos::wasm_bindgen::JsCast;
        let Ok(source) = web_sys::EventSource::new(STREAM) else {
            return;
        };
        let on_notification =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if let Some(data) = event.data().as_string() {
                    live.receive(&data);
                }
            });
        let _ = source.add_event_listener_with_callback(
            "notification",
            on_notification.as_ref().unchecked_ref(),
        );
        // Browser-only values, closed and dropped on the thread that made them.
        let held = send_wrapper::SendWrapper::new((source, on_notification));
        on_cleanup(move || {
            let (source, _listener) = held.take();
            source.close();
        });
    });
}

/// A counter that changes each time a notification of one of `kinds` arrives: a list reads it
/// to reload when something it shows is new (`ListState::reload_on`).
pub fn arrivals_of(kinds: &'static [EventType]) -> RwSignal<usize> {
    let arrivals = RwSignal::new(0usize);
    if let Some(live) = use_live() {
        Effect::watch(
            move || live.last.get(),
            move |last, _, _| {
                if last.as_ref().is_some_and(|n| kinds.contains(&n.kind)) {
                    arrivals.update(|n| *n = n.wrapping_add(1));
                }
            },
            false,
        );
    }
    arrivals
}
