//! `/api/admin/agents*`: the catalog for its owner, and the sync from the agent service.

use abetworks::agent_client::AgentDescriptor;
use abetworks::catalog::{self, AgentChange, SyncReport};
use abetworks::pagination::{Page, PageRequest};
use abetworks::views::AgentView;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentQuery {
    q: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiQuery(query): ApiQuery<AgentQuery>,
) -> Result<Json<Page<AgentView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let agents = catalog::list_all(&state.db, query.q.as_deref(), page).await?;
    Ok(Json(agents.map(AgentView::from)))
}

pub async fn create(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiJson(descriptor): ApiJson<AgentDescriptor>,
) -> Result<(StatusCode, Json<AgentView>), ApiError> {
    let agent = catalog::create_agent(&state.db, &actor, descriptor).await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentPatch {
    name: Option<String>,
    short_description: Option<String>,
    long_description: Option<String>,
    category: Option<String>,
    price_cents: Option<i64>,
    currency: Option<String>,
    published: Option<bool>,
}

pub async fn update(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<AgentPatch>,
) -> Result<Json<AgentView>, ApiError> {
    let change = AgentChange {
        name: patch.name,
        short_description: patch.short_description,
        long_description: patch.long_description,
        category: patch.category,
        price_cents: patch.price_cents,
        currency: patch.currency,
        published: patch.published,
    };
    let agent = catalog::update_agent(&state.db, &actor, &id, change).await?;
    Ok(Json(agent.into()))
}

/// New agents from a manual sync are drafts: the catalog owner publishes them. An agent
/// service that fails reads as its code (AGENT_UNAVAILABLE when it cannot be reached).
pub async fn sync(SuperAdmin { state, .. }: SuperAdmin) -> Result<Json<SyncReport>, ApiError> {
    let report = catalog::sync_from_service(&state.db, &state.agents, false).await?;
    Ok(Json(report))
}

/// The core's [`AgentDescriptor`] has no schema derive (the core does not depend on
/// utoipa), so its shape is written out here: keep it in step with the struct.
fn agent_descriptor_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{
        ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type,
    };
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let any = || ObjectBuilder::new().schema_type(SchemaType::AnyValue);
    ObjectBuilder::new()
        .property("slug", text())
        .property("name", text())
        .property("shortDescription", text())
        .property("longDescription", text())
        .property("category", text())
        .property(
            "priceCents",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        )
        .property("currency", text())
        .property("icon", text())
        .property("features", ArrayBuilder::new().items(text()))
        .property("version", text())
        .property("inputSchema", any())
        .property("outputSchema", any())
        .required("slug")
        .required("name")
        .into()
}

/// The catalog routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route, Schematic};
    use abetworks::types::views::{AgentView, SyncReport};
    api.add(
        Route::get(
            "/api/admin/agents",
            Access::SuperAdmin,
            "The whole catalog, drafts included",
        )
        .query::<AgentQuery>()
        .answers_page::<AgentView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/admin/agents",
            Access::SuperAdmin,
            "Register an agent by hand (a draft)",
        )
        .body_schematic(Schematic {
            schema: agent_descriptor_schema,
            references: |_| {},
        })
        .answers::<AgentView>(201)
        .fails(&[409]),
        create,
    )
    .add(
        Route::patch(
            "/api/admin/agents/{id}",
            Access::SuperAdmin,
            "Edit an agent's listing or publish it",
        )
        .body::<AgentPatch>()
        .answers::<AgentView>(200)
        .fails(&[409]),
        update,
    )
    .add(
        Route::post(
            "/api/admin/agents/sync",
            Access::SuperAdmin,
            "Sync the catalog from the agent service",
        )
        .answers::<SyncReport>(200)
        .fails(&[502, 503, 504]),
        sync,
    )
}
