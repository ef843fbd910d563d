//! The subscriptions of the organisations tab: each organisation's shared pools of calls to
//! agents (all of them, or the chosen organisation's), subscribe, edit and end.

use abetworks_types::inputs::QuotaPlan;
use abetworks_types::teams::{OrganizationView, SubscriptionView};
use leptos::prelude::*;

use super::common::{
    report_outcome, LimitField, LimitInput, Outcome, Picker, PickerKind, StatusBadge,
};
use super::dialogs::{
    ConfirmDialog, DateField, DialogButton, DialogTarget, ExpiryEdit, ExpiryEditField, FormDialog,
};
use super::list::{ListState, ListText, PagedTable};
use super::plan::{PlanFields, PlanInput};
use crate::api::admin::subscriptions::{
    admin_subscriptions, AdminCreateSubscription, AdminDeleteSubscription, AdminUpdateSubscription,
};
use crate::api::expiry_date;
use crate::components::feedback::{hinted, FormFailure, HintedField};
use crate::components::pool::{pool_left_text, pool_plan_text};

/// The pool a new subscription starts with.
const DEFAULT_LIMIT: &str = "100";

/// The subscriptions of `organization` (`None`: every organisation's); `subscribing` opens
/// the subscribe dialog for an organisation.
#[component]
pub fn SubscriptionsPanel(
    organization: RwSignal<Option<OrganizationView>>,
    subscribing: DialogTarget<OrganizationView>,
) -> impl IntoView {
    let list = ListState::new();
    let create = list.action::<AdminCreateSubscription>();
    let edit = list.action::<AdminUpdateSubscription>();
    let delete = list.action::<AdminDeleteSubscription>();
    // Another organisation chosen: back to its first page.
    Effect::new(move |_| {
        organization.track();
        list.page.set(1);
    });
    let subscriptions = list.rows(move |page| {
        let id = organization.with(|o| o.as_ref().map(|o| o.id.clone()));
        admin_subscriptions(id, Some(page))
    });
    let editing = DialogTarget::<SubscriptionView>::new();
    let deleting = DialogTarget::<SubscriptionView>::new();
    let close_delete = move || deleting.open.set(false);
    report_outcome(delete, list.outcome, close_delete, |()| {
        "Ended the subscription.".to_owned()
    });
    let heading = move || match organization.get() {
        Some(o) => format!("Subscriptions of {}", o.name),
        None => "Subscriptions".to_owned(),
    };

    view! {
        <section class="panel" aria-labelledby="subscriptions-heading" data-testid="subscriptions-panel">
            <div class="panel-head">
                <h2 id="subscriptions-heading">{heading}</h2>
                {move || organization.get().is_some().then(|| view! {
                    <button type="button" class="button button-secondary button-small" data-testid="subscriptions-all"
                        on:click=move |_| organization.set(None)>"All organisations"</button>
                })}
            </div>
            <p class="muted">"A subscription is an organisation's shared pool of calls to an agent: every member may run it."</p>
            <PagedTable rows=subscriptions state=list text={ListText {
                loading: "Loading subscriptions…",
                empty_title: "No subscriptions",
                empty_hint: "Subscribe a team organisation to an agent from its row above.",
                empty_test_id: "subscriptions-empty",
                label: "Subscriptions",
            }} class="data-table stack-on-mobile" test_id="subscriptions-table" caption="Subscriptions, newest first"
                columns=&["Organisation", "Agent", "Pool", "Plan", "Member cap", "Status", "Expires"] actions=true
                row=move |subscription: SubscriptionView| view! { <SubscriptionRow subscription editing deleting delete/> }/>
        </section>

        <SubscribeDialog target=subscribing action=create outcome=list.outcome/>
        <EditSubscriptionDialog target=editing action=edit outcome=list.outcome/>
        <ConfirmDialog target=deleting title="End this subscription?" id="delete-subscription-dialog" stem="delete-subscription"
            describe=|s: &SubscriptionView| format!(
                "The members of {} will no longer be able to run {} on the shared pool ({} calls used so far).",
                s.organization_name, s.agent_name, s.usage.used
            )
            keep="Keep it" confirm="End subscription" pending=delete.pending()
            on_confirm=move |s: SubscriptionView| { delete.dispatch(AdminDeleteSubscription { id: s.id }); }/>
    }
}

