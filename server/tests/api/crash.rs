//! The real server binary killed with SIGKILL in the middle of a burst of calls, then started
//! again on the same PostgreSQL database: once the sweeper has run, no execution is left
//! running, every license's used count equals its succeeded executions, the executions the
//! dead instance left are `abandoned` with an error logged for each, and every call answered
//! 200 has its execution row. Every wait is bounded, and the processes are killed when the
//! test drops them, so a failure can never hang the run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abetworks::actor::Actor;
use abetworks::agent_client::AgentClient;
use abetworks::entities::enums::{ExecutionStatus, Role};
use abetworks::entities::{error_logs, module_executions, user_agent_licenses};
use abetworks::testing::{Backend, TestDatabase};
use axum::extract::Path;
use axum::routing::post;
use axum::Json;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::common::server_binary::ServerProcess;
use crate::common::stand_in::{self, descriptor, echoed};
use crate::common::test_config;

/// The lease and sweep periods the servers run with: short, so the test is quick.
const LEASE_SECS: &str = "2";
const SWEEP_SECS: &str = "1";
/// How long the slow agent takes: far longer than the test keeps the first server alive.
const SLOW_AGENT: Duration = Duration::from_secs(60);
/// Slow calls in flight when the server is killed.
const SLOW_CALLS: usize = 12;
/// The longest any one wait of this test may take.
const WAIT_LIMIT: Duration = Duration::from_secs(60);
/// An agent service with `echo` (answers at once) and `crawl` (answers after [`SLOW_AGENT`]).
async fn agent_service() -> String {
    let agents = ["echo", "crawl"]
        .iter()
        .map(|slug| descriptor(slug, &format!("Crash {slug}"), "test agent"))
        .collect();
    let router = stand_in::listing(agents).route(
        "/agents/{slug}/execute",
        post(
            |Path(slug): Path<String>, Json(body): Json<Value>| async move {
                if slug == "crawl" {
                    tokio::time::sleep(SLOW_AGENT).await;
                }
                Json(echoed(&body))
            },
        ),
    );
    stand_in::serve(router).await
}

/// The real server binary on `database_url` in front of `agent_url`, with a short lease and
/// sweep interval; killed (SIGKILL) when dropped.
async fn start_server(database_url: &str, agent_url: &str) -> ServerProcess {
    let settings = [
        ("AGENT_SERVICE_URL", agent_url),
        ("AGENT_TIMEOUT_MS", "120000"),
        ("ABETWORKS_EXECUTION_LEASE_SECS", LEASE_SECS),
        ("ABETWORKS_SWEEP_INTERVAL_SECS", SWEEP_SECS),
    ];
    ServerProcess::start_with(database_url, &settings).await
}

/// One answer: its status (0 when the connection broke) and its body.
type Answer = (u16, Value);

async fn call(address: &str, agent_id: &str, key: &str) -> Answer {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(90))
        .build()
        .expect("a client");
    let sent = client
        .post(format!("{address}/api/agents/{agent_id}/execute"))
        .bearer_auth(key)
        .json(&json!({"input": {"text": "hi"}}))
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// Waits (at most [`WAIT_LIMIT`]) until `done` holds, or fails saying `what`.
async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = tokio::time::Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < WAIT_LIMIT,
            "{what} within {} s",
            WAIT_LIMIT.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn with_status(db: &DatabaseConnection, status: ExecutionStatus) -> u64 {
    module_executions::Entity::find()
        .filter(module_executions::Column::Status.eq(status))
        .count(db)
        .await
        .expect("executions counted")
}

/// A member licensed for `echo` and `crawl` with an API key; the agents' ids and the key.
async fn seed(
    db: &DatabaseConnection,
    agent_url: &str,
    database_url: &str,
) -> (String, String, String) {
    let agents =
        AgentClient::from_config(&test_config(database_url, agent_url)).expect("an agent client");
    abetworks::catalog::sync_from_service(db, &agents, true)
        .await
        .expect("the catalog is synced");
    let new_user = |email: &'static str, role| abetworks::users::NewUser {
        email,
        name: "Crash Test",
        password: crate::common::PASSWORD,
        role,
    };
    let admin = abetworks::users::create_user(db, new_user("root@example.com", Role::SuperAdmin))
        .await
        .expect("the admin");
    let member = abetworks::users::create_user(db, new_user("ana@example.com", Role::Member))
        .await
        .expect("the member");
    let mut ids = Vec::new();
    for slug in ["echo", "crawl"] {
        let agent = abetworks::catalog::find_agent(db, slug)
            .await
            .expect("the catalog answers")
            .expect("the agent is synced");
        abetworks::licenses::grant(
            db,
            &Actor::new(&admin, None, None),
            abetworks::licenses::GrantLicense {
                user_id: member.id.clone(),
                agent_id: agent.id.clone(),
                api_call_limit: 10_000,
                expires_at: None,
                plan: Default::default(),
            },
        )
        .await
        .expect("the license is granted");
        ids.push(agent.id);
    }
    let key = abetworks::api_keys::create_key(
        db,
        &Actor::new(&member, None, None),
        abetworks::api_keys::NewKey {
            name: "burst",
            agent_id: None,
            expires_at: None,
        },
    )
    .await
    .expect("the key is made");
    (ids[0].clone(), ids[1].clone(), key.secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_burst_keeps_no_unit_once_restarted_and_swept() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let limit = Duration::from_secs(240);
    tokio::time::timeout(limit, killed_mid_burst(&database))
        .await
        .unwrap_or_else(|_| panic!("the crash test did not finish within {} s", limit.as_secs()));
}

