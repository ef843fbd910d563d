//! Users: search; the super admin changes roles and disables / re-enables accounts.
//! Organisation admins see their own organisation, read-only.

use abetworks_types::enums::Role;
use abetworks_types::views::UserView;
use abetworks_types::Vocabulary;
use leptos::prelude::*;

use super::common::{admin_resource, Badge, ConfirmDialog, Outcome, OutcomeNotice, Tone};
use super::list::{Pager, SearchFilters};
use crate::api::admin::users::{admin_users, AdminChangeUser};
use crate::api::format_time;
use crate::components::feedback::{EmptyState, ErrorPanel, Loading};

#[component]
pub fn UsersTab() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let outcome = RwSignal::new(None::<Outcome>);
    let change = ServerAction::<AdminChangeUser>::new();
    // Bumped when a role change is cancelled, so the row's select shows the old role again.
    let reload = RwSignal::new(0usize);
    let users = admin_resource(
        move || {
            (
                query.get(),
                page.get(),
                change.version().get() + reload.get(),
            )
        },
        |(q, page, _)| admin_users(Some(q), Some(page)),
    );
    let actions = RowActions {
        disabling: RwSignal::new(None),
        disable_open: RwSignal::new(false),
        role_change: RwSignal::new(None),
        role_open: RwSignal::new(false),
        change,
    };
    // Closed by Escape, the close button, "Keep the role" or a failure: the change is dropped
    // and the select shows the stored role again. (Only reads `role_open`: writing it here
    // would wake this effect again, for ever.)
    Effect::new(move |_| {
        if !actions.role_open.get() && actions.role_change.get_untracked().is_some() {
            actions.role_change.set(None);
            reload.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| match change.value().get() {
        Some(Ok(user)) => {
            actions.disable_open.set(false);
            actions.role_open.set(false);
            actions.role_change.set(None);
            outcome.set(Some(Outcome::Done(format!(
                "{} is now {}{}.",
                user.email,
                role_label(user.role).to_lowercase(),
                if user.disabled {
                    ", disabled: they cannot sign in"
                } else {
                    ", enabled"
                }
            ))));
        }
        Some(Err(e)) => {
            actions.disable_open.set(false);
            actions.role_open.set(false);
            outcome.set(Some(Outcome::Failed(e.display_message())));
        }
        None => {}
    });

    view! {
        <section class="panel" aria-labelledby="users-heading" data-testid="users-tab">
            <div class="panel-head"><h2 id="users-heading">"Users"</h2></div>
            <SearchFilters id="users-search" label="Name or email" query page/>
            <OutcomeNotice outcome/>
            <Transition fallback=|| view! { <Loading label="Loading users…"/> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                        Ok(data) if data.page.items.is_empty() => view! {
                            <EmptyState title="No users match" test_id="users-empty">
                                <p>"Try another search."</p>
                            </EmptyState>
                        }.into_any(),
                        Ok(data) => {
                            let (total, pages) = (data.page.total, data.page.pages());
                            let can_edit = data.can_edit;
                            let me = data.me.clone();
                            view! {
                                {(!can_edit).then(|| view! { <p class="muted" data-testid="users-read-only">"Read-only: the users of your organisation."</p> })}
                                <div class="table-wrap">
                                    <table class="data-table stack-on-mobile" data-testid="users-table">
                                        <caption class="visually-hidden">"Users, newest first"</caption>
                                        <thead><tr>
                                            <th scope="col">"User"</th>
                                            <th scope="col">"Role"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Joined"</th>
                                            <th scope="col">"Last sign-in"</th>
                                            {can_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                                        </tr></thead>
                                        <tbody>
                                            {data.page.items.into_iter().map(|user| {
                                                // Nobody changes their own row: no locking oneself out.
                                                let editable = can_edit && user.id != me;
                                                view! { <UserTableRow user can_edit editable actions/> }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <Pager page total pages label="Users"/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>

        <ConfirmDialog open=actions.disable_open subject=actions.disabling title="Disable this account?" id="disable-dialog" stem="disable"
            describe=|u: &UserView| format!(
                "{} will be signed out and unable to sign in or use their API keys until re-enabled.", u.email
            )
            keep="Cancel" confirm="Disable account" pending=change.pending()
            on_confirm=move |u: UserView| { change.dispatch(AdminChangeUser { id: u.id, role: None, disabled: Some(true) }); }/>

        <ConfirmDialog open=actions.role_open subject=actions.role_change title="Change this role?" id="role-dialog" stem="role"
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
    disabling: RwSignal<Option<UserView>>,
    disable_open: RwSignal<bool>,
    /// A role change waits for confirmation: a select changes on a stray arrow key.
    role_change: RwSignal<Option<(UserView, Role)>>,
    role_open: RwSignal<bool>,
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
                        actions.role_change.set(Some((target.clone(), role)));
                        actions.role_open.set(true);
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
                <button type="button" class="button button-danger button-small" data-testid="user-disable"
                    aria-label=format!("Disable {}", user.email)
                    on:click=move |_| {
                        actions.disabling.set(Some(target.clone()));
                        actions.disable_open.set(true);
                    }>"Disable"</button>
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

fn role_label(role: Role) -> &'static str {
    match role {
        Role::SuperAdmin => "Super admin",
        Role::Admin => "Admin",
        Role::Member => "Member",
    }
}

fn role_meaning(role: Role) -> &'static str {
    match role {
        Role::SuperAdmin => "A super admin grants licenses, reads every error and usage figure and manages every user.",
        Role::Admin => "An admin sees the users of their organisation, read-only.",
        Role::Member => "A member uses the agents they are licensed for.",
    }
}
