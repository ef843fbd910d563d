//! `/my-agents`: the licensed agents with what is left in each license's window, when it
//! resets, its status, a way to run them and to ask for more calls; then the agents the
//! caller's organisation shares ("From <org>"), with each pool's standing and the caller's cap.

use abetworks_types::enums::{EffectiveStatus, QuotaWindow};
use abetworks_types::views::{AccessRequestView, LicenseView};
use abetworks_types::ConflictReason;
use leptos::prelude::*;

use crate::api::marketplace::{my_agents, MyLicense, RequestAccess};
use crate::api::quota::window_limit;
use crate::api::teams::team_agents;
use crate::components::agent_icon::AgentIcon;
use crate::components::badge::{Badge, Tone};
use crate::components::dialog::Dialog;
use crate::components::feedback::{
    described_by, positive_count, EmptyState, FieldError, FormFailure, LoadedList,
};
use crate::components::page_intro::PageIntro;
use crate::components::usage::{expiry_text, LicenseBadges, UsageBar};
use crate::error::AppError;
use crate::pages::request_form::RequestDialogForm;
use crate::pages::team::agents::OrgAgentGrid;

#[component]
pub fn MyAgentsPage() -> impl IntoView {
    let agents = Resource::new(|| (), |_| my_agents());
    let shared = Resource::new(|| (), |_| team_agents());
    view! {
        <PageIntro title="My agents" heading="My agents"
            lead="The agents you are licensed to run, what is left of each license and when it resets."/>
        <p><a href="/runs" data-testid="runs-link">"Your background runs"</a></p>
        <LoadedList resource=agents loading="Loading your agents…" empty=|| view! {
            <EmptyState title="No licensed agents yet" test_id="my-agents-empty">
                <p>"Ask for access to an agent in the marketplace; once approved it appears here."</p>
                <p><a class="button" href="/marketplace">"Browse the marketplace"</a></p>
            </EmptyState>
        } ready={|list: Vec<MyLicense>| view! {
            <ul class="license-grid" data-testid="my-agents">
                {list.into_iter().map(|mine| view! { <LicenseCard mine/> }).collect_view()}
            </ul>
        }}/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // A failure here leaves the licenses above; the team page says more.
                let list = shared.await.unwrap_or_default();
                let organization = list.first()?.subscription.organization_name.clone();
                Some(view! {
                    <section class="org-agents" aria-labelledby="org-agents-heading" data-testid="org-agents-section">
                        <h2 id="org-agents-heading">{format!("From {organization}")}</h2>
                        <p class="muted">"Shared by your organisation: every member runs them on one pool of calls. A license of your own for the same agent is used first."</p>
                        <OrgAgentGrid list/>
                    </section>
                })
            })}
        </Transition>
    }
}

/// Why a license cannot run now, if it cannot.
fn why_not(license: &LicenseView) -> Option<&'static str> {
    let windowed = license.resets_at.is_some();
    match (license.status, license.exhausted) {
        (EffectiveStatus::Expired, _) => {
            Some("This license has expired. Ask for access again in the marketplace.")
        }
        (EffectiveStatus::Suspended, _) => {
            Some("This license is suspended. Contact your administrator.")
        }
        (EffectiveStatus::Revoked, _) => Some("This license has been revoked."),
        (EffectiveStatus::Active, true) if windowed => Some(
            "All calls of this window are used. They start again at zero when it resets, or ask for more.",
        ),
        (EffectiveStatus::Active, true) => {
            Some("All calls of this license are used. Ask for more calls below.")
        }
        (EffectiveStatus::Active, false) => None,
    }
}

