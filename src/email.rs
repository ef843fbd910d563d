//! Email notifications over SMTP (`lettre`), when `ABETWORKS_SMTP_URL` is set. The outbox
//! dispatcher creates one email delivery per event and recipient who wants that kind by
//! email; the delivery worker (`deliveries`) calls [`deliver`] for each attempt.
//!
//! A message says what the in-app notification says (`outbox::message`), in plain text and
//! HTML, with an unsubscribe link that needs no sign-in: `/unsubscribe/{deliveryId}` (see
//! `notifications::unsubscribe` for why the delivery id may serve as the credential).

use std::time::Instant;

use lettre::message::Mailbox;
use lettre::transport::smtp::Error as SmtpError;
use sea_orm::EntityTrait;

use crate::deliveries::Attempt;
use crate::entities::{deliveries, outbox_events, users};
use crate::state::AppState;

mod compose;
mod mailer;
mod settings;

pub use compose::{escape, Letter};
pub use mailer::Mailer;
pub use settings::{MailSettings, MailVariables, DEFAULT_MAIL_FROM};

/// The account page, where a user chooses which kinds are emailed.
pub const SETTINGS_PATH: &str = "/account";

/// One attempt at the email `delivery` of `event`.
///
/// Not retried (`retry: false`): a recipient who is gone or disabled, an address the server
/// refuses for good (5xx), and a recipient who turned this kind off since the delivery was
/// created — that one is recorded as failed with the error "unsubscribed", not as
/// delivered, so the log never claims an email went out that did not. Everything else (no
/// SMTP on this instance, a connection failure, a 4xx) is retried with backoff.
pub async fn deliver(
    state: &AppState,
    delivery: &deliveries::Model,
    event: &outbox_events::Model,
) -> Attempt {
    let started = Instant::now();
    let failed = |error: &str, retry: bool| Attempt::Failed {
        status_code: None,
        latency_ms: elapsed_ms(started),
        error: error.to_owned(),
        retry,
    };
    let Some(mailer) = &state.mailer else {
        return failed("email is not configured on this instance", true);
    };
    let Some(user_id) = &delivery.user_id else {
        return failed("the delivery names no recipient", false);
    };
    let user = match users::Entity::find_by_id(user_id.clone())
        .one(&state.db)
        .await
    {
        Ok(Some(user)) if !user.disabled => user,
        Ok(_) => return failed("the recipient is gone or disabled", false),
        Err(e) => return failed(&format!("database: {e}"), true),
    };
    match crate::notifications::email_enabled(&state.db, &user.id, event.event_type).await {
        Ok(true) => {}
        Ok(false) => return failed("unsubscribed", false),
        Err(e) => return failed(&format!("database: {e}"), true),
    }
    let Ok(address) = user.email.parse() else {
        return failed("the recipient's address cannot be mailed", false);
    };
    let to = Mailbox::new(Some(user.name.clone()), address);
    let letter = letter_for(mailer, delivery, event);
    let message = match letter.message(mailer.from().clone(), to) {
        Ok(message) => message,
        Err(e) => return failed(&format!("the message cannot be built: {e}"), false),
    };
    match mailer.send(message).await {
        Ok(response) => Attempt::Delivered {
            status_code: Some(i32::from(u16::from(response.code()))),
            latency_ms: elapsed_ms(started),
        },
        Err(e) => smtp_failure(&e, elapsed_ms(started)),
    }
}

/// What the recipient reads about `event` (as in the app), with the site's links absolute.
fn letter_for(
    mailer: &Mailer,
    delivery: &deliveries::Model,
    event: &outbox_events::Model,
) -> Letter {
    let said = crate::outbox::message::of_event(event);
    let base = mailer.public_url();
    Letter {
        title: said.title,
        body: said.body,
        link: Some(Letter::absolute(base, &said.link)),
        unsubscribe_page: format!("{base}/unsubscribe/{}", delivery.id),
        unsubscribe_post: format!("{base}/api/unsubscribe/{}", delivery.id),
        settings_page: format!("{base}{SETTINGS_PATH}"),
    }
}

/// A refusal for good (5xx: no such mailbox, policy) is not retried; a transient one (4xx)
/// and a connection, TLS or timeout failure are.
fn smtp_failure(error: &SmtpError, latency_ms: i64) -> Attempt {
    Attempt::Failed {
        status_code: error.status().map(|code| i32::from(u16::from(code))),
        latency_ms,
        error: error.to_string(),
        retry: !error.is_permanent(),
    }
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
