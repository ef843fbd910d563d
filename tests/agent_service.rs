//! The Rust side of the agent service against the real Python service (`python-agents/`):
//! catalog sync, a signed execute of each agent, a streamed execute with its progress, and the
//! refusals.
//!
//! The service is started once per test binary and shared by every test: it takes 10-20 s to
//! start (each worker imports pandas, statsmodels and scikit-learn), so one start per test
//! would dominate the run. A `OnceLock` holds it; whichever test comes first starts it and the
//! others wait for `/health`.
//!
//! Stopping it: a value in a `static` is never dropped, so neither `Drop` nor tokio's
//! `kill_on_drop` can stop the child when the tests end. Instead the service runs under a small
//! `sh` wrapper whose stdin is a pipe from this process. Nothing ever writes to that pipe; when
//! the test process ends for any reason (tests done, a panic, Ctrl-C, even SIGKILL) the OS
//! closes its end, the wrapper's `cat` sees end-of-file and sends uvicorn SIGTERM (SIGKILL 10 s
//! later if it is still there), and uvicorn stops its worker processes. No `libc`, no
//! per-test start, and no service is left behind. The same holds when a runner starts one
//! process per test: each process gets its own service and stops it.
//!
//! The service's own log goes to `$TMPDIR/abetworks-agent-service-test-<port>.log`; a failed
//! start or a failed agent call names it.
//!
//! Without `python-agents/.venv/bin/uvicorn` every test fails with a message naming
//! `make setup-python` (`make test` runs it first): these tests never skip silently.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use abetworks::agent_client::{AgentClient, AgentError, AgentEvent, FieldError};
use abetworks::catalog::{
    apply_sync, list_published, sync_from_service, CatalogFilter, SyncReport,
};
use abetworks::config::Secret;
use abetworks::db::connect_and_migrate;
use abetworks::entities::enums::AgentStatus;
use abetworks::entities::{agent_catalog, modules};
use abetworks::testing::TestDatabase;
use sea_orm::sea_query::IntoCondition;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

/// Secret input fields masked in what is stored, with the real email agent.
#[path = "agent_service/secrets.rs"]
mod secrets;

const SECRET: &str = "agent-service-integration-test-secret";
const AGENTS: [&str; 7] = [
    "batch-lead-scoring",
    "churn",
    "data-clean",
    "email",
    "forecast",
    "lead-scoring",
    "sentiment",
];
const HEALTH_DEADLINE: Duration = Duration::from_secs(60);
const START_ATTEMPTS: usize = 3;

/// Runs uvicorn in the background and stops it when stdin (kept as fd 3) reaches end-of-file,
/// that is when the test process is gone. Exits with uvicorn's status, so an early death of
/// the service (a taken port, an import error) is seen by `try_wait`. Once uvicorn has exited
/// the watcher is stopped, so it never signals a pid that may have been reused.
const WRAPPER: &str = r#"
exec 3<&0
.venv/bin/uvicorn service.main:app --host 127.0.0.1 --port "$1" </dev/null 3<&- &
pid=$!
(cat <&3 >/dev/null; kill -TERM "$pid"; sleep 10; kill -KILL "$pid") >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait "$pid"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

/// The running service. Never dropped: the process end stops it (see the module docs).
struct AgentService {
    base: url::Url,
    log_path: PathBuf,
    _wrapper: Child,
    _lifeline: ChildStdin,
}

static SERVICE: OnceLock<Result<AgentService, String>> = OnceLock::new();

/// The shared service, started on first use; panics with the reason when it cannot start.
fn service() -> &'static AgentService {
    match SERVICE.get_or_init(start_service) {
        Ok(service) => service,
        Err(reason) => panic!("{reason}"),
    }
}

fn python_agents_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python-agents")
}

fn start_service() -> Result<AgentService, String> {
    let dir = python_agents_dir();
    let uvicorn = dir.join(".venv/bin/uvicorn");
    if !uvicorn.exists() {
        return Err(format!(
            "{} does not exist: run `make setup-python` first (`make test` does it) to create \
             the agent service's virtualenv; these tests need the real service",
            uvicorn.display()
        ));
    }
    let mut last_error = String::new();
    for _ in 0..START_ATTEMPTS {
        match start_once(&dir) {
            Ok(service) => return Ok(service),
            // Someone took the port between our probe and uvicorn's bind: try another one.
            Err((reason, true)) => last_error = reason,
            Err((reason, false)) => return Err(reason),
        }
    }
    Err(last_error)
}

