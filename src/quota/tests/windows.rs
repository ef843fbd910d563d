//! Windows with the clock injected: a day in its own zone, a month from its reset day across
//! daylight-saving changes, refunds after midnight, the burst rate, and 200 calls racing
//! across midnight.

use super::*;

async fn a_daily_window_resets_at_midnight_in_its_own_zone_and_not_in_utc(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let translator = fx::agent(&db, "translator", true).await;
    let berlin = licensed(&db, &admin, &user, &agent, 2, daily("Europe/Berlin")).await;
    let utc = licensed(&db, &admin, &user, &translator, 2, daily("UTC")).await;

    // 14 January: Berlin is UTC+1, its day began at 23:00 UTC on the 13th and ends at 23:00.
    let evening = at("2027-01-14T22:30:00Z");
    for _ in 0..2 {
        assert_eq!(
            admitted(&db, &berlin, evening).await.1,
            unix("2027-01-13T23:00:00Z")
        );
        assert_eq!(
            admitted(&db, &utc, evening).await.1,
            unix("2027-01-14T00:00:00Z")
        );
    }
    assert_eq!(exceeded(&db, &berlin, evening).await, Some(30 * 60));
    assert_eq!(exceeded(&db, &utc, evening).await, Some(90 * 60));

    let after_berlin_midnight = at("2027-01-14T23:00:01Z");
    let (usage, window) = admitted(&db, &berlin, after_berlin_midnight).await;
    assert_eq!(window, unix("2027-01-14T23:00:00Z"));
    assert_eq!(
        (usage.used, usage.window_start, usage.resets_at),
        (
            1,
            Some(at("2027-01-14T23:00:00Z")),
            Some(at("2027-01-15T23:00:00Z"))
        )
    );
    assert_eq!(
        exceeded(&db, &utc, after_berlin_midnight).await,
        Some(3599),
        "the UTC day has not ended yet"
    );
    assert_eq!(
        admitted(&db, &utc, at("2027-01-15T00:00:00Z")).await.1,
        unix("2027-01-15T00:00:00Z")
    );

    // In summer Berlin is UTC+2: its day ends at 22:00 UTC.
    let summer = at("2027-07-14T21:30:00Z");
    admitted(&db, &berlin, summer).await;
    assert_eq!(
        admitted(&db, &berlin, summer).await.1,
        unix("2027-07-13T22:00:00Z")
    );
    assert_eq!(exceeded(&db, &berlin, summer).await, Some(30 * 60));
    assert_eq!(
        admitted(&db, &berlin, at("2027-07-14T22:00:00Z")).await.1,
        unix("2027-07-14T22:00:00Z")
    );
}
crate::on_every_database!(a_daily_window_resets_at_midnight_in_its_own_zone_and_not_in_utc);

async fn a_monthly_window_resets_on_its_reset_day_across_daylight_saving_changes(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = licensed(
        &db,
        &admin,
        &user,
        &agent,
        2,
        monthly("America/New_York", 15),
    )
    .await;

    // New York springs forward on 14 March 2027: the window that began on 15 February at
    // midnight EST (05:00 UTC) ends on 15 March at midnight EDT (04:00 UTC).
    let early_march = at("2027-03-01T12:00:00Z");
    for _ in 0..2 {
        assert_eq!(
            admitted(&db, &id, early_march).await.1,
            unix("2027-02-15T05:00:00Z")
        );
    }
    let until_reset = at("2027-03-15T04:00:00Z") - early_march;
    assert_eq!(
        exceeded(&db, &id, early_march).await,
        Some(until_reset.num_seconds())
    );
    assert_eq!(
        exceeded(&db, &id, at("2027-03-14T12:00:00Z")).await,
        Some(16 * 3600)
    );
    assert_eq!(
        exceeded(&db, &id, at("2027-03-15T03:59:59Z")).await,
        Some(1),
        "23:59:59 EDT on the 14th is still the old month"
    );
    let (usage, window) = admitted(&db, &id, at("2027-03-15T04:00:01Z")).await;
    assert_eq!(window, unix("2027-03-15T04:00:00Z"));
    assert_eq!(
        (usage.used, usage.resets_at),
        (1, Some(at("2027-04-15T04:00:00Z")))
    );

    // It falls back on 7 November: the window that began at midnight EDT on 15 October ends
    // at midnight EST on 15 November (05:00 UTC), an hour later than in summer.
    let early_november = at("2027-11-01T12:00:00Z");
    for _ in 0..2 {
        assert_eq!(
            admitted(&db, &id, early_november).await.1,
            unix("2027-10-15T04:00:00Z")
        );
    }
    assert_eq!(
        exceeded(&db, &id, at("2027-11-15T04:30:00Z")).await,
        Some(30 * 60)
    );
    assert_eq!(
        admitted(&db, &id, at("2027-11-15T05:00:00Z")).await.1,
        unix("2027-11-15T05:00:00Z")
    );
}
crate::on_every_database!(a_monthly_window_resets_on_its_reset_day_across_daylight_saving_changes);

