//! Users: search; the super admin changes roles and disables / re-enables accounts.
//! Organisation admins see their own organisation, read-only.

use abetworks_types::enums::Role;
use abetworks_types::views::UserView;
use abetworks_types::{Page, Vocabulary};
use leptos::prelude::*;

use super::common::{report_outcome, Badge};
use super::dialogs::{ConfirmDialog, DialogButton, DialogTarget};
use super::list::{ListState, ListText, PagedAnswer, PagedList, SearchFilters};
use crate::api::admin::users::{admin_users, AdminChangeUser, UsersData};
use crate::api::{format_time, role_label};
use crate::components::badge::Tone;
use crate::components::table::DataTable;

impl PagedAnswer for UsersData {
    type Row = UserView;
    fn rows(&self) -> &Page<UserView> {
        &self.page
    }
}

#[component]
pub fn UsersTab() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let list = ListState::new();
    let change = list.action::<AdminChangeUser>();
    // Bumped when a role change is cancelled, so the row's select shows the old role again.
    let reload = RwSignal::new(0usize);
    list.reload_on(reload);
    let users = list.rows(move |page| admin_users(Some(query.get()), Some(page)));
    let actions = RowActions {
        disabling: DialogTarget::new(),
        role_change: DialogTarget::new(),
        change,
    };
    // Closed by Escape, the close button, "Keep the role" or a failure: the change is dropped
    // and the select shows the stored role again. (Only reads `role_open`: writing it here
    // would wake this effect again, for ever.)
    let DialogTarget {
        subject: role_change,
        open: role_open,
    } = actions.role_change;
    Effect::new(move |_| {
        if !role_open.get() && role_change.get_untracked().is_some() {
            role_change.set(None);
            reload.update(|n| *n += 1);
        }
    });
    let close_dialogs = move || {
        actions.disabling.open.set(false);
        role_open.set(false);
    };
    report_outcome(change, list.outcome, close_dialogs, move |user| {
        // Saved: nothing to put back when the role dialog's closing is noticed.
        role_change.set(None);
        format!(
            "{} is now {}{}.",
            user.email,
            role_label(user.role).to_lowercase(),
            if user.disabled {
                ", disabled: they cannot sign in"
            } else {
                ", enabled"
            }
        )
    });

    view! {
        <section class="panel" aria-labelledby="users-heading" data-testid="users-tab">
            <div class="panel-head"><h2 id="users-heading">"Users"</h2></div>
            <SearchFilters id="users-search" label="Name or email" query page=list.page/>
            <PagedList rows=users state=list text={ListText {
                loading: "Loading users…",
                empty_title: "No users match",
                empty_hint: "Try another search.",
                empty_test_id: "users-empty",
                label: "Users",
            }} table={move |answer: UsersData| {
                let UsersData { page: found, can_edit, me } = answer;
                view! {
                    {(!can_edit).then(|| view! { <p class="muted" data-testid="users-read-only">"Read-only: the users of your organisation."</p> })}
                    <DataTable class="data-table stack-on-mobile" test_id="users-table" caption="Users, newest first"
                        columns=&["User", "Role", "Status", "Joined", "Last sign-in"] actions=can_edit>
                        <tbody>
                            {found.items.into_iter().map(|user| {
                                // Nobody changes their own row: no locking oneself out.
                                let editable = can_edit && user.id != me;
                                view! { <UserTableRow user can_edit editable actions/> }
                            }).collect_view()}
                        </tbody>
                    </DataTable>
                }
            }}/>
        </section>

        <ConfirmDialog target=actions.disabling title="Disable this account?" id="disable-dialog" stem="disable"
            describe=|u: &UserView| format!(
                "{} will be signed out and unable to sign in or use their API keys until re-enabled.", u.email
            )
            keep="Cancel" confirm="Disable account" pending=change.pending()
            on_confirm=move |u: UserView| { change.dispatch(AdminChangeUser { id: u.id, role: None, disabled: Some(true) }); }/>

        <ConfirmDialog target=actions.role_change title="Change this role?" id="role-dialog" stem="role"
            describe=|(u, role): &(UserView, Role)| format!(
                "{} will go from {} to {}. {}",
                u.email,
                role_label(u.role),
                role_label(*role),
                role_meaning(*role)
            )
            keep="Keep the role" confirm="Change role" pending=change.pending() not_destructive=true
            on_confirm=move |(u, role): (UserView, Role)| {
                change.dispatch(AdminChangeUser { id: u.id, role: Some(role.as_str().to_owned()), disabled: None });
            }/>
    }
}

/// The confirmations a row's controls open, and the change they lead to.
#[derive(Clone, Copy)]
struct RowActions {
    disabling: DialogTarget<UserView>,
    /// A role change waits for confirmation: a select changes on a stray arrow key.
    role_change: DialogTarget<(UserView, Role)>,
    change: ServerAction<AdminChangeUser>,
}

/// One user; `editable` rows get a role select and a disable / enable button, and the actions
/// column is there whenever the caller `can_edit`.
#[component]
fn UserTableRow(
    user: UserView,
    can_edit: bool,
    editable: bool,
    actions: RowActions,
) -> impl IntoView {
    let role = if editable {
        let select_id = format!("role-{}", user.id);
        let target = user.clone();
        let current = user.role;
        view! {
            <label class="visually-hidden" for=select_id.clone()>{format!("Role of {}", user.email)}</label>
            <select id=select_id data-testid="user-role"
                on:change=move |ev| {
                    if let Ok(role) = Role::parse_field("role", &event_target_value(&ev)) {
                        actions.role_change.show((target.clone(), role));
                    }
                }>
                {Role::all().iter().map(|role| view! {
                    <option value=role.as_str() selected=*role == current>{role_label(*role)}</option>
                }).collect_view()}
            </select>
        }
        .into_any()
    } else {
        role_label(user.role).into_any()
    };
    let toggle = editable.then(|| {
        let target = user.clone();
        if user.disabled {
            view! {
                <button type="button" class="button button-small" data-testid="user-enable"
                    aria-label=format!("Enable {}", user.email)
                    on:click=move |_| {
                        actions.change.dispatch(AdminChangeUser { id: target.id.clone(), role: None, disabled: Some(false) });
                    }>"Enable"</button>
            }
            .into_any()
        } else {
            view! {
                <DialogButton opens=actions.disabling about=target text="Disable" danger=true
                    label=format!("Disable {}", user.email) test_id="user-disable"/>
            }
            .into_any()
        }
    });
    let (status, tone) = if user.disabled {
        ("disabled", Tone::Danger)
    } else {
        ("active", Tone::Ok)
    };
    view! {
        <tr data-testid="user-row" data-email=user.email.clone() data-role=user.role.as_str() data-disabled=user.disabled.to_string()>
            <th scope="row" data-label="User">{user.email.clone()}<br/><span class="muted small">{user.name.clone()}</span></th>
            <td data-label="Role">{role}</td>
            <td data-label="Status"><Badge label=status tone/></td>
            <td data-label="Joined">{format_time(&user.created_at)}</td>
            <td data-label="Last sign-in">{user.last_login_at.as_ref().map(format_time).unwrap_or_else(|| "Never".into())}</td>
            {can_edit.then(|| view! { <td data-label="Actions" class="row-actions">{toggle}</td> })}
        </tr>
    }
}

fn role_meaning(role: Role) -> &'static str {
    match role {
        Role::SuperAdmin => "A super admin grants licenses, reads every error and usage figure and manages every user.",
        Role::Admin => "An admin sees the users of their organisation, read-only.",
        Role::Member => "A member uses the agents they are licensed for.",
    }
}
