use chrono::{Duration, TimeZone};
use sea_orm::{ActiveModelTrait, DatabaseConnection};

use super::*;
use crate::entities::api_usage_tracking as tracking;
use crate::entities::enums::LicenseStatus;
use crate::licenses::LicenseChange;
use crate::licenses::{self, EffectiveStatus};
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

fn call(user: Option<&str>, agent: Option<&str>, status_code: u16) -> TrackCall {
    TrackCall {
        user_id: user.map(str::to_owned),
        agent_id: agent.map(str::to_owned),
        endpoint: "/api/agents/x/execute".into(),
        method: "POST".into(),
        status_code,
        duration_ms: 12,
        ..Default::default()
    }
}

/// A tracking row at a chosen time (the service always writes "now").
async fn tracked_at(db: &DatabaseConnection, at: DateTime<Utc>, status_code: i32) {
    tracking::ActiveModel {
        id: Set(new_id()),
        user_id: Set(None),
        agent_id: Set(None),
        api_key_id: Set(None),
        endpoint: Set("/e".into()),
        method: Set("GET".into()),
        status_code: Set(status_code),
        duration_ms: Set(1),
        error: Set(None),
        created_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

#[test]
fn csv_fields_with_commas_quotes_or_line_breaks_are_quoted() {
    assert_eq!(
        csv_line(&["a", "b,c", "say \"hi\"", "two\nlines", ""]),
        "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\n"
    );
    assert!(CSV_HEADER.starts_with("id,created_at,") && CSV_HEADER.ends_with("error\n"));
}

#[test]
fn exported_text_that_a_spreadsheet_would_run_is_defused() {
    let row = ExportRow {
        id: "1".into(),
        created_at: utc(2025, 3, 1, 10, 0),
        user_id: None,
        user_email: None,
        agent_id: None,
        agent_slug: None,
        api_key_id: None,
        endpoint: "=HYPERLINK(\"x\")".into(),
        method: "GET".into(),
        status_code: 500,
        duration_ms: 3,
        error: Some("-oops, bad".into()),
    };
    let line = row.csv_line();
    assert!(line.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{line}");
    assert!(line.contains("\"'-oops, bad\""), "{line}");
    assert!(line.contains(",500,3,"), "{line}");
}

#[test]
fn buckets_are_read_back_as_their_start() {
    assert_eq!(
        parse_bucket("2025-03-01T10", Granularity::Hour),
        Some(utc(2025, 3, 1, 10, 0))
    );
    assert_eq!(
        parse_bucket("2025-03-01", Granularity::Day),
        Some(utc(2025, 3, 1, 0, 0))
    );
    assert_eq!(parse_bucket("garbage", Granularity::Day), None);
    assert_eq!(
        bucket_start(utc(2025, 3, 1, 10, 59), Granularity::Hour),
        utc(2025, 3, 1, 10, 0)
    );
}

#[test]
fn the_week_starts_on_monday_and_the_month_on_the_first_in_utc() {
    // 2025-03-06 is a Thursday.
    let (today, week, month) = period_starts(utc(2025, 3, 6, 15, 30));
    assert_eq!(
        (today, week, month),
        (
            utc(2025, 3, 6, 0, 0),
            utc(2025, 3, 3, 0, 0),
            utc(2025, 3, 1, 0, 0)
        )
    );
}

async fn tracking_writes_one_row_and_keeps_only_what_can_be_stored(db: TestDatabase) {
    let (db, user, agent) = fx::customer(&db).await;
    let id = track(&db, call(Some(&user.id), Some(&agent.id), 200))
        .await
        .unwrap();
    let row = fx::row::<tracking::Entity>(&db, &id).await;
    assert_eq!(
        (row.user_id.as_deref(), row.agent_id.as_deref()),
        (Some(user.id.as_str()), Some(agent.id.as_str()))
    );
    assert_eq!(
        (row.status_code, row.duration_ms, row.method.as_str()),
        (200, 12, "POST")
    );

    let hostile = TrackCall {
        user_id: Some(new_id()),
        agent_id: Some("not an id".into()),
        api_key_id: Some(new_id()),
        endpoint: "/api/x\0y".into(),
        method: "PROPFIND-TOO-LONG-METHOD".into(),
        duration_ms: -5,
        error: Some("e".repeat(10_000)),
        ..call(None, None, 404)
    };
    let id = track(&db, hostile).await.unwrap();
    let row = fx::row::<tracking::Entity>(&db, &id).await;
    assert_eq!(
        (row.user_id, row.agent_id, row.api_key_id),
        (None, None, None)
    );
    assert_eq!(row.endpoint, "/api/xy");
    assert_eq!(row.method.chars().count(), 16);
    assert_eq!(row.duration_ms, 0);
    assert_eq!(row.error.map(|e| e.chars().count()), Some(4000));
}
crate::on_every_database!(tracking_writes_one_row_and_keeps_only_what_can_be_stored);

async fn my_usage_shows_the_license_in_force_for_each_agent(db: TestDatabase) {
    let (db, admin, ana, bob, summarizer, translator) = fx::crowd(&db).await;
    let old = fx::license(&db, &admin, &ana, &summarizer, 5).await;
    licenses::revoke(&db, &fx::actor(&admin), &old.id)
        .await
        .unwrap();
    let current = fx::license(&db, &admin, &ana, &summarizer, 10).await;
    let only = fx::license(&db, &admin, &ana, &translator, -1).await;
    fx::license(&db, &admin, &bob, &translator, 3).await;
    crate::quota::admit_now(&db, &current.id).await.unwrap();
    let suspend = LicenseChange {
        status: Some(LicenseStatus::Suspended),
        ..Default::default()
    };
    licenses::update(
        &db,
        &fx::actor(&admin),
        &only.id,
        suspend,
        chrono::Utc::now(),
    )
    .await
    .unwrap();

    let mine = my_usage(&db, &ana.id).await.unwrap();
    let summary: Vec<_> = mine
        .iter()
        .map(|l| {
            (
                l.agent_slug.as_str(),
                l.api_call_limit,
                l.api_calls_used,
                l.remaining,
                l.status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("summarizer", 10, 1, Some(9), EffectiveStatus::Active),
            ("translator", -1, 0, None, EffectiveStatus::Suspended),
        ]
    );
    assert!(my_usage(&db, "junk").await.unwrap().is_empty());
}
crate::on_every_database!(my_usage_shows_the_license_in_force_for_each_agent);

async fn the_overview_counts_calls_by_agent_and_user_and_flags_heavy_users(db: TestDatabase) {
    let (db, admin, ana, bob, summarizer, translator) = fx::crowd(&db).await;
    for status in [200, 200, 429] {
        track(&db, call(Some(&ana.id), Some(&summarizer.id), status))
            .await
            .unwrap();
    }
    track(&db, call(Some(&bob.id), Some(&translator.id), 502))
        .await
        .unwrap();
    track(&db, call(None, None, 401)).await.unwrap();
    let heavy = fx::license(&db, &admin, &ana, &summarizer, 5).await;
    for _ in 0..4 {
        crate::quota::admit_now(&db, &heavy.id).await.unwrap();
    }
    fx::license(&db, &admin, &bob, &translator, 5).await;

    let now = Utc::now();
    let seen = overview(&db, now - Duration::hours(1), now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        (seen.total_calls, seen.successful_calls, seen.failed_calls),
        (5, 2, 3)
    );
    let by_agent = fx::pairs(&seen.by_agent, |a| (a.agent_slug.as_str(), a.calls));
    assert_eq!(by_agent, [("summarizer", 3), ("translator", 1)]);
    let by_user = fx::pairs(&seen.by_user, |u| (u.user_email.as_str(), u.calls));
    assert_eq!(by_user, [("ana@example.com", 3), ("bob@example.com", 1)]);
    assert_eq!(seen.granularity, Granularity::Hour);
    assert_eq!(seen.trend.len(), 3);
    assert_eq!(seen.trend.iter().map(|p| p.calls).sum::<u64>(), 5);
    assert_eq!(fx::pairs(&seen.heavy_users, |l| l.id.clone()), [heavy.id]);
    assert_eq!(
        (
            seen.calls_today,
            seen.calls_this_week,
            seen.calls_this_month
        ),
        (5, 5, 5)
    );
    let json = serde_json::to_value(&seen).unwrap();
    assert!(json.get("heavyUsers").is_some() && json.get("callsThisWeek").is_some());
}
crate::on_every_database!(the_overview_counts_calls_by_agent_and_user_and_flags_heavy_users);

async fn the_trend_is_per_hour_up_to_two_days_and_per_day_beyond(db: TestDatabase) {
    let db = fx::connect(&db).await;
    tracked_at(&db, utc(2025, 3, 1, 10, 15), 200).await;
    tracked_at(&db, utc(2025, 3, 1, 10, 45), 500).await;
    tracked_at(&db, utc(2025, 3, 1, 12, 0), 200).await;
    tracked_at(&db, utc(2025, 3, 3, 23, 59), 200).await;

    let hourly = overview(&db, utc(2025, 3, 1, 9, 30), utc(2025, 3, 1, 12, 30))
        .await
        .unwrap();
    let points: Vec<_> = hourly.trend.iter().map(|p| (p.start, p.calls)).collect();
    assert_eq!(
        points,
        vec![
            (utc(2025, 3, 1, 9, 0), 0),
            (utc(2025, 3, 1, 10, 0), 2),
            (utc(2025, 3, 1, 11, 0), 0),
            (utc(2025, 3, 1, 12, 0), 1),
        ]
    );
    let daily = overview(&db, utc(2025, 2, 28, 0, 0), utc(2025, 3, 4, 0, 0))
        .await
        .unwrap();
    assert_eq!(daily.granularity, Granularity::Day);
    let points: Vec<_> = daily.trend.iter().map(|p| p.calls).collect();
    assert_eq!(points, vec![0, 3, 0, 1, 0]);
    assert_eq!(daily.total_calls, 4);
}
crate::on_every_database!(the_trend_is_per_hour_up_to_two_days_and_per_day_beyond);

async fn inverted_or_overlong_ranges_and_absurd_batches_are_invalid(db: TestDatabase) {
    let db = fx::connect(&db).await;
    let now = Utc::now();
    let inverted = overview(&db, now, now - Duration::seconds(1)).await;
    fx::assert_invalid(&inverted, "from");
    let overlong = overview(&db, now - Duration::days(401), now).await;
    fx::assert_invalid(&overlong, "to");
    for batch in [0, MAX_EXPORT_BATCH + 1, u64::MAX] {
        let result = export_rows(&db, now - Duration::days(1), now, None, batch).await;
        fx::assert_invalid(&result, "batch");
    }
    assert!(export_rows(&db, now, now - Duration::days(1), None, 10)
        .await
        .is_err());
}
crate::on_every_database!(inverted_or_overlong_ranges_and_absurd_batches_are_invalid);

async fn the_export_reads_every_row_of_the_range_once_in_batches(db: TestDatabase) {
    let (db, user, agent) = fx::customer(&db).await;
    let same_instant = utc(2025, 3, 1, 10, 0);
    for _ in 0..4 {
        tracked_at(&db, same_instant, 200).await;
    }
    tracked_at(&db, utc(2025, 3, 1, 11, 0), 500).await;
    tracked_at(&db, utc(2025, 3, 5, 0, 0), 200).await; // outside the range
    for _ in 0..2 {
        track(&db, call(Some(&user.id), Some(&agent.id), 200))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor: Option<ExportCursor> = None;
    loop {
        let batch = export_rows(
            &db,
            utc(2025, 2, 28, 0, 0),
            utc(2025, 3, 2, 0, 0),
            cursor.as_ref(),
            2,
        )
        .await
        .unwrap();
        let Some(last) = batch.last() else { break };
        cursor = Some(last.cursor());
        seen.extend(batch);
    }
    assert_eq!(seen.len(), 5);
    let mut ids: Vec<_> = seen.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
    assert!(seen
        .windows(2)
        .all(|w| (w[0].created_at, &w[0].id) < (w[1].created_at, &w[1].id)));

    let recent = export_rows(
        &db,
        Utc::now() - Duration::minutes(5),
        Utc::now(),
        None,
        100,
    )
    .await
    .unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0].user_email.as_deref(), Some("ana@example.com"));
    assert_eq!(recent[0].agent_slug.as_deref(), Some("summarizer"));
    assert!(recent[0].csv_line().ends_with('\n'));
}
crate::on_every_database!(the_export_reads_every_row_of_the_range_once_in_batches);