async fn a_call_admitted_before_midnight_and_refunded_after_gives_nothing_to_the_new_day(
    db: TestDatabase,
) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = licensed(&db, &admin, &user, &agent, 1, daily("UTC")).await;
    let (_, old_day) = admitted(&db, &id, at("2027-01-14T23:59:59.900Z")).await;
    assert_eq!(old_day, unix("2027-01-14T00:00:00Z"));

    let (usage, new_day) = admitted(&db, &id, at("2027-01-15T00:00:00.500Z")).await;
    assert_eq!(new_day, unix("2027-01-15T00:00:00Z"));
    assert_eq!(usage.used, 1);

    // The slow call fails now: its unit belonged to yesterday, which is over.
    assert!(!refund(&db, &id, old_day, at("2027-01-15T00:00:01Z"))
        .await
        .unwrap());
    let stored = row(&db, &id).await;
    assert_eq!(
        (stored.api_calls_used, stored.window_start_unix),
        (1, new_day)
    );
    assert!(exceeded(&db, &id, at("2027-01-15T00:00:02Z"))
        .await
        .is_some());

    // A unit of today's window is given back to today.
    assert!(refund(&db, &id, new_day, at("2027-01-15T00:00:03Z"))
        .await
        .unwrap());
    assert_eq!(used(&db, &id).await, 0);
}
crate::on_every_database!(
    a_call_admitted_before_midnight_and_refunded_after_gives_nothing_to_the_new_day
);

async fn a_burst_rate_admits_its_rate_per_second_and_takes_no_unit_from_the_refused(
    db: TestDatabase,
) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let plan = QuotaPlan {
        burst_per_second: Some(5),
        ..daily("UTC")
    };
    let id = licensed(&db, &admin, &user, &agent, 100, plan).await;
    let second = at(NOON);
    for tenth in 0..5 {
        admitted(&db, &id, second + Duration::milliseconds(tenth * 100)).await;
    }
    assert_eq!(
        admit_at(&db, &id, second + Duration::milliseconds(900)).await,
        Admission::RateLimited {
            retry_after_secs: 1
        }
    );
    assert_eq!(used(&db, &id).await, 5);
    assert_eq!(
        admitted(&db, &id, second + Duration::seconds(1))
            .await
            .0
            .used,
        6
    );

    // Without a rate of its own a license follows the server's default.
    let translator = fx::agent(&db, "translator", true).await;
    let other = licensed(&db, &admin, &user, &translator, UNLIMITED, daily("UTC")).await;
    let by_default = QuotaContext {
        now: second,
        default_burst_per_second: Some(2),
    };
    let outcomes = [
        admit(&db, &row(&db, &other).await, &by_default)
            .await
            .unwrap(),
        admit(&db, &row(&db, &other).await, &by_default)
            .await
            .unwrap(),
        admit(&db, &row(&db, &other).await, &by_default)
            .await
            .unwrap(),
    ];
    assert!(matches!(outcomes[1], Admission::Admitted { .. }));
    assert_eq!(
        outcomes[2],
        Admission::RateLimited {
            retry_after_secs: 1
        }
    );
}
crate::on_every_database!(
    a_burst_rate_admits_its_rate_per_second_and_takes_no_unit_from_the_refused
);

async fn twenty_concurrent_calls_within_one_second_admit_exactly_the_burst_rate(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let plan = QuotaPlan {
        burst_per_second: Some(5),
        ..QuotaPlan::default()
    };
    let id = licensed(&db, &admin, &user, &agent, UNLIMITED, plan).await;
    let now = at("2027-01-14T12:00:00.250Z");
    let tasks: Vec<_> = (0..20).map(|_| spawn_admit(&db, &id, now)).collect();
    let (mut admitted, mut limited) = (0, 0);
    for task in tasks {
        match task.await.unwrap().1 {
            Admission::Admitted { .. } => admitted += 1,
            Admission::RateLimited {
                retry_after_secs: 1,
            } => limited += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((admitted, limited), (5, 15));
    assert_eq!(used(&db, &id).await, 5);
}
crate::on_every_database!(twenty_concurrent_calls_within_one_second_admit_exactly_the_burst_rate);

/// Counts admissions per window start; every other outcome must be `QuotaExceeded`.
async fn admissions_by_window(
    tasks: Vec<tokio::task::JoinHandle<(DateTime<Utc>, Admission)>>,
) -> Vec<(DateTime<Utc>, i64)> {
    let mut admissions = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (
                now,
                Admission::Admitted {
                    window_start_unix, ..
                },
            ) => admissions.push((now, window_start_unix)),
            (_, Admission::QuotaExceeded { .. }) => {}
            (now, other) => panic!("unexpected at {now}: {other:?}"),
        }
    }
    admissions
}

