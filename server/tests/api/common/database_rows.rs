//! Every table of the schema with a row in it, and every row read back as JSON, for the backup
//! tests. The tables are listed from the database itself, so a table added later shows up
//! empty (and fails the test) until `fill_every_table` gives it a row too.

use std::collections::BTreeMap;

use abetworks::types::enums::{
    AccessRequestStatus, AgentStatus, ErrorKind, ExecutionStatus, LicenseStatus, Role, Severity,
    TaskStatus,
};
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde_json::{json, Value as Json};

/// Every table's rows, by table name.
pub type Snapshot = BTreeMap<String, Vec<Json>>;

/// The rows `fill_every_table` made that more rows can point at.
#[derive(Clone)]
pub struct Seeded {
    pub user_id: String,
    pub agent_id: String,
    pub api_key_id: String,
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Inserts one row of `(column, value)` pairs into `table`.
pub async fn insert(db: &DatabaseConnection, table: &str, row: Vec<(&str, Value)>) {
    let (columns, values): (Vec<Alias>, Vec<Expr>) = row
        .into_iter()
        .map(|(column, value)| (Alias::new(column), Expr::val(value)))
        .unzip();
    let statement = Query::insert()
        .into_table(Alias::new(table))
        .columns(columns)
        .values_panic(values)
        .to_owned();
    db.execute(&statement)
        .await
        .unwrap_or_else(|e| panic!("a row is inserted into {table}: {e}"));
}

/// One row in every table of the schema, every column given a value (quotes, accents and
/// bytes included, so the copy is checked on awkward values too).
#[rustfmt::skip] // a few columns a line: each insert reads as one row of a table
pub async fn fill_every_table(db: &DatabaseConnection) -> Seeded {
    let now = Utc::now();
    let later = now + Duration::days(30);
    let (organization, user, agent) = (new_id(), new_id(), new_id());
    let (api_key, license) = (new_id(), new_id());
    let v = |text: &str| Value::from(text.to_owned());
    insert(db, "organizations", vec![
        ("id", v(&organization)), ("name", v("Backup & Restore Ltd")),
        ("slug", v(&format!("backup-{organization}"))), ("created_at", now.into()),
    ]).await;
    insert(db, "users", vec![
        ("id", v(&user)), ("organization_id", v(&organization)),
        ("email", v(&format!("owner-{user}@example.com"))), ("name", v("Zoë O'Brien")),
        ("password_hash", v("$argon2id$v=19$stand-in")), ("role", v(Role::Admin.as_str())),
        ("disabled", false.into()), ("created_at", now.into()), ("updated_at", now.into()),
        ("last_login_at", now.into()),
    ]).await;
    insert(db, "agent_catalog", vec![
        ("id", v(&agent)), ("slug", v(&format!("agent-{agent}"))), ("name", v("Summariser")),
        ("short_description", v("Makes text shorter")),
        ("long_description", v("Line one\nline \"two\"; it's long")), ("category", v("text")),
        ("price_cents", 1999i64.into()), ("currency", v("EUR")), ("icon", v("🤖")),
        ("features", json!(["fast", "cheap"]).into()),
        ("input_schema", json!({"type": "object", "properties": {"text": {"type": "string"}}}).into()),
        ("output_schema", json!({"type": "object"}).into()), ("version", v("1.2.3")),
        ("published", true.into()), ("status", v(AgentStatus::Available.as_str())),
        ("created_at", now.into()), ("updated_at", now.into()),
    ]).await;
    let subscription = new_id();
    insert(db, "agent_subscriptions", vec![
        ("id", v(&subscription)), ("organization_id", v(&organization)), ("agent_id", v(&agent)),
        ("activated_by", v(&user)), ("created_at", now.into()),
        ("api_call_limit", 20i64.into()), ("api_calls_used", 3i64.into()),
        ("quota_window", v("day")), ("window_time_zone", v("Asia/Kolkata")),
        ("reset_day", 2i32.into()), ("window_start_unix", 1_796_000_000i64.into()),
        ("member_cap", 5i64.into()), ("expires_at", later.into()), ("updated_at", now.into()),
    ]).await;
    insert(db, "tasks", vec![
        ("id", v(&new_id())), ("user_id", v(&user)), ("agent_id", v(&agent)),
        ("status", v(TaskStatus::Succeeded.as_str())), ("input", json!({"text": "hi"}).into()),
        ("output", json!({"summary": "hi"}).into()), ("error", v("none")),
        ("created_at", now.into()), ("started_at", now.into()), ("finished_at", now.into()),
    ]).await;
    insert(db, "logs", vec![
        ("id", v(&new_id())), ("actor_id", v(&user)), ("action", v("user.role_changed")),
        ("target_type", v("user")), ("target_id", v(&user)),
        ("before", json!({"role": "member"}).into()), ("after", json!({"role": "admin"}).into()),
        ("ip", v("127.0.0.1")), ("created_at", now.into()),
    ]).await;
    insert(db, "api_keys", vec![
        ("id", v(&api_key)), ("user_id", v(&user)), ("name", v("ci key")),
        ("prefix", v("abw_1234")), ("key_hash", v(&format!("hash-{api_key}"))),
        ("agent_id", v(&agent)), ("expires_at", later.into()), ("last_used_at", now.into()),
        ("revoked_at", now.into()), ("created_at", now.into()),
    ]).await;
    insert(db, "modules", vec![
        ("id", v(&new_id())), ("slug", v(&format!("module-{agent}"))),
        ("module_name", v("summariser")), ("agent_id", v(&agent)), ("schema_hash", v("abc123")),
        ("discovered_at", now.into()), ("last_seen_at", now.into()), ("available", true.into()),
    ]).await;
    insert(db, "user_agent_licenses", vec![
        ("id", v(&license)), ("user_id", v(&user)), ("agent_id", v(&agent)),
        ("api_call_limit", 100i64.into()), ("api_calls_used", 7i64.into()),
        ("status", v(LicenseStatus::Active.as_str())), ("granted_by", v(&user)),
        ("granted_at", now.into()), ("expires_at", later.into()), ("updated_at", now.into()),
        ("quota_window", v("month")), ("window_time_zone", v("Europe/Berlin")),
        ("reset_day", 15i32.into()), ("burst_per_second", 5i32.into()),
        ("window_start_unix", 1_796_000_000i64.into()), ("top_up_calls", 3i64.into()),
        ("top_up_expires_at", later.into()), ("burst_second_unix", 1_796_000_100i64.into()),
        ("burst_count", 2i32.into()),
    ]).await;
    insert(db, "license_top_ups", vec![
        ("id", v(&new_id())), ("license_id", v(&license)), ("calls", 3i64.into()),
        ("note", v("launch week")), ("expires_at", later.into()),
        ("window_start_unix", 1_796_000_000i64.into()), ("created_by", v(&user)),
        ("created_at", now.into()),
    ]).await;
    insert(db, "license_events", vec![
        ("id", v(&new_id())), ("license_id", v(&license)), ("kind", v("top_up")),
        ("actor_id", v(&user)), ("detail", json!({"calls": 3}).into()),
        ("created_at", now.into()),
    ]).await;
    let execution = new_id();
    insert(db, "module_executions", vec![
        ("id", v(&execution)), ("user_id", v(&user)), ("agent_id", v(&agent)),
        ("license_id", v(&license)), ("api_key_id", v(&api_key)),
        ("input", json!({"text": "hi"}).into()), ("output", json!({"summary": "hi"}).into()),
        ("status", v(ExecutionStatus::Failed.as_str())), ("duration_ms", 41i64.into()),
        ("error_code", v("AGENT_TIMEOUT")), ("error_message", v("it didn't answer")),
        ("created_at", now.into()), ("finished_at", now.into()),
    ]).await;
    insert(db, "run_events", vec![
        ("id", v(&new_id())), ("run_id", v(&execution)), ("seq", 1i64.into()),
        ("kind", v("status")), ("data", json!({"status": "failed", "attempt": 1}).into()),
        ("created_at", now.into()),
    ]).await;
    insert(db, "resource_usage", vec![
        ("id", v(&new_id())), ("user_id", v(&user)), ("agent_id", v(&agent)),
        ("day", now.date_naive().into()), ("calls", 3i64.into()), ("successes", 2i64.into()),
        ("failures", 1i64.into()), ("total_duration_ms", 120i64.into()),
    ]).await;
    insert(db, "api_usage_tracking", vec![
        ("id", v(&new_id())), ("user_id", v(&user)), ("agent_id", v(&agent)),
        ("api_key_id", v(&api_key)), ("endpoint", v("/api/v1/agents/x/execute")),
        ("method", v("POST")), ("status_code", 504i32.into()), ("duration_ms", 3000i64.into()),
        ("error", v("timed out")), ("created_at", now.into()),
    ]).await;
    insert(db, "agent_access_requests", vec![
        ("id", v(&new_id())), ("user_id", v(&user)), ("agent_id", v(&agent)),
        ("request_reason", v("For the quarterly report")),
        ("status", v(AccessRequestStatus::Approved.as_str())), ("requested_at", now.into()),
        ("reviewed_by", v(&user)), ("reviewed_at", now.into()), ("review_note", v("ok")),
        ("kind", v("increase")), ("requested_calls", 50i64.into()),
    ]).await;
    insert(db, "error_logs", vec![
        ("id", v(&new_id())), ("error_type", v(ErrorKind::AgentTimeout.as_str())),
        ("code", v("AGENT_TIMEOUT")), ("message", v("The agent did not answer")),
        ("stack_trace", v("at gateway::execute")), ("severity", v(Severity::High.as_str())),
        ("user_id", v(&user)), ("agent_id", v(&agent)), ("request_id", v("req-1")),
        ("context", json!({"attempt": 1}).into()), ("resolved", true.into()),
        ("resolved_by", v(&user)), ("resolved_at", now.into()), ("resolution_note", v("retried")),
        ("created_at", now.into()),
    ]).await;
    insert(db, "tower_sessions", vec![
        ("id", v(&new_id())), ("data", Value::from(vec![0u8, 1, 2, 0x27, 0xff])),
        ("expiry_date", later.into()),
    ]).await;
    insert(db, "login_attempts", vec![
        ("id", v(&new_id())), ("email", v("owner@example.com")), ("ip", v("127.0.0.1")),
        ("succeeded", true.into()), ("created_at", now.into()),
    ]).await;
    insert(db, "registration_attempts", vec![
        ("id", v(&new_id())), ("ip", v("127.0.0.1")), ("created_at", now.into()),
    ]).await;
    insert(db, "registration_attempts", vec![
        ("id", v(&new_id())), ("ip", v("127.0.0.1")), ("created_at", now.into()),
    ]).await;
    let (event, endpoint) = (new_id(), new_id());
    insert(db, "outbox_events", vec![
        ("id", v(&event)), ("event_type", v("license.granted")),
        ("payload", json!({"licenseId": license, "agentName": "Summariser"}).into()),
        ("subject_user_id", v(&user)), ("created_at", now.into()), ("dispatched_at", now.into()),
    ]).await;
    insert(db, "notifications", vec![
        ("id", v(&new_id())), ("user_id", v(&user)), ("kind", v("license.granted")),
        ("title", v("Access granted")), ("body", v("You can now run Summariser.")),
        ("link", v("/my-agents")), ("read_at", now.into()), ("created_at", now.into()),
        ("event_id", v(&event)),
    ]).await;
    insert(db, "notification_preferences", vec![
        ("id", v(&new_id())), ("user_id", v(&user)), ("event_type", v("agent.published")),
        ("email_enabled", true.into()), ("updated_at", now.into()),
    ]).await;
    insert(db, "webhook_endpoints", vec![
        ("id", v(&endpoint)), ("url", v("https://hooks.example.com/in?a=1&b='2'")),
        ("description", v("Zoë's CRM")), ("event_types", json!(["license.granted"]).into()),
        ("secret", v("whsec_c2VjcmV0")), ("status", v("failing")),
        ("failing_since", now.into()), ("created_by", v(&user)), ("created_at", now.into()),
        ("updated_at", now.into()),
    ]).await;
    insert(db, "deliveries", vec![
        ("id", v(&new_id())), ("event_id", v(&event)), ("channel", v("webhook")),
        ("endpoint_id", v(&endpoint)), ("status", v("failed")), ("attempts", 3i32.into()),
        ("next_attempt_at", later.into()), ("lease_owner", v("pid1-x")),
        ("lease_expires_at", now.into()), ("last_status_code", 503i32.into()),
        ("last_error", v("Service \"Unavailable\"")), ("last_latency_ms", 120i64.into()),
        ("created_at", now.into()), ("delivered_at", now.into()),
    ]).await;
    insert(db, "license_alerts", vec![
        ("id", v(&new_id())), ("license_id", v(&license)), ("alert", v("usage80")),
        ("period_unix", 1_796_000_000i64.into()), ("created_at", now.into()),
    ]).await;
    insert(db, "subscription_member_usage", vec![
        ("id", v(&new_id())), ("subscription_id", v(&subscription)), ("user_id", v(&user)),
        ("window_start_unix", 1_796_000_000i64.into()), ("calls_used", 2i64.into()),
    ]).await;
    insert(db, "organization_invitations", vec![
        ("id", v(&new_id())), ("organization_id", v(&organization)),
        ("email", v("zoë.new@example.com")), ("role", v(Role::Member.as_str())),
        ("token_hash", v(&format!("sha-{subscription}"))), ("expires_at", later.into()),
        ("accepted_at", now.into()), ("accepted_by", v(&user)), ("revoked_at", now.into()),
        ("created_by", v(&user)), ("created_at", now.into()),
    ]).await;
    Seeded {
        user_id: user,
        agent_id: agent,
        api_key_id: api_key,
    }
}

/// Every table in the database, the migrations' own bookkeeping included.
pub async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("the tables are listed");
    let mut names: Vec<String> = rows
        .iter()
        .map(|row| row.try_get_by_index(0).expect("a table name"))
        .collect();
    names.sort();
    names
}

