//! The licenses tab's dialogs: grant a license, and edit a license's limit and expiry.

use abetworks_types::views::LicenseView;
use leptos::prelude::*;

use super::common::{
    limit_text, parse_limit, ClientOnly, DialogProblem, LimitField, Outcome, Picker, PickerKind,
};
use crate::api::admin::licenses::{AdminGrantLicense, AdminUpdateLicense};
use crate::api::admin::NO_EXPIRY;
use crate::api::format_date;
use crate::components::dialog::Dialog;

/// The limit a new grant starts with.
const DEFAULT_LIMIT: &str = "100";

/// Grants a license: a user, an agent, a limit and an optional expiry. Starts empty each time
/// it opens; closes and reports on success.
#[component]
pub fn GrantLicenseDialog(
    open: RwSignal<bool>,
    action: ServerAction<AdminGrantLicense>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let user = RwSignal::new(String::new());
    let agent = RwSignal::new(String::new());
    let limit = RwSignal::new(DEFAULT_LIMIT.to_owned());
    let unlimited = RwSignal::new(false);
    let expiry = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if open.get() {
            action.clear();
            problem.set(None);
            user.set(String::new());
            agent.set(String::new());
            expiry.set(String::new());
        }
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(license)) => {
            open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Granted {} to {} ({} calls).",
                license.agent_name,
                license.user_email,
                limit_text(&license)
            ))));
        }
        Some(Err(e)) => problem.set(Some(e.display_message())),
        None => {}
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (user_id, agent_id) = (user.get_untracked(), agent.get_untracked());
        if user_id.is_empty() || agent_id.is_empty() {
            problem.set(Some("Choose a user and an agent.".to_owned()));
            return;
        }
        match parse_limit(&limit.get_untracked(), unlimited.get_untracked()) {
            Err(message) => problem.set(Some(message)),
            Ok(api_call_limit) => {
                problem.set(None);
                action.dispatch(AdminGrantLicense {
                    user_id,
                    agent_id,
                    api_call_limit,
                    expires_on: Some(expiry.get_untracked()),
                });
            }
        }
    };

    view! {
        <ClientOnly>
        <Dialog open title="Grant a license" id="grant-dialog" test_id="grant-dialog">
            <form class="form" on:submit=on_submit>
                <Picker kind=PickerKind::Users id="grant-user" label="User" selected=user/>
                <Picker kind=PickerKind::Agents id="grant-agent" label="Agent" selected=agent/>
                <LimitField id="grant-limit" limit unlimited/>
                <div class="field">
                    <label for="grant-expiry">"Expires on (optional)"</label>
                    <input id="grant-expiry" type="date" data-testid="grant-expiry" bind:value=expiry/>
                </div>
                <DialogProblem problem/>
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button" data-testid="grant-submit" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Granting…" } else { "Grant license" }}
                    </button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>
    }
}

/// Edits the limit and the expiry of `license` (blank expiry: never). Filled from the license
/// each time it opens; closes and reports on success.
#[component]
pub fn EditLicenseDialog(
    open: RwSignal<bool>,
    license: RwSignal<Option<LicenseView>>,
    action: ServerAction<AdminUpdateLicense>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let limit = RwSignal::new(String::new());
    let unlimited = RwSignal::new(false);
    let expiry = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        if let Some(l) = license.get_untracked() {
            unlimited.set(l.is_unlimited());
            limit.set(if l.is_unlimited() {
                String::new()
            } else {
                l.api_call_limit.to_string()
            });
            expiry.set(l.expires_at.as_ref().map(format_date).unwrap_or_default());
        }
        action.clear();
        problem.set(None);
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(changed)) => {
            open.set(false);
            outcome.set(Some(Outcome::Done(changed_text(&changed))));
        }
        Some(Err(e)) => problem.set(Some(e.display_message())),
        None => {}
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(l) = license.get_untracked() else {
            return;
        };
        match parse_limit(&limit.get_untracked(), unlimited.get_untracked()) {
            Err(message) => problem.set(Some(message)),
            Ok(api_call_limit) => {
                problem.set(None);
                let expiry = expiry.get_untracked();
                // Blank here means "no expiry", not "leave it": say so explicitly.
                let expires_on = if expiry.trim().is_empty() {
                    NO_EXPIRY.to_owned()
                } else {
                    expiry
                };
                action.dispatch(AdminUpdateLicense {
                    id: l.id,
                    api_call_limit: Some(api_call_limit),
                    expires_on: Some(expires_on),
                    status: None,
                });
            }
        }
    };

    view! {
        <ClientOnly>
        <Dialog open title="Edit the license" id="edit-license-dialog" test_id="edit-license-dialog">
            <form class="form" on:submit=on_submit>
                <p>{move || license.get().map(|l| format!("{} — {} (used {})", l.user_email, l.agent_name, l.api_calls_used))}</p>
                <LimitField id="edit-limit" limit unlimited/>
                <div class="field">
                    <label for="edit-expiry">"Expires on (blank: never)"</label>
                    <input id="edit-expiry" type="date" data-testid="edit-expiry" bind:value=expiry/>
                </div>
                <DialogProblem problem/>
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button" data-testid="edit-license-submit" disabled=move || action.pending().get()>"Save"</button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>
    }
}

/// What a license is now, after a change.
pub fn changed_text(license: &LicenseView) -> String {
    format!(
        "{} for {}: now {}, limit {}, {}.",
        license.agent_name,
        license.user_email,
        license.status,
        limit_text(license),
        license
            .expires_at
            .as_ref()
            .map(|at| format!("expires {}", format_date(at)))
            .unwrap_or_else(|| "no expiry".to_owned())
    )
}
