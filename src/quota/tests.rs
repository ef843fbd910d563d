use chrono::Duration;
use sea_orm::DatabaseConnection;

use super::*;
use crate::error::ErrorCode;
use crate::ids::new_id;
use crate::licenses::{self, LicenseChange};
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

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

async fn used(db: &DatabaseConnection, license_id: &str) -> i64 {
    licenses::get(db, license_id).await.unwrap().api_calls_used
}

async fn the_license_check_names_why_a_caller_is_refused(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let check = |db: DatabaseConnection, u: String, a: String| async move {
        check_license(&db, &u, &a).await.unwrap().map(|l| l.id)
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

    let suspend = LicenseChange {
        status: Some(LicenseStatus::Suspended),
        ..Default::default()
    };
    licenses::update(&db, &fx::actor(&admin), &license.id, suspend)
        .await
        .unwrap();
    assert_eq!(
        check(db.clone(), u.clone(), a.clone()).await,
        Err(LicenseDenial::Suspended)
    );

    let activate = LicenseChange {
        status: Some(LicenseStatus::Active),
        ..Default::default()
    };
    licenses::update(&db, &fx::actor(&admin), &license.id, activate)
        .await
        .unwrap();
    fx::set_license_expiry(&db, &license.id, Some(Utc::now() - Duration::seconds(5))).await;
    assert_eq!(
        check(db.clone(), u.clone(), a.clone()).await,
        Err(LicenseDenial::Expired)
    );

    licenses::revoke(&db, &fx::actor(&admin), &license.id)
        .await
        .unwrap();
    assert_eq!(
        check(db.clone(), u.clone(), a.clone()).await,
        Err(LicenseDenial::Revoked)
    );

    let renewed = fx::license(&db, &admin, &user, &agent, 3).await;
    assert_eq!(check(db.clone(), u, a).await, Ok(renewed.id));
}
crate::on_every_database!(
    the_license_check_names_why_a_caller_is_refused,
    super::the_license_check_names_why_a_caller_is_refused
);

async fn admission_stops_at_the_limit_and_a_refund_makes_room_again(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 3).await;
    for expected in 1..=3 {
        assert_eq!(
            admit(&db, &license.id).await.unwrap(),
            Admission::Admitted {
                limit: 3,
                used: expected
            }
        );
    }
    assert_eq!(
        admit(&db, &license.id).await.unwrap(),
        Admission::QuotaExceeded { limit: 3, used: 3 }
    );
    assert!(refund(&db, &license.id).await.unwrap());
    assert_eq!(
        admit(&db, &license.id).await.unwrap(),
        Admission::Admitted { limit: 3, used: 3 }
    );

    let raise = LicenseChange {
        api_call_limit: Some(4),
        ..Default::default()
    };
    licenses::update(&db, &fx::actor(&admin), &license.id, raise)
        .await
        .unwrap();
    assert_eq!(
        admit(&db, &license.id).await.unwrap(),
        Admission::Admitted { limit: 4, used: 4 }
    );
    assert_eq!(used(&db, &license.id).await, 4);
}
crate::on_every_database!(
    admission_stops_at_the_limit_and_a_refund_makes_room_again,
    super::admission_stops_at_the_limit_and_a_refund_makes_room_again
);

async fn a_refund_never_takes_the_counter_below_zero(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 3).await;
    assert!(!refund(&db, &license.id).await.unwrap());
    assert!(!refund(&db, "not-an-id").await.unwrap());
    assert!(!refund(&db, &new_id()).await.unwrap());
    assert_eq!(used(&db, &license.id).await, 0);
}
crate::on_every_database!(
    a_refund_never_takes_the_counter_below_zero,
    super::a_refund_never_takes_the_counter_below_zero
);

async fn suspended_expired_revoked_and_unknown_licenses_are_not_admitted(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, UNLIMITED).await;
    assert!(matches!(
        admit(&db, &license.id).await.unwrap(),
        Admission::Admitted {
            limit: UNLIMITED,
            used: 1
        }
    ));

    let suspend = LicenseChange {
        status: Some(LicenseStatus::Suspended),
        ..Default::default()
    };
    licenses::update(&db, &fx::actor(&admin), &license.id, suspend)
        .await
        .unwrap();
    assert_eq!(
        admit(&db, &license.id).await.unwrap(),
        Admission::Denied(LicenseDenial::Suspended)
    );

    let activate = LicenseChange {
        status: Some(LicenseStatus::Active),
        ..Default::default()
    };
    licenses::update(&db, &fx::actor(&admin), &license.id, activate)
        .await
        .unwrap();
    fx::set_license_expiry(&db, &license.id, Some(Utc::now() - Duration::seconds(1))).await;
    assert_eq!(
        admit(&db, &license.id).await.unwrap(),
        Admission::Denied(LicenseDenial::Expired)
    );

    fx::set_license_expiry(&db, &license.id, None).await;
    licenses::revoke(&db, &fx::actor(&admin), &license.id)
        .await
        .unwrap();
    assert_eq!(
        admit(&db, &license.id).await.unwrap(),
        Admission::Denied(LicenseDenial::Revoked)
    );
    assert_eq!(
        admit(&db, &new_id()).await.unwrap(),
        Admission::Denied(LicenseDenial::Required)
    );
    assert_eq!(
        admit(&db, "x' OR '1'='1").await.unwrap(),
        Admission::Denied(LicenseDenial::Required)
    );
    assert_eq!(used(&db, &license.id).await, 1);
}
crate::on_every_database!(
    suspended_expired_revoked_and_unknown_licenses_are_not_admitted,
    super::suspended_expired_revoked_and_unknown_licenses_are_not_admitted
);

/// The contract's exactness test: 200 simultaneous calls against a limit of 50.
async fn two_hundred_concurrent_admissions_against_fifty_admit_exactly_fifty(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 50).await;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (db, id) = (db.clone(), license.id.clone());
            tokio::spawn(async move { admit(&db, &id).await })
        })
        .collect();
    let (mut admitted, mut exceeded) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(Admission::Admitted { .. }) => admitted += 1,
            Ok(Admission::QuotaExceeded {
                limit: 50,
                used: 50,
            }) => exceeded += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((admitted, exceeded), (50, 150));
    assert_eq!(used(&db, &license.id).await, 50);

    // Refunds, also concurrent, make exactly that much room again.
    let refunds: Vec<_> = (0..10)
        .map(|_| {
            let (db, id) = (db.clone(), license.id.clone());
            tokio::spawn(async move { refund(&db, &id).await })
        })
        .collect();
    for task in refunds {
        assert!(task.await.unwrap().unwrap());
    }
    assert_eq!(used(&db, &license.id).await, 40);
    let again: Vec<_> = (0..30)
        .map(|_| {
            let (db, id) = (db.clone(), license.id.clone());
            tokio::spawn(async move { admit(&db, &id).await })
        })
        .collect();
    let mut admitted = 0;
    for task in again {
        if matches!(task.await.unwrap(), Ok(Admission::Admitted { .. })) {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 10);
    assert_eq!(used(&db, &license.id).await, 50);
}
crate::on_every_database!(
    two_hundred_concurrent_admissions_against_fifty_admit_exactly_fifty,
    super::two_hundred_concurrent_admissions_against_fifty_admit_exactly_fifty
);
