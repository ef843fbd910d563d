//! `/team`: the caller's organisation. Everyone sees its members and the agents it shares and
//! may leave it; its admins also invite (the link shown once, to copy), change roles, remove
//! members, revoke invitations, and see usage by member, the members' executions and their
//! licenses (read-only).
//! A personal organisation has no team: the page says how to get one.

mod activity;
pub(crate) mod agents;
mod invitations;
mod licenses;
mod members;

use abetworks_types::teams::OrganizationView;
use abetworks_types::views::UserView;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::role_label;
use crate::api::teams::{my_organization, LeaveTeam};
use crate::auth::use_auth;
use crate::components::feedback::{EmptyState, ErrorPanel, Loading};
use crate::error::{AppError, ErrorCode};
use crate::pages::admin::common::ClientOnly;
use crate::pages::admin::dialogs::{ConfirmDialog, DialogTarget};

#[component]
pub fn TeamPage() -> impl IntoView {
    let auth = use_auth();
    let organization = Resource::new(|| (), |_| my_organization());
    view! {
        <Title text="Team — Abetworks"/>
        <Transition fallback=|| view! { <Loading label="Loading your team…"/> }>
            {move || Suspend::new(async move {
                let signed_out = || view! { <ErrorPanel error=AppError::of(ErrorCode::Unauthenticated)/> }.into_any();
                let user = match auth.user().await {
                    Err(error) => return view! { <ErrorPanel error/> }.into_any(),
                    Ok(None) => return signed_out(),
                    Ok(Some(user)) => user,
                };
                match organization.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(None) => signed_out(),
                    Ok(Some(organization)) if organization.personal => view! { <NoTeam/> }.into_any(),
                    Ok(Some(organization)) => view! { <TeamView organization me=user/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A personal organisation: nobody else to work with.
#[component]
fn NoTeam() -> impl IntoView {
    view! {
        <section class="page-intro"><h1>"Team"</h1></section>
        <EmptyState title="You are not in a team" test_id="no-team">
            <p>"Your account has a personal organisation of its own. An organisation's admin can invite you by email; the link joins you to their team."</p>
            <p><a class="button" href="/my-agents">"Your agents"</a></p>
        </EmptyState>
    }
}

#[component]
fn TeamView(organization: OrganizationView, me: UserView) -> impl IntoView {
    let admin = me.role.is_admin();
    let lead = format!(
        "You are {} of {}. {} member{}.",
        if admin { "an admin" } else { "a member" },
        organization.name,
        organization.member_count,
        if organization.member_count == 1 {
            ""
        } else {
            "s"
        }
    );
    let name = organization.name.clone();
    let me_id = me.id.clone();
    view! {
        <section class="page-intro" data-testid="team-intro" data-role=role_label(me.role)>
            <h1 data-testid="team-name">{organization.name.clone()}</h1>
            <p class="muted">{lead}</p>
        </section>
        // The sections are drawn in the browser only, like the admin tabs: their data and
        // dialogs follow the role known here.
        <ClientOnly fallback=|| view! { <Loading label="Loading your team…"/> }>
            <members::MembersAndInvitations admin me=me_id.clone()/>
            <agents::TeamAgents/>
            {admin.then(|| view! {
                <activity::TeamUsage/>
                <activity::TeamExecutions/>
                <licenses::TeamLicenses/>
            })}
            <LeavePanel name=name.clone()/>
        </ClientOnly>
    }
}

/// Leaving the organisation for a personal one; the last admin is told to hand over first.
#[component]
fn LeavePanel(name: String) -> impl IntoView {
    let leave = ServerAction::<LeaveTeam>::new();
    let leaving = DialogTarget::<String>::new();
    Effect::new(move |_| match leave.value().get() {
        // A full load: the header, My Agents and this page then see the new organisation.
        Some(Ok(())) => {
            let _ = window().location().set_href("/my-agents");
        }
        Some(Err(_)) => leaving.open.set(false),
        None => {}
    });
    let about = name.clone();
    view! {
        <section class="panel" aria-labelledby="leave-heading" data-testid="leave-panel">
            <h2 id="leave-heading">"Leave the organisation"</h2>
            <p class="muted">"You keep your account and your own licenses; you lose the agents the organisation shares."</p>
            {move || leave.value().get().and_then(Result::err).map(|e| view! {
                <p class="error" role="alert" data-testid="leave-error">{e.display_message()}</p>
            })}
            <button type="button" class="button button-danger" data-testid="leave-button"
                on:click=move |_| leaving.show(about.clone())>{format!("Leave {name}")}</button>
        </section>
        <ConfirmDialog target=leaving title="Leave this organisation?" id="leave-dialog" stem="leave"
            describe=|name: &String| format!(
                "You will leave {name} and get a personal organisation of your own. To come back, you need a new invitation."
            )
            keep="Stay" confirm="Leave" pending=leave.pending()
            on_confirm=move |_| { leave.dispatch(LeaveTeam {}); }/>
    }
}
