//! The world the role matrices call into: the app in front of the stand-in agent service, one
//! user of each role signed in (a session cookie) and holding an API key, each licensed for
//! the `echo` agent, and the fresh rows a valid call of a route needs (made through the app's
//! own routes where one exists, so they are what a real caller would meet).

use abetworks::entities::enums::Role;
use abetworks::error_logs::{log_error, ErrorKind, NewErrorLog};
use abetworks::testing::TestDatabase;
use axum::http::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{json, Value};

use crate::common::{script_client, spawn_app_with_agents, TestApp, PASSWORD};

mod teams;
pub use teams::Teams;

/// Who calls: nobody signed in, or a user of one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Anonymous,
    Member,
    OrgAdmin,
    SuperAdmin,
}

impl Who {
    pub const SIGNED_IN: [Who; 3] = [Who::Member, Who::OrgAdmin, Who::SuperAdmin];

    fn role(self) -> Option<Role> {
        match self {
            Who::Anonymous => None,
            Who::Member => Some(Role::Member),
            Who::OrgAdmin => Some(Role::Admin),
            Who::SuperAdmin => Some(Role::SuperAdmin),
        }
    }

    /// Whether a route open to `access` lets this caller through.
    pub fn may_call(self, access: server::routes::Access) -> bool {
        use server::routes::Access;
        match (access, self.role()) {
            (Access::Anyone, _) => true,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Admin, Some(role)) => role.is_admin(),
            (Access::SuperAdmin, Some(role)) => role.is_super_admin(),
        }
    }

    /// The status and `error.code` a refused call of this caller gets.
    pub fn refusal(self) -> (u16, &'static str) {
        match self {
            Who::Anonymous => (401, "UNAUTHENTICATED"),
            _ => (403, "FORBIDDEN"),
        }
    }
}

/// How a signed-in caller proves who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Nothing,
    Session,
    ApiKey,
}

/// A signed-in user of one role.
pub struct Player {
    pub who: Who,
    pub user_id: String,
    pub email: String,
    /// Signed in through `/api/auth/login`: keeps the session cookie, sends this site's Origin.
    pub session: reqwest::Client,
    /// An API key of theirs, made through `POST /api/keys`.
    pub key: String,
}

/// What a route's call needs made before it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Nothing,
    /// An API key of the caller's (the member's when anonymous), to revoke.
    OwnKey,
    /// The published `echo` agent, which every player is licensed for.
    Echo,
    /// A published agent nobody holds or has asked for yet.
    FreshAgent,
    /// A license of the member's, on an agent of its own.
    License,
    /// A pending access request of the member's, on an agent of its own.
    PendingRequest,
    /// An unresolved error in the error log.
    ErrorLog,
    /// A queued background run of the caller's (the member's when anonymous) on `echo`
    /// (the test app has no run workers, so it stays queued).
    OwnRun,
    /// A background run of the caller's (the member's when anonymous), cancelled: its events
    /// end.
    CancelledRun,
    /// The member's account.
    Member,
    /// An account nobody else uses, to change.
    FreshUser,
    /// An unread notification of the caller's (the member's when anonymous).
    OwnNotification,
    /// An email delivery to the member: its id is an unsubscribe link's.
    EmailDelivery,
    /// A webhook endpoint (on a documentation address nothing answers), to change or remove.
    Webhook,
    /// A failed delivery of a webhook endpoint: `{endpoint id},{delivery id}`.
    WebhookDelivery,
    /// A team organisation of its own, made by the super admin.
    Organization,
    /// A subscription of the world's team to an agent of its own.
    Subscription,
    /// A new member of the caller's team (the world's team when the caller has none): their
    /// user id.
    TeamMember,
    /// A pending invitation to the caller's team (the world's team when the caller has none).
    TeamInvitation,
    /// A synchronous execution of the caller's (the member's when anonymous) on `echo`.
    OwnExecution,
    /// Nothing, but the call moves the caller out of their team (they leave): the players
    /// are seated again before the next call.
    Moves,
    /// The token of a pending invitation of the caller's email (the member's when anonymous)
    /// to another team; accepting it moves them (see [`Need::Moves`]).
    InvitationToMove,
}