#[component]
fn SubscriptionRow(
    subscription: SubscriptionView,
    editing: DialogTarget<SubscriptionView>,
    deleting: DialogTarget<SubscriptionView>,
    delete: ServerAction<AdminDeleteSubscription>,
) -> impl IntoView {
    let who = format!(
        "{} for {}",
        subscription.agent_name, subscription.organization_name
    );
    let to_delete = subscription.clone();
    view! {
        <tr data-testid="subscription-row" data-organization=subscription.organization_name.clone()
            data-agent=subscription.agent_name.clone() data-status=subscription.status.as_str()>
            <th scope="row" data-label="Organisation">{subscription.organization_name.clone()}</th>
            <td data-label="Agent">{subscription.agent_name.clone()}</td>
            <td data-label="Pool" data-testid="subscription-usage">
                {format!("{} used", subscription.usage.used)}<br/>
                <span class="muted small">{pool_left_text(&subscription)}</span>
            </td>
            <td data-label="Plan">{pool_plan_text(&subscription)}</td>
            <td data-label="Member cap">{subscription.member_cap.map(|c| c.to_string()).unwrap_or_else(|| "None".to_owned())}</td>
            <td data-label="Status"><StatusBadge status=subscription.status/></td>
            <td data-label="Expires">{expiry_date(subscription.expires_at.as_ref())}</td>
            <td data-label="Actions" class="row-actions">
                <DialogButton opens=editing about=subscription.clone() text="Edit" secondary=true
                    label=format!("Edit the pool of {who}") test_id="subscription-edit"/>
                <button type="button" class="button button-danger button-small" data-testid="subscription-delete"
                    aria-label=format!("End the subscription of {who}")
                    on:click=move |_| {
                        delete.clear();
                        deleting.show(to_delete.clone());
                    }>"End"</button>
            </td>
        </tr>
    }
}

/// A member cap typed in: blank is none, else a whole number of 1 or more.
pub(super) fn read_cap(text: &str) -> Result<Option<i64>, String> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                "Enter the member cap as a whole number of 1 or more, or leave it blank.".to_owned()
            }),
    }
}

/// The optional per-member cap.
#[component]
pub(super) fn CapField(
    id: &'static str,
    value: RwSignal<String>,
    failure: FormFailure,
) -> impl IntoView {
    let error = failure.field("memberCap");
    view! {
        <HintedField id=id label="Member cap (optional)" message=error
            hint="The most calls one member may take from the pool in a window. Blank: no cap.">
            <input id=id data-testid=id type="number" min="1" step="1" inputmode="numeric"
                {..hinted(error, id)} bind:value=value/>
        </HintedField>
    }
}

/// Subscribes the target organisation to an agent: the agent, the pool's limit and plan, a
/// member cap and an expiry.
#[component]
fn SubscribeDialog(
    target: DialogTarget<OrganizationView>,
    action: ServerAction<AdminCreateSubscription>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let agent = RwSignal::new(String::new());
    let limit = LimitInput::new(DEFAULT_LIMIT);
    let cap = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let plan = PlanInput::new();
    let failure = FormFailure::of(action.value());
    let reset = move || {
        agent.set(String::new());
        limit.limit.set(DEFAULT_LIMIT.to_owned());
        limit.unlimited.set(false);
        cap.set(String::new());
        expiry.set(String::new());
        plan.clear();
    };
    let request = move |organization: OrganizationView| {
        let agent_id = agent.get_untracked();
        if agent_id.is_empty() {
            return Err("Choose an agent.".to_owned());
        }
        Ok(AdminCreateSubscription {
            organization_id: organization.id,
            agent_id,
            api_call_limit: limit.read()?,
            plan: plan.read_new()?,
            member_cap: read_cap(&cap.get_untracked())?,
            expires_on: Some(expiry.get_untracked()),
        })
    };
    let done = |s: SubscriptionView| {
        format!(
            "Subscribed {} to {} ({}).",
            s.organization_name,
            s.agent_name,
            pool_plan_text(&s)
        )
    };
    let about = target.says(|o: &OrganizationView| format!("The shared pool of {}.", o.name));
    view! {
        <FormDialog target action outcome reset request done
            title="Subscribe to an agent" id="subscribe-dialog" submit_id="subscribe-submit" submit_text="Subscribe" busy_text="Subscribing…">
            <p>{about}</p>
            <Picker kind=PickerKind::Agents id="subscribe-agent" label="Agent" selected=agent/>
            <LimitField id="subscribe-limit" input=limit error=failure.field("apiCallLimit") label="Pool limit"/>
            <CapField id="subscribe-cap" value=cap failure/>
            <DateField id="subscribe-expiry" label="Expires on (optional)" value=expiry/>
            <PlanFields id="subscribe-plan" input=plan failure without_burst=true/>
        </FormDialog>
    }
}