async fn killed_mid_burst(database: &TestDatabase) {
    let agent_url = agent_service().await;
    let db = abetworks::db::connect_and_migrate(&database.url)
        .await
        .expect("the test database migrates");
    let (echo, crawl, key) = seed(&db, &agent_url, &database.url).await;

    let first = start_server(&database.url, &agent_url).await;
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut callers: Vec<JoinHandle<()>> = Vec::new();
    for _ in 0..SLOW_CALLS {
        let (address, crawl, key, answers) = (
            first.address.clone(),
            crawl.clone(),
            key.clone(),
            answers.clone(),
        );
        callers.push(tokio::spawn(async move {
            let answer = call(&address, &crawl, &key).await;
            answers.lock().expect("answers").push(answer);
        }));
    }
    for _ in 0..3 {
        let (address, echo, key, answers, stop) = (
            first.address.clone(),
            echo.clone(),
            key.clone(),
            answers.clone(),
            stop.clone(),
        );
        callers.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let answer = call(&address, &echo, &key).await;
                answers.lock().expect("answers").push(answer);
            }
        }));
    }
    wait_until("every slow call is admitted and running", || async {
        module_executions::Entity::find()
            .filter(module_executions::Column::AgentId.eq(&crawl))
            .filter(module_executions::Column::Status.eq(ExecutionStatus::Running))
            .count(&db)
            .await
            .expect("executions counted")
            == SLOW_CALLS as u64
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill().await;
    stop.store(true, Ordering::SeqCst);
    for caller in callers {
        tokio::time::timeout(WAIT_LIMIT, caller)
            .await
            .expect("every caller ends once the server is gone")
            .expect("the caller ran");
    }
    let answers = answers.lock().expect("answers").clone();
    let answered: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert!(
        !answered.is_empty(),
        "some echo calls were answered before the kill"
    );
    assert!(
        with_status(&db, ExecutionStatus::Running).await >= SLOW_CALLS as u64,
        "the dead server left its calls running"
    );

    let second = start_server(&database.url, &agent_url).await;
    wait_until(
        "the sweeper settles every execution the dead server left",
        || async { with_status(&db, ExecutionStatus::Running).await == 0 },
    )
    .await;

    let licenses = user_agent_licenses::Entity::find()
        .all(&db)
        .await
        .expect("licenses read");
    assert_eq!(licenses.len(), 2);
    for license in &licenses {
        let succeeded = module_executions::Entity::find()
            .filter(module_executions::Column::LicenseId.eq(&license.id))
            .filter(module_executions::Column::Status.eq(ExecutionStatus::Succeeded))
            .count(&db)
            .await
            .expect("executions counted");
        assert_eq!(
            license.api_calls_used, succeeded as i64,
            "the license of agent {} counts only its succeeded calls",
            license.agent_id
        );
    }
    for body in &answered {
        let id = body["executionId"].as_str().expect("an execution id");
        let row = module_executions::Entity::find_by_id(id)
            .one(&db)
            .await
            .expect("execution read")
            .unwrap_or_else(|| panic!("the 200 answered for {id} has its execution row"));
        assert_eq!(row.status, ExecutionStatus::Succeeded, "{id}");
    }
    let abandoned = with_status(&db, ExecutionStatus::Abandoned).await;
    assert!(
        abandoned >= SLOW_CALLS as u64,
        "the slow calls in flight were abandoned ({abandoned})"
    );
    let logged = error_logs::Entity::find()
        .filter(error_logs::Column::Code.eq("EXECUTION_ABANDONED"))
        .count(&db)
        .await
        .expect("errors counted");
    assert_eq!(
        logged, abandoned,
        "one error logged for each abandoned execution"
    );

    // The restarted server serves calls as before.
    let (status, _) = call(&second.address, &echo, &key).await;
    assert_eq!(status, 200);
    second.kill().await;
    db.close().await.ok();
}
