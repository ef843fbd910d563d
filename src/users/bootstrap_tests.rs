//! The first super admin when several instances start together on a fresh database.

use super::*;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

const EMAIL: &str = "root@example.com";
const PASSWORD: &str = "a long enough password";

/// Both calls often pass the "no admin yet" checks before either inserts (hashing runs off
/// the thread); whatever the interleaving, exactly one creates the admin and neither fails.
async fn admin_bootstrap_race(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let (first, second) = tokio::join!(
        ensure_first_super_admin(&db, EMAIL, PASSWORD),
        ensure_first_super_admin(&db, EMAIL, PASSWORD),
    );
    let outcomes = [first.expect("first start"), second.expect("second start")];
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, AdminBootstrap::Created))
        .count();
    assert_eq!(created, 1, "exactly one creates the admin");
    // The other found the account, or (when it looked between the two checks) the admin count.
    assert!(outcomes.iter().all(|o| matches!(
        o,
        AdminBootstrap::Created | AdminBootstrap::AlreadyPresent | AdminBootstrap::SkippedNotFresh
    )));
}

crate::on_every_database!(admin_bootstrap_race);
