//! Users: search; the super admin changes roles and disables / re-enables accounts.
//! Organisation admins see their own organisation, read-only.

use leptos::prelude::*;

use super::common::*;
use super::list::{admin_resource, SearchFilters};
use crate::api::admin::{admin_users, AdminChangeUser, UserRow};
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
    let disabling = RwSignal::new(None::<UserRow>);
    let disable_open = RwSignal::new(false);
    // A role change waits for confirmation: a select changes on a stray arrow key.
    let role_change = RwSignal::new(None::<(UserRow, String)>);
    let role_open = RwSignal::new(false);
    // Closed by Escape, the close button, "Keep the role" or a failure: the change is dropped
    // and the select shows the stored role again. (Only reads `role_open`: writing it here
    // would wake this effect again, for ever.)
    Effect::new(move |_| {
        if !role_open.get() && role_change.get_untracked().is_some() {
            role_change.set(None);
            reload.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| match change.value().get() {
        Some(Ok(row)) => {
            disable_open.set(false);
            role_open.set(false);
            role_change.set(None);
            outcome.set(Some(Outcome::Done(format!(
                "{} is now {}{}.",
                row.email,
                row.role.replace('_', " "),
                if row.disabled {
                    ", disabled: they cannot sign in"
                } else {
                    ", enabled"
                }
            ))));
        }
        Some(Err(e)) => {
            disable_open.set(false);
            role_open.set(false);
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
                                            {data.page.items.into_iter().map(|row| {
                                                let is_me = row.id == me;
                                                let r = row.clone();
                                                view! {
                                                    <tr data-testid="user-row" data-email=row.email.clone() data-role=row.role.clone() data-disabled=row.disabled.to_string()>
                                                        <th scope="row" data-label="User">{row.email.clone()}<br/><span class="muted small">{row.name.clone()}</span></th>
                                                        <td data-label="Role">
                                                            {if can_edit && !is_me {
                                                                let target = row.clone();
                                                                let role = row.role.clone();
                                                                view! {
                                                                    <label class="visually-hidden" for=format!("role-{}", row.id)>{format!("Role of {}", row.email)}</label>
                                                                    <select id=format!("role-{}", row.id) data-testid="user-role"
                                                                        on:change=move |ev| { role_change.set(Some((target.clone(), event_target_value(&ev)))); role_open.set(true); }>
                                                                        {[("member", "Member"), ("admin", "Admin"), ("super_admin", "Super admin")].into_iter().map(|(v, l)| view! {
                                                                            <option value=v selected=role == v>{l}</option>
                                                                        }).collect_view()}
                                                                    </select>
                                                                }.into_any()
                                                            } else {
                                                                row.role.replace('_', " ").into_any()
                                                            }}
                                                        </td>
                                                        <td data-label="Status"><Badge word=if row.disabled { "disabled" } else { "active" }/></td>
                                                        <td data-label="Joined">{format_time(&row.created_at)}</td>
                                                        <td data-label="Last sign-in">{row.last_login_at.as_deref().map(format_time).unwrap_or_else(|| "Never".into())}</td>
                                                        {(can_edit).then(|| view! {
                                                            <td data-label="Actions" class="row-actions">
                                                                {(!is_me).then(|| if r.disabled {
                                                                    let id = r.id.clone();
                                                                    view! {
                                                                        <button type="button" class="button button-small" data-testid="user-enable"
                                                                            aria-label=format!("Enable {}", r.email)
                                                                            on:click=move |_| { change.dispatch(AdminChangeUser { id: id.clone(), role: None, disabled: Some(false) }); }>"Enable"</button>
                                                                    }.into_any()
                                                                } else {
                                                                    let r = r.clone();
                                                                    view! {
                                                                        <button type="button" class="button button-danger button-small" data-testid="user-disable"
                                                                            aria-label=format!("Disable {}", r.email)
                                                                            on:click=move |_| { disabling.set(Some(r.clone())); disable_open.set(true); }>"Disable"</button>
                                                                    }.into_any()
                                                                })}
                                                            </td>
                                                        })}
                                                    </tr>
                                                }
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

        <ConfirmDialog open=disable_open subject=disabling title="Disable this account?" id="disable-dialog" stem="disable"
            describe=|r: &UserRow| format!(
                "{} will be signed out and unable to sign in or use their API keys until re-enabled.", r.email
            )
            keep="Cancel" confirm="Disable account" pending=change.pending()
            on_confirm=move |r: UserRow| { change.dispatch(AdminChangeUser { id: r.id, role: None, disabled: Some(true) }); }/>

        <ConfirmDialog open=role_open subject=role_change title="Change this role?" id="role-dialog" stem="role"
            describe=|(r, role): &(UserRow, String)| format!(
                "{} will go from {} to {}. {}",
                r.email,
                role_label(&r.role),
                role_label(role),
                role_meaning(role)
            )
            keep="Keep the role" confirm="Change role" pending=change.pending() not_destructive=true
            on_confirm=move |(r, role): (UserRow, String)| { change.dispatch(AdminChangeUser { id: r.id, role: Some(role), disabled: None }); }/>
    }
}

fn role_label(role: &str) -> &'static str {
    match role {
        "super_admin" => "Super admin",
        "admin" => "Admin",
        _ => "Member",
    }
}

fn role_meaning(role: &str) -> &'static str {
    match role {
        "super_admin" => "A super admin grants licenses, reads every error and usage figure and manages every user.",
        "admin" => "An admin sees the users of their organisation, read-only.",
        _ => "A member uses the agents they are licensed for.",
    }
}
