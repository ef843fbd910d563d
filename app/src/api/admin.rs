//! The admin dashboard's server functions. Thin: each checks the caller's role FIRST
//! ([`crate::server::require_super_admin`]; the organisation admin only reads their own
//! organisation's users), parses, calls the `abetworks` core and formats.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the license editor sends as `expires_on` to remove an expiry.
pub const NO_EXPIRY: &str = "never";

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> PageOf<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.page_size.max(1)).max(1)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseRow {
    pub id: String,
    pub user_id: String,
    pub user_email: String,
    pub user_name: String,
    pub agent_id: String,
    pub agent_name: String,
    pub api_call_limit: i64,
    pub api_calls_used: i64,
    pub remaining: Option<i64>,
    /// `active`, `suspended`, `revoked` or `expired`.
    pub status: String,
    pub near_limit: bool,
    pub granted_at: String,
    pub expires_at: Option<String>,
}

/// A user or agent in a picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickOption {
    pub id: String,
    pub label: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRow {
    pub id: String,
    pub user_email: String,
    pub user_name: String,
    pub agent_id: String,
    pub agent_name: String,
    pub reason: String,
    pub status: String,
    pub requested_at: String,
    pub review_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRow {
    pub id: String,
    pub error_type: String,
    pub code: String,
    pub message: String,
    pub stack_trace: Option<String>,
    pub severity: String,
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub request_id: Option<String>,
    pub context: Option<String>,
    pub resolved: bool,
    pub resolved_at: Option<String>,
    pub resolution_note: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorStatsData {
    pub total: u64,
    pub resolved: u64,
    pub unresolved: u64,
    pub resolution_rate: f64,
    pub by_severity: Vec<(String, i64)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCount {
    pub id: String,
    pub name: String,
    pub calls: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageData {
    pub from: String,
    pub to: String,
    pub total_calls: u64,
    pub successful_calls: u64,
    pub failed_calls: u64,
    pub by_agent: Vec<NamedCount>,
    pub by_user: Vec<NamedCount>,
    /// `hour` or `day`.
    pub granularity: String,
    pub trend: Vec<(String, u64)>,
    pub heavy_users: Vec<LicenseRow>,
    pub calls_today: u64,
    pub calls_this_week: u64,
    pub calls_this_month: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionRow {
    pub id: String,
    pub user_email: String,
    pub agent_name: String,
    pub status: String,
    pub duration_ms: Option<i64>,
    pub input: String,
    pub output: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub category: String,
    pub price_cents: i64,
    pub currency: String,
    pub published: bool,
    /// The service's availability (`available` / `unavailable`).
    pub status: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResult {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unavailable: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

/// The rows of the users list, and whether the caller may change them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsersData {
    pub page: PageOf<UserRow>,
    pub can_edit: bool,
    pub me: String,
}

#[cfg(feature = "ssr")]
mod conv {
    use super::*;
    use crate::server::rfc3339;
    use abetworks::pagination::{Page, PageRequest};
    use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

    pub const PAGE_SIZE: i64 = 20;

    pub fn page_request(page: Option<u64>) -> Result<PageRequest, AppError> {
        PageRequest::new(Some(page.unwrap_or(1).max(1) as i64), Some(PAGE_SIZE))
            .map_err(crate::server::core_error)
    }

    pub fn page_of<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> PageOf<U> {
        let page = page.map(f);
        PageOf {
            items: page.items,
            total: page.total,
            page: page.page,
            page_size: page.page_size,
        }
    }

    /// Blank means "none".
    pub fn blank(text: Option<String>) -> Option<String> {
        text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
    }

    /// A `YYYY-MM-DD` date (or RFC 3339 time) as the start or the end of that day, UTC.
    pub fn date(
        field: &str,
        text: Option<String>,
        end_of_day: bool,
    ) -> Result<Option<DateTime<Utc>>, AppError> {
        let Some(text) = blank(text) else {
            return Ok(None);
        };
        if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
            return Ok(Some(at.with_timezone(&Utc)));
        }
        let day = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|_| AppError::field(field, "Enter a date like 2027-01-31."))?;
        let time = if end_of_day {
            NaiveTime::from_hms_opt(23, 59, 59)
        } else {
            NaiveTime::from_hms_opt(0, 0, 0)
        };
        Ok(time.map(|t| day.and_time(t).and_utc()))
    }

    pub fn invalid(field: &str, message: &str) -> AppError {
        AppError::field(field, message)
    }

    pub fn license(v: abetworks::licenses::LicenseView) -> LicenseRow {
        LicenseRow {
            id: v.id,
            user_id: v.user_id,
            user_email: v.user_email,
            user_name: v.user_name,
            agent_id: v.agent_id,
            agent_name: v.agent_name,
            api_call_limit: v.api_call_limit,
            api_calls_used: v.api_calls_used,
            remaining: v.remaining,
            status: v.status.as_str().to_owned(),
            near_limit: v.near_limit,
            granted_at: rfc3339(v.granted_at),
            expires_at: v.expires_at.map(rfc3339),
        }
    }

    pub fn request(v: abetworks::access_requests::AccessRequestView) -> RequestRow {
        RequestRow {
            id: v.id,
            user_email: v.user_email,
            user_name: v.user_name,
            agent_id: v.agent_id,
            agent_name: v.agent_name,
            reason: v.request_reason,
            status: v.status.as_str().to_owned(),
            requested_at: rfc3339(v.requested_at),
            review_note: v.review_note,
        }
    }

    pub fn error(v: abetworks::entities::error_logs::Model) -> ErrorRow {
        ErrorRow {
            id: v.id,
            error_type: v.error_type,
            code: v.code,
            message: v.message,
            stack_trace: v.stack_trace,
            severity: v.severity.as_str().to_owned(),
            user_id: v.user_id,
            agent_id: v.agent_id,
            request_id: v.request_id,
            context: v
                .context
                .map(|c| serde_json::to_string_pretty(&c).unwrap_or_default()),
            resolved: v.resolved,
            resolved_at: v.resolved_at.map(rfc3339),
            resolution_note: v.resolution_note,
            created_at: rfc3339(v.created_at),
        }
    }

    pub fn execution(v: abetworks::executions::ExecutionView) -> ExecutionRow {
        ExecutionRow {
            id: v.id,
            user_email: v.user_email,
            agent_name: v.agent_name,
            status: v.status.as_str().to_owned(),
            duration_ms: v.duration_ms,
            input: serde_json::to_string_pretty(&v.input).unwrap_or_default(),
            output: v
                .output
                .map(|o| serde_json::to_string_pretty(&o).unwrap_or_default()),
            error_code: v.error_code,
            error_message: v.error_message,
            created_at: rfc3339(v.created_at),
        }
    }

    pub fn agent(v: abetworks::entities::agent_catalog::Model) -> AgentRow {
        AgentRow {
            id: v.id,
            slug: v.slug,
            name: v.name,
            short_description: v.short_description,
            long_description: v.long_description,
            category: v.category,
            price_cents: v.price_cents,
            currency: v.currency,
            published: v.published,
            status: v.status.as_str().to_owned(),
            version: v.version,
        }
    }

    pub fn user(v: abetworks::entities::users::Model) -> UserRow {
        UserRow {
            id: v.id,
            email: v.email,
            name: v.name,
            role: v.role.as_str().to_owned(),
            disabled: v.disabled,
            created_at: rfc3339(v.created_at),
            last_login_at: v.last_login_at.map(rfc3339),
        }
    }
}

// ---- licenses ----

/// Every license matching the filters, newest first unless `sort` says otherwise
/// (`user`, `-used`, … as the REST list takes it).
#[server(endpoint = "admin-ui/licenses")]
pub async fn admin_licenses(
    query: Option<String>,
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<u64>,
) -> Result<PageOf<LicenseRow>, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    use abetworks::licenses::{EffectiveStatus, LicenseFilter, LicenseSort};
    require_super_admin().await?;
    let state = state()?;
    let status = match conv::blank(status) {
        None => None,
        Some(s) => Some(EffectiveStatus::parse(&s).map_err(core_error)?),
    };
    let filter = LicenseFilter {
        user_id: conv::blank(user_id),
        agent_id: conv::blank(agent_id),
        status,
        query: conv::blank(query),
        sort: match conv::blank(sort) {
            None => LicenseSort::default(),
            Some(s) => LicenseSort::parse(&s).map_err(core_error)?,
        },
    };
    let page = abetworks::licenses::list(&state.db, &filter, conv::page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(conv::page_of(page, conv::license))
}

/// Users matching a search, for the grant dialog's picker.
#[server(endpoint = "admin-ui/pick-users")]
pub async fn admin_pick_users(query: String) -> Result<Vec<PickOption>, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    require_super_admin().await?;
    let state = state()?;
    let filter = abetworks::users::UserFilter {
        query: conv::blank(Some(query)),
        ..Default::default()
    };
    let page = abetworks::pagination::PageRequest::new(Some(1), Some(10)).map_err(core_error)?;
    let users = abetworks::users::list_users(&state.db, &filter, page)
        .await
        .map_err(core_error)?;
    Ok(users
        .items
        .into_iter()
        .map(|u| PickOption {
            id: u.id,
            label: u.email,
            detail: u.name,
        })
        .collect())
}

/// Agents matching a search, for the grant dialog's picker (drafts too).
#[server(endpoint = "admin-ui/pick-agents")]
pub async fn admin_pick_agents(query: String) -> Result<Vec<PickOption>, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    require_super_admin().await?;
    let state = state()?;
    let page = abetworks::pagination::PageRequest::new(Some(1), Some(10)).map_err(core_error)?;
    let query = conv::blank(Some(query));
    let agents = abetworks::catalog::list_all(&state.db, query.as_deref(), page)
        .await
        .map_err(core_error)?;
    Ok(agents
        .items
        .into_iter()
        .map(|a| PickOption {
            id: a.id,
            label: a.name,
            detail: a.slug,
        })
        .collect())
}

/// Grants a license; `api_call_limit` -1 is unlimited; `expires_on` a date or blank.
#[server(endpoint = "admin-ui/licenses/grant")]
pub async fn admin_grant_license(
    user_id: String,
    agent_id: String,
    api_call_limit: i64,
    expires_on: Option<String>,
) -> Result<LicenseRow, AppError> {
    use crate::server::{client_ip, core_error, require_super_admin, state};
    let admin = require_super_admin().await?;
    let state = state()?;
    let user_id =
        conv::blank(Some(user_id)).ok_or_else(|| conv::invalid("userId", "Choose a user."))?;
    let agent_id =
        conv::blank(Some(agent_id)).ok_or_else(|| conv::invalid("agentId", "Choose an agent."))?;
    let expires_at = conv::date("expiresAt", expires_on, true)?;
    let ip = client_ip().await;
    let grant = abetworks::licenses::GrantLicense {
        user_id,
        agent_id,
        api_call_limit,
        expires_at,
    };
    abetworks::licenses::grant(&state.db, &admin.id, Some(&ip), grant)
        .await
        .map(conv::license)
        .map_err(core_error)
}

/// Changes a license's limit, expiry and/or status (`active` or `suspended`). `expires_on`:
/// absent or blank leaves the expiry, [`NO_EXPIRY`] removes it, a date sets it.
#[server(endpoint = "admin-ui/licenses/update")]
pub async fn admin_update_license(
    id: String,
    api_call_limit: Option<i64>,
    expires_on: Option<String>,
    status: Option<String>,
) -> Result<LicenseRow, AppError> {
    use crate::server::{client_ip, core_error, require_super_admin, state};
    use abetworks::entities::enums::LicenseStatus;
    let admin = require_super_admin().await?;
    let state = state()?;
    let status = match conv::blank(status).as_deref() {
        None => None,
        Some("active") => Some(LicenseStatus::Active),
        Some("suspended") => Some(LicenseStatus::Suspended),
        Some(_) => return Err(conv::invalid("status", "Choose active or suspended.")),
    };
    let expires_at = match conv::blank(expires_on) {
        None => None,
        Some(text) if text == NO_EXPIRY => Some(None),
        Some(text) => Some(conv::date("expiresAt", Some(text), true)?),
    };
    let change = abetworks::licenses::LicenseChange {
        api_call_limit,
        expires_at,
        status,
    };
    let ip = client_ip().await;
    abetworks::licenses::update(&state.db, &admin.id, Some(&ip), &id, change)
        .await
        .map(conv::license)
        .map_err(core_error)
}

/// Revokes a license for good.
#[server(endpoint = "admin-ui/licenses/revoke")]
pub async fn admin_revoke_license(id: String) -> Result<LicenseRow, AppError> {
    use crate::server::{client_ip, core_error, require_super_admin, state};
    let admin = require_super_admin().await?;
    let state = state()?;
    let ip = client_ip().await;
    abetworks::licenses::revoke(&state.db, &admin.id, Some(&ip), &id)
        .await
        .map(conv::license)
        .map_err(core_error)
}

// ---- access requests ----

/// Access requests, pending first.
#[server(endpoint = "admin-ui/requests")]
pub async fn admin_requests(
    status: Option<String>,
    agent_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
) -> Result<PageOf<RequestRow>, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    use abetworks::entities::enums::AccessRequestStatus;
    require_super_admin().await?;
    let state = state()?;
    let status = match conv::blank(status).as_deref() {
        None => None,
        Some("pending") => Some(AccessRequestStatus::Pending),
        Some("approved") => Some(AccessRequestStatus::Approved),
        Some("rejected") => Some(AccessRequestStatus::Rejected),
        Some(_) => {
            return Err(conv::invalid(
                "status",
                "Choose pending, approved or rejected.",
            ))
        }
    };
    let filter = abetworks::access_requests::AccessRequestFilter {
        status,
        agent_id: conv::blank(agent_id),
        from: conv::date("from", from, false)?,
        to: conv::date("to", to, true)?,
    };
    let page = abetworks::access_requests::list(&state.db, &filter, conv::page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(conv::page_of(page, conv::request))
}

/// Approves a pending request, granting its license.
#[server(endpoint = "admin-ui/requests/approve")]
pub async fn admin_approve_request(
    id: String,
    api_call_limit: i64,
    expires_on: Option<String>,
) -> Result<LicenseRow, AppError> {
    use crate::server::{client_ip, core_error, require_super_admin, state};
    let admin = require_super_admin().await?;
    let state = state()?;
    let approval = abetworks::access_requests::Approval {
        api_call_limit,
        expires_at: conv::date("expiresAt", expires_on, true)?,
    };
    let ip = client_ip().await;
    abetworks::access_requests::approve(&state.db, &admin.id, Some(&ip), &id, approval)
        .await
        .map(|approved| conv::license(approved.license))
        .map_err(core_error)
}

/// Rejects a pending request with a note the user sees.
#[server(endpoint = "admin-ui/requests/reject")]
pub async fn admin_reject_request(id: String, review_note: String) -> Result<RequestRow, AppError> {
    use crate::server::{client_ip, core_error, require_super_admin, state};
    let admin = require_super_admin().await?;
    let state = state()?;
    let ip = client_ip().await;
    abetworks::access_requests::reject(&state.db, &admin.id, Some(&ip), &id, &review_note)
        .await
        .map(conv::request)
        .map_err(core_error)
}

// ---- error logs ----

/// Error logs matching the filters, newest first.
#[server(endpoint = "admin-ui/errors")]
pub async fn admin_errors(
    severity: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    resolved: Option<String>,
    page: Option<u64>,
) -> Result<PageOf<ErrorRow>, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    use abetworks::entities::enums::Severity;
    require_super_admin().await?;
    let state = state()?;
    let severity = match conv::blank(severity).as_deref() {
        None => None,
        Some("low") => Some(Severity::Low),
        Some("medium") => Some(Severity::Medium),
        Some("high") => Some(Severity::High),
        Some("critical") => Some(Severity::Critical),
        Some(_) => {
            return Err(conv::invalid(
                "severity",
                "Choose a severity from the list.",
            ))
        }
    };
    let kind = match conv::blank(kind) {
        None => None,
        Some(k) => Some(abetworks::error_logs::ErrorKind::parse(&k).map_err(core_error)?),
    };
    let resolved = match conv::blank(resolved).as_deref() {
        None => None,
        Some("yes") | Some("true") => Some(true),
        Some("no") | Some("false") => Some(false),
        Some(_) => return Err(conv::invalid("resolved", "Choose yes or no.")),
    };
    let filter = abetworks::error_logs::ErrorFilter {
        severity,
        kind,
        from: conv::date("from", from, false)?,
        to: conv::date("to", to, true)?,
        resolved,
    };
    let page = abetworks::error_logs::list(&state.db, &filter, conv::page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(conv::page_of(page, conv::error))
}

/// Error totals of the last 30 days.
#[server(endpoint = "admin-ui/errors/stats")]
pub async fn admin_error_stats() -> Result<ErrorStatsData, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    require_super_admin().await?;
    let state = state()?;
    let stats = abetworks::error_logs::stats(&state.db, abetworks::input::TimeRange::last_days(30))
        .await
        .map_err(core_error)?;
    Ok(ErrorStatsData {
        total: stats.total,
        resolved: stats.resolved,
        unresolved: stats.unresolved,
        resolution_rate: stats.resolution_rate,
        by_severity: stats
            .by_severity
            .into_iter()
            .map(|k| (k.key, k.count))
            .collect(),
    })
}

/// Marks an error resolved, with an optional note.
#[server(endpoint = "admin-ui/errors/resolve")]
pub async fn admin_resolve_error(id: String, note: Option<String>) -> Result<ErrorRow, AppError> {
    use crate::server::{client_ip, core_error, require_super_admin, state};
    let admin = require_super_admin().await?;
    let state = state()?;
    let ip = client_ip().await;
    let note = conv::blank(note);
    abetworks::error_logs::resolve(&state.db, &admin.id, Some(&ip), &id, note.as_deref())
        .await
        .map(conv::error)
        .map_err(core_error)
}

// ---- usage ----

/// The usage overview of `[from, to]` (dates; blank means the last 30 days).
#[server(endpoint = "admin-ui/usage")]
pub async fn admin_usage(from: Option<String>, to: Option<String>) -> Result<UsageData, AppError> {
    use crate::server::{core_error, require_super_admin, rfc3339, state};
    require_super_admin().await?;
    let state = state()?;
    let default = abetworks::input::TimeRange::last_days(30);
    let from = conv::date("from", from, false)?.unwrap_or(default.from);
    let to = conv::date("to", to, true)?.unwrap_or(default.to);
    let o = abetworks::usage::overview(&state.db, from, to)
        .await
        .map_err(core_error)?;
    Ok(UsageData {
        // Full precision, so the CSV export link covers exactly the calls counted here.
        from: o.from.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        to: o.to.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        total_calls: o.total_calls,
        successful_calls: o.successful_calls,
        failed_calls: o.failed_calls,
        by_agent: o
            .by_agent
            .into_iter()
            .map(|a| NamedCount {
                id: a.agent_id,
                name: a.agent_name,
                calls: a.calls,
            })
            .collect(),
        by_user: o
            .by_user
            .into_iter()
            .map(|u| NamedCount {
                id: u.user_id,
                name: u.user_email,
                calls: u.calls,
            })
            .collect(),
        granularity: match o.granularity {
            abetworks::usage::Granularity::Hour => "hour".to_owned(),
            abetworks::usage::Granularity::Day => "day".to_owned(),
        },
        trend: o
            .trend
            .into_iter()
            .map(|p| (rfc3339(p.start), p.calls))
            .collect(),
        heavy_users: o.heavy_users.into_iter().map(conv::license).collect(),
        calls_today: o.calls_today,
        calls_this_week: o.calls_this_week,
        calls_this_month: o.calls_this_month,
    })
}

// ---- executions ----

/// Every execution matching the filters, newest first.
#[server(endpoint = "admin-ui/executions")]
pub async fn admin_executions(
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
) -> Result<PageOf<ExecutionRow>, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    use abetworks::entities::enums::ExecutionStatus;
    require_super_admin().await?;
    let state = state()?;
    let status = match conv::blank(status).as_deref() {
        None => None,
        Some("pending") => Some(ExecutionStatus::Pending),
        Some("running") => Some(ExecutionStatus::Running),
        Some("succeeded") => Some(ExecutionStatus::Succeeded),
        Some("failed") => Some(ExecutionStatus::Failed),
        Some(_) => return Err(conv::invalid("status", "Choose a status from the list.")),
    };
    let filter = abetworks::executions::ExecutionFilter {
        user_id: conv::blank(user_id),
        agent_id: conv::blank(agent_id),
        status,
        from: conv::date("from", from, false)?,
        to: conv::date("to", to, true)?,
    };
    let page = abetworks::executions::list_all(&state.db, &filter, conv::page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(conv::page_of(page, conv::execution))
}

// ---- agents ----

/// The whole catalog, drafts and unavailable agents too.
#[server(endpoint = "admin-ui/agents")]
pub async fn admin_agents(
    query: Option<String>,
    page: Option<u64>,
) -> Result<PageOf<AgentRow>, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    require_super_admin().await?;
    let state = state()?;
    let query = conv::blank(query);
    let page = abetworks::catalog::list_all(&state.db, query.as_deref(), conv::page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(conv::page_of(page, conv::agent))
}

/// Publishes or unpublishes an agent.
#[server(endpoint = "admin-ui/agents/publish")]
pub async fn admin_publish_agent(id: String, published: bool) -> Result<AgentRow, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    let admin = require_super_admin().await?;
    let state = state()?;
    let change = abetworks::catalog::AgentChange {
        published: Some(published),
        ..Default::default()
    };
    abetworks::catalog::update_agent(&state.db, &admin.id, &id, change)
        .await
        .map(conv::agent)
        .map_err(core_error)
}

