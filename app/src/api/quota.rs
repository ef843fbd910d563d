//! A license's quota window in words: "37 calls left today, resets at 00:00 Europe/Berlin",
//! "37 of 50 calls left", "Unlimited". The browser has no time zone database, so the reset
//! time is put in the license's zone on the server ([`resets_phrase`]) and sent as text.

use abetworks_types::enums::QuotaWindow;
use abetworks_types::views::LicenseView;

/// What is left in the license's current window; `resets` is the server's
/// [`resets_phrase`] ("resets at 00:00 Europe/Berlin"), if the window resets.
pub fn quota_text(license: &LicenseView, resets: Option<&str>) -> String {
    let Some(left) = license.remaining else {
        return "Unlimited".to_owned();
    };
    let calls = |n: i64| if n == 1 { "call" } else { "calls" };
    match license.window {
        QuotaWindow::Lifetime => {
            let total = license.api_call_limit + license.top_ups;
            format!("{left} of {total} {} left", calls(total))
        }
        window => {
            let text = format!("{left} {} left {}", calls(left), window.period_word());
            match resets {
                Some(resets) => format!("{text}, {resets}"),
                None => text,
            }
        }
    }
}

/// The short form next to the run button: "3 calls remaining" for a lifetime limit (what it
/// always said), "37 calls left today" for a window.
pub fn remaining_text(license: &LicenseView) -> String {
    match (license.remaining, license.window) {
        (None, _) => "Unlimited calls".to_owned(),
        (Some(1), QuotaWindow::Lifetime) => "1 call remaining".to_owned(),
        (Some(n), QuotaWindow::Lifetime) => format!("{n} calls remaining"),
        (Some(n), window) => format!(
            "{n} {} left {}",
            if n == 1 { "call" } else { "calls" },
            window.period_word()
        ),
    }
}

/// The limit a window's usage counts against: the license's limit plus the calls added to
/// this window (`-1` stays unlimited).
pub fn window_limit(license: &LicenseView) -> i64 {
    if license.api_call_limit < 0 {
        license.api_call_limit
    } else {
        license.api_call_limit + license.top_ups
    }
}

/// A license's plan in a table cell: "50/day, Europe/Berlin", "50/month from day 5, UTC",
/// "50 in total"; the burst rate when set.
pub fn plan_text(license: &LicenseView) -> String {
    let limit = if license.api_call_limit < 0 {
        "Unlimited".to_owned()
    } else {
        license.api_call_limit.to_string()
    };
    let mut text = match license.window {
        QuotaWindow::Lifetime => format!("{limit} in total"),
        QuotaWindow::Day => format!("{limit}/day, {}", license.window_time_zone),
        QuotaWindow::Month if license.reset_day > 1 => format!(
            "{limit}/month from day {}, {}",
            license.reset_day, license.window_time_zone
        ),
        QuotaWindow::Month => format!("{limit}/month, {}", license.window_time_zone),
    };
    if let Some(burst) = license.burst_per_second {
        text.push_str(&format!(", at most {burst}/s"));
    }
    text
}

/// When the license's window resets, on a clock in its own zone: "resets at 00:00
/// Europe/Berlin" for a day, "resets on 2026-12-05 at 00:00 Europe/Berlin" for a month;
/// `None` for a lifetime limit.
#[cfg(feature = "ssr")]
pub fn resets_phrase(license: &LicenseView) -> Option<String> {
    use abetworks::quota::window::WindowPlan;
    let at = license.resets_at?;
    // The same reading of the stored zone the core counts with (an unknown one is UTC).
    let plan = WindowPlan::new(license.window, &license.window_time_zone, license.reset_day);
    let local = at.with_timezone(&plan.zone);
    let zone = &license.window_time_zone;
    Some(match license.window {
        QuotaWindow::Day => format!("resets at {} {zone}", local.format("%H:%M")),
        _ => format!(
            "resets on {} at {} {zone}",
            local.format("%Y-%m-%d"),
            local.format("%H:%M")
        ),
    })
}

