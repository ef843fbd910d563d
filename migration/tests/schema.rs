//! The schema on both databases: migrations go up, down and up again; the constraints the
//! business relies on (one live license, one pending request, case-insensitive emails, counters
//! that cannot go negative, history that keeps its agent) hold in the database itself.

mod common;

use common::*;
use migration::sea_orm::{DatabaseConnection, DbBackend};
use migration::{raw_indexes, Migrator, MigratorTrait, SchemaManager, TABLES};

/// Our tables, sorted (the migration bookkeeping table left out).
async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
             AND tablename <> 'seaql_migrations'"
        }
    };
    sorted(strings(db, sql).await)
}

/// Every table and index of ours, sorted: what `down` must leave exactly as `up` found it.
async fn schema_objects(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('table', 'index') \
             AND name NOT LIKE 'sqlite_%' AND tbl_name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT o FROM ( \
               SELECT 'table ' || tablename AS o FROM pg_tables \
                 WHERE schemaname = current_schema() AND tablename <> 'seaql_migrations' \
               UNION ALL \
               SELECT 'index ' || indexname AS o FROM pg_indexes \
                 WHERE schemaname = current_schema() AND tablename <> 'seaql_migrations' \
             ) objects"
        }
    };
    sorted(strings(db, sql).await)
}

/// Sorted in Rust: PostgreSQL's collation may order underscores differently.
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

fn all_tables_sorted() -> Vec<String> {
    let mut expected: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
    expected.sort();
    expected
}

async fn assert_full_schema(db: &DatabaseConnection) {
    assert_eq!(tables(db).await, all_tables_sorted());
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert!(manager.has_table(table).await.unwrap(), "{table} exists");
    }
    for (table, index) in [
        ("users", raw_indexes::USERS_EMAIL_LOWER),
        ("users", "ux_users_email"),
        ("user_agent_licenses", raw_indexes::LIVE_LICENSE),
        ("agent_access_requests", raw_indexes::PENDING_ACCESS_REQUEST),
        ("resource_usage", "ux_resource_usage_user_agent_day"),
        (
            "agent_subscriptions",
            "ux_agent_subscriptions_organization_agent",
        ),
        ("api_keys", "ux_api_keys_key_hash"),
        ("tower_sessions", "idx_tower_sessions_expiry_date"),
        (
            "subscription_member_usage",
            "ux_subscription_member_usage_subscription_id_user_id",
        ),
        (
            "organization_invitations",
            "ux_organization_invitations_token_hash",
        ),
    ] {
        assert!(
            manager.has_index(table, index).await.unwrap(),
            "{index} exists on {table}"
        );
    }
    assert!(
        Migrator::get_pending_migrations(db)
            .await
            .unwrap()
            .is_empty(),
        "nothing is left pending"
    );
}

async fn up_down_and_up_again(db: DatabaseConnection) {
    Migrator::up(&db, None).await.expect("migrations go up");
    assert_full_schema(&db).await;

    Migrator::up(&db, None)
        .await
        .expect("going up again is a no-op");

    Migrator::down(&db, None)
        .await
        .expect("migrations go all the way down");
    assert_eq!(schema_objects(&db).await, Vec::<String>::new());
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        Migrator::migrations().len()
    );

    Migrator::up(&db, None)
        .await
        .expect("migrations go up again");
    assert_full_schema(&db).await;

    Migrator::reset(&db)
        .await
        .expect("reset rolls everything back");
    assert_eq!(schema_objects(&db).await, Vec::<String>::new());
    assert!(!SchemaManager::new(&db)
        .has_table("seaql_migrations")
        .await
        .unwrap());

    Migrator::up(&db, None)
        .await
        .expect("migrations go up after a reset");
    assert_full_schema(&db).await;
}

/// Goes up one migration at a time, then down one at a time: each `down` must leave exactly the
/// tables and indexes that were there before its `up`.
async fn each_down_undoes_its_up(db: DatabaseConnection) {
    let steps = Migrator::migrations().len();
    let mut states = vec![schema_objects(&db).await];
    for _ in 0..steps {
        Migrator::up(&db, Some(1)).await.expect("one step up");
        states.push(schema_objects(&db).await);
    }
    assert_eq!(tables(&db).await, all_tables_sorted());
    for step in (0..steps).rev() {
        let name = Migrator::migrations()[step].name().to_owned();
        Migrator::down(&db, Some(1)).await.expect("one step down");
        assert_eq!(
            schema_objects(&db).await,
            states[step],
            "rolling back {name} restores the schema before it"
        );
    }
}