/// What was made for one call: the id it needs and a token to keep names unique.
pub struct Made {
    pub id: String,
    pub unique: String,
    pub member_id: String,
    pub member_email: String,
    /// The world's team, whose admin is the organisation admin and which the member is in.
    pub team_id: String,
}

/// One answer, as the matrices and the contract test read it.
pub struct Answer {
    pub status: u16,
    /// The media type, without parameters.
    pub content_type: Option<String>,
    /// `None` when the body is empty.
    pub text: Option<String>,
}

impl Answer {
    /// Reads `response` whole.
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        let text = if content_type.as_deref() == Some("text/event-stream") {
            stream_start(response).await
        } else {
            response.text().await.unwrap_or_default()
        };
        Answer {
            status,
            content_type,
            text: (!text.is_empty()).then_some(text),
        }
    }

    pub fn json(&self) -> Option<Value> {
        self.text
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
    }
}

pub struct World {
    pub app: TestApp,
    pub echo: String,
    /// A super admin of the world's own, who makes the rows the calls need.
    grantor: reqwest::Client,
    /// No cookies and no Origin: a script holding an API key.
    script: reqwest::Client,
    pub players: Vec<Player>,
    pub teams: Teams,
    /// A call that moves a player is coming: seat them again before the next.
    moved: std::sync::atomic::AtomicBool,
}

/// The body of `POST /api/admin/agents` for a draft agent called `slug`.
pub fn agent_descriptor(slug: &str) -> Value {
    json!({
        "slug": slug, "name": format!("Agent {slug}"), "shortDescription": "made for a test",
        "longDescription": "made for a test", "category": "Testing", "priceCents": 0,
        "currency": "USD", "icon": "🧪", "features": [], "version": "1",
        "inputSchema": {"type": "object"}, "outputSchema": {"type": "object"}
    })
}

async fn expect_json(response: reqwest::Response, status: u16, what: &str) -> Value {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(got, status, "{what}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"))
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("an id").to_owned()
}

impl World {
    pub async fn new(database: TestDatabase) -> Self {
        let app = spawn_app_with_agents(database).await;
        let (grantor, _) = app.signed_in("grantor@example.com", Role::SuperAdmin).await;
        let echo = app.agent_id("echo").await;
        let mut world = Self {
            script: script_client(),
            app,
            echo,
            grantor,
            players: Vec::new(),
            teams: Teams::none(),
            moved: std::sync::atomic::AtomicBool::new(false),
        };
        for who in Who::SIGNED_IN {
            let email = format!("{who:?}@example.com").to_lowercase();
            let role = who.role().expect("a signed-in caller has a role");
            let (session, user_id) = world.app.signed_in(&email, role).await;
            let key = world.app.api_key(&session, json!({"name": "matrix"})).await;
            world.license(&user_id, &world.echo.clone(), -1).await;
            world.players.push(Player {
                who,
                user_id,
                email,
                session,
                key,
            });
        }
        world.teams = world.seat_teams().await;
        world
    }

    pub fn player(&self, who: Who) -> Option<&Player> {
        self.players.iter().find(|p| p.who == who)
    }

    fn member(&self) -> &Player {
        self.player(Who::Member).expect("the member plays")
    }

    async fn grantor_sends(&self, method: Method, path: &str, body: Value) -> reqwest::Response {
        self.grantor
            .request(method, self.app.url(path))
            .json(&body)
            .send()
            .await
            .expect("the request is sent")
    }

    async fn license(&self, user_id: &str, agent_id: &str, limit: i64) -> String {
        let body = json!({"userId": user_id, "agentId": agent_id, "apiCallLimit": limit});
        let granted = self
            .grantor_sends(Method::POST, "/api/admin/licenses", body)
            .await;
        id_of(&expect_json(granted, 201, "a license").await)
    }

