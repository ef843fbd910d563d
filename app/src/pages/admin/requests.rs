//! Access requests, pending first: first access (approve with a limit, expiry and quota plan),
//! requests for more calls on a license held (approve by raising the limit and/or adding
//! calls to the current window) and an organisation admin's requests for their team (approve
//! with the pool's limit, plan, expiry and member cap); reject any with a note.

use abetworks_types::enums::{AccessRequestKind, AccessRequestStatus, EventType};
use abetworks_types::views::{AccessRequestView, ApprovedRequest};
use leptos::prelude::*;

use super::common::{Badge, LimitField, LimitInput, Outcome, StatusBadge};
use super::dialogs::{DateField, DialogButton, DialogTarget, FormDialog, NoteDialog};
use super::license_dialogs::calls_text;
use super::list::{
    filter_text, AgentFilter, DateRangeFilter, ListState, ListText, PagedTable, VocabularyFilter,
};
use super::plan::{PlanFields, PlanInput};
use super::subscriptions::{read_cap, CapField};
use crate::api::admin::requests::{admin_requests, AdminApproveRequest, AdminRejectRequest};
use crate::api::admin::DateRange;
use crate::components::badge::Tone;
use crate::components::feedback::{described_by, positive_count, FieldError, FormFailure};
use crate::components::live::arrivals_of;
use crate::components::table::Moment;

/// The limit an approval starts with.
const DEFAULT_LIMIT: &str = "100";

#[component]
pub fn RequestsTab() -> impl IntoView {
    let status = RwSignal::new(None::<AccessRequestStatus>);
    let agent = RwSignal::new(String::new());
    let dates = RwSignal::new(DateRange::default());
    let list = ListState::new();
    // A new request appears as it is made (the live stream), not on the next visit.
    list.reload_on(arrivals_of(&[EventType::AccessRequestCreated]));
    let approve = list.action::<AdminApproveRequest>();
    let reject = list.action::<AdminRejectRequest>();
    let requests = list.rows(move |page| {
        admin_requests(
            filter_text(status.get()),
            Some(agent.get()),
            dates.get(),
            Some(page),
        )
    });

    let actions = RowActions {
        approving: DialogTarget::new(),
        rejecting: DialogTarget::new(),
    };

    view! {
        <section class="panel" aria-labelledby="requests-heading" data-testid="requests-tab">
            <div class="panel-head"><h2 id="requests-heading">"Access requests"</h2></div>
            <div class="filters admin-filters">
                <VocabularyFilter id="requests-status" label="Status" any="Any status (pending first)" selected=status page=list.page/>
                <AgentFilter id="requests-agent" selected=agent page=list.page/>
                <DateRangeFilter id="requests" dates page=list.page/>
            </div>
            <PagedTable rows=requests state=list text={ListText {
                loading: "Loading requests…",
                empty_title: "No requests match",
                empty_hint: "New requests from users appear here.",
                empty_test_id: "requests-empty",
                label: "Requests",
            }} class="data-table stack-on-mobile" test_id="admin-requests-table" caption="Access requests, pending first"
                columns=&["User", "Agent", "Asks for", "Reason", "Requested", "Status"] actions=true
                row=move |request: AccessRequestView| view! { <RequestTableRow request actions/> }/>
        </section>

        <ApproveRequestDialog target=actions.approving action=approve outcome=list.outcome/>
        // Rejects the request with a note the user sees.
        <NoteDialog target=actions.rejecting action=reject outcome=list.outcome
            title="Reject the request?" id="reject-dialog" submit_id="reject-submit" submit_text="Reject request"
            describe=|r: &AccessRequestView| format!("{} asked for {}. They will see your note.", r.user_email, r.agent_name)
            note_id="reject-note" note_label="Review note" required=true danger=true
            request=|r: AccessRequestView, review_note: String| {
                if review_note.trim().is_empty() {
                    return Err("Write a note: the user sees why the request was rejected.".to_owned());
                }
                Ok(AdminRejectRequest { id: r.id, review_note })
            }
            done=|rejected: AccessRequestView| format!(
                "Rejected the request of {} for {}; they will see your note.",
                rejected.user_email, rejected.agent_name
            )/>
    }
}

/// The dialogs the row buttons open.
#[derive(Clone, Copy)]
struct RowActions {
    approving: DialogTarget<AccessRequestView>,
    rejecting: DialogTarget<AccessRequestView>,
}

