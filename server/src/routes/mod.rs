//! The REST API. Every route is added through [`ApiRoutes`], which also records it, so the
//! role test can walk every route the router serves.

pub mod admin_users;
pub mod auth;
pub mod health;
pub mod keys;

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

/// Every REST route. Paths with two methods are added once per method.
pub fn api() -> ApiRoutes {
    ApiRoutes::new()
        .add(Method::POST, "/api/auth/register", post(auth::register))
        .add(Method::POST, "/api/auth/login", post(auth::login))
        .add(Method::POST, "/api/auth/logout", post(auth::logout))
        .add(Method::GET, "/api/auth/me", get(auth::me))
        .add(Method::GET, "/api/keys", get(keys::list).post(keys::create))
        .add_second(Method::POST, "/api/keys")
        .add(Method::DELETE, "/api/keys/{id}", delete(keys::revoke))
        .add(Method::GET, "/api/admin/users", get(admin_users::list))
        .add(
            Method::PATCH,
            "/api/admin/users/{id}",
            patch(admin_users::update),
        )
}

impl ApiRoutes {
    /// Records a second method on a path already routed with both methods.
    fn add_second(mut self, method: Method, path: &'static str) -> Self {
        self.served.push((method, path));
        self
    }
}
