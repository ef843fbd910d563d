//! Quota windows: the calendar day or month, in the time zone the admin chose for a license,
//! that a call counts against. A window is identified by its start (stored as unix seconds in
//! `window_start_unix`), so admission tells "the same window" from "a newer one" by comparing
//! two integers. Every function takes `now`, never reads the clock, so tests can stand on a DST
//! change or a year end.

use chrono::{
    DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;

use abetworks_types::enums::QuotaWindow;
use abetworks_types::inputs::QuotaPlan;

use crate::error::{CoreError, CoreResult};

/// The last allowed reset day: every month has a 28th, so a monthly window never has to decide
/// what "the 31st of February" means.
pub const MAX_RESET_DAY: i32 = 28;

/// A skipped local midnight is searched for the first existing minute this far ahead. The
/// longest jump on record skipped a whole day (Pacific/Apia, 30 December 2011).
const MAX_GAP_MINUTES: i64 = 25 * 60;

/// How a license's calls are counted: for its lifetime, per local day, or per month from
/// `reset_day` to `reset_day`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowPlan {
    pub window: QuotaWindow,
    pub zone: Tz,
    /// 1..=28, used by monthly windows only.
    pub reset_day: u32,
}

/// One window: `start` inclusive, `end` exclusive (the instant it resets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowBounds {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl WindowPlan {
    /// From stored values. Input is validated before it is stored, so a zone that no longer
    /// parses (or a day out of range) means old or hand-edited data: counting in UTC, or on the
    /// nearest valid day, keeps the license usable rather than failing every call.
    pub fn new(window: QuotaWindow, zone_name: &str, reset_day: i32) -> Self {
        Self {
            window,
            zone: zone_name.trim().parse().unwrap_or(Tz::UTC),
            reset_day: reset_day.clamp(1, MAX_RESET_DAY).unsigned_abs(),
        }
    }

    /// The window holding `now`; `None` for a lifetime limit, which never resets.
    pub fn bounds(&self, now: DateTime<Utc>) -> Option<WindowBounds> {
        let today = now.with_timezone(&self.zone).date_naive();
        let mut from = match self.window {
            QuotaWindow::Lifetime => return None,
            QuotaWindow::Day => today,
            QuotaWindow::Month => month_start(today, self.reset_day)?,
        };
        let next = |day: NaiveDate| match self.window {
            QuotaWindow::Month => day.checked_add_months(Months::new(1)),
            _ => day.succ_opt(),
        };
        let mut start = first_instant(self.zone, from);
        // `start <= now` holds (now's local date begins no later than now). A clock turned back
        // across midnight can still show yesterday's date after today has begun; then the window
        // is a later one, so move on until the end lies ahead. Dates only grow: this ends.
        loop {
            let to = next(from)?;
            let end = first_instant(self.zone, to);
            if end > now {
                return Some(WindowBounds { start, end });
            }
            (from, start) = (to, end);
        }
    }

    /// The stored identity of the window holding `now`: its start in unix seconds, 0 for
    /// lifetime (one window forever).
    pub fn start_unix(&self, now: DateTime<Utc>) -> i64 {
        self.bounds(now)
            .map_or(0, |bounds| bounds.start.timestamp())
    }

    /// When the window holding `now` resets; `None` for lifetime.
    pub fn resets_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.bounds(now).map(|bounds| bounds.end)
    }
}

/// The local date the monthly window holding `today` began: the reset day of this month once
/// it is reached, else of the previous month.
fn month_start(today: NaiveDate, reset_day: u32) -> Option<NaiveDate> {
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), reset_day)?;
    if today.day() >= reset_day {
        Some(this_month)
    } else {
        this_month.checked_sub_months(Months::new(1))
    }
}

/// The first instant of local `date` in `zone`: local midnight, the earlier one when the clocks
/// go back over it, or, when a DST jump skips it, the moment the jump lands (the first instant
/// whose local date is `date` or later).
fn first_instant(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    let exists = |local: NaiveDateTime| {
        zone.from_local_datetime(&local)
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    };
    if let Some(at) = exists(midnight) {
        return at;
    }
    // Modern jumps land on whole minutes; old local-mean-time offsets do not, hence the second
    // search within the minute before the first minute that exists. The gap is one stretch, so
    // the first existing second is where the day begins.
    let minute = (1..=MAX_GAP_MINUTES)
        .map(|minutes| midnight + Duration::minutes(minutes))
        .find(|local| exists(*local).is_some());
    minute
        .and_then(|minute| (-59..=0).find_map(|s| exists(minute + Duration::seconds(s))))
        // No IANA zone jumps more than a day; midnight read as UTC at least keeps the order.
        .unwrap_or_else(|| midnight.and_utc())
}

/// The start of the window a counter moves to at `now` when its plan changes from the stored
/// `window`, `zone_name` and `reset_day` to `plan`; `None` when `plan` counts the same way, so
/// the counter stays in its window. One rule for a license's and a pool's plan change.
pub fn start_after_change(
    window: QuotaWindow,
    zone_name: &str,
    reset_day: i32,
    plan: &QuotaPlan,
    now: DateTime<Utc>,
) -> Option<i64> {
    let counts_differently =
        plan.window != window || plan.window_time_zone != zone_name || plan.reset_day != reset_day;
    counts_differently.then(|| {
        WindowPlan::new(plan.window, &plan.window_time_zone, plan.reset_day).start_unix(now)
    })
}

/// Parses an admin's time zone: an IANA name such as `Europe/Berlin` (or `UTC`).
pub fn parse_time_zone(field: &'static str, text: &str) -> CoreResult<Tz> {
    text.trim()
        .parse::<Tz>()
        .map_err(|_| CoreError::invalid(field, "must be an IANA time zone such as Europe/Berlin"))
}

/// A monthly reset day must exist in every month.
pub fn validate_reset_day(day: i32) -> CoreResult<()> {
    if (1..=MAX_RESET_DAY).contains(&day) {
        Ok(())
    } else {
        Err(CoreError::invalid("resetDay", "must be between 1 and 28"))
    }
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
