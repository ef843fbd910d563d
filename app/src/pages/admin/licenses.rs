//! Licenses: every license, sortable, with its quota window and top-ups; grant, edit (limit,
//! expiry, plan), top up, history, suspend / reactivate, revoke and a link to the license's
//! calls. The grant, edit and top-up dialogs are in `license_dialogs.rs`, the history in
//! `license_history.rs`.

use abetworks_types::enums::{EffectiveStatus, LicenseStatus};
use abetworks_types::views::LicenseView;
use abetworks_types::Page;
use leptos::prelude::*;

use super::common::{limit_text, report_outcome, StatusBadge};
use super::dialogs::{ConfirmDialog, DialogButton, DialogTarget};
use super::license_dialogs::{changed_text, EditLicenseDialog, GrantLicenseDialog, TopUpDialog};
use super::license_history::LicenseHistoryDialog;
use super::list::{
    filter_text, AgentFilter, ListState, ListText, PagedList, SearchFilters, SortHeader,
    VocabularyFilter,
};
use crate::api::admin::licenses::{
    admin_licenses, AdminGrantLicense, AdminRevokeLicense, AdminTopUpLicense, AdminUpdateLicense,
};
use crate::api::expiry_date;
use crate::api::quota::plan_text;
use crate::components::badge::{Badge, Tone};
use crate::components::table::Moment;

#[component]
pub fn LicensesTab() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(None::<EffectiveStatus>);
    let agent = RwSignal::new(String::new());
    let sort = RwSignal::new("-granted".to_owned());
    let list = ListState::new();

    let grant = list.action::<AdminGrantLicense>();
    // The edit dialog and the suspend / reactivate buttons update apart: each reports its
    // own failure in its own place.
    let edit = list.action::<AdminUpdateLicense>();
    let toggle = list.action::<AdminUpdateLicense>();
    let revoke = list.action::<AdminRevokeLicense>();
    let top_up = list.action::<AdminTopUpLicense>();

    let licenses = list.rows(move |page| {
        admin_licenses(
            Some(query.get()),
            None,
            Some(agent.get()),
            filter_text(status.get()),
            Some(sort.get()),
            Some(page),
        )
    });

    let granting = DialogTarget::<()>::new();
    let actions = RowActions {
        editing: DialogTarget::new(),
        topping_up: DialogTarget::new(),
        viewing_history: DialogTarget::new(),
        suspending: DialogTarget::new(),
        revoking: DialogTarget::new(),
        toggle,
        revoke,
    };

    let close_suspend = move || actions.suspending.open.set(false);
    report_outcome(toggle, list.outcome, close_suspend, |license| {
        changed_text(&license)
    });
    let close_revoke = move || actions.revoking.open.set(false);
    report_outcome(revoke, list.outcome, close_revoke, |license| {
        format!(
            "Revoked the license of {} for {}.",
            license.user_email, license.agent_name
        )
    });

    view! {
        <section class="panel" aria-labelledby="licenses-heading" data-testid="licenses-tab">
            <div class="panel-head">
                <h2 id="licenses-heading">"Licenses"</h2>
                <button type="button" class="button" data-testid="grant-license-button"
                    on:click=move |_| granting.show(())>"Grant license"</button>
            </div>
            <SearchFilters id="licenses-search" label="User email or agent" query page=list.page>
                <AgentFilter id="licenses-agent" selected=agent page=list.page/>
                <VocabularyFilter id="licenses-status" label="Status" any="Any status" selected=status page=list.page/>
            </SearchFilters>
            <PagedList rows=licenses state=list text={ListText {
                loading: "Loading licenses…",
                empty_title: "No licenses match",
                empty_hint: "Grant one, or change the filters.",
                empty_test_id: "licenses-empty",
                label: "Licenses",
            }} table={move |found: Page<LicenseView>| view! {
                <div class="table-wrap">
                <table class="data-table stack-on-mobile" data-testid="licenses-table">
                    <caption class="visually-hidden">"Licenses; the column headers sort the list"</caption>
                    <thead><tr>
                        <SortHeader label="User" key="user" sort page=list.page/>
                        <SortHeader label="Agent" key="agent" sort page=list.page/>
                        <SortHeader label="Used / limit" key="used" sort page=list.page/>
                        <th scope="col">"Window"</th>
                        <SortHeader label="Status" key="status" sort page=list.page/>
                        <SortHeader label="Granted" key="granted" sort page=list.page/>
                        <SortHeader label="Expires" key="expires" sort page=list.page/>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {found.items.into_iter().map(|license| view! { <LicenseTableRow license actions/> }).collect_view()}
                    </tbody>
                </table>
                </div>
            }}/>
        </section>

        <GrantLicenseDialog target=granting action=grant outcome=list.outcome/>
        <EditLicenseDialog target=actions.editing action=edit outcome=list.outcome/>
        <TopUpDialog target=actions.topping_up action=top_up outcome=list.outcome/>
        <LicenseHistoryDialog target=actions.viewing_history version=Signal::derive(move || top_up.version().get())/>

        <ConfirmDialog target=actions.suspending title="Suspend this license?" id="suspend-dialog" stem="suspend"
            describe=|l: &LicenseView| format!(
                "{} will not be able to run {} until you reactivate the license. Calls used so far ({}) are kept.",
                l.user_email, l.agent_name, l.api_calls_used
            )
            keep="Keep it active" confirm="Suspend license" pending=toggle.pending()
            on_confirm=move |l: LicenseView| { toggle.dispatch(set_status(l.id, LicenseStatus::Suspended)); }/>

        <ConfirmDialog target=actions.revoking title="Revoke this license?" id="revoke-dialog" stem="revoke"
            describe=|l: &LicenseView| format!(
                "{} will no longer be able to run {}. Revoking cannot be undone: a new license would have to be granted.",
                l.user_email, l.agent_name
            )
            keep="Keep it" confirm="Revoke license" pending=revoke.pending()
            on_confirm=move |l: LicenseView| { revoke.dispatch(AdminRevokeLicense { id: l.id }); }/>
    }
}

