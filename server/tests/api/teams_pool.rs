//! An organisation's pool under load, through the REST API: three members share a pool of 20
//! and fire 100 calls at once, on one instance or two; a per-member cap holds; a member's own
//! license is used before the pool, and every answer says which one it counted against.

use abetworks::entities::enums::Role;
use abetworks::entities::{agent_subscriptions, subscription_member_usage};
use abetworks::on_every_database;
use abetworks::testing::{run_with_timeout, Backend, TestDatabase};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::common::{id_of, licensing, script_client, spawn_app_on_url, TestApp};

/// Instances on one database in front of the stand-in agents, and the API keys of three
/// members of a team subscribed to `echo` (none holds a license).
struct Pool {
    instances: Vec<TestApp>,
    echo: String,
    subscription_id: String,
    keys: Vec<String>,
    member_ids: Vec<String>,
}

const MEMBERS: [&str; 3] = ["mia", "noa", "ola"];

async fn pool(database: TestDatabase, instances: usize, plan: Value) -> Pool {
    let (app, root, echo) = licensing(database).await;
    let lead = app.team_admin(&root, "Pool", "lead@example.com").await;
    let subscription_id = id_of(&app.subscribe(&root, &lead.team_id, &echo, plan).await);
    let (mut keys, mut member_ids) = (Vec::new(), Vec::new());
    for name in MEMBERS {
        let (member, id) = app
            .join(&lead.client, &format!("{name}@example.com"), Role::Member)
            .await;
        keys.push(app.api_key(&member, json!({"name": "load"})).await);
        member_ids.push(id);
    }
    let url = app.database.as_ref().expect("a database").url.clone();
    let agents = app.state.config.agent_service_url.to_string();
    let mut all = vec![app];
    for _ in 1..instances {
        all.push(spawn_app_on_url(&url, &agents).await);
    }
    Pool {
        instances: all,
        echo,
        subscription_id,
        keys,
        member_ids,
    }
}

/// What one call was answered.
#[derive(Debug)]
struct Answer {
    /// Which member called (an index of [`MEMBERS`]).
    member: usize,
    status: u16,
    code: Option<String>,
    /// `usage.source` of a success.
    source: Option<String>,
}

impl Pool {
    /// Call `n`: member `n % 3` on instance `n % instances`, in a task of its own.
    fn send(&self, client: &reqwest::Client, n: usize) -> JoinHandle<Answer> {
        let app = &self.instances[n % self.instances.len()];
        let member = n % self.keys.len();
        let request = client
            .post(app.url(&format!("/api/agents/{}/execute", self.echo)))
            .bearer_auth(&self.keys[member])
            .json(&json!({"input": {"n": n}}));
        tokio::spawn(async move {
            let response = request.send().await.expect("the call is answered");
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            Answer {
                member,
                status,
                code: body["error"]["code"].as_str().map(str::to_owned),
                source: body["usage"]["source"].as_str().map(str::to_owned),
            }
        })
    }

    /// `calls` calls at once, spread over the members and instances.
    async fn fire(&self, calls: usize) -> Vec<Answer> {
        let client = script_client();
        let tasks: Vec<_> = (0..calls).map(|n| self.send(&client, n)).collect();
        let mut answers = Vec::with_capacity(calls);
        for task in tasks {
            answers.push(task.await.expect("the call task ran"));
        }
        answers
    }

    async fn pool_used(&self) -> i64 {
        agent_subscriptions::Entity::find_by_id(self.subscription_id.clone())
            .one(&self.instances[0].state.db)
            .await
            .expect("the database answers")
            .expect("the subscription")
            .api_calls_used
    }

    /// Each member's count against the subscription, in [`MEMBERS`] order.
    async fn member_used(&self) -> Vec<i64> {
        let rows = subscription_member_usage::Entity::find()
            .filter(subscription_member_usage::Column::SubscriptionId.eq(&self.subscription_id))
            .all(&self.instances[0].state.db)
            .await
            .expect("the database answers");
        self.member_ids
            .iter()
            .map(|id| {
                rows.iter()
                    .find(|row| &row.user_id == id)
                    .map_or(0, |row| row.calls_used)
            })
            .collect()
    }
}

