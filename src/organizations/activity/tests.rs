use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use super::*;
use crate::entities::api_usage_tracking as tracking;
use crate::entities::enums::{ExecutionStatus, Role};
use crate::error::CoreError;
use crate::ids::new_id;
use crate::test_fixtures::{self as fx, page};
use crate::testing::TestDatabase;
use crate::usage::{track, TrackCall};

type User = users::Model;

/// `user` moved into `organization_id`, as accepting an invitation does.
async fn move_into(db: &DatabaseConnection, user: &User, organization_id: &str) -> User {
    users::Entity::update_many()
        .col_expr(users::Column::OrganizationId, Expr::value(organization_id))
        .filter(users::Column::Id.eq(&user.id))
        .exec(db)
        .await
        .expect("user moved");
    fx::row::<users::Entity>(db, &user.id).await
}

/// A team: its admin (`admin@{domain}`) and a member (`member@{domain}`), in the admin's
/// organisation.
async fn team(db: &DatabaseConnection, domain: &str) -> (User, User) {
    let admin = fx::user(db, &format!("admin@{domain}"), Role::Admin).await;
    let member = fx::member(db, &format!("member@{domain}")).await;
    let member = move_into(db, &member, &admin.organization_id).await;
    (admin, member)
}

/// One tracked call of `user` answered with `status_code`, now.
async fn call(db: &DatabaseConnection, user: &User, status_code: u16) {
    track(
        db,
        TrackCall {
            user_id: Some(user.id.clone()),
            endpoint: "/api/agents/x/execute".into(),
            method: "POST".into(),
            status_code,
            ..Default::default()
        },
    )
    .await
    .expect("call tracked");
}

/// One tracked (successful) call of `user` at `at`.
async fn call_at(db: &DatabaseConnection, user: &User, at: DateTime<Utc>) {
    tracking::ActiveModel {
        id: Set(new_id()),
        user_id: Set(Some(user.id.clone())),
        agent_id: Set(None),
        api_key_id: Set(None),
        endpoint: Set("/api/agents/x/execute".into()),
        method: Set("POST".into()),
        status_code: Set(200),
        duration_ms: Set(1),
        error: Set(None),
        created_at: Set(at),
    }
    .insert(db)
    .await
    .expect("call tracked");
}

fn last_week() -> TimeRange {
    TimeRange::last_days(7)
}

/// (email, calls, succeeded, failed) per member, in the order shown.
fn by_member(usage: &OrgUsage) -> Vec<(&str, i64, i64, i64)> {
    fx::pairs(&usage.members, |m| {
        (m.email.as_str(), m.calls, m.succeeded, m.failed)
    })
}

fn total_per_day(usage: &OrgUsage) -> u64 {
    usage.daily.iter().map(|d| d.count).sum()
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: CoreResult<T>) {
    assert!(
        matches!(result, Err(CoreError::NotFound { .. })),
        "expected not found, got {result:?}"
    );
}

#[track_caller]
fn assert_forbidden<T: std::fmt::Debug>(result: CoreResult<T>) {
    assert!(
        matches!(result, Err(CoreError::Forbidden(_))),
        "expected forbidden, got {result:?}"
    );
}

async fn an_organisation_admin_sees_usage_by_member_of_their_own_organisation_only(
    db: TestDatabase,
) {
    let db = fx::connect(&db).await;
    let (acme_admin, acme_member) = team(&db, "acme.test").await;
    let (globex_admin, globex_member) = team(&db, "globex.test").await;
    for status in [200, 429, 500] {
        call(&db, &acme_member, status).await;
    }
    call(&db, &acme_admin, 200).await;
    for _ in 0..5 {
        call(&db, &globex_member, 200).await;
    }

    let acme = usage(&db, &fx::actor(&acme_admin), last_week())
        .await
        .unwrap();
    assert_eq!(
        by_member(&acme),
        [("member@acme.test", 3, 1, 2), ("admin@acme.test", 1, 1, 0)]
    );
    assert_eq!(total_per_day(&acme), 4);
    let globex = usage(&db, &fx::actor(&globex_admin), last_week())
        .await
        .unwrap();
    assert_eq!(
        by_member(&globex),
        [
            ("member@globex.test", 5, 5, 0),
            ("admin@globex.test", 0, 0, 0)
        ]
    );
    assert_eq!(total_per_day(&globex), 5);
}
crate::on_every_database!(
    an_organisation_admin_sees_usage_by_member_of_their_own_organisation_only
);