    /// A webhook endpoint on a documentation address (public, so allowed; nothing answers
    /// there), for an event the matrix never causes; its id.
    async fn webhook(&self) -> String {
        let body = json!({"url": "https://203.0.113.10/hook", "events": ["license.expiring"]});
        let created = self
            .grantor_sends(Method::POST, "/api/admin/webhooks", body)
            .await;
        id_of(&expect_json(created, 201, "a webhook endpoint").await["endpoint"])
    }

    async fn fresh_agent(&self, unique: &str) -> String {
        let slug = format!("fresh-{unique}");
        let created = self
            .grantor_sends(Method::POST, "/api/admin/agents", agent_descriptor(&slug))
            .await;
        let id = id_of(&expect_json(created, 201, "an agent").await);
        let path = format!("/api/admin/agents/{id}");
        let published = self
            .grantor_sends(Method::PATCH, &path, json!({"published": true}))
            .await;
        expect_json(published, 200, "publishing an agent").await;
        id
    }

    /// Makes what a call by `who` needs.
    pub async fn make(&self, need: Need, who: Who) -> Made {
        use std::sync::atomic::Ordering;
        if self.moved.swap(false, Ordering::SeqCst) {
            self.seat_again().await;
        }
        let unique = abetworks::ids::new_id();
        let member = self.member();
        let id = match need {
            Need::Nothing => String::new(),
            Need::Echo => self.echo.clone(),
            Need::Member => member.user_id.clone(),
            Need::FreshAgent => self.fresh_agent(&unique).await,
            Need::License => {
                let agent = self.fresh_agent(&unique).await;
                self.license(&member.user_id, &agent, 10).await
            }
            Need::PendingRequest => {
                let agent = self.fresh_agent(&unique).await;
                let body = json!({"agentId": agent, "requestReason": "for the matrix"});
                let asked = self
                    .app
                    .post(&member.session, "/api/marketplace/request-access", body)
                    .await;
                id_of(&expect_json(asked, 201, "an access request").await)
            }
            Need::OwnKey => {
                let owner = self.player(who).unwrap_or(member);
                let created = self
                    .app
                    .post(&owner.session, "/api/keys", json!({"name": "to revoke"}))
                    .await;
                let created = expect_json(created, 201, "a key to revoke").await;
                id_of(&created["key"])
            }
            Need::OwnRun | Need::CancelledRun => {
                let owner = self.player(who).unwrap_or(member);
                let path = format!("/api/agents/{}/runs", self.echo);
                let body = json!({"input": {"text": "for the matrix"}});
                let started = self.app.post(&owner.session, &path, body).await;
                let run = expect_json(started, 202, "a background run").await;
                let id = run["runId"].as_str().expect("a run id").to_owned();
                if need == Need::CancelledRun {
                    let path = format!("/api/runs/{id}/cancel");
                    let cancelled = self.app.post(&owner.session, &path, json!({})).await;
                    expect_json(cancelled, 200, "a cancelled run").await;
                }
                id
            }
            Need::ErrorLog => log_error(&self.app.state.db, new_error(&unique))
                .await
                .expect("an error is logged"),
            Need::FreshUser => {
                let email = format!("{unique}@example.com");
                self.app.create_user(&email, Role::Member).await
            }
            Need::OwnNotification => {
                let owner = self.player(who).unwrap_or(member);
                notification_for(&self.app, &owner.user_id).await
            }
            Need::EmailDelivery => email_delivery_for(&self.app, &member.user_id).await,
            Need::Webhook => self.webhook().await,
            Need::WebhookDelivery => {
                let endpoint = self.webhook().await;
                let delivery = webhook_delivery_for(&self.app, &endpoint).await;
                format!("{endpoint},{delivery}")
            }
            Need::Organization => {
                let name = format!("Organisation {unique}");
                self.app.create_team(&self.grantor, &name, None).await
            }
            Need::Subscription => {
                let agent = self.fresh_agent(&unique).await;
                let plan = json!({"apiCallLimit": 10});
                let made = self
                    .app
                    .subscribe(&self.grantor, &self.teams.team, &agent, plan);
                id_of(&made.await)
            }
            Need::TeamMember => {
                let email = format!("{unique}@example.com");
                let admin = self.admin_of(who);
                self.app.join(admin, &email, Role::Member).await.1
            }
            Need::TeamInvitation => {
                let email = format!("{unique}@example.com");
                self.app
                    .invite(self.admin_of(who), &email, Role::Member)
                    .await
                    .id
            }
            Need::OwnExecution => {
                let owner = self.player(who).unwrap_or(member);
                let ran = self.app.execute(&owner.session, &self.echo).await;
                let ran = expect_json(ran, 200, "an execution").await;
                ran["executionId"]
                    .as_str()
                    .expect("an execution id")
                    .to_owned()
            }
            Need::Moves => {
                self.moved.store(true, Ordering::SeqCst);
                String::new()
            }
            Need::InvitationToMove => {
                self.moved.store(true, Ordering::SeqCst);
                let invitee = self.player(who).unwrap_or(member);
                let host = &self.teams.host;
                self.app
                    .invite(host, &invitee.email, Role::Member)
                    .await
                    .token
            }
        };
        Made {
            id,
            unique,
            member_id: member.user_id.clone(),
            member_email: member.email.clone(),
            team_id: self.teams.team.clone(),
        }
    }

