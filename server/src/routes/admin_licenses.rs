//! `/api/admin/licenses*`: the super admin grants, lists, changes and revokes licenses.

use abetworks::entities::enums::LicenseStatus;
use abetworks::input::{id_filter, search_text};
use abetworks::licenses::{
    self, EffectiveStatus, GrantLicense, LicenseChange, LicenseFilter, LicenseSort, LicenseView,
    NewTopUp,
};
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::enums::QuotaWindow;
use abetworks::types::inputs::QuotaPlan;
use abetworks::types::views::{LicenseEventView, TopUpView};
use abetworks::types::Vocabulary;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::{PageQuery, Paging};
use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LicenseQuery {
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    q: Option<String>,
    /// `granted`, `user`, `agent`, `used`, `status` or `expires`; `-` first for descending.
    sort: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiQuery(query): ApiQuery<LicenseQuery>,
) -> Result<Json<Page<LicenseView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = LicenseFilter {
        user_id: id_filter("userId", query.user_id.as_deref())?,
        agent_id: id_filter("agentId", query.agent_id.as_deref())?,
        status: EffectiveStatus::parse_optional("status", query.status.as_deref())?,
        query: search_text("q", query.q.as_deref())?,
        sort: query
            .sort
            .as_deref()
            .map(LicenseSort::parse)
            .transpose()?
            .unwrap_or_default(),
    };
    Ok(Json(licenses::list(&state.db, &filter, page).await?))
}

/// The quota-plan fields of a body, each optional. Listed in every body rather than
/// flattened, because serde's `flatten` cannot be combined with `deny_unknown_fields`.
#[derive(Clone, Debug, Default)]
pub(super) struct PlanFields {
    pub window: Option<QuotaWindow>,
    pub window_time_zone: Option<String>,
    pub reset_day: Option<i32>,
    /// `Some(None)`: "follow the server's default".
    pub burst_per_second: Option<Option<i32>>,
}

impl PlanFields {
    pub(super) fn is_empty(&self) -> bool {
        self.window.is_none()
            && self.window_time_zone.is_none()
            && self.reset_day.is_none()
            && self.burst_per_second.is_none()
    }

    /// `base` with the fields that were sent.
    pub(super) fn over(self, base: QuotaPlan) -> QuotaPlan {
        QuotaPlan {
            window: self.window.unwrap_or(base.window),
            window_time_zone: self.window_time_zone.unwrap_or(base.window_time_zone),
            reset_day: self.reset_day.unwrap_or(base.reset_day),
            burst_per_second: self.burst_per_second.unwrap_or(base.burst_per_second),
        }
    }

    /// The plan the fields describe over the defaults, or `None` when none was sent (for
    /// an approval: "leave the plan as it is" on an increase).
    pub(super) fn plan_if_any(self) -> Option<QuotaPlan> {
        (!self.is_empty()).then(|| self.over(QuotaPlan::default()))
    }
}