/// One start on a fresh port. The error says whether the port was taken (worth a retry).
fn start_once(dir: &Path) -> Result<AgentService, (String, bool)> {
    let port = free_port().map_err(|e| (format!("no free port on 127.0.0.1: {e}"), false))?;
    let log_path = std::env::temp_dir().join(format!("abetworks-agent-service-test-{port}.log"));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| (format!("cannot create {}: {e}", log_path.display()), false))?;
    let log_err = log
        .try_clone()
        .map_err(|e| (format!("cannot share {}: {e}", log_path.display()), false))?;
    let mut wrapper = Command::new("sh")
        .arg("-c")
        .arg(WRAPPER)
        .arg("agent-service-wrapper")
        .arg(port.to_string())
        .current_dir(dir)
        .env("AGENT_SERVICE_SECRET", SECRET)
        .env_remove("AGENTS_DIR")
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| (format!("cannot start the agent service: {e}"), false))?;
    let lifeline = wrapper.stdin.take().expect("the wrapper's stdin is piped");

    let started = Instant::now();
    while started.elapsed() < HEALTH_DEADLINE {
        if let Ok(Some(status)) = wrapper.try_wait() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let port_taken = log.contains("address already in use");
            return Err((
                format!(
                    "the agent service exited ({status}) before answering /health; its log \
                     ({}) ends with:\n{}",
                    log_path.display(),
                    tail(&log, 30)
                ),
                port_taken,
            ));
        }
        if health_ok(port) {
            let base = url::Url::parse(&format!("http://127.0.0.1:{port}/")).expect("a valid URL");
            return Ok(AgentService {
                base,
                log_path,
                _wrapper: wrapper,
                _lifeline: lifeline,
            });
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // Closing the lifeline makes the wrapper stop uvicorn.
    drop(lifeline);
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    Err((
        format!(
            "the agent service did not answer /health on port {port} within {}s; its log ({}) \
             ends with:\n{}",
            HEALTH_DEADLINE.as_secs(),
            log_path.display(),
            tail(&log, 30)
        ),
        false,
    ))
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A plain blocking `GET /health`, so the start does not depend on any test's runtime.
fn health_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200") && response.contains("\"ok\"")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A client of the shared service, one per test: a reqwest pool belongs to one runtime.
fn client_with_secret(secret: &str) -> AgentClient {
    AgentClient::new(
        service().base.clone(),
        Secret::new(secret),
        Duration::from_secs(5),
        Duration::from_secs(60),
    )
    .expect("an agent client")
}

fn client() -> AgentClient {
    client_with_secret(SECRET)
}

/// A migrated database of the test's own whose catalog is synced from the shared service
/// (`publish`: every agent published), and the client that synced it.
async fn synced_catalog(
    test_db: &TestDatabase,
    publish: bool,
) -> (DatabaseConnection, AgentClient) {
    let client = client();
    let db = connect_and_migrate(&test_db.url)
        .await
        .expect("a migrated database");
    sync_from_service(&db, &client, publish)
        .await
        .expect("the first sync");
    (db, client)
}

/// The row of `E` that meets `condition`, which must be there (`what` says which).
async fn one_where<E>(
    db: &DatabaseConnection,
    condition: impl IntoCondition,
    what: &str,
) -> E::Model
where
    E: EntityTrait,
    E::Model: Sync,
{
    let found = E::find().filter(condition).one(db).await;
    found
        .expect("the rows are read")
        .unwrap_or_else(|| panic!("{what} is still there"))
}

/// A sync report that lists only `slug`, as `changed` (unavailable or updated).
fn only(slug: &str, changed: fn(&mut SyncReport) -> &mut Vec<String>) -> SyncReport {
    let mut report = SyncReport::default();
    changed(&mut report).push(slug.into());
    report
}

fn execution_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Runs `slug` signed by the gateway's client and returns its output.
async fn run_agent(slug: &str, input: Value) -> Value {
    match client()
        .execute(&execution_id(), "integration-test-user", slug, &input)
        .await
    {
        Ok(answer) => answer.output,
        Err(error) => panic!(
            "the {slug} agent failed: {error:?} (service log: {})",
            service().log_path.display()
        ),
    }
}

