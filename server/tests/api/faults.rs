//! Faults of the services the gateway stands on, injected in the middle of a burst of calls:
//! PostgreSQL restarted (a server of the test's own, never the shared one), and the agent
//! service stopped and started again on its port. Meanwhile calls answer 503 with a code, the
//! units of failed calls are given back, and afterwards calls succeed again without
//! restarting the app. Every wait is bounded: a fault that is not recovered from fails the
//! test instead of hanging it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::own_postgres::OwnPostgres;
use crate::common::{id_of, script_client, serve_app, spawn_app_with, stand_in, TestApp};
use abetworks::entities::enums::{ExecutionStatus, Role, Severity};
use abetworks::entities::{error_logs, module_executions, user_agent_licenses};
use abetworks::error_logs::ErrorKind;
use abetworks::on_every_database;
use abetworks::testing::{postgres_admin_url, within_test_timeout, TestDatabase, POSTGRES_SWITCH};
use axum::routing::post;
use axum::Json;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// How long a fault's effect (or the recovery from it) may take to show.
const SHOW_LIMIT: Duration = Duration::from_secs(60);

/// The code a call answers with while the database is unreachable (503).
const DATABASE_DOWN_CODE: &str = "BUSY";

/// One answer of a burst: its status and body (status 0: no answer, the body says why).
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A few callers running the same agent over and over with an API key until stopped; every
/// answer is kept.
struct Burst {
    answers: Arc<Mutex<Vec<Answer>>>,
    stop: Arc<AtomicBool>,
    callers: Vec<JoinHandle<()>>,
}

