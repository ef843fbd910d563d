//! The views every surface shows: what the core returns, the REST API serialises and the
//! browser renders. camelCase in JSON; times are UTC (RFC 3339 on the wire).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::enums::{
    AccessRequestKind, AccessRequestStatus, AgentAccess, AgentStatus, DeliveryChannel,
    DeliveryStatus, EffectiveStatus, ErrorKind, EventType, ExecutionStatus, Granularity,
    LicenseEventKind, QuotaWindow, Role, Severity, UsageSource, WebhookStatus,
};

/// A view: serde in camelCase and, with the `openapi` feature, a schema. The item's own docs,
/// derives and attributes (e.g. `db`'s `FromQueryResult`) are written inside, as usual.
macro_rules! view {
    ($(#[$attr:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        #[derive(Serialize, Deserialize)]
        $(#[$attr])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "camelCase")]
        pub struct $name { $($fields)* }
    };
}

view! {
    /// A license as the admin and the user see it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct LicenseView {
        pub id: String,
        pub user_id: String,
        pub user_email: String,
        pub user_name: String,
        pub agent_id: String,
        pub agent_name: String,
        pub agent_slug: String,
        pub agent_icon: String,
        /// `-1` when unlimited. Applies to each `window`.
        pub api_call_limit: i64,
        /// Calls used in the current window.
        pub api_calls_used: i64,
        /// Calls left in the current window, top-ups included; `None` when unlimited.
        pub remaining: Option<i64>,
        pub status: EffectiveStatus,
        /// At least 80% of a finite limit used.
        pub near_limit: bool,
        pub exhausted: bool,
        pub granted_by: Option<String>,
        pub granted_at: DateTime<Utc>,
        pub expires_at: Option<DateTime<Utc>>,
        pub window: QuotaWindow,
        /// The IANA zone whose calendar days and months the window follows.
        pub window_time_zone: String,
        /// The day of the month a month window starts on (1–28).
        pub reset_day: i32,
        /// Calls per second this license may make; `None` follows the server's default.
        pub burst_per_second: Option<i32>,
        /// `None` for a lifetime limit.
        pub window_start: Option<DateTime<Utc>>,
        /// When the window starts again at zero; `None` for a lifetime limit.
        pub resets_at: Option<DateTime<Utc>>,
        /// Calls added to the current window and still valid.
        pub top_ups: i64,
    }
}

view! {
    /// Calls a super admin added to one window of a license.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct TopUpView {
        pub id: String,
        pub license_id: String,
        pub calls: i64,
        pub note: String,
        pub expires_at: Option<DateTime<Utc>>,
        /// The window the calls were added to; `None` for a lifetime limit.
        pub window_start: Option<DateTime<Utc>>,
        pub created_by: Option<String>,
        pub created_at: DateTime<Utc>,
    }
}

view! {
    /// One line of a license's history: who changed what, and when.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct LicenseEventView {
        pub id: String,
        pub license_id: String,
        pub kind: LicenseEventKind,
        pub actor_id: Option<String>,
        pub actor_email: Option<String>,
        /// What changed: the values before and after, the calls added, the note.
        pub detail: Value,
        pub created_at: DateTime<Utc>,
    }
}

view! {
    /// A request as the user and the admin see it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[cfg_attr(feature = "db", derive(sea_orm::FromQueryResult))]
    pub struct AccessRequestView {
        pub id: String,
        pub user_id: String,
        pub user_email: String,
        pub user_name: String,
        pub agent_id: String,
        pub agent_name: String,
        pub agent_slug: String,
        pub request_reason: String,
        pub kind: AccessRequestKind,
        /// For an increase: the calls the holder asks for.
        pub requested_calls: Option<i64>,
        pub status: AccessRequestStatus,
        pub requested_at: DateTime<Utc>,
        pub reviewed_by: Option<String>,
        pub reviewed_at: Option<DateTime<Utc>>,
        pub review_note: Option<String>,
        /// Set when an organisation admin asked for their organisation: approving it creates
        /// the organisation's subscription.
        #[serde(default)]
        pub organization_id: Option<String>,
        #[serde(default)]
        pub organization_name: Option<String>,
    }
}

