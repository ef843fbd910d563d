//! The SMTP client, built once at start-up from the settings and shared by every delivery.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::{AsyncSmtpTransport, Error as SmtpError};
use lettre::{AsyncTransport, Message, Tokio1Executor};

use super::settings::MailSettings;
use crate::error::{CoreError, CoreResult};

/// How long one SMTP conversation may take: well under a delivery's lease
/// (`ABETWORKS_DELIVERY_LEASE_SECS`, 30 s by default), so an attempt ends while it is ours.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends messages through the configured SMTP server, as the configured sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: Arc<str>,
}

impl Mailer {
    /// The mailer of `settings`; `None` when no SMTP server is configured.
    pub fn from_settings(settings: &MailSettings) -> CoreResult<Option<Self>> {
        let Some(url) = &settings.smtp_url else {
            return Ok(None);
        };
        // The URL was checked when the configuration was read; this cannot fail in practice.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|e| CoreError::invalid("ABETWORKS_SMTP_URL", format!("cannot be used ({e})")))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Some(Self {
            transport,
            from: settings.from.clone(),
            public_url: settings.public_url.as_str().into(),
        }))
    }

    /// Who the messages are from.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The site's base URL, for absolute links (no trailing slash).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Hands `message` to the SMTP server; its final answer (250) on success.
    pub async fn send(&self, message: Message) -> Result<Response, SmtpError> {
        self.transport.send(message).await
    }
}

/// The transport's debug output would name the server and user: only the sender is shown.
impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}