/// Every row of `table` as a JSON object. On SQLite each value is its SQL literal (`quote()`),
/// so types and bytes are compared exactly; PostgreSQL's `row_to_json` keeps them too.
pub async fn rows(db: &DatabaseConnection, table: &str) -> Vec<Json> {
    let backend = db.get_database_backend();
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    let sql = match backend {
        DbBackend::Postgres => format!("SELECT row_to_json(t)::text FROM {quoted} AS t"),
        _ => {
            let columns = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT name FROM pragma_table_info(?) ORDER BY cid",
                    [table.into()],
                ))
                .await
                .expect("the columns are listed");
            let pairs: Vec<String> = columns
                .iter()
                .map(|row| {
                    let name: String = row.try_get_by_index(0).expect("a column name");
                    format!(
                        "'{}', quote(\"{}\")",
                        name.replace('\'', "''"),
                        name.replace('"', "\"\"")
                    )
                })
                .collect();
            format!("SELECT json_object({}) FROM {quoted}", pairs.join(", "))
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|e| panic!("the rows of {table} are read: {e}"));
    rows.iter()
        .map(|row| {
            let text: String = row.try_get_by_index(0).expect("a row as JSON text");
            serde_json::from_str(&text).expect("a row as JSON")
        })
        .collect()
}

