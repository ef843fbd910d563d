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

use axum::http::Method;
use axum::routing::{delete, get, patch, post, MethodRouter};
use axum::Router;

use crate::startup::ServerState;

/// The API router under construction and the (method, path) pairs it serves.
pub struct ApiRoutes {
    router: Router<ServerState>,
    served: Vec<(Method, &'static str)>,
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
        handler: MethodRouter<ServerState>,
    ) -> Self {
        self.served.push((method, path));
        self.router = self.router.route(path, handler);
        self
    }

    pub fn served(&self) -> &[(Method, &'static str)] {
        &self.served
    }

    pub fn into_router(self) -> Router<ServerState> {
        self.router
    }
}

/// Every REST route, one (method, path) at a time; axum merges methods of one path.
pub fn api() -> ApiRoutes {
    use Method as M;
    ApiRoutes::new()
        .add(M::POST, "/api/auth/register", post(auth::register))
        .add(M::POST, "/api/auth/login", post(auth::login))
        .add(M::POST, "/api/auth/logout", post(auth::logout))
        .add(M::GET, "/api/auth/me", get(auth::me))
        .add(M::GET, "/api/keys", get(keys::list))
        .add(M::POST, "/api/keys", post(keys::create))
        .add(M::DELETE, "/api/keys/{id}", delete(keys::revoke))
        .add(M::GET, "/api/marketplace/agents", get(marketplace::agents))
        .add(
            M::GET,
            "/api/marketplace/my-agents",
            get(marketplace::my_agents),
        )
        .add(
            M::POST,
            "/api/marketplace/request-access",
            post(marketplace::request_access),
        )
        .add(
            M::GET,
            "/api/marketplace/my-requests",
            get(marketplace::my_requests),
        )
        .add(
            M::POST,
            "/api/agents/{agentId}/execute",
            post(agents::execute),
        )
        .add(
            M::GET,
            "/api/agents/{agentId}/executions",
            get(agents::my_executions),
        )
        .add(M::GET, "/api/usage/my-usage", get(marketplace::my_agents))
        .add(M::GET, "/api/admin/licenses", get(admin_licenses::list))
        .add(M::POST, "/api/admin/licenses", post(admin_licenses::grant))
        .add(
            M::PATCH,
            "/api/admin/licenses/{id}",
            patch(admin_licenses::update),
        )
        .add(
            M::DELETE,
            "/api/admin/licenses/{id}",
            delete(admin_licenses::revoke),
        )
        .add(
            M::GET,
            "/api/admin/licenses/user/{userId}",
            get(admin_licenses::by_user),
        )
        .add(
            M::GET,
            "/api/admin/licenses/agent/{agentId}",
            get(admin_licenses::by_agent),
        )
        .add(
            M::GET,
            "/api/admin/access-requests",
            get(admin_requests::list),
        )
        .add(
            M::POST,
            "/api/admin/access-requests/{id}/approve",
            post(admin_requests::approve),
        )
        .add(
            M::POST,
            "/api/admin/access-requests/{id}/reject",
            post(admin_requests::reject),
        )
        .add(
            M::GET,
            "/api/admin/usage/overview",
            get(admin_usage::overview),
        )
        .add(
            M::GET,
            "/api/admin/usage/export.csv",
            get(admin_usage::export_csv),
        )
        .add(M::GET, "/api/admin/errors", get(admin_errors::list))
        .add(
            M::PATCH,
            "/api/admin/errors/{id}/resolve",
            patch(admin_errors::resolve),
        )
        .add(M::GET, "/api/admin/errors/stats", get(admin_errors::stats))
        .add(
            M::GET,
            "/api/admin/executions/all",
            get(admin_executions::list_all),
        )
        .add(M::GET, "/api/admin/users", get(admin_users::list))
        .add(
            M::PATCH,
            "/api/admin/users/{id}",
            patch(admin_users::update),
        )
        .add(M::GET, "/api/admin/agents", get(admin_agents::list))
        .add(M::POST, "/api/admin/agents", post(admin_agents::create))
        .add(
            M::PATCH,
            "/api/admin/agents/{id}",
            patch(admin_agents::update),
        )
        .add(M::POST, "/api/admin/agents/sync", post(admin_agents::sync))
}
