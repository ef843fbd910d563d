//! Quota plans, top-ups, renewals and history of a license.

use chrono::{Duration, Utc};
use serde_json::json;

use super::*;
use crate::entities::{license_events, license_top_ups, user_agent_licenses};
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

fn daily() -> QuotaPlan {
    QuotaPlan {
        window: QuotaWindow::Day,
        ..QuotaPlan::default()
    }
}

fn extra(calls: i64, note: &str) -> NewTopUp {
    NewTopUp {
        calls,
        note: note.to_owned(),
        expires_at: None,
    }
}

/// The field an `Invalid` error names; anything else fails the test.
fn field_of<T: std::fmt::Debug>(result: CoreResult<T>) -> String {
    match result {
        Err(CoreError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn bad_plans() -> Vec<(QuotaPlan, &'static str)> {
    let base = QuotaPlan {
        window: QuotaWindow::Month,
        ..QuotaPlan::default()
    };
    let with = |change: fn(&mut QuotaPlan)| {
        let mut plan = base.clone();
        change(&mut plan);
        plan
    };
    vec![
        (
            with(|p| p.window_time_zone = "Mars/Olympus_Mons".into()),
            "windowTimeZone",
        ),
        (
            with(|p| p.window_time_zone = String::new()),
            "windowTimeZone",
        ),
        (with(|p| p.reset_day = 29), "resetDay"),
        (with(|p| p.reset_day = 0), "resetDay"),
        (with(|p| p.burst_per_second = Some(0)), "burstPerSecond"),
        (
            with(|p| p.burst_per_second = Some(MAX_BURST_PER_SECOND + 1)),
            "burstPerSecond",
        ),
    ]
}

#[test]
fn an_unknown_zone_a_reset_day_past_28_or_a_burst_of_0_is_invalid_naming_the_field() {
    for (plan, field) in bad_plans() {
        assert_eq!(field_of(validate_plan(&plan)), field, "{plan:?}");
    }
    for good in [
        QuotaPlan::default(),
        QuotaPlan {
            window: QuotaWindow::Month,
            window_time_zone: " Europe/Berlin ".into(),
            reset_day: 28,
            burst_per_second: Some(1),
        },
        QuotaPlan {
            window: QuotaWindow::Day,
            window_time_zone: "America/New_York".into(),
            reset_day: 1,
            burst_per_second: Some(MAX_BURST_PER_SECOND),
        },
    ] {
        assert!(validate_plan(&good).is_ok(), "{good:?}");
    }
}

async fn invalid_plans_are_refused_by_grant_and_update_and_write_nothing(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 10).await;
    let other = fx::agent(&db, "translator", true).await;
    for (plan, field) in bad_plans() {
        let grant_on = GrantLicense {
            user_id: user.id.clone(),
            agent_id: other.id.clone(),
            api_call_limit: 5,
            expires_at: None,
            plan: plan.clone(),
        };
        let granted = grant(&db, &fx::actor(&admin), grant_on).await;
        assert_eq!(field_of(granted), field);
        let change = LicenseChange {
            plan: Some(plan),
            ..Default::default()
        };
        let updated = update(&db, &fx::actor(&admin), &license.id, change, Utc::now()).await;
        assert_eq!(field_of(updated), field);
    }
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 1);
    assert_eq!(fx::count::<license_events::Entity>(&db).await, 1);
    let unchanged = get(&db, &license.id).await.unwrap();
    assert_eq!(unchanged.window, QuotaWindow::Lifetime);
}
crate::on_every_database!(invalid_plans_are_refused_by_grant_and_update_and_write_nothing);

async fn a_top_up_adds_calls_to_the_current_window_and_shows_in_the_view_and_the_history(
    db: TestDatabase,
) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let now = Utc::now();
    let license = fx::license(&db, &admin, &user, &agent, (2, daily())).await;
    assert!(fx::admit(&db, &license.id, now).await);
    assert!(fx::admit(&db, &license.id, now).await);
    assert!(
        !fx::admit(&db, &license.id, now).await,
        "the limit is reached"
    );

    let added = top_up(
        &db,
        &fx::actor(&admin),
        &license.id,
        extra(3, "  launch week "),
        now,
    )
    .await
    .unwrap();
    assert_eq!((added.calls, added.note.as_str()), (3, "launch week"));
    assert_eq!(added.created_by.as_deref(), Some(admin.id.as_str()));
    let view = get_at(&db, &license.id, now).await.unwrap();
    assert!(view.window_start.is_some() && view.resets_at.is_some());
    assert_eq!(added.window_start, view.window_start);
    assert_eq!(
        (view.api_calls_used, view.top_ups, view.remaining),
        (2, 3, Some(3))
    );
    assert!(!view.exhausted);
    assert!(fx::admit(&db, &license.id, now).await, "a top-up call runs");
    assert_eq!(
        get_at(&db, &license.id, now).await.unwrap().remaining,
        Some(2)
    );
    // The next day starts without them.
    let tomorrow = get_at(&db, &license.id, now + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        (
            tomorrow.api_calls_used,
            tomorrow.top_ups,
            tomorrow.remaining
        ),
        (0, 0, Some(2))
    );

    let listed = top_ups(&db, &fx::actor(&admin), &license.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [added.id.as_str()]
    );
    let lines = history(&db, &fx::actor(&admin), &license.id).await.unwrap();
    assert_eq!(lines[0].kind, LicenseEventKind::TopUp);
    assert_eq!(lines[0].actor_email.as_deref(), Some("admin@example.com"));
    assert_eq!(lines[0].detail["calls"], 3);
    assert_eq!(lines[0].detail["note"], "launch week");
    let json = serde_json::to_value(&added).unwrap();
    assert!(json.get("windowStart").is_some() && json.get("licenseId").is_some());
}
crate::on_every_database!(
    a_top_up_adds_calls_to_the_current_window_and_shows_in_the_view_and_the_history
);

