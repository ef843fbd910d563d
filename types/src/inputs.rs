//! What callers send that both surfaces share: the REST bodies and the server functions' arguments
//! carry the same shapes.

use serde::{Deserialize, Serialize};

use crate::enums::{EventType, QuotaWindow, WebhookStatus};

/// How a license (or a subscription) counts its limit: per lifetime, day or month, in a time
/// zone, from a reset day, with an optional burst rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaPlan {
    pub window: QuotaWindow,
    /// An IANA time zone such as `Europe/Berlin`.
    pub window_time_zone: String,
    /// The day a month window starts on, 1–28.
    pub reset_day: i32,
    /// Calls per second; `None` follows the server's default.
    pub burst_per_second: Option<i32>,
}

impl Default for QuotaPlan {
    fn default() -> Self {
        Self {
            window: QuotaWindow::Lifetime,
            window_time_zone: "UTC".to_owned(),
            reset_day: 1,
            burst_per_second: None,
        }
    }
}

/// `POST /api/admin/webhooks`: where to send which events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewWebhook {
    /// `https://…` (or `http://…`); loopback and private addresses are refused unless
    /// `ABETWORKS_WEBHOOK_ALLOW_PRIVATE=true`.
    pub url: String,
    /// At least one event type.
    pub events: Vec<EventType>,
    #[serde(default)]
    pub description: String,
}

/// `PATCH /api/admin/webhooks/{id}`: what to change; absent fields stay. `status` may be
/// `active` (also clears `failing`) or `disabled`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookChange {
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub description: Option<String>,
    pub status: Option<WebhookStatus>,
}

/// One kind's email choice (`PATCH /api/account/notification-settings` takes a list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmailChoice {
    pub kind: EventType,
    pub email: bool,
}

/// `PATCH /api/account/notification-settings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettingsChange {
    pub kinds: Vec<EmailChoice>,
}