/// What a row's buttons open or do.
#[derive(Clone, Copy)]
struct RowActions {
    editing: DialogTarget<LicenseView>,
    topping_up: DialogTarget<LicenseView>,
    viewing_history: DialogTarget<LicenseView>,
    suspending: DialogTarget<LicenseView>,
    revoking: DialogTarget<LicenseView>,
    toggle: ServerAction<AdminUpdateLicense>,
    revoke: ServerAction<AdminRevokeLicense>,
}

/// One license; a license in force (active or suspended) can be edited, topped up, suspended
/// or reactivated, and revoked; every license has a history.
#[component]
fn LicenseTableRow(license: LicenseView, actions: RowActions) -> impl IntoView {
    let in_force = license.status.is_in_force();
    let suspended = matches!(license.status, EffectiveStatus::Suspended);
    let who = format!("{} for {}", license.user_email, license.agent_name);
    let usage_link = format!(
        "/admin/executions?user={}&agent={}",
        license.user_id, license.agent_id
    );
    let usage_label = format!(
        "View the calls of {} to {}",
        license.user_email, license.agent_name
    );
    let history_who = who.clone();
    let buttons = in_force.then(|| {
        let (to_toggle, to_revoke) = (license.clone(), license.clone());
        let toggle_label = if suspended { "Reactivate" } else { "Suspend" };
        view! {
            <DialogButton opens=actions.editing about=license.clone() text="Edit" secondary=true
                label=format!("Edit the limit, expiry and window of {who}") test_id="license-edit"/>
            <DialogButton opens=actions.topping_up about=license.clone() text="Top up" secondary=true
                label=format!("Top up {who}") test_id="license-top-up"/>
            <button type="button" class="button button-secondary button-small" data-testid="license-toggle"
                aria-label=format!("{toggle_label} {who}")
                on:click=move |_| {
                    if suspended {
                        actions.toggle.dispatch(set_status(to_toggle.id.clone(), LicenseStatus::Active));
                    } else {
                        actions.suspending.show(to_toggle.clone());
                    }
                }>{toggle_label}</button>
            <button type="button" class="button button-danger button-small" data-testid="license-revoke"
                aria-label=format!("Revoke {who}")
                on:click=move |_| {
                    actions.revoke.clear();
                    actions.revoking.show(to_revoke.clone());
                }>"Revoke"</button>
        }
    });
    view! {
        <tr data-testid="license-row" data-user=license.user_email.clone() data-agent=license.agent_name.clone() data-status=license.status.as_str()>
            <th scope="row" data-label="User">
                {license.user_email.clone()}<br/><span class="muted small">{license.user_name.clone()}</span>
            </th>
            <td data-label="Agent">{license.agent_name.clone()}</td>
            <td data-label="Used / limit" data-testid="license-usage">
                {format!("{} / {}", license.api_calls_used, limit_text(&license))}
                {(license.top_ups > 0).then(|| view! {
                    " "<span class="muted small" data-testid="license-top-ups">{format!("(+{} added)", license.top_ups)}</span>
                })}
                {license.near_limit.then(|| view! { " " <Badge label="near limit" tone=Tone::Warn/> })}
            </td>
            <td data-label="Window" data-testid="license-window">{plan_text(&license)}</td>
            <td data-label="Status"><StatusBadge status=license.status/></td>
            <td data-label="Granted"><Moment at=license.granted_at/></td>
            <td data-label="Expires" data-testid="license-expires">{expiry_date(license.expires_at.as_ref())}</td>
            <td data-label="Actions" class="row-actions">
                {buttons}
                <DialogButton opens=actions.viewing_history about=license.clone() text="History" secondary=true
                    label=format!("History of {history_who}") test_id="license-history"/>
                <a class="button button-secondary button-small" data-testid="license-usage-link"
                    href=usage_link aria-label=usage_label>"Usage"</a>
            </td>
        </tr>
    }
}

/// Suspends or reactivates a license, leaving its limit and expiry.
fn set_status(id: String, status: LicenseStatus) -> AdminUpdateLicense {
    AdminUpdateLicense {
        id,
        api_call_limit: None,
        expires_on: None,
        status: Some(status.as_str().to_owned()),
        plan: None,
        reset_usage: None,
    }
}
