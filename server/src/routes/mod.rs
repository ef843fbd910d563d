//! The REST API. Every route is added through [`ApiRoutes`], which also records it, so the
//! role test can walk every route the router serves.

pub mod admin_agents;
pub mod admin_errors;
pub mod admin_executions;
pub mod admin_licenses;
pub mod admin_requests;
pub mod admin_usage;
pub mod admin_users;
pub mod agents;
pub mod auth;
pub mod health;
pub mod keys;
pub mod marketplace;

use abetworks::pagination::Page;
use axum::http::Method;
use axum::routing::{delete, get, patch, post, MethodRouter};
use axum::Router;

use crate::startup::ServerState;

/// A list that is never paginated, in the shape of a page.
pub fn whole_list<T>(items: Vec<T>) -> Page<T> {
    let total = items.len() as u64;
    Page {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }
}

/// Who may call a route. Enforced by the handler's extractor; declared here for the
/// OpenAPI document and checked against the role test's own table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Anyone,
    SignedIn,
    Admin,
    SuperAdmin,
}

/// One served route, as documented.
#[derive(Clone, Debug)]
pub struct RouteDoc {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
}

/// The API router under construction and the routes it serves.
pub struct ApiRoutes {
    router: Router<ServerState>,
    served: Vec<RouteDoc>,
}

