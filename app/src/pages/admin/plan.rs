//! The quota plan editor the grant, edit and approve dialogs share: the window (lifetime, day,
//! month), its time zone, the monthly reset day and an optional burst rate. The server checks
//! the values; its messages show under the fields they are about.

use abetworks_types::enums::QuotaWindow;
use abetworks_types::inputs::QuotaPlan;
use abetworks_types::views::LicenseView;
use abetworks_types::Vocabulary;
use leptos::prelude::*;

use crate::components::feedback::{hinted, FormFailure, HintedField};

/// The zones offered while typing; any IANA name is accepted.
const COMMON_ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Zurich",
    "Europe/Vienna",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Istanbul",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Africa/Cairo",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
];

/// What the plan's fields hold, as typed.
#[derive(Clone, Copy)]
pub struct PlanInput {
    pub window: RwSignal<QuotaWindow>,
    pub zone: RwSignal<String>,
    pub reset_day: RwSignal<String>,
    /// Blank: the server's default rate.
    pub burst: RwSignal<String>,
}

impl PlanInput {
    /// The default plan: a lifetime limit, UTC, day 1, no burst rate of its own.
    pub fn new() -> Self {
        let input = Self {
            window: RwSignal::new(QuotaWindow::Lifetime),
            zone: RwSignal::new(String::new()),
            reset_day: RwSignal::new(String::new()),
            burst: RwSignal::new(String::new()),
        };
        input.set(&QuotaPlan::default());
        input
    }

    /// Shows `plan`.
    pub fn set(self, plan: &QuotaPlan) {
        self.window.set(plan.window);
        self.zone.set(plan.window_time_zone.clone());
        self.reset_day.set(plan.reset_day.to_string());
        self.burst.set(
            plan.burst_per_second
                .map(|b| b.to_string())
                .unwrap_or_default(),
        );
    }

    /// Back to the default plan.
    pub fn clear(self) {
        self.set(&QuotaPlan::default());
    }

    /// Shows the plan of `license`.
    pub fn fill(self, license: &LicenseView) {
        self.set(&plan_of(license));
    }

    /// The plan to send with a new license: `None` for the default plan, which the server
    /// applies when none is sent (the form then carries nothing it need not).
    pub fn read_new(self) -> Result<Option<QuotaPlan>, String> {
        let plan = self.read()?;
        Ok((plan != QuotaPlan::default()).then_some(plan))
    }

    /// The plan typed in, or what is wrong with it (the zone and the ranges are the server's
    /// to check; here only what is not a number at all).
    pub fn read(self) -> Result<QuotaPlan, String> {
        read_plan(
            self.window.get_untracked(),
            &self.zone.get_untracked(),
            &self.reset_day.get_untracked(),
            &self.burst.get_untracked(),
        )
    }
}

impl Default for PlanInput {
    fn default() -> Self {
        Self::new()
    }
}

/// The plan a license has now.
pub fn plan_of(license: &LicenseView) -> QuotaPlan {
    QuotaPlan {
        window: license.window,
        window_time_zone: license.window_time_zone.clone(),
        reset_day: license.reset_day,
        burst_per_second: license.burst_per_second,
    }
}

/// The plan the fields describe. The reset day only matters for a month and is not read
/// otherwise (hidden, it keeps what it held); a blank zone is UTC.
pub fn read_plan(
    window: QuotaWindow,
    zone: &str,
    reset_day: &str,
    burst: &str,
) -> Result<QuotaPlan, String> {
    let zone = match zone.trim() {
        "" => "UTC".to_owned(),
        zone => zone.to_owned(),
    };
    let reset_day = match (window, reset_day.trim().parse::<i32>()) {
        (QuotaWindow::Month, Ok(day)) => day,
        (QuotaWindow::Month, Err(_)) => {
            return Err("Enter the reset day as a number from 1 to 28.".to_owned())
        }
        (_, day) => day.ok().filter(|d| (1..=28).contains(d)).unwrap_or(1),
    };
    let burst_per_second = match burst.trim() {
        "" => None,
        text => Some(text.parse::<i32>().map_err(|_| {
            "Enter the burst limit as a whole number of calls per second, or leave it blank."
                .to_owned()
        })?),
    };
    Ok(QuotaPlan {
        window,
        window_time_zone: zone,
        reset_day,
        burst_per_second,
    })
}

/// How a window reads in the select.
pub fn window_label(window: QuotaWindow) -> &'static str {
    match window {
        QuotaWindow::Lifetime => "Lifetime (never resets)",
        QuotaWindow::Day => "Per day",
        QuotaWindow::Month => "Per month",
    }
}

