//! A license's history in a dialog: what happened to it, newest first (who, when, what
//! changed), and the calls added to it.

use abetworks_types::views::{LicenseEventView, LicenseView, TopUpView};
use leptos::prelude::*;
use serde_json::Value;

use super::common::{admin_resource, ClientOnly};
use super::dialogs::DialogTarget;
use crate::api::admin::licenses::{admin_license_history, admin_license_top_ups};
use crate::api::format_date;
use crate::components::badge::words;
use crate::components::dialog::Dialog;
use crate::components::feedback::Loaded;
use crate::components::table::{DataTable, Moment};
use crate::error::AppError;

/// What the dialog shows: the events and the top-ups, once it is open on a license.
type History = Option<(Vec<LicenseEventView>, Vec<TopUpView>)>;

/// The history of the target license. Loads each time it opens (and again after `version`
/// changes while open, e.g. after a top-up).
#[component]
pub fn LicenseHistoryDialog(
    target: DialogTarget<LicenseView>,
    #[prop(into)] version: Signal<usize>,
) -> impl IntoView {
    let DialogTarget { subject, open } = target;
    let history = admin_resource(
        move || {
            let id = subject.with(|s| s.as_ref().map(|l| l.id.clone()));
            (open.get().then_some(id).flatten(), version.get())
        },
        |(id, _)| async move { load(id).await },
    );
    let about = target.says(|l| format!("{} — {}", l.user_email, l.agent_name));
    view! {
        <ClientOnly>
        <Dialog open title="License history" id="license-history-dialog" test_id="license-history-dialog">
            <p>{about}</p>
            <Loaded resource=history loading="Loading the history…" ready=|found: History| {
                found.map(|(events, top_ups)| view! {
                    <h3>"Events, newest first"</h3>
                    {or_none(events, "history-events-empty", "Nothing recorded yet.", |events| view! { <EventList events/> })}
                    <h3>"Top-ups"</h3>
                    {or_none(top_ups, "top-ups-empty", "No calls added yet.", |top_ups| view! { <TopUpTable top_ups/> })}
                })
            }/>
            <div class="dialog-actions">
                <button type="button" class="button button-secondary" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Dialog>
        </ClientOnly>
    }
}

async fn load(id: Option<String>) -> Result<History, AppError> {
    let Some(id) = id else { return Ok(None) };
    let events = admin_license_history(id.clone()).await?;
    let top_ups = admin_license_top_ups(id).await?;
    Ok(Some((events, top_ups)))
}

/// `list` as `show` draws it, or, when there is nothing in it, a line that says so
/// (`none`, test id `test_id`).
fn or_none<T, V: IntoView + 'static>(
    list: Vec<T>,
    test_id: &'static str,
    none: &'static str,
    show: impl FnOnce(Vec<T>) -> V,
) -> AnyView {
    if list.is_empty() {
        view! { <p class="muted" data-testid=test_id>{none}</p> }.into_any()
    } else {
        show(list).into_any()
    }
}