/// One organisation, three users, two agents, through the columns' defaults where they have one.
async fn seed(db: &DatabaseConnection) {
    exec(
        db,
        "INSERT INTO organizations (id, name, slug, created_at) \
         VALUES ('org-1', 'Acme', 'acme', CURRENT_TIMESTAMP)",
    )
    .await;
    for (id, email, role) in [
        ("user-1", "one@example.com", "member"),
        ("user-2", "two@example.com", "member"),
        ("admin-1", "root@example.com", "super_admin"),
    ] {
        exec(
            db,
            &format!(
                "INSERT INTO users (id, organization_id, email, name, password_hash, role, \
                 created_at, updated_at) VALUES ('{id}', 'org-1', '{email}', '{id}', 'hash', \
                 '{role}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
        )
        .await;
    }
    for (id, slug) in [("agent-1", "echo"), ("agent-2", "summarise")] {
        exec(
            db,
            &format!(
                "INSERT INTO agent_catalog (id, slug, name, short_description, long_description, \
                 category, features, input_schema, output_schema, version, created_at, updated_at) \
                 VALUES ('{id}', '{slug}', '{slug}', 'short', 'long', 'text', '[\"fast\"]', \
                 '{{\"type\": \"object\"}}', '{{}}', '1.0.0', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
        )
        .await;
    }
}

fn license(id: &str, user: &str, agent: &str, status: &str) -> String {
    format!(
        "INSERT INTO user_agent_licenses (id, user_id, agent_id, api_call_limit, status, \
         granted_by, granted_at, updated_at) VALUES ('{id}', '{user}', '{agent}', 100, \
         '{status}', 'admin-1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
}

fn access_request(id: &str, user: &str, agent: &str, status: &str) -> String {
    format!(
        "INSERT INTO agent_access_requests (id, user_id, agent_id, request_reason, status, \
         requested_at) VALUES ('{id}', '{user}', '{agent}', 'I need it', '{status}', \
         CURRENT_TIMESTAMP)"
    )
}

async fn partial_unique_indexes_hold(db: DatabaseConnection) {
    Migrator::up(&db, None).await.unwrap();
    seed(&db).await;

    // Licenses: one live (active or suspended) per user and agent; revoked ones are history.
    exec(&db, &license("lic-1", "user-1", "agent-1", "active")).await;
    assert_unique_violation(
        try_exec(&db, &license("lic-2", "user-1", "agent-1", "active")).await,
        "a second active license for the same user and agent",
    );
    assert_unique_violation(
        try_exec(&db, &license("lic-2", "user-1", "agent-1", "suspended")).await,
        "a suspended license beside an active one",
    );
    exec(&db, &license("lic-3", "user-1", "agent-1", "revoked")).await;
    exec(&db, &license("lic-4", "user-1", "agent-1", "revoked")).await;
    exec(&db, &license("lic-5", "user-2", "agent-1", "active")).await;
    exec(&db, &license("lic-6", "user-1", "agent-2", "suspended")).await;
    assert_unique_violation(
        try_exec(
            &db,
            "UPDATE user_agent_licenses SET status = 'active' WHERE id = 'lic-3'",
        )
        .await,
        "reviving a revoked license beside a live one",
    );
    exec(
        &db,
        "UPDATE user_agent_licenses SET status = 'revoked' WHERE id = 'lic-1'",
    )
    .await;
    exec(&db, &license("lic-7", "user-1", "agent-1", "active")).await;
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM user_agent_licenses WHERE user_id = 'user-1' AND agent_id = 'agent-1'"
        )
        .await,
        4
    );

    // Access requests: one pending per user and agent; reviewed ones are history.
    exec(
        &db,
        &access_request("req-1", "user-1", "agent-1", "pending"),
    )
    .await;
    assert_unique_violation(
        try_exec(
            &db,
            &access_request("req-2", "user-1", "agent-1", "pending"),
        )
        .await,
        "a second pending request for the same user and agent",
    );
    exec(
        &db,
        &access_request("req-2", "user-1", "agent-1", "rejected"),
    )
    .await;
    exec(
        &db,
        &access_request("req-3", "user-1", "agent-1", "approved"),
    )
    .await;
    exec(
        &db,
        &access_request("req-4", "user-2", "agent-1", "pending"),
    )
    .await;
    exec(
        &db,
        &access_request("req-5", "user-1", "agent-2", "pending"),
    )
    .await;
    exec(
        &db,
        "UPDATE agent_access_requests SET status = 'rejected' WHERE id = 'req-1'",
    )
    .await;
    exec(
        &db,
        &access_request("req-6", "user-1", "agent-1", "pending"),
    )
    .await;
}

async fn other_constraints_hold(db: DatabaseConnection) {
    Migrator::up(&db, None).await.unwrap();
    seed(&db).await;

    // Defaults fill what the seed left out.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM users WHERE disabled = FALSE AND last_login_at IS NULL"
        )
        .await,
        3
    );
    assert_eq!(
        strings(&db, "SELECT status FROM agent_catalog WHERE id = 'agent-1'").await,
        ["available"]
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM agent_catalog WHERE published = FALSE AND price_cents = 0"
        )
        .await,
        2
    );

    // Emails: unique, and unique again after lower() as a second line of defence.
    assert_unique_violation(
        try_exec(
            &db,
            "INSERT INTO users (id, organization_id, email, name, password_hash, created_at, \
             updated_at) VALUES ('user-9', 'org-1', 'One@Example.com', 'x', 'h', \
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )
        .await,
        "an email that differs only in case",
    );

    // Counters.
    exec(&db, &license("lic-1", "user-1", "agent-1", "active")).await;
    assert_check_violation(
        try_exec(
            &db,
            "UPDATE user_agent_licenses SET api_calls_used = -1 WHERE id = 'lic-1'",
        )
        .await,
        "a negative call counter",
    );
    assert_check_violation(
        try_exec(
            &db,
            "UPDATE user_agent_licenses SET api_call_limit = -2 WHERE id = 'lic-1'",
        )
        .await,
        "a limit below -1",
    );
    exec(
        &db,
        "UPDATE user_agent_licenses SET api_call_limit = -1 WHERE id = 'lic-1'",
    )
    .await;
    assert_check_violation(
        try_exec(
            &db,
            "UPDATE agent_catalog SET price_cents = -1 WHERE id = 'agent-1'",
        )
        .await,
        "a negative price",
    );

    // The conditional UPDATE the gateway admits calls with: never past the limit.
    exec(
        &db,
        "UPDATE user_agent_licenses SET api_call_limit = 1 WHERE id = 'lic-1'",
    )
    .await;
    let admit = "UPDATE user_agent_licenses SET api_calls_used = api_calls_used + 1 \
                 WHERE id = 'lic-1' AND status = 'active' \
                 AND (api_call_limit = -1 OR api_calls_used < api_call_limit)";
    exec(&db, admit).await;
    exec(&db, admit).await;
    assert_eq!(
        count(
            &db,
            "SELECT api_calls_used FROM user_agent_licenses WHERE id = 'lic-1'"
        )
        .await,
        1
    );

    // Daily roll-ups: one row per user, agent and day, upserted.
    let upsert = "INSERT INTO resource_usage (id, user_id, agent_id, day, calls, successes) \
                  VALUES ('usage-1', 'user-1', 'agent-1', '2026-11-25', 1, 1) \
                  ON CONFLICT (user_id, agent_id, day) DO UPDATE \
                  SET calls = resource_usage.calls + 1, successes = resource_usage.successes + 1";
    exec(&db, upsert).await;
    exec(&db, &upsert.replace("usage-1", "usage-2")).await;
    assert_eq!(
        count(
            &db,
            "SELECT calls FROM resource_usage WHERE day = '2026-11-25' AND user_id = 'user-1'"
        )
        .await,
        2
    );
}

