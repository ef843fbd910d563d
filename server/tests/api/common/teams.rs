//! Teams through the REST API, as their users make them: the super admin creates a team
//! organisation and subscribes it to an agent, its admin invites, the invitee accepts.

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

impl TestApp {
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