/// The plan's fields in a group. `id` prefixes the fields' ids and test ids
/// (`{id}-window`, `{id}-zone`, `{id}-reset-day`, `{id}-burst`); `failure` is the dialog
/// action's last failure, whose field messages show under the fields.
#[component]
pub fn PlanFields(
    #[prop(into)] id: String,
    input: PlanInput,
    failure: FormFailure,
    /// No burst rate field (a subscription's pool has none).
    #[prop(optional)]
    without_burst: bool,
) -> impl IntoView {
    let PlanInput {
        window,
        zone,
        reset_day,
        burst,
    } = input;
    let ids = |suffix: &str| format!("{id}-{suffix}");
    let (window_id, zone_id, zones_id, day_id, burst_id) = (
        ids("window"),
        ids("zone"),
        ids("zones"),
        ids("reset-day"),
        ids("burst"),
    );
    let window_error = failure.field("window");
    let zone_error = failure.field("windowTimeZone");
    let day_error = failure.field("resetDay");
    let burst_error = failure.field("burstPerSecond");
    let not_monthly = move || window.get() != QuotaWindow::Month;
    view! {
        <fieldset class="field-group plan-fields" data-testid=id.clone()>
            <legend>"Quota window"</legend>
            <HintedField id=window_id.clone() label="Window" message=window_error
                hint="The call limit applies to each window; a new window starts at zero.">
                <select id=window_id.clone() data-testid=window_id.clone()
                    {..hinted(window_error, &window_id)}
                    on:change=move |ev| {
                        if let Ok(w) = event_target_value(&ev).parse::<QuotaWindow>() {
                            window.set(w);
                        }
                    }>
                    {QuotaWindow::all().iter().map(|w| {
                        let w = *w;
                        view! {
                            <option value=w.as_str() selected=move || window.get() == w>{window_label(w)}</option>
                        }
                    }).collect_view()}
                </select>
            </HintedField>
            <HintedField id=zone_id.clone() label="Time zone" message=zone_error
                hint="An IANA name such as Europe/Berlin: days and months start at midnight there.">
                <input id=zone_id.clone() data-testid=zone_id.clone() type="text" list=zones_id.clone()
                    autocomplete="off" spellcheck="false" maxlength="64"
                    {..hinted(zone_error, &zone_id)} bind:value=zone/>
                <datalist id=zones_id>
                    {COMMON_ZONES.iter().map(|z| view! { <option value=*z></option> }).collect_view()}
                </datalist>
            </HintedField>
            <HintedField id=day_id.clone() label="Reset day" message=day_error hidden=Signal::derive(not_monthly)
                hint="The day of the month (1–28) each monthly window starts on.">
                <input id=day_id.clone() data-testid=day_id.clone() type="number" min="1" max="28" step="1"
                    inputmode="numeric" {..hinted(day_error, &day_id)} bind:value=reset_day/>
            </HintedField>
            <HintedField id=burst_id.clone() label="Burst limit (calls per second, optional)" message=burst_error
                hint="Blank: the server's default rate." hidden=Signal::derive(move || without_burst)>
                <input id=burst_id.clone() data-testid=burst_id.clone() type="number" min="1" step="1"
                    inputmode="numeric" {..hinted(burst_error, &burst_id)} bind:value=burst/>
            </HintedField>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_monthly_plan_reads_its_reset_day_and_burst_rate() {
        let plan = read_plan(QuotaWindow::Month, " Europe/Berlin ", "5", "3").unwrap();
        assert_eq!(plan.window, QuotaWindow::Month);
        assert_eq!(plan.window_time_zone, "Europe/Berlin");
        assert_eq!(plan.reset_day, 5);
        assert_eq!(plan.burst_per_second, Some(3));
    }

    #[test]
    fn the_hidden_reset_day_of_a_daily_plan_is_not_held_against_it() {
        let plan = read_plan(QuotaWindow::Day, "", "abc", "").unwrap();
        assert_eq!(plan.window_time_zone, "UTC");
        assert_eq!(plan.reset_day, 1);
        assert_eq!(plan.burst_per_second, None);
    }

    #[test]
    fn words_where_numbers_belong_are_refused_before_sending() {
        assert!(read_plan(QuotaWindow::Month, "UTC", "", "").is_err());
        assert!(read_plan(QuotaWindow::Day, "UTC", "1", "fast").is_err());
    }
}
