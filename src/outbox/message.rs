//! What a person reads of an event: its title, body and link, the same in the notification
//! centre and in the email (which adds the site's address to the link). Written from the
//! payload alone (see `payloads`), so a message never needs a query.

use serde_json::Value;

use crate::entities::enums::EventType;
use crate::entities::outbox_events;

/// The title, body and site path of one event for its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub body: String,
    /// A path of the site (`/my-agents`), never a full URL.
    pub link: String,
}

/// The message of `event`.
pub fn of_event(event: &outbox_events::Model) -> Message {
    of(event.event_type, &event.payload)
}

/// The text field `key` of `payload`, or `fallback`.
fn text<'a>(payload: &'a Value, key: &str, fallback: &'a str) -> &'a str {
    payload.get(key).and_then(Value::as_str).unwrap_or(fallback)
}

/// The number field `key` of `payload`, or 0.
fn number(payload: &Value, key: &str) -> i64 {
    payload.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// "Change" in words for `license.changed`.
fn change_words(payload: &Value) -> String {
    match text(payload, "change", "changed") {
        "renewed" => "was renewed: its usage starts again at zero".to_owned(),
        "suspended" => "was suspended: calls are refused until it is resumed".to_owned(),
        "resumed" => "was resumed: you can call the agent again".to_owned(),
        "top_up" => format!(
            "got {} more calls for the current period",
            number(payload, "calls")
        ),
        _ => "was changed (limit, expiry or plan)".to_owned(),
    }
}

/// The message of an event of `kind` with `payload`.
pub fn of(kind: EventType, payload: &Value) -> Message {
    let agent = text(payload, "agentName", "an agent");
    let user = text(payload, "userEmail", "a user");
    let (title, body, link) = match kind {
        EventType::AccessRequestCreated => (
            format!("New access request for {agent}"),
            format!(
                "{user} asks for {agent}: {}",
                text(payload, "reason", "(no reason given)")
            ),
            "/admin?tab=requests".to_owned(),
        ),
        EventType::AccessRequestApproved => (
            format!("Access to {agent} approved"),
            format!("Your request for {agent} was approved. You can call it now."),
            "/my-agents".to_owned(),
        ),
        EventType::AccessRequestRejected => (
            format!("Access to {agent} declined"),
            format!(
                "Your request for {agent} was declined: {}",
                text(payload, "reviewNote", "no reason given")
            ),
            "/my-requests".to_owned(),
        ),
        EventType::LicenseGranted => (
            format!("License for {agent} granted"),
            format!("You have been given a license for {agent}."),
            "/my-agents".to_owned(),
        ),
        EventType::LicenseChanged => (
            format!("License for {agent} changed"),
            format!("Your license for {agent} {}.", change_words(payload)),
            "/my-agents".to_owned(),
        ),
        EventType::LicenseRevoked => (
            format!("License for {agent} revoked"),
            format!("Your license for {agent} was revoked; calls to it are refused."),
            "/my-agents".to_owned(),
        ),
        EventType::UsageThreshold => {
            let threshold = number(payload, "threshold");
            let (used, limit) = (number(payload, "used"), number(payload, "limit"));
            let body = match threshold >= 100 {
                true => format!(
                    "You have used all {limit} calls of {agent} for this period; further calls are refused until it resets or you get more."
                ),
                false => format!(
                    "You have used {used} of {limit} calls of {agent} for this period ({threshold} %)."
                ),
            };
            (
                format!("{agent}: {threshold} % of your limit used"),
                body,
                "/my-agents".to_owned(),
            )
        }
        EventType::LicenseExpiring => (
            format!("License for {agent} expires soon"),
            format!(
                "Your license for {agent} expires on {}. Ask for access again to keep using it.",
                payload
                    .get("expiresAt")
                    .and_then(Value::as_str)
                    .and_then(|at| at.get(..10))
                    .unwrap_or("a date within 7 days")
            ),
            "/my-agents".to_owned(),
        ),
        EventType::AgentPublished => (
            format!("New agent: {agent}"),
            format!("{agent} is now in the marketplace."),
            "/marketplace".to_owned(),
        ),
        EventType::ErrorLogged => (
            format!(
                "{} error: {}",
                capitalised(text(payload, "severity", "high")),
                text(payload, "code", "ERROR")
            ),
            text(payload, "message", "").to_owned(),
            "/admin?tab=errors".to_owned(),
        ),
        EventType::RunFinished => {
            let status = text(payload, "status", "finished");
            (
                format!("Run of {agent} {status}"),
                format!("Your background run of {agent} has {status}."),
                format!("/runs/{}", text(payload, "runId", "")),
            )
        }
    };
    Message { title, body, link }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_links_to_the_page_it_is_about() {
        let payload = json!({ "agentName": "Summarizer", "runId": "r1", "threshold": 90, "used": 9, "limit": 10 });
        let link = |kind| of(kind, &payload).link;
        assert_eq!(link(EventType::AccessRequestApproved), "/my-agents");
        assert_eq!(link(EventType::AccessRequestRejected), "/my-requests");
        assert_eq!(link(EventType::AccessRequestCreated), "/admin?tab=requests");
        assert_eq!(link(EventType::ErrorLogged), "/admin?tab=errors");
        assert_eq!(link(EventType::AgentPublished), "/marketplace");
        assert_eq!(link(EventType::RunFinished), "/runs/r1");
        assert_eq!(link(EventType::UsageThreshold), "/my-agents");
        assert!(of(EventType::UsageThreshold, &payload)
            .body
            .contains("9 of 10"));
    }

    #[test]
    fn a_rejection_carries_the_reviewers_note() {
        let message = of(
            EventType::AccessRequestRejected,
            &json!({ "agentName": "Summarizer", "reviewNote": "Use the team license" }),
        );
        assert!(message.body.contains("Use the team license"));
    }
}
