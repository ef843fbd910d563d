//! Licenses: every license, sortable, with grant, edit limit and expiry, suspend / reactivate,
//! revoke and a link to the license's calls.

use leptos::prelude::*;

use super::common::*;
use super::list::{admin_resource, AgentFilter, ChoiceFilter, ListText, PagedList, SearchFilters};
use crate::api::admin::{
    admin_licenses, AdminGrantLicense, AdminRevokeLicense, AdminUpdateLicense, LicenseRow,
    NO_EXPIRY,
};
use crate::api::{format_date, format_time};
use crate::components::dialog::Dialog;

const STATUSES: [(&str, &str); 5] = [
    ("", "Any status"),
    ("active", "Active"),
    ("suspended", "Suspended"),
    ("expired", "Expired"),
    ("revoked", "Revoked"),
];

#[component]
pub fn LicensesTab() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let agent = RwSignal::new(String::new());
    let sort = RwSignal::new("-granted".to_owned());
    let page = RwSignal::new(1u64);
    let outcome = RwSignal::new(None::<Outcome>);

    let grant = ServerAction::<AdminGrantLicense>::new();
    let update = ServerAction::<AdminUpdateLicense>::new();
    let revoke = ServerAction::<AdminRevokeLicense>::new();

    let licenses = admin_resource(
        move || {
            (
                query.get(),
                status.get(),
                agent.get(),
                sort.get(),
                page.get(),
                grant.version().get() + update.version().get() + revoke.version().get(),
            )
        },
        |(q, status, agent, sort, page, _)| {
            admin_licenses(
                Some(q),
                None,
                Some(agent),
                Some(status),
                Some(sort),
                Some(page),
            )
        },
    );

    // Grant dialog.
    let grant_open = RwSignal::new(false);
    let grant_user = RwSignal::new(String::new());
    let grant_agent = RwSignal::new(String::new());
    let grant_limit = RwSignal::new("100".to_owned());
    let grant_unlimited = RwSignal::new(false);
    let grant_expiry = RwSignal::new(String::new());
    let grant_problem = RwSignal::new(None::<String>);
    Effect::new(move |_| match grant.value().get() {
        Some(Ok(row)) => {
            grant_open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Granted {} to {} ({} calls).",
                row.agent_name,
                row.user_email,
                limit_text(row.api_call_limit)
            ))));
        }
        Some(Err(e)) => grant_problem.set(Some(e.display_message())),
        None => {}
    });

    // Edit dialog: the limit and the expiry.
    let editing = RwSignal::new(None::<LicenseRow>);
    let edit_open = RwSignal::new(false);
    let edit_limit = RwSignal::new(String::new());
    let edit_unlimited = RwSignal::new(false);
    let edit_expiry = RwSignal::new(String::new());
    let edit_problem = RwSignal::new(None::<String>);
    // Revoke and suspend confirmations.
    let revoking = RwSignal::new(None::<LicenseRow>);
    let revoke_open = RwSignal::new(false);
    let suspending = RwSignal::new(None::<LicenseRow>);
    let suspend_open = RwSignal::new(false);

    Effect::new(move |_| match update.value().get() {
        Some(Ok(row)) => {
            edit_open.set(false);
            suspend_open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "{} for {}: now {}, limit {}, {}.",
                row.agent_name,
                row.user_email,
                row.status,
                limit_text(row.api_call_limit),
                row.expires_at
                    .as_deref()
                    .map(|at| format!("expires {}", format_date(at)))
                    .unwrap_or_else(|| "no expiry".to_owned())
            ))));
        }
        Some(Err(e)) => {
            if edit_open.get_untracked() {
                edit_problem.set(Some(e.display_message()));
            } else {
                suspend_open.set(false);
                outcome.set(Some(Outcome::Failed(e.display_message())));
            }
        }
        None => {}
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(row)) => {
            revoke_open.set(false);
            outcome.set(Some(Outcome::Done(format!(
                "Revoked the license of {} for {}.",
                row.user_email, row.agent_name
            ))));
        }
        Some(Err(e)) => {
            revoke_open.set(false);
            outcome.set(Some(Outcome::Failed(e.display_message())));
        }
        None => {}
    });

    let on_grant = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user_id = grant_user.get_untracked();
        let agent_id = grant_agent.get_untracked();
        if user_id.is_empty() || agent_id.is_empty() {
            grant_problem.set(Some("Choose a user and an agent.".to_owned()));
            return;
        }
        match parse_limit(
            &grant_limit.get_untracked(),
            grant_unlimited.get_untracked(),
        ) {
            Err(m) => grant_problem.set(Some(m)),
            Ok(api_call_limit) => {
                grant_problem.set(None);
                grant.dispatch(AdminGrantLicense {
                    user_id,
                    agent_id,
                    api_call_limit,
                    expires_on: non_blank(grant_expiry.get_untracked()),
                });
            }
        }
    };
    let on_edit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(row) = editing.get_untracked() else {
            return;
        };
        match parse_limit(&edit_limit.get_untracked(), edit_unlimited.get_untracked()) {
            Err(m) => edit_problem.set(Some(m)),
            Ok(limit) => {
                edit_problem.set(None);
                let expiry = non_blank(edit_expiry.get_untracked());
                update.dispatch(AdminUpdateLicense {
                    id: row.id,
                    api_call_limit: Some(limit),
                    expires_on: Some(expiry.unwrap_or_else(|| NO_EXPIRY.to_owned())),
                    status: None,
                });
            }
        }
    };

    view! {
        <section class="panel" aria-labelledby="licenses-heading" data-testid="licenses-tab">
            <div class="panel-head">
                <h2 id="licenses-heading">"Licenses"</h2>
                <button type="button" class="button" data-testid="grant-license-button" on:click=move |_| {
                    grant.clear();
                    grant_problem.set(None);
                    grant_user.set(String::new());
                    grant_agent.set(String::new());
                    grant_expiry.set(String::new());
                    grant_open.set(true);
                }>"Grant license"</button>
            </div>
            <SearchFilters id="licenses-search" label="User email or agent" query page>
                <AgentFilter id="licenses-agent" selected=agent page/>
                <ChoiceFilter id="licenses-status" label="Status" choices=&STATUSES selected=status page/>
            </SearchFilters>
            <OutcomeNotice outcome/>
            <PagedList list=licenses page text={ListText {
                loading: "Loading licenses…",
                empty_title: "No licenses match",
                empty_hint: "Grant one, or change the filters.",
                empty_test_id: "licenses-empty",
                label: "Licenses",
            }} table={move |items: Vec<LicenseRow>| view! {
                <table class="data-table stack-on-mobile" data-testid="licenses-table">
                    <caption class="visually-hidden">"Licenses; the column headers sort the list"</caption>
                    <thead><tr>
                        <SortHeader label="User" key="user" sort page/>
                        <SortHeader label="Agent" key="agent" sort page/>
                        <SortHeader label="Used / limit" key="used" sort page/>
                        <SortHeader label="Status" key="status" sort page/>
                        <SortHeader label="Granted" key="granted" sort page/>
                        <SortHeader label="Expires" key="expires" sort page/>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {items.into_iter().map(|row| {
                            let live = row.status == "active" || row.status == "suspended";
                            let suspended = row.status == "suspended";
                            let (r1, r2, r3) = (row.clone(), row.clone(), row.clone());
                            view! {
                                <tr data-testid="license-row" data-user=row.user_email.clone() data-agent=row.agent_name.clone() data-status=row.status.clone()>
                                    <th scope="row" data-label="User">
                                        {row.user_email.clone()}<br/><span class="muted small">{row.user_name.clone()}</span>
                                    </th>
                                    <td data-label="Agent">{row.agent_name.clone()}</td>
                                    <td data-label="Used / limit" data-testid="license-usage">
                                        {format!("{} / {}", row.api_calls_used, limit_text(row.api_call_limit))}
                                        {row.near_limit.then(|| view! { " " <span class="badge badge-warn">"near limit"</span> })}
                                    </td>
                                    <td data-label="Status"><Badge word=row.status.clone()/></td>
                                    <td data-label="Granted"><time datetime=row.granted_at.clone()>{format_time(&row.granted_at)}</time></td>
                                    <td data-label="Expires" data-testid="license-expires">{row.expires_at.as_deref().map(format_date).unwrap_or_else(|| "Never".to_owned())}</td>
                                    <td data-label="Actions" class="row-actions">
                                        {live.then(|| view! {
                                            <button type="button" class="button button-secondary button-small" data-testid="license-edit"
                                                aria-label=format!("Edit the limit and expiry of {} for {}", r1.user_email, r1.agent_name)
                                                on:click={
                                                    let r = r1.clone();
                                                    move |_| {
                                                        edit_unlimited.set(r.api_call_limit < 0);
                                                        edit_limit.set(if r.api_call_limit < 0 { String::new() } else { r.api_call_limit.to_string() });
                                                        edit_expiry.set(r.expires_at.as_deref().map(format_date).unwrap_or_default());
                                                        edit_problem.set(None);
                                                        editing.set(Some(r.clone()));
                                                        edit_open.set(true);
                                                    }
                                                }>"Edit"</button>
                                            <button type="button" class="button button-secondary button-small" data-testid="license-toggle"
                                                aria-label=format!("{} {} for {}", if suspended { "Reactivate" } else { "Suspend" }, r2.user_email, r2.agent_name)
                                                on:click={
                                                    let r = r2.clone();
                                                    move |_| {
                                                        if suspended {
                                                            update.dispatch(AdminUpdateLicense { id: r.id.clone(), api_call_limit: None, expires_on: None, status: Some("active".to_owned()) });
                                                        } else {
                                                            suspending.set(Some(r.clone()));
                                                            suspend_open.set(true);
                                                        }
                                                    }
                                                }>{if suspended { "Reactivate" } else { "Suspend" }}</button>
                                            <button type="button" class="button button-danger button-small" data-testid="license-revoke"
                                                aria-label=format!("Revoke {} for {}", r3.user_email, r3.agent_name)
                                                on:click={
                                                    let r = r3.clone();
                                                    move |_| { revoke.clear(); revoking.set(Some(r.clone())); revoke_open.set(true); }
                                                }>"Revoke"</button>
                                        })}
                                        <a class="button button-secondary button-small" data-testid="license-usage-link"
                                            href=format!("/admin/executions?user={}&agent={}", row.user_id, row.agent_id)
                                            aria-label=format!("View the calls of {} to {}", row.user_email, row.agent_name)>"Usage"</a>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }}/>
        </section>

        <ClientOnly>
        <Dialog open=grant_open title="Grant a license" id="grant-dialog" test_id="grant-dialog">
            <form class="form" on:submit=on_grant>
                <Picker kind="users" id="grant-user" label="User" selected=grant_user/>
                <Picker kind="agents" id="grant-agent" label="Agent" selected=grant_agent/>
                <LimitField id="grant-limit" limit=grant_limit unlimited=grant_unlimited/>
                <div class="field">
                    <label for="grant-expiry">"Expires on (optional)"</label>
                    <input id="grant-expiry" type="date" data-testid="grant-expiry" bind:value=grant_expiry/>
                </div>
                {move || grant_problem.get().map(|m| view! { <p class="error" role="alert" data-testid="dialog-error">{m}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| grant_open.set(false)>"Cancel"</button>
                    <button type="submit" class="button" data-testid="grant-submit" disabled=move || grant.pending().get()>
                        {move || if grant.pending().get() { "Granting…" } else { "Grant license" }}
                    </button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>

        <ClientOnly>
        <Dialog open=edit_open title="Edit the license" id="edit-license-dialog" test_id="edit-license-dialog">
            <form class="form" on:submit=on_edit>
                <p>{move || editing.get().map(|r| format!("{} — {} (used {})", r.user_email, r.agent_name, r.api_calls_used))}</p>
                <LimitField id="edit-limit" limit=edit_limit unlimited=edit_unlimited/>
                <div class="field">
                    <label for="edit-expiry">"Expires on (blank: never)"</label>
                    <input id="edit-expiry" type="date" data-testid="edit-expiry" bind:value=edit_expiry/>
                </div>
                {move || edit_problem.get().map(|m| view! { <p class="error" role="alert" data-testid="dialog-error">{m}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| edit_open.set(false)>"Cancel"</button>
                    <button type="submit" class="button" data-testid="edit-license-submit" disabled=move || update.pending().get()>"Save"</button>
                </div>
            </form>
        </Dialog>
        </ClientOnly>

        <ConfirmDialog open=suspend_open subject=suspending title="Suspend this license?" id="suspend-dialog" stem="suspend"
            describe=|r: &LicenseRow| format!(
                "{} will not be able to run {} until you reactivate the license. Calls used so far ({}) are kept.",
                r.user_email, r.agent_name, r.api_calls_used
            )
            keep="Keep it active" confirm="Suspend license" pending=update.pending()
            on_confirm=move |r: LicenseRow| { update.dispatch(AdminUpdateLicense { id: r.id, api_call_limit: None, expires_on: None, status: Some("suspended".to_owned()) }); }/>

        <ConfirmDialog open=revoke_open subject=revoking title="Revoke this license?" id="revoke-dialog" stem="revoke"
            describe=|r: &LicenseRow| format!(
                "{} will no longer be able to run {}. Revoking cannot be undone: a new license would have to be granted.",
                r.user_email, r.agent_name
            )
            keep="Keep it" confirm="Revoke license" pending=revoke.pending()
            on_confirm=move |r: LicenseRow| { revoke.dispatch(AdminRevokeLicense { id: r.id }); }/>
    }
}
