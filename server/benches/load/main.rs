//! Load benchmark (`make bench`): the server as a process of its own on 127.0.0.1, in front of
//! a stand-in agent service, measured against its own baselines in the same run: the
//! stand-in called directly, and a bare route of the same binary that forwards to the
//! stand-in with no authentication and no database (feature `bench-baseline`). On SQLite and
//! PostgreSQL, at 1, 64 and 1000 connections: execute on one hot license and over 1000
//! licenses (every counter checked against its successes); the marketplace page with 500
//! agents and 10 000 users; sign-ins; the server's peak resident memory; the marketplace's
//! first-load transfer when a built site is there. Prints one markdown table per backend.
//!
//! Bounded: fixed request counts, a 10 s timeout per request, a deadline after which no
//! request is sent. Sized by `BENCH_*` variables (settings.rs).

#![recursion_limit = "256"]

// The tests' helpers: the stand-in agent service and the server binary as a process.
#[path = "../../tests/api/common/mod.rs"]
#[allow(dead_code)]
mod common;

mod first_load;
mod machine;
mod memory;
mod scenario;
mod seed;
mod settings;
mod table;

use std::time::Instant;

use abetworks::testing::{Backend, TestDatabase};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING, COOKIE, SET_COOKIE};
use serde_json::{json, Value};

use common::server_binary::ServerProcess;
use scenario::Run;
use seed::Seeded;
use settings::Settings;
use table::{BackendReport, Scenario};

/// What every agent call sends.
fn call_body() -> Value {
    json!({"input": {"text": "load"}})
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let settings = Settings::from_env();
    let deadline = started + settings.deadline;
    machine::require_open_files(settings.most_connections() as u64 * 2 + 256);
    let machine = machine::describe();
    println!("machine: {machine}");
    let stand_in = common::stand_in::start_with_echoes(settings.agents).await;
    // One argon2id hash for every seeded user: they share the password.
    let password_hash =
        abetworks::password::hash_password(common::PASSWORD).expect("the password hashes");
    let site = first_load::built_site();
    match &site {
        Some(site) => println!("site: {} (first load measured)", site.display()),
        None => println!("site: none built (first load not measured; `make build` builds it)"),
    }

    let mut reports = Vec::new();
    for &backend in &settings.backends {
        let name = table::backend_name(backend);
        let Some(database) = TestDatabase::create(backend).await else {
            println!("{name}: skipped (ABETWORKS_TEST_POSTGRES=skip)");
            continue;
        };
        println!("{name}:");
        let context = Context {
            settings: &settings,
            stand_in: &stand_in,
            password_hash: &password_hash,
            site: site.as_deref(),
            deadline,
        };
        let report = bench_backend(backend, &database, &context).await;
        // Printed as soon as it is known, so a run cut short keeps the backends it finished.
        table::print(&report);
        reports.push(report);
    }

    println!(
        "\nMachine: {machine}. {}, {:.0} s in all.",
        chrono::Utc::now().format("%Y-%m-%d"),
        started.elapsed().as_secs_f64()
    );
    let problems: Vec<&String> = reports.iter().flat_map(|r| &r.problems).collect();
    assert!(
        problems.is_empty(),
        "the benchmark's checks failed: {problems:#?}"
    );
}

/// What every backend's run shares.
struct Context<'a> {
    settings: &'a Settings,
    stand_in: &'a str,
    password_hash: &'a str,
    site: Option<&'a std::path::Path>,
    deadline: Instant,
}

async fn bench_backend(
    backend: Backend,
    database: &TestDatabase,
    context: &Context<'_>,
) -> BackendReport {
    let settings = context.settings;
    let db = abetworks::db::connect_and_migrate(&database.url)
        .await
        .expect("the benchmark database is reachable");
    let seeded = seed::seed(&db, context.stand_in, settings, context.password_hash).await;
    let site = context.site.map(|site| site.display().to_string());
    let mut environment = vec![
        ("AGENT_SERVICE_URL", context.stand_in),
        ("LEPTOS_ENV", "PROD"),
    ];
    if let Some(site) = &site {
        environment.push(("LEPTOS_SITE_ROOT", site.as_str()));
    }
    let server = ServerProcess::start_with(&database.url, &environment).await;
    let address = server.address.clone();
    require_bare_route(&address).await;

    let mut report = BackendReport {
        backend,
        rows: Vec::new(),
        resident: None,
        first_load: None,
        notes: Vec::new(),
        problems: Vec::new(),
    };
    note_resident(&mut report, &server, "after start");
    let tally = gateway_scenarios(&mut report, &address, &seeded, context).await;
    note_resident(&mut report, &server, "after the gateway scenarios");
    check_counters(&mut report, &db, &seeded, &tally, settings).await;
    let cookie = sign_in(&address, &seeded.hot.email).await;
    marketplace(&mut report, &address, &cookie, context).await;
    note_resident(&mut report, &server, "after the marketplace pages");
    sign_ins(&mut report, &address, &seeded, context).await;
    note_resident(&mut report, &server, "after the sign-ins");
    if site.is_some() {
        let load = first_load::measure(&address, &cookie).await;
        for file in load.files.iter().filter(|f| f.status != 200) {
            let problem = format!("first load: {} answered {}", file.path, file.status);
            report.problems.push(problem);
        }
        report.first_load = Some(load);
    }
    report.resident = server.pid().and_then(memory::of_process);
    drop(server);
    db.close().await.expect("the benchmark's connections close");
    report
}

