//! Load benchmark: many users calling the metered gateway at once, and sign-ins, against the
//! real server on 127.0.0.1 with a stand-in agent service. Prints figures; asserts exactness.
//!
//! `make bench` (release). Bounded: a fixed number of calls, a 10 s timeout per call, and a
//! deadline for the whole run. Knobs: BENCH_USERS (default 1000), BENCH_CALLS_PER_USER (12),
//! BENCH_LIMIT (10), BENCH_CONCURRENCY (64), BENCH_LOGINS (200), BENCH_BACKEND (sqlite or
//! postgres).

#![recursion_limit = "256"]

// The tests' helpers; the benchmark needs only a few of them.
#[path = "../tests/api/common/mod.rs"]
#[allow(dead_code)]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use abetworks::api_keys::{create_key, NewKey};
use abetworks::entities::enums::Role;
use abetworks::entities::user_agent_licenses;
use abetworks::licenses::{grant, GrantLicense};
use abetworks::testing::{Backend, TestDatabase};
use abetworks::users::{create_user, NewUser};
use abetworks::Actor;
use futures_util::{stream, StreamExt};
use sea_orm::EntityTrait;
use serde_json::json;

const DEADLINE: Duration = Duration::from_secs(600);

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `q` quantile of sorted durations, in milliseconds.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn report(label: &str, mut latencies: Vec<Duration>, elapsed: Duration) {
    latencies.sort();
    println!(
        "{label}: {} in {:.2} s = {:.0}/s; latency ms p50 {:.1}, p95 {:.1}, p99 {:.1}, max {:.1}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        quantile_ms(&latencies, 0.50),
        quantile_ms(&latencies, 0.95),
        quantile_ms(&latencies, 0.99),
        quantile_ms(&latencies, 1.0),
    );
}

/// This process's resident memory now and at its peak, in MiB (Linux).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn print_memory(when: &str) {
    let (rss, peak) = memory_mib();
    println!(
        "memory {when} (one process: server, stand-in and client): {rss:.0} MiB resident, \
         {peak:.0} MiB at peak"
    );
}

struct Member {
    id: String,
    email: String,
    key: String,
    license_id: String,
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let users = knob("BENCH_USERS", 1000);
    let calls_per_user = knob("BENCH_CALLS_PER_USER", 12);
    let limit = knob("BENCH_LIMIT", 10);
    let concurrency = knob("BENCH_CONCURRENCY", 64);
    let logins = knob("BENCH_LOGINS", 200).min(users);
    let backend = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let database = TestDatabase::create(backend)
        .await
        .expect("the benchmark database is reachable");
    let agents = common::stand_in::start().await;
    let app = common::spawn_app_with(database, &agents).await;
    let db = app.state.db.clone();
    abetworks::catalog::sync_from_service(&db, &app.state.agents, true)
        .await
        .expect("the stand-in catalog syncs");
    let echo = abetworks::catalog::find_agent(&db, "echo")
        .await
        .expect("the catalog reads")
        .expect("the echo agent is listed")
        .id;
    let admin = create_user(
        &db,
        NewUser {
            email: "bench-admin@example.com",
            name: "Bench admin",
            password: common::PASSWORD,
            role: Role::SuperAdmin,
        },
    )
    .await
    .expect("the admin is created");
    println!(
        "backend {backend:?}: {users} users x {calls_per_user} calls, limit {limit} each, \
         {concurrency} at once"
    );

    // Users, keys and licenses through the core, as the admin would make them.
    let setup = Instant::now();
    let members: Vec<Member> = stream::iter(0..users)
        .map(|i| {
            let (db, admin, echo) = (db.clone(), Actor::new(&admin, None, None), echo.clone());
            async move {
                let email = format!("bench-{i}@example.com");
                let user = create_user(
                    &db,
                    NewUser {
                        email: &email,
                        name: "Bench user",
                        password: common::PASSWORD,
                        role: Role::Member,
                    },
                )
                .await
                .expect("a user is created");
                let key = create_key(
                    &db,
                    &Actor::new(&user, None, None),
                    NewKey {
                        name: "bench",
                        agent_id: None,
                        expires_at: None,
                    },
                )
                .await
                .expect("a key is created")
                .secret;
                let license = grant(
                    &db,
                    &admin,
                    GrantLicense {
                        user_id: user.id.clone(),
                        agent_id: echo,
                        api_call_limit: limit as i64,
                        expires_at: None,
                        plan: Default::default(),
                    },
                )
                .await
                .expect("a license is granted");
                Member {
                    id: user.id,
                    email,
                    key,
                    license_id: license.id,
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    println!(
        "setup: {users} users with a key and a license in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    print_memory("after setup (argon2id hashing included)");

    // Every user's calls, interleaved so each license sees concurrent admissions.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("a client");
    let url = app.url(&format!("/api/agents/{echo}/execute"));
    let calls: Vec<usize> = (0..calls_per_user).flat_map(|_| 0..members.len()).collect();
    let gateway = Instant::now();
    let results: Vec<(usize, u16, Duration)> = stream::iter(calls)
        .map(|who| {
            let request = client
                .post(&url)
                .bearer_auth(&members[who].key)
                .json(&json!({"input": {"text": "load"}}));
            async move {
                let sent = Instant::now();
                let status = match request.send().await {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                };
                (who, status, sent.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .take_while(|_| std::future::ready(started.elapsed() < DEADLINE))
        .collect()
        .await;
    let gateway_elapsed = gateway.elapsed();
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    let mut ok_by_user = vec![0i64; members.len()];
    for (who, status, _) in &results {
        *by_status.entry(*status).or_default() += 1;
        if *status == 200 {
            ok_by_user[*who] += 1;
        }
    }
    report(
        "gateway calls",
        results.iter().map(|(_, _, d)| *d).collect(),
        gateway_elapsed,
    );
    let mut statuses: Vec<_> = by_status.iter().collect();
    statuses.sort();
    println!("statuses: {statuses:?}");
    print_memory("after the gateway calls");

    // Exactness: each counter equals its successes, and never passes the limit.
    let used: HashMap<String, i64> = user_agent_licenses::Entity::find()
        .all(&db)
        .await
        .expect("licenses read")
        .into_iter()
        .map(|l| (l.id, l.api_calls_used))
        .collect();
    let mut mismatches = 0;
    for (member, ok) in members.iter().zip(&ok_by_user) {
        let counted = used.get(&member.license_id).copied().unwrap_or(-1);
        let expected = (calls_per_user.min(limit)) as i64;
        if counted != *ok || counted != expected {
            mismatches += 1;
            eprintln!(
                "{}: counted {counted}, {ok} succeeded, expected {expected}",
                member.id
            );
        }
    }
    println!(
        "exactness: {} of {} licenses count exactly their successes ({} mismatches)",
        members.len() - mismatches,
        members.len(),
        mismatches
    );

    // Sign-ins: argon2id on every one, so this is the costly path.
    let login = Instant::now();
    let latencies: Vec<Duration> = stream::iter(members.iter().take(logins))
        .map(|member| {
            let client = app.new_client();
            let url = app.url("/api/auth/login");
            let body = json!({"email": member.email, "password": common::PASSWORD});
            async move {
                let sent = Instant::now();
                let response = client.post(url).json(&body).send().await;
                assert!(
                    matches!(response, Ok(ref r) if r.status() == 200),
                    "a sign-in succeeds"
                );
                sent.elapsed()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    report("sign-ins", latencies, login.elapsed());

    print_memory("after the sign-ins");
    println!("total {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(mismatches, 0, "every license counts exactly");
    assert_eq!(by_status.get(&0), None, "no call failed to connect");
}