/// One request; a pending one can be approved or rejected.
#[component]
fn RequestTableRow(request: AccessRequestView, actions: RowActions) -> impl IntoView {
    let pending = matches!(request.status, AccessRequestStatus::Pending);
    let who = format!("{} for {}", request.user_email, request.agent_name);
    let buttons = pending.then(|| {
        view! {
            <DialogButton opens=actions.approving about=request.clone() text="Approve"
                label=format!("Approve {who}") test_id="request-approve"/>
            <DialogButton opens=actions.rejecting about=request.clone() text="Reject" danger=true
                label=format!("Reject {who}") test_id="request-reject"/>
        }
    });
    view! {
        <tr data-testid="admin-request-row" data-user=request.user_email.clone() data-agent=request.agent_name.clone()
            data-status=request.status.as_str() data-kind=request.kind.as_str()
            data-organization=request.organization_name.clone()>
            <th scope="row" data-label="User">{request.user_email.clone()}<br/><span class="muted small">{request.user_name.clone()}</span></th>
            <td data-label="Agent">{request.agent_name.clone()}</td>
            <td data-label="Asks for" data-testid="request-kind">{asks_for(&request)}</td>
            <td data-label="Reason" class="wrap">{request.request_reason.clone()}</td>
            <td data-label="Requested"><Moment at=request.requested_at/></td>
            <td data-label="Status">
                <StatusBadge status=request.status/>
                {request.review_note.clone().map(|n| view! { <br/><span class="muted small">{n}</span> })}
            </td>
            <td data-label="Actions" class="row-actions">{buttons}</td>
        </tr>
    }
}

/// What a request asks for, in its row: access, a "More calls" badge with the number, or an
/// "Organisation" badge with the organisation's name (a pool for the team).
fn asks_for(request: &AccessRequestView) -> impl IntoView {
    if let Some(organization) = request.organization_name.clone() {
        return view! {
            <Badge label="Organisation" tone=Tone::Ok/>" "
            <span data-testid="request-organization">{format!("A pool for {organization}")}</span>
        }
        .into_any();
    }
    match request.kind {
        AccessRequestKind::Access => "Access".into_any(),
        AccessRequestKind::Increase => {
            let wanted = request
                .requested_calls
                .map(|n| format!(" {n} calls"))
                .unwrap_or_default();
            view! { <Badge label="More calls" tone=Tone::Warn/>{wanted} }.into_any()
        }
    }
}

/// The fields of an approval: for a first access a limit, an expiry and a plan (and, for an
/// organisation's pool, a member cap); for more calls, a higher limit and/or calls added to
/// the current window.
#[derive(Clone, Copy)]
struct ApprovalInput {
    limit: LimitInput,
    expiry: RwSignal<String>,
    plan: PlanInput,
    cap: RwSignal<String>,
    raise: RwSignal<bool>,
    raise_to: LimitInput,
    add: RwSignal<bool>,
    add_calls: RwSignal<String>,
}

impl ApprovalInput {
    fn new() -> Self {
        Self {
            limit: LimitInput::new(DEFAULT_LIMIT),
            expiry: RwSignal::new(String::new()),
            plan: PlanInput::new(),
            cap: RwSignal::new(String::new()),
            raise: RwSignal::new(false),
            raise_to: LimitInput::new(""),
            add: RwSignal::new(true),
            add_calls: RwSignal::new(String::new()),
        }
    }

    /// Fresh fields for `request`, the number asked for filled in.
    fn fill(self, request: &AccessRequestView) {
        let wanted = request
            .requested_calls
            .map(|n| n.to_string())
            .unwrap_or_default();
        self.limit.limit.set(DEFAULT_LIMIT.to_owned());
        self.limit.unlimited.set(false);
        self.expiry.set(String::new());
        self.plan.clear();
        self.cap.set(String::new());
        self.raise.set(false);
        self.raise_to.limit.set(wanted.clone());
        self.raise_to.unlimited.set(false);
        self.add.set(true);
        self.add_calls.set(wanted);
    }

    /// The approval of `request` the fields describe, or what is wrong with them.
    fn approval(self, request: AccessRequestView) -> Result<AdminApproveRequest, String> {
        if request.kind == AccessRequestKind::Access {
            let member_cap = match request.organization_id {
                Some(_) => read_cap(&self.cap.get_untracked())?,
                None => None,
            };
            return Ok(AdminApproveRequest {
                id: request.id,
                api_call_limit: Some(self.limit.read()?),
                expires_on: Some(self.expiry.get_untracked()),
                plan: self.plan.read_new()?,
                top_up_calls: None,
                member_cap,
            });
        }
        let (raise, add) = (self.raise.get_untracked(), self.add.get_untracked());
        if !raise && !add {
            return Err(
                "Choose what to grant: a higher limit, calls added to this window, or both."
                    .to_owned(),
            );
        }
        let top_up_calls = match add {
            false => None,
            true => Some(positive_count(
                &self.add_calls.get_untracked(),
                "Enter the calls to add: a whole number of 1 or more.",
            )?),
        };
        Ok(AdminApproveRequest {
            id: request.id,
            api_call_limit: if raise {
                Some(self.raise_to.read()?)
            } else {
                None
            },
            expires_on: None,
            plan: None,
            top_up_calls,
            member_cap: None,
        })
    }
}