view! {
    /// An approved request and what it gave: the license granted or changed, or, for a request
    /// made for an organisation, its subscription.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ApprovedRequest {
        pub request: AccessRequestView,
        #[serde(default)]
        pub license: Option<LicenseView>,
        #[serde(default)]
        pub subscription: Option<crate::teams::SubscriptionView>,
    }
}

view! {
    /// An execution as its owner and the super admin see it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[cfg_attr(feature = "db", derive(sea_orm::FromQueryResult))]
    pub struct ExecutionView {
        pub id: String,
        pub user_id: String,
        pub user_email: String,
        pub agent_id: String,
        pub agent_name: String,
        pub agent_slug: String,
        pub license_id: Option<String>,
        pub api_key_id: Option<String>,
        pub input: Value,
        pub output: Option<Value>,
        pub status: ExecutionStatus,
        pub duration_ms: Option<i64>,
        pub error_code: Option<String>,
        pub error_message: Option<String>,
        pub created_at: DateTime<Utc>,
        pub finished_at: Option<DateTime<Utc>>,
    }
}

view! {
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[cfg_attr(feature = "db", derive(sea_orm::FromQueryResult))]
    pub struct KeyCount {
        pub key: String,
        pub count: i64,
    }
}

view! {
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct DayCount {
        pub day: NaiveDate,
        pub count: u64,
    }
}

view! {
    /// The errors of a range, summarised.
    #[derive(Clone, Debug, PartialEq)]
    pub struct ErrorStats {
        pub from: DateTime<Utc>,
        pub to: DateTime<Utc>,
        pub total: u64,
        pub resolved: u64,
        pub unresolved: u64,
        /// Resolved / total, 0 when there is none.
        pub resolution_rate: f64,
        pub by_type: Vec<KeyCount>,
        pub by_severity: Vec<KeyCount>,
        /// Every day of the range, oldest first.
        pub per_day: Vec<DayCount>,
    }
}

view! {
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct TrendPoint {
        pub start: DateTime<Utc>,
        pub calls: u64,
    }
}

view! {
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[cfg_attr(feature = "db", derive(sea_orm::FromQueryResult))]
    pub struct AgentCalls {
        pub agent_id: String,
        pub agent_name: String,
        pub agent_slug: String,
        pub calls: i64,
    }
}

view! {
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[cfg_attr(feature = "db", derive(sea_orm::FromQueryResult))]
    pub struct UserCalls {
        pub user_id: String,
        pub user_email: String,
        pub user_name: String,
        pub calls: i64,
    }
}

view! {
    /// Totals of `[from, to]`, with calls today / this week / this month (UTC) and heavy users
    /// as of now, whatever the range.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct UsageOverview {
        pub from: DateTime<Utc>,
        pub to: DateTime<Utc>,
        pub total_calls: u64,
        /// Answers below 400.
        pub successful_calls: u64,
        pub failed_calls: u64,
        pub by_agent: Vec<AgentCalls>,
        pub by_user: Vec<UserCalls>,
        pub granularity: Granularity,
        pub trend: Vec<TrendPoint>,
        /// Licenses in force at 80% or more of a finite limit.
        pub heavy_users: Vec<LicenseView>,
        pub calls_today: u64,
        pub calls_this_week: u64,
        pub calls_this_month: u64,
    }
}

view! {
    /// The standing after the call of the unit it came from: the caller's license, or their
    /// organisation's pool (`source`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct UsageSnapshot {
        pub limit: i64,
        /// Calls used in the current window.
        pub used: i64,
        /// `None` when the license is unlimited.
        pub remaining: Option<i64>,
        pub window: QuotaWindow,
        pub window_start: Option<DateTime<Utc>>,
        pub resets_at: Option<DateTime<Utc>>,
        /// Calls added to the current window.
        pub top_ups: i64,
        /// Whether the call counted against the caller's license or their organisation's pool.
        #[serde(default)]
        pub source: UsageSource,
    }
}

view! {
    #[derive(Clone, Debug)]
    pub struct ExecuteSuccess {
        pub execution_id: String,
        pub output: Value,
        pub duration_ms: i64,
        pub usage: UsageSnapshot,
    }
}

view! {
    /// What a sync changed, by slug.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct SyncReport {
        pub added: Vec<String>,
        pub updated: Vec<String>,
        pub unavailable: Vec<String>,
    }
}

