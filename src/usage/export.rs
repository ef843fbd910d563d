//! The CSV export of tracking rows, read in batches by keyset (created_at, id) so a long
//! range streams without holding it all in memory or skipping rows between batches.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};
use serde::Serialize;

use super::in_range;
use crate::entities::{agent_catalog, api_usage_tracking as tracking, users};
use crate::error::{CoreError, CoreResult};
use crate::input::TimeRange;

/// The largest batch a caller may ask for.
pub const MAX_EXPORT_BATCH: u64 = 10_000;

/// The first line of the export.
pub const CSV_HEADER: &str = "id,created_at,user_id,user_email,agent_id,agent_slug,api_key_id,\
endpoint,method,status_code,duration_ms,error\n";

/// One exported call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromQueryResult)]
#[serde(rename_all = "camelCase")]
pub struct ExportRow {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    pub agent_id: Option<String>,
    pub agent_slug: Option<String>,
    pub api_key_id: Option<String>,
    pub endpoint: String,
    pub method: String,
    pub status_code: i32,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// Where the next batch starts: just after this row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportCursor {
    pub created_at: DateTime<Utc>,
    pub id: String,
}

impl ExportRow {
    pub fn cursor(&self) -> ExportCursor {
        ExportCursor {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }

    /// The row as a CSV line. Free text that a spreadsheet would run as a formula is
    /// prefixed with `'` (user-supplied paths and error text end up here).
    pub fn csv_line(&self) -> String {
        let text = |t: &Option<String>| t.as_deref().map(defuse_formula).unwrap_or_default();
        csv_line(&[
            &self.id,
            &self.created_at.to_rfc3339(),
            self.user_id.as_deref().unwrap_or(""),
            &text(&self.user_email),
            self.agent_id.as_deref().unwrap_or(""),
            &text(&self.agent_slug),
            self.api_key_id.as_deref().unwrap_or(""),
            &defuse_formula(&self.endpoint),
            &defuse_formula(&self.method),
            &self.status_code.to_string(),
            &self.duration_ms.to_string(),
            &text(&self.error),
        ])
    }
}

/// `text` with a leading `'` when a spreadsheet would run it as a formula.
pub(crate) fn defuse_formula(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// One CSV line (RFC 4180) ending in `\n`: fields holding a comma, quote or line break are
/// quoted, with quotes doubled.
pub fn csv_line(fields: &[&str]) -> String {
    let mut line = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&field.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(field);
        }
    }
    line.push('\n');
    line
}

/// The next `batch` (1..=10 000) tracking rows of `[from, to]` after `after`, oldest first.
/// An empty result means the export is complete.
pub async fn export_rows(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<&ExportCursor>,
    batch: u64,
) -> CoreResult<Vec<ExportRow>> {
    let range = TimeRange::new(from, to)?;
    if !(1..=MAX_EXPORT_BATCH).contains(&batch) {
        return Err(CoreError::invalid(
            "batch",
            format!("must be between 1 and {MAX_EXPORT_BATCH}"),
        ));
    }
    let mut condition = in_range(range);
    if let Some(after) = after {
        condition = condition.add(
            Condition::any()
                .add(tracking::Column::CreatedAt.gt(after.created_at))
                .add(
                    Condition::all()
                        .add(tracking::Column::CreatedAt.eq(after.created_at))
                        .add(tracking::Column::Id.gt(after.id.as_str())),
                ),
        );
    }
    Ok(tracking::Entity::find()
        .join(JoinType::LeftJoin, tracking::Relation::User.def())
        .join(JoinType::LeftJoin, tracking::Relation::Agent.def())
        .column_as(users::Column::Email, "user_email")
        .column_as(agent_catalog::Column::Slug, "agent_slug")
        .filter(condition)
        .order_by_asc(tracking::Column::CreatedAt)
        .order_by_asc(tracking::Column::Id)
        .limit(batch)
        .into_model::<ExportRow>()
        .all(db)
        .await?)
}