    /// The client `who` calls with, by `credential`. `anew`: a session of its own for the
    /// call, for calls that sign in, out or up (they would end the player's session).
    pub async fn client(
        &self,
        who: Who,
        credential: Credential,
        anew: bool,
    ) -> (reqwest::Client, Option<String>) {
        // A visitor's browser of its own each time: signing in or up would keep a cookie.
        let Some(player) = self.player(who) else {
            return (self.app.new_client(), None);
        };
        match credential {
            Credential::ApiKey => (self.script.clone(), Some(player.key.clone())),
            Credential::Session if anew => (self.signed_in_again(player).await, None),
            Credential::Session | Credential::Nothing => (player.session.clone(), None),
        }
    }

    async fn signed_in_again(&self, player: &Player) -> reqwest::Client {
        let client = self.app.new_client();
        let body = json!({"email": player.email, "password": PASSWORD});
        let response = self.app.post(&client, "/api/auth/login", body).await;
        assert_eq!(response.status(), 200, "{} signs in again", player.email);
        client
    }

    /// Sends one request and reads the answer whole.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        key: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Body>,
    ) -> Answer {
        let mut request = client.request(method, self.app.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request = match body {
            Some(Body::Json(json)) => request.json(&json),
            Some(Body::Form(pairs)) => request.form(&pairs),
            None => request,
        };
        Answer::read(request.send().await.expect("the request is sent")).await
    }
}

