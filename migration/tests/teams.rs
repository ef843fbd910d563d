//! The teams migration on both databases: rows that existed before it read as personal
//! organisations and unlimited lifetime pools; a member has one usage row per pool; an
//! invitation token is unique; deleting an organisation or a user takes what hangs off it.

mod common;

use common::*;
use migration::sea_orm::DatabaseConnection;
use migration::{Migrator, MigratorTrait};

const TEAMS: &str = "m20261220_000023_teams";

/// Migrates up to the migration before the teams one.
async fn up_to_before_teams(db: &DatabaseConnection) {
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == TEAMS)
        .expect("the teams migration is listed");
    let before = u32::try_from(before).expect("a few migrations");
    Migrator::up(db, Some(before))
        .await
        .expect("migrations up to teams");
}

/// An organisation, a user, an agent, a subscription, an execution and an access request
/// made before the teams migration.
async fn seed_before_teams(db: &DatabaseConnection) {
    for sql in [
        "INSERT INTO organizations (id, name, slug, created_at) \
         VALUES ('org-1', 'Acme', 'acme', CURRENT_TIMESTAMP)",
        "INSERT INTO users (id, organization_id, email, name, password_hash, role, created_at, \
         updated_at) VALUES ('user-1', 'org-1', 'one@example.com', 'One', 'hash', 'admin', \
         CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO agent_catalog (id, slug, name, short_description, long_description, \
         category, features, input_schema, output_schema, version, created_at, updated_at) \
         VALUES ('agent-1', 'echo', 'Echo', 'short', 'long', 'text', '[]', '{}', '{}', '1.0.0', \
         CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO agent_subscriptions (id, organization_id, agent_id, activated_by, \
         created_at) VALUES ('sub-1', 'org-1', 'agent-1', 'user-1', CURRENT_TIMESTAMP)",
        "INSERT INTO module_executions (id, user_id, agent_id, input, status, created_at) \
         VALUES ('exec-1', 'user-1', 'agent-1', '{}', 'succeeded', CURRENT_TIMESTAMP)",
        "INSERT INTO agent_access_requests (id, user_id, agent_id, request_reason, status, \
         requested_at) VALUES ('req-1', 'user-1', 'agent-1', 'please', 'pending', \
         CURRENT_TIMESTAMP)",
    ] {
        exec(db, sql).await;
    }
}

fn invitation(id: &str, token_hash: &str) -> String {
    format!(
        "INSERT INTO organization_invitations (id, organization_id, email, role, token_hash, \
         expires_at, accepted_by, created_by, created_at) VALUES ('{id}', 'org-1', \
         'new@example.com', 'member', '{token_hash}', CURRENT_TIMESTAMP, 'user-1', 'user-1', \
         CURRENT_TIMESTAMP)"
    )
}

async fn existing_rows_read_as_personal_and_unlimited(db: DatabaseConnection) {
    up_to_before_teams(&db).await;
    seed_before_teams(&db).await;
    Migrator::up(&db, None).await.expect("the teams migration");

    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM organizations WHERE personal = TRUE"
        )
        .await,
        1,
        "an organisation made before teams is personal"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM agent_subscriptions WHERE api_call_limit = -1 \
             AND api_calls_used = 0 AND quota_window = 'lifetime' AND window_time_zone = 'UTC' \
             AND reset_day = 1 AND window_start_unix = 0 AND member_cap IS NULL \
             AND expires_at IS NULL AND updated_at IS NULL"
        )
        .await,
        1,
        "a subscription made before teams is an unlimited lifetime pool"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM module_executions WHERE subscription_id IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM agent_access_requests WHERE organization_id IS NULL"
        )
        .await,
        1
    );
}

async fn member_usage_and_invitations_are_constrained(db: DatabaseConnection) {
    up_to_before_teams(&db).await;
    seed_before_teams(&db).await;
    Migrator::up(&db, None).await.expect("the teams migration");

    // One usage row per pool and member: the admission inserts it if missing, then updates it.
    let member_row = "INSERT INTO subscription_member_usage (id, subscription_id, user_id) \
                      VALUES ('usage-1', 'sub-1', 'user-1') \
                      ON CONFLICT (subscription_id, user_id) DO NOTHING";
    exec(&db, member_row).await;
    exec(&db, &member_row.replace("usage-1", "usage-2")).await;
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM subscription_member_usage WHERE calls_used = 0 \
             AND window_start_unix = 0"
        )
        .await,
        1
    );
    assert_unique_violation(
        try_exec(
            &db,
            "INSERT INTO subscription_member_usage (id, subscription_id, user_id) \
             VALUES ('usage-3', 'sub-1', 'user-1')",
        )
        .await,
        "a second usage row for the same pool and member",
    );

    exec(&db, &invitation("inv-1", "hash-1")).await;
    assert_unique_violation(
        try_exec(&db, &invitation("inv-2", "hash-1")).await,
        "a second invitation with the same token hash",
    );
    assert_foreign_key_violation(
        try_exec(
            &db,
            &invitation("inv-3", "hash-3").replace("'org-1'", "'no-such-org'"),
        )
        .await,
        "an invitation to an unknown organisation",
    );

    // A user who goes takes their usage rows; the invitations they sent or accepted stay.
    exec(&db, "DELETE FROM users WHERE id = 'user-1'").await;
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM subscription_member_usage").await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM organization_invitations WHERE accepted_by IS NULL \
             AND created_by IS NULL"
        )
        .await,
        1
    );

    // An organisation that goes takes its pools and invitations.
    exec(&db, "DELETE FROM organizations WHERE id = 'org-1'").await;
    for table in ["agent_subscriptions", "organization_invitations"] {
        assert_eq!(
            count(&db, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table} rows go with their organisation"
        );
    }
}

#[tokio::test]
async fn teams_migration_keeps_existing_rows_personal_and_unlimited_on_sqlite() {
    on_sqlite(existing_rows_read_as_personal_and_unlimited).await;
}

#[tokio::test]
async fn teams_migration_keeps_existing_rows_personal_and_unlimited_on_postgres() {
    on_postgres(
        "teams_migration_keeps_existing_rows_personal_and_unlimited_on_postgres",
        existing_rows_read_as_personal_and_unlimited,
    )
    .await;
}

#[tokio::test]
async fn teams_member_usage_and_invitations_are_unique_and_cascade_on_sqlite() {
    on_sqlite(member_usage_and_invitations_are_constrained).await;
}

#[tokio::test]
async fn teams_member_usage_and_invitations_are_unique_and_cascade_on_postgres() {
    on_postgres(
        "teams_member_usage_and_invitations_are_unique_and_cascade_on_postgres",
        member_usage_and_invitations_are_constrained,
    )
    .await;
}