impl ApiRoutes {
    fn new() -> Self {
        Self {
            router: Router::new(),
            served: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        summary: &'static str,
        handler: MethodRouter<ServerState>,
    ) -> Self {
        self.served.push(RouteDoc {
            method,
            path,
            access,
            summary,
        });
        self.router = self.router.route(path, handler);
        self
    }

    pub fn served(&self) -> &[RouteDoc] {
        &self.served
    }

    pub fn into_router(self) -> Router<ServerState> {
        self.router
    }
}

/// Every REST route, one (method, path) at a time; axum merges methods of one path.
pub fn api() -> ApiRoutes {
    use Access::*;
    use Method as M;
    ApiRoutes::new()
        .add(
            M::POST,
            "/api/auth/register",
            Anyone,
            "Register a member account and sign in",
            post(auth::register),
        )
        .add(
            M::POST,
            "/api/auth/login",
            Anyone,
            "Sign in with email and password (throttled after failures)",
            post(auth::login),
        )
        .add(
            M::POST,
            "/api/auth/logout",
            Anyone,
            "Sign out and destroy the session",
            post(auth::logout),
        )
        .add(
            M::GET,
            "/api/auth/me",
            SignedIn,
            "The signed-in user",
            get(auth::me),
        )
        .add(
            M::GET,
            "/api/keys",
            SignedIn,
            "The caller's API keys",
            get(keys::list),
        )
        .add(
            M::POST,
            "/api/keys",
            SignedIn,
            "Create an API key; its text is returned once",
            post(keys::create),
        )
        .add(
            M::DELETE,
            "/api/keys/{id}",
            SignedIn,
            "Revoke one of the caller's API keys",
            delete(keys::revoke),
        )
        .add(
            M::GET,
            "/api/marketplace/agents",
            SignedIn,
            "Published agents with the caller's access (q, category, minPrice, maxPrice)",
            get(marketplace::agents),
        )
        .add(
            M::GET,
            "/api/marketplace/my-agents",
            SignedIn,
            "The caller's licenses with limit, used, remaining and status",
            get(marketplace::my_agents),
        )
        .add(
            M::POST,
            "/api/marketplace/request-access",
            SignedIn,
            "Ask for access to an agent",
            post(marketplace::request_access),
        )
        .add(
            M::GET,
            "/api/marketplace/my-requests",
            SignedIn,
            "The caller's access requests",
            get(marketplace::my_requests),
        )
        .add(
            M::POST,
            "/api/agents/{agentId}/execute",
            SignedIn,
            "Run an agent through the metered gateway",
            post(agents::execute),
        )
        .add(
            M::GET,
            "/api/agents/{agentId}/executions",
            SignedIn,
            "The caller's own executions of an agent",
            get(agents::my_executions),
        )
        .add(
            M::GET,
            "/api/usage/my-usage",
            SignedIn,
            "The caller's usage by agent",
            get(marketplace::my_agents),
        )
        .add(
            M::GET,
            "/api/admin/licenses",
            SuperAdmin,
            "Every license, filtered and paginated",
            get(admin_licenses::list),
        )
        .add(
            M::POST,
            "/api/admin/licenses",
            SuperAdmin,
            "Grant a license (apiCallLimit -1 = unlimited)",
            post(admin_licenses::grant),
        )
        .add(
            M::PATCH,
            "/api/admin/licenses/{id}",
            SuperAdmin,
            "Change a license's limit, expiry or status",
            patch(admin_licenses::update),
        )
        .add(
            M::DELETE,
            "/api/admin/licenses/{id}",
            SuperAdmin,
            "Revoke a license",
            delete(admin_licenses::revoke),
        )
        .add(
            M::GET,
            "/api/admin/licenses/user/{userId}",
            SuperAdmin,
            "A user's licenses",
            get(admin_licenses::by_user),
        )
        .add(
            M::GET,
            "/api/admin/licenses/agent/{agentId}",
            SuperAdmin,
            "An agent's licenses",
            get(admin_licenses::by_agent),
        )
        .add(
            M::GET,
            "/api/admin/access-requests",
            SuperAdmin,
            "Access requests, pending first",
            get(admin_requests::list),
        )
        .add(
            M::POST,
            "/api/admin/access-requests/{id}/approve",
            SuperAdmin,
            "Approve a request, creating its license",
            post(admin_requests::approve),
        )
        .add(
            M::POST,
            "/api/admin/access-requests/{id}/reject",
            SuperAdmin,
            "Reject a request with a review note",
            post(admin_requests::reject),
        )
        .add(
            M::GET,
            "/api/admin/usage/overview",
            SuperAdmin,
            "Usage analytics for a range (from, to)",
            get(admin_usage::overview),
        )
        .add(
            M::GET,
            "/api/admin/usage/export.csv",
            SuperAdmin,
            "The range's tracked calls as CSV",
            get(admin_usage::export_csv),
        )
        .add(
            M::GET,
            "/api/admin/errors",
            SuperAdmin,
            "Error logs (severity, type, from, to, resolved)",
            get(admin_errors::list),
        )
        .add(
            M::PATCH,
            "/api/admin/errors/{id}/resolve",
            SuperAdmin,
            "Mark an error resolved with a note",
            patch(admin_errors::resolve),
        )
        .add(
            M::GET,
            "/api/admin/errors/stats",
            SuperAdmin,
            "Error statistics by type, severity and day",
            get(admin_errors::stats),
        )
        .add(
            M::GET,
            "/api/admin/executions/all",
            SuperAdmin,
            "Every execution, filtered",
            get(admin_executions::list_all),
        )
        .add(
            M::GET,
            "/api/admin/users",
            Admin,
            "Users (an organisation admin sees their organisation only)",
            get(admin_users::list),
        )
        .add(
            M::PATCH,
            "/api/admin/users/{id}",
            SuperAdmin,
            "Change a user's role or disable them",
            patch(admin_users::update),
        )
        .add(
            M::GET,
            "/api/admin/agents",
            SuperAdmin,
            "The whole catalog, drafts included",
            get(admin_agents::list),
        )
        .add(
            M::POST,
            "/api/admin/agents",
            SuperAdmin,
            "Register an agent by hand (a draft)",
            post(admin_agents::create),
        )
        .add(
            M::PATCH,
            "/api/admin/agents/{id}",
            SuperAdmin,
            "Edit an agent's listing or publish it",
            patch(admin_agents::update),
        )
        .add(
            M::POST,
            "/api/admin/agents/sync",
            SuperAdmin,
            "Sync the catalog from the agent service",
            post(admin_agents::sync),
        )
}
