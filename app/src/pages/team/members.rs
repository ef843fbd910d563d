//! The team's members; for its admins also the invite dialog (the accept link shown once, to
//! copy), role changes and removal, each confirmed, and the invitations list.

use abetworks_types::enums::Role;
use abetworks_types::teams::{InvitationCreated, MemberView};
use leptos::prelude::*;

use super::invitations::InvitationsPanel;
use crate::api::role_label;
use crate::api::teams::{team_members, ChangeMemberRole, InviteMember, RemoveMember};
use crate::components::badge::{Badge, Tone};
use crate::components::copy_button::CopyButton;
use crate::components::feedback::{described_by, FieldError, FormFailure, Loaded};
use crate::components::table::{DataTable, Moment};
use crate::pages::admin::common::{report_outcome, OutcomeNotice};
use crate::pages::admin::dialogs::{ConfirmDialog, DialogTarget, FormDialog};
use crate::pages::admin::list::ListState;

/// What a member row's buttons open.
#[derive(Clone, Copy)]
struct RowActions {
    removing: DialogTarget<MemberView>,
    changing_role: DialogTarget<MemberView>,
}

#[component]
pub fn MembersAndInvitations(admin: bool, me: String) -> impl IntoView {
    let list = ListState::new();
    let remove = list.action::<RemoveMember>();
    let change = list.action::<ChangeMemberRole>();
    let invite = ServerAction::<InviteMember>::new();
    let members = list.rows(|_| team_members());
    let inviting = DialogTarget::<()>::new();
    let actions = RowActions {
        removing: DialogTarget::new(),
        changing_role: DialogTarget::new(),
    };
    let removed = actions.removing.subject;
    report_outcome(
        remove,
        list.outcome,
        move || actions.removing.open.set(false),
        move |()| match removed.get_untracked() {
            Some(member) => format!("{} is no longer a member.", member.email),
            None => "Removed the member.".to_owned(),
        },
    );
    report_outcome(
        change,
        list.outcome,
        move || actions.changing_role.open.set(false),
        |member: MemberView| {
            format!(
                "{} is now {}.",
                member.email,
                role_label(member.role).to_lowercase()
            )
        },
    );
    let me = StoredValue::new(me);
    view! {
        <section class="panel" aria-labelledby="members-heading" data-testid="members-panel">
            <div class="panel-head">
                <h2 id="members-heading">"Members"</h2>
                {admin.then(|| view! {
                    <button type="button" class="button" data-testid="invite-button"
                        on:click=move |_| inviting.show(())>"Invite a member"</button>
                })}
            </div>
            {admin.then(|| view! { <InvitationLink invite/> })}
            <OutcomeNotice outcome=list.outcome/>
            <Loaded resource=members loading="Loading members…" ready={move |found: Vec<MemberView>| view! {
                <DataTable class="data-table stack-on-mobile" test_id="members-table" caption="The organisation's members"
                    columns=&["Email", "Name", "Role", "Joined"] actions=admin>
                    <tbody>
                        {found.into_iter().map(|member| {
                            let own = me.with_value(|me| *me == member.user_id);
                            view! { <MemberRow member controls={admin && !own} actions/> }
                        }).collect_view()}
                    </tbody>
                </DataTable>
            }}/>
        </section>
        {admin.then(|| view! {
            <InvitationsPanel invite/>
            <InviteDialog target=inviting action=invite outcome=list.outcome/>
        })}
        <ConfirmDialog target=actions.removing title="Remove this member?" id="remove-member-dialog" stem="remove-member"
            describe=|m: &MemberView| format!(
                "{} leaves the organisation: they get a personal organisation of their own and can no longer run the agents it shares.",
                m.email
            )
            keep="Keep them" confirm="Remove member" pending=remove.pending()
            on_confirm=move |m: MemberView| { remove.dispatch(RemoveMember { user_id: m.user_id }); }/>
        <ConfirmDialog target=actions.changing_role title="Change this member's role?" id="member-role-dialog" stem="member-role"
            describe=|m: &MemberView| match m.role {
                Role::Member => format!("{} becomes an admin: they may invite, remove members and see the organisation's usage.", m.email),
                _ => format!("{} becomes a member: they keep running the shared agents but no longer manage the organisation.", m.email),
            }
            keep="Cancel" confirm="Change role" pending=change.pending() not_destructive=true
            on_confirm=move |m: MemberView| { change.dispatch(ChangeMemberRole { user_id: m.user_id, role: other_role(m.role).as_str().to_owned() }); }/>
    }
}

/// The role a member's button gives them: an admin for a member, a member for an admin.
fn other_role(role: Role) -> Role {
    match role {
        Role::Member => Role::Admin,
        _ => Role::Member,
    }
}

