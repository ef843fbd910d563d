//! `/notifications`: the signed-in user's notification centre. Newest first, a page at a time,
//! unread ones highlighted; only the unread on demand; mark one or all read; each links to
//! what it is about (following the link marks it read). New ones appear as they arrive.

use abetworks_types::enums::EventType;
use abetworks_types::views::NotificationView;
use abetworks_types::{Page, Vocabulary};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::admin::common::{report_outcome, ClientOnly};
use super::admin::list::{ListState, ListText, PagedList};
use crate::api::notifications::{
    list_notifications, read_notification, ReadAllNotifications, ReadNotification,
};
use crate::components::feedback::Loading;
use crate::components::live::{arrivals_of, use_live};
use crate::components::page_intro::PageIntro;
use crate::components::table::Moment;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! {
        <PageIntro title="Notifications" heading="Notifications"
            lead="What happened to your requests, licenses, usage and runs — newest first."/>
        // The list is the browser's: it follows the live stream and the bell.
        <ClientOnly fallback=|| view! { <Loading label="Loading your notifications…"/> }>
            <NotificationCentre/>
        </ClientOnly>
    }
}

#[component]
fn NotificationCentre() -> impl IntoView {
    let unread_only = RwSignal::new(false);
    let list = ListState::new();
    list.reload_on(arrivals_of(EventType::all()));
    let read_one = list.action::<ReadNotification>();
    let read_all = list.action::<ReadAllNotifications>();
    let live = use_live();
    let recount = move || {
        if let Some(live) = live {
            live.recount();
        }
    };
    report_outcome(read_one, list.outcome, recount, |n: NotificationView| {
        format!("Marked “{}” read.", n.title)
    });
    report_outcome(read_all, list.outcome, recount, |count: u64| match count {
        0 => "Nothing was unread.".to_owned(),
        1 => "Marked 1 notification read.".to_owned(),
        n => format!("Marked {n} notifications read."),
    });
    let rows = list.rows(move |page| list_notifications(Some(unread_only.get()), Some(page)));
    let text = ListText {
        loading: "Loading your notifications…",
        empty_title: "Nothing here yet",
        empty_hint:
            "You will be told here when a request is decided, a limit comes near, or a run ends.",
        empty_test_id: "notifications-empty",
        label: "Notifications",
    };
    let table = move |page: Page<NotificationView>| {
        view! {
            <ul class="notification-list" data-testid="notification-list">
                {page.items.into_iter().map(|notification| view! {
                    <NotificationItem notification on_read=move |id| { read_one.dispatch(ReadNotification { id }); }/>
                }).collect_view()}
            </ul>
        }
    };
    view! {
        <section class="panel" aria-labelledby="notifications-heading">
            <div class="panel-head">
                <h2 id="notifications-heading">"Your notifications"</h2>
                <div class="toolbar">
                    <label class="switch">
                        <input type="checkbox" data-testid="notifications-unread-only"
                            prop:checked=move || unread_only.get()
                            on:change=move |ev| { unread_only.set(event_target_checked(&ev)); list.page.set(1); }/>
                        " Unread only"
                    </label>
                    <button type="button" class="button button-secondary" data-testid="notifications-read-all"
                        disabled=move || read_all.pending().get()
                        on:click=move |_| { read_all.dispatch(ReadAllNotifications {}); }>
                        "Mark all read"
                    </button>
                </div>
            </div>
            <PagedList rows state=list text table/>
        </section>
    }
}

/// One notification: its title (a link to what it is about, when it has one), its text and
/// time; an unread one is highlighted and can be marked read.
#[component]
fn NotificationItem(
    notification: NotificationView,
    on_read: impl Fn(String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let unread = notification.read_at.is_none();
    let NotificationView {
        id,
        kind,
        title,
        body,
        link,
        created_at,
        ..
    } = notification;
    let heading = match link {
        Some(link) => {
            let (id, read) = (id.clone(), unread);
            let navigate = use_navigate();
            let live = use_live();
            let target = link.clone();
            // Marks it read first, so the bell is right on the page it leads to.
            let follow = move |ev: leptos::ev::MouseEvent| {
                if !read || ev.ctrl_key() || ev.meta_key() || ev.shift_key() {
                    return;
                }
                ev.prevent_default();
                let (id, target, navigate) = (id.clone(), target.clone(), navigate.clone());
                leptos::task::spawn_local(async move {
                    let _ = read_notification(id).await;
                    if let Some(live) = live {
                        live.recount();
                    }
                    navigate(&target, Default::default());
                });
            };
            view! { <a href=link class="notification-title" data-testid="notification-link" on:click=follow>{title.clone()}</a> }.into_any()
        }
        None => view! { <strong class="notification-title">{title.clone()}</strong> }.into_any(),
    };
    let mark = unread.then(|| {
        let id = id.clone();
        view! {
            <button type="button" class="button button-secondary button-small" data-testid="notification-read"
                aria-label=format!("Mark “{title}” read") on:click=move |_| on_read(id.clone())>
                "Mark read"
            </button>
        }
    });
    view! {
        <li class="notification" class:unread=unread data-testid="notification" data-kind=kind.as_str()
            data-read=(!unread).to_string() data-id=id>
            <div class="notification-main">
                <p class="notification-head">
                    {unread.then(|| view! { <span class="unread-dot" aria-hidden="true"></span><span class="visually-hidden">"Unread: "</span> })}
                    {heading}
                </p>
                <p class="notification-body">{body}</p>
                <p class="muted small"><Moment at=created_at/></p>
            </div>
            {mark}
        </li>
    }
}