view! {
    /// A user as admins see them (never the password hash).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct UserView {
        pub id: String,
        pub organization_id: String,
        pub email: String,
        pub name: String,
        pub role: Role,
        pub disabled: bool,
        pub created_at: DateTime<Utc>,
        pub last_login_at: Option<DateTime<Utc>>,
    }
}

impl UserView {
    /// Up to two initials for the account button.
    pub fn initials(&self) -> String {
        let from_name: String = self
            .name
            .split_whitespace()
            .filter_map(|word| word.chars().next())
            .take(2)
            .collect();
        let initials = if from_name.is_empty() {
            self.email.chars().take(1).collect()
        } else {
            from_name
        };
        initials.to_uppercase()
    }
}

view! {
    /// A catalog agent as lists show it (its schemas travel only with the run page).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct AgentView {
        pub id: String,
        pub slug: String,
        pub name: String,
        pub short_description: String,
        pub long_description: String,
        pub category: String,
        pub price_cents: i64,
        pub currency: String,
        pub icon: String,
        pub features: Vec<String>,
        pub version: String,
        pub published: bool,
        pub status: AgentStatus,
    }
}

impl AgentView {
    /// "Free" or the price with its currency, e.g. "USD 49.00".
    pub fn price_label(&self) -> String {
        if self.price_cents == 0 {
            "Free".to_owned()
        } else {
            format!(
                "{} {}.{:02}",
                self.currency,
                self.price_cents / 100,
                self.price_cents % 100
            )
        }
    }
}

view! {
    /// An agent in the marketplace, with where the caller stands.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct MarketplaceAgent {
        #[serde(flatten)]
        pub agent: AgentView,
        pub access: AgentAccess,
    }
}

view! {
    /// An API key as its owner sees it: never the key text or its hash.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ApiKeyView {
        pub id: String,
        pub name: String,
        /// The first characters of the key, to recognise it.
        pub prefix: String,
        pub agent_id: Option<String>,
        pub agent_name: Option<String>,
        pub created_at: DateTime<Utc>,
        pub last_used_at: Option<DateTime<Utc>>,
        pub expires_at: Option<DateTime<Utc>>,
        pub revoked_at: Option<DateTime<Utc>>,
        pub expired: bool,
    }
}

impl ApiKeyView {
    pub fn is_usable(&self) -> bool {
        self.revoked_at.is_none() && !self.expired
    }
}

view! {
    /// A key just created, with its text under `secret`: shown once, never again.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct CreatedKey {
        pub key: ApiKeyView,
        pub secret: String,
    }
}

view! {
    /// A logged error as the super admin reads it.
    #[derive(Clone, Debug, PartialEq)]
    pub struct ErrorLogView {
        pub id: String,
        #[serde(rename = "errorType")]
        pub kind: ErrorKind,
        pub code: String,
        pub message: String,
        pub stack_trace: Option<String>,
        pub severity: Severity,
        pub user_id: Option<String>,
        pub agent_id: Option<String>,
        pub request_id: Option<String>,
        pub context: Option<Value>,
        pub resolved: bool,
        pub resolved_by: Option<String>,
        pub resolved_at: Option<DateTime<Utc>>,
        pub resolution_note: Option<String>,
        pub created_at: DateTime<Utc>,
    }
}

view! {
    /// A user or agent in a picker.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct PickOption {
        pub id: String,
        pub label: String,
        pub detail: String,
    }
}

impl UsageSnapshot {
    /// A lifetime standing: `limit` -1 is unlimited, nothing remains to count down.
    pub fn new(limit: i64, used: i64) -> Self {
        Self {
            limit,
            used,
            remaining: (limit >= 0).then(|| (limit - used).max(0)),
            window: QuotaWindow::Lifetime,
            window_start: None,
            resets_at: None,
            top_ups: 0,
            source: UsageSource::License,
        }
    }

    /// The same standing, said to come from `source` (a pool's standing is built like a
    /// license's).
    pub fn with_source(self, source: UsageSource) -> Self {
        Self { source, ..self }
    }