/// Notes the server's resident memory `when`: which phase raised the peak.
fn note_resident(report: &mut BackendReport, server: &ServerProcess, when: &str) {
    if let Some(resident) = server.pid().and_then(memory::of_process) {
        report.notes.push(format!(
            "server memory {when}: {:.0} MB resident, peak {:.0} MB",
            resident.now as f64 / 1e6,
            resident.peak as f64 / 1e6
        ));
    }
}

/// Fails the run at once when the server lacks the baseline route (built without the
/// `bench-baseline` feature) or the route does not reach the stand-in.
async fn require_bare_route(address: &str) {
    let response = reqwest::Client::new()
        .post(format!("{address}/bench/bare/echo"))
        .json(&call_body())
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    assert!(
        status == 200 && body["output"]["echo"] == call_body()["input"],
        "POST /bench/bare/echo answered {status} {body}: the server must be built with \
         `--features bench-baseline` (make bench does)"
    );
}

/// What one license's calls came to, to hold its counter against: the ones that succeeded,
/// and the ones that got no answer (a timeout), which the server may or may not have counted.
#[derive(Clone, Copy, Default)]
struct Calls {
    succeeded: i64,
    unanswered: i64,
}

impl Calls {
    fn add(&mut self, outcome: &Result<u16, String>) {
        match outcome {
            Ok(status) if (200..300).contains(status) => self.succeeded += 1,
            Err(_) => self.unanswered += 1,
            Ok(_) => {}
        }
    }

    /// Whether `counted` can be this license's counter: every success, perhaps some calls
    /// that got no answer, never more than `limit`.
    fn explain(&self, counted: i64, limit: i64) -> bool {
        (self.succeeded..=self.succeeded + self.unanswered).contains(&counted) && counted <= limit
    }
}

/// The calls of the hot license and of each spread license (by place in `Seeded::spread`).
struct Tally {
    hot: Calls,
    spread: Vec<Calls>,
}

/// Stand-in direct, the bare route, execute on the hot license and execute over the spread
/// licenses, at each connection count. Each count's client first opens its connections.
async fn gateway_scenarios(
    report: &mut BackendReport,
    address: &str,
    seeded: &Seeded,
    context: &Context<'_>,
) -> Tally {
    let settings = context.settings;
    let body = call_body();
    let direct = format!("{}/agents/echo/execute", context.stand_in);
    let bare = format!("{address}/bench/bare/echo");
    let execute = format!("{address}/api/agents/{}/execute", seeded.echo_id);
    let spread = &seeded.spread;
    let spread_label = format!("execute, {} licenses", spread.len());
    let mut spread_start = 0;
    let mut tally = Tally {
        hot: Calls::default(),
        spread: vec![Calls::default(); spread.len()],
    };
    for &connections in &settings.connections {
        let planned = settings.requests_at(connections);
        let client = scenario::client(connections, HeaderMap::new());
        let stand_in_health = format!("{}/health", context.stand_in);
        scenario::warm_up(&client, &stand_in_health, connections).await;
        scenario::warm_up(&client, &format!("{address}/healthz"), connections).await;
        let deadline = context.deadline;

        let run = scenario::run(planned, connections, deadline, |_| {
            client.post(&direct).json(&body)
        })
        .await;
        report.add(
            Scenario::StandIn,
            "stand-in agent service, direct",
            connections,
            &run,
        );

        let run = scenario::run(planned, connections, deadline, |_| {
            client.post(&bare).json(&body)
        })
        .await;
        report.add(
            Scenario::Bare,
            "bare route (no auth, no database)",
            connections,
            &run,
        );

        let run = scenario::run(planned, connections, deadline, |_| {
            client
                .post(&execute)
                .bearer_auth(&seeded.hot.key)
                .json(&body)
        })
        .await;
        for sample in &run.samples {
            tally.hot.add(&sample.outcome);
        }
        report.add(
            Scenario::ExecuteHot,
            "execute, one hot license",
            connections,
            &run,
        );

        let caller = |index: usize| (spread_start + index) % spread.len();
        let run = scenario::run(planned, connections, deadline, |index| {
            let key = &spread[caller(index)].key;
            client.post(&execute).bearer_auth(key).json(&body)
        })
        .await;
        for sample in &run.samples {
            tally.spread[caller(sample.index)].add(&sample.outcome);
        }
        report.add(Scenario::ExecuteSpread, &spread_label, connections, &run);
        spread_start += planned;
    }
    tally
}