/// Edits an agent's listing: price (in cents), category and descriptions.
#[server(endpoint = "admin-ui/agents/update")]
pub async fn admin_update_agent(
    id: String,
    price_cents: i64,
    category: String,
    short_description: String,
    long_description: String,
) -> Result<AgentRow, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    let admin = require_super_admin().await?;
    let state = state()?;
    let change = abetworks::catalog::AgentChange {
        price_cents: Some(price_cents),
        category: Some(category),
        short_description: Some(short_description),
        long_description: Some(long_description),
        ..Default::default()
    };
    abetworks::catalog::update_agent(&state.db, &admin.id, &id, change)
        .await
        .map(conv::agent)
        .map_err(core_error)
}

/// Syncs the catalog from the agent service (new agents stay unpublished).
#[server(endpoint = "admin-ui/agents/sync")]
pub async fn admin_sync_agents() -> Result<SyncResult, AppError> {
    use crate::server::{core_error, require_super_admin, state};
    require_super_admin().await?;
    let state = state()?;
    let report = abetworks::catalog::sync_from_service(&state.db, &state.agents, false)
        .await
        .map_err(core_error)?;
    Ok(SyncResult {
        added: report.added,
        updated: report.updated,
        unavailable: report.unavailable,
    })
}

// ---- users ----

