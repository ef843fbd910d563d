use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn bounds(window: QuotaWindow, zone: &str, reset_day: i32, now: DateTime<Utc>) -> WindowBounds {
    WindowPlan::new(window, zone, reset_day)
        .bounds(now)
        .unwrap()
}

fn window(start: DateTime<Utc>, end: DateTime<Utc>) -> WindowBounds {
    WindowBounds { start, end }
}

#[test]
fn a_daily_window_in_berlin_starts_at_local_midnight_not_utc_midnight() {
    // 23:30 UTC on a winter day is 00:30 the next day in Berlin (UTC+1).
    let now = utc(2027, 1, 14, 23, 30);
    assert_eq!(
        bounds(QuotaWindow::Day, "Europe/Berlin", 1, now),
        window(utc(2027, 1, 14, 23, 0), utc(2027, 1, 15, 23, 0))
    );
    assert_eq!(
        bounds(QuotaWindow::Day, "UTC", 1, now),
        window(utc(2027, 1, 14, 0, 0), utc(2027, 1, 15, 0, 0))
    );
}

#[test]
fn a_daily_window_includes_its_start_and_excludes_its_end() {
    let plan = WindowPlan::new(QuotaWindow::Day, "Europe/Berlin", 1);
    let midnight = utc(2027, 1, 14, 23, 0);
    assert_eq!(plan.bounds(midnight).unwrap().start, midnight);
    assert_eq!(
        plan.bounds(midnight - Duration::seconds(1)).unwrap().end,
        midnight
    );
    assert_eq!(plan.resets_at(midnight), Some(utc(2027, 1, 15, 23, 0)));
    assert_eq!(plan.start_unix(midnight), midnight.timestamp());
}

#[test]
fn the_berlin_day_the_clocks_go_forward_is_23_hours_long() {
    // 28 March 2027: 02:00 CET becomes 03:00 CEST.
    let day = bounds(
        QuotaWindow::Day,
        "Europe/Berlin",
        1,
        utc(2027, 3, 28, 12, 0),
    );
    assert_eq!(
        day,
        window(utc(2027, 3, 27, 23, 0), utc(2027, 3, 28, 22, 0))
    );
    assert_eq!(day.end - day.start, Duration::hours(23));
}

#[test]
fn the_berlin_day_the_clocks_go_back_is_25_hours_long() {
    // 31 October 2027: 03:00 CEST becomes 02:00 CET.
    let day = bounds(
        QuotaWindow::Day,
        "Europe/Berlin",
        1,
        utc(2027, 10, 31, 12, 0),
    );
    assert_eq!(
        day,
        window(utc(2027, 10, 30, 22, 0), utc(2027, 10, 31, 23, 0))
    );
    assert_eq!(day.end - day.start, Duration::hours(25));
}

#[test]
fn a_monthly_window_before_the_reset_day_began_on_that_day_last_month() {
    assert_eq!(
        bounds(QuotaWindow::Month, "UTC", 15, utc(2027, 6, 14, 23, 59)),
        window(utc(2027, 5, 15, 0, 0), utc(2027, 6, 15, 0, 0))
    );
}

#[test]
fn a_monthly_window_from_the_reset_day_on_began_this_month() {
    assert_eq!(
        bounds(QuotaWindow::Month, "UTC", 15, utc(2027, 6, 15, 0, 0)),
        window(utc(2027, 6, 15, 0, 0), utc(2027, 7, 15, 0, 0))
    );
}

#[test]
fn a_monthly_window_crosses_the_year_end_in_both_directions() {
    assert_eq!(
        bounds(QuotaWindow::Month, "UTC", 15, utc(2027, 1, 10, 8, 0)),
        window(utc(2026, 12, 15, 0, 0), utc(2027, 1, 15, 0, 0))
    );
    assert_eq!(
        bounds(QuotaWindow::Month, "UTC", 15, utc(2027, 12, 20, 8, 0)),
        window(utc(2027, 12, 15, 0, 0), utc(2028, 1, 15, 0, 0))
    );
}

#[test]
fn a_monthly_window_across_a_dst_change_runs_from_local_midnight_to_local_midnight() {
    // New York moves to EDT on 14 March 2027: midnight of the 15th is 05:00 UTC in February
    // and 04:00 UTC in March.
    let month = bounds(
        QuotaWindow::Month,
        "America/New_York",
        15,
        utc(2027, 3, 1, 12, 0),
    );
    assert_eq!(
        month,
        window(utc(2027, 2, 15, 5, 0), utc(2027, 3, 15, 4, 0))
    );
}

