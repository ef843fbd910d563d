//! The REST API. Each route module adds its own routes (its `routes` fn) through
//! [`ApiRoutes`], which also records each one with its documentation, so the role test and
//! the OpenAPI document walk exactly what the router serves.

pub mod account;
pub mod admin_agents;
pub mod admin_errors;
pub mod admin_executions;
pub mod admin_licenses;
pub mod admin_organizations;
pub mod admin_requests;
pub mod admin_subscriptions;
pub mod admin_usage;
pub mod admin_users;
pub mod admin_webhooks;
pub mod agents;
pub mod auth;
pub mod health;
pub mod invitations;
pub mod keys;
pub mod marketplace;
pub mod notifications;
pub mod organizations;
pub mod runs;
pub mod unsubscribe;

use abetworks::error::CoreResult;
use abetworks::input::{parse_time, DayBound, TimeRange};
use abetworks::pagination::{Page, PageRequest};
use axum::extract::FromRequestParts;
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::Method;
use axum::routing::{on, MethodFilter};
use axum::Router;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::input::ApiQuery;
use crate::state::ServerState;

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

/// `?page=&pageSize=` alone: the query of a list without filters.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PageQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

/// The page a list without filters asks for (its query is a [`PageQuery`]), checked.
pub struct Paging(pub PageRequest);

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiQuery(query) = ApiQuery::<PageQuery>::from_request_parts(parts, state).await?;
        Ok(Self(PageRequest::new(query.page, query.page_size)?))
    }
}

/// The range a report's query asks for: `from` and `to` as dates or times (`to` through the end
/// of its day), each defaulting to that end of the last 30 days.
pub fn range_or_last_30_days(from: Option<&str>, to: Option<&str>) -> CoreResult<TimeRange> {
    let from = parse_time("from", from, DayBound::Start)?;
    let to = parse_time("to", to, DayBound::End)?;
    let default = TimeRange::last_days(30);
    TimeRange::new(from.unwrap_or(default.from), to.unwrap_or(default.to))
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

/// Named schemas, as utoipa collects them for `components.schemas`.
pub type SchemaList = Vec<(String, RefOr<Schema>)>;

/// A type's JSON Schema (inline) and the named schemas it refers to.
#[derive(Clone, Copy, Debug)]
pub struct Schematic {
    pub schema: fn() -> RefOr<Schema>,
    pub references: fn(&mut SchemaList),
}

impl Schematic {
    pub fn of<T: ToSchema>() -> Self {
        Self {
            schema: <T as utoipa::PartialSchema>::schema,
            references: <T as ToSchema>::schemas,
        }
    }

    /// A page of `T`. The page is inline and refers to `T` by name, which utoipa does not
    /// collect for a generic's argument: `T` is collected here.
    pub fn page<T: ToSchema>() -> Self {
        Self {
            schema: <Page<T> as utoipa::PartialSchema>::schema,
            references: named_with_references::<T>,
        }
    }
}

fn named_with_references<T: ToSchema>(list: &mut SchemaList) {
    list.push((T::name().into_owned(), T::schema()));
    T::schemas(list);
}

/// What a route answers on success.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    Json(Schematic),
    Csv,
    /// Server-sent events (`text/event-stream`).
    EventStream,
    Nothing,
}

fn query_parameters<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}

/// One served route, as documented: built with [`Route::get`] and friends, then given its
/// body, query, answer and the errors particular to it.
#[derive(Clone, Debug)]
pub struct Route {
    pub method: Method,
    filter: MethodFilter,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub body: Option<Schematic>,
    pub query: Option<fn() -> Vec<Parameter>>,
    pub success_status: u16,
    pub answer: Answer,
    /// Error statuses beyond those every route of its kind gives (see [`Route::error_statuses`]).
    failures: &'static [u16],
}

impl Route {
    fn new(
        method: Method,
        filter: MethodFilter,
        path: &'static str,
        access: Access,
        summary: &'static str,
    ) -> Self {
        Self {
            method,
            filter,
            path,
            access,
            summary,
            body: None,
            query: None,
            success_status: 200,
            answer: Answer::Nothing,
            failures: &[],
        }
    }

    pub fn get(path: &'static str, access: Access, summary: &'static str) -> Self {
        Self::new(Method::GET, MethodFilter::GET, path, access, summary)
    }

    pub fn post(path: &'static str, access: Access, summary: &'static str) -> Self {
        Self::new(Method::POST, MethodFilter::POST, path, access, summary)
    }