/// Users matching a search. The super admin sees everyone; an organisation admin sees their
/// own organisation, read-only; members are refused.
#[server(endpoint = "admin-ui/users")]
pub async fn admin_users(query: Option<String>, page: Option<u64>) -> Result<UsersData, AppError> {
    use crate::server::{core_error, require_admin, state};
    use abetworks::entities::enums::Role;
    let caller = require_admin().await?;
    let state = state()?;
    let super_admin = caller.role == Role::SuperAdmin;
    let filter = abetworks::users::UserFilter {
        query: conv::blank(query),
        role: None,
        organization_id: (!super_admin).then(|| caller.organization_id.clone()),
    };
    let page = abetworks::users::list_users(&state.db, &filter, conv::page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(UsersData {
        page: conv::page_of(page, conv::user),
        can_edit: super_admin,
        me: caller.id,
    })
}

/// Changes a user's role (`member`, `admin`, `super_admin`) and/or disables or enables them.
#[server(endpoint = "admin-ui/users/change")]
pub async fn admin_change_user(
    id: String,
    role: Option<String>,
    disabled: Option<bool>,
) -> Result<UserRow, AppError> {
    use crate::server::{client_ip, core_error, require_super_admin, state};
    use abetworks::entities::enums::Role;
    let admin = require_super_admin().await?;
    let state = state()?;
    let role = match conv::blank(role).as_deref() {
        None => None,
        Some("member") => Some(Role::Member),
        Some("admin") => Some(Role::Admin),
        Some("super_admin") => Some(Role::SuperAdmin),
        Some(_) => return Err(conv::invalid("role", "Choose a role from the list.")),
    };
    let ip = client_ip().await;
    let change = abetworks::users::UserChange { role, disabled };
    abetworks::users::change_user(&state.db, &admin.id, &id, change, Some(&ip))
        .await
        .map(conv::user)
        .map_err(core_error)
}