const BEFORE_MIDNIGHT: &str = "2027-01-14T23:59:59.500Z";
const AFTER_MIDNIGHT: &str = "2027-01-15T00:00:00.500Z";

/// 100 calls at 23:59:59.5 and 100 at 00:00:00.5 against a daily limit of 50. The clock
/// moves on once the old day is full, while that day's other calls are still running: each
/// day admits exactly its limit.
async fn two_hundred_concurrent_admissions_across_midnight_admit_exactly_fifty_each_day(
    db: TestDatabase,
) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = licensed(&db, &admin, &user, &agent, 50, daily("UTC")).await;
    let (old_day, new_day) = (unix("2027-01-14T00:00:00Z"), unix("2027-01-15T00:00:00Z"));
    let mut tasks: Vec<_> = (0..100)
        .map(|_| spawn_admit(&db, &id, at(BEFORE_MIDNIGHT)))
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let stored = row(&db, &id).await;
        if (stored.window_start_unix, stored.api_calls_used) == (old_day, 50) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the old day fills up");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    tasks.extend((0..100).map(|_| spawn_admit(&db, &id, at(AFTER_MIDNIGHT))));

    let admissions = admissions_by_window(tasks).await;
    let in_window = |w: i64| admissions.iter().filter(|(_, s)| *s == w).count();
    assert_eq!(
        (in_window(old_day), in_window(new_day)),
        (50, 50),
        "{admissions:?}"
    );
    let stored = row(&db, &id).await;
    assert_eq!(
        (stored.window_start_unix, stored.api_calls_used),
        (new_day, 50)
    );
}
crate::on_every_database!(
    two_hundred_concurrent_admissions_across_midnight_admit_exactly_fifty_each_day
);

/// The same 200 calls started in mixed order: once a call of the new day has started it, the
/// old day takes no more calls (a late caller is counted in the new day, never steps back), so
/// the old day admits at most 50 and the new day exactly 50.
async fn two_hundred_interleaved_admissions_across_midnight_never_exceed_a_day_nor_step_back(
    db: TestDatabase,
) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = licensed(&db, &admin, &user, &agent, 50, daily("UTC")).await;
    let (old_day, new_day) = (unix("2027-01-14T00:00:00Z"), unix("2027-01-15T00:00:00Z"));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let now = if i % 2 == 0 {
                BEFORE_MIDNIGHT
            } else {
                AFTER_MIDNIGHT
            };
            spawn_admit(&db, &id, at(now))
        })
        .collect();
    let admissions = admissions_by_window(tasks).await;
    let in_window = |w: i64| admissions.iter().filter(|(_, s)| *s == w).count();
    assert!(in_window(old_day) <= 50, "{admissions:?}");
    assert_eq!(in_window(new_day), 50, "{admissions:?}");
    assert_eq!(in_window(old_day) + in_window(new_day), admissions.len());
    assert!(
        admissions
            .iter()
            .all(|(now, w)| *now == at(BEFORE_MIDNIGHT) || *w == new_day),
        "a call after midnight never counts in the old day: {admissions:?}"
    );
    let stored = row(&db, &id).await;
    assert_eq!(
        (stored.window_start_unix, stored.api_calls_used),
        (new_day, 50)
    );
}
crate::on_every_database!(
    two_hundred_interleaved_admissions_across_midnight_never_exceed_a_day_nor_step_back
);

/// A call whose clock is behind (read before midnight, admitted after the new day began) is
/// counted in the new day, and its usage describes that day.
async fn a_call_whose_clock_is_behind_is_counted_in_the_newer_window_and_told_so(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let id = licensed(&db, &admin, &user, &agent, 50, daily("UTC")).await;
    let new_day = at("2027-01-15T00:00:00Z");
    admitted(&db, &id, at(AFTER_MIDNIGHT)).await;
    let (usage, window) = admitted(&db, &id, at(BEFORE_MIDNIGHT)).await;
    assert_eq!(window, new_day.timestamp());
    assert_eq!(
        (usage.used, usage.window_start, usage.resets_at),
        (2, Some(new_day), Some(new_day + Duration::days(1)))
    );
}
crate::on_every_database!(a_call_whose_clock_is_behind_is_counted_in_the_newer_window_and_told_so);
