//! Rows for the services' tests, inserted directly: users without argon2 (slow in debug
//! builds) and catalog agents without the agent service.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use crate::actor::Actor;
use crate::entities::enums::{AgentStatus, Role};
use crate::entities::{agent_catalog, organizations, users};
use crate::error::CoreResult;
use crate::ids::new_id;

/// A user in an organisation of their own; the password hash is a placeholder.
pub async fn user(db: &DatabaseConnection, email: &str, role: Role) -> users::Model {
    let now = Utc::now();
    let org_id = new_id();
    organizations::ActiveModel {
        id: Set(org_id.clone()),
        name: Set(format!("{email}'s organisation")),
        slug: Set(format!("personal-{org_id}")),
        created_at: Set(now),
        personal: Set(true),
    }
    .insert(db)
    .await
    .expect("organisation inserted");
    users::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id),
        email: Set(email.to_lowercase()),
        name: Set(email.split('@').next().unwrap_or(email).to_owned()),
        password_hash: Set("not-a-hash".into()),
        role: Set(role),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
    }
    .insert(db)
    .await
    .expect("user inserted")
}

pub async fn member(db: &DatabaseConnection, email: &str) -> users::Model {
    user(db, email, Role::Member).await
}

pub async fn super_admin(db: &DatabaseConnection, email: &str) -> users::Model {
    user(db, email, Role::SuperAdmin).await
}

/// `user` as the caller of a core function, with no address or request id.
pub fn actor(user: &users::Model) -> Actor {
    Actor::new(user, None, None)
}

/// `user` as the caller of a core function, from the address `ip`.
pub fn actor_from(user: &users::Model, ip: &str) -> Actor {
    Actor::new(user, Some(ip.to_owned()), None)
}

