//! Teams through the REST API, as their users make them: the super admin creates a team
//! organisation and subscribes it to an agent, its admin invites, the invitee accepts; and
//! what the teams tests read from the answers.

use abetworks::entities::enums::Role;
use reqwest::{Client, Response};
use serde_json::{json, Value};

use super::{id_of, TestApp};

/// An invitation as its creator gets it: its id and the token of its accept link.
pub struct Invited {
    pub id: String,
    pub token: String,
    pub organization_id: String,
}

/// The admin of a new team, as [`TestApp::team_admin`] makes them.
pub struct TeamAdmin {
    pub client: Client,
    pub id: String,
    pub team_id: String,
}

/// A team subscribed to an agent, as [`team`] makes it: its id, its admin (client, id) and
/// members (client, id).
pub struct Team {
    pub id: String,
    pub admin: (Client, String),
    pub members: Vec<(Client, String)>,
}

/// The team `name` with its admin `name-admin@…` and `members` (local parts), subscribed to
/// `agent_id` with `plan`.
pub async fn team(
    app: &TestApp,
    root: &Client,
    name: &str,
    members: &[&str],
    agent_id: &str,
    plan: Value,
) -> Team {
    let admin = app
        .team_admin(root, name, &format!("{name}-admin@example.com"))
        .await;
    app.subscribe(root, &admin.team_id, agent_id, plan).await;
    let mut joined = Vec::new();
    for member in members {
        let email = format!("{member}@example.com");
        joined.push(app.join(&admin.client, &email, Role::Member).await);
    }
    Team {
        id: admin.team_id,
        admin: (admin.client, admin.id),
        members: joined,
    }
}

/// The `email`s of a list of members.
pub fn emails(members: &Value) -> Vec<&str> {
    let list = members.as_array().expect("a list");
    list.iter().filter_map(|m| m["email"].as_str()).collect()
}

/// The status and `reason` of a conflict's answer.
pub async fn conflict_reason(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON error");
    let reason = body["error"]["reason"].as_str().unwrap_or_default();
    (status, reason.to_owned())
}

impl TestApp {
    /// A new user `email`, signed in, whom the super admin `root` moves in as the admin of
    /// the new team organisation `name`.
    pub async fn team_admin(&self, root: &Client, name: &str, email: &str) -> TeamAdmin {
        let (client, id) = self.signed_in(email, Role::Member).await;
        let team_id = self.create_team(root, name, Some(&id)).await;
        TeamAdmin {
            client,
            id,
            team_id,
        }
    }

    /// The super admin `root` creates the team organisation `name`, moving `admin_user_id` (if
    /// any) in as its admin: its id.
    pub async fn create_team(
        &self,
        root: &Client,
        name: &str,
        admin_user_id: Option<&str>,
    ) -> String {
        let body = json!({"name": name, "adminUserId": admin_user_id});
        let created = self.post(root, "/api/admin/organizations", body).await;
        assert_eq!(created.status(), 201, "the organisation {name} is created");
        id_of(&created.json().await.expect("the organisation"))
    }

    /// The organisation admin `admin` invites `email` as `role`.
    pub async fn invite(&self, admin: &Client, email: &str, role: Role) -> Invited {
        let body = json!({"email": email, "role": role});
        let created = self
            .post(admin, "/api/orgs/current/invitations", body)
            .await;
        let status = created.status();
        let created: Value = created.json().await.expect("a JSON answer");
        assert_eq!(status, 201, "{email} is invited: {created}");
        let url = created["acceptUrl"].as_str().expect("the accept link");
        Invited {
            id: id_of(&created["invitation"]),
            token: url.rsplit('/').next().expect("a token").to_owned(),
            organization_id: created["invitation"]["organizationId"]
                .as_str()
                .expect("the organisation")
                .to_owned(),
        }
    }

    /// `client` accepts the invitation `token` (a bare POST).
    pub async fn accept(&self, client: &Client, token: &str) -> Response {
        let path = format!("/api/invitations/{token}/accept");
        self.send(client.post(self.url(&path))).await
    }

    /// A new user `email` joins the organisation of `admin` as `role`, through an invitation:
    /// their signed-in client and id.
    pub async fn join(&self, admin: &Client, email: &str, role: Role) -> (Client, String) {
        let invited = self.invite(admin, email, role).await;
        let (client, id) = self.signed_in(email, Role::Member).await;
        let accepted = self.accept(&client, &invited.token).await;
        assert_eq!(accepted.status(), 200, "{email} accepts");
        (client, id)
    }

    /// The super admin `root` subscribes `organization_id` to `agent_id` on `plan` (the limit,
    /// window and cap fields of the body): the subscription.
    pub async fn subscribe(
        &self,
        root: &Client,
        organization_id: &str,
        agent_id: &str,
        plan: Value,
    ) -> Value {
        let mut body = json!({"organizationId": organization_id, "agentId": agent_id});
        for (field, value) in plan.as_object().expect("plan fields") {
            body[field] = value.clone();
        }
        let created = self.post(root, "/api/admin/subscriptions", body).await;
        let status = created.status();
        let created: Value = created.json().await.expect("a JSON answer");
        assert_eq!(status, 201, "the subscription is made: {created}");
        created
    }
}