/// Runs `slug` on invalid input and returns the field errors of the rejection.
async fn rejected_fields(slug: &str, input: Value) -> Vec<FieldError> {
    match client()
        .execute(&execution_id(), "integration-test-user", slug, &input)
        .await
    {
        Err(AgentError::Rejected { fields, .. }) => fields,
        other => panic!("{slug} should reject {input}, got {other:?}"),
    }
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value:#}"))
}

fn f64_at(value: &Value, pointer: &str) -> f64 {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {pointer} in {value:#}"))
}

fn array_at<'a>(value: &'a Value, pointer: &str) -> &'a Vec<Value> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no array at {pointer} in {value:#}"))
}

/// A pydantic JSON Schema of an object with at least one property.
fn assert_object_schema(slug: &str, which: &str, schema: &Value) {
    assert_eq!(
        schema["type"], "object",
        "{slug}: {which} schema is not an object schema: {schema}"
    );
    let properties = schema["properties"].as_object();
    assert!(
        properties.is_some_and(|p| !p.is_empty()),
        "{slug}: {which} schema has no properties: {schema}"
    );
}

// ------------------------------------------------------------------ catalog sync

async fn syncing_registers_every_agent_with_its_schemas_and_a_second_sync_adds_nothing(
    test_db: TestDatabase,
) {
    let client = client();
    let db = connect_and_migrate(&test_db.url)
        .await
        .expect("a migrated database");

    let first = sync_from_service(&db, &client, false)
        .await
        .expect("the first sync");
    let mut added = first.added.clone();
    added.sort();
    assert_eq!(added, AGENTS, "{first:?}");
    assert!(
        first.updated.is_empty() && first.unavailable.is_empty(),
        "{first:?}"
    );

    let rows = agent_catalog::Entity::find()
        .order_by_asc(agent_catalog::Column::Slug)
        .all(&db)
        .await
        .expect("the catalog");
    let slugs: Vec<&str> = rows.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs, AGENTS);
    for row in &rows {
        assert!(!row.name.trim().is_empty(), "{}: no name", row.slug);
        assert!(
            !row.short_description.trim().is_empty(),
            "{}: no description",
            row.slug
        );
        assert!(row.price_cents > 0, "{}: no price", row.slug);
        assert_object_schema(&row.slug, "input", &row.input_schema);
        assert_object_schema(&row.slug, "output", &row.output_schema);
        assert_eq!(row.status, AgentStatus::Available, "{}", row.slug);
        assert!(
            !row.published,
            "{}: new agents are drafts unless published",
            row.slug
        );
    }
    // The schemas are the agents' own models, not something generic.
    let sentiment = rows
        .iter()
        .find(|r| r.slug == "sentiment")
        .expect("sentiment");
    assert_eq!(sentiment.name, "Sentiment Analyzer");
    assert!(sentiment.input_schema["properties"]["texts"].is_object());
    let lead = rows
        .iter()
        .find(|r| r.slug == "lead-scoring")
        .expect("lead-scoring");
    let required = lead.input_schema["required"]
        .as_array()
        .expect("required fields");
    assert!(
        required.contains(&json!("company_size")),
        "{}",
        lead.input_schema
    );
    assert!(lead.output_schema["properties"]["grade"].is_object());

    let modules = modules::Entity::find().all(&db).await.expect("the modules");
    assert_eq!(modules.len(), AGENTS.len());
    assert!(modules.iter().all(|m| m.available && m.agent_id.is_some()));

    let second = sync_from_service(&db, &client, false)
        .await
        .expect("the second sync");
    assert_eq!(
        second,
        SyncReport::default(),
        "an unchanged service changes nothing"
    );
    let count = agent_catalog::Entity::find()
        .all(&db)
        .await
        .expect("the catalog")
        .len();
    assert_eq!(count, AGENTS.len());
}

abetworks::on_every_database!(
    syncing_registers_every_agent_with_its_schemas_and_a_second_sync_adds_nothing
);

