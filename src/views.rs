//! Stored rows as the shared views every surface shows. The one place a row becomes a view,
//! so the REST API and the server functions cannot drift.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, JoinType, QuerySelect, RelationTrait, Select};

pub use abetworks_types::views::*;

use crate::entities::{agent_catalog, api_keys, error_logs, license_top_ups, users};
use abetworks_types::enums::ErrorKind;

/// Rows of `E` joined with their user and agent through the given relations, with the
/// columns every view of such a row shows: `user_email`, `agent_name` and `agent_slug`.
pub(crate) fn joined_with_user_and_agent<E: EntityTrait>(
    user: impl RelationTrait,
    agent: impl RelationTrait,
) -> Select<E> {
    E::find()
        .join(JoinType::InnerJoin, user.def())
        .join(JoinType::InnerJoin, agent.def())
        .column_as(users::Column::Email, "user_email")
        .column_as(agent_catalog::Column::Name, "agent_name")
        .column_as(agent_catalog::Column::Slug, "agent_slug")
}

impl From<users::Model> for UserView {
    fn from(user: users::Model) -> Self {
        Self {
            id: user.id,
            organization_id: user.organization_id,
            email: user.email,
            name: user.name,
            role: user.role,
            disabled: user.disabled,
            created_at: user.created_at,
            last_login_at: user.last_login_at,
        }
    }
}

impl From<agent_catalog::Model> for AgentView {
    fn from(agent: agent_catalog::Model) -> Self {
        let features = serde_json::from_value(agent.features).unwrap_or_default();
        Self {
            id: agent.id,
            slug: agent.slug,
            name: agent.name,
            short_description: agent.short_description,
            long_description: agent.long_description,
            category: agent.category,
            price_cents: agent.price_cents,
            currency: agent.currency,
            icon: agent.icon,
            features,
            version: agent.version,
            published: agent.published,
            status: agent.status,
        }
    }
}

impl From<error_logs::Model> for ErrorLogView {
    fn from(row: error_logs::Model) -> Self {
        Self {
            id: row.id,
            // Every stored type was written from an `ErrorKind`; an unknown one is ours.
            kind: ErrorKind::from_str(&row.error_type).unwrap_or(ErrorKind::Internal),
            code: row.code,
            message: row.message,
            stack_trace: row.stack_trace,
            severity: row.severity,
            user_id: row.user_id,
            agent_id: row.agent_id,
            request_id: row.request_id,
            context: row.context,
            resolved: row.resolved,
            resolved_by: row.resolved_by,
            resolved_at: row.resolved_at,
            resolution_note: row.resolution_note,
            created_at: row.created_at,
        }
    }
}

impl From<license_top_ups::Model> for TopUpView {
    fn from(row: license_top_ups::Model) -> Self {
        Self {
            id: row.id,
            license_id: row.license_id,
            calls: row.calls,
            note: row.note,
            expires_at: row.expires_at,
            // A lifetime limit has one window, stored as start 0: it has no start to show.
            window_start: (row.window_start_unix != 0)
                .then(|| DateTime::from_timestamp(row.window_start_unix, 0))
                .flatten(),
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

/// A key as its owner sees it; `agent_name` is the scoped agent's name, when there is one.
pub fn api_key_view(
    key: api_keys::Model,
    agent_name: Option<String>,
    now: DateTime<Utc>,
) -> ApiKeyView {
    ApiKeyView {
        expired: key.expires_at.is_some_and(|at| at <= now),
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        agent_id: key.agent_id,
        agent_name,
        created_at: key.created_at,
        last_used_at: key.last_used_at,
        expires_at: key.expires_at,
        revoked_at: key.revoked_at,
    }
}
