//! The core's entities (`src/entities`, compiled here as they are) against the migrated schema:
//! every entity writes a full row and reads the same row back, on SQLite and PostgreSQL, so a
//! column name, type or nullability that disagrees with the migrations fails here.

mod common;

#[path = "../../src/entities/mod.rs"]
#[allow(dead_code, unused_imports)]
mod entities;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::*;
use entities::enums::*;
use entities::*;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    ModelTrait, QueryFilter, Value,
};
use serde_json::json;

/// A fixed instant with microseconds: PostgreSQL keeps microseconds, so `now()` would not
/// compare equal after a round trip.
fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, minute, 7).unwrap()
        + chrono::Duration::microseconds(123_456)
}

/// Inserts `model` (every column set) and asserts that reading it back gives the same model.
macro_rules! round_trip {
    ($db:expr, $module:ident, $model:expr) => {{
        let model: $module::Model = $model;
        let active = model.clone().into_active_model().reset_all();
        let inserted = active
            .insert($db)
            .await
            .unwrap_or_else(|e| panic!("insert into {}: {e}", stringify!($module)));
        assert_eq!(inserted, model, "{} as inserted", stringify!($module));
        let found = $module::Entity::find_by_id(model.id.clone())
            .one($db)
            .await
            .unwrap_or_else(|e| panic!("select from {}: {e}", stringify!($module)))
            .expect("the row is there");
        assert_eq!(found, model, "{} as read back", stringify!($module));
        model
    }};
}