    pub fn patch(path: &'static str, access: Access, summary: &'static str) -> Self {
        Self::new(Method::PATCH, MethodFilter::PATCH, path, access, summary)
    }

    pub fn delete(path: &'static str, access: Access, summary: &'static str) -> Self {
        Self::new(Method::DELETE, MethodFilter::DELETE, path, access, summary)
    }

    /// The JSON body the route reads.
    pub fn body<T: ToSchema>(mut self) -> Self {
        self.body = Some(Schematic::of::<T>());
        self
    }

    /// A JSON body whose schema is given by hand (for a type without a schema derive).
    pub fn body_schematic(mut self, body: Schematic) -> Self {
        self.body = Some(body);
        self
    }

    /// The query parameters the route reads.
    pub fn query<T: IntoParams>(mut self) -> Self {
        self.query = Some(query_parameters::<T>);
        self
    }

    /// A JSON answer of `T` with `status`.
    pub fn answers<T: ToSchema>(mut self, status: u16) -> Self {
        self.success_status = status;
        self.answer = Answer::Json(Schematic::of::<T>());
        self
    }

    /// A JSON page of `T` with `status`.
    pub fn answers_page<T: ToSchema>(mut self, status: u16) -> Self {
        self.success_status = status;
        self.answer = Answer::Json(Schematic::page::<T>());
        self
    }

    /// 204 without a body.
    pub fn answers_nothing(mut self) -> Self {
        self.success_status = 204;
        self.answer = Answer::Nothing;
        self
    }

    /// 200 with a CSV body.
    pub fn answers_csv(mut self) -> Self {
        self.success_status = 200;
        self.answer = Answer::Csv;
        self
    }

    /// 200 with a stream of server-sent events.
    pub fn answers_event_stream(mut self) -> Self {
        self.success_status = 200;
        self.answer = Answer::EventStream;
        self
    }

    /// Error statuses particular to this route (a conflict, a throttle, the agent service).
    pub fn fails(mut self, statuses: &'static [u16]) -> Self {
        self.failures = statuses;
        self
    }

    /// The names of the path's `{…}` segments.
    pub fn path_parameters(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
    }

    /// Every error status the route can answer, ascending: unreadable or invalid input
    /// (400, 422), too large a body (413) and our own faults (500) anywhere; 401 without
    /// credentials and 403 for a role, a disabled account or a cross-site cookie write;
    /// 404 for an unknown path id; then the route's own.
    pub fn error_statuses(&self) -> Vec<u16> {
        let mut statuses = vec![400, 413, 422, 500];
        if self.access != Access::Anyone {
            statuses.push(401);
        }
        if self.access != Access::Anyone || self.method != Method::GET {
            statuses.push(403);
        }
        if self.path_parameters().next().is_some() {
            statuses.push(404);
        }
        statuses.extend_from_slice(self.failures);
        statuses.sort_unstable();
        statuses.dedup();
        statuses
    }
}

/// The API router under construction and the routes it serves.
pub struct ApiRoutes {
    router: Router<ServerState>,
    served: Vec<Route>,
}

impl ApiRoutes {
    fn new() -> Self {
        Self {
            router: Router::new(),
            served: Vec::new(),
        }
    }

    /// Serves `handler` at the route's method and path (axum merges methods of one path).
    pub fn add<H, T>(mut self, route: Route, handler: H) -> Self
    where
        H: Handler<T, ServerState>,
        T: 'static,
    {
        self.router = self.router.route(route.path, on(route.filter, handler));
        self.served.push(route);
        self
    }

    pub fn served(&self) -> &[Route] {
        &self.served
    }

    pub fn into_router(self) -> Router<ServerState> {
        self.router
    }
}

/// Every REST route, module by module.
pub fn api() -> ApiRoutes {
    let api = ApiRoutes::new();
    let api = auth::routes(api);
    let api = keys::routes(api);
    let api = marketplace::routes(api);
    let api = agents::routes(api);
    let api = runs::routes(api);
    let api = notifications::routes(api);
    let api = account::routes(api);
    let api = organizations::routes(api);
    let api = invitations::routes(api);
    let api = unsubscribe::routes(api);
    let api = admin_licenses::routes(api);
    let api = admin_organizations::routes(api);
    let api = admin_subscriptions::routes(api);
    let api = admin_requests::routes(api);
    let api = admin_usage::routes(api);
    let api = admin_errors::routes(api);
    let api = admin_executions::routes(api);
    let api = admin_users::routes(api);
    let api = admin_webhooks::routes(api);
    admin_agents::routes(api)
}
