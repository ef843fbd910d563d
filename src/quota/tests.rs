//! Admission with the clock injected: every call names its `now`, so a test stands on a
//! midnight, a reset day or a daylight-saving change. Status and limit changes are written
//! into the license row directly (as an edit leaves them), so these tests depend on admission.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use super::*;
use crate::entities::enums::QuotaWindow;
use crate::error::ErrorCode;
use crate::ids::new_id;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;
use abetworks_types::inputs::QuotaPlan;

#[test]
fn each_denial_has_the_code_of_the_contract() {
    assert_eq!(LicenseDenial::Required.code(), ErrorCode::LicenseRequired);
    assert_eq!(LicenseDenial::Expired.code(), ErrorCode::LicenseExpired);
    assert_eq!(LicenseDenial::Suspended.code(), ErrorCode::LicenseSuspended);
    assert_eq!(LicenseDenial::Revoked.code(), ErrorCode::LicenseRevoked);
}

#[test]
fn remaining_is_none_when_unlimited_and_never_negative() {
    assert_eq!(remaining(UNLIMITED, 7), None);
    assert_eq!(remaining(10, 3), Some(7));
    assert_eq!(remaining(10, 12), Some(0));
}

/// An instant written as RFC 3339, e.g. `2027-01-14T22:30:00Z`.
fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("an RFC 3339 instant")
}

fn unix(text: &str) -> i64 {
    at(text).timestamp()
}

/// A call at `now` with no server-wide burst rate.
fn ctx(now: DateTime<Utc>) -> QuotaContext {
    QuotaContext {
        now,
        default_burst_per_second: None,
    }
}

const NOON: &str = "2027-01-14T12:00:00Z";

fn daily(zone: &str) -> QuotaPlan {
    QuotaPlan {
        window: QuotaWindow::Day,
        window_time_zone: zone.into(),
        ..QuotaPlan::default()
    }
}

fn monthly(zone: &str, reset_day: i32) -> QuotaPlan {
    QuotaPlan {
        window: QuotaWindow::Month,
        window_time_zone: zone.into(),
        reset_day,
        burst_per_second: None,
    }
}

async fn row(db: &DatabaseConnection, license_id: &str) -> licenses::Model {
    fx::row::<licenses::Entity>(db, license_id).await
}

async fn used(db: &DatabaseConnection, license_id: &str) -> i64 {
    row(db, license_id).await.api_calls_used
}

/// Changes stored columns directly, as an admin's edit would leave them.
async fn edit(
    db: &DatabaseConnection,
    license_id: &str,
    change: impl FnOnce(&mut licenses::ActiveModel),
) -> licenses::Model {
    let mut active: licenses::ActiveModel = row(db, license_id).await.into();
    change(&mut active);
    active.update(db).await.expect("the license row is updated")
}

async fn set_status(db: &DatabaseConnection, license_id: &str, status: LicenseStatus) {
    edit(db, license_id, |l| l.status = Set(status)).await;
}

/// A license for `agent` of `limit` calls counted by `plan`, granted as an admin grants it.
async fn licensed(
    db: &DatabaseConnection,
    admin: &crate::entities::users::Model,
    user: &crate::entities::users::Model,
    agent: &crate::entities::agent_catalog::Model,
    limit: i64,
    plan: QuotaPlan,
) -> String {
    fx::license(db, admin, user, agent, (limit, plan)).await.id
}

/// Admission as the gateway asks for it: the row as just read, the call at `now`.
async fn admit_at(db: &DatabaseConnection, license_id: &str, now: DateTime<Utc>) -> Admission {
    admit(db, &row(db, license_id).await, &ctx(now))
        .await
        .unwrap()
}

/// The call at `now` is admitted: its usage and the window it counts in.
async fn admitted(
    db: &DatabaseConnection,
    license_id: &str,
    now: DateTime<Utc>,
) -> (UsageSnapshot, i64) {
    match admit_at(db, license_id, now).await {
        Admission::Admitted {
            usage,
            window_start_unix,
        } => (usage, window_start_unix),
        other => panic!("a call at {now} should be admitted: {other:?}"),
    }
}