/// Every refusal is the pool's quota, said as such.
fn assert_refusals_are_quota_exceeded(answers: &[Answer]) {
    for refused in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(refused.status, 429, "{refused:?}");
        assert_eq!(
            refused.code.as_deref(),
            Some("QUOTA_EXCEEDED"),
            "{refused:?}"
        );
    }
}

async fn twenty_of_a_hundred(database: TestDatabase, instances: usize) {
    let pool = pool(database, instances, json!({"apiCallLimit": 20})).await;
    let answers = pool.fire(100).await;
    let admitted: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
    assert_eq!(admitted.len(), 20, "{answers:?}");
    assert!(
        admitted
            .iter()
            .all(|a| a.source.as_deref() == Some("subscription")),
        "every success counted against the pool: {admitted:?}"
    );
    assert_refusals_are_quota_exceeded(&answers);
    assert_eq!(
        pool.pool_used().await,
        20,
        "the pool's counter equals its successes"
    );
    let per_member = pool.member_used().await;
    for (member, used) in per_member.iter().enumerate() {
        let succeeded = admitted.iter().filter(|a| a.member == member).count() as i64;
        assert_eq!(*used, succeeded, "{} counts what they ran", MEMBERS[member]);
    }
}

async fn a_pool_of_twenty_shared_by_three_members_admits_exactly_twenty_of_a_hundred_simultaneous_calls(
    database: TestDatabase,
) {
    twenty_of_a_hundred(database, 1).await;
}
on_every_database!(
    a_pool_of_twenty_shared_by_three_members_admits_exactly_twenty_of_a_hundred_simultaneous_calls
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_of_twenty_admits_exactly_twenty_of_a_hundred_calls_across_two_instances_on_postgresql(
) {
    if let Some(database) = TestDatabase::create(Backend::Postgres).await {
        run_with_timeout(database, |database| twenty_of_a_hundred(database, 2)).await;
    }
}

async fn a_cap_of_five_per_member_holds_under_a_hundred_simultaneous_calls(database: TestDatabase) {
    let pool = pool(database, 1, json!({"apiCallLimit": 20, "memberCap": 5})).await;
    let answers = pool.fire(100).await;
    for (member, name) in MEMBERS.iter().enumerate() {
        let admitted = answers
            .iter()
            .filter(|a| a.member == member && a.status == 200)
            .count();
        assert_eq!(admitted, 5, "{name} runs exactly their cap: {answers:?}");
    }
    assert_refusals_are_quota_exceeded(&answers);
    assert_eq!(pool.pool_used().await, 15);
    assert_eq!(pool.member_used().await, [5, 5, 5]);
}
on_every_database!(a_cap_of_five_per_member_holds_under_a_hundred_simultaneous_calls);

async fn a_members_own_license_is_used_before_the_pool_and_the_answer_names_the_source(
    database: TestDatabase,
) {
    let pool = pool(database, 1, json!({"apiCallLimit": 20})).await;
    let app = &pool.instances[0];
    let root = app.new_client();
    let signed_in = app
        .login(&root, crate::common::ROOT, crate::common::PASSWORD)
        .await;
    assert_eq!(signed_in.status(), 200);
    app.grant(
        &root,
        &pool.member_ids[0],
        &pool.echo,
        json!({"apiCallLimit": 2}),
    )
    .await;
    let client = script_client();
    let mut sources = Vec::new();
    for _ in 0..4 {
        // Member 0 each time: call numbers that are multiples of 3.
        let answer = pool.send(&client, 0).await.expect("the call task ran");
        assert_eq!(answer.status, 200, "{answer:?}");
        sources.push(answer.source.unwrap_or_default());
    }
    assert_eq!(
        sources,
        ["license", "license", "subscription", "subscription"]
    );
    assert_eq!(pool.pool_used().await, 2);
    assert_eq!(pool.member_used().await, [2, 0, 0]);
}
on_every_database!(a_members_own_license_is_used_before_the_pool_and_the_answer_names_the_source);
