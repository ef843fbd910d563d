//! The licenses tab's dialogs: grant a license, edit a license's limit, expiry and quota
//! plan, and top up its current window. The history dialog is in `license_history.rs`.

use abetworks_types::enums::QuotaWindow;
use abetworks_types::views::{LicenseView, TopUpView};
use leptos::prelude::*;

use super::common::{limit_text, LimitField, LimitInput, Outcome, Picker, PickerKind};
use super::dialogs::{DateField, DialogTarget, ExpiryEdit, ExpiryEditField, FormDialog};
use super::plan::{plan_of, PlanFields, PlanInput};
use crate::api::admin::licenses::{AdminGrantLicense, AdminTopUpLicense, AdminUpdateLicense};
use crate::api::format_date;
use crate::components::feedback::{
    described_by, hinted, positive_count, FieldError, FormFailure, HintedField,
};

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
    let plan = PlanInput::new();
    let failure = FormFailure::of(action.value());
    let reset = move || {
        user.set(String::new());
        agent.set(String::new());
        expiry.set(String::new());
        plan.clear();
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
            plan: plan.read_new()?,
        })
    };
    let done = |license: LicenseView| {
        format!(
            "Granted {} to {} ({}).",
            license.agent_name,
            license.user_email,
            calls_text(&license)
        )
    };
    view! {
        <FormDialog target action outcome reset request done
            title="Grant a license" id="grant-dialog" submit_id="grant-submit" submit_text="Grant license" busy_text="Granting…">
            <Picker kind=PickerKind::Users id="grant-user" label="User" selected=user/>
            <Picker kind=PickerKind::Agents id="grant-agent" label="Agent" selected=agent/>
            <LimitField id="grant-limit" input=limit error=failure.field("apiCallLimit")/>
            <DateField id="grant-expiry" label="Expires on (optional)" value=expiry/>
            <PlanFields id="grant-plan" input=plan failure/>
        </FormDialog>
    }
}

/// Edits the limit, the expiry (blank: never) and the quota plan of the target license, and
/// can start its current window again at zero. Filled from the license each time it opens;
/// closes and reports on success.
#[component]
pub fn EditLicenseDialog(
    target: DialogTarget<LicenseView>,
    action: ServerAction<AdminUpdateLicense>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let limit = LimitInput::new("");
    let expiry = ExpiryEdit::new();
    let plan = PlanInput::new();
    let reset_usage = RwSignal::new(false);
    let failure = FormFailure::of(action.value());
    let fill = move || {
        if let Some(l) = target.subject.get_untracked() {
            limit.fill(&l);
            expiry.fill(l.expires_at.as_ref());
            plan.fill(&l);
            reset_usage.set(false);
        }
    };
    let request = move |l: LicenseView| {
        let api_call_limit = limit.read()?;
        // Only a changed plan is sent: a plan change moves the window's start.
        let new_plan = plan.read()?;
        let plan = (new_plan != plan_of(&l)).then_some(new_plan);
        Ok(AdminUpdateLicense {
            id: l.id,
            api_call_limit: Some(api_call_limit),
            expires_on: Some(expiry.read()),
            status: None,
            plan,
            reset_usage: reset_usage.get_untracked().then_some(true),
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
            <LimitField id="edit-limit" input=limit error=failure.field("apiCallLimit")/>
            <ExpiryEditField id="edit-expiry" input=expiry/>
            <PlanFields id="edit-plan" input=plan failure/>
            <div class="field field-check">
                <input id="edit-reset-usage" data-testid="edit-reset-usage" type="checkbox"
                    aria-describedby="edit-reset-usage-hint" bind:checked=reset_usage/>
                <label for="edit-reset-usage">"Start this window again at zero"</label>
                <p class="hint" id="edit-reset-usage-hint">"A renewal: the calls used and the top-ups of the current window are cleared."</p>
            </div>
        </FormDialog>
    }
}

/// Adds calls to the current window of the target license, with a note and an optional
/// expiry; closes and reports on success.
#[component]
pub fn TopUpDialog(
    target: DialogTarget<LicenseView>,
    action: ServerAction<AdminTopUpLicense>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let calls = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let failure = FormFailure::of(action.value());
    let (calls_error, note_error) = (failure.field("calls"), failure.field("note"));
    let expiry_error = failure.field("expiresAt");
    let reset = move || {
        calls.set(String::new());
        note.set(String::new());
        expiry.set(String::new());
    };
    let request = move |l: LicenseView| {
        let calls = positive_count(
            &calls.get_untracked(),
            "Enter how many calls to add: a whole number of 1 or more.",
        )?;
        let note = note.get_untracked();
        if note.trim().is_empty() {
            return Err(
                "Write a note: the license's history keeps why calls were added.".to_owned(),
            );
        }
        Ok(AdminTopUpLicense {
            id: l.id,
            calls,
            note,
            expires_on: Some(expiry.get_untracked()),
        })
    };
    let done = |top_up: TopUpView| {
        format!(
            "Added {} call{} to the license.",
            top_up.calls,
            if top_up.calls == 1 { "" } else { "s" }
        )
    };
    let about = target.says(|l| {
        let window = match l.window {
            QuotaWindow::Lifetime => "the license",
            QuotaWindow::Day => "today's window",
            QuotaWindow::Month => "this month's window",
        };
        format!(
            "{} — {}: the calls are added to {window} ({} used of {}, {} added so far).",
            l.user_email,
            l.agent_name,
            l.api_calls_used,
            limit_text(l),
            l.top_ups
        )
    });
    view! {
        <FormDialog target action outcome reset request done novalidate=true
            title="Top up the license" id="top-up-dialog" submit_id="top-up-submit" submit_text="Add calls" busy_text="Adding…">
            <p>{about}</p>
            <div class="field">
                <label for="top-up-calls">"Calls to add" <span class="required" aria-hidden="true">" *"</span></label>
                <input id="top-up-calls" data-testid="top-up-calls" type="number" min="1" step="1" inputmode="numeric"
                    required autofocus {..described_by(calls_error, "top-up-calls-error")} bind:value=calls/>
                <FieldError id="top-up-calls-error" message=calls_error/>
            </div>
            <HintedField id="top-up-note" label="Note" required=true message=note_error
                hint="Why the calls are added; kept in the license's history (up to 500 characters).">
                <textarea id="top-up-note" data-testid="top-up-note" maxlength="500" required
                    {..hinted(note_error, "top-up-note")} bind:value=note></textarea>
            </HintedField>
            <HintedField id="top-up-expiry" label="Expires on (optional)" message=expiry_error
                hint="Blank: the calls last as long as the window.">
                <input id="top-up-expiry" data-testid="top-up-expiry" type="date"
                    {..hinted(expiry_error, "top-up-expiry")} bind:value=expiry/>
            </HintedField>
        </FormDialog>
    }
}

/// A license's calls in words: "42 calls", "42 calls per day", "Unlimited calls".
pub fn calls_text(license: &LicenseView) -> String {
    let per = match license.window {
        QuotaWindow::Lifetime => "",
        QuotaWindow::Day => " per day",
        QuotaWindow::Month => " per month",
    };
    format!("{} calls{per}", limit_text(license))
}

/// What a license is now, after a change.
pub fn changed_text(license: &LicenseView) -> String {
    format!(
        "{} for {}: now {}, limit {}, {}.",
        license.agent_name,
        license.user_email,
        license.status,
        calls_text(license),
        license
            .expires_at
            .as_ref()
            .map(|at| format!("expires {}", format_date(at)))
            .unwrap_or_else(|| "no expiry".to_owned())
    )
}