async fn foreign_keys_hold(db: DatabaseConnection) {
    Migrator::up(&db, None).await.unwrap();
    seed(&db).await;

    assert_foreign_key_violation(
        try_exec(&db, &license("lic-x", "nobody", "agent-1", "active")).await,
        "a license for an unknown user",
    );

    exec(&db, &license("lic-1", "user-1", "agent-1", "active")).await;
    exec(
        &db,
        "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) \
         VALUES ('key-1', 'user-1', 'ci', 'abw_12345678', 'hash-1', CURRENT_TIMESTAMP)",
    )
    .await;
    exec(
        &db,
        "INSERT INTO module_executions (id, user_id, agent_id, license_id, api_key_id, input, \
         status, created_at) VALUES ('exec-1', 'user-1', 'agent-1', 'lic-1', 'key-1', '{}', \
         'succeeded', CURRENT_TIMESTAMP)",
    )
    .await;
    exec(
        &db,
        "INSERT INTO logs (id, actor_id, action, target_type, target_id, created_at) \
         VALUES ('log-1', 'user-1', 'license.grant', 'license', 'lic-1', CURRENT_TIMESTAMP)",
    )
    .await;

    // History keeps its agent.
    assert_foreign_key_violation(
        try_exec(&db, "DELETE FROM agent_catalog WHERE id = 'agent-1'").await,
        "deleting an agent that has executions",
    );
    // An agent without history goes, and its licenses with it.
    exec(&db, &license("lic-2", "user-1", "agent-2", "active")).await;
    exec(&db, "DELETE FROM agent_catalog WHERE id = 'agent-2'").await;
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM user_agent_licenses WHERE id = 'lic-2'"
        )
        .await,
        0
    );

    // A revoked key that is deleted leaves the execution, without its key.
    exec(&db, "DELETE FROM api_keys WHERE id = 'key-1'").await;
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM module_executions WHERE id = 'exec-1' AND api_key_id IS NULL"
        )
        .await,
        1
    );

    // Deleting a user takes their own rows; the audit trail stays, without its actor.
    exec(&db, "DELETE FROM users WHERE id = 'user-1'").await;
    for table in ["user_agent_licenses", "module_executions"] {
        assert_eq!(
            count(
                &db,
                &format!("SELECT COUNT(*) FROM {table} WHERE user_id = 'user-1'")
            )
            .await,
            0,
            "{table} rows of a deleted user go with them"
        );
    }
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM logs WHERE id = 'log-1' AND actor_id IS NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again_on_sqlite() {
    on_sqlite(up_down_and_up_again).await;
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again_on_postgres() {
    on_postgres(
        "migrations_go_up_down_and_up_again_on_postgres",
        up_down_and_up_again,
    )
    .await;
}

#[tokio::test]
async fn each_migration_down_undoes_exactly_its_up_on_sqlite() {
    on_sqlite(each_down_undoes_its_up).await;
}

#[tokio::test]
async fn each_migration_down_undoes_exactly_its_up_on_postgres() {
    on_postgres(
        "each_migration_down_undoes_exactly_its_up_on_postgres",
        each_down_undoes_its_up,
    )
    .await;
}

#[tokio::test]
async fn one_live_license_and_one_pending_request_per_user_and_agent_on_sqlite() {
    on_sqlite(partial_unique_indexes_hold).await;
}

#[tokio::test]
async fn one_live_license_and_one_pending_request_per_user_and_agent_on_postgres() {
    on_postgres(
        "one_live_license_and_one_pending_request_per_user_and_agent_on_postgres",
        partial_unique_indexes_hold,
    )
    .await;
}

#[tokio::test]
async fn emails_counters_prices_and_daily_rollups_are_constrained_on_sqlite() {
    on_sqlite(other_constraints_hold).await;
}

#[tokio::test]
async fn emails_counters_prices_and_daily_rollups_are_constrained_on_postgres() {
    on_postgres(
        "emails_counters_prices_and_daily_rollups_are_constrained_on_postgres",
        other_constraints_hold,
    )
    .await;
}

#[tokio::test]
async fn foreign_keys_cascade_restrict_and_set_null_as_designed_on_sqlite() {
    on_sqlite(foreign_keys_hold).await;
}

#[tokio::test]
async fn foreign_keys_cascade_restrict_and_set_null_as_designed_on_postgres() {
    on_postgres(
        "foreign_keys_cascade_restrict_and_set_null_as_designed_on_postgres",
        foreign_keys_hold,
    )
    .await;
}
