//! The header's bell: the signed-in user's unread count, kept current by the live stream, and
//! the way to the notification centre.

use leptos::prelude::*;

use super::live::{follow_stream, provide_live, use_live};
use crate::api::notifications::unread_notifications;

/// The count as the bell shows it: up to 99, then "99+".
fn count_text(unread: u64) -> String {
    if unread > 99 {
        "99+".into()
    } else {
        unread.to_string()
    }
}

#[component]
pub fn NotificationBell() -> impl IntoView {
    let live = use_live().unwrap_or_else(provide_live);
    follow_stream(live);
    // Counted in the browser (the server's page shows the bell without a count): when the page
    // loads and whenever the user read notifications here; the stream updates it in between.
    let counted = LocalResource::new(move || {
        live.recounts();
        unread_notifications()
    });
    Effect::new(move |_| {
        if let Some(Ok(unread)) = counted.get() {
            live.unread.set(Some(unread));
        }
    });
    let label = move || match live.unread.get() {
        Some(unread) => format!("Notifications, {unread} unread"),
        None => "Notifications".to_owned(),
    };
    view! {
        <a href="/notifications" class="bell" aria-label=label data-testid="notification-bell"
            data-unread=move || live.unread.get().map(|n| n.to_string())>
            <svg class="bell-icon" aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
                <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/>
            </svg>
            {move || live.unread.get().filter(|n| *n > 0).map(|n| view! {
                <span class="bell-count" aria-hidden="true" data-testid="notification-count">{count_text(n)}</span>
            })}
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::count_text;

    #[test]
    fn the_bell_counts_to_ninety_nine_then_says_more() {
        assert_eq!(count_text(7), "7");
        assert_eq!(count_text(99), "99");
        assert_eq!(count_text(100), "99+");
    }
}