impl Burst {
    fn start(app: &TestApp, agent_id: &str, key: &str, callers: usize) -> Self {
        let answers = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let url = app.url(&format!("/api/agents/{agent_id}/execute"));
        let callers = (0..callers)
            .map(|caller| {
                let (answers, stop) = (answers.clone(), stop.clone());
                let (url, key) = (url.clone(), key.to_owned());
                tokio::spawn(async move {
                    let client = script_client();
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        n += 1;
                        let sent = client
                            .post(&url)
                            .bearer_auth(&key)
                            .json(&json!({"input": {"caller": caller, "n": n}}))
                            .send()
                            .await;
                        let answer = match sent {
                            Ok(response) => {
                                let status = response.status().as_u16();
                                let body = response.text().await.unwrap_or_default();
                                Answer { status, body }
                            }
                            Err(e) => Answer {
                                status: 0,
                                body: e.to_string(),
                            },
                        };
                        if let Ok(mut answers) = answers.lock() {
                            answers.push(answer);
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })
            })
            .collect();
        Self {
            answers,
            stop,
            callers,
        }
    }

    fn answers(&self) -> Vec<Answer> {
        self.answers.lock().map(|a| a.clone()).unwrap_or_default()
    }

    fn count(&self, status: u16) -> usize {
        self.answers()
            .iter()
            .filter(|answer| answer.status == status)
            .count()
    }

    /// Waits (at most [`SHOW_LIMIT`]) until `count` answers have `status`.
    /// Waits for ten successes more than so far: the calls succeed again after a fault.
    async fn wait_for_recovery(&self, what: &str) {
        let succeeded_before = self.count(200);
        self.wait_for(200, succeeded_before + 10, what).await;
    }

    async fn wait_for(&self, status: u16, count: usize, what: &str) {
        let reached = tokio::time::timeout(SHOW_LIMIT, async {
            while self.count(status) < count {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(
            reached.is_ok(),
            "{what}: {count} answers {status} within {SHOW_LIMIT:?}; got {}",
            summary(&self.answers())
        );
    }

    /// Stops the callers (each finishes its call in flight) and gives every answer.
    async fn finish(self) -> Vec<Answer> {
        self.stop.store(true, Ordering::SeqCst);
        for caller in self.callers {
            tokio::time::timeout(SHOW_LIMIT, caller)
                .await
                .expect("a caller finishes its last call")
                .expect("a caller ends without panicking");
        }
        let answers = self.answers.lock().map(|a| a.clone()).unwrap_or_default();
        answers
    }
}

/// "200 ×12, 503 BUSY ×4": the answers by status and code.
fn summary(answers: &[Answer]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for answer in answers {
        *counts
            .entry(format!("{} {}", answer.status, answer.code()))
            .or_insert(0) += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(what, n)| format!("{} ×{n}", what.trim()))
        .collect();
    parts.join(", ")
}

/// The license's used count.
async fn used(app: &TestApp, license_id: &str) -> i64 {
    user_agent_licenses::Entity::find_by_id(license_id.to_owned())
        .one(&app.state.db)
        .await
        .expect("the database answers")
        .expect("the license")
        .api_calls_used
}

/// How many of `user_id`'s executions have `status`.
async fn executions(app: &TestApp, user_id: &str, status: ExecutionStatus) -> u64 {
    module_executions::Entity::find()
        .filter(module_executions::Column::UserId.eq(user_id))
        .filter(module_executions::Column::Status.eq(status))
        .count(&app.state.db)
        .await
        .expect("the database answers")
}

/// The scene of a burst: a member licensed for `echo` (a limit far above the burst) holding an
/// API key. The echo agent's id, the member's id, the license's id and the key.
async fn licensed_member(app: &TestApp) -> (String, String, String, String) {
    let admin = app.signed_in_as_root().await;
    let echo = app.agent_id("echo").await;
    let (member, member_id) = app.signed_in("burst@example.com", Role::Member).await;
    let license = app
        .grant(&admin, &member_id, &echo, json!({"apiCallLimit": 100_000}))
        .await;
    let key = app.api_key(&member, json!({"name": "burst"})).await;
    (echo, member_id, id_of(&license), key)
}

/// Every `200` of the burst has its execution, succeeded.
async fn every_success_has_its_execution(app: &TestApp, answers: &[Answer]) {
    for answer in answers.iter().filter(|answer| answer.status == 200) {
        let id = answer.json()["executionId"]
            .as_str()
            .expect("a success names its execution")
            .to_owned();
        let execution = module_executions::Entity::find_by_id(id.clone())
            .one(&app.state.db)
            .await
            .expect("the database answers")
            .unwrap_or_else(|| panic!("the execution {id} of a 200 exists"));
        assert_eq!(execution.status, ExecutionStatus::Succeeded, "{id}");
    }
}

// --- PostgreSQL restarted during a burst -------------------------------------------------

/// The app on `database_url` in front of `agent_url`, with a short lease and sweep so an
/// execution left running by the outage is settled within seconds.
async fn app_with_short_leases(database_url: &str, agent_url: &str) -> TestApp {
    let short_leases = [
        ("ABETWORKS_EXECUTION_LEASE_SECS", "3"),
        ("ABETWORKS_SWEEP_INTERVAL_SECS", "1"),
    ];
    let (app, _serving) = serve_app(database_url, agent_url, &short_leases).await;
    app.sync_catalog().await;
    app
}

/// `GET /readyz`: its status and body.
async fn readyz(app: &TestApp) -> (u16, Value) {
    match script_client().get(app.url("/readyz")).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        }
        Err(e) => (0, json!({ "transport": e.to_string() })),
    }
}

/// Asks `/readyz` until it answers `status` (at most [`SHOW_LIMIT`]); its body then.
async fn readyz_until(app: &TestApp, status: u16) -> Value {
    let mut last = (0, Value::Null);
    let answered = tokio::time::timeout(SHOW_LIMIT, async {
        loop {
            last = readyz(app).await;
            if last.0 == status {
                return last.1.clone();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    answered.unwrap_or_else(|_| {
        panic!("/readyz did not answer {status} within {SHOW_LIMIT:?}; last: {last:?}")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_restarted_during_a_burst_is_reported_then_answered_503_then_recovered_from_without_a_restart(
) {
    if postgres_admin_url().is_none() {
        eprintln!("SKIPPED: PostgreSQL restarted during a burst ({POSTGRES_SWITCH}=skip)");
        return;
    }
    within_test_timeout(
        "on a PostgreSQL of its own",
        postgresql_restarted_during_a_burst(),
    )
    .await;
}

async fn postgresql_restarted_during_a_burst() {
    let mut postgres = OwnPostgres::start("restart").await;
    let agents = stand_in::start().await;
    let app = app_with_short_leases(&postgres.url(), &agents).await;
    let (echo, member_id, license_id, key) = licensed_member(&app).await;
    let (status, ready) = readyz(&app).await;
    assert_eq!(status, 200, "ready before the fault: {ready}");

    let burst = Burst::start(&app, &echo, &key, 4);
    burst
        .wait_for(200, 10, "calls succeed before the fault")
        .await;

    postgres.stop_fast().await;
    let not_ready = readyz_until(&app, 503).await;
    assert_eq!(not_ready["status"], "not_ready", "{not_ready}");
    assert_eq!(not_ready["database"], "unreachable", "{not_ready}");
    burst
        .wait_for(503, 4, "calls answer 503 while PostgreSQL is down")
        .await;

    postgres.start_again().await;
    let ready = readyz_until(&app, 200).await;
    assert_eq!(ready["database"], "ok", "{ready}");
    burst
        .wait_for_recovery(
            "calls succeed again once PostgreSQL is back, without restarting the app",
        )
        .await;
    let answers = burst.finish().await;

    let summary = summary(&answers);
    for answer in &answers {
        assert!(
            answer.status == 200 || answer.status == 503,
            "every call answers 200 or 503 (never 500): {summary}; this one: {answer:?}"
        );
        if answer.status == 503 {
            assert_eq!(answer.code(), DATABASE_DOWN_CODE, "{answer:?}");
            for internal in [
                "SELECT",
                "INSERT",
                "UPDATE",
                "sqlx",
                "database error",
                "57P01",
            ] {
                assert!(
                    !answer.body.contains(internal),
                    "no internals in a 503: {answer:?}"
                );
            }
        }
    }
    every_success_has_its_execution(&app, &answers).await;

    // Calls cut off by the outage may have left executions running with their unit taken:
    // their lease runs out and the sweeper gives the unit back.
    let settled = tokio::time::timeout(SHOW_LIMIT, async {
        loop {
            let running = executions(&app, &member_id, ExecutionStatus::Running).await;
            let succeeded = executions(&app, &member_id, ExecutionStatus::Succeeded).await;
            if running == 0 && used(&app, &license_id).await == succeeded as i64 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await;
    let (running, succeeded, failed, abandoned) = (
        executions(&app, &member_id, ExecutionStatus::Running).await,
        executions(&app, &member_id, ExecutionStatus::Succeeded).await,
        executions(&app, &member_id, ExecutionStatus::Failed).await,
        executions(&app, &member_id, ExecutionStatus::Abandoned).await,
    );
    let used = used(&app, &license_id).await;
    assert!(
        settled.is_ok(),
        "within {SHOW_LIMIT:?} after the restart the license's used count ({used}) equals its \
         succeeded executions ({succeeded}) with none left running ({running}; failed \
         {failed}, abandoned {abandoned}); answers: {summary}"
    );
    assert_eq!(used, succeeded as i64, "{summary}");
    println!(
        "PostgreSQL restart: answers {summary}; executions succeeded {succeeded}, failed \
         {failed}, abandoned {abandoned}; used {used}"
    );
}

// --- The agent service stopped and started ------------------------------------------------

/// The echo agent alone, served on a port of 127.0.0.1 until stopped.
struct AgentService {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    serving: Option<JoinHandle<()>>,
}

impl AgentService {
    /// Serves on `port` (0: a free one).
    async fn start(port: u16) -> Self {
        let router = stand_in::listing(vec![stand_in::descriptor("echo", "Echo", "echoes")]).route(
            "/agents/echo/execute",
            post(|Json(body): Json<Value>| async move { Json(stand_in::echoed(&body)) }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the agent service's port is free");
        let port = listener.local_addr().expect("an address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            port,
            stop: Some(stop),
            serving: Some(serving),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops listening, lets the calls in flight finish and closes every connection.
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            tokio::time::timeout(SHOW_LIMIT, serving)
                .await
                .expect("the agent service stops")
                .expect("the agent service ends without panicking");
        }
    }
}

impl Drop for AgentService {
    fn drop(&mut self) {
        if let Some(serving) = &self.serving {
            serving.abort();
        }
    }
}

async fn the_agent_service_stopped_and_started_during_a_burst_answers_503_gives_units_back_and_recovers(
    database: TestDatabase,
) {
    let mut service = AgentService::start(0).await;
    let app = spawn_app_with(database, &service.url()).await;
    app.sync_catalog().await;
    let (echo, member_id, license_id, key) = licensed_member(&app).await;

    let burst = Burst::start(&app, &echo, &key, 4);
    burst
        .wait_for(200, 10, "calls succeed before the fault")
        .await;

    service.stop().await;
    burst
        .wait_for(503, 8, "calls answer 503 while the agent service is down")
        .await;

    let port = service.port;
    let service = AgentService::start(port).await;
    burst
        .wait_for_recovery("calls succeed again once the agent service is back")
        .await;
    let answers = burst.finish().await;
    drop(service);

    let summary = summary(&answers);
    let (mut ok, mut unavailable) = (0_i64, 0_u64);
    for answer in &answers {
        match answer.status {
            200 => ok += 1,
            503 => {
                unavailable += 1;
                assert_eq!(answer.code(), "AGENT_UNAVAILABLE", "{answer:?}");
                let reference = answer.json()["error"]["referenceId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a 503 has a reference: {answer:?}"))
                    .to_owned();
                let logged = error_logs::Entity::find_by_id(reference.clone())
                    .one(&app.state.db)
                    .await
                    .expect("the database answers")
                    .unwrap_or_else(|| panic!("the error {reference} is logged"));
                assert_eq!(logged.error_type, ErrorKind::AgentUnavailable.as_str());
                assert_eq!(logged.code, "AGENT_UNAVAILABLE");
                assert_eq!(logged.severity, Severity::High);
                assert_eq!(logged.user_id.as_deref(), Some(member_id.as_str()));
            }
            _ => panic!("every call answers 200 or 503: {summary}; this one: {answer:?}"),
        }
    }
    every_success_has_its_execution(&app, &answers).await;
    assert_eq!(
        used(&app, &license_id).await,
        ok,
        "the used count holds the successes only, not the {unavailable} calls the agent \
         service missed: {summary}"
    );
    assert_eq!(
        executions(&app, &member_id, ExecutionStatus::Succeeded).await,
        ok as u64,
        "{summary}"
    );
    assert_eq!(
        executions(&app, &member_id, ExecutionStatus::Failed).await,
        unavailable,
        "each call the agent service missed is a failed execution: {summary}"
    );
    assert_eq!(
        executions(&app, &member_id, ExecutionStatus::Running).await,
        0,
        "{summary}"
    );
}
on_every_database!(
    the_agent_service_stopped_and_started_during_a_burst_answers_503_gives_units_back_and_recovers
);