/// Approves the target request: a first access grants a license (limit, expiry, plan); a
/// request for more calls changes the license held in place.
#[component]
fn ApproveRequestDialog(
    target: DialogTarget<AccessRequestView>,
    action: ServerAction<AdminApproveRequest>,
    outcome: RwSignal<Option<Outcome>>,
) -> impl IntoView {
    let input = ApprovalInput::new();
    let failure = FormFailure::of(action.value());
    let limit_error = failure.field("apiCallLimit");
    let add_error = failure.field("topUpCalls");
    let reset = move || {
        if let Some(r) = target.subject.get_untracked() {
            input.fill(&r);
        }
    };
    let request = move |r: AccessRequestView| input.approval(r);
    let done = |approved: ApprovedRequest| {
        let Some(license) = approved.license else {
            // A request for an organisation: its subscription was created.
            return match approved.subscription {
                Some(pool) => format!(
                    "Approved: {} may now run {} from its shared pool.",
                    pool.organization_name, pool.agent_name
                ),
                None => "Approved.".to_owned(),
            };
        };
        match approved.request.kind {
            AccessRequestKind::Access => format!(
                "Approved: {} may now run {} ({}).",
                license.user_email,
                license.agent_name,
                calls_text(&license)
            ),
            AccessRequestKind::Increase => format!(
                "Approved: {} now has {} for {}{}.",
                license.user_email,
                calls_text(&license),
                license.agent_name,
                if license.top_ups > 0 {
                    format!(", {} added to this window", license.top_ups)
                } else {
                    String::new()
                }
            ),
        }
    };
    let asks = target.says(
        |r| match (&r.organization_name, r.kind, r.requested_calls) {
            (Some(organization), _, _) => format!(
                "{} asks for a pool of {} for {organization}: “{}”",
                r.user_email, r.agent_name, r.request_reason
            ),
            (None, AccessRequestKind::Increase, Some(n)) => format!(
                "{} asks for {n} more calls of {}: “{}”",
                r.user_email, r.agent_name, r.request_reason
            ),
            (None, AccessRequestKind::Increase, None) => format!(
                "{} asks for more calls of {}: “{}”",
                r.user_email, r.agent_name, r.request_reason
            ),
            (None, AccessRequestKind::Access, _) => format!(
                "{} asks for {}: “{}”",
                r.user_email, r.agent_name, r.request_reason
            ),
        },
    );
    let increase = move || {
        target.subject.with(|r| {
            r.as_ref()
                .is_some_and(|r| r.kind == AccessRequestKind::Increase)
        })
    };
    // A request for an organisation: a pool, with a member cap and no burst rate.
    let for_team = move || {
        target
            .subject
            .with(|r| r.as_ref().is_some_and(|r| r.organization_id.is_some()))
    };
    let ApprovalInput {
        limit,
        expiry,
        plan,
        cap,
        raise,
        raise_to,
        add,
        add_calls,
    } = input;
    view! {
        <FormDialog target action outcome reset request done
            title="Approve the request" id="approve-dialog" submit_id="approve-submit" submit_text="Approve and grant">
            <p>{asks}</p>
            <Show when=increase fallback=move || view! {
                <LimitField id="approve-limit" input=limit error=limit_error/>
                <DateField id="approve-expiry" label="Expires on (optional)" value=expiry/>
                {move || match for_team() {
                    true => view! {
                        <PlanFields id="approve-plan" input=plan failure without_burst=true/>
                        <CapField id="approve-cap" value=cap failure/>
                        <p class="hint">"The organisation gets a pool of calls its members share."</p>
                    }.into_any(),
                    false => view! { <PlanFields id="approve-plan" input=plan failure/> }.into_any(),
                }}
            }>
                <p class="hint">"The license they hold changes in place."</p>
                <div class="field field-check">
                    <input id="approve-raise" data-testid="approve-raise" type="checkbox" bind:checked=raise/>
                    <label for="approve-raise">"Raise the limit"</label>
                </div>
                <div hidden=move || !raise.get()>
                    <LimitField id="approve-raise-limit" input=raise_to error=limit_error label="New call limit"/>
                </div>
                <div class="field field-check">
                    <input id="approve-top-up" data-testid="approve-top-up" type="checkbox" bind:checked=add/>
                    <label for="approve-top-up">"Add calls to this window"</label>
                </div>
                <div class="field" hidden=move || !add.get()>
                    <label for="approve-top-up-calls">"Calls to add"</label>
                    <input id="approve-top-up-calls" data-testid="approve-top-up-calls" type="number" min="1" step="1"
                        inputmode="numeric" {..described_by(add_error, "approve-top-up-calls-error")} bind:value=add_calls/>
                    <FieldError id="approve-top-up-calls-error" message=add_error/>
                </div>
            </Show>
        </FormDialog>
    }
}