/// Each license counted exactly the calls that succeeded on it (and perhaps some that got no
/// answer in time), and none passed its limit.
async fn check_counters(
    report: &mut BackendReport,
    db: &sea_orm::DatabaseConnection,
    seeded: &Seeded,
    tally: &Tally,
    settings: &Settings,
) {
    let used = seed::calls_used(db).await;
    let counted = |caller: &seed::Caller| used.get(&caller.license_id).copied().unwrap_or(-1);
    let described = |caller: &seed::Caller, calls: &Calls| {
        format!(
            "{} counted {} calls: {} succeeded, {} got no answer",
            caller.email,
            counted(caller),
            calls.succeeded,
            calls.unanswered
        )
    };
    let hot = &seeded.hot;
    report
        .notes
        .push(format!("hot license: {}", described(hot, &tally.hot)));
    if !tally.hot.explain(counted(hot), settings.hot_limit()) {
        let problem = format!(
            "the hot license's counter is wrong: {}",
            described(hot, &tally.hot)
        );
        report.problems.push(problem);
    }
    let limit = settings.spread_limit();
    let wrong: Vec<String> = seeded
        .spread
        .iter()
        .zip(&tally.spread)
        .filter(|(caller, calls)| !calls.explain(counted(caller), limit))
        .map(|(caller, calls)| described(caller, calls))
        .collect();
    let unanswered: i64 = tally.spread.iter().map(|calls| calls.unanswered).sum();
    report.notes.push(format!(
        "{} of {} licenses (limit {limit} calls) counted their successes{} within the limit",
        seeded.spread.len() - wrong.len(),
        seeded.spread.len(),
        match unanswered {
            0 => String::new(),
            n => format!(" (and some of the {n} calls that got no answer)"),
        }
    ));
    if !wrong.is_empty() {
        let shown: Vec<&str> = wrong.iter().take(10).map(String::as_str).collect();
        report.problems.push(format!(
            "{} of the spread licenses count wrongly, e.g. {}",
            wrong.len(),
            shown.join("; ")
        ));
    }
}

/// Signs `email` in; the session cookie its browser would send from then on.
async fn sign_in(address: &str, email: &str) -> HeaderValue {
    let response = reqwest::Client::new()
        .post(format!("{address}/api/auth/login"))
        .json(&json!({"email": email, "password": common::PASSWORD}))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200, "{email} signs in");
    let cookies: Vec<&str> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|cookie| cookie.split(';').next())
        .collect();
    HeaderValue::from_str(&cookies.join("; ")).expect("a cookie header")
}

/// `GET /marketplace` as the signed-in hot-license member, asking for brotli or gzip as a
/// browser does, on kept-alive connections.
async fn marketplace(
    report: &mut BackendReport,
    address: &str,
    cookie: &HeaderValue,
    context: &Context<'_>,
) {
    let settings = context.settings;
    let url = format!("{address}/marketplace");
    let page = reqwest::Client::new()
        .get(&url)
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("the marketplace answers");
    assert_eq!(page.status(), 200, "the marketplace page answers");
    let html = page.text().await.expect("the page is read");
    // Agent names end where their element does: `Echo agent 7<`.
    let listed = (1..settings.agents)
        .filter(|i| html.contains(&format!("Echo agent {i}<")))
        .count()
        + usize::from(html.contains("Stand-in echo<"));
    report.notes.push(format!(
        "marketplace page: {:.0} kB uncompressed, shows {listed} of {} agents by name",
        html.len() as f64 / 1e3,
        settings.agents
    ));
    let label = format!(
        "marketplace page, {} agents, {} users",
        settings.agents,
        settings.users + 1
    );
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, cookie.clone());
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("br, gzip"));
    for &connections in &settings.page_connections {
        let client = scenario::client(connections, headers.clone());
        scenario::warm_up(&client, &format!("{address}/healthz"), connections).await;
        let run = scenario::run(
            settings.page_requests,
            connections,
            context.deadline,
            |_| client.get(&url),
        )
        .await;
        report.add(Scenario::Marketplace, &label, connections, &run);
    }
}

/// Sign-ins of members who hold no license, each verifying an argon2id hash.
async fn sign_ins(
    report: &mut BackendReport,
    address: &str,
    seeded: &Seeded,
    context: &Context<'_>,
) {
    let settings = context.settings;
    let emails = &seeded.others;
    if emails.is_empty() || settings.logins == 0 {
        return;
    }
    let url = format!("{address}/api/auth/login");
    let connections = settings.login_concurrency;
    let client = scenario::client(connections, HeaderMap::new());
    let run: Run = scenario::run(settings.logins, connections, context.deadline, |index| {
        let email = &emails[index % emails.len()];
        client
            .post(&url)
            .json(&json!({"email": email, "password": common::PASSWORD}))
    })
    .await;
    report.add(Scenario::SignIns, "sign-ins (argon2id)", connections, &run);
}
