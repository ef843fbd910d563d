//! The licenses the team's members hold, for its admins: read-only (the super admin grants
//! and changes them), filterable by status.

use abetworks_types::enums::EffectiveStatus;
use abetworks_types::views::LicenseView;
use leptos::prelude::*;

use crate::api::expiry_date;
use crate::api::quota::plan_text;
use crate::api::teams::team_licenses;
use crate::pages::admin::common::{limit_text, StatusBadge};
use crate::pages::admin::list::{filter_text, ListState, ListText, PagedTable, VocabularyFilter};

#[component]
pub fn TeamLicenses() -> impl IntoView {
    let status = RwSignal::new(None::<EffectiveStatus>);
    let list = ListState::new();
    let licenses = list.rows(move |page| team_licenses(filter_text(status.get()), Some(page)));
    view! {
        <section class="panel" aria-labelledby="team-licenses-heading" data-testid="team-licenses">
            <h2 id="team-licenses-heading">"Licenses"</h2>
            <p class="muted">"The licenses your members hold of their own, read-only: the super admin grants and changes them. A member's own license is used before the team's pool."</p>
            <div class="filters admin-filters">
                <VocabularyFilter id="team-licenses-status" label="Status" any="Any status" selected=status page=list.page/>
            </div>
            <PagedTable rows=licenses state=list text={ListText {
                loading: "Loading licenses…",
                empty_title: "No licenses",
                empty_hint: "Licenses the super admin grants your members appear here.",
                empty_test_id: "team-licenses-empty",
                label: "Licenses",
            }} class="data-table stack-on-mobile" test_id="team-licenses-table" caption="The members' licenses, newest first"
                columns=&["Member", "Agent", "Used / limit", "Window", "Status", "Expires"]
                row=|license: LicenseView| view! { <LicenseRow license/> }/>
        </section>
    }
}

#[component]
fn LicenseRow(license: LicenseView) -> impl IntoView {
    view! {
        <tr data-testid="team-license-row" data-email=license.user_email.clone()
            data-agent=license.agent_name.clone() data-status=license.status.as_str()>
            <th scope="row" data-label="Member">
                {license.user_email.clone()}<br/><span class="muted small">{license.user_name.clone()}</span>
            </th>
            <td data-label="Agent">{license.agent_name.clone()}</td>
            <td data-label="Used / limit" data-testid="team-license-usage">
                {format!("{} / {}", license.api_calls_used, limit_text(&license))}
                {(license.top_ups > 0).then(|| view! {
                    " "<span class="muted small">{format!("(+{} added)", license.top_ups)}</span>
                })}
            </td>
            <td data-label="Window">{plan_text(&license)}</td>
            <td data-label="Status"><StatusBadge status=license.status/></td>
            <td data-label="Expires">{expiry_date(license.expires_at.as_ref())}</td>
        </tr>
    }
}