/// The plan a license follows now, as its view shows it.
fn plan_of(license: &LicenseView) -> QuotaPlan {
    QuotaPlan {
        window: license.window,
        window_time_zone: license.window_time_zone.clone(),
        reset_day: license.reset_day,
        burst_per_second: license.burst_per_second,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GrantBody {
    user_id: String,
    agent_id: String,
    /// Per window; `-1` = unlimited.
    api_call_limit: i64,
    expires_at: Option<DateTime<Utc>>,
    /// `lifetime` when absent.
    window: Option<QuotaWindow>,
    /// An IANA zone such as `Europe/Berlin`; `UTC` when absent.
    window_time_zone: Option<String>,
    /// 1–28, the day a month window starts on; 1 when absent.
    reset_day: Option<i32>,
    /// Calls per second; absent or null follows the server's default.
    burst_per_second: Option<i32>,
}

pub async fn grant(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiJson(body): ApiJson<GrantBody>,
) -> Result<(StatusCode, Json<LicenseView>), ApiError> {
    let plan = PlanFields {
        window: body.window,
        window_time_zone: body.window_time_zone,
        reset_day: body.reset_day,
        burst_per_second: body.burst_per_second.map(Some),
    }
    .over(QuotaPlan::default());
    let grant = GrantLicense {
        user_id: body.user_id,
        agent_id: body.agent_id,
        api_call_limit: body.api_call_limit,
        expires_at: body.expires_at,
        plan,
    };
    let license = licenses::grant(&state.db, &actor, grant).await?;
    Ok((StatusCode::CREATED, Json(license)))
}

/// `Some(None)` when the field is present and null ("no expiry"), `None` when absent.
pub(super) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LicensePatch {
    api_call_limit: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<DateTime<Utc>>>,
    status: Option<LicenseStatus>,
    window: Option<QuotaWindow>,
    window_time_zone: Option<String>,
    reset_day: Option<i32>,
    /// null: follow the server's default.
    #[serde(default, deserialize_with = "present")]
    burst_per_second: Option<Option<i32>>,
    /// `true` renews the license: the current window starts again at zero, top-ups dropped.
    reset_usage: Option<bool>,
}

pub async fn update(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<LicensePatch>,
) -> Result<Json<LicenseView>, ApiError> {
    let fields = PlanFields {
        window: patch.window,
        window_time_zone: patch.window_time_zone,
        reset_day: patch.reset_day,
        burst_per_second: patch.burst_per_second,
    };
    // The core takes a whole plan: the fields not sent keep the license's current values.
    let plan = if fields.is_empty() {
        None
    } else {
        let current = licenses::get_at(&state.db, &id, state.clock.now()).await?;
        Some(fields.over(plan_of(&current)))
    };
    let change = LicenseChange {
        api_call_limit: patch.api_call_limit,
        expires_at: patch.expires_at,
        status: patch.status,
        plan,
        reset_usage: patch.reset_usage.unwrap_or(false),
    };
    Ok(Json(
        licenses::update(&state.db, &actor, &id, change, state.clock.now()).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopUpBody {
    /// Calls added to the license's current window.
    calls: i64,
    /// Why, for the license's history (1–500 characters).
    note: String,
    /// When the added calls lapse; absent: with the window.
    expires_at: Option<DateTime<Utc>>,
}

pub async fn top_up(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TopUpBody>,
) -> Result<(StatusCode, Json<TopUpView>), ApiError> {
    let top_up = NewTopUp {
        calls: body.calls,
        note: body.note,
        expires_at: body.expires_at,
    };
    let created = licenses::top_up(&state.db, &actor, &id, top_up, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn top_ups(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<TopUpView>>, ApiError> {
    Ok(Json(licenses::top_ups(&state.db, &actor, &id).await?))
}

pub async fn history(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<LicenseEventView>>, ApiError> {
    Ok(Json(licenses::history(&state.db, &actor, &id).await?))
}

pub async fn revoke(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<LicenseView>, ApiError> {
    Ok(Json(licenses::revoke(&state.db, &actor, &id).await?))
}

pub async fn by_user(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiPath(user_id): ApiPath<String>,
    Paging(page): Paging,
) -> Result<Json<Page<LicenseView>>, ApiError> {
    Ok(Json(
        licenses::list_by_user(&state.db, &user_id, page).await?,
    ))
}

pub async fn by_agent(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiPath(agent_id): ApiPath<String>,
    Paging(page): Paging,
) -> Result<Json<Page<LicenseView>>, ApiError> {
    Ok(Json(
        licenses::list_by_agent(&state.db, &agent_id, page).await?,
    ))
}

/// The license administration routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::LicenseView;
    api.add(
        Route::get(
            "/api/admin/licenses",
            Access::SuperAdmin,
            "Every license, filtered and paginated",
        )
        .query::<LicenseQuery>()
        .answers_page::<LicenseView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/admin/licenses",
            Access::SuperAdmin,
            "Grant a license (apiCallLimit -1 = unlimited)",
        )
        .body::<GrantBody>()
        .answers::<LicenseView>(201)
        .fails(&[404, 409]),
        grant,
    )
    .add(
        Route::patch(
            "/api/admin/licenses/{id}",
            Access::SuperAdmin,
            "Change a license's limit, expiry, status or quota window; resetUsage renews it",
        )
        .body::<LicensePatch>()
        .answers::<LicenseView>(200)
        .fails(&[409]),
        update,
    )
    .add(
        Route::post(
            "/api/admin/licenses/{id}/top-ups",
            Access::SuperAdmin,
            "Add calls to a license's current window",
        )
        .body::<TopUpBody>()
        .answers::<TopUpView>(201)
        .fails(&[404, 409]),
        top_up,
    )
    .add(
        Route::get(
            "/api/admin/licenses/{id}/top-ups",
            Access::SuperAdmin,
            "A license's top-ups, newest first",
        )
        .answers::<Vec<TopUpView>>(200),
        top_ups,
    )
    .add(
        Route::get(
            "/api/admin/licenses/{id}/history",
            Access::SuperAdmin,
            "A license's history: grants, changes, top-ups, renewals, with actor and time",
        )
        .answers::<Vec<LicenseEventView>>(200),
        history,
    )
    .add(
        Route::delete(
            "/api/admin/licenses/{id}",
            Access::SuperAdmin,
            "Revoke a license",
        )
        .answers::<LicenseView>(200)
        .fails(&[409]),
        revoke,
    )
    .add(
        Route::get(
            "/api/admin/licenses/user/{userId}",
            Access::SuperAdmin,
            "A user's licenses",
        )
        .query::<PageQuery>()
        .answers_page::<LicenseView>(200),
        by_user,
    )
    .add(
        Route::get(
            "/api/admin/licenses/agent/{agentId}",
            Access::SuperAdmin,
            "An agent's licenses",
        )
        .query::<PageQuery>()
        .answers_page::<LicenseView>(200),
        by_agent,
    )
}