async fn an_agent_missing_from_the_service_is_marked_unavailable_and_never_deleted(
    test_db: TestDatabase,
) {
    let (db, client) = synced_catalog(&test_db, true).await;

    let offered = client.list_agents().await.expect("the agent list");
    assert_eq!(offered.len(), AGENTS.len());
    let without_churn: Vec<_> = offered
        .iter()
        .filter(|a| a.slug != "churn")
        .cloned()
        .collect();
    let report = apply_sync(&db, &without_churn, true)
        .await
        .expect("a sync without churn");
    assert_eq!(report, only("churn", |r| &mut r.unavailable));

    // Never deleted: the row and its schemas stay, only the status changes.
    let all = agent_catalog::Entity::find()
        .all(&db)
        .await
        .expect("the catalog");
    assert_eq!(all.len(), AGENTS.len());
    let churn = all
        .iter()
        .find(|a| a.slug == "churn")
        .expect("churn is still in the catalog");
    assert_eq!(churn.status, AgentStatus::Unavailable);
    assert_object_schema("churn", "input", &churn.input_schema);
    let churn_module = modules::Column::Slug.eq("churn");
    let churn_module = one_where::<modules::Entity>(&db, churn_module, "churn's module").await;
    assert!(!churn_module.available);
    let listed = list_published(&db, &CatalogFilter::default())
        .await
        .expect("the marketplace");
    assert_eq!(listed.len(), AGENTS.len() - 1);
    assert!(
        listed.iter().all(|a| a.slug != "churn"),
        "an unavailable agent is not listed"
    );

    // When the service offers it again it comes back as the same row.
    let back = sync_from_service(&db, &client, true)
        .await
        .expect("a full sync");
    assert_eq!(back, only("churn", |r| &mut r.updated));
    let churn_again = agent_catalog::Column::Slug.eq("churn");
    let churn_again = one_where::<agent_catalog::Entity>(&db, churn_again, "churn").await;
    assert_eq!(churn_again.id, churn.id);
    assert_eq!(churn_again.status, AgentStatus::Available);
}

abetworks::on_every_database!(
    an_agent_missing_from_the_service_is_marked_unavailable_and_never_deleted
);

// ------------------------------------------------------------------ each agent, signed

#[tokio::test]
async fn the_sentiment_agent_labels_a_clearly_negative_review_negative() {
    let output = run_agent(
        "sentiment",
        json!({"texts": [
            "This is the worst product I have ever used. It crashes constantly and the support \
             team is useless. Awful, just awful.",
            "Absolutely love the new dashboard, great work!",
            "The invoice is attached."
        ]}),
    )
    .await;
    assert_eq!(str_at(&output, "/results/0/label"), "negative");
    assert!(f64_at(&output, "/results/0/compound") <= -0.5, "{output:#}");
    assert_eq!(array_at(&output, "/results/0/sentences").len(), 3);
    assert_eq!(str_at(&output, "/results/1/label"), "positive");
    assert_eq!(str_at(&output, "/results/2/label"), "neutral");
    assert_eq!(output["summary"]["count"], 3);
}

#[tokio::test]
async fn the_lead_scoring_agent_grades_an_engaged_mid_market_vp_an_a() {
    let output = run_agent(
        "lead-scoring",
        json!({
            "lead_id": "lead-42",
            "company_size": 450,
            "industry": "B2B SaaS",
            "annual_revenue": 60_000_000,
            "job_title": "VP of Sales",
            "country": "US",
            "email_opens": 12,
            "site_visits": 20,
            "demo_requested": true,
            "days_since_last_activity": 2
        }),
    )
    .await;
    assert_eq!(str_at(&output, "/lead_id"), "lead-42");
    assert_eq!(str_at(&output, "/grade"), "A");
    // 48.5 fit points (a VP earns 8.5 of 10 for seniority) + 50 engagement points, half up.
    assert_eq!(output["score"], 99);
    assert_eq!(str_at(&output, "/seniority"), "vp");
    assert_eq!(array_at(&output, "/factors").len(), 9);
    assert_eq!(
        str_at(&output, "/top_reasons/0"),
        "+20 pts: requested a demo"
    );

    let cold = run_agent(
        "lead-scoring",
        json!({"company_size": 3, "industry": "Government", "job_title": "Intern"}),
    )
    .await;
    assert_eq!(str_at(&cold, "/grade"), "D");
    assert!(cold["score"].as_i64().expect("a score") < 40, "{cold:#}");
}

