//! What callers send that both surfaces share: the REST bodies and the server functions' arguments
//! carry the same shapes.

use serde::{Deserialize, Serialize};

use crate::enums::QuotaWindow;

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