async fn top_ups_with_an_expiry_stop_counting_after_it(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let now = Utc::now();
    let license = fx::license(&db, &admin, &user, &agent, 1).await;
    let for_an_hour = NewTopUp {
        expires_at: Some(now + Duration::hours(1)),
        ..extra(5, "demo")
    };
    top_up(&db, &fx::actor(&admin), &license.id, for_an_hour, now)
        .await
        .unwrap();
    let remaining_at = |at| {
        let (db, id) = (db.clone(), license.id.clone());
        async move { get_at(&db, &id, at).await.unwrap().remaining }
    };
    assert_eq!(remaining_at(now).await, Some(6));
    let later = now + Duration::hours(2);
    assert_eq!(remaining_at(later).await, Some(1));
    // An expired total does not come back with the next top-up.
    top_up(
        &db,
        &fx::actor(&admin),
        &license.id,
        extra(2, "more"),
        later,
    )
    .await
    .unwrap();
    assert_eq!(remaining_at(later).await, Some(3));
    let view = get_at(&db, &license.id, later).await.unwrap();
    assert_eq!((view.top_ups, view.window_start), (2, None));
}
crate::on_every_database!(top_ups_with_an_expiry_stop_counting_after_it);

async fn a_top_up_needs_calls_a_note_a_future_expiry_a_super_admin_and_a_license_not_revoked(
    db: TestDatabase,
) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let now = Utc::now();
    let license = fx::license(&db, &admin, &user, &agent, 10).await;
    let past = NewTopUp {
        expires_at: Some(now - Duration::minutes(1)),
        ..extra(1, "late")
    };
    for (bad, field) in [
        (extra(0, "none"), "calls"),
        (extra(-3, "negative"), "calls"),
        (extra(MAX_API_CALL_LIMIT + 1, "too many"), "calls"),
        (extra(1, "   "), "note"),
        (extra(1, &"n".repeat(MAX_TOP_UP_NOTE_CHARS + 1)), "note"),
        (past, "expiresAt"),
    ] {
        let result = top_up(&db, &fx::actor(&admin), &license.id, bad, now).await;
        assert_eq!(field_of(result), field);
    }
    let by_member = top_up(&db, &fx::actor(&user), &license.id, extra(1, "me"), now).await;
    assert!(
        matches!(by_member, Err(CoreError::Forbidden(_))),
        "{by_member:?}"
    );
    assert!(matches!(
        top_ups(&db, &fx::actor(&user), &license.id).await,
        Err(CoreError::Forbidden(_))
    ));
    for unknown in [new_id(), "x' OR 1=1".to_owned()] {
        let result = top_up(&db, &fx::actor(&admin), &unknown, extra(1, "x"), now).await;
        assert!(
            matches!(result, Err(CoreError::NotFound { entity: "license" })),
            "{result:?}"
        );
        assert!(matches!(
            top_ups(&db, &fx::actor(&admin), &unknown).await,
            Err(CoreError::NotFound { entity: "license" })
        ));
    }
    revoke(&db, &fx::actor(&admin), &license.id).await.unwrap();
    let revoked = top_up(&db, &fx::actor(&admin), &license.id, extra(1, "x"), now).await;
    assert!(
        matches!(
            revoked,
            Err(CoreError::Conflict(ConflictReason::LicenseRevoked))
        ),
        "{revoked:?}"
    );
    assert_eq!(fx::count::<license_top_ups::Entity>(&db).await, 0);
    assert_eq!(get(&db, &license.id).await.unwrap().top_ups, 0);
}
crate::on_every_database!(
    a_top_up_needs_calls_a_note_a_future_expiry_a_super_admin_and_a_license_not_revoked
);