#[tokio::test]
async fn the_forecast_agent_forecasts_the_requested_periods_with_seasonality() {
    // Two years of monthly sales with a summer peak and slow growth.
    let series = [
        120, 132, 101, 134, 190, 230, 210, 160, 145, 150, 170, 240, 130, 142, 111, 144, 205, 245,
        225, 172, 155, 162, 182, 258,
    ];
    let output = run_agent(
        "forecast",
        json!({
            "series": series,
            "seasonal_period": 12,
            "horizon": 6,
            "start_date": "2024-01-01",
            "frequency": "month"
        }),
    )
    .await;
    assert_eq!(
        output["seasonal"], true,
        "24 values hold two seasons of 12: {output:#}"
    );
    let forecast = array_at(&output, "/forecast");
    assert_eq!(forecast.len(), 6);
    assert_eq!(str_at(&output, "/forecast/0/date"), "2026-01-01");
    assert_eq!(str_at(&output, "/forecast/5/date"), "2026-06-01");
    for point in forecast {
        let (lower, value, upper) = (
            f64_at(point, "/lower"),
            f64_at(point, "/value"),
            f64_at(point, "/upper"),
        );
        assert!(lower <= value && value <= upper, "{point}");
        assert!(
            (80.0..400.0).contains(&value),
            "an implausible forecast: {point}"
        );
    }
    // The seasonal shape carries over: June is forecast well above March.
    assert!(f64_at(&output, "/forecast/5/value") > f64_at(&output, "/forecast/2/value") + 50.0);
}

#[tokio::test]
async fn the_email_agent_drafts_personalised_emails_and_skips_a_recipient_missing_a_field() {
    let output = run_agent(
        "email",
        json!({
            "subject_template": "{{ first_name }}, your {{ plan }} trial ends soon",
            "body_template": "Hi {{ first_name }},\n\nYour trial at {{ company }} ends on \
                              {{ trial_end }}.\n\n{{ sender }}",
            "common_fields": {"sender": "Dana from Abetworks", "trial_end": "1 December"},
            "recipients": [
                {"email": "ada@example.com",
                 "fields": {"first_name": "Ada", "company": "Lovelace Labs", "plan": "Pro"}},
                {"email": "bob@example.com", "fields": {"first_name": "Bob", "plan": "Starter"}}
            ]
        }),
    )
    .await;
    assert_eq!(
        str_at(&output, "/mode"),
        "draft",
        "no SMTP settings: drafts only"
    );
    assert_eq!(
        str_at(&output, "/emails/0/subject"),
        "Ada, your Pro trial ends soon"
    );
    assert_eq!(
        str_at(&output, "/emails/0/body"),
        "Hi Ada,\n\nYour trial at Lovelace Labs ends on 1 December.\n\nDana from Abetworks"
    );
    assert_eq!(str_at(&output, "/emails/0/status"), "draft");
    assert_eq!(str_at(&output, "/emails/1/status"), "skipped");
    assert_eq!(output["emails"][1]["missing_fields"], json!(["company"]));
    assert_eq!(output["drafted"], 1);
    assert_eq!(output["skipped"], 1);
}

#[tokio::test]
async fn the_data_clean_agent_normalises_emails_phones_and_amounts_and_drops_duplicates() {
    let output = run_agent(
        "data-clean",
        json!({
            "records": [
                {"name": "  Ada   Lovelace ", "email": " ADA@Example.COM ",
                 "phone": "(415) 555-0123", "amount": "$1,200.50", "signup_date": "2024-03-15"},
                {"name": "Bob", "email": "not-an-email", "phone": "N/A", "amount": "300",
                 "signup_date": "2024-03-16"},
                {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 415 555 0123",
                 "amount": "1200.5", "signup_date": "2024-03-15"}
            ],
            "default_country_code": "1"
        }),
    )
    .await;
    let records = array_at(&output, "/records");
    assert_eq!(
        records.len(),
        2,
        "the third row duplicates the first once cleaned"
    );
    assert_eq!(output["kept_rows"], json!([0, 1]));
    assert_eq!(str_at(&output, "/records/0/name"), "Ada Lovelace");
    assert_eq!(str_at(&output, "/records/0/email"), "ada@example.com");
    assert_eq!(str_at(&output, "/records/0/phone"), "+14155550123");
    assert_eq!(f64_at(&output, "/records/0/amount"), 1200.5);
    assert_eq!(output["records"][1]["email_valid"], false);
    assert!(output["records"][1]["phone"].is_null(), "N/A becomes null");
    assert_eq!(output["summary"]["duplicates_dropped"], 1);
    assert_eq!(
        str_at(&output, "/issues/0/problem"),
        "invalid email address"
    );
    let rules: Vec<&str> = array_at(&output, "/changes")
        .iter()
        .filter_map(|c| c["rule"].as_str())
        .collect();
    for rule in [
        "trim_whitespace",
        "lowercase_email",
        "phone_e164",
        "coerce_numeric",
        "drop_duplicate",
    ] {
        assert!(
            rules.contains(&rule),
            "no {rule} change reported: {rules:?}"
        );
    }
}