async fn every_entity_round_trips(db: DatabaseConnection) {
    Migrator::up(&db, None).await.unwrap();
    let db = &db;

    let org = round_trip!(
        db,
        organizations,
        organizations::Model {
            id: "org-1".into(),
            name: "Acme".into(),
            slug: "acme".into(),
            created_at: at(0),
            personal: false,
        }
    );
    let user = round_trip!(
        db,
        users,
        users::Model {
            id: "user-1".into(),
            organization_id: org.id.clone(),
            email: "one@example.com".into(),
            name: "One".into(),
            password_hash: "$argon2id$v=19$...".into(),
            role: Role::SuperAdmin,
            disabled: false,
            created_at: at(1),
            updated_at: at(2),
            last_login_at: Some(at(3)),
        }
    );
    let agent = round_trip!(
        db,
        agent_catalog,
        agent_catalog::Model {
            id: "agent-1".into(),
            slug: "echo".into(),
            name: "Echo".into(),
            short_description: "Says it back".into(),
            long_description: "Says it back, at length.".into(),
            category: "text".into(),
            price_cents: 1_999,
            currency: "EUR".into(),
            icon: "echo.svg".into(),
            features: json!(["fast", "cheap"]),
            input_schema: json!({"type": "object", "properties": {"text": {"type": "string"}}}),
            output_schema: json!({"type": "object"}),
            version: "1.2.3".into(),
            published: true,
            status: AgentStatus::Unavailable,
            created_at: at(4),
            updated_at: at(5),
        }
    );
    let subscription = round_trip!(
        db,
        agent_subscriptions,
        agent_subscriptions::Model {
            id: "sub-1".into(),
            organization_id: org.id.clone(),
            agent_id: agent.id.clone(),
            activated_by: Some(user.id.clone()),
            created_at: at(6),
            api_call_limit: 9_000_000_000,
            api_calls_used: 20,
            quota_window: QuotaWindow::Day,
            window_time_zone: "Asia/Kolkata".into(),
            reset_day: 3,
            window_start_unix: 1_795_000_000,
            member_cap: Some(5),
            expires_at: Some(at(7)),
            updated_at: Some(at(8)),
        }
    );
    round_trip!(
        db,
        subscription_member_usage,
        subscription_member_usage::Model {
            id: "member-usage-1".into(),
            subscription_id: subscription.id.clone(),
            user_id: user.id.clone(),
            window_start_unix: 1_795_000_000,
            calls_used: 4,
        }
    );
    round_trip!(
        db,
        organization_invitations,
        organization_invitations::Model {
            id: "invitation-1".into(),
            organization_id: org.id.clone(),
            email: "new@example.com".into(),
            role: Role::Admin,
            token_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            expires_at: at(9),
            accepted_at: Some(at(10)),
            accepted_by: Some(user.id.clone()),
            revoked_at: Some(at(11)),
            created_by: Some(user.id.clone()),
            created_at: at(12),
        }
    );
    round_trip!(
        db,
        tasks,
        tasks::Model {
            id: "task-1".into(),
            user_id: user.id.clone(),
            agent_id: agent.id.clone(),
            status: TaskStatus::Failed,
            input: json!({"text": "hi"}),
            output: Some(json!({"partial": true})),
            error: Some("boom".into()),
            created_at: at(7),
            started_at: Some(at(8)),
            finished_at: Some(at(9)),
        }
    );
    round_trip!(
        db,
        logs,
        logs::Model {
            id: "log-1".into(),
            actor_id: Some(user.id.clone()),
            action: "license.grant".into(),
            target_type: "license".into(),
            target_id: Some("lic-1".into()),
            before: Some(json!(null)),
            after: Some(json!({"status": "active"})),
            ip: Some("203.0.113.7".into()),
            created_at: at(10),
        }
    );
    let key = round_trip!(
        db,
        api_keys,
        api_keys::Model {
            id: "key-1".into(),
            user_id: user.id.clone(),
            name: "ci".into(),
            prefix: "abw_1234abcd".into(),
            key_hash: "sha256:abcdef".into(),
            agent_id: Some(agent.id.clone()),
            expires_at: Some(at(11)),
            last_used_at: Some(at(12)),
            revoked_at: Some(at(13)),
            created_at: at(14),
        }
    );
    round_trip!(
        db,
        modules,
        modules::Model {
            id: "mod-1".into(),
            slug: "echo".into(),
            module_name: "agents.echo".into(),
            agent_id: Some(agent.id.clone()),
            schema_hash: "deadbeef".into(),
            discovered_at: at(15),
            last_seen_at: at(16),
            available: false,
        }
    );
    let license = round_trip!(
        db,
        user_agent_licenses,
        user_agent_licenses::Model {
            id: "lic-1".into(),
            user_id: user.id.clone(),
            agent_id: agent.id.clone(),
            api_call_limit: -1,
            api_calls_used: 42,
            status: LicenseStatus::Suspended,
            granted_by: Some(user.id.clone()),
            granted_at: at(17),
            expires_at: Some(at(18)),
            updated_at: at(19),
            quota_window: QuotaWindow::Month,
            window_time_zone: "Europe/Berlin".into(),
            reset_day: 28,
            burst_per_second: Some(50),
            window_start_unix: 1_793_487_600,
            top_up_calls: 9_000_000_000,
            top_up_expires_at: Some(at(22)),
            burst_second_unix: 1_795_000_000,
            burst_count: 7,
        }
    );
    round_trip!(
        db,
        module_executions,
        module_executions::Model {
            id: "exec-1".into(),
            user_id: user.id.clone(),
            agent_id: agent.id.clone(),
            license_id: Some(license.id.clone()),
            api_key_id: Some(key.id.clone()),
            input: json!({"text": "hi"}),
            output: Some(json!({"text": "hi"})),
            status: ExecutionStatus::Succeeded,
            duration_ms: Some(1_234),
            error_code: Some("AGENT_TIMEOUT".into()),
            error_message: Some("slow".into()),
            created_at: at(20),
            finished_at: Some(at(21)),
            window_start_unix: Some(1_795_000_000),
            lease_owner: Some("instance-1".into()),
            lease_expires_at: Some(at(22)),
            mode: ExecutionMode::Background,
            progress_done: Some(5),
            progress_total: Some(10),
            progress_message: Some("Scored 5 of 10".into()),
            started_at: Some(at(20)),
            attempts: 2,
            cancel_requested: true,
            run_input: Some(json!({"text": "hi"})),
            subscription_id: Some(subscription.id.clone()),
        }
    );
    round_trip!(
        db,
        run_events,
        run_events::Model {
            id: "run-event-1".into(),
            run_id: "exec-1".into(),
            seq: 1,
            kind: RunEventKind::Progress,
            data: json!({"done": 5, "total": 10}),
            created_at: at(21),
        }
    );
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    round_trip!(
        db,
        resource_usage,
        resource_usage::Model {
            id: "usage-1".into(),
            user_id: user.id.clone(),
            agent_id: agent.id.clone(),
            day,
            calls: 10,
            successes: 8,
            failures: 2,
            total_duration_ms: 9_000_000_000,
        }
    );
    round_trip!(
        db,
        api_usage_tracking,
        api_usage_tracking::Model {
            id: "track-1".into(),
            user_id: Some(user.id.clone()),
            agent_id: Some(agent.id.clone()),
            api_key_id: Some(key.id.clone()),
            endpoint: "/api/agents/agent-1/execute".into(),
            method: "POST".into(),
            status_code: 429,
            duration_ms: 12,
            error: Some("QUOTA_EXCEEDED".into()),
            created_at: at(22),
        }
    );
    round_trip!(
        db,
        agent_access_requests,
        agent_access_requests::Model {
            id: "req-1".into(),
            user_id: user.id.clone(),
            agent_id: agent.id.clone(),
            request_reason: "I need it".into(),
            status: AccessRequestStatus::Rejected,
            requested_at: at(23),
            reviewed_by: Some(user.id.clone()),
            reviewed_at: Some(at(24)),
            review_note: Some("Not yet".into()),
            kind: AccessRequestKind::Increase,
            requested_calls: Some(5_000_000_000),
            organization_id: Some(org.id.clone()),
        }
    );
    round_trip!(
        db,
        error_logs,
        error_logs::Model {
            id: "err-1".into(),
            error_type: "agent_failure".into(),
            code: "AGENT_FAILED".into(),
            message: "the agent raised".into(),
            stack_trace: Some("Traceback (most recent call last): ...".into()),
            severity: Severity::Critical,
            user_id: Some(user.id.clone()),
            agent_id: Some(agent.id.clone()),
            request_id: Some("req-abc".into()),
            context: Some(json!({"attempt": 1})),
            resolved: true,
            resolved_by: Some(user.id.clone()),
            resolved_at: Some(at(25)),
            resolution_note: Some("fixed".into()),
            created_at: at(26),
        }
    );
    round_trip!(
        db,
        tower_sessions,
        tower_sessions::Model {
            id: "c2Vzc2lvbi1pZA".into(),
            data: vec![0, 159, 146, 150, 255],
            expiry_date: at(27),
        }
    );
    round_trip!(
        db,
        login_attempts,
        login_attempts::Model {
            id: "attempt-1".into(),
            email: "one@example.com".into(),
            ip: "203.0.113.7".into(),
            succeeded: false,
            created_at: at(28),
        }
    );
    round_trip!(
        db,
        registration_attempts,
        registration_attempts::Model {
            id: "registration-1".into(),
            ip: "203.0.113.7".into(),
            created_at: at(28),
        }
    );
    round_trip!(
        db,
        notifications,
        notifications::Model {
            id: "note-1".into(),
            user_id: user.id.clone(),
            kind: EventType::LicenseGranted,
            title: "Access granted".into(),
            body: "You can now run Echo.".into(),
            link: Some("/agents/echo".into()),
            read_at: Some(at(29)),
            created_at: at(30),
            event_id: None,
        }
    );

    // Relations resolve in both directions.
    let licenses = user
        .find_related(user_agent_licenses::Entity)
        .all(db)
        .await
        .unwrap();
    assert_eq!(licenses, vec![license.clone()]);
    let owner = license
        .find_related(users::Entity)
        .one(db)
        .await
        .unwrap()
        .expect("the license has a user");
    assert_eq!(owner.id, user.id);
    let executions = agent
        .find_related(module_executions::Entity)
        .all(db)
        .await
        .unwrap();
    assert_eq!(executions.len(), 1);
    let with_org = users::Entity::find_by_id(user.id.clone())
        .find_also_related(organizations::Entity)
        .one(db)
        .await
        .unwrap()
        .expect("the user is there");
    assert_eq!(with_org.1.map(|o| o.id), Some(org.id.clone()));

    // Enumerations filter as the text the partial indexes name.
    let live = user_agent_licenses::Entity::find()
        .filter(
            user_agent_licenses::Column::Status
                .is_in([LicenseStatus::Active, LicenseStatus::Suspended]),
        )
        .all(db)
        .await
        .unwrap();
    assert_eq!(live.len(), 1);
    // Dates compare as dates on both databases.
    let rows = resource_usage::Entity::find()
        .filter(resource_usage::Column::Day.gte(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()))
        .filter(resource_usage::Column::Day.lt(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()))
        .all(db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    // Timestamps compare as instants on both databases.
    let recent = module_executions::Entity::find()
        .filter(module_executions::Column::CreatedAt.gte(at(20)))
        .filter(module_executions::Column::CreatedAt.lt(at(21)))
        .all(db)
        .await
        .unwrap();
    assert_eq!(recent.len(), 1);
}

#[tokio::test]
async fn every_entity_writes_and_reads_back_a_full_row_on_sqlite() {
    on_sqlite(every_entity_round_trips).await;
}

#[tokio::test]
async fn every_entity_writes_and_reads_back_a_full_row_on_postgres() {
    on_postgres(
        "every_entity_writes_and_reads_back_a_full_row_on_postgres",
        every_entity_round_trips,
    )
    .await;
}

#[test]
fn enumerations_store_and_serialise_as_their_snake_case_text() {
    fn check<E>(all: impl IntoIterator<Item = E>, as_str: fn(&E) -> &'static str)
    where
        E: ActiveEnum<Value = String> + serde::Serialize + serde::de::DeserializeOwned,
        E: PartialEq + std::fmt::Debug + std::fmt::Display,
    {
        for variant in all {
            let text = as_str(&variant);
            assert_eq!(variant.to_value(), text);
            assert_eq!(variant.to_string(), text);
            assert!(text.len() <= 32, "{text} fits varchar(32)");
            assert_eq!(serde_json::to_value(&variant).unwrap(), json!(text));
            let back: E = serde_json::from_value(json!(text)).unwrap();
            assert_eq!(back, variant);
            assert_eq!(E::try_from_value(&text.to_owned()).unwrap(), variant);
        }
    }
    use sea_orm::Iterable;
    check(Role::iter(), |v| v.as_str());
    check(LicenseStatus::iter(), |v| v.as_str());
    check(AccessRequestStatus::iter(), |v| v.as_str());
    check(Severity::iter(), |v| v.as_str());
    check(ExecutionStatus::iter(), |v| v.as_str());
    check(TaskStatus::iter(), |v| v.as_str());
    check(AgentStatus::iter(), |v| v.as_str());
    assert_eq!(Role::SuperAdmin.as_str(), "super_admin");
    assert_eq!(Value::from(LicenseStatus::Active), Value::from("active"));
}

#[test]
fn models_serialise_in_camel_case_without_secrets() {
    let user = users::Model {
        id: "user-1".into(),
        organization_id: "org-1".into(),
        email: "one@example.com".into(),
        name: "One".into(),
        password_hash: "$argon2id$secret".into(),
        role: Role::Member,
        disabled: false,
        created_at: at(0),
        updated_at: at(0),
        last_login_at: None,
    };
    let json = serde_json::to_value(&user).unwrap();
    assert_eq!(json["organizationId"], "org-1");
    assert_eq!(json["role"], "member");
    assert!(json.get("passwordHash").is_none());
    assert!(!json.to_string().contains("argon2id"));
    assert_eq!(json["createdAt"], "2026-11-25T09:00:07.123456Z");
}
