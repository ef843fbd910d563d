//! `/invitations/:token`: what an invitation link is for (the organisation, the role, the email
//! it was sent to), sign-in and sign-up links that come back here, and Accept. Each refusal
//! (not valid, expired, used, for another email, …) says what to do.

use abetworks_types::enums::InvitationStatus;
use abetworks_types::teams::InvitationView;
use abetworks_types::views::UserView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use leptos_router::location::Url;

use crate::api::teams::{invitation_preview, AcceptInvitation};
use crate::api::{format_time, role_label};
use crate::auth::use_auth;
use crate::components::feedback::Loading;
use crate::error::{AppError, ConflictReason, ErrorCode};

#[component]
pub fn InvitationPage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let preview = Resource::new(move || token.get(), invitation_preview);
    let auth = use_auth();
    view! {
        <Title text="Invitation — Abetworks"/>
        <section class="auth-card invitation-card" data-testid="invitation-page">
            <h1>"Invitation"</h1>
            <Transition fallback=|| view! { <Loading label="Reading the invitation…"/> }>
                {move || Suspend::new(async move {
                    let user = auth.user().await.ok().flatten();
                    match preview.await {
                        Err(error) => view! { <Refusal error/> }.into_any(),
                        Ok(invitation) => view! { <InvitationDetails invitation user token=token.get_untracked()/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Why an invitation cannot be used, and what to do.
#[component]
fn Refusal(error: AppError) -> impl IntoView {
    let next = if error.is(ErrorCode::InvitationForAnotherEmail) {
        Some("Sign out, then sign in with the address the invitation was sent to.")
    } else if error.is_conflict(ConflictReason::AlreadyMember) {
        None
    } else if error.is(ErrorCode::InvitationExpired)
        || error.is(ErrorCode::InvitationUsed)
        || error.is(ErrorCode::InvitationNotFound)
    {
        Some("Only your organisation's admin can send a new invitation.")
    } else {
        None
    };
    let member = error.is_conflict(ConflictReason::AlreadyMember);
    view! {
        <div class="error" role="alert" data-testid="invitation-error" data-code=error.code.as_str()>
            <p>{error.display_message()}</p>
            {next.map(|text| view! { <p>{text}</p> })}
            {member.then(|| view! { <p><a href="/team">"Go to your team"</a></p> })}
        </div>
    }
}

/// Says what the invitation is for; what follows depends on who is signed in.
#[component]
fn InvitationDetails(
    invitation: InvitationView,
    user: Option<UserView>,
    token: String,
) -> impl IntoView {
    let intro = format!(
        "You are invited to join {} as {}.",
        invitation.organization_name,
        role_label(invitation.role).to_lowercase()
    );
    let sent = format!(
        "Sent to {} · expires {}",
        invitation.email,
        format_time(&invitation.expires_at)
    );
    let closed = match invitation.status {
        InvitationStatus::Pending => None,
        InvitationStatus::Accepted => Some(AppError::of(ErrorCode::InvitationUsed)),
        InvitationStatus::Expired => Some(AppError::of(ErrorCode::InvitationExpired)),
        InvitationStatus::Revoked => Some(AppError::of(ErrorCode::InvitationNotFound)),
    };
    let next = match closed {
        Some(error) => view! { <Refusal error/> }.into_any(),
        None => match user {
            None => view! { <SignInFirst token email=invitation.email.clone()/> }.into_any(),
            Some(user) if !user.email.eq_ignore_ascii_case(&invitation.email) => view! {
                <div class="notice notice-warn" data-testid="invitation-other-email">
                    <p>{format!("You are signed in as {}, but this invitation was sent to {}.", user.email, invitation.email)}</p>
                    <p>"Sign out from the account menu, then sign in (or create an account) with the address it was sent to."</p>
                </div>
            }.into_any(),
            Some(_) => view! { <AcceptForm token organization=invitation.organization_name.clone()/> }.into_any(),
        },
    };
    view! {
        <p class="invitation-intro" data-testid="invitation-intro">{intro}</p>
        <p class="muted small" data-testid="invitation-sent">{sent}</p>
        {next}
    }
}

/// Signed out: sign in or create an account with the invited email, then come back here.
#[component]
fn SignInFirst(token: String, email: String) -> impl IntoView {
    let here = Url::escape(&format!("/invitations/{token}"));
    view! {
        <p>{format!("Sign in with {email}, or create an account with it, to accept.")}</p>
        <p class="actions">
            <a class="button" href=format!("/register?next={here}") data-testid="invitation-register">"Create an account"</a>
            <a class="button button-secondary" href=format!("/login?next={here}") data-testid="invitation-login">"Sign in"</a>
        </p>
    }
}

/// The Accept button; on success a full load of the team page (the header then shows it).
#[component]
fn AcceptForm(token: String, organization: String) -> impl IntoView {
    let accept = ServerAction::<AcceptInvitation>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = accept.value().get() {
            let _ = window().location().set_href("/team");
        }
    });
    let pending = accept.pending();
    view! {
        <p>{format!("Accepting moves your account into {organization}: you can then run the agents it shares.")}</p>
        {move || accept.value().get().and_then(Result::err).map(|error| view! { <Refusal error/> })}
        {move || accept.value().get().and_then(Result::ok).map(|joined| view! {
            <p class="notice notice-ok" role="status" data-testid="invitation-accepted">{format!("You joined {}.", joined.name)}</p>
        })}
        <button type="button" class="button button-block" data-testid="invitation-accept"
            disabled=move || pending.get()
            on:click=move |_| { accept.dispatch(AcceptInvitation { token: token.clone() }); }>
            {move || if pending.get() { "Joining…" } else { "Accept the invitation" }}
        </button>
    }
}
