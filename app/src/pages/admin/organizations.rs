//! Organisations: every organisation with its member and admin counts; create one (optionally
//! moving a user in as its admin), rename, see its members, and its subscriptions (the shared
//! pools, in `subscriptions.rs`).

use abetworks_types::teams::{MemberView, OrganizationView};
use leptos::prelude::*;

use super::common::{admin_resource, ClientOnly, Picker, PickerKind};
use super::dialogs::{DialogButton, DialogTarget, FormDialog};
use super::list::{ListState, ListText, PagedTable, SearchFilters};
use super::subscriptions::SubscriptionsPanel;
use crate::api::admin::organizations::{
    admin_organization_members, admin_organizations, AdminCreateOrganization,
    AdminRenameOrganization,
};
use crate::api::role_label;
use crate::components::badge::{Badge, Tone};
use crate::components::dialog::Dialog;
use crate::components::feedback::{described_by, EmptyState, FieldError, FormFailure, Loaded};
use crate::components::table::{DataTable, Moment};

#[component]
pub fn OrganizationsTab() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let list = ListState::new();
    let create = list.action::<AdminCreateOrganization>();
    let rename = list.action::<AdminRenameOrganization>();
    let organizations = list.rows(move |page| admin_organizations(Some(query.get()), Some(page)));
    let creating = DialogTarget::<()>::new();
    let actions = RowActions {
        renaming: DialogTarget::new(),
        viewing_members: DialogTarget::new(),
        subscribing: DialogTarget::new(),
        chosen: RwSignal::new(None),
    };

    view! {
        <section class="panel" aria-labelledby="organizations-heading" data-testid="organizations-tab">
            <div class="panel-head">
                <h2 id="organizations-heading">"Organizations"</h2>
                <button type="button" class="button" data-testid="create-organization-button"
                    on:click=move |_| creating.show(())>"Create organization"</button>
            </div>
            <SearchFilters id="organizations-search" label="Name or slug" query page=list.page/>
            <PagedTable rows=organizations state=list text={ListText {
                loading: "Loading organisations…",
                empty_title: "No organisations match",
                empty_hint: "Create one, or change the search.",
                empty_test_id: "organizations-empty",
                label: "Organizations",
            }} class="data-table stack-on-mobile" test_id="organizations-table" caption="Organisations, newest first"
                columns=&["Name", "Members", "Admins", "Created"] actions=true
                row=move |organization: OrganizationView| view! { <OrganizationRow organization actions/> }/>
        </section>

        <SubscriptionsPanel organization=actions.chosen subscribing=actions.subscribing/>

        <CreateOrganizationDialog target=creating action=create outcome=list.outcome/>
        <RenameOrganizationDialog target=actions.renaming action=rename outcome=list.outcome/>
        <MembersDialog target=actions.viewing_members/>
    }
}

/// What a row's buttons open: the rename and members dialogs, the subscribe dialog; and which
/// organisation the subscriptions panel shows.
#[derive(Clone, Copy)]
struct RowActions {
    renaming: DialogTarget<OrganizationView>,
    viewing_members: DialogTarget<OrganizationView>,
    subscribing: DialogTarget<OrganizationView>,
    chosen: RwSignal<Option<OrganizationView>>,
}

/// One organisation; a team organisation (not a personal one) can be subscribed to agents.
#[component]
fn OrganizationRow(organization: OrganizationView, actions: RowActions) -> impl IntoView {
    let name = organization.name.clone();
    let team = !organization.personal;
    let to_show = organization.clone();
    let to_subscribe = organization.clone();
    view! {
        <tr data-testid="organization-row" data-name=name.clone() data-personal=organization.personal.to_string()>
            <th scope="row" data-label="Name">
                {name.clone()}" "
                {organization.personal.then(|| view! { <Badge label="personal" tone=Tone::Warn/> })}
                <br/><span class="muted small">{organization.slug.clone()}</span>
            </th>
            <td data-label="Members" data-testid="organization-members">{organization.member_count}</td>
            <td data-label="Admins">{organization.admin_count}</td>
            <td data-label="Created"><Moment at=organization.created_at/></td>
            <td data-label="Actions" class="row-actions">
                <DialogButton opens=actions.renaming about=organization.clone() text="Rename" secondary=true
                    label=format!("Rename {name}") test_id="organization-rename"/>
                <DialogButton opens=actions.viewing_members about=organization.clone() text="Members" secondary=true
                    label=format!("Members of {name}") test_id="organization-members-button"/>
                <button type="button" class="button button-secondary button-small" data-testid="organization-subscriptions"
                    aria-label=format!("Subscriptions of {name}")
                    on:click=move |_| actions.chosen.set(Some(to_show.clone()))>"Subscriptions"</button>
                {team.then(|| view! {
                    <button type="button" class="button button-small" data-testid="organization-subscribe"
                        aria-label=format!("Subscribe {name} to an agent")
                        on:click=move |_| {
                            actions.chosen.set(Some(to_subscribe.clone()));
                            actions.subscribing.show(to_subscribe.clone());
                        }>"Subscribe"</button>
                })}
            </td>
        </tr>
    }
}