async fn a_plan_change_keeps_the_id_and_the_used_count(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let now = Utc::now();
    let license = fx::license(&db, &admin, &user, &agent, 10).await;
    for _ in 0..3 {
        assert!(fx::admit(&db, &license.id, now).await);
    }
    let monthly = QuotaPlan {
        window: QuotaWindow::Month,
        window_time_zone: " Europe/Berlin ".into(),
        reset_day: 15,
        burst_per_second: Some(100),
    };
    let change = LicenseChange {
        plan: Some(monthly),
        ..Default::default()
    };
    let view = update(&db, &fx::actor(&admin), &license.id, change, now)
        .await
        .unwrap();
    assert_eq!(view.id, license.id);
    assert_eq!(
        (
            view.window,
            view.window_time_zone.as_str(),
            view.reset_day,
            view.burst_per_second
        ),
        (QuotaWindow::Month, "Europe/Berlin", 15, Some(100))
    );
    assert_eq!((view.api_calls_used, view.remaining), (3, Some(7)));
    let (start, end) = view.window_start.zip(view.resets_at).unwrap();
    assert!(start <= now && now < end, "{start} {now} {end}");
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 1);
    // The carried-over calls count in the new window: seven more, then none.
    for _ in 0..7 {
        assert!(fx::admit(&db, &license.id, now).await);
    }
    assert!(!fx::admit(&db, &license.id, now).await);
    let next_month = get_at(&db, &license.id, end).await.unwrap();
    assert_eq!(
        (next_month.api_calls_used, next_month.remaining),
        (0, Some(10))
    );

    let changed = &history(&db, &fx::actor(&admin), &license.id).await.unwrap()[0];
    assert_eq!(changed.kind, LicenseEventKind::Changed);
    assert_eq!(changed.detail["before"]["window"], "lifetime");
    assert_eq!(changed.detail["after"]["window"], "month");
    assert_eq!(changed.detail["after"]["windowTimeZone"], "Europe/Berlin");
    assert!(changed.detail["after"].get("apiCallLimit").is_none());
}
crate::on_every_database!(a_plan_change_keeps_the_id_and_the_used_count);

