//! The form in a dialog that asks an administrator for something (access to an agent, more
//! calls), shared by the marketplace and My agents: its lead, the fields, "Cancel" and the
//! submit button; once sent, "Request sent." and a "Done" button that keeps focus in the
//! dialog. An organisation admin may ask for their team instead ([`TeamChoice`]).

use abetworks_types::views::AccessRequestView;
use leptos::prelude::*;

use crate::api::marketplace::RequestAccess;
use crate::auth::use_auth;
use crate::components::feedback::{FormError, FormFailure};
use crate::error::AppError;

/// The organisation the signed-in caller may ask a pool for (its name), as the core says with
/// the session (`canRequestForOrganization`); `None` for everyone else. Read in the browser
/// and shared through context by the page that asks.
#[derive(Clone, Copy)]
pub struct AskableTeam(LocalResource<Option<String>>);

impl AskableTeam {
    /// Reads it and provides it to the page's dialogs.
    pub fn provide() {
        let auth = use_auth();
        let team = LocalResource::new(move || async move {
            let organization = auth.organization().await?;
            organization
                .can_request_for_organization
                .then_some(organization.name)
        });
        provide_context(Self(team));
    }

    /// The team's name, once known (tracked).
    fn name(self) -> Option<String> {
        self.0.get().flatten()
    }
}

/// A request dialog's choice to ask for the caller's team rather than for themselves.
#[derive(Clone, Copy)]
pub struct TeamAsk {
    team: Option<AskableTeam>,
    checked: RwSignal<bool>,
}

impl TeamAsk {
    /// Unchecked; made where the page's [`AskableTeam`] is in context.
    pub fn from_context() -> Self {
        Self {
            team: use_context::<AskableTeam>(),
            checked: RwSignal::new(false),
        }
    }

    /// Whether the request is for the team: checked, by someone who may ask for one.
    pub fn for_organization(self) -> bool {
        self.checked.get_untracked()
            && self
                .team
                .is_some_and(|team| team.0.get_untracked().flatten().is_some())
    }
}

/// "Ask for my organisation (<name>)", shown when the core says the caller may ask for one
/// ([`AskableTeam`]): approved, the request becomes a pool every member can run the agent from.
#[component]
pub fn TeamChoice(ask: TeamAsk) -> impl IntoView {
    let checked = ask.checked;
    move || {
        ask.team.and_then(AskableTeam::name).map(|name| {
            view! {
                <div class="field field-check">
                    <input id="request-for-organization" data-testid="request-for-organization" type="checkbox"
                        aria-describedby="request-for-organization-hint" bind:checked=checked/>
                    <label for="request-for-organization">{format!("Ask for my organisation ({name})")}</label>
                </div>
                <p class="hint" id="request-for-organization-hint">
                    {format!("Approved, it becomes a pool of calls every member of {name} can run the agent from.")}
                </p>
            }
        })
    }
}

/// The form of a [`RequestAccess`]: `lead`, the message of a failure about no field, the
/// fields (`fields(failure)`, `failure` holding the messages about them), then the buttons.
/// On submission `request` makes the request from the fields (or, having said what is wrong,
/// nothing); `answered` is told each answer. The form's test id is `form_id`, its submit
/// button's `submit_id`; after a success the confirmation (test id `sent_id`) replaces it.
#[component]
pub fn RequestDialogForm<V>(
    /// The dialog's switch: "Cancel" and "Done" close it.
    open: RwSignal<bool>,
    #[prop(into)] lead: String,
    form_id: &'static str,
    submit_id: &'static str,
    /// What the submit button says, when no request is on its way.
    submit_text: &'static str,
    sent_id: &'static str,
    request: impl Fn() -> Option<RequestAccess> + Send + Sync + 'static,
    answered: impl Fn(&Result<AccessRequestView, AppError>) + 'static,
    fields: impl Fn(FormFailure) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    V: IntoView + 'static,
{
    let action = ServerAction::<RequestAccess>::new();
    let value = action.value();
    Effect::new(move |_| {
        value.with(|answer| {
            if let Some(answer) = answer {
                answered(answer);
            }
        })
    });
    let failure = FormFailure::of(value);
    let general = failure.general();
    // Stored, so the view's nested closures copy a handle instead of moving them.
    let (request, fields) = (StoredValue::new(request), StoredValue::new(fields));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = request.with_value(|request| request()) {
            action.dispatch(input);
        }
    };
    let done = move || matches!(value.get(), Some(Ok(_)));
    // The form is replaced by the confirmation: keep keyboard focus in the dialog.
    let done_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if done() {
            request_animation_frame(move || {
                if let Some(button) = done_button.get_untracked() {
                    let _ = button.focus();
                }
            });
        }
    });
    view! {
        <Show
            when=done
            fallback=move || view! {
                <form class="form" novalidate on:submit=on_submit data-testid=form_id>
                    <p class="muted">{lead.clone()}</p>
                    <FormError message=general/>
                    {fields.with_value(|fields| fields(failure))}
                    <div class="dialog-actions">
                        <button type="button" class="button button-secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                        <button type="submit" class="button" data-testid=submit_id disabled=move || action.pending().get()>
                            {move || if action.pending().get() { "Sending…" } else { submit_text }}
                        </button>
                    </div>
                </form>
            }
        >
            <div class="notice notice-ok" role="status" data-testid=sent_id>
                <p><strong>"Request sent."</strong>" An administrator will review it; you can follow it under "<a href="/my-requests">"My requests"</a>"."</p>
            </div>
            <div class="dialog-actions">
                <button type="button" class="button" node_ref=done_button on:click=move |_| open.set(false)>"Done"</button>
            </div>
        </Show>
    }
}