/// The call at `now` is refused for the quota: the seconds until the window resets.
async fn exceeded(db: &DatabaseConnection, license_id: &str, now: DateTime<Utc>) -> Option<i64> {
    match admit_at(db, license_id, now).await {
        Admission::QuotaExceeded {
            retry_after_secs, ..
        } => retry_after_secs,
        other => panic!("a call at {now} should exceed the quota: {other:?}"),
    }
}

async fn the_license_check_names_why_a_caller_is_refused(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let now = at(NOON);
    let check = |db: DatabaseConnection, u: String, a: String| async move {
        check_license(&db, &u, &a, now).await.unwrap().map(|l| l.id)
    };
    let (u, a) = (user.id.clone(), agent.id.clone());
    assert_eq!(
        check(db.clone(), u.clone(), a.clone()).await,
        Err(LicenseDenial::Required)
    );
    assert_eq!(
        check(db.clone(), "junk".into(), a.clone()).await,
        Err(LicenseDenial::Required)
    );

    let license = fx::license(&db, &admin, &user, &agent, 3).await;
    assert_eq!(
        check(db.clone(), u.clone(), a.clone()).await,
        Ok(license.id.clone())
    );

    set_status(&db, &license.id, LicenseStatus::Suspended).await;
    assert_eq!(
        check(db.clone(), u.clone(), a.clone()).await,
        Err(LicenseDenial::Suspended)
    );

    set_status(&db, &license.id, LicenseStatus::Active).await;
    // Expired as of the call's `now`, whatever the wall clock says.
    fx::set_license_expiry(&db, &license.id, Some(now - Duration::seconds(5))).await;
    assert_eq!(
        check(db.clone(), u.clone(), a.clone()).await,
        Err(LicenseDenial::Expired)
    );

    set_status(&db, &license.id, LicenseStatus::Revoked).await;
    assert_eq!(
        check(db.clone(), u.clone(), a.clone()).await,
        Err(LicenseDenial::Revoked)
    );

    let renewed = fx::license(&db, &admin, &user, &agent, 3).await;
    assert_eq!(check(db.clone(), u, a).await, Ok(renewed.id));
}
crate::on_every_database!(the_license_check_names_why_a_caller_is_refused);

async fn a_lifetime_limit_stops_at_the_limit_and_a_refund_makes_room_again(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = fx::license(&db, &admin, &user, &agent, 3).await.id;
    let now = at(NOON);
    for expected in 1..=3 {
        let (usage, window) = admitted(&db, &id, now).await;
        assert_eq!(window, 0, "a lifetime limit has one window");
        assert_eq!(
            (usage.used, usage.remaining, usage.window, usage.resets_at),
            (expected, Some(3 - expected), QuotaWindow::Lifetime, None)
        );
    }
    assert_eq!(
        exceeded(&db, &id, now).await,
        None,
        "a lifetime never resets"
    );
    assert!(refund(&db, &id, 0, now).await.unwrap());
    assert_eq!(admitted(&db, &id, now).await.0.used, 3);

    edit(&db, &id, |l| l.api_call_limit = Set(4)).await;
    let (usage, _) = admitted(&db, &id, now).await;
    assert_eq!((usage.limit, usage.used), (4, 4));
    assert_eq!(used(&db, &id).await, 4);
}
crate::on_every_database!(a_lifetime_limit_stops_at_the_limit_and_a_refund_makes_room_again);

async fn a_refund_never_takes_the_counter_below_zero_nor_into_another_window(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = fx::license(&db, &admin, &user, &agent, 3).await.id;
    let now = at(NOON);
    assert!(!refund(&db, &id, 0, now).await.unwrap());
    assert!(!refund(&db, "not-an-id", 0, now).await.unwrap());
    assert!(!refund(&db, &new_id(), 0, now).await.unwrap());
    assert_eq!(used(&db, &id).await, 0);

    admitted(&db, &id, now).await;
    assert!(!refund(&db, &id, 86_400, now).await.unwrap());
    assert_eq!(used(&db, &id).await, 1);
}
crate::on_every_database!(a_refund_never_takes_the_counter_below_zero_nor_into_another_window);

