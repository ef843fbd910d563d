//! The account page's email settings: per kind of notification, whether it is also emailed
//! (in-app notifications are always on). Says so when this server sends no email at all.

use abetworks_types::enums::EventType;
use abetworks_types::inputs::{EmailChoice, NotificationSettingsChange};
use abetworks_types::views::NotificationSettings;
use leptos::prelude::*;

use crate::api::notifications::{get_notification_settings, UpdateNotificationSettings};
use crate::components::feedback::{ErrorPanel, Loading};
use crate::error::ErrorCode;

#[component]
pub fn EmailSettings() -> impl IntoView {
    let save = ServerAction::<UpdateNotificationSettings>::new();
    let settings = Resource::new(|| (), |_| get_notification_settings());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading your notification settings…"/> }>
            {move || Suspend::new(async move {
                match settings.await {
                    // Signed out: the profile above already says how to sign in.
                    Err(e) if e.is(ErrorCode::Unauthenticated) => ().into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(settings) => view! { <EmailChoices settings save/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The form: one switch per kind, saved together.
#[component]
fn EmailChoices(
    settings: NotificationSettings,
    save: ServerAction<UpdateNotificationSettings>,
) -> impl IntoView {
    let choices: Vec<(EventType, String, RwSignal<bool>)> = settings
        .kinds
        .into_iter()
        .map(|k| (k.kind, k.label, RwSignal::new(k.email)))
        .collect();
    let read = StoredValue::new(
        choices
            .iter()
            .map(|(kind, _, email)| (*kind, *email))
            .collect::<Vec<_>>(),
    );
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let kinds = read.with_value(|choices| {
            choices
                .iter()
                .map(|(kind, email)| EmailChoice {
                    kind: *kind,
                    email: email.get_untracked(),
                })
                .collect()
        });
        save.dispatch(UpdateNotificationSettings {
            change: NotificationSettingsChange { kinds },
        });
    };
    let note = if settings.email_configured {
        "In-app notifications are always on. Choose which are also sent to your email address; every email has an unsubscribe link."
    } else {
        "This server does not send email (no SMTP server is configured): you get every notification in the app. Your choices apply once email is set up."
    };
    view! {
        <section class="panel" aria-labelledby="email-settings-heading" data-testid="email-settings">
            <h2 id="email-settings-heading">"Email notifications"</h2>
            <p class={if settings.email_configured { "muted" } else { "notice notice-warn" }} data-testid="email-configured"
                data-configured=settings.email_configured.to_string()>{note}</p>
            <form class="form" on:submit=on_submit>
                <fieldset class="checkbox-list">
                    <legend class="visually-hidden">"Email me about"</legend>
                    {choices.into_iter().map(|(kind, label, email)| {
                        let id = format!("email-{}", kind.as_str().replace('.', "-"));
                        view! {
                            <div class="checkbox-field">
                                <input type="checkbox" id=id.clone() data-testid=id.clone() bind:checked=email/>
                                <label for=id>{label}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <div role="status" aria-live="polite">
                    {move || save.value().get().map(|result| match result {
                        Ok(_) => view! { <p class="notice notice-ok" data-testid="email-settings-saved">"Saved."</p> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.display_message()}</p> }.into_any(),
                    })}
                </div>
                <button type="submit" class="button" data-testid="email-settings-save" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save email settings" }}
                </button>
            </form>
        </section>
    }
}