/// Every table's rows.
pub async fn snapshot(db: &DatabaseConnection) -> Snapshot {
    let mut snapshot = Snapshot::new();
    for table in tables(db).await {
        let rows = rows(db, &table).await;
        snapshot.insert(table, rows);
    }
    snapshot
}

/// What identifies a row: its `id`, or the whole row where there is none.
fn key(row: &Json) -> String {
    row.get("id").unwrap_or(row).to_string()
}

/// Each table's rows sorted by key, so two snapshots compare whatever order they were read in.
pub fn sorted(rows: &[Json]) -> Vec<&Json> {
    let mut sorted: Vec<&Json> = rows.iter().collect();
    sorted.sort_by_key(|row| key(row));
    sorted
}

/// Every row of every table in `before` is in `after`, unchanged. Rows `after` holds beyond
/// those (written after `before` was taken) may be there or not.
pub fn assert_rows_kept(before: &Snapshot, after: &Snapshot) {
    for (table, expected) in before {
        let restored = after
            .get(table)
            .unwrap_or_else(|| panic!("table {table} is missing after the restore"));
        let known: std::collections::HashSet<String> = expected.iter().map(key).collect();
        let kept: Vec<Json> = restored
            .iter()
            .filter(|row| known.contains(&key(row)))
            .cloned()
            .collect();
        assert_eq!(
            sorted(&kept),
            sorted(expected),
            "table {table}: every row taken before the backup comes back unchanged"
        );
    }
}

/// The tables of `snapshot` without a row.
pub fn empty_tables(snapshot: &Snapshot) -> Vec<&str> {
    snapshot
        .iter()
        .filter(|(_, rows)| rows.is_empty())
        .map(|(table, _)| table.as_str())
        .collect()
}