/// Edits the target subscription's limit, member cap (blank: none), expiry (blank: never) and
/// plan.
#[component]
fn EditSubscriptionDialog(
    target: DialogTarget<SubscriptionView>,
    action: ServerAction<AdminUpdateSubscription>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let limit = LimitInput::new("");
    let cap = RwSignal::new(String::new());
    let expiry = ExpiryEdit::new();
    let plan = PlanInput::new();
    let failure = FormFailure::of(action.value());
    let fill = move || {
        if let Some(s) = target.subject.get_untracked() {
            limit.unlimited.set(s.api_call_limit < 0);
            limit.limit.set(if s.api_call_limit < 0 {
                String::new()
            } else {
                s.api_call_limit.to_string()
            });
            cap.set(s.member_cap.map(|c| c.to_string()).unwrap_or_default());
            expiry.fill(s.expires_at.as_ref());
            plan.set(&plan_of(&s));
        }
    };
    let request = move |s: SubscriptionView| {
        // Only a changed plan is sent: a plan change moves the window's start.
        let new_plan = plan.read()?;
        let changed_plan = (new_plan != plan_of(&s)).then_some(new_plan);
        Ok(AdminUpdateSubscription {
            id: s.id,
            api_call_limit: Some(limit.read()?),
            plan: changed_plan,
            // -1 removes the cap.
            member_cap: Some(read_cap(&cap.get_untracked())?.unwrap_or(-1)),
            expires_on: Some(expiry.read()),
        })
    };
    let done = |s: SubscriptionView| {
        format!(
            "{} for {}: now {}.",
            s.agent_name,
            s.organization_name,
            pool_plan_text(&s)
        )
    };
    let about = target.says(|s: &SubscriptionView| {
        format!(
            "{} — {} ({} used)",
            s.organization_name, s.agent_name, s.usage.used
        )
    });
    view! {
        <FormDialog target action outcome reset=fill request done
            title="Edit the subscription" id="edit-subscription-dialog" submit_id="edit-subscription-submit" submit_text="Save">
            <p>{about}</p>
            <LimitField id="edit-subscription-limit" input=limit error=failure.field("apiCallLimit") label="Pool limit"/>
            <CapField id="edit-subscription-cap" value=cap failure/>
            <ExpiryEditField id="edit-subscription-expiry" input=expiry/>
            <PlanFields id="edit-subscription-plan" input=plan failure without_burst=true/>
        </FormDialog>
    }
}

/// The plan a subscription has now (pools have no burst rate of their own).
fn plan_of(subscription: &SubscriptionView) -> QuotaPlan {
    QuotaPlan {
        window: subscription.window,
        window_time_zone: subscription.window_time_zone.clone(),
        reset_day: subscription.reset_day,
        burst_per_second: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_cap_is_blank_or_a_count_of_one_or_more() {
        assert_eq!(read_cap("  "), Ok(None));
        assert_eq!(read_cap(" 5 "), Ok(Some(5)));
        assert!(read_cap("0").is_err());
        assert!(read_cap("many").is_err());
    }
}