async fn reset_usage_renews_the_current_window_at_zero_and_is_in_the_history(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let now = Utc::now();
    let license = fx::license(&db, &admin, &user, &agent, (3, daily())).await;
    for _ in 0..3 {
        assert!(fx::admit(&db, &license.id, now).await);
    }
    top_up(&db, &fx::actor(&admin), &license.id, extra(2, "rush"), now)
        .await
        .unwrap();
    let renew = LicenseChange {
        reset_usage: true,
        ..Default::default()
    };
    let view = update(&db, &fx::actor(&admin), &license.id, renew, now)
        .await
        .unwrap();
    assert_eq!(
        (
            view.api_calls_used,
            view.top_ups,
            view.remaining,
            view.exhausted
        ),
        (0, 0, Some(3), false)
    );
    assert_eq!(view.id, license.id);
    assert!(fx::admit(&db, &license.id, now).await);
    let renewed = &history(&db, &fx::actor(&admin), &license.id).await.unwrap()[0];
    assert_eq!(renewed.kind, LicenseEventKind::Renewed);
    assert_eq!(renewed.detail["before"]["apiCallsUsed"], 3);
    assert_eq!(renewed.detail["before"]["topUps"], 2);
    assert_eq!(renewed.detail["after"]["apiCallsUsed"], 0);
    assert_eq!(renewed.actor_email.as_deref(), Some("admin@example.com"));
}
crate::on_every_database!(reset_usage_renews_the_current_window_at_zero_and_is_in_the_history);

async fn the_history_lists_grant_changes_top_up_and_revocation_newest_first_with_the_actors_email(
    db: TestDatabase,
) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let now = Utc::now();
    let actor = fx::actor(&admin);
    let license = fx::license(&db, &admin, &user, &agent, 10).await;
    let change = |c: LicenseChange| {
        let (db, actor, id) = (db.clone(), actor.clone(), license.id.clone());
        async move { update(&db, &actor, &id, c, now).await.unwrap() }
    };
    change(LicenseChange {
        api_call_limit: Some(20),
        ..Default::default()
    })
    .await;
    // A change that changes nothing leaves no line.
    change(LicenseChange::default()).await;
    top_up(&db, &actor, &license.id, extra(5, "pilot"), now)
        .await
        .unwrap();
    change(LicenseChange {
        status: Some(LicenseStatus::Suspended),
        ..Default::default()
    })
    .await;
    change(LicenseChange {
        status: Some(LicenseStatus::Active),
        ..Default::default()
    })
    .await;
    revoke(&db, &actor, &license.id).await.unwrap();

    let lines = history(&db, &actor, &license.id).await.unwrap();
    use LicenseEventKind::*;
    assert_eq!(
        lines.iter().map(|l| l.kind).collect::<Vec<_>>(),
        [Revoked, Resumed, Suspended, TopUp, Changed, Granted]
    );
    assert!(lines.iter().all(|l| l.license_id == license.id
        && l.actor_id.as_deref() == Some(admin.id.as_str())
        && l.actor_email.as_deref() == Some("admin@example.com")));
    assert_eq!(lines[4].detail["before"], json!({ "apiCallLimit": 10 }));
    assert_eq!(lines[4].detail["after"], json!({ "apiCallLimit": 20 }));
    assert_eq!(lines[5].detail["after"]["apiCallLimit"], 10);
    assert_eq!(lines[5].detail["after"]["window"], "lifetime");
    assert_eq!(lines[2].detail["after"]["status"], "suspended");
    let json = serde_json::to_value(&lines[0]).unwrap();
    assert_eq!(json["kind"], "revoked");
    assert!(json.get("actorEmail").is_some() && json.get("createdAt").is_some());

    assert!(matches!(
        history(&db, &fx::actor(&user), &license.id).await,
        Err(CoreError::Forbidden(_))
    ));
    for unknown in [new_id(), "nope".to_owned()] {
        assert!(matches!(
            history(&db, &actor, &unknown).await,
            Err(CoreError::NotFound { entity: "license" })
        ));
    }
}
crate::on_every_database!(
    the_history_lists_grant_changes_top_up_and_revocation_newest_first_with_the_actors_email
);
