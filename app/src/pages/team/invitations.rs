//! The team's invitations, for its admins: who was invited as what, whether they accepted,
//! and revoking a pending one (its link stops working).

use abetworks_types::enums::InvitationStatus;
use abetworks_types::teams::InvitationView;
use leptos::prelude::*;

use crate::api::format_time;
use crate::api::role_label;
use crate::api::teams::{team_invitations, InviteMember, RevokeInvitation};
use crate::components::badge::{Badge, Tone};
use crate::components::feedback::{EmptyState, Loaded};
use crate::components::table::{DataTable, Moment};
use crate::pages::admin::common::{report_outcome, OutcomeNotice};
use crate::pages::admin::dialogs::{ConfirmDialog, DialogTarget};
use crate::pages::admin::list::ListState;

/// The invitations, reloaded after each invite and revocation.
#[component]
pub fn InvitationsPanel(invite: ServerAction<InviteMember>) -> impl IntoView {
    let list = ListState::new();
    list.reload_on(invite.version());
    let revoke = list.action::<RevokeInvitation>();
    let invitations = list.rows(|_| team_invitations());
    let revoking = DialogTarget::<InvitationView>::new();
    report_outcome(
        revoke,
        list.outcome,
        move || revoking.open.set(false),
        |invitation: InvitationView| format!("Revoked the invitation of {}.", invitation.email),
    );
    view! {
        <section class="panel" aria-labelledby="invitations-heading" data-testid="invitations-panel">
            <h2 id="invitations-heading">"Invitations"</h2>
            <OutcomeNotice outcome=list.outcome/>
            <Loaded resource=invitations loading="Loading invitations…" ready={move |found: Vec<InvitationView>| {
                if found.is_empty() {
                    return view! {
                        <EmptyState title="No invitations yet" test_id="invitations-empty">
                            <p>"Invite someone by email: they join once they accept the link."</p>
                        </EmptyState>
                    }.into_any();
                }
                view! {
                    <DataTable class="data-table stack-on-mobile" test_id="invitations-table" caption="Invitations, newest first"
                        columns=&["Email", "Role", "Status", "Sent", "Expires"] actions=true>
                        <tbody>
                            {found.into_iter().map(|invitation| view! { <InvitationRow invitation revoking/> }).collect_view()}
                        </tbody>
                    </DataTable>
                }.into_any()
            }}/>
        </section>
        <ConfirmDialog target=revoking title="Revoke this invitation?" id="revoke-invitation-dialog" stem="revoke-invitation"
            describe=|i: &InvitationView| format!(
                "The link sent to {} stops working. You can invite them again later.", i.email
            )
            keep="Keep it" confirm="Revoke invitation" pending=revoke.pending()
            on_confirm=move |i: InvitationView| { revoke.dispatch(RevokeInvitation { id: i.id }); }/>
    }
}

/// The tone of an invitation's status.
fn status_tone(status: InvitationStatus) -> Tone {
    match status {
        InvitationStatus::Accepted => Tone::Ok,
        InvitationStatus::Pending => Tone::Warn,
        InvitationStatus::Expired | InvitationStatus::Revoked => Tone::Danger,
    }
}

#[component]
fn InvitationRow(
    invitation: InvitationView,
    revoking: DialogTarget<InvitationView>,
) -> impl IntoView {
    let pending = invitation.status == InvitationStatus::Pending;
    let to_revoke = invitation.clone();
    let status = crate::components::badge::words(invitation.status);
    let accepted = invitation
        .accepted_at
        .as_ref()
        .map(|at| format!(" on {}", format_time(at)));
    view! {
        <tr data-testid="invitation-row" data-email=invitation.email.clone() data-status=invitation.status.as_str()>
            <th scope="row" data-label="Email">{invitation.email.clone()}</th>
            <td data-label="Role">{role_label(invitation.role)}</td>
            <td data-label="Status">
                <Badge label=status tone=status_tone(invitation.status)/>
                {accepted.map(|text| view! { <span class="muted small">{text}</span> })}
            </td>
            <td data-label="Sent"><Moment at=invitation.created_at/></td>
            <td data-label="Expires"><Moment at=invitation.expires_at/></td>
            <td data-label="Actions" class="row-actions">
                {pending.then(|| view! {
                    <button type="button" class="button button-danger button-small" data-testid="invitation-revoke"
                        aria-label=format!("Revoke the invitation of {}", invitation.email)
                        on:click=move |_| revoking.show(to_revoke.clone())>"Revoke"</button>
                })}
            </td>
        </tr>
    }
}
