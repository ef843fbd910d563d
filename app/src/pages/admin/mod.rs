//! `/admin` and `/admin/:tab`: the super admin's dashboard. Organisation admins see only the
//! read-only users list of their organisation, and a link to their team page; members are
//! told they are not allowed.

mod agents;
mod analytics;
pub(crate) mod common;
pub(crate) mod dialogs;
mod errors;
mod executions;
mod license_dialogs;
mod license_history;
mod licenses;
pub(crate) mod list;
mod organizations;
mod plan;
mod requests;
mod subscriptions;
mod users;
mod webhook_deliveries;
mod webhooks;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::auth::use_auth;
use crate::components::feedback::{ErrorPanel, Loading};
use crate::error::{AppError, ErrorCode};

const TABS: [(&str, &str); 9] = [
    ("licenses", "Licenses"),
    ("requests", "Access requests"),
    ("errors", "Error logs"),
    ("analytics", "Usage analytics"),
    ("executions", "Executions"),
    ("agents", "Agents"),
    ("users", "Users"),
    ("organizations", "Organizations"),
    ("webhooks", "Webhooks"),
];

#[component]
pub fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Title text="Admin — Abetworks"/>
        <Transition fallback=|| view! { <Loading label="Loading…"/> }>
            {move || Suspend::new(async move {
                match auth.user().await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(None) => view! { <ErrorPanel error=AppError::of(ErrorCode::Unauthenticated)/> }.into_any(),
                    Ok(Some(user)) if user.role.is_admin() => {
                        view! { <AdminTabs super_admin=user.role.is_super_admin()/> }.into_any()
                    }
                    Ok(Some(_)) => view! { <NotAllowed/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NotAllowed() -> impl IntoView {
    view! {
        <div class="notice notice-warn" data-testid="admin-not-allowed">
            <h1>"Not allowed"</h1>
            <p>"The admin dashboard is for administrators. Your account cannot see it."</p>
            <p><a class="button" href="/marketplace">"Back to the marketplace"</a></p>
        </div>
    }
}

#[component]
fn AdminTabs(super_admin: bool) -> impl IntoView {
    let params = use_params_map();
    // `/admin?tab=errors` too: the links of notifications name the tab in the query.
    let query = use_query_map();
    let default_tab = if super_admin { "licenses" } else { "users" };
    let tab = Memo::new(move |_| {
        params
            .read()
            .get("tab")
            .or_else(|| query.read().get("tab"))
            .unwrap_or_else(|| default_tab.to_owned())
    });
    let tabs: Vec<(&str, &str)> = TABS
        .iter()
        .copied()
        .filter(|(key, _)| super_admin || *key == "users")
        .collect();
    view! {
        <section class="page-intro">
            <h1>"Admin"</h1>
            <p class="muted">
                {if super_admin {
                    "Licenses, requests, errors, usage, executions, the catalog, users, organisations and webhooks."
                } else {
                    "The users of your organisation (read-only)."
                }}
            </p>
            // An organisation admin manages their team (members, invitations, usage, licenses)
            // on the team page, not here.
            {(!super_admin).then(|| view! {
                <p data-testid="admin-team-link-note">
                    "To invite members, change their roles and see your team's usage and licenses, go to "
                    <a href="/team" data-testid="admin-team-link">"your team page"</a>"."
                </p>
            })}
        </section>
        <nav class="admin-tabs" aria-label="Admin sections" data-testid="admin-tabs">
            {tabs.into_iter().map(|(key, label)| {
                let current = move || (tab.get() == key).then_some("page");
                view! {
                    <a href=format!("/admin/{key}") aria-current=current data-testid=format!("admin-tab-{key}")>
                        {label}
                    </a>
                }
            }).collect_view()}
        </nav>
        // The tab is drawn in the browser only. Its resources would otherwise be made inside the
        // asynchronous role check above, which the server may run more than once: their ids
        // then differ from the browser's and hydration reads another resource's value.
        <div class="admin-panel" data-testid="admin-panel">
            <common::ClientOnly fallback=|| view! { <Loading label="Loading…"/> }>
            {move || {
                let key = tab.get();
                if !super_admin && key != "users" {
                    return view! { <NotAllowed/> }.into_any();
                }
                match key.as_str() {
                    "licenses" => view! { <licenses::LicensesTab/> }.into_any(),
                    "requests" => view! { <requests::RequestsTab/> }.into_any(),
                    "errors" => view! { <errors::ErrorsTab/> }.into_any(),
                    "analytics" => view! { <analytics::AnalyticsTab/> }.into_any(),
                    "executions" => view! { <executions::ExecutionsTab/> }.into_any(),
                    "agents" => view! { <agents::AgentsTab/> }.into_any(),
                    "users" => view! { <users::UsersTab/> }.into_any(),
                    "organizations" => view! { <organizations::OrganizationsTab/> }.into_any(),
                    "webhooks" => view! { <webhooks::WebhooksTab/> }.into_any(),
                    _ => view! { <p class="error" role="alert">"There is no such admin section."</p> }.into_any(),
                }
            }}
            </common::ClientOnly>
        </div>
    }
}