#[tokio::test]
async fn the_churn_agent_rates_a_struggling_monthly_customer_high_risk_and_a_loyal_one_low() {
    let output = run_agent(
        "churn",
        json!({"customers": [
            {"customer_id": "c-risky", "tenure_months": 2, "monthly_charges": 110.0,
             "contract": "month-to-month", "support_tickets_90d": 6, "logins_30d": 0,
             "payment_failures_90d": 3, "auto_pay": false},
            {"customer_id": "c-loyal", "tenure_months": 60, "monthly_charges": 45.0,
             "contract": "two-year", "support_tickets_90d": 0, "logins_30d": 40,
             "payment_failures_90d": 0, "auto_pay": true}
        ]}),
    )
    .await;
    assert_eq!(str_at(&output, "/predictions/0/customer_id"), "c-risky");
    assert_eq!(str_at(&output, "/predictions/0/risk_level"), "high");
    assert!(
        f64_at(&output, "/predictions/0/churn_probability") > 0.9,
        "{output:#}"
    );
    assert_eq!(
        str_at(&output, "/predictions/0/top_factors/0/direction"),
        "raises risk"
    );
    assert_eq!(str_at(&output, "/predictions/1/risk_level"), "low");
    assert!(
        f64_at(&output, "/predictions/1/churn_probability") < 0.1,
        "{output:#}"
    );
    assert_eq!(
        str_at(&output, "/predictions/1/top_factors/0/direction"),
        "lowers risk"
    );
    assert_eq!(output["high_risk"], 1);
    assert_eq!(output["low_risk"], 1);
    assert!(
        f64_at(&output, "/model/holdout_auc") > 0.75,
        "a model worth using: {output:#}"
    );
}

// ------------------------------------------------------------------ streamed

#[tokio::test]
async fn the_batch_lead_scoring_agent_streams_its_progress_up_to_the_total_then_its_output() {
    let mut stream = client()
        .execute_streaming(
            &execution_id(),
            "integration-test-user",
            "batch-lead-scoring",
            &json!({"count": 1000, "delay_ms": 1}),
            Duration::from_secs(60),
        )
        .await
        .unwrap_or_else(|e| panic!("the stream was refused: {e:?}"));
    let mut done = Vec::new();
    let answer = loop {
        match stream.next().await {
            Some(Ok(AgentEvent::Progress { done: d, total, .. })) => {
                assert_eq!(total, 1000);
                done.push(d);
            }
            Some(Ok(AgentEvent::Output(answer))) => break answer,
            Some(Err(error)) => panic!(
                "the stream failed: {error:?} (service log: {})",
                service().log_path.display()
            ),
            None => panic!("the stream ended without the output"),
        }
    };
    assert!(stream.next().await.is_none(), "nothing after the output");
    assert!(done.len() >= 3, "live progress: {done:?}");
    assert_eq!(done.first(), Some(&0));
    assert_eq!(done.last(), Some(&1000));
    assert!(done.windows(2).all(|w| w[0] < w[1]), "{done:?}");
    assert_eq!(answer.output["scored"], 1000);
    assert_eq!(answer.output["sample"], true);
    assert!(
        answer.duration_ms >= 1000,
        "a thousand leads, a millisecond each"
    );
}

