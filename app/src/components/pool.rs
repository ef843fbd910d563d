//! An organisation's shared pool of calls to an agent, as My Agents, the team page, the run
//! page and the admin tab show it: the plan in words, what is left, and a member's own cap.

use abetworks_types::enums::QuotaWindow;
use abetworks_types::teams::{OrgAgentView, SubscriptionView};
use leptos::prelude::*;

use super::badge::StatusWords;
use super::usage::UsageBar;
use crate::api::{format_date, format_time};

/// "20 in total", "50/day, Europe/Berlin", "500/month from day 5, UTC"; "Unlimited" for no
/// limit.
pub fn pool_plan_text(pool: &SubscriptionView) -> String {
    let limit = if pool.api_call_limit < 0 {
        "Unlimited".to_owned()
    } else {
        pool.api_call_limit.to_string()
    };
    match pool.window {
        QuotaWindow::Lifetime => format!("{limit} in total"),
        QuotaWindow::Day => format!("{limit}/day, {}", pool.window_time_zone),
        QuotaWindow::Month if pool.reset_day > 1 => format!(
            "{limit}/month from day {}, {}",
            pool.reset_day, pool.window_time_zone
        ),
        QuotaWindow::Month => format!("{limit}/month, {}", pool.window_time_zone),
    }
}

/// What is left in the pool's window: "12 of 20 calls left in the pool", "12 calls left in
/// the pool today, resets 2026-12-02 00:00 UTC", "Unlimited pool".
pub fn pool_left_text(pool: &SubscriptionView) -> String {
    let usage = &pool.usage;
    let Some(left) = usage.remaining else {
        return "Unlimited pool".to_owned();
    };
    let calls = |n: i64| if n == 1 { "call" } else { "calls" };
    match usage.window {
        QuotaWindow::Lifetime => {
            format!(
                "{left} of {} {} left in the pool",
                usage.limit,
                calls(usage.limit)
            )
        }
        window => {
            let text = format!(
                "{left} {} left in the pool {}",
                calls(left),
                window.period_word()
            );
            match &usage.resets_at {
                Some(at) => format!("{text}, resets {}", format_time(at)),
                None => text,
            }
        }
    }
}

/// The member's own standing against the cap: "Your cap: 3 of 5 calls used", or `None` with
/// no cap.
pub fn member_cap_text(agent: &OrgAgentView) -> Option<String> {
    let cap = agent.subscription.member_cap?;
    Some(format!(
        "Your cap: {} of {cap} call{} used{}",
        agent.member_used,
        if cap == 1 { "" } else { "s" },
        match agent.member_remaining {
            Some(0) => " — you have used all of yours",
            _ => "",
        }
    ))
}

/// The pool's status, usage bar, what is left, the member's cap and the expiry.
#[component]
pub fn PoolStanding(agent: OrgAgentView) -> impl IntoView {
    let pool = agent.subscription.clone();
    let label = format!("Pool usage of {}", pool.agent_name);
    let expiry = match &pool.expires_at {
        Some(at) => format!("Expires on {}", format_date(at)),
        None => "No expiry".to_owned(),
    };
    view! {
        <div class="pool-standing" data-testid="pool-standing">
            <span class="badges"><StatusWords status=pool.status test_id="pool-status"/></span>
            <UsageBar limit=pool.usage.limit used=pool.usage.used label/>
            <p class="quota-text" data-testid="pool-text">{pool_left_text(&pool)}</p>
            {member_cap_text(&agent).map(|text| view! { <p class="small" data-testid="member-cap">{text}</p> })}
            <p class="muted small">{expiry}</p>
        </div>
    }
}
