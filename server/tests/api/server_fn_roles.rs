//! Every server function the customer and admin UIs call (POST `/api/<endpoint>`, form
//! fields, session cookie only), called with valid arguments by an anonymous visitor, a
//! member, an organisation admin and a super admin: the refused get 401/403 with their code,
//! the allowed a success. A registered server function without a row fails the test.

use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use axum::http::Method;
use server::routes::Access;

use crate::common::PASSWORD;
use crate::roles::{assert_covered, assert_no_call_went_wrong, checked_world, split_problem};
use crate::world::{Body, Credential, Made, Need, Who};

type Args = Vec<(&'static str, String)>;

/// How to call one server function validly.
struct Row {
    endpoint: &'static str,
    access: Access,
    need: Need,
    args: fn(&Made) -> Args,
    /// Signs in, out or up: a signed-in caller gets a session of its own for the call.
    anew: bool,
}

fn row(endpoint: &'static str, access: Access, need: Need, args: fn(&Made) -> Args) -> Row {
    Row {
        endpoint,
        access,
        need,
        args,
        anew: false,
    }
}

fn none(_: &Made) -> Args {
    Vec::new()
}

fn the_id(made: &Made) -> Args {
    vec![("id", made.id.clone())]
}

fn the_token(made: &Made) -> Args {
    vec![("token", made.id.clone())]
}

fn the_agent(made: &Made) -> Args {
    vec![("agent_id", made.id.clone())]
}

impl Row {
    fn anew(mut self) -> Self {
        self.anew = true;
        self
    }
}

fn table() -> Vec<Row> {
    use Access::*;
    use Need::*;
    vec![
        row("ui/auth/me", Anyone, Nothing, none),
        row("ui/auth/login", Anyone, Nothing, |m| {
            vec![
                ("email", m.member_email.clone()),
                ("password", PASSWORD.into()),
            ]
        })
        .anew(),
        row("ui/auth/register", Anyone, Nothing, |m| {
            vec![
                ("name", "New Member".into()),
                ("email", format!("{}@example.com", m.unique)),
                ("password", PASSWORD.into()),
            ]
        })
        .anew(),
        row("ui/auth/logout", Anyone, Nothing, none).anew(),
        row("ui/marketplace/agents", Anyone, Nothing, none),
        row("ui/marketplace/categories", Anyone, Nothing, none),
        row("ui/marketplace/request-access", SignedIn, FreshAgent, |m| {
            vec![
                ("agent_id", m.id.clone()),
                ("reason", "for the matrix".into()),
            ]
        }),
        row("ui/marketplace/my-requests", SignedIn, Nothing, none),
        row("ui/marketplace/my-agents", SignedIn, Nothing, none),
        row("ui/agents/run-page", SignedIn, Echo, the_agent),
        row("ui/agents/run", SignedIn, Echo, |m| {
            vec![
                ("agent_id", m.id.clone()),
                ("input_json", r#"{"text":"hi"}"#.into()),
            ]
        }),
        row("ui/agents/executions", SignedIn, Echo, the_agent),
        row("ui/runs/start", SignedIn, Echo, |m| {
            vec![
                ("agent_id", m.id.clone()),
                ("input_json", r#"{"text":"hi"}"#.into()),
            ]
        }),
        row("ui/runs/get", SignedIn, OwnRun, the_id),
        row("ui/runs/cancel", SignedIn, OwnRun, the_id),
        row("ui/runs/mine", SignedIn, Nothing, none),
        row("ui/notifications/list", SignedIn, Nothing, |_| {
            vec![("unread", "true".into()), ("page", "1".into())]
        }),
        row("ui/notifications/unread", SignedIn, Nothing, none),
        row("ui/notifications/read", SignedIn, OwnNotification, the_id),
        row("ui/notifications/read-all", SignedIn, Nothing, none),
        row("ui/account/notification-settings", SignedIn, Nothing, none),
        row(
            "ui/account/notification-settings/update",
            SignedIn,
            Nothing,
            |_| {
                vec![
                    ("change[kinds][0][kind]", "usage.threshold".into()),
                    ("change[kinds][0][email]", "false".into()),
                ]
            },
        ),
        row("ui/keys/list", SignedIn, Nothing, none),
        row("ui/keys/agents", SignedIn, Nothing, none),
        row("ui/keys/create", SignedIn, Nothing, |_| {
            vec![("name", "made by the matrix".into())]
        }),
        row("ui/keys/revoke", SignedIn, OwnKey, the_id),
        // A visitor asks too (the header, on every page): nobody signed in reads as none.
        row("ui/team/current", Anyone, Nothing, none),
        row("ui/team/members", SignedIn, Nothing, none),
        row("ui/team/agents", SignedIn, Nothing, none),
        row("ui/team/leave", SignedIn, Moves, none),
        row("ui/team/invite", Admin, Nothing, |m| {
            vec![
                ("email", format!("{}@example.com", m.unique)),
                ("role", "member".into()),
            ]
        }),
        row("ui/team/invitations", Admin, Nothing, none),
        row("ui/team/invitations/revoke", Admin, TeamInvitation, the_id),
        row("ui/team/members/remove", Admin, TeamMember, |m| {
            vec![("user_id", m.id.clone())]
        }),
        row("ui/team/members/role", Admin, TeamMember, |m| {
            vec![("user_id", m.id.clone()), ("role", "admin".into())]
        }),
        row("ui/team/usage", Admin, Nothing, none),
        row("ui/team/executions", Admin, Nothing, none),
        row("ui/team/licenses", Admin, Nothing, none),
        row(
            "ui/invitations/preview",
            Anyone,
            InvitationToMove,
            the_token,
        ),
        row(
            "ui/invitations/accept",
            SignedIn,
            InvitationToMove,
            the_token,
        ),
        row("admin-ui/agents", SuperAdmin, Nothing, none),
        row("admin-ui/agents/publish", SuperAdmin, FreshAgent, |m| {
            vec![("id", m.id.clone()), ("published", "true".into())]
        }),
        row("admin-ui/agents/update", SuperAdmin, FreshAgent, |m| {
            vec![
                ("id", m.id.clone()),
                ("price_cents", "500".into()),
                ("category", "Testing".into()),
                ("short_description", "changed by the matrix".into()),
                ("long_description", "changed by the matrix".into()),
            ]
        }),
        row("admin-ui/agents/sync", SuperAdmin, Nothing, none),
        row("admin-ui/errors", SuperAdmin, Nothing, none),
        row("admin-ui/errors/stats", SuperAdmin, Nothing, none),
        row("admin-ui/errors/resolve", SuperAdmin, ErrorLog, |m| {
            vec![("id", m.id.clone()), ("note", "fixed".into())]
        }),
        row("admin-ui/executions", SuperAdmin, Nothing, none),
        row("admin-ui/requests", SuperAdmin, Nothing, none),
        row(
            "admin-ui/requests/approve",
            SuperAdmin,
            PendingRequest,
            |m| vec![("id", m.id.clone()), ("api_call_limit", "10".into())],
        ),
        row(
            "admin-ui/requests/reject",
            SuperAdmin,
            PendingRequest,
            |m| {
                vec![
                    ("id", m.id.clone()),
                    ("review_note", "not this month".into()),
                ]
            },
        ),
        row("admin-ui/usage", SuperAdmin, Nothing, none),
        // Organisation admins read their organisation's users; changing them is not theirs.
        row("admin-ui/users", Admin, Nothing, none),
        row("admin-ui/users/change", SuperAdmin, FreshUser, |m| {
            vec![("id", m.id.clone()), ("role", "admin".into())]
        }),
        row("admin-ui/licenses", SuperAdmin, Nothing, none),
        row("admin-ui/pick-users", SuperAdmin, Nothing, |_| {
            vec![("query", "example".into())]
        }),
        row("admin-ui/pick-agents", SuperAdmin, Nothing, |_| {
            vec![("query", "echo".into())]
        }),
        row("admin-ui/licenses/grant", SuperAdmin, FreshAgent, |m| {
            vec![
                ("user_id", m.member_id.clone()),
                ("agent_id", m.id.clone()),
                ("api_call_limit", "10".into()),
                ("plan[window]", "day".into()),
                ("plan[windowTimeZone]", "Europe/Berlin".into()),
            ]
        }),
        row("admin-ui/licenses/update", SuperAdmin, License, |m| {
            vec![("id", m.id.clone()), ("api_call_limit", "20".into())]
        }),
        row("admin-ui/licenses/revoke", SuperAdmin, License, the_id),
        row("admin-ui/licenses/top-up", SuperAdmin, License, |m| {
            vec![
                ("id", m.id.clone()),
                ("calls", "5".into()),
                ("note", "added by the matrix".into()),
            ]
        }),
        row("admin-ui/licenses/history", SuperAdmin, License, the_id),
        row("admin-ui/licenses/top-ups", SuperAdmin, License, the_id),
        row("admin-ui/organizations", SuperAdmin, Nothing, none),
        row("admin-ui/organizations/create", SuperAdmin, Nothing, |m| {
            vec![("name", format!("Organisation {}", m.unique))]
        }),
        row(
            "admin-ui/organizations/rename",
            SuperAdmin,
            Organization,
            |m| {
                vec![
                    ("id", m.id.clone()),
                    ("name", format!("Renamed {}", m.unique)),
                ]
            },
        ),
        row(
            "admin-ui/organizations/members",
            SuperAdmin,
            Organization,
            the_id,
        ),
        row("admin-ui/subscriptions", SuperAdmin, Nothing, none),
        row(
            "admin-ui/subscriptions/create",
            SuperAdmin,
            FreshAgent,
            |m| {
                vec![
                    ("organization_id", m.team_id.clone()),
                    ("agent_id", m.id.clone()),
                    ("api_call_limit", "10".into()),
                    ("member_cap", "5".into()),
                ]
            },
        ),
        row(
            "admin-ui/subscriptions/update",
            SuperAdmin,
            Subscription,
            |m| {
                vec![
                    ("id", m.id.clone()),
                    ("api_call_limit", "20".into()),
                    ("plan[window]", "day".into()),
                    ("plan[windowTimeZone]", "Europe/Berlin".into()),
                ]
            },
        ),
        row(
            "admin-ui/subscriptions/delete",
            SuperAdmin,
            Subscription,
            the_id,
        ),
        row("admin-ui/webhooks", SuperAdmin, Nothing, none),
        row("admin-ui/webhooks/create", SuperAdmin, Nothing, |_| {
            vec![
                ("url", "https://203.0.113.10/hook".into()),
                ("events[0]", "license.expiring".into()),
                ("description", "made by the matrix".into()),
            ]
        }),
        row("admin-ui/webhooks/update", SuperAdmin, Webhook, |m| {
            vec![("id", m.id.clone()), ("status", "disabled".into())]
        }),
        row("admin-ui/webhooks/delete", SuperAdmin, Webhook, the_id),
        row("admin-ui/webhooks/deliveries", SuperAdmin, Webhook, the_id),
        row(
            "admin-ui/webhooks/redeliver",
            SuperAdmin,
            WebhookDelivery,
            |m| {
                let (endpoint, delivery) = m.id.split_once(',').unwrap_or_default();
                vec![("id", endpoint.into()), ("delivery_id", delivery.into())]
            },
        ),
    ]
}

/// Registered server functions without a row, and rows naming none.
fn coverage_problems() -> Vec<String> {
    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let table = table();
    let mut problems: Vec<String> = registered
        .iter()
        .filter(|path| {
            !table
                .iter()
                .any(|r| format!("/api/{}", r.endpoint) == **path)
        })
        .map(|path| format!("the server function {path} has no row in the role table"))
        .collect();
    problems.extend(
        table
            .iter()
            .filter(|r| !registered.contains(&format!("/api/{}", r.endpoint)))
            .map(|r| format!("{} has a row but no server function", r.endpoint)),
    );
    problems
}

#[test]
fn every_server_function_has_a_row_in_the_role_table_and_every_row_a_function() {
    assert_covered(coverage_problems());
}

async fn every_server_function_refuses_the_roles_it_must_and_serves_a_valid_call_of_the_others(
    database: TestDatabase,
) {
    let world = checked_world(coverage_problems(), database).await;
    let mut wrong = Vec::new();
    for row in table() {
        for who in [Who::Anonymous, Who::Member, Who::OrgAdmin, Who::SuperAdmin] {
            let made = world.make(row.need, who).await;
            let (client, _) = world.client(who, Credential::Session, row.anew).await;
            let path = format!("/api/{}", row.endpoint);
            let body = Some(Body::Form((row.args)(&made)));
            let answer = world.send(&client, None, Method::POST, &path, body).await;
            // A server function's error is the error body itself, not wrapped in `error`.
            let code = answer
                .json()
                .and_then(|b| b["code"].as_str().map(str::to_owned));
            if let Some(problem) =
                split_problem(who.may_call(row.access), who, &answer, code.as_deref())
            {
                wrong.push(format!("{who:?} {path}: {problem}"));
            }
        }
    }
    assert_no_call_went_wrong(&wrong);
}
on_every_database!(
    every_server_function_refuses_the_roles_it_must_and_serves_a_valid_call_of_the_others
);
