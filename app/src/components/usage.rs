//! License status badges and the usage bar.

use abetworks_types::enums::EffectiveStatus;
use abetworks_types::views::LicenseView;
use leptos::prelude::*;

use super::badge::{Badge, StatusWords, Tone};

/// The badges of a license: its status, and "near limit" (80 %) or "limit reached".
#[component]
pub fn LicenseBadges(license: LicenseView) -> impl IntoView {
    let quota = if license.exhausted {
        Some(("Limit reached", Tone::Danger, "badge-exhausted"))
    } else if license.near_limit {
        Some(("Near limit", Tone::Warn, "badge-near-limit"))
    } else {
        None
    };
    view! {
        <span class="badges">
            <StatusWords status=license.status test_id="license-status"/>
            {quota.map(|(label, tone, test_id)| view! { <Badge label tone test_id/> })}
        </span>
    }
}

/// "used of limit" as a bar; unlimited licenses show the count only.
#[component]
pub fn UsageBar(
    #[prop(into)] limit: Signal<i64>,
    #[prop(into)] used: Signal<i64>,
    #[prop(into)] label: String,
) -> impl IntoView {
    let percent = move || {
        let (limit, used) = (limit.get(), used.get());
        if limit <= 0 {
            if limit == 0 {
                100.0
            } else {
                0.0
            }
        } else {
            (used as f64 * 100.0 / limit as f64).clamp(0.0, 100.0)
        }
    };
    let level = move || {
        let p = percent();
        if limit.get() < 0 {
            "usage-bar unlimited"
        } else if p >= 100.0 {
            "usage-bar full"
        } else if p >= 80.0 {
            "usage-bar near"
        } else {
            "usage-bar"
        }
    };
    let text = move || {
        let (limit, used) = (limit.get(), used.get());
        if limit < 0 {
            format!(
                "Unlimited · {used} call{} used",
                if used == 1 { "" } else { "s" }
            )
        } else {
            format!("{used} of {limit} calls used")
        }
    };
    view! {
        <div class="usage">
            <div
                class=level
                role="progressbar"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax=move || limit.get().max(0).to_string()
                aria-valuenow=move || used.get().to_string()
                aria-valuetext=text
                hidden=move || limit.get() < 0
            >
                <span class="usage-fill" style=move || format!("width: {:.1}%", percent())></span>
            </div>
            <p class="usage-text" data-testid="usage-text">{text}</p>
        </div>
    }
}

/// The license summary used on My Agents and the run page.
pub fn expiry_text(license: &LicenseView) -> String {
    match &license.expires_at {
        Some(at) if license.status == EffectiveStatus::Expired => {
            format!("Expired on {}", crate::api::format_date(at))
        }
        Some(at) => format!("Expires on {}", crate::api::format_date(at)),
        None => "No expiry".to_owned(),
    }
}