/// A request body: JSON for the REST API, form fields for server functions.
pub enum Body {
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// What an event stream sends first: its chunks until it ends or pauses (a live stream, as
/// the notifications', never ends).
async fn stream_start(mut response: reqwest::Response) -> String {
    let pause = std::time::Duration::from_millis(500);
    let mut text = String::new();
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout(pause, response.chunk()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

/// An unread notification of `user_id`, as the outbox dispatcher writes one: its id.
async fn notification_for(app: &TestApp, user_id: &str) -> String {
    use abetworks::entities::{enums::EventType, notifications};
    use sea_orm::{ActiveModelTrait, Set};
    let id = abetworks::ids::new_id();
    notifications::ActiveModel {
        id: Set(id.clone()),
        user_id: Set(user_id.to_owned()),
        kind: Set(EventType::AgentPublished),
        title: Set("made for the matrix".into()),
        body: Set("a notification made for the matrix".into()),
        link: Set(Some("/marketplace".into())),
        read_at: Set(None),
        created_at: Set(chrono::Utc::now()),
        event_id: Set(None),
    }
    .insert(&app.state.db)
    .await
    .expect("a notification is written");
    id
}

/// A failed delivery to webhook endpoint `endpoint_id` of an event already dispatched (so no
/// other delivery is made of it); its id.
async fn webhook_delivery_for(app: &TestApp, endpoint_id: &str) -> String {
    use abetworks::entities::enums::{DeliveryChannel, DeliveryStatus, EventType};
    use abetworks::entities::{deliveries, outbox_events};
    use sea_orm::{ActiveModelTrait, Set};
    let db = &app.state.db;
    let (event_id, id) = (abetworks::ids::new_id(), abetworks::ids::new_id());
    let now = chrono::Utc::now();
    outbox_events::ActiveModel {
        id: Set(event_id.clone()),
        event_type: Set(EventType::LicenseExpiring),
        payload: Set(json!({"made": "for the matrix"})),
        subject_user_id: Set(None),
        created_at: Set(now),
        dispatched_at: Set(Some(now)),
    }
    .insert(db)
    .await
    .expect("an event is written");
    deliveries::ActiveModel {
        id: Set(id.clone()),
        event_id: Set(event_id),
        channel: Set(DeliveryChannel::Webhook),
        user_id: Set(None),
        endpoint_id: Set(Some(endpoint_id.to_owned())),
        status: Set(DeliveryStatus::Failed),
        attempts: Set(3),
        next_attempt_at: Set(now),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_status_code: Set(Some(500)),
        last_error: Set(Some("HTTP 500".into())),
        last_latency_ms: Set(Some(5)),
        created_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(db)
    .await
    .expect("a delivery is written");
    id
}

/// An email delivery (already sent) to `user_id` of a new usage event; its id.
pub async fn email_delivery_for(app: &TestApp, user_id: &str) -> String {
    use abetworks::entities::deliveries;
    use abetworks::entities::enums::{DeliveryChannel, DeliveryStatus, EventType};
    use abetworks::outbox::{emit, NewEvent};
    use sea_orm::{ActiveModelTrait, Set};
    let db = &app.state.db;
    let event = NewEvent::new(
        EventType::UsageThreshold,
        Some(user_id),
        json!({"threshold": 80}),
    );
    let event_id = emit(db, event).await.expect("an event is written");
    let (id, now) = (abetworks::ids::new_id(), chrono::Utc::now());
    deliveries::ActiveModel {
        id: Set(id.clone()),
        event_id: Set(event_id),
        channel: Set(DeliveryChannel::Email),
        user_id: Set(Some(user_id.to_owned())),
        endpoint_id: Set(None),
        status: Set(DeliveryStatus::Succeeded),
        attempts: Set(1),
        next_attempt_at: Set(now),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_status_code: Set(Some(250)),
        last_error: Set(None),
        last_latency_ms: Set(Some(1)),
        created_at: Set(now),
        delivered_at: Set(Some(now)),
    }
    .insert(db)
    .await
    .expect("a delivery is written");
    id
}

fn new_error(unique: &str) -> NewErrorLog {
    NewErrorLog {
        kind: ErrorKind::Internal,
        code: "INTERNAL_ERROR".into(),
        message: format!("a fault made for the matrix ({unique})"),
        stack_trace: None,
        user_id: None,
        agent_id: None,
        request_id: None,
        context: Some(json!({"made": "for the matrix"})),
    }
}

/// A path with its `{…}` segments (if any) filled, in order, with the comma-separated
/// parts of `id`.
pub fn fill(path: &str, id: &str) -> String {
    let mut ids = id.split(',');
    path.split('/')
        .map(|segment| {
            let parameter = segment.starts_with('{') && segment.ends_with('}');
            if parameter {
                ids.next().unwrap_or_default()
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
