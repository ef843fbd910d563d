//! The licenses tab's dialogs: grant a license, and edit a license's limit and expiry.

use abetworks_types::views::LicenseView;
use leptos::prelude::*;

use super::common::{limit_text, LimitField, LimitInput, Outcome, Picker, PickerKind};
use super::dialogs::{DateField, DialogTarget, FormDialog};
use crate::api::admin::licenses::{AdminGrantLicense, AdminUpdateLicense};
use crate::api::admin::NO_EXPIRY;
use crate::api::format_date;

/// The limit a new grant starts with.
const DEFAULT_LIMIT: &str = "100";

/// Grants a license: a user, an agent, a limit and an optional expiry. Starts empty each time
/// it opens (the target is about no row); closes and reports on success.
#[component]
pub fn GrantLicenseDialog(
    target: DialogTarget<()>,
    action: ServerAction<AdminGrantLicense>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let user = RwSignal::new(String::new());
    let agent = RwSignal::new(String::new());
    let limit = LimitInput::new(DEFAULT_LIMIT);
    let expiry = RwSignal::new(String::new());
    let reset = move || {
        user.set(String::new());
        agent.set(String::new());
        expiry.set(String::new());
    };
    let request = move |()| {
        let (user_id, agent_id) = (user.get_untracked(), agent.get_untracked());
        if user_id.is_empty() || agent_id.is_empty() {
            return Err("Choose a user and an agent.".to_owned());
        }
        Ok(AdminGrantLicense {
            user_id,
            agent_id,
            api_call_limit: limit.read()?,
            expires_on: Some(expiry.get_untracked()),
        })
    };
    let done = |license: LicenseView| {
        format!(
            "Granted {} to {} ({} calls).",
            license.agent_name,
            license.user_email,
            limit_text(&license)
        )
    };
    view! {
        <FormDialog target action outcome reset request done
            title="Grant a license" id="grant-dialog" submit_id="grant-submit" submit_text="Grant license" busy_text="Granting…">
            <Picker kind=PickerKind::Users id="grant-user" label="User" selected=user/>
            <Picker kind=PickerKind::Agents id="grant-agent" label="Agent" selected=agent/>
            <LimitField id="grant-limit" input=limit/>
            <DateField id="grant-expiry" label="Expires on (optional)" value=expiry/>
        </FormDialog>
    }
}

/// Edits the limit and the expiry of the target license (blank expiry: never). Filled from
/// the license each time it opens; closes and reports on success.
#[component]
pub fn EditLicenseDialog(
    target: DialogTarget<LicenseView>,
    action: ServerAction<AdminUpdateLicense>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let limit = LimitInput::new("");
    let expiry = RwSignal::new(String::new());
    let fill = move || {
        if let Some(l) = target.subject.get_untracked() {
            limit.fill(&l);
            expiry.set(l.expires_at.as_ref().map(format_date).unwrap_or_default());
        }
    };
    let request = move |l: LicenseView| {
        let api_call_limit = limit.read()?;
        let expiry = expiry.get_untracked();
        // Blank here means "no expiry", not "leave it": say so explicitly.
        let expires_on = if expiry.trim().is_empty() {
            NO_EXPIRY.to_owned()
        } else {
            expiry
        };
        Ok(AdminUpdateLicense {
            id: l.id,
            api_call_limit: Some(api_call_limit),
            expires_on: Some(expires_on),
            status: None,
        })
    };
    let done = |changed: LicenseView| changed_text(&changed);
    let used = target.says(|l| {
        format!(
            "{} — {} (used {})",
            l.user_email, l.agent_name, l.api_calls_used
        )
    });
    view! {
        <FormDialog target action outcome reset=fill request done
            title="Edit the license" id="edit-license-dialog" submit_id="edit-license-submit" submit_text="Save">
            <p>{used}</p>
            <LimitField id="edit-limit" input=limit/>
            <DateField id="edit-expiry" label="Expires on (blank: never)" value=expiry/>
        </FormDialog>
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