#[component]
fn LicenseCard(mine: MyLicense) -> impl IntoView {
    let MyLicense {
        license,
        quota_text,
        increase_pending,
    } = mine;
    let run_href = format!("/agents/{}/run", license.agent_id);
    let history_href = format!("/agents/{}/run#history", license.agent_id);
    let can_run = license.can_run();
    // More calls only make sense on a limited license the holder may still use.
    let can_ask = license.status == EffectiveStatus::Active && !license.is_unlimited();
    let asked = RwSignal::new(increase_pending);
    let asking = RwSignal::new(false);
    let name = license.agent_name.clone();
    let ask_dialog = can_ask.then(|| {
        let license = license.clone();
        let title = format!("Ask for more calls of {}", license.agent_name);
        let id = format!("ask-more-{}", license.id);
        view! {
            <Dialog open=asking title id test_id="ask-more-dialog">
                <AskForMoreForm license=license.clone() asked open=asking/>
            </Dialog>
        }
    });
    view! {
        <li class="license-card" data-testid="license-card" data-agent=license.agent_name.clone()>
            <div class="agent-card-head">
                <AgentIcon icon=license.agent_icon.clone() name=license.agent_name.clone()/>
                <h2>{license.agent_name.clone()}</h2>
            </div>
            <LicenseBadges license=license.clone()/>
            <UsageBar limit=window_limit(&license) used=license.api_calls_used label=format!("Usage of {}", license.agent_name)/>
            <p class="quota-text" data-testid="quota-text">{quota_text}</p>
            <p class="muted small">{expiry_text(&license)}</p>
            {why_not(&license).map(|text| view! { <p class="notice notice-warn small">{text}</p> })}
            <div role="status" class="more-requested">
                {move || asked.get().then(|| view! {
                    <Badge label="More calls requested" tone=Tone::Warn test_id="more-requested"/>
                })}
            </div>
            <div class="card-actions">
                {if can_run {
                    view! {
                        <a class="button" href=run_href data-testid="run-agent">
                            "Run"<span class="visually-hidden">{format!(" {name}")}</span>
                        </a>
                    }.into_any()
                } else {
                    view! {
                        <span class="button button-static" aria-disabled="true" data-testid="run-agent-disabled">"Run"</span>
                    }.into_any()
                }}
                <a class="button button-secondary" href=history_href data-testid="history-link">
                    "History"<span class="visually-hidden">{format!(" of {}", license.agent_name)}</span>
                </a>
                {can_ask.then(|| {
                    let name = license.agent_name.clone();
                    view! {
                        <button type="button" class="button button-secondary" data-testid="ask-more"
                            hidden=move || asked.get()
                            on:click=move |_| asking.set(true)>
                            "Ask for more"<span class="visually-hidden">{format!(" calls of {name}")}</span>
                        </button>
                    }
                })}
            </div>
            {ask_dialog}
        </li>
    }
}

/// How many more calls, and why: a request for more calls the super admin reviews.
#[component]
fn AskForMoreForm(
    license: LicenseView,
    asked: RwSignal<bool>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let calls = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let typed_wrong = RwSignal::new(None::<String>);
    let agent_id = license.agent_id.clone();
    let request = move || {
        let wanted = positive_count(
            &calls.get_untracked(),
            "Enter how many calls you need: a whole number of 1 or more.",
        );
        typed_wrong.set(wanted.as_ref().err().cloned());
        Some(RequestAccess {
            agent_id: agent_id.clone(),
            reason: reason.get_untracked(),
            requested_calls: Some(wanted.ok()?),
            for_organization: false,
        })
    };
    let answered = move |answer: &Result<AccessRequestView, AppError>| match answer {
        Ok(_) => asked.set(true),
        // Asked already, from another tab: show it as it is.
        Err(e) if e.is_conflict(ConflictReason::AlreadyPending) => asked.set(true),
        Err(_) => {}
    };
    let id = license.id.clone();
    let (calls_id, reason_id) = (format!("more-calls-{id}"), format!("more-reason-{id}"));
    let fields = move |failure: FormFailure| {
        let server_calls_error = failure.field("requestedCalls");
        let calls_error =
            Signal::derive(move || typed_wrong.get().or_else(|| server_calls_error.get()));
        let reason_error = failure.field("requestReason");
        view! {
            <div class="field">
                <label for=calls_id.clone()>"Calls wanted" <span class="required" aria-hidden="true">" *"</span></label>
                <input id=calls_id.clone() type="number" min="1" step="1" inputmode="numeric" required autofocus
                    data-testid="more-calls"
                    {..described_by(calls_error, format!("{calls_id}-error"))}
                    bind:value=calls/>
                <FieldError id=format!("{calls_id}-error") message=calls_error/>
            </div>
            <div class="field">
                <label for=reason_id.clone()>"Reason" <span class="required" aria-hidden="true">" *"</span></label>
                <textarea id=reason_id.clone() rows="4" maxlength="1000" required data-testid="more-reason"
                    {..described_by(reason_error, format!("{reason_id}-error"))}
                    bind:value=reason></textarea>
                <FieldError id=format!("{reason_id}-error") message=reason_error/>
            </div>
        }
    };
    let now = format!(
        "You have {} calls {}.",
        license.api_call_limit,
        match license.window {
            QuotaWindow::Lifetime => "in total",
            QuotaWindow::Day => "per day",
            QuotaWindow::Month => "per month",
        }
    );
    view! {
        <RequestDialogForm open form_id="ask-more-form" submit_id="more-submit"
            submit_text="Ask for more" sent_id="more-sent" request answered fields
            lead=format!("{now} An administrator may raise your limit or add calls to this window. You will see the decision under My requests.")/>
    }
}
