//! Metered calls under load with the clock injected: 200 calls against a daily limit of 50
//! while the clock crosses midnight, and a burst rate shared by two instances. Every instance
//! of a test reads one `ManualClock`, so "now" is the same for all of them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use abetworks::clock::{ManualClock, SharedClock};
use abetworks::entities::enums::Role;
use abetworks::entities::user_agent_licenses;
use abetworks::on_every_database;
use abetworks::testing::{run_with_timeout, Backend, TestDatabase};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::common::{
    id_of, licensing_on_clock, script_client, spawn_app_on_url_with_clock, TestApp,
};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("an RFC 3339 instant")
}

/// One or more instances on one database in front of the stand-in agents, all on `clock`,
/// and a member's API key for `echo`, licensed by `plan` (a grant body's plan fields).
struct Metered {
    instances: Vec<TestApp>,
    secret: String,
    echo: String,
    license_id: String,
}

async fn metered(
    database: TestDatabase,
    clock: &ManualClock,
    instances: usize,
    plan: Value,
) -> Metered {
    let shared = || -> SharedClock { Arc::new(clock.clone()) };
    let (app, admin, echo) = licensing_on_clock(database, shared()).await;
    let (member, member_id) = app.signed_in("lea@example.com", Role::Member).await;
    let license_id = id_of(&app.grant(&admin, &member_id, &echo, plan).await);
    let secret = app.api_key(&member, json!({"name": "load"})).await;

    let url = app.database.as_ref().unwrap().url.clone();
    let agents = app.state.config.agent_service_url.to_string();
    let mut all = vec![app];
    for _ in 1..instances {
        all.push(spawn_app_on_url_with_clock(&url, &agents, shared()).await);
    }
    Metered {
        instances: all,
        secret,
        echo,
        license_id,
    }
}

/// What one call was answered.
#[derive(Debug)]
struct Answer {
    status: u16,
    code: Option<String>,
    retry_after: Option<u64>,
    /// `usage.windowStart` of a success: the day the call counted in.
    window_start: Option<DateTime<Utc>>,
}

impl Metered {
    /// Sends call `n` to instance `n % instances` in a task of its own (so it is in flight
    /// while the test goes on).
    fn send(&self, client: &reqwest::Client, n: usize) -> JoinHandle<Answer> {
        let app = &self.instances[n % self.instances.len()];
        let request = client
            .post(app.url(&format!("/api/agents/{}/execute", self.echo)))
            .bearer_auth(&self.secret)
            .json(&json!({"input": {"n": n}}));
        tokio::spawn(async move {
            let response = request.send().await.expect("the call is answered");
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok()?.parse().ok());
            let body: Value = response.json().await.unwrap_or(Value::Null);
            Answer {
                status,
                code: body["error"]["code"].as_str().map(str::to_owned),
                retry_after,
                window_start: body["usage"]["windowStart"]
                    .as_str()
                    .and_then(|text| text.parse().ok()),
            }
        })
    }

    async fn stored(&self) -> user_agent_licenses::Model {
        user_agent_licenses::Entity::find_by_id(self.license_id.clone())
            .one(&self.instances[0].state.db)
            .await
            .unwrap()
            .expect("the license row")
    }
}

async fn answers(tasks: Vec<JoinHandle<Answer>>) -> Vec<Answer> {
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.expect("the call task ran"));
    }
    answers
}

/// 200 calls against a daily limit of 50: 100 sent at 23:59:59.5, the clock moved to
/// 00:00:00.5 once that day is full (its other calls still in flight), 100 more sent. Each day
/// admits exactly 50, counted by the day each success reports.
async fn across_midnight(database: TestDatabase, instances: usize) {
    let clock = ManualClock::new(at("2027-01-14T23:59:59.500Z"));
    let metered = metered(
        database,
        &clock,
        instances,
        json!({"apiCallLimit": 50, "window": "day", "windowTimeZone": "UTC"}),
    )
    .await;
    let (old_day, new_day) = (at("2027-01-14T00:00:00Z"), at("2027-01-15T00:00:00Z"));
    let client = script_client();
    let mut tasks: Vec<_> = (0..100).map(|n| metered.send(&client, n)).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored = metered.stored().await;
        if (stored.window_start_unix, stored.api_calls_used) == (old_day.timestamp(), 50) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the old day fills up: {stored:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    clock.set(at("2027-01-15T00:00:00.500Z"));
    tasks.extend((100..200).map(|n| metered.send(&client, n)));

    let answers = answers(tasks).await;
    let ok_in = |day| {
        answers
            .iter()
            .filter(|a| a.status == 200 && a.window_start == Some(day))
            .count()
    };
    assert_eq!((ok_in(old_day), ok_in(new_day)), (50, 50), "{answers:?}");
    for refused in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(refused.status, 429, "{refused:?}");
        assert_eq!(
            refused.code.as_deref(),
            Some("QUOTA_EXCEEDED"),
            "{refused:?}"
        );
        assert!(
            refused
                .retry_after
                .is_some_and(|secs| (1..=86_400).contains(&secs)),
            "a daily quota says when it resets: {refused:?}"
        );
    }
    let stored = metered.stored().await;
    assert_eq!(
        (stored.window_start_unix, stored.api_calls_used),
        (new_day.timestamp(), 50),
        "the counter equals the new day's successes"
    );
}

async fn two_hundred_calls_against_a_daily_limit_of_fifty_across_midnight_give_exactly_fifty_each_day(
    database: TestDatabase,
) {
    across_midnight(database, 1).await;
}
on_every_database!(
    two_hundred_calls_against_a_daily_limit_of_fifty_across_midnight_give_exactly_fifty_each_day
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgresql_sharing_one_clock_across_midnight_give_exactly_fifty_each_day()
{
    if let Some(database) = TestDatabase::create(Backend::Postgres).await {
        run_with_timeout(database, |database| across_midnight(database, 2)).await;
    }
}

/// 20 simultaneous calls on two instances within one frozen second, against a burst rate of
/// 5 per second: 5 run, 15 are told to wait a second; the next second admits 5 again.
async fn a_burst_rate_of_five_per_second_across_two_instances_admits_five_in_total_and_retry_after_for_the_rest(
    database: TestDatabase,
) {
    let clock = ManualClock::new(at("2027-01-14T12:00:00.250Z"));
    let metered = metered(
        database,
        &clock,
        2,
        json!({"apiCallLimit": -1, "burstPerSecond": 5}),
    )
    .await;
    let client = script_client();
    for second in 0..2 {
        let tasks: Vec<_> = (0..20).map(|n| metered.send(&client, n)).collect();
        let answers = answers(tasks).await;
        let ok = answers.iter().filter(|a| a.status == 200).count();
        assert_eq!(ok, 5, "second {second}: {answers:?}");
        for refused in answers.iter().filter(|a| a.status != 200) {
            assert_eq!(refused.status, 429, "{refused:?}");
            assert_eq!(refused.code.as_deref(), Some("RATE_LIMITED"), "{refused:?}");
            assert_eq!(refused.retry_after, Some(1), "{refused:?}");
        }
        clock.advance(chrono::Duration::seconds(1));
    }
    assert_eq!(
        metered.stored().await.api_calls_used,
        10,
        "refused calls take nothing"
    );
}

on_every_database!(a_burst_rate_of_five_per_second_across_two_instances_admits_five_in_total_and_retry_after_for_the_rest);