    /// The standing in a window, top-ups counted in what remains.
    pub fn in_window(
        limit: i64,
        used: i64,
        top_ups: i64,
        window: QuotaWindow,
        window_start: Option<DateTime<Utc>>,
        resets_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            remaining: (limit >= 0).then(|| (limit + top_ups - used).max(0)),
            window,
            window_start,
            resets_at,
            top_ups,
            ..Self::new(limit, used)
        }
    }

    pub fn is_unlimited(&self) -> bool {
        self.limit < 0
    }
}

impl LicenseView {
    pub fn is_unlimited(&self) -> bool {
        self.api_call_limit < 0
    }

    /// Whether a call may be attempted now (the gateway decides for real).
    pub fn can_run(&self) -> bool {
        self.status == EffectiveStatus::Active && !self.exhausted
    }
}

view! {
    /// How far a background run has got: `done` of `total`, with the agent's words.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct RunProgress {
        pub done: i64,
        pub total: i64,
        pub message: Option<String>,
    }
}

view! {
    /// Why a background run did not succeed: the error code and a message for its owner.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct RunError {
        pub code: String,
        pub message: String,
    }
}

view! {
    /// A background run as its owner and the super admin see it (`GET /api/runs/{runId}`).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct RunView {
        pub run_id: String,
        pub agent_id: String,
        pub agent_name: String,
        pub agent_slug: String,
        pub status: ExecutionStatus,
        pub progress: Option<RunProgress>,
        pub output: Option<Value>,
        pub error: Option<RunError>,
        /// The owner asked to stop it; the worker running it stops at its next report.
        pub cancel_requested: bool,
        /// How many times a worker took it (a run whose instance died is taken again).
        pub attempts: i32,
        pub created_at: DateTime<Utc>,
        pub started_at: Option<DateTime<Utc>>,
        pub finished_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// The answer to `POST /api/agents/{agentId}/runs`: the run is admitted and queued.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct RunAccepted {
        pub run_id: String,
        pub status: ExecutionStatus,
        pub usage: UsageSnapshot,
    }
}

impl RunView {
    /// Whether the run has ended (nothing will change it any more).
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }
}

view! {
    /// One of a user's notifications (`GET /api/notifications`). `link` is a path of the site.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct NotificationView {
        pub id: String,
        pub kind: EventType,
        pub title: String,
        pub body: String,
        pub link: Option<String>,
        pub created_at: DateTime<Utc>,
        pub read_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// One event of `GET /api/notifications/stream`: a new notification and the user's unread
    /// count after it (the bell shows the count as sent; a duplicate changes nothing).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct LiveNotification {
        pub notification: NotificationView,
        pub unread: u64,
    }
}

view! {
    /// Whether a kind of event is also emailed to the user (in-app is always on).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct NotificationSetting {
        pub kind: EventType,
        pub label: String,
        pub email: bool,
    }
}

view! {
    /// A user's notification settings (`GET /api/account/notification-settings`): the kinds
    /// that can reach this user, and whether the server sends email at all.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct NotificationSettings {
        pub email_configured: bool,
        pub kinds: Vec<NotificationSetting>,
    }
}

view! {
    /// A webhook endpoint as the super admin sees it (the secret is shown once, at creation).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct WebhookEndpointView {
        pub id: String,
        pub url: String,
        pub description: String,
        pub events: Vec<EventType>,
        pub status: WebhookStatus,
        /// Since when every delivery has failed for a day (`failing`).
        pub failing_since: Option<DateTime<Utc>>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }
}

view! {
    /// The answer to `POST /api/admin/webhooks`: the endpoint and its signing secret
    /// (`whsec_…`), shown this once.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct WebhookCreated {
        pub endpoint: WebhookEndpointView,
        pub secret: String,
    }
}

view! {
    /// One delivery of one event to an endpoint or a mailbox (the endpoint's delivery log).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct DeliveryView {
        pub id: String,
        pub event_id: String,
        pub event_type: EventType,
        pub channel: DeliveryChannel,
        pub status: DeliveryStatus,
        pub attempts: i32,
        /// The HTTP status of the last attempt (webhooks).
        pub last_status_code: Option<i32>,
        pub last_latency_ms: Option<i64>,
        pub last_error: Option<String>,
        /// When the next attempt is due (pending only).
        pub next_attempt_at: Option<DateTime<Utc>>,
        pub created_at: DateTime<Utc>,
        pub delivered_at: Option<DateTime<Utc>>,
    }
}