/// [`quota_text`] with the reset put in the license's zone here, on the server.
#[cfg(feature = "ssr")]
pub fn quota_text_now(license: &LicenseView) -> String {
    quota_text(license, resets_phrase(license).as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use abetworks_types::enums::EffectiveStatus;
    use chrono::{DateTime, Utc};

    fn license(limit: i64, used: i64, top_ups: i64, window: QuotaWindow) -> LicenseView {
        let at: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        LicenseView {
            id: "l".into(),
            user_id: "u".into(),
            user_email: "u@example.com".into(),
            user_name: "U".into(),
            agent_id: "a".into(),
            agent_name: "Echo".into(),
            agent_slug: "echo".into(),
            agent_icon: "*".into(),
            api_call_limit: limit,
            api_calls_used: used,
            remaining: (limit >= 0).then(|| (limit + top_ups - used).max(0)),
            status: EffectiveStatus::Active,
            near_limit: false,
            exhausted: false,
            granted_by: None,
            granted_at: at,
            expires_at: None,
            window,
            window_time_zone: "Europe/Berlin".into(),
            reset_day: 1,
            burst_per_second: None,
            window_start: None,
            // 00:00 on 2 December in Berlin.
            resets_at: (window != QuotaWindow::Lifetime)
                .then(|| "2026-12-01T23:00:00Z".parse().unwrap()),
            top_ups,
        }
    }

    #[test]
    fn a_day_window_says_what_is_left_today_and_when_it_resets() {
        let l = license(50, 13, 0, QuotaWindow::Day);
        assert_eq!(
            quota_text(&l, Some("resets at 00:00 Europe/Berlin")),
            "37 calls left today, resets at 00:00 Europe/Berlin"
        );
        assert_eq!(remaining_text(&l), "37 calls left today");
    }

    #[test]
    fn a_lifetime_limit_counts_its_top_ups_in_the_total() {
        assert_eq!(
            quota_text(&license(50, 13, 0, QuotaWindow::Lifetime), None),
            "37 of 50 calls left"
        );
        assert_eq!(
            quota_text(&license(50, 13, 10, QuotaWindow::Lifetime), None),
            "47 of 60 calls left"
        );
        assert_eq!(
            remaining_text(&license(3, 0, 0, QuotaWindow::Lifetime)),
            "3 calls remaining"
        );
    }

    #[test]
    fn an_unlimited_license_says_unlimited() {
        assert_eq!(
            quota_text(&license(-1, 13, 0, QuotaWindow::Day), None),
            "Unlimited"
        );
        assert_eq!(window_limit(&license(-1, 0, 5, QuotaWindow::Day)), -1);
    }

    #[test]
    fn the_plan_reads_as_limit_per_window_and_zone() {
        assert_eq!(
            plan_text(&license(50, 0, 0, QuotaWindow::Day)),
            "50/day, Europe/Berlin"
        );
        let mut monthly = license(500, 0, 0, QuotaWindow::Month);
        monthly.reset_day = 5;
        monthly.burst_per_second = Some(2);
        assert_eq!(
            plan_text(&monthly),
            "500/month from day 5, Europe/Berlin, at most 2/s"
        );
        assert_eq!(
            plan_text(&license(-1, 0, 0, QuotaWindow::Lifetime)),
            "Unlimited in total"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_reset_is_read_on_a_clock_in_the_license_zone() {
        let l = license(50, 13, 0, QuotaWindow::Day);
        assert_eq!(
            resets_phrase(&l).as_deref(),
            Some("resets at 00:00 Europe/Berlin")
        );
        let mut monthly = license(50, 13, 0, QuotaWindow::Month);
        monthly.resets_at = Some("2026-12-31T23:00:00Z".parse().unwrap());
        assert_eq!(
            resets_phrase(&monthly).as_deref(),
            Some("resets on 2027-01-01 at 00:00 Europe/Berlin")
        );
        assert_eq!(
            resets_phrase(&license(50, 0, 0, QuotaWindow::Lifetime)),
            None
        );
    }
}