async fn suspended_expired_revoked_and_unknown_licenses_are_not_admitted(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = fx::license(&db, &admin, &user, &agent, UNLIMITED).await.id;
    let now = at(NOON);
    let (usage, _) = admitted(&db, &id, now).await;
    assert_eq!((usage.used, usage.remaining), (1, None));

    // The gateway read the row before the change: admission still sees the change.
    let stale = row(&db, &id).await;
    let admit_stale = |stale: licenses::Model| {
        let db = db.clone();
        async move { admit(&db, &stale, &ctx(now)).await.unwrap() }
    };
    set_status(&db, &id, LicenseStatus::Suspended).await;
    assert_eq!(
        admit_stale(stale.clone()).await,
        Admission::Denied(LicenseDenial::Suspended)
    );

    set_status(&db, &id, LicenseStatus::Active).await;
    fx::set_license_expiry(&db, &id, Some(now - Duration::seconds(1))).await;
    assert_eq!(
        admit_stale(stale.clone()).await,
        Admission::Denied(LicenseDenial::Expired)
    );

    fx::set_license_expiry(&db, &id, None).await;
    set_status(&db, &id, LicenseStatus::Revoked).await;
    assert_eq!(
        admit_stale(stale.clone()).await,
        Admission::Denied(LicenseDenial::Revoked)
    );
    for unknown in [new_id(), "x' OR '1'='1".to_owned()] {
        let ghost = licenses::Model {
            id: unknown,
            ..stale.clone()
        };
        assert_eq!(
            admit_stale(ghost).await,
            Admission::Denied(LicenseDenial::Required)
        );
    }
    assert_eq!(used(&db, &id).await, 1);
}
crate::on_every_database!(suspended_expired_revoked_and_unknown_licenses_are_not_admitted);

/// Admission in a task of its own, reading the row first as the gateway does.
fn spawn_admit(
    db: &DatabaseConnection,
    license_id: &str,
    now: DateTime<Utc>,
) -> tokio::task::JoinHandle<(DateTime<Utc>, Admission)> {
    let (db, id) = (db.clone(), license_id.to_owned());
    tokio::spawn(async move { (now, admit_at(&db, &id, now).await) })
}

/// The contract's exactness test: 200 simultaneous calls against a limit of 50.
async fn two_hundred_concurrent_admissions_against_fifty_admit_exactly_fifty(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = fx::license(&db, &admin, &user, &agent, 50).await.id;
    let now = at(NOON);
    let tasks: Vec<_> = (0..200).map(|_| spawn_admit(&db, &id, now)).collect();
    let (mut admitted, mut exceeded) = (0, 0);
    for task in tasks {
        match task.await.unwrap().1 {
            Admission::Admitted { .. } => admitted += 1,
            Admission::QuotaExceeded { usage, .. } if (usage.limit, usage.used) == (50, 50) => {
                exceeded += 1
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((admitted, exceeded), (50, 150));
    assert_eq!(used(&db, &id).await, 50);

    // Refunds, also concurrent, make exactly that much room again.
    let refunds: Vec<_> = (0..10)
        .map(|_| {
            let (db, id) = (db.clone(), id.clone());
            tokio::spawn(async move { refund(&db, &id, 0, now).await })
        })
        .collect();
    for task in refunds {
        assert!(task.await.unwrap().unwrap());
    }
    assert_eq!(used(&db, &id).await, 40);
    let again: Vec<_> = (0..30).map(|_| spawn_admit(&db, &id, now)).collect();
    let mut admitted = 0;
    for task in again {
        if matches!(task.await.unwrap().1, Admission::Admitted { .. }) {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 10);
    assert_eq!(used(&db, &id).await, 50);
}
crate::on_every_database!(two_hundred_concurrent_admissions_against_fifty_admit_exactly_fifty);

mod windows;
