//! The benchmark's data, written straight to the database before the server starts: the
//! stand-in's catalog, users in batches with one shared password hash (one argon2id hash, not
//! ten thousand), and keys and licenses through the core as an admin would make them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use abetworks::agent_client::AgentClient;
use abetworks::api_keys::{create_key, NewKey};
use abetworks::config::Secret;
use abetworks::entities::enums::Role;
use abetworks::entities::{organizations, user_agent_licenses, users};
use abetworks::licenses::{grant, GrantLicense};
use abetworks::Actor;
use chrono::Utc;
use futures_util::{stream, StreamExt};
use sea_orm::{DatabaseConnection, EntityTrait, Set, TransactionTrait};

use crate::settings::Settings;

/// Users written per statement: well under SQLite's and PostgreSQL's bound-parameter limits.
const USERS_PER_BATCH: usize = 500;

/// A user who calls the gateway with an API key under a license of the `echo` agent.
pub struct Caller {
    pub email: String,
    pub key: String,
    pub license_id: String,
}

pub struct Seeded {
    /// The catalog id of the `echo` agent, which every gateway scenario runs.
    pub echo_id: String,
    /// One user whose one license takes every call of its scenario.
    pub hot: Caller,
    /// The licenses the spread scenario calls over, one user each.
    pub spread: Vec<Caller>,
    /// Members without a key or a license, who sign in.
    pub others: Vec<String>,
}

/// Seeds the database for `settings`: the catalog of the agent service at `agent_url`
/// (every agent published), the users, keys and licenses; every outbox event dispatched, so
/// no fan-out runs in the server while it is measured. Every user's password is
/// `common::PASSWORD`, hashed as `password_hash`.
pub async fn seed(
    db: &DatabaseConnection,
    agent_url: &str,
    settings: &Settings,
    password_hash: &str,
) -> Seeded {
    let started = Instant::now();
    let agents = AgentClient::new(
        agent_url.parse().expect("the stand-in's URL"),
        Secret::new("test-shared-secret-0123456789"),
        Duration::from_secs(2),
        Duration::from_secs(30),
    )
    .expect("an agent client");
    abetworks::catalog::sync_from_service(db, &agents, true)
        .await
        .expect("the stand-in's catalog syncs");
    // Told now, while there are no users: `agent.published` notifies every active user, and
    // 500 of them told to 10 000 users would be five million rows before the run starts.
    abetworks::outbox::dispatch::dispatch_all(db, false)
        .await
        .expect("the catalog's events are dispatched");
    let echo_id = abetworks::catalog::find_agent(db, "echo")
        .await
        .expect("the catalog reads")
        .expect("the echo agent is listed")
        .id;

    let admin = insert_users(db, "bench-admin", 1, Role::SuperAdmin, password_hash).await;
    let admin = Actor::new(&admin[0], None, None);
    let mut members = insert_users(
        db,
        "bench-user",
        settings.users,
        Role::Member,
        password_hash,
    )
    .await;
    let others = members.split_off(settings.licenses + 1);
    let hot = keyed_license(db, &admin, &members[0], &echo_id, settings.hot_limit()).await;
    let spread = stream::iter(&members[1..])
        .map(|user| keyed_license(db, &admin, user, &echo_id, settings.spread_limit()))
        .buffered(8)
        .collect()
        .await;
    abetworks::outbox::dispatch::dispatch_all(db, false)
        .await
        .expect("the grants' events are dispatched");
    println!(
        "  seeded {} agents, {} users, {} keys and licenses in {:.1} s",
        settings.agents,
        settings.users + 1,
        settings.licenses + 1,
        started.elapsed().as_secs_f64()
    );
    Seeded {
        echo_id,
        hot,
        spread,
        others: others.into_iter().map(|user| user.email).collect(),
    }
}

/// `count` users of `role` named `{prefix}-{n}@example.com`, each in a personal organisation
/// as registration makes them, written in batches.
async fn insert_users(
    db: &DatabaseConnection,
    prefix: &str,
    count: usize,
    role: Role,
    password_hash: &str,
) -> Vec<users::Model> {
    let now = Utc::now();
    let all: Vec<users::Model> = (0..count)
        .map(|n| users::Model {
            id: abetworks::ids::new_id(),
            organization_id: abetworks::ids::new_id(),
            email: format!("{prefix}-{n}@example.com"),
            name: format!("Bench user {n}"),
            password_hash: password_hash.to_owned(),
            role,
            disabled: false,
            created_at: now,
            updated_at: now,
            last_login_at: None,
        })
        .collect();
    for batch in all.chunks(USERS_PER_BATCH) {
        let organizations = batch.iter().map(|user| organizations::ActiveModel {
            id: Set(user.organization_id.clone()),
            name: Set(format!("{}'s organisation", user.name)),
            slug: Set(format!("personal-{}", user.organization_id)),
            created_at: Set(now),
            personal: Set(true),
        });
        let users = batch.iter().map(|user| users::ActiveModel {
            id: Set(user.id.clone()),
            organization_id: Set(user.organization_id.clone()),
            email: Set(user.email.clone()),
            name: Set(user.name.clone()),
            password_hash: Set(user.password_hash.clone()),
            role: Set(user.role),
            disabled: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            last_login_at: Set(None),
        });
        let txn = db.begin().await.expect("a transaction");
        organizations::Entity::insert_many(organizations)
            .exec_without_returning(&txn)
            .await
            .expect("the organisations are written");
        users::Entity::insert_many(users)
            .exec_without_returning(&txn)
            .await
            .expect("the users are written");
        txn.commit().await.expect("the users are committed");
    }
    all
}

/// An API key of `user` and a license of `agent_id` with `limit` calls, granted by `admin`.
async fn keyed_license(
    db: &DatabaseConnection,
    admin: &Actor,
    user: &users::Model,
    agent_id: &str,
    limit: i64,
) -> Caller {
    let new_key = NewKey {
        name: "bench",
        agent_id: None,
        expires_at: None,
    };
    let key = create_key(db, &Actor::new(user, None, None), new_key)
        .await
        .expect("a key is created")
        .secret;
    let license = GrantLicense {
        user_id: user.id.clone(),
        agent_id: agent_id.to_owned(),
        api_call_limit: limit,
        expires_at: None,
        plan: Default::default(),
    };
    let license_id = grant(db, admin, license)
        .await
        .expect("a license is granted")
        .id;
    Caller {
        email: user.email.clone(),
        key,
        license_id,
    }
}

/// Every license's `api_calls_used`, by license id.
pub async fn calls_used(db: &DatabaseConnection) -> HashMap<String, i64> {
    user_agent_licenses::Entity::find()
        .all(db)
        .await
        .expect("the licenses are read")
        .into_iter()
        .map(|license| (license.id, license.api_calls_used))
        .collect()
}