#[test]
fn a_monthly_window_follows_the_local_date_not_the_utc_date() {
    // 14 June 23:30 in UTC is already the 15th in Berlin (UTC+2), so the new month has begun.
    let month = bounds(
        QuotaWindow::Month,
        "Europe/Berlin",
        15,
        utc(2027, 6, 14, 23, 30),
    );
    assert_eq!(
        month,
        window(utc(2027, 6, 14, 22, 0), utc(2027, 7, 14, 22, 0))
    );
}

#[test]
fn a_day_whose_midnight_is_skipped_starts_when_the_clocks_land() {
    // Santiago, 6 September 2026: 00:00 -04 becomes 01:00 -03 (04:00 UTC), so the day has
    // no midnight and begins at 01:00 local.
    let day = bounds(
        QuotaWindow::Day,
        "America/Santiago",
        1,
        utc(2026, 9, 6, 15, 0),
    );
    assert_eq!(day, window(utc(2026, 9, 6, 4, 0), utc(2026, 9, 7, 3, 0)));
    let day_before = bounds(
        QuotaWindow::Day,
        "America/Santiago",
        1,
        utc(2026, 9, 5, 15, 0),
    );
    assert_eq!(day_before.end, day.start);
    // Beirut skips midnight too (27 March 2027, 22:00 UTC: 00:00 EET becomes 01:00 EEST).
    let beirut = bounds(QuotaWindow::Day, "Asia/Beirut", 1, utc(2027, 3, 28, 6, 0));
    assert_eq!(
        beirut,
        window(utc(2027, 3, 27, 22, 0), utc(2027, 3, 28, 21, 0))
    );
}

#[test]
fn a_monthly_window_whose_reset_midnight_is_skipped_starts_when_the_clocks_land() {
    let month = bounds(
        QuotaWindow::Month,
        "America/Santiago",
        6,
        utc(2026, 9, 20, 12, 0),
    );
    assert_eq!(month, window(utc(2026, 9, 6, 4, 0), utc(2026, 10, 6, 3, 0)));
}

#[test]
fn a_skipped_calendar_day_ends_the_day_before_it_at_the_next_day_that_exists() {
    // Samoa skipped 30 December 2011: 29 December 23:59:59 -10 was followed by 31 December
    // 00:00 +14 (10:00 UTC on the 30th).
    let day = bounds(QuotaWindow::Day, "Pacific/Apia", 1, utc(2011, 12, 30, 9, 0));
    assert_eq!(
        day,
        window(utc(2011, 12, 29, 10, 0), utc(2011, 12, 30, 10, 0))
    );
    let next = bounds(
        QuotaWindow::Day,
        "Pacific/Apia",
        1,
        utc(2011, 12, 30, 10, 0),
    );
    assert_eq!(
        next,
        window(utc(2011, 12, 30, 10, 0), utc(2011, 12, 31, 10, 0))
    );
}

#[test]
fn a_lifetime_limit_has_no_window_and_starts_at_zero() {
    let plan = WindowPlan::new(QuotaWindow::Lifetime, "Europe/Berlin", 15);
    let now = utc(2027, 3, 28, 12, 0);
    assert_eq!(plan.bounds(now), None);
    assert_eq!(plan.start_unix(now), 0);
    assert_eq!(plan.resets_at(now), None);
}

#[test]
fn unknown_time_zones_are_refused_as_input_and_read_as_utc_when_stored() {
    let err = parse_time_zone("windowTimeZone", "Mars/Olympus_Mons").unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid { field, message }
            if field == "windowTimeZone" && message.contains("IANA time zone")),
        "{err:?}"
    );
    assert!(parse_time_zone("windowTimeZone", "").is_err());
    assert_eq!(
        parse_time_zone("windowTimeZone", " Europe/Berlin ").unwrap(),
        Tz::Europe__Berlin
    );
    assert_eq!(parse_time_zone("windowTimeZone", "UTC").unwrap(), Tz::UTC);
    assert_eq!(
        WindowPlan::new(QuotaWindow::Day, "Mars/Olympus_Mons", 1).zone,
        Tz::UTC
    );
}

#[test]
fn reset_days_outside_1_to_28_are_refused_as_input_and_clamped_when_stored() {
    assert!(validate_reset_day(1).is_ok());
    assert!(validate_reset_day(28).is_ok());
    for day in [0, 29, 31, -1] {
        let err = validate_reset_day(day).unwrap_err();
        assert!(
            matches!(&err, CoreError::Invalid { field, .. } if field == "resetDay"),
            "{err:?}"
        );
    }
    assert_eq!(WindowPlan::new(QuotaWindow::Month, "UTC", 0).reset_day, 1);
    assert_eq!(WindowPlan::new(QuotaWindow::Month, "UTC", 31).reset_day, 28);
}