#[component]
fn EventList(events: Vec<LicenseEventView>) -> impl IntoView {
    view! {
        <ol class="history-list" data-testid="history-events">
            {events.into_iter().map(|event| {
                let who = event.actor_email.clone().unwrap_or_else(|| "the system".to_owned());
                view! {
                    <li data-testid="history-event" data-kind=event.kind.as_str()>
                        <strong>{words(event.kind)}</strong>
                        <span class="muted small">" by "{who}" · "<Moment at=event.created_at/></span>
                        <p class="small wrap" data-testid="history-detail">{detail_summary(&event.detail)}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[component]
fn TopUpTable(top_ups: Vec<TopUpView>) -> impl IntoView {
    view! {
        <DataTable class="data-table" test_id="top-ups-table" caption="Calls added to this license, newest first"
            columns=&["Added", "Calls", "Note", "Expires", "Window from"]>
            <tbody>
                {top_ups.into_iter().map(|t| view! {
                    <tr data-testid="top-up-row">
                        <td><Moment at=t.created_at/></td>
                        <td>{format!("+{}", t.calls)}</td>
                        <td class="wrap">{t.note.clone()}</td>
                        <td>{t.expires_at.as_ref().map(format_date).unwrap_or_else(|| "With the window".to_owned())}</td>
                        <td>{t.window_start.map(|at| view! { <Moment at/> }.into_any()).unwrap_or_else(|| "Lifetime".into_any())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </DataTable>
    }
}

/// An event's detail in one line: "Limit: 50 → 100; Window: lifetime → day" for a change
/// (`{before, after}`), "Calls: 20; Note: launch week" otherwise.
pub fn detail_summary(detail: &Value) -> String {
    let Value::Object(map) = detail else {
        return match detail {
            Value::Null => "—".to_owned(),
            other => value_text("", Some(other)),
        };
    };
    let mut parts = Vec::new();
    let field = |key: &String, value: &Value| {
        format!("{}: {}", key_label(key), value_text(key, Some(value)))
    };
    match (map.get("before"), map.get("after")) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            let mut keys: Vec<&String> = before.keys().collect();
            keys.extend(after.keys().filter(|k| !before.contains_key(*k)));
            for key in keys {
                let (was, is) = (before.get(key), after.get(key));
                if was != is {
                    parts.push(format!(
                        "{}: {} → {}",
                        key_label(key),
                        value_text(key, was),
                        value_text(key, is)
                    ));
                }
            }
        }
        // A grant: only what the license started with.
        (None, Some(Value::Object(after))) => {
            parts.extend(after.iter().map(|(key, value)| field(key, value)));
        }
        _ => {}
    }
    // Ids mean nothing to a reader; the rest (a top-up's calls and note, …) is listed.
    for (key, value) in map {
        if key != "before" && key != "after" && !is_id(key) {
            parts.push(field(key, value));
        }
    }
    if parts.is_empty() {
        "—".to_owned()
    } else {
        parts.join("; ")
    }
}

/// `id`, `topUpId`, `top_up_id`.
fn is_id(key: &str) -> bool {
    key == "id" || key.ends_with("Id") || key.ends_with("_id")
}

/// A detail key in words; camelCase and snake_case alike.
fn key_label(key: &str) -> String {
    let flat: String = key
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    let known = match flat.as_str() {
        "apicalllimit" | "limit" => Some("Limit"),
        "apicallsused" | "used" => Some("Used"),
        "expiresat" => Some("Expires"),
        "windowtimezone" => Some("Time zone"),
        "resetday" => Some("Reset day"),
        "burstpersecond" => Some("Burst per second"),
        "topupcalls" | "topups" => Some("Top-ups"),
        "windowstart" => Some("Window from"),
        "resetusage" => Some("Started again at zero"),
        _ => None,
    };
    if let Some(known) = known {
        return known.to_owned();
    }
    let mut words = String::new();
    for c in key.chars() {
        if c == '_' {
            words.push(' ');
        } else if c.is_uppercase() {
            words.push(' ');
            words.extend(c.to_lowercase());
        } else {
            words.push(c);
        }
    }
    let words = words.trim().to_owned();
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// A detail value as text; a limit of -1 is "unlimited", nothing is "none".
fn value_text(key: &str, value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "none".to_owned(),
        Some(Value::Number(n)) if n.as_i64() == Some(-1) && key_label(key) == "Limit" => {
            "unlimited".to_owned()
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_change_lists_only_what_changed() {
        let detail = json!({
            "before": {"apiCallLimit": 50, "window": "lifetime", "status": "active"},
            "after": {"apiCallLimit": -1, "window": "day", "status": "active"}
        });
        assert_eq!(
            detail_summary(&detail),
            "Limit: 50 → unlimited; Window: lifetime → day"
        );
    }

    #[test]
    fn a_top_up_lists_its_fields() {
        let detail = json!({"calls": 20, "note": "launch week", "expires_at": null});
        assert_eq!(
            detail_summary(&detail),
            "Calls: 20; Expires: none; Note: launch week"
        );
    }

    #[test]
    fn a_grant_lists_what_the_license_started_with() {
        let detail = json!({"after": {"apiCallLimit": 50, "window": "day"}});
        assert_eq!(detail_summary(&detail), "Limit: 50; Window: day");
    }

    #[test]
    fn ids_are_left_out() {
        let detail = json!({"calls": 5, "topUpId": "t-1"});
        assert_eq!(detail_summary(&detail), "Calls: 5");
    }

    #[test]
    fn an_empty_detail_reads_as_a_dash() {
        assert_eq!(detail_summary(&json!({})), "—");
        assert_eq!(detail_summary(&Value::Null), "—");
    }
}
