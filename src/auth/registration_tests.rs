//! Registration throttling per client address, held in the database.

use sea_orm::sea_query::Expr;

use super::*;
use crate::error::ErrorCode;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

const PASSWORD: &str = "a long enough password";
const BUSY_ADDRESS: &str = "203.0.113.7";

async fn register_from(db: &DatabaseConnection, email: &str, ip: &str) -> CoreResult<users::Model> {
    register(
        db,
        email,
        PASSWORD,
        "Reg Istrant",
        Some(ip),
        MAX_REGISTRATIONS_PER_IP,
    )
    .await
}

async fn user_exists(db: &DatabaseConnection, email: &str) -> bool {
    fx::count_where::<users::Entity>(db, users::Column::Email.eq(email)).await > 0
}

async fn the_registration_after_the_limit_is_throttled_while_another_address_registers(
    db: TestDatabase,
) {
    let db = fx::connect(&db).await;
    for n in 0..MAX_REGISTRATIONS_PER_IP {
        register_from(&db, &format!("user{n}@example.com"), BUSY_ADDRESS)
            .await
            .unwrap_or_else(|e| panic!("registration {n} is within the limit: {e}"));
    }

    let Err(error) = register_from(&db, "one-more@example.com", BUSY_ADDRESS).await else {
        panic!(
            "registration {} is over the limit",
            MAX_REGISTRATIONS_PER_IP + 1
        );
    };
    let window_secs = (REGISTRATION_WINDOW_MINUTES * 60) as u64;
    let retry_after = error.retry_after_secs();
    assert!(
        matches!(error, CoreError::Throttled { .. })
            && retry_after.is_some_and(|secs| secs > 0 && secs <= window_secs),
        "{error:?}"
    );
    assert!(!error.is_internal());
    let body = error.public();
    assert_eq!((body.code, body.status()), (ErrorCode::RateLimited, 429));
    assert!(
        !user_exists(&db, "one-more@example.com").await,
        "refused before an account (or a hash) was made"
    );
    // A refusal does not count, so retrying does not prolong the wait.
    assert_eq!(
        fx::count::<registration_attempts::Entity>(&db).await,
        MAX_REGISTRATIONS_PER_IP
    );

    register_from(&db, "elsewhere@example.com", "198.51.100.2")
        .await
        .expect("another address still registers");
}
crate::on_every_database!(
    the_registration_after_the_limit_is_throttled_while_another_address_registers
);

async fn attempts_leave_the_window_and_are_pruned(db: TestDatabase) {
    let db = fx::connect(&db).await;
    for n in 0..MAX_REGISTRATIONS_PER_IP {
        register_from(&db, &format!("early{n}@example.com"), BUSY_ADDRESS)
            .await
            .unwrap();
    }
    // As if they were made before the window: the address may register again.
    let long_ago = Utc::now() - Duration::minutes(REGISTRATION_WINDOW_MINUTES * 3);
    registration_attempts::Entity::update_many()
        .col_expr(
            registration_attempts::Column::CreatedAt,
            Expr::value(long_ago),
        )
        .exec(&db)
        .await
        .unwrap();
    register_from(&db, "later@example.com", BUSY_ADDRESS)
        .await
        .expect("attempts outside the window do not count");

    let pruned = prune_attempts(&db, Utc::now()).await.unwrap();
    assert_eq!(pruned, MAX_REGISTRATIONS_PER_IP);
    assert_eq!(fx::count::<registration_attempts::Entity>(&db).await, 1);
}
crate::on_every_database!(attempts_leave_the_window_and_are_pruned);