async fn usage_counts_each_day_of_the_range_and_only_the_members_now_in_the_organisation(
    db: TestDatabase,
) {
    let db = fx::connect(&db).await;
    let (admin, member) = team(&db, "acme.test").await;
    let leaver = fx::member(&db, "leaver@acme.test").await;
    let leaver = move_into(&db, &leaver, &admin.organization_id).await;
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap();
    call_at(&db, &member, day(1, 9)).await;
    call_at(&db, &member, day(1, 23)).await;
    call_at(&db, &admin, day(3, 0)).await;
    call_at(&db, &member, day(5, 12)).await; // after the range
    call_at(&db, &leaver, day(2, 10)).await;
    // The leaver goes back to an organisation of their own, with their calls.
    let elsewhere = fx::member(&db, "elsewhere@example.com").await;
    move_into(&db, &leaver, &elsewhere.organization_id).await;

    let range = TimeRange::new(day(1, 0), day(4, 0) - Duration::milliseconds(1)).unwrap();
    let usage = usage(&db, &fx::actor(&admin), range).await.unwrap();
    assert_eq!(
        by_member(&usage),
        [("member@acme.test", 2, 2, 0), ("admin@acme.test", 1, 1, 0)]
    );
    let daily = fx::pairs(&usage.daily, |d| (d.day.to_string(), d.count));
    assert_eq!(
        daily,
        [
            ("2025-03-01".to_owned(), 2),
            ("2025-03-02".to_owned(), 0),
            ("2025-03-03".to_owned(), 1)
        ]
    );
}
crate::on_every_database!(
    usage_counts_each_day_of_the_range_and_only_the_members_now_in_the_organisation
);

async fn the_usage_csv_has_one_line_per_member_with_formulas_defused(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let (admin, member) = team(&db, "acme.test").await;
    users::ActiveModel {
        id: Set(member.id.clone()),
        name: Set("=HYPERLINK(\"x\")".into()),
        ..Default::default()
    }
    .update(&db)
    .await
    .unwrap();
    call(&db, &member, 200).await;
    call(&db, &member, 403).await;

    let csv = usage_csv(&db, &fx::actor(&admin), last_week())
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], USAGE_CSV_HEADER.trim_end());
    assert_eq!(
        lines[1],
        format!(
            "{},member@acme.test,\"'=HYPERLINK(\"\"x\"\")\",2,1,1",
            member.id
        )
    );
    assert_eq!(
        lines[2],
        format!("{},admin@acme.test,admin,0,0,0", admin.id)
    );
    assert_eq!(lines.len(), 3);
}
crate::on_every_database!(the_usage_csv_has_one_line_per_member_with_formulas_defused);

async fn an_organisation_admin_never_sees_another_organisations_executions_by_list_or_by_id(
    db: TestDatabase,
) {
    let db = fx::connect(&db).await;
    let agent = fx::agent(&db, "summarizer", true).await;
    let (acme_admin, acme_member) = team(&db, "acme.test").await;
    let (_, globex_member) = team(&db, "globex.test").await;
    let ours = executions::start(&db, fx::new_run(&acme_member, &agent))
        .await
        .unwrap();
    let theirs = executions::start(&db, fx::new_run(&globex_member, &agent))
        .await
        .unwrap();
    let admin = fx::actor(&acme_admin);

    let listed = executions(&db, &admin, &ExecutionFilter::default(), page())
        .await
        .unwrap();
    assert_eq!(
        fx::pairs(&listed.items, |e| e.id.as_str()),
        [ours.id.as_str()]
    );
    assert_eq!(listed.total, 1);
    // Naming the other organisation's member as a filter finds nothing either.
    let filter =
        fx::default_with(|f: &mut ExecutionFilter| f.user_id = Some(globex_member.id.clone()));
    assert_eq!(
        executions(&db, &admin, &filter, page())
            .await
            .unwrap()
            .total,
        0
    );
    let running =
        fx::default_with(|f: &mut ExecutionFilter| f.status = Some(ExecutionStatus::Running));
    assert_eq!(
        executions(&db, &admin, &running, page())
            .await
            .unwrap()
            .total,
        1
    );

    let seen = execution(&db, &admin, &ours.id).await.unwrap();
    assert_eq!(seen.user_email, "member@acme.test");
    assert_not_found(execution(&db, &admin, &theirs.id).await);
    assert_not_found(execution(&db, &admin, "not-an-id").await);
}
crate::on_every_database!(
    an_organisation_admin_never_sees_another_organisations_executions_by_list_or_by_id
);