#[component]
fn MemberRow(member: MemberView, controls: bool, actions: RowActions) -> impl IntoView {
    let email = member.email.clone();
    let buttons = controls.then(|| {
        let (to_change, to_remove) = (member.clone(), member.clone());
        // The super admin's role is theirs to keep: no button changes it here.
        let change = (member.role != Role::SuperAdmin).then(|| {
            let text = match member.role {
                Role::Member => "Make admin",
                _ => "Make member",
            };
            view! {
                <button type="button" class="button button-secondary button-small" data-testid="member-role"
                    aria-label=format!("{text}: {email}")
                    on:click=move |_| actions.changing_role.show(to_change.clone())>{text}</button>
            }
        });
        view! {
            {change}
            <button type="button" class="button button-danger button-small" data-testid="member-remove"
                aria-label=format!("Remove {}", member.email)
                on:click=move |_| actions.removing.show(to_remove.clone())>"Remove"</button>
        }
    });
    view! {
        <tr data-testid="member-row" data-email=member.email.clone() data-role=member.role.as_str()>
            <th scope="row" data-label="Email">{member.email.clone()}</th>
            <td data-label="Name">{member.name.clone()}</td>
            <td data-label="Role">
                {role_label(member.role)}
                {member.disabled.then(|| view! { " " <Badge label="disabled" tone=Tone::Danger/> })}
            </td>
            <td data-label="Joined"><Moment at=member.joined_at/></td>
            {controls.then(|| view! { <td data-label="Actions" class="row-actions">{buttons}</td> })}
        </tr>
    }
}

/// The email to invite and the role they get.
#[component]
fn InviteDialog(
    target: DialogTarget<()>,
    action: ServerAction<InviteMember>,
    outcome: RwSignal<Option<crate::pages::admin::common::Outcome>>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let failure = FormFailure::of(action.value());
    let email_error = failure.field("email");
    let reset = move || {
        email.set(String::new());
        role.set(Role::Member);
    };
    let request = move |()| {
        let email = email.get_untracked();
        if email.trim().is_empty() {
            return Err("Enter the email address to invite.".to_owned());
        }
        Ok(InviteMember {
            email,
            role: role.get_untracked().as_str().to_owned(),
        })
    };
    let done = |created: InvitationCreated| format!("Invited {}.", created.invitation.email);
    view! {
        <FormDialog target action outcome reset request done novalidate=true
            title="Invite a member" id="invite-dialog" submit_id="invite-submit" submit_text="Invite" busy_text="Inviting…">
            <div class="field">
                <label for="invite-email">"Email" <span class="required" aria-hidden="true">" *"</span></label>
                <input id="invite-email" data-testid="invite-email" type="email" autocomplete="off" required autofocus
                    {..described_by(email_error, "invite-email-error")} bind:value=email/>
                <FieldError id="invite-email-error" message=email_error/>
            </div>
            <div class="field">
                <label for="invite-role">"Role"</label>
                <select id="invite-role" data-testid="invite-role"
                    on:change=move |ev| role.set(if event_target_value(&ev) == Role::Admin.as_str() { Role::Admin } else { Role::Member })>
                    <option value=Role::Member.as_str() selected=move || role.get() == Role::Member>"Member: runs the shared agents"</option>
                    <option value=Role::Admin.as_str() selected=move || role.get() == Role::Admin>"Admin: also manages the organisation"</option>
                </select>
            </div>
            <p class="hint">"The link works once, for this email address, for 7 days."</p>
        </FormDialog>
    }
}

/// The accept link of the invitation just made: shown this once, to copy.
#[component]
fn InvitationLink(invite: ServerAction<InviteMember>) -> impl IntoView {
    let dismissed = RwSignal::new(false);
    Effect::new(move |_| {
        invite.version().track();
        dismissed.set(false);
    });
    move || {
        let created = invite.value().get().and_then(Result::ok)?;
        if dismissed.get() {
            return None;
        }
        let url = created.accept_url.clone();
        let how = if created.emailed {
            "We emailed this link to them. You can also send it yourself:"
        } else {
            "Email is not set up on this server: send them this link yourself."
        };
        Some(view! {
            <div class="notice notice-ok" data-testid="invitation-link">
                <h3>{format!("Invitation for {}", created.invitation.email)}</h3>
                <p>{how}" "<strong>"Copy it now: it will not be shown again."</strong></p>
                <div class="key-reveal">
                    <label for="invitation-url" class="visually-hidden">"Invitation link"</label>
                    <input id="invitation-url" class="code" type="text" readonly value=url.clone() data-testid="invitation-url"/>
                    <CopyButton text=url label="Copy link" test_id="copy-invitation"/>
                </div>
                <button type="button" class="button button-secondary button-small" data-testid="dismiss-invitation"
                    on:click=move |_| dismissed.set(true)>"Done"</button>
            </div>
        })
    }
}