/// A catalog agent; `published` decides whether the marketplace lists it.
pub async fn agent(db: &DatabaseConnection, slug: &str, published: bool) -> agent_catalog::Model {
    let now = Utc::now();
    agent_catalog::ActiveModel {
        id: Set(new_id()),
        slug: Set(slug.to_owned()),
        name: Set(format!("Agent {slug}")),
        short_description: Set(format!("{slug} does things")),
        long_description: Set(String::new()),
        category: Set("testing".into()),
        price_cents: Set(0),
        currency: Set("USD".into()),
        icon: Set(String::new()),
        features: Set(serde_json::json!([])),
        input_schema: Set(serde_json::json!({})),
        output_schema: Set(serde_json::json!({})),
        version: Set("1.0.0".into()),
        published: Set(published),
        status: Set(AgentStatus::Available),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("agent inserted")
}

/// A migrated connection to the test's database.
pub async fn connect(db: &crate::testing::TestDatabase) -> DatabaseConnection {
    crate::db::connect_and_migrate(&db.url)
        .await
        .expect("the test database connects and migrates")
}

type User = users::Model;
type Agent = agent_catalog::Model;
/// The database, the super admin, the member and the agent of [`cast`].
pub type Cast = (DatabaseConnection, User, User, Agent);
/// The database, the super admin, the two members and the two agents of [`crowd`].
pub type Crowd = (DatabaseConnection, User, User, User, Agent, Agent);

/// The cast of most service tests, in a migrated database: the super admin
/// `admin@example.com`, the member `ana@example.com` and the published agent `summarizer`.
pub async fn cast(db: &crate::testing::TestDatabase) -> Cast {
    let db = connect(db).await;
    let admin = super_admin(&db, "admin@example.com").await;
    let user = member(&db, "ana@example.com").await;
    let agent = agent(&db, "summarizer", true).await;
    (db, admin, user, agent)
}

/// The larger cast, in a migrated database: the super admin `admin@example.com`, the members
/// `ana@example.com` and `bob@example.com`, and the published agents `summarizer` and
/// `translator`, in that order.
pub async fn crowd(db: &crate::testing::TestDatabase) -> Crowd {
    let (db, admin, ana, summarizer) = cast(db).await;
    let bob = member(&db, "bob@example.com").await;
    let translator = agent(&db, "translator", true).await;
    (db, admin, ana, bob, summarizer, translator)
}

/// Fails the test unless `result` is refused as invalid input in `field`.
#[track_caller]
pub fn assert_invalid<T: std::fmt::Debug>(result: &crate::error::CoreResult<T>, field: &str) {
    assert!(
        matches!(result, Err(crate::error::CoreError::Invalid { field: f, .. }) if f == field),
        "expected {field} to be refused as invalid, got {result:?}"
    );
}

/// The default value (a list filter, an approval…) with one `change`, such as a field set.
pub fn default_with<T: Default>(change: impl FnOnce(&mut T)) -> T {
    let mut value = T::default();
    change(&mut value);
    value
}

/// A list filter with a date range, for the date checks the lists' tests share.
pub trait DatedFilter {
    /// The filter that keeps what falls between `from` and `to`, and nothing else.
    fn between(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self;
}

macro_rules! dated_filters {
    ($($filter:ty),*) => {$(
        impl DatedFilter for $filter {
            fn between(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
                Self { from, to, ..Default::default() }
            }
        }
    )*};
}

dated_filters!(
    crate::access_requests::AccessRequestFilter,
    crate::error_logs::ErrorFilter,
    crate::executions::ExecutionFilter
);

/// Checks a list's date range, given how many rows the list finds with a filter: a range that
/// starts in the future finds none, and an inverted range is refused in `from`.
pub async fn assert_dates_checked<F: DatedFilter>(found: impl AsyncFn(F) -> CoreResult<u64>) {
    let now = Utc::now();
    let future = found(F::between(Some(now + chrono::Duration::minutes(5)), None)).await;
    assert_eq!(future.expect("the list"), 0, "a range from the future");
    let inverted = found(F::between(Some(now), Some(now - chrono::Duration::days(1)))).await;
    assert_invalid(&inverted, "from");
}

/// Awaits tasks racing for one thing: how many succeeded, every other having lost with a
/// conflict (anything else fails the test).
pub async fn successes_among_conflicts<T: std::fmt::Debug>(
    tasks: Vec<tokio::task::JoinHandle<crate::error::CoreResult<T>>>,
) -> usize {
    let mut successes = 0;
    for task in tasks {
        match task.await.expect("the task ran") {
            Ok(_) => successes += 1,
            Err(crate::error::CoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    successes
}

/// How many calls a license of [`license`] allows: a number for its lifetime, or a number per
/// window of a plan (`(limit, plan)`).
pub struct Limit {
    calls: i64,
    plan: crate::licenses::QuotaPlan,
}

impl From<i64> for Limit {
    fn from(calls: i64) -> Self {
        (calls, Default::default()).into()
    }
}

impl From<(i64, crate::licenses::QuotaPlan)> for Limit {
    fn from((calls, plan): (i64, crate::licenses::QuotaPlan)) -> Self {
        Self { calls, plan }
    }
}

/// Grants `user` a license for `agent` from `admin`, with no expiry: `limit` calls for its
/// lifetime, or `(limit, plan)`: so many per window of the plan.
pub async fn license(
    db: &DatabaseConnection,
    admin: &users::Model,
    user: &users::Model,
    agent: &agent_catalog::Model,
    limit: impl Into<Limit>,
) -> crate::licenses::LicenseView {
    let Limit { calls, plan } = limit.into();
    crate::licenses::grant(
        db,
        &actor(admin),
        crate::licenses::GrantLicense {
            user_id: user.id.clone(),
            agent_id: agent.id.clone(),
            api_call_limit: calls,
            expires_at: None,
            plan,
        },
    )
    .await
    .expect("license granted")
}

/// Takes one call from a license at `now` (no burst rate), as the gateway does; whether it
/// was admitted.
pub async fn admit(db: &DatabaseConnection, license_id: &str, now: chrono::DateTime<Utc>) -> bool {
    use crate::entities::user_agent_licenses as licenses;
    use sea_orm::EntityTrait;
    let license = licenses::Entity::find_by_id(license_id)
        .one(db)
        .await
        .expect("license read")
        .expect("the license exists");
    let ctx = crate::quota::QuotaContext {
        now,
        default_burst_per_second: None,
    };
    matches!(
        crate::quota::admit(db, &license, &ctx)
            .await
            .expect("admission ran"),
        crate::quota::Admission::Admitted { .. }
    )
}

/// How many rows `E` holds.
pub async fn count<E>(db: &DatabaseConnection) -> u64
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    E::find().count(db).await.expect("rows counted")
}

/// The row of `E` whose primary key is `id`; the test fails when there is none.
pub async fn row<E>(db: &DatabaseConnection, id: &str) -> E::Model
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
    String: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    E::find_by_id(id.to_owned())
        .one(db)
        .await
        .expect("the row is read")
        .expect("the row exists")
}

/// One pair (or other value) per item of `items`, made by `pair`: what a list holds, in a form
/// to compare with what it should hold.
pub fn pairs<'a, T, P>(items: &'a [T], pair: impl Fn(&'a T) -> P) -> Vec<P> {
    items.iter().map(pair).collect()
}

/// How many rows of `E` meet `condition`.
pub async fn count_where<E>(
    db: &DatabaseConnection,
    condition: impl sea_orm::sea_query::IntoCondition,
) -> u64
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::{PaginatorTrait, QueryFilter};
    E::find()
        .filter(condition)
        .count(db)
        .await
        .expect("rows counted")
}

/// The default page of a list (its first, of the default size).
pub fn page() -> crate::pagination::PageRequest {
    Default::default()
}

/// The smallest cast, in a migrated database: the member `ana@example.com` and the published
/// agent `summarizer`.
pub async fn customer(db: &crate::testing::TestDatabase) -> (DatabaseConnection, User, Agent) {
    let db = connect(db).await;
    let user = member(&db, "ana@example.com").await;
    let agent = agent(&db, "summarizer", true).await;
    (db, user, agent)
}

/// What starting a run of `agent` for `user` asks for (no license, no key, a small input).
pub fn new_run(user: &User, agent: &Agent) -> crate::executions::NewExecution {
    crate::executions::NewExecution {
        user_id: user.id.clone(),
        agent_id: agent.id.clone(),
        license_id: None,
        api_key_id: None,
        input: serde_json::json!({"text": "hello"}),
    }
}

/// How a run the agent service failed (after 10 ms) is finished.
pub fn failed_outcome() -> crate::executions::ExecutionOutcome {
    crate::executions::ExecutionOutcome {
        status: crate::entities::enums::ExecutionStatus::Failed,
        output: None,
        error_code: Some("AGENT_FAILED".into()),
        error_message: Some("boom".into()),
        duration_ms: 10,
    }
}

/// Sets a license's expiry directly, past dates included (the services refuse those).
pub async fn set_license_expiry(
    db: &DatabaseConnection,
    license_id: &str,
    expires_at: Option<chrono::DateTime<Utc>>,
) {
    use crate::entities::user_agent_licenses as licenses;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    licenses::Entity::update_many()
        .col_expr(
            licenses::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(expires_at),
        )
        .filter(licenses::Column::Id.eq(license_id))
        .exec(db)
        .await
        .expect("expiry set");
}

/// The lease period, in seconds, of the tests of leases and background runs.
pub const LEASE_SECS: i64 = 60;

/// A lease of [`LEASE_SECS`] held by `owner`, on a clock the test moves.
pub fn lease_of(
    owner: &str,
    clock: &crate::clock::ManualClock,
) -> crate::executions::lease::LeaseSettings {
    crate::executions::lease::LeaseSettings {
        owner: owner.into(),
        period: std::time::Duration::from_secs(LEASE_SECS as u64),
        clock: std::sync::Arc::new(clock.clone()),
    }
}

/// A clock at the current whole second (PostgreSQL keeps microseconds, not nanoseconds).
pub fn start_clock() -> crate::clock::ManualClock {
    crate::clock::ManualClock::new(chrono::SubsecRound::trunc_subsecs(Utc::now(), 0))
}

/// The calls the license `license_id` has used in its window.
pub async fn used(db: &DatabaseConnection, license_id: &str) -> i64 {
    row::<crate::entities::user_agent_licenses::Entity>(db, license_id)
        .await
        .api_calls_used
}

/// [`cast`] with the member's license of `limit` calls and a [`start_clock`]: what the tests
/// of leases and background runs start from.
pub async fn licensed(
    db: &crate::testing::TestDatabase,
    limit: i64,
) -> (
    DatabaseConnection,
    User,
    User,
    Agent,
    crate::licenses::LicenseView,
    crate::clock::ManualClock,
) {
    let (db, admin, user, agent) = cast(db).await;
    let license = license(&db, &admin, &user, &agent, limit).await;
    (db, admin, user, agent, license, start_clock())
}