/// A team organisation's name, and optionally a user to move in as its admin.
#[component]
fn CreateOrganizationDialog(
    target: DialogTarget<()>,
    action: ServerAction<AdminCreateOrganization>,
    outcome: RwSignal<Option<super::common::Outcome>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let admin = RwSignal::new(String::new());
    let failure = FormFailure::of(action.value());
    let name_error = failure.field("name");
    let reset = move || {
        name.set(String::new());
        admin.set(String::new());
    };
    let request = move |()| {
        let name = name.get_untracked();
        if name.trim().is_empty() {
            return Err("Enter the organisation's name.".to_owned());
        }
        Ok(AdminCreateOrganization {
            name,
            admin_user_id: Some(admin.get_untracked()),
        })
    };
    let done = |organization: OrganizationView| {
        format!(
            "Created {} ({} member{}).",
            organization.name,
            organization.member_count,
            if organization.member_count == 1 {
                ""
            } else {
                "s"
            }
        )
    };
    view! {
        <FormDialog target action outcome reset request done novalidate=true
            title="Create an organisation" id="create-organization-dialog" submit_id="create-organization-submit"
            submit_text="Create organization" busy_text="Creating…">
            <div class="field">
                <label for="organization-name">"Name" <span class="required" aria-hidden="true">" *"</span></label>
                <input id="organization-name" data-testid="organization-name" type="text" maxlength="100" required autofocus
                    {..described_by(name_error, "organization-name-error")} bind:value=name/>
                <FieldError id="organization-name-error" message=name_error/>
            </div>
            <p class="hint">"Optionally choose its first admin: they move into the new organisation."</p>
            <Picker kind=PickerKind::Users id="organization-admin" label="Admin (optional)" selected=admin/>
        </FormDialog>
    }
}

/// A new name for the target organisation.
#[component]
fn RenameOrganizationDialog(
    target: DialogTarget<OrganizationView>,
    action: ServerAction<AdminRenameOrganization>,
    outcome: RwSignal<Option<super::common::Outcome>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let failure = FormFailure::of(action.value());
    let name_error = failure.field("name");
    let fill = move || {
        name.set(
            target
                .subject
                .get_untracked()
                .map(|o| o.name)
                .unwrap_or_default(),
        )
    };
    let request = move |organization: OrganizationView| {
        let name = name.get_untracked();
        if name.trim().is_empty() {
            return Err("Enter the organisation's name.".to_owned());
        }
        Ok(AdminRenameOrganization {
            id: organization.id,
            name,
        })
    };
    let done = |organization: OrganizationView| format!("Renamed to {}.", organization.name);
    view! {
        <FormDialog target action outcome reset=fill request done novalidate=true
            title="Rename the organisation" id="rename-organization-dialog" submit_id="rename-organization-submit" submit_text="Save">
            <div class="field">
                <label for="organization-new-name">"Name" <span class="required" aria-hidden="true">" *"</span></label>
                <input id="organization-new-name" data-testid="organization-new-name" type="text" maxlength="100" required autofocus
                    {..described_by(name_error, "organization-new-name-error")} bind:value=name/>
                <FieldError id="organization-new-name-error" message=name_error/>
            </div>
        </FormDialog>
    }
}

/// The members of the target organisation, read-only.
#[component]
fn MembersDialog(target: DialogTarget<OrganizationView>) -> impl IntoView {
    let DialogTarget { subject, open } = target;
    let title = "Members";
    view! {
        <ClientOnly>
            <Dialog open title id="organization-members-dialog" test_id="organization-members-dialog">
                {move || subject.get().map(|organization| {
                    let id = organization.id.clone();
                    let members = admin_resource(move || id.clone(), admin_organization_members);
                    view! {
                        <p>{organization.name.clone()}</p>
                        <Loaded resource=members loading="Loading members…" ready={|list: Vec<MemberView>| {
                            if list.is_empty() {
                                return view! {
                                    <EmptyState title="No members" test_id="organization-members-empty">
                                        <p>"Nobody belongs to this organisation."</p>
                                    </EmptyState>
                                }.into_any();
                            }
                            view! { <MembersTable list/> }.into_any()
                        }}/>
                    }
                })}
            </Dialog>
        </ClientOnly>
    }
}

#[component]
fn MembersTable(list: Vec<MemberView>) -> impl IntoView {
    view! {
        <DataTable class="data-table" test_id="organization-members-table" caption="Members"
            columns=&["Email", "Name", "Role", "Joined"]>
            <tbody>
                {list.into_iter().map(|member| view! {
                    <tr data-testid="organization-member-row" data-email=member.email.clone()>
                        <th scope="row">{member.email.clone()}</th>
                        <td>{member.name.clone()}</td>
                        <td>{role_label(member.role)}</td>
                        <td><Moment at=member.joined_at/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </DataTable>
    }
}