async fn an_organisation_admin_reads_only_their_own_members_licenses(db: TestDatabase) {
    let (db, super_admin, _, agent) = fx::cast(&db).await;
    let (acme_admin, acme_member) = team(&db, "acme.test").await;
    let (_, globex_member) = team(&db, "globex.test").await;
    let ours = fx::license(&db, &super_admin, &acme_member, &agent, 10).await;
    fx::license(&db, &super_admin, &globex_member, &agent, 10).await;

    let listed = licenses(
        &db,
        &fx::actor(&acme_admin),
        &LicenseFilter::default(),
        page(),
    )
    .await
    .unwrap();
    assert_eq!(
        fx::pairs(&listed.items, |l| l.id.as_str()),
        [ours.id.as_str()]
    );
    let everyone = licenses::list(&db, &LicenseFilter::default(), page())
        .await
        .unwrap();
    assert_eq!(everyone.total, 2, "the super admin's list is unchanged");
}
crate::on_every_database!(an_organisation_admin_reads_only_their_own_members_licenses);

async fn members_are_refused_and_only_the_super_admin_sees_another_organisation(db: TestDatabase) {
    let (db, super_admin, _, agent) = fx::cast(&db).await;
    let (acme_admin, acme_member) = team(&db, "acme.test").await;
    let (globex_admin, globex_member) = team(&db, "globex.test").await;
    call(&db, &acme_member, 200).await;
    let theirs = executions::start(&db, fx::new_run(&globex_member, &agent))
        .await
        .unwrap();
    let (acme, globex) = (&acme_admin.organization_id, &globex_admin.organization_id);
    let no_filter = ExecutionFilter::default();

    let member = fx::actor(&acme_member);
    assert_forbidden(usage(&db, &member, last_week()).await);
    assert_forbidden(usage_csv(&db, &member, last_week()).await);
    assert_forbidden(executions(&db, &member, &no_filter, page()).await);
    assert_forbidden(execution(&db, &member, &theirs.id).await);
    assert_forbidden(licenses(&db, &member, &LicenseFilter::default(), page()).await);
    assert_forbidden(usage_of(&db, &member, acme, last_week()).await);

    let admin = fx::actor(&acme_admin);
    assert!(usage_of(&db, &admin, acme, last_week()).await.is_ok());
    // Another organisation reads as not found, as organisations::get answers.
    assert_not_found(usage_of(&db, &admin, globex, last_week()).await);
    assert_not_found(executions_of(&db, &admin, globex, &no_filter, page()).await);
    assert_not_found(execution_of(&db, &admin, globex, &theirs.id).await);
    let licenses_of_globex = licenses_of(&db, &admin, globex, &Default::default(), page()).await;
    assert_not_found(licenses_of_globex);

    let root = fx::actor(&super_admin);
    let acme_usage = usage_of(&db, &root, acme, last_week()).await.unwrap();
    assert_eq!(by_member(&acme_usage)[0], ("member@acme.test", 1, 1, 0));
    let globex_runs = executions_of(&db, &root, globex, &no_filter, page())
        .await
        .unwrap();
    assert_eq!(globex_runs.total, 1);
    assert!(execution_of(&db, &root, globex, &theirs.id).await.is_ok());
    assert_not_found(execution_of(&db, &root, acme, &theirs.id).await);
    assert_not_found(usage_of(&db, &root, &new_id(), last_week()).await);
}
crate::on_every_database!(members_are_refused_and_only_the_super_admin_sees_another_organisation);