#[tokio::test]
async fn a_streamed_agent_without_progress_answers_its_output_alone() {
    let stream = client()
        .execute_streaming(
            &execution_id(),
            "integration-test-user",
            "sentiment",
            &json!({"text": "I love it"}),
            Duration::from_secs(30),
        )
        .await
        .expect("the stream is accepted");
    let mut reports = 0;
    let answer = stream
        .until_output(|_, _, _| reports += 1)
        .await
        .expect("the output");
    assert_eq!(reports, 0);
    assert_eq!(str_at(&answer.output, "/results/0/label"), "positive");
}

#[tokio::test]
async fn a_streamed_call_is_refused_or_rejected_like_the_plain_execute() {
    let stream = |client: AgentClient, slug: &'static str, input: Value| async move {
        client
            .execute_streaming(
                &execution_id(),
                "integration-test-user",
                slug,
                &input,
                Duration::from_secs(30),
            )
            .await
    };
    let impostor = client_with_secret("not-the-shared-secret");
    let forged = stream(impostor, "batch-lead-scoring", json!({})).await;
    assert!(
        matches!(forged, Err(AgentError::Unauthorized)),
        "{forged:?}"
    );
    let unknown = stream(client(), "no-such-agent", json!({})).await;
    assert!(
        matches!(unknown, Err(AgentError::UnknownAgent)),
        "{unknown:?}"
    );
    match stream(client(), "batch-lead-scoring", json!({"count": 5001})).await {
        Err(AgentError::Rejected { fields, .. }) => assert_eq!(fields[0].field, "count"),
        other => panic!("a count over 5000 should be rejected, got {other:?}"),
    }
}

// ------------------------------------------------------------------ refusals

#[tokio::test]
async fn invalid_input_is_rejected_with_the_fields_at_fault() {
    let lead = rejected_fields(
        "lead-scoring",
        json!({"company_size": -5, "industry": "", "job_title": "CEO"}),
    )
    .await;
    let names: Vec<&str> = lead.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["company_size", "industry"], "{lead:?}");
    assert!(lead.iter().all(|f| !f.message.is_empty()));

    let email = rejected_fields(
        "email",
        json!({"subject_template": "Hi", "body_template": "Hello", "recipients": [{"email": "nope"}]}),
    )
    .await;
    assert_eq!(email[0].field, "recipients.0.email", "{email:?}");

    let forecast = rejected_fields("forecast", json!({"series": [1, 2, 3]})).await;
    assert_eq!(forecast[0].field, "series");
    assert!(forecast[0].message.contains("at least 8"), "{forecast:?}");

    let churn = rejected_fields(
        "churn",
        json!({"customers": [{"customer_id": "c1", "tenure_months": 2, "monthly_charges": 10,
                              "contract": "weekly"}],
               "surprise": true}),
    )
    .await;
    let names: Vec<&str> = churn.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["customers.0.contract", "surprise"], "{churn:?}");
}

#[tokio::test]
async fn an_unsigned_call_straight_to_the_service_is_refused_with_401() {
    let base = &service().base;
    let http = reqwest::Client::new();
    let response = http
        .post(base.join("agents/sentiment/execute").expect("a URL"))
        .json(&json!({"input": {"text": "I love it"}}))
        .send()
        .await
        .expect("the service answers");
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.expect("a JSON error");
    assert_eq!(body["error"]["type"], "unauthorized", "{body}");
    assert!(body.get("output").is_none());

    // The agent list is not open either.
    let list = http
        .get(base.join("agents").expect("a URL"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(list.status().as_u16(), 401);
}

#[tokio::test]
async fn a_call_signed_with_the_wrong_secret_is_unauthorized() {
    let impostor = client_with_secret("not-the-shared-secret");
    let result = impostor
        .execute(
            &execution_id(),
            "integration-test-user",
            "sentiment",
            &json!({"text": "I love it"}),
        )
        .await;
    assert!(
        matches!(result, Err(AgentError::Unauthorized)),
        "{result:?}"
    );
    let listed = impostor.list_agents().await;
    assert!(
        matches!(listed, Err(AgentError::Unauthorized)),
        "{listed:?}"
    );

    // The same call with the right secret goes through: the refusal was the signature.
    assert!(client().is_healthy().await);
    let output = run_agent("sentiment", json!({"text": "I love it"})).await;
    assert_eq!(str_at(&output, "/results/0/label"), "positive");
}
